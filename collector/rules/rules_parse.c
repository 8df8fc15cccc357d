/*  rules_parse.c - a recursive-descent PromQL parser with Prometheus's
 *  precedence and type checks (promql/parser/generated_parser.y, parse.go). */
#include "rules_parse.h"
#include "rules_regex.h"
#include "vg_alloc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deep nesting is refused rather than allowed to exhaust the stack. */
#define S_MAX_DEPTH 200

typedef struct {
    rules_lex_t lex;
    rules_tok_t cur, nxt; /* texts copied: curtext, nxttext */
    char *curtext, *nxttext;
    rules_parse_error_t *err;
    jmp_buf fail;
    int depth;
    rules_node_t **pending; /* nodes to free if parsing fails */
    size_t npending, pendcap;
} s_parser_t;

static void s_fail (s_parser_t *p, uint32_t pos, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4), noreturn));

static void
s_fail (s_parser_t *p, uint32_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end (ap);
    p->err->pos = pos;
    longjmp (p->fail, 1);
}

static void
s_shift (s_parser_t *p)
{
    free (p->curtext);
    p->cur = p->nxt;
    p->curtext = p->nxttext;
    p->cur.text = p->curtext;
    p->nxt = rules_lex_next (&p->lex);
    p->nxttext = p->nxt.text ? vg_strdup (p->nxt.text) : NULL;
    p->nxt.text = p->nxttext;
    if (p->cur.type == RULES_TOK_ERROR)
        s_fail (p, p->cur.pos, "%s", p->curtext ? p->curtext : "bad token");
}

/* Every node made is tracked until the parse succeeds, so a failure frees
 * what was built. */
static rules_node_t *
s_node (s_parser_t *p, rules_node_kind_t kind, uint32_t pos)
{
    rules_node_t *n = vg_calloc (1, sizeof *n);
    n->kind = kind;
    n->pos = pos;
    n->end = pos;
    n->sel_id = -1;
    VG_GROW (p->pending, p->pendcap, p->npending + 1);
    p->pending[p->npending++] = n;
    return n;
}

static const char *
s_what (const rules_tok_t *t)
{
    static __thread char buf[96];
    switch (t->type) {
    case RULES_TOK_IDENT:
    case RULES_TOK_METRIC:
        snprintf (buf, sizeof buf, "identifier \"%.60s\"", t->text ? t->text : "");
        return buf;
    default:
        if (rules_lex_is_keyword (t->type)) {
            snprintf (buf, sizeof buf, "\"%s\"", rules_lex_op_text (t->type));
            return buf;
        }
        return rules_lex_describe (t->type);
    }
}

static void __attribute__ ((noreturn)) s_unexpected (s_parser_t *p, const char *context)
{
    if (context)
        s_fail (p, p->cur.pos, "unexpected %s in %s", s_what (&p->cur), context);
    s_fail (p, p->cur.pos, "unexpected %s", s_what (&p->cur));
}

static void
s_expect (s_parser_t *p, rules_tok_type_t type, const char *context)
{
    if (p->cur.type != type) {
        if (p->cur.type == RULES_TOK_EOF)
            s_fail (p, p->cur.pos, "unexpected end of input in %s, expected %s", context,
                    rules_lex_describe (type));
        s_fail (p, p->cur.pos, "unexpected %s in %s, expected %s", s_what (&p->cur), context,
                rules_lex_describe (type));
    }
}

static int
s_is_comparison (rules_tok_type_t t)
{
    return t >= RULES_TOK_EQLC && t <= RULES_TOK_GTE;
}

static int
s_is_set_op (rules_tok_type_t t)
{
    return t == RULES_TOK_LAND || t == RULES_TOK_LOR || t == RULES_TOK_LUNLESS;
}

