/*  rules_lex.h - the tokens of PromQL expressions.
 *
 *  Positions are byte offsets into the expression text. Keywords are matched
 *  case-insensitively, as Prometheus does; inside braces every word is a
 *  label name. A number directly followed by a unit (5m, 1h30m) is a
 *  duration.
 */
#ifndef RULES_LEX_H
#define RULES_LEX_H

#include "vg_buf.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    RULES_TOK_EOF = 0,
    RULES_TOK_ERROR,
    RULES_TOK_IDENT,    /* a label name or a metric name without ':' */
    RULES_TOK_METRIC,   /* a name with ':' (recording rule style) */
    RULES_TOK_NUMBER,   /* num */
    RULES_TOK_DURATION, /* ms */
    RULES_TOK_STRING,   /* text: decoded */
    RULES_TOK_LPAREN,
    RULES_TOK_RPAREN,
    RULES_TOK_LBRACE,
    RULES_TOK_RBRACE,
    RULES_TOK_LBRACKET,
    RULES_TOK_RBRACKET,
    RULES_TOK_COMMA,
    RULES_TOK_COLON,
    RULES_TOK_AT,
    RULES_TOK_ASSIGN, /* = */
    /* binary operators, in one block */
    RULES_TOK_ADD,
    RULES_TOK_SUB,
    RULES_TOK_MUL,
    RULES_TOK_DIV,
    RULES_TOK_MOD,
    RULES_TOK_POW,
    RULES_TOK_ATAN2,
    RULES_TOK_EQLC, /* == */
    RULES_TOK_NEQ,
    RULES_TOK_LSS,
    RULES_TOK_LTE,
    RULES_TOK_GTR,
    RULES_TOK_GTE,
    RULES_TOK_LAND,
    RULES_TOK_LOR,
    RULES_TOK_LUNLESS,
    /* label matcher operators (= is ASSIGN) */
    RULES_TOK_EQL_REGEX, /* =~ */
    RULES_TOK_NEQ_REGEX, /* !~ */
    /* other keywords */
    RULES_TOK_BOOL,
    RULES_TOK_BY,
    RULES_TOK_WITHOUT,
    RULES_TOK_ON,
    RULES_TOK_IGNORING,
    RULES_TOK_GROUP_LEFT,
    RULES_TOK_GROUP_RIGHT,
    RULES_TOK_OFFSET,
    RULES_TOK_START, /* start() / end() preprocessors of @ */
    RULES_TOK_END,
    /* aggregation operators, in one block */
    RULES_TOK_SUM,
    RULES_TOK_AVG,
    RULES_TOK_COUNT,
    RULES_TOK_MIN,
    RULES_TOK_MAX,
    RULES_TOK_GROUP,
    RULES_TOK_STDDEV,
    RULES_TOK_STDVAR,
    RULES_TOK_TOPK,
    RULES_TOK_BOTTOMK,
    RULES_TOK_QUANTILE,
    RULES_TOK_COUNT_VALUES,
    RULES_TOK_LIMITK,
    RULES_TOK_LIMIT_RATIO,
} rules_tok_type_t;

typedef struct {
    rules_tok_type_t type;
    uint32_t pos; /* byte offset of the first character */
    uint32_t len; /* bytes in the source */
    double num;
    int64_t ms;
    char *text; /* owned by the lexer: identifiers and decoded strings */
} rules_tok_t;

typedef struct {
    const char *src;
    size_t len;
    size_t pos;
    int brace_depth;
    int bracket_depth;
    char *buf; /* text of the last token */
    size_t bufcap;
    char err[160]; /* why the last token is RULES_TOK_ERROR */
} rules_lex_t;

void rules_lex_init (rules_lex_t *self, const char *src, size_t len);
void rules_lex_fini (rules_lex_t *self);
/* The next token. Its text is valid until the next call. */
rules_tok_t rules_lex_next (rules_lex_t *self);

/* What a token is, for messages ("\"offset\"", "number", "end of input"). */
const char *rules_lex_describe (rules_tok_type_t type);
/* An operator's or keyword's text as written ("+", "and", "sum"). */
const char *rules_lex_op_text (rules_tok_type_t type);
int rules_lex_is_binop (rules_tok_type_t type);
int rules_lex_is_aggregator (rules_tok_type_t type);
/* A keyword a label name may be spelt as (in by(), on(), braces). */
int rules_lex_is_keyword (rules_tok_type_t type);

/* Parses a PromQL duration ("1h30m", "54s321ms": units y w d h m s ms, each
 * once, longest first) into ms. Returns 0 or -1. */
int rules_lex_duration (const char *s, size_t len, int64_t *ms);
/* The same units written back ("1h30m", "0s", "-5m"). Appended. */
void rules_lex_format_duration (int64_t ms, vg_buf_t *out);

#endif
