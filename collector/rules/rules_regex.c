/*  rules_regex.c - PromQL's anchored regular expressions on PCRE2. */
#include "rules_regex.h"
#include "vg_alloc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *
rules_regex_compile (const char *re, char *err, size_t errlen)
{
    size_t n = strlen (re);
    char *pattern = vg_malloc (n + 16);
    snprintf (pattern, n + 16, "^(?:%s)$", re);
    int code;
    PCRE2_SIZE off;
    pcre2_code *c =
        pcre2_compile ((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                       PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                       &code, &off, NULL);
    free (pattern);
    if (!c) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message (code, msg, sizeof msg);
        snprintf (err, errlen, "%s", (const char *)msg);
        return NULL;
    }
    pcre2_jit_compile (c, PCRE2_JIT_COMPLETE); /* faster when available; fine when not */
    return c;
}