static int
s_precedence (rules_tok_type_t t)
{
    switch (t) {
    case RULES_TOK_LOR:
        return 1;
    case RULES_TOK_LAND:
    case RULES_TOK_LUNLESS:
        return 2;
    case RULES_TOK_EQLC:
    case RULES_TOK_NEQ:
    case RULES_TOK_LSS:
    case RULES_TOK_LTE:
    case RULES_TOK_GTR:
    case RULES_TOK_GTE:
        return 3;
    case RULES_TOK_ADD:
    case RULES_TOK_SUB:
        return 4;
    case RULES_TOK_MUL:
    case RULES_TOK_DIV:
    case RULES_TOK_MOD:
    case RULES_TOK_ATAN2:
        return 5;
    case RULES_TOK_POW:
        return 6;
    default:
        return 0;
    }
}

/* A word usable as a label name: an identifier or any keyword. */
static int
s_is_label_word (const rules_tok_t *t)
{
    return t->type == RULES_TOK_IDENT || rules_lex_is_keyword (t->type);
}

static char *
s_word_text (s_parser_t *p)
{
    if (p->cur.type == RULES_TOK_IDENT)
        return vg_strdup (p->curtext);
    /* A keyword as written (its case kept). */
    return vg_strndup (p->lex.src + p->cur.pos, p->cur.len);
}

static int
s_strcmp (const void *a, const void *b)
{
    return strcmp (*(char *const *)a, *(char *const *)b);
}

/* ( label, ... ) with an optional trailing comma; sorted, duplicates kept
 * out. */
static void
s_label_list (s_parser_t *p, const char *context, char ***out, size_t *n)
{
    s_expect (p, RULES_TOK_LPAREN, context);
    s_shift (p);
    size_t cap = 0;
    while (p->cur.type != RULES_TOK_RPAREN) {
        if (!s_is_label_word (&p->cur)) {
            if (p->cur.type == RULES_TOK_METRIC)
                s_fail (p, p->cur.pos, "invalid label name \"%s\" in %s", p->curtext, context);
            s_unexpected (p, context);
        }
        char *name = s_word_text (p);
        int dup = 0;
        for (size_t i = 0; i < *n; i++)
            dup |= strcmp ((*out)[i], name) == 0;
        if (dup)
            free (name);
        else {
            VG_GROW (*out, cap, *n + 1);
            (*out)[(*n)++] = name;
        }
        s_shift (p);
        if (p->cur.type == RULES_TOK_COMMA)
            s_shift (p);
        else if (p->cur.type != RULES_TOK_RPAREN)
            s_unexpected (p, context);
    }
    s_shift (p);
    if (*n > 1)
        qsort (*out, *n, sizeof **out, s_strcmp);
}

static rules_node_t *s_expr (s_parser_t *p, int min_prec);

/* { name op "value", ... } into sel's matchers. */
static void
s_matchers (s_parser_t *p, rules_node_t *sel)
{
    s_shift (p); /* { */
    size_t cap = sel->nmatchers;
    while (p->cur.type != RULES_TOK_RBRACE) {
        if (p->cur.type == RULES_TOK_STRING)
            s_fail (p, p->cur.pos,
                    "quoted label names are not supported (Prometheus 3's UTF-8 "
                    "names): write the name unquoted");
        if (p->cur.type != RULES_TOK_IDENT)
            s_unexpected (p, "label matching");
        uint32_t pos = p->cur.pos;
        char *name = vg_strdup (p->curtext);
        VG_GROW (sel->matchers, cap, sel->nmatchers + 1);
        rules_matcher_t *m = &sel->matchers[sel->nmatchers++];
        memset (m, 0, sizeof *m);
        m->name = name;
        s_shift (p);
        switch (p->cur.type) {
        case RULES_TOK_ASSIGN:
            m->op = RULES_MATCH_EQ;
            break;
        case RULES_TOK_NEQ:
            m->op = RULES_MATCH_NE;
            break;
        case RULES_TOK_EQL_REGEX:
            m->op = RULES_MATCH_RE;
            break;
        case RULES_TOK_NEQ_REGEX:
            m->op = RULES_MATCH_NRE;
            break;
        default:
            s_fail (p, p->cur.pos,
                    "unexpected %s in label matching, expected one of \"=\", "
                    "\"!=\", \"=~\" or \"!~\"",
                    s_what (&p->cur));
        }
        s_shift (p);
        s_expect (p, RULES_TOK_STRING, "label matching");
        m->value = vg_strdup (p->curtext);
        if (m->op == RULES_MATCH_RE || m->op == RULES_MATCH_NRE) {
            char why[160];
            m->re = rules_regex_compile (m->value, why, sizeof why);
            if (!m->re)
                s_fail (p, p->cur.pos, "invalid regular expression \"%.60s\": %s", m->value, why);
            m->md = pcre2_match_data_create_from_pattern (m->re, NULL);
        }
        (void)pos;
        s_shift (p);
        if (p->cur.type == RULES_TOK_COMMA)
            s_shift (p);
        else if (p->cur.type != RULES_TOK_RBRACE)
            s_unexpected (p, "label matching");
    }
    sel->end = p->cur.pos + 1;
    s_shift (p); /* } */
}

