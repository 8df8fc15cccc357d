/*  rules_ast.h - a parsed PromQL expression.
 *
 *  Every node carries its position (byte offsets into the text it was parsed
 *  from) and its type, checked at parse time as Prometheus checks them, so an
 *  expression that parses also evaluates without type errors.
 *
 *  A tree is made by rules_parse (rules_parse.h) and freed with
 *  rules_ast_destroy; it owns everything it points to, compiled regexes
 *  included. Evaluation only reads it, apart from the matchers' scratch
 *  match data: one tree is evaluated by one thread at a time.
 */
#ifndef RULES_AST_H
#define RULES_AST_H

#include "rules_lex.h"
#include "vg_buf.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    RULES_T_SCALAR,
    RULES_T_VECTOR, /* instant vector */
    RULES_T_MATRIX, /* range vector */
    RULES_T_STRING,
} rules_type_t;

typedef enum {
    RULES_N_NUMBER,
    RULES_N_STRING,
    RULES_N_SELECTOR, /* instant vector selector */
    RULES_N_MATRIX,   /* range vector selector: sel[range] */
    RULES_N_PAREN,
    RULES_N_UNARY, /* -x (+x is parsed away) */
    RULES_N_BINARY,
    RULES_N_CALL,
    RULES_N_AGGREGATE,
} rules_node_kind_t;

typedef enum {
    RULES_MATCH_EQ,
    RULES_MATCH_NE,
    RULES_MATCH_RE,
    RULES_MATCH_NRE,
} rules_match_op_t;

typedef struct {
    char *name;
    char *value;
    rules_match_op_t op;
    void *re; /* pcre2_code, anchored: ^(?:value)$ with dot matching newline */
    void *md; /* pcre2_match_data */
} rules_matcher_t;

/* Whether value (NULL = the label is absent, which matches like "") matches. */
int rules_matcher_matches (const rules_matcher_t *m, const char *value);

typedef enum {
    RULES_CARD_ONE_TO_ONE,
    RULES_CARD_MANY_TO_ONE,  /* group_left */
    RULES_CARD_ONE_TO_MANY,  /* group_right */
    RULES_CARD_MANY_TO_MANY, /* set operators */
} rules_card_t;

/* The functions of the subset. */
typedef enum {
    RULES_F_ABS,
    RULES_F_ABSENT,
    RULES_F_ABSENT_OVER_TIME,
    RULES_F_AVG_OVER_TIME,
    RULES_F_CEIL,
    RULES_F_CHANGES,
    RULES_F_CLAMP,
    RULES_F_CLAMP_MAX,
    RULES_F_CLAMP_MIN,
    RULES_F_COUNT_OVER_TIME,
    RULES_F_DAY_OF_MONTH,
    RULES_F_DAY_OF_WEEK,
    RULES_F_DAYS_IN_MONTH,
    RULES_F_DELTA,
    RULES_F_DERIV,
    RULES_F_EXP,
    RULES_F_FLOOR,
    RULES_F_HISTOGRAM_QUANTILE,
    RULES_F_HOUR,
    RULES_F_IDELTA,
    RULES_F_INCREASE,
    RULES_F_IRATE,
    RULES_F_LABEL_JOIN,
    RULES_F_LABEL_REPLACE,
    RULES_F_LAST_OVER_TIME,
    RULES_F_LN,
    RULES_F_LOG10,
    RULES_F_LOG2,
    RULES_F_MAX_OVER_TIME,
    RULES_F_MIN_OVER_TIME,
    RULES_F_MINUTE,
    RULES_F_MONTH,
    RULES_F_PREDICT_LINEAR,
    RULES_F_PRESENT_OVER_TIME,
    RULES_F_QUANTILE_OVER_TIME,
    RULES_F_RATE,
    RULES_F_RESETS,
    RULES_F_ROUND,
    RULES_F_SCALAR,
    RULES_F_SGN,
    RULES_F_SQRT,
    RULES_F_STDDEV_OVER_TIME,
    RULES_F_STDVAR_OVER_TIME,
    RULES_F_SUM_OVER_TIME,
    RULES_F_TIME,
    RULES_F_TIMESTAMP,
    RULES_F_VECTOR,
    RULES_F_YEAR,
} rules_func_id_t;

typedef struct {
    const char *name;
    rules_func_id_t id;
    rules_type_t args[5];
    int nargs;
    int variadic; /* 0: exactly nargs; k > 0: up to k more of the last type; -1: any more */
    rules_type_t ret;
} rules_func_t;

/* The function called name, or NULL. */
const rules_func_t *rules_func_find (const char *name);
/* Whether name is a Prometheus function outside the subset. */
int rules_func_is_known_unsupported (const char *name);

typedef struct rules_node_t rules_node_t;
struct rules_node_t {
    rules_node_kind_t kind;
    rules_type_t type;
    uint32_t pos, end; /* [pos, end) in the source */

    double num; /* NUMBER */
    char *str;  /* STRING */

    /* SELECTOR: metric name (may be NULL) and matchers (the name's own
     * __name__ matcher included); offset also for the MATRIX wrapping it. */
    char *metric;
    rules_matcher_t *matchers;
    size_t nmatchers;
    int64_t offset_ms;
    int64_t range_ms; /* MATRIX */
    int sel_id;       /* -1, or an index the live engine gave the selector */

    /* UNARY (expr in lhs), BINARY, PAREN (lhs), MATRIX (lhs = the selector),
     * AGGREGATE (expr in lhs, param in rhs) */
    rules_tok_type_t op;
    int return_bool;
    rules_node_t *lhs, *rhs;
    rules_card_t card;
    int on;              /* on(...) rather than ignoring(...) */
    int matching;        /* on/ignoring written at all */
    char **match_labels; /* sorted */
    size_t nmatch_labels;
    char **include; /* group_left/right(...) labels */
    size_t ninclude;

    /* CALL */
    const rules_func_t *func;
    rules_node_t **args;
    size_t nargs;
    void *label_re; /* label_replace: the compiled regex */

    /* AGGREGATE */
    int without;
    char **grouping; /* sorted */
    size_t ngrouping;
};

void rules_ast_destroy (rules_node_t **node_p);

/* Calls fn for every selector in the tree (matrix selectors' inner ones
 * included), depth first. */
void rules_ast_walk_selectors (rules_node_t *node, void (*fn) (rules_node_t *sel, void *arg),
                               void *arg);

/* The expression as text, normalised as Prometheus prints it. Appended. */
void rules_ast_format (const rules_node_t *node, vg_buf_t *out);

/* "1h30m" for a duration in ms, Prometheus style. Appended. */
void rules_ast_format_duration (int64_t ms, vg_buf_t *out);

/* The name of a type, for messages ("instant vector"). */
const char *rules_ast_type_name (rules_type_t type);

#endif
