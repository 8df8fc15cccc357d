/*  fuzz_rules.c - libFuzzer target for the rule-file and PromQL parsers.
 *
 *  The first byte picks what the rest is: a rule file (loaded, and every
 *  rule evaluated once over a few series), an expression (parsed, printed,
 *  the printed form parsed again, and evaluated), a template (compiled and
 *  expanded), or a series description with promtool's expanding notation.
 */
#include "rules_exec.h"
#include "rules_file.h"
#include "rules_mem.h"
#include "rules_parse.h"
#include "rules_tmpl.h"
#include "rules_values.h"
#include "vg_alloc.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static rules_mem_t *
s_store (void)
{
    rules_mem_t *mem = rules_mem_new (1000);
    static const char *const series[] = {"up{host=\"a\", job=\"api\"}", "x_bucket{le=\"0.5\"}",
                                         "x_bucket{le=\"+Inf\"}", "errors_total{code=\"500\"}"};
    for (size_t i = 0; i < sizeof series / sizeof *series; i++) {
        rules_parse_error_t err;
        rules_labels_t *l = rules_parse_series (series[i], &err);
        rules_mem_series_t *s = rules_mem_series (mem, l, 0, 0);
        for (int k = 0; k < 12; k++)
            rules_mem_add (mem, s, k * 30000, (double)(k * (int)(i + 1)));
        free (l);
    }
    return mem;
}

static void
s_expression (const char *text, size_t len)
{
    rules_parse_error_t err;
    rules_node_t *n = rules_parse (text, len, &err);
    if (!n)
        return;
    vg_buf_t b = {0};
    rules_ast_format (n, &b);
    /* What is printed parses again, to the same text. */
    rules_node_t *again = rules_parse (b.data, b.len, &err);
    if (!again)
        abort ();
    vg_buf_t b2 = {0};
    rules_ast_format (again, &b2);
    if (strcmp (b.data, b2.data) != 0)
        abort ();
    rules_mem_t *mem = s_store ();
    rules_arena_t *arena = rules_arena_new ();
    rules_value_t v;
    char why[256];
    rules_eval (n, rules_mem_source (mem), 300000, arena, &v, why, sizeof why);
    rules_arena_destroy (&arena);
    rules_mem_destroy (&mem);
    vg_buf_free (&b);
    vg_buf_free (&b2);
    rules_ast_destroy (&again);
    rules_ast_destroy (&n);
}

static void
s_rule_file (const char *text)
{
    vg_buf_t errs = {0};
    rules_set_t *set = rules_file_parse ("fuzz.yml", text, &errs);
    vg_buf_free (&errs);
    if (!set)
        return;
    rules_mem_t *mem = s_store ();
    rules_exec_t *exec = rules_exec_new (set, mem, NULL, NULL);
    rules_exec_watch (exec);
    rules_transitions_t tr = {0};
    char why[256];
    for (int64_t t = 0; t <= 120000; t += 60000)
        for (size_t g = 0; g < set->ngroups; g++)
            for (size_t r = 0; r < set->groups[g].nrules; r++)
                rules_exec_rule (exec, g, r, t, &tr, why, sizeof why);
    rules_transitions_free (&tr);
    rules_exec_destroy (&exec);
    rules_mem_destroy (&mem);
    rules_set_destroy (&set);
}

static void
s_template (const char *text)
{
    char err[256];
    rules_tmpl_t *t = rules_tmpl_new (text, err, sizeof err, NULL);
    if (!t)
        return;
    vg_label_t items[] = {{"__name__", "up"}, {"host", "a"}};
    rules_labels_t *l = rules_labels_dup (items, 2);
    rules_tmpl_data_t data = {.labels = l, .value = 1234.5, .external_url = "http://x"};
    vg_buf_t out = {0};
    rules_tmpl_expand (t, &data, &out);
    vg_buf_free (&out);
    free (l);
    rules_tmpl_destroy (&t);
}

static void
s_series (const char *text)
{
    rules_parse_error_t err;
    rules_labels_t *l = rules_parse_series (text, &err);
    free (l);
    rules_seqval_t *v;
    size_t n;
    char why[256];
    if (rules_values_parse (text, 10000, &v, &n, why, sizeof why) == 0)
        free (v);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = vg_strndup ((const char *)data + 1, size - 1);
    size_t len = strlen (text);
    switch (data[0] % 4) {
    case 0:
        s_rule_file (text);
        break;
    case 1:
        s_expression (text, len);
        break;
    case 2:
        s_template (text);
        break;
    default:
        s_series (text);
        break;
    }
    free (text);
    return 0;
}