static void
s_check_selector (s_parser_t *p, rules_node_t *sel)
{
    if (sel->metric) {
        for (size_t i = 0; i + 1 < sel->nmatchers; i++)
            if (strcmp (sel->matchers[i].name, RULES_NAME_LABEL) == 0)
                s_fail (p, sel->pos, "metric name must not be set twice: \"%s\" or \"%s\"",
                        sel->metric, sel->matchers[i].value);
        return;
    }
    for (size_t i = 0; i < sel->nmatchers; i++)
        if (!rules_matcher_matches (&sel->matchers[i], ""))
            return;
    s_fail (p, sel->pos, "vector selector must contain at least one non-empty matcher");
}

/* A selector starting at the current token (a name or "{"). */
static rules_node_t *
s_selector (s_parser_t *p)
{
    rules_node_t *sel = s_node (p, RULES_N_SELECTOR, p->cur.pos);
    sel->type = RULES_T_VECTOR;
    if (p->cur.type != RULES_TOK_LBRACE) {
        sel->metric = vg_strdup (p->curtext);
        sel->end = p->cur.pos + p->cur.len;
        s_shift (p);
    }
    if (p->cur.type == RULES_TOK_LBRACE)
        s_matchers (p, sel);
    if (sel->metric) {
        /* The name's matcher goes last, as Prometheus puts it. */
        sel->matchers = vg_realloc (sel->matchers, (sel->nmatchers + 1) * sizeof *sel->matchers);
        rules_matcher_t *m = &sel->matchers[sel->nmatchers++];
        memset (m, 0, sizeof *m);
        m->name = vg_strdup (RULES_NAME_LABEL);
        m->value = vg_strdup (sel->metric);
        m->op = RULES_MATCH_EQ;
    }
    s_check_selector (p, sel);
    return sel;
}

/* A duration in a range or offset: a duration token, or a number of
 * seconds (Prometheus 3). */
static int64_t
s_duration (s_parser_t *p, const char *context)
{
    if (p->cur.type == RULES_TOK_DURATION) {
        int64_t ms = p->cur.ms;
        s_shift (p);
        return ms;
    }
    if (p->cur.type == RULES_TOK_NUMBER) {
        double s = p->cur.num;
        if (!isfinite (s) || s < 0 || s > 9.2e15)
            s_fail (p, p->cur.pos, "invalid duration in %s", context);
        s_shift (p);
        return (int64_t)llround (s * 1000);
    }
    if (p->cur.type == RULES_TOK_EOF)
        s_fail (p, p->cur.pos, "unexpected end of input in %s, expected a duration", context);
    s_fail (p, p->cur.pos, "unexpected %s in %s, expected a duration", s_what (&p->cur), context);
}

