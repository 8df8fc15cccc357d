/*  rules_regex.h - PromQL's regular expressions: anchored at both ends, as
 *  labels.NewMatcher anchors them (^(?:re)$), with "." matching a newline;
 *  PCRE2 syntax, JIT-compiled where the platform has it. */
#ifndef RULES_REGEX_H
#define RULES_REGEX_H

#include <stddef.h>

/* Returns a pcre2_code* (pcre2_code_free it), or NULL with the reason in
 * err. */
void *rules_regex_compile (const char *re, char *err, size_t errlen);

#endif
