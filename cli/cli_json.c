/*  cli_json.c - the little JSON the CLI writes. */
#include "cli_json.h"
#include "vg_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cli_json_string (vg_buf_t *out, const char *s)
{
    if (!s)
        vg_buf_puts (out, "null");
    else
        vg_json_string (out, s, strlen (s));
}

void
cli_json_number (vg_buf_t *out, const char *text)
{
    char *end = NULL;
    double v = text && *text ? strtod (text, &end) : NAN;
    if (!isfinite (v) || (end && *end)) {
        vg_buf_puts (out, "null");
        return;
    }
    /* PostgreSQL prints the shortest text that reads back exactly: keep it. */
    vg_buf_puts (out, text);
}