static rules_node_t *
s_postfix (s_parser_t *p, rules_node_t *n)
{
    for (;;) {
        if (p->cur.type == RULES_TOK_LBRACKET) {
            uint32_t pos = p->cur.pos;
            if (n->kind != RULES_N_SELECTOR) {
                /* Only a subquery can follow anything else. */
                s_shift (p);
                if (p->cur.type == RULES_TOK_DURATION || p->cur.type == RULES_TOK_NUMBER)
                    s_shift (p);
                if (p->cur.type == RULES_TOK_COLON)
                    s_fail (p, pos, "subqueries are not supported");
                s_fail (p, pos, "ranges are only allowed for vector selectors");
            }
            if (n->offset_ms != 0)
                s_fail (p, pos, "the range must come before the offset modifier");
            s_shift (p);
            int64_t range = s_duration (p, "range");
            if (p->cur.type == RULES_TOK_COLON)
                s_fail (p, pos, "subqueries are not supported");
            s_expect (p, RULES_TOK_RBRACKET, "range");
            if (range <= 0)
                s_fail (p, pos, "range must be greater than 0");
            rules_node_t *m = s_node (p, RULES_N_MATRIX, n->pos);
            m->type = RULES_T_MATRIX;
            m->lhs = n;
            m->range_ms = range;
            m->end = p->cur.pos + 1;
            s_shift (p);
            n = m;
        } else if (p->cur.type == RULES_TOK_OFFSET) {
            uint32_t pos = p->cur.pos;
            rules_node_t *sel = n->kind == RULES_N_MATRIX ? n->lhs : n;
            if (sel->kind != RULES_N_SELECTOR)
                s_fail (p, pos,
                        "offset modifier must be preceded by an instant vector selector "
                        "or range vector selector");
            if (sel->offset_ms != 0)
                s_fail (p, pos, "offset may not be set multiple times");
            s_shift (p);
            int neg = 0;
            if (p->cur.type == RULES_TOK_SUB) {
                neg = 1;
                s_shift (p);
            }
            int64_t off = s_duration (p, "offset");
            sel->offset_ms = neg ? -off : off;
            n->end = p->cur.pos;
        } else if (p->cur.type == RULES_TOK_AT) {
            s_fail (p, p->cur.pos, "the @ modifier is not supported");
        } else
            return n;
    }
}

static void
s_expect_type (s_parser_t *p, const rules_node_t *n, rules_type_t want, const char *context)
{
    if (n->type != want)
        s_fail (p, n->pos, "expected type %s in %s, got %s", rules_ast_type_name (want), context,
                rules_ast_type_name (n->type));
}

static void
s_check_label_fn (s_parser_t *p, rules_node_t *call)
{
    for (size_t i = 1; i < call->nargs; i++) {
        if (call->args[i]->kind != RULES_N_STRING)
            s_fail (p, call->args[i]->pos, "expected a string literal in call to \"%s\"",
                    call->func->name);
    }
    const char *dst = call->args[1]->str;
    if (!rules_labels_valid_name (dst))
        s_fail (p, call->args[1]->pos, "invalid destination label name in %s(): %s",
                call->func->name, dst);
    if (call->func->id == RULES_F_LABEL_REPLACE) {
        char why[160];
        /* Anchored with dot matching newline: Prometheus's ^(?s:re)$ */
        call->label_re = rules_regex_compile (call->args[4]->str, why, sizeof why);
        if (!call->label_re)
            s_fail (p, call->args[4]->pos, "invalid regular expression in label_replace(): %s",
                    why);
    } else {
        for (size_t i = 3; i < call->nargs; i++)
            if (!rules_labels_valid_name (call->args[i]->str))
                s_fail (p, call->args[i]->pos, "invalid source label name in label_join(): %s",
                        call->args[i]->str);
    }
}

