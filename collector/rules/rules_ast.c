/*  rules_ast.c - freeing, walking and printing expression trees, and label
 *  matching. */
#include "rules_ast.h"
#include "rules_fmt.h"
#include "rules_labels.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

int
rules_matcher_matches (const rules_matcher_t *m, const char *value)
{
    if (!value)
        value = "";
    switch (m->op) {
    case RULES_MATCH_EQ:
        return strcmp (m->value, value) == 0;
    case RULES_MATCH_NE:
        return strcmp (m->value, value) != 0;
    case RULES_MATCH_RE:
    case RULES_MATCH_NRE: {
        int rc = pcre2_match ((pcre2_code *)m->re, (PCRE2_SPTR)value, strlen (value), 0, 0,
                              (pcre2_match_data *)m->md, NULL);
        return (rc >= 0) == (m->op == RULES_MATCH_RE);
    }
    }
    return 0;
}

static void
s_free_list (char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free (items[i]);
    free (items);
}

void
rules_ast_destroy (rules_node_t **node_p)
{
    if (!node_p || !*node_p)
        return;
    rules_node_t *n = *node_p;
    free (n->str);
    free (n->metric);
    for (size_t i = 0; i < n->nmatchers; i++) {
        free (n->matchers[i].name);
        free (n->matchers[i].value);
        if (n->matchers[i].md)
            pcre2_match_data_free (n->matchers[i].md);
        if (n->matchers[i].re)
            pcre2_code_free (n->matchers[i].re);
    }
    free (n->matchers);
    rules_ast_destroy (&n->lhs);
    rules_ast_destroy (&n->rhs);
    s_free_list (n->match_labels, n->nmatch_labels);
    s_free_list (n->include, n->ninclude);
    for (size_t i = 0; i < n->nargs; i++)
        rules_ast_destroy (&n->args[i]);
    free (n->args);
    if (n->label_re)
        pcre2_code_free (n->label_re);
    s_free_list (n->grouping, n->ngrouping);
    free (n);
    *node_p = NULL;
}

void
rules_ast_walk_selectors (rules_node_t *node, void (*fn) (rules_node_t *sel, void *arg), void *arg)
{
    if (!node)
        return;
    if (node->kind == RULES_N_SELECTOR) {
        fn (node, arg);
        return;
    }
    rules_ast_walk_selectors (node->lhs, fn, arg);
    rules_ast_walk_selectors (node->rhs, fn, arg);
    for (size_t i = 0; i < node->nargs; i++)
        rules_ast_walk_selectors (node->args[i], fn, arg);
}

const char *
rules_ast_type_name (rules_type_t type)
{
    switch (type) {
    case RULES_T_SCALAR:
        return "scalar";
    case RULES_T_VECTOR:
        return "instant vector";
    case RULES_T_MATRIX:
        return "range vector";
    case RULES_T_STRING:
        return "string";
    }
    return "?";
}

void
rules_ast_format_duration (int64_t ms, vg_buf_t *out)
{
    rules_lex_format_duration (ms, out);
}

static void
s_label_list (char *const *items, size_t n, vg_buf_t *out)
{
    vg_buf_append (out, "(", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            vg_buf_puts (out, ", ");
        vg_buf_puts (out, items[i]);
    }
    vg_buf_append (out, ")", 1);
}

static void
s_format_selector (const rules_node_t *n, vg_buf_t *out)
{
    if (n->metric)
        vg_buf_puts (out, n->metric);
    size_t shown = 0;
    for (size_t i = 0; i < n->nmatchers; i++) {
        const rules_matcher_t *m = &n->matchers[i];
        if (n->metric && m->op == RULES_MATCH_EQ && strcmp (m->name, RULES_NAME_LABEL) == 0 &&
            strcmp (m->value, n->metric) == 0)
            continue;
        vg_buf_puts (out, shown ? ", " : "{");
        shown++;
        static const char *const ops[] = {"=", "!=", "=~", "!~"};
        vg_buf_puts (out, m->name);
        vg_buf_puts (out, ops[m->op]);
        rules_labels_quote (m->value, out);
    }
    if (shown)
        vg_buf_append (out, "}", 1);
    else if (!n->metric)
        vg_buf_puts (out, "{}");
}

static void
s_format_offset (const rules_node_t *sel, vg_buf_t *out)
{
    if (sel->offset_ms == 0)
        return;
    vg_buf_puts (out, " offset ");
    rules_ast_format_duration (sel->offset_ms, out);
}

void
rules_ast_format (const rules_node_t *n, vg_buf_t *out)
{
    switch (n->kind) {
    case RULES_N_NUMBER:
        rules_fmt_float (n->num, out);
        break;
    case RULES_N_STRING:
        rules_labels_quote (n->str, out);
        break;
    case RULES_N_SELECTOR:
        s_format_selector (n, out);
        s_format_offset (n, out);
        break;
    case RULES_N_MATRIX:
        s_format_selector (n->lhs, out);
        vg_buf_append (out, "[", 1);
        rules_ast_format_duration (n->range_ms, out);
        vg_buf_append (out, "]", 1);
        s_format_offset (n->lhs, out);
        break;
    case RULES_N_PAREN:
        vg_buf_append (out, "(", 1);
        rules_ast_format (n->lhs, out);
        vg_buf_append (out, ")", 1);
        break;
    case RULES_N_UNARY:
        vg_buf_append (out, "-", 1);
        rules_ast_format (n->lhs, out);
        break;
    case RULES_N_BINARY:
        rules_ast_format (n->lhs, out);
        vg_buf_append (out, " ", 1);
        vg_buf_puts (out, rules_lex_op_text (n->op));
        if (n->return_bool)
            vg_buf_puts (out, " bool");
        if (n->matching) {
            vg_buf_puts (out, n->on ? " on" : " ignoring");
            s_label_list (n->match_labels, n->nmatch_labels, out);
        }
        if (n->card == RULES_CARD_MANY_TO_ONE || n->card == RULES_CARD_ONE_TO_MANY) {
            vg_buf_puts (out, n->card == RULES_CARD_MANY_TO_ONE ? " group_left" : " group_right");
            if (n->ninclude)
                s_label_list (n->include, n->ninclude, out);
        }
        vg_buf_append (out, " ", 1);
        rules_ast_format (n->rhs, out);
        break;
    case RULES_N_CALL:
        vg_buf_puts (out, n->func->name);
        vg_buf_append (out, "(", 1);
        for (size_t i = 0; i < n->nargs; i++) {
            if (i)
                vg_buf_puts (out, ", ");
            rules_ast_format (n->args[i], out);
        }
        vg_buf_append (out, ")", 1);
        break;
    case RULES_N_AGGREGATE:
        vg_buf_puts (out, rules_lex_op_text (n->op));
        if (n->without || n->ngrouping) {
            vg_buf_puts (out, n->without ? " without " : " by ");
            s_label_list (n->grouping, n->ngrouping, out);
            vg_buf_append (out, " ", 1);
        }
        vg_buf_append (out, "(", 1);
        if (n->rhs) {
            rules_ast_format (n->rhs, out);
            vg_buf_puts (out, ", ");
        }
        rules_ast_format (n->lhs, out);
        vg_buf_append (out, ")", 1);
        break;
    }
    if (out->data)
        out->data[out->len] = '\0';
}
