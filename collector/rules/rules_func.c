/*  rules_func.c - the functions of the PromQL subset, with Prometheus's
 *  argument types (promql/parser/functions.go), and the names of the ones
 *  left out, so that they are refused by name. */
#include "rules_ast.h"

#include <stdlib.h>
#include <string.h>

#define V   RULES_T_VECTOR
#define M   RULES_T_MATRIX
#define S   RULES_T_SCALAR
#define STR RULES_T_STRING

/* Sorted by name. */
static const rules_func_t s_funcs[] = {
    {"abs", RULES_F_ABS, {V}, 1, 0, V},
    {"absent", RULES_F_ABSENT, {V}, 1, 0, V},
    {"absent_over_time", RULES_F_ABSENT_OVER_TIME, {M}, 1, 0, V},
    {"avg_over_time", RULES_F_AVG_OVER_TIME, {M}, 1, 0, V},
    {"ceil", RULES_F_CEIL, {V}, 1, 0, V},
    {"changes", RULES_F_CHANGES, {M}, 1, 0, V},
    {"clamp", RULES_F_CLAMP, {V, S, S}, 3, 0, V},
    {"clamp_max", RULES_F_CLAMP_MAX, {V, S}, 2, 0, V},
    {"clamp_min", RULES_F_CLAMP_MIN, {V, S}, 2, 0, V},
    {"count_over_time", RULES_F_COUNT_OVER_TIME, {M}, 1, 0, V},
    {"day_of_month", RULES_F_DAY_OF_MONTH, {V}, 1, 1, V},
    {"day_of_week", RULES_F_DAY_OF_WEEK, {V}, 1, 1, V},
    {"days_in_month", RULES_F_DAYS_IN_MONTH, {V}, 1, 1, V},
    {"delta", RULES_F_DELTA, {M}, 1, 0, V},
    {"deriv", RULES_F_DERIV, {M}, 1, 0, V},
    {"exp", RULES_F_EXP, {V}, 1, 0, V},
    {"floor", RULES_F_FLOOR, {V}, 1, 0, V},
    {"histogram_quantile", RULES_F_HISTOGRAM_QUANTILE, {S, V}, 2, 0, V},
    {"hour", RULES_F_HOUR, {V}, 1, 1, V},
    {"idelta", RULES_F_IDELTA, {M}, 1, 0, V},
    {"increase", RULES_F_INCREASE, {M}, 1, 0, V},
    {"irate", RULES_F_IRATE, {M}, 1, 0, V},
    {"label_join", RULES_F_LABEL_JOIN, {V, STR, STR, STR}, 4, -1, V},
    {"label_replace", RULES_F_LABEL_REPLACE, {V, STR, STR, STR, STR}, 5, 0, V},
    {"last_over_time", RULES_F_LAST_OVER_TIME, {M}, 1, 0, V},
    {"ln", RULES_F_LN, {V}, 1, 0, V},
    {"log10", RULES_F_LOG10, {V}, 1, 0, V},
    {"log2", RULES_F_LOG2, {V}, 1, 0, V},
    {"max_over_time", RULES_F_MAX_OVER_TIME, {M}, 1, 0, V},
    {"min_over_time", RULES_F_MIN_OVER_TIME, {M}, 1, 0, V},
    {"minute", RULES_F_MINUTE, {V}, 1, 1, V},
    {"month", RULES_F_MONTH, {V}, 1, 1, V},
    {"predict_linear", RULES_F_PREDICT_LINEAR, {M, S}, 2, 0, V},
    {"present_over_time", RULES_F_PRESENT_OVER_TIME, {M}, 1, 0, V},
    {"quantile_over_time", RULES_F_QUANTILE_OVER_TIME, {S, M}, 2, 0, V},
    {"rate", RULES_F_RATE, {M}, 1, 0, V},
    {"resets", RULES_F_RESETS, {M}, 1, 0, V},
    {"round", RULES_F_ROUND, {V, S}, 2, 1, V},
    {"scalar", RULES_F_SCALAR, {V}, 1, 0, S},
    {"sgn", RULES_F_SGN, {V}, 1, 0, V},
    {"sqrt", RULES_F_SQRT, {V}, 1, 0, V},
    {"stddev_over_time", RULES_F_STDDEV_OVER_TIME, {M}, 1, 0, V},
    {"stdvar_over_time", RULES_F_STDVAR_OVER_TIME, {M}, 1, 0, V},
    {"sum_over_time", RULES_F_SUM_OVER_TIME, {M}, 1, 0, V},
    {"time", RULES_F_TIME, {0}, 0, 0, S},
    {"timestamp", RULES_F_TIMESTAMP, {V}, 1, 0, V},
    {"vector", RULES_F_VECTOR, {S}, 1, 0, V},
    {"year", RULES_F_YEAR, {V}, 1, 1, V},
};

/* Prometheus 3's other functions: refused by name. */
static const char *const s_unsupported[] = {
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "cos",
    "cosh",
    "day_of_year",
    "deg",
    "double_exponential_smoothing",
    "first_over_time",
    "histogram_avg",
    "histogram_count",
    "histogram_fraction",
    "histogram_stddev",
    "histogram_stdvar",
    "histogram_sum",
    "holt_winters",
    "info",
    "mad_over_time",
    "pi",
    "rad",
    "sin",
    "sinh",
    "sort",
    "sort_by_label",
    "sort_by_label_desc",
    "sort_desc",
    "tan",
    "tanh",
    "ts_of_first_over_time",
    "ts_of_last_over_time",
    "ts_of_max_over_time",
    "ts_of_min_over_time",
};

static int
s_cmp (const void *key, const void *item)
{
    return strcmp ((const char *)key, ((const rules_func_t *)item)->name);
}

const rules_func_t *
rules_func_find (const char *name)
{
    return bsearch (name, s_funcs, sizeof s_funcs / sizeof s_funcs[0], sizeof s_funcs[0], s_cmp);
}

int
rules_func_is_known_unsupported (const char *name)
{
    for (size_t i = 0; i < sizeof s_unsupported / sizeof s_unsupported[0]; i++)
        if (strcmp (s_unsupported[i], name) == 0)
            return 1;
    return 0;
}