/* name ( args ): the current token is the name. */
static rules_node_t *
s_call (s_parser_t *p)
{
    uint32_t pos = p->cur.pos;
    const rules_func_t *f = rules_func_find (p->curtext);
    if (!f) {
        if (rules_func_is_known_unsupported (p->curtext))
            s_fail (p, pos, "function \"%s\" is not supported", p->curtext);
        s_fail (p, pos, "unknown function with name \"%s\"", p->curtext);
    }
    rules_node_t *call = s_node (p, RULES_N_CALL, pos);
    call->func = f;
    call->type = f->ret;
    s_shift (p); /* name */
    s_shift (p); /* ( */
    size_t cap = 0;
    while (p->cur.type != RULES_TOK_RPAREN) {
        rules_node_t *arg = s_expr (p, 0);
        VG_GROW (call->args, cap, call->nargs + 1);
        call->args[call->nargs++] = arg;
        if (p->cur.type == RULES_TOK_COMMA)
            s_shift (p);
        else if (p->cur.type != RULES_TOK_RPAREN)
            s_unexpected (p, "function call");
    }
    call->end = p->cur.pos + 1;
    s_shift (p);
    size_t na = call->nargs, want = (size_t)f->nargs;
    if (f->variadic == 0 && na != want)
        s_fail (p, pos, "expected %zu argument(s) in call to \"%s\", got %zu", want, f->name, na);
    if (f->variadic != 0) {
        if (na < want - 1)
            s_fail (p, pos, "expected at least %zu argument(s) in call to \"%s\", got %zu",
                    want - 1, f->name, na);
        if (f->variadic > 0 && na > want - 1 + (size_t)f->variadic)
            s_fail (p, pos, "expected at most %zu argument(s) in call to \"%s\", got %zu",
                    want - 1 + (size_t)f->variadic, f->name, na);
    }
    char context[80];
    snprintf (context, sizeof context, "call to function \"%s\"", f->name);
    for (size_t i = 0; i < na; i++) {
        size_t k = i < want ? i : want - 1;
        s_expect_type (p, call->args[i], f->args[k], context);
    }
    if (f->id == RULES_F_LABEL_REPLACE || f->id == RULES_F_LABEL_JOIN)
        s_check_label_fn (p, call);
    return call;
}

static rules_node_t *
s_aggregate (s_parser_t *p)
{
    rules_tok_type_t op = p->cur.type;
    uint32_t pos = p->cur.pos;
    if (op == RULES_TOK_COUNT_VALUES || op == RULES_TOK_LIMITK || op == RULES_TOK_LIMIT_RATIO)
        s_fail (p, pos, "aggregation \"%s\" is not supported", rules_lex_op_text (op));
    rules_node_t *agg = s_node (p, RULES_N_AGGREGATE, pos);
    agg->op = op;
    agg->type = RULES_T_VECTOR;
    s_shift (p);
    int grouped = 0;
    if (p->cur.type == RULES_TOK_BY || p->cur.type == RULES_TOK_WITHOUT) {
        agg->without = p->cur.type == RULES_TOK_WITHOUT;
        s_shift (p);
        s_label_list (p, "grouping opts", &agg->grouping, &agg->ngrouping);
        grouped = 1;
    }
    s_expect (p, RULES_TOK_LPAREN, "aggregation");
    s_shift (p);
    rules_node_t *args[2] = {NULL, NULL};
    size_t nargs = 0;
    while (p->cur.type != RULES_TOK_RPAREN) {
        rules_node_t *arg = s_expr (p, 0);
        if (nargs < 2)
            args[nargs] = arg;
        nargs++;
        if (p->cur.type == RULES_TOK_COMMA)
            s_shift (p);
        else if (p->cur.type != RULES_TOK_RPAREN)
            s_unexpected (p, "aggregation");
    }
    agg->end = p->cur.pos + 1;
    s_shift (p);
    int has_param = op == RULES_TOK_TOPK || op == RULES_TOK_BOTTOMK || op == RULES_TOK_QUANTILE;
    size_t want = has_param ? 2 : 1;
    if (nargs != want)
        s_fail (p, pos,
                "wrong number of arguments for aggregate expression provided, expected %zu, got "
                "%zu",
                want, nargs);
    if (has_param) {
        agg->rhs = args[0];
        agg->lhs = args[1];
    } else
        agg->lhs = args[0];
    if (!grouped && (p->cur.type == RULES_TOK_BY || p->cur.type == RULES_TOK_WITHOUT)) {
        agg->without = p->cur.type == RULES_TOK_WITHOUT;
        s_shift (p);
        s_label_list (p, "grouping opts", &agg->grouping, &agg->ngrouping);
        agg->end = p->cur.pos;
    }
    s_expect_type (p, agg->lhs, RULES_T_VECTOR, "aggregation expression");
    if (has_param)
        s_expect_type (p, agg->rhs, RULES_T_SCALAR, "aggregation parameter");
    return agg;
}

