/*  rules_values.h - promtool's expanding notation for test series values.
 *
 *      "1 2 3"      three samples
 *      "0+10x3"     0 10 20 30      (a+bxn: n+1 samples, adding b each time)
 *      "5-1x2"      5 4 3
 *      "7x2"        7 7 7
 *      "_"          no sample at that step;  "_x3": three steps without one
 *      "stale"      a staleness marker
 *
 *  As Prometheus's series descriptions (promql/parser), increments are
 *  added one after the other, so the values are bit for bit promtool's.
 */
#ifndef RULES_VALUES_H
#define RULES_VALUES_H

#include <stddef.h>

typedef enum {
    RULES_VALUE_SAMPLE,
    RULES_VALUE_OMITTED,
    RULES_VALUE_STALE,
} rules_value_kind_t;

typedef struct {
    double v;
    rules_value_kind_t kind;
} rules_seqval_t;

/* Parses text; on success *out (free() it) holds *n values. Returns 0, or
 * -1 with err naming the offending word. At most max values are made. */
int rules_values_parse (const char *text, size_t max, rules_seqval_t **out, size_t *n, char *err,
                        size_t errlen);

#endif
