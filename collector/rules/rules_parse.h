/*  rules_parse.h - PromQL text to a checked expression tree.
 *
 *  The subset alert rules use (see docs/rules.md). What Prometheus accepts
 *  but the subset leaves out (subqueries, the @ modifier, the functions and
 *  aggregations not listed) is refused with its name, never misread.
 */
#ifndef RULES_PARSE_H
#define RULES_PARSE_H

#include "rules_ast.h"
#include "rules_labels.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t pos;  /* byte offset into the text where the problem is */
    char msg[256]; /* what is wrong, without the position */
} rules_parse_error_t;

/* Parses text (len bytes). On error returns NULL and fills err. Caller owns
 * the tree (rules_ast_destroy). */
rules_node_t *rules_parse (const char *text, size_t len, rules_parse_error_t *err);

/* Parses a series description as promtool's input_series write it:
 * metric{a="b", ...} or {__name__="m", ...}. Returns the label set (free()
 * it), or NULL with err. */
rules_labels_t *rules_parse_series (const char *text, rules_parse_error_t *err);

#endif