static rules_node_t *
s_primary (s_parser_t *p)
{
    if (++p->depth > S_MAX_DEPTH)
        s_fail (p, p->cur.pos, "expression nested too deeply (over %d levels)", S_MAX_DEPTH);
    rules_node_t *n = NULL;
    switch (p->cur.type) {
    case RULES_TOK_NUMBER:
        n = s_node (p, RULES_N_NUMBER, p->cur.pos);
        n->type = RULES_T_SCALAR;
        n->num = p->cur.num;
        n->end = p->cur.pos + p->cur.len;
        s_shift (p);
        break;
    case RULES_TOK_STRING:
        n = s_node (p, RULES_N_STRING, p->cur.pos);
        n->type = RULES_T_STRING;
        n->str = vg_strdup (p->curtext);
        n->end = p->cur.pos + p->cur.len;
        s_shift (p);
        break;
    case RULES_TOK_LPAREN: {
        uint32_t pos = p->cur.pos;
        s_shift (p);
        rules_node_t *inner = s_expr (p, 0);
        s_expect (p, RULES_TOK_RPAREN, "parenthesized expression");
        n = s_node (p, RULES_N_PAREN, pos);
        n->lhs = inner;
        n->type = inner->type;
        n->end = p->cur.pos + 1;
        s_shift (p);
        break;
    }
    case RULES_TOK_LBRACE:
        n = s_selector (p);
        break;
    case RULES_TOK_IDENT:
        if (p->nxt.type == RULES_TOK_LPAREN) {
            n = s_call (p);
            break;
        }
        n = s_selector (p);
        break;
    case RULES_TOK_METRIC:
        n = s_selector (p);
        break;
    case RULES_TOK_EOF:
        s_fail (p, p->cur.pos, "unexpected end of input");
    default:
        if (rules_lex_is_aggregator (p->cur.type)) {
            n = s_aggregate (p);
            break;
        }
        s_unexpected (p, NULL);
    }
    n = s_postfix (p, n);
    p->depth--;
    return n;
}

static rules_node_t *
s_unary (s_parser_t *p)
{
    if (p->cur.type != RULES_TOK_ADD && p->cur.type != RULES_TOK_SUB)
        return s_primary (p);
    rules_tok_type_t op = p->cur.type;
    uint32_t pos = p->cur.pos;
    if (++p->depth > S_MAX_DEPTH)
        s_fail (p, pos, "expression nested too deeply (over %d levels)", S_MAX_DEPTH);
    s_shift (p);
    rules_node_t *x = s_expr (p, s_precedence (RULES_TOK_POW));
    p->depth--;
    if (x->type != RULES_T_SCALAR && x->type != RULES_T_VECTOR)
        s_fail (p, pos,
                "unary expression only allowed on expressions of type scalar or instant vector, "
                "got \"%s\"",
                rules_ast_type_name (x->type));
    if (x->kind == RULES_N_NUMBER) {
        if (op == RULES_TOK_SUB)
            x->num = -x->num;
        x->pos = pos;
        return x;
    }
    if (op == RULES_TOK_ADD) {
        x->pos = pos;
        return x;
    }
    rules_node_t *n = s_node (p, RULES_N_UNARY, pos);
    n->op = op;
    n->lhs = x;
    n->type = x->type;
    n->end = x->end;
    return n;
}

/* bool, on/ignoring(...), group_left/right(...) after a binary operator. */
static void
s_modifiers (s_parser_t *p, rules_node_t *b)
{
    if (p->cur.type == RULES_TOK_BOOL) {
        if (!s_is_comparison (b->op))
            s_fail (p, p->cur.pos, "bool modifier can only be used on comparison operators");
        b->return_bool = 1;
        s_shift (p);
    }
    if (p->cur.type == RULES_TOK_ON || p->cur.type == RULES_TOK_IGNORING) {
        b->matching = 1;
        b->on = p->cur.type == RULES_TOK_ON;
        s_shift (p);
        s_label_list (p, "grouping opts", &b->match_labels, &b->nmatch_labels);
        if (p->cur.type == RULES_TOK_GROUP_LEFT || p->cur.type == RULES_TOK_GROUP_RIGHT) {
            if (s_is_set_op (b->op))
                s_fail (p, p->cur.pos, "no grouping allowed for \"%s\" operation",
                        rules_lex_op_text (b->op));
            b->card = p->cur.type == RULES_TOK_GROUP_LEFT ? RULES_CARD_MANY_TO_ONE
                                                          : RULES_CARD_ONE_TO_MANY;
            s_shift (p);
            if (p->cur.type == RULES_TOK_LPAREN)
                s_label_list (p, "grouping opts", &b->include, &b->ninclude);
        }
    } else if (p->cur.type == RULES_TOK_GROUP_LEFT || p->cur.type == RULES_TOK_GROUP_RIGHT) {
        s_unexpected (p, "binary expression (group modifiers need on(...) or ignoring(...) "
                         "first)");
    }
}

static void
s_check_binary (s_parser_t *p, rules_node_t *b, uint32_t oppos)
{
    rules_type_t lt = b->lhs->type, rt = b->rhs->type;
    const char *opname = rules_lex_op_text (b->op);
    if (lt != RULES_T_SCALAR && lt != RULES_T_VECTOR)
        s_fail (p, b->lhs->pos,
                "binary expression must contain only scalar and instant vector "
                "types");
    if (rt != RULES_T_SCALAR && rt != RULES_T_VECTOR)
        s_fail (p, b->rhs->pos,
                "binary expression must contain only scalar and instant vector "
                "types");
    if (s_is_comparison (b->op) && !b->return_bool && lt == RULES_T_SCALAR && rt == RULES_T_SCALAR)
        s_fail (p, oppos, "comparisons between scalars must use BOOL modifier");
    if (s_is_set_op (b->op) && (lt == RULES_T_SCALAR || rt == RULES_T_SCALAR))
        s_fail (p, oppos, "set operator \"%s\" not allowed in binary scalar expression", opname);
    if ((lt != RULES_T_VECTOR || rt != RULES_T_VECTOR) && b->matching) {
        if (b->nmatch_labels > 0 || b->card != RULES_CARD_ONE_TO_ONE)
            s_fail (p, oppos, "vector matching only allowed between instant vectors");
        b->matching = 0;
    }
    if (s_is_set_op (b->op))
        b->card = RULES_CARD_MANY_TO_MANY;
    if (b->on)
        for (size_t i = 0; i < b->nmatch_labels; i++)
            for (size_t k = 0; k < b->ninclude; k++)
                if (strcmp (b->match_labels[i], b->include[k]) == 0)
                    s_fail (p, oppos, "label \"%s\" must not occur in ON and GROUP clause at once",
                            b->include[k]);
    b->type = lt == RULES_T_SCALAR && rt == RULES_T_SCALAR ? RULES_T_SCALAR : RULES_T_VECTOR;
}

static rules_node_t *
s_expr (s_parser_t *p, int min_prec)
{
    if (++p->depth > S_MAX_DEPTH)
        s_fail (p, p->cur.pos, "expression nested too deeply (over %d levels)", S_MAX_DEPTH);
    rules_node_t *lhs = s_unary (p);
    for (;;) {
        rules_tok_type_t op = p->cur.type;
        if (!rules_lex_is_binop (op))
            break;
        int prec = s_precedence (op);
        if (prec < min_prec)
            break;
        uint32_t oppos = p->cur.pos;
        s_shift (p);
        rules_node_t *b = s_node (p, RULES_N_BINARY, lhs->pos);
        b->op = op;
        b->lhs = lhs;
        s_modifiers (p, b);
        b->rhs = s_expr (p, op == RULES_TOK_POW ? prec : prec + 1);
        b->end = b->rhs->end;
        s_check_binary (p, b, oppos);
        lhs = b;
    }
    p->depth--;
    return lhs;
}

static void
s_parser_init (s_parser_t *p, const char *text, size_t len, rules_parse_error_t *err)
{
    memset (p, 0, sizeof *p);
    rules_lex_init (&p->lex, text, len);
    p->err = err;
    memset (err, 0, sizeof *err);
}

static void
s_parser_fini (s_parser_t *p, int failed)
{
    if (failed) {
        /* Children are freed through their parents only once the tree is
         * whole; on failure free each node alone. */
        for (size_t i = 0; i < p->npending; i++) {
            rules_node_t *n = p->pending[i];
            n->lhs = n->rhs = NULL;
            n->nargs = 0;
            rules_ast_destroy (&n);
        }
    }
    free (p->pending);
    free (p->curtext);
    free (p->nxttext);
    rules_lex_fini (&p->lex);
}

rules_node_t *
rules_parse (const char *text, size_t len, rules_parse_error_t *err)
{
    s_parser_t p;
    s_parser_init (&p, text, len, err);
    rules_node_t *volatile root = NULL;
    if (setjmp (p.fail) == 0) {
        /* Prime cur and nxt. */
        p.nxt = rules_lex_next (&p.lex);
        p.nxttext = p.nxt.text ? vg_strdup (p.nxt.text) : NULL;
        s_shift (&p);
        if (p.cur.type == RULES_TOK_EOF)
            s_fail (&p, 0, "no expression found in input");
        root = s_expr (&p, 0);
        if (p.cur.type != RULES_TOK_EOF)
            s_unexpected (&p, NULL);
        s_parser_fini (&p, 0);
        return root;
    }
    s_parser_fini (&p, 1);
    return NULL;
}

rules_labels_t *
rules_parse_series (const char *text, rules_parse_error_t *err)
{
    s_parser_t p;
    s_parser_init (&p, text, strlen (text), err);
    if (setjmp (p.fail) == 0) {
        p.nxt = rules_lex_next (&p.lex);
        p.nxttext = p.nxt.text ? vg_strdup (p.nxt.text) : NULL;
        s_shift (&p);
        if (p.cur.type != RULES_TOK_IDENT && p.cur.type != RULES_TOK_METRIC &&
            p.cur.type != RULES_TOK_LBRACE && !rules_lex_is_keyword (p.cur.type))
            s_unexpected (&p, "series description");
        rules_node_t *sel = s_node (&p, RULES_N_SELECTOR, p.cur.pos);
        if (p.cur.type != RULES_TOK_LBRACE) {
            sel->metric = s_word_text (&p);
            s_shift (&p);
        }
        if (p.cur.type == RULES_TOK_LBRACE)
            s_matchers (&p, sel);
        if (p.cur.type != RULES_TOK_EOF)
            s_unexpected (&p, "series description");
        for (size_t i = 0; i < sel->nmatchers; i++)
            if (sel->matchers[i].op != RULES_MATCH_EQ)
                s_fail (&p, 0,
                        "series description: only = is allowed between a label and its "
                        "value");
        vg_label_t *items = vg_calloc (sel->nmatchers + 1, sizeof *items);
        size_t n = 0;
        for (size_t i = 0; i < sel->nmatchers; i++)
            items[n++] = (vg_label_t){sel->matchers[i].name, sel->matchers[i].value};
        if (sel->metric)
            items[n++] = (vg_label_t){RULES_NAME_LABEL, sel->metric};
        rules_labels_t *labels = rules_labels_dup (items, n);
        free (items);
        s_parser_fini (&p, 1); /* frees sel */
        return labels;
    }
    s_parser_fini (&p, 1);
    return NULL;
}
