/*  test_rules_file.c - rule files load as Prometheus reads them and every
 *  error names file:line:column; templates expand as Prometheus's do (Go's
 *  number formatting and the humanize helpers). */
#include "rules_file.h"
#include "rules_fmt.h"
#include "rules_tmpl.h"
#include "test_assert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_fmt (double v, const char *expected)
{
    vg_buf_t b = {0};
    rules_fmt_float (v, &b);
    if (strcmp (b.data, expected) != 0)
        TEST_FAIL ("%.17g printed as \"%s\", expected \"%s\"", v, b.data, expected);
    vg_buf_free (&b);
}

static void
s_go_formatting (void)
{
    s_fmt (0.5, "0.5");
    s_fmt (100, "100");
    s_fmt (123456, "123456");
    s_fmt (1234567, "1.234567e+06");
    s_fmt (1e6, "1e+06");
    s_fmt (0.0001, "0.0001");
    s_fmt (0.00001, "1e-05");
    s_fmt (-2.5, "-2.5");
    s_fmt (0.1 + 0.2, "0.30000000000000004");
    s_fmt (1e21, "1e+21");
    s_fmt (NAN, "NaN");
    s_fmt (INFINITY, "+Inf");
    s_fmt (-INFINITY, "-Inf");
    s_fmt (0, "0");
}

static const char *
s_expand (const char *text, double value)
{
    static char out[512];
    char err[256];
    rules_tmpl_t *t = rules_tmpl_new (text, err, sizeof err, NULL);
    if (!t)
        TEST_FAIL ("template \"%s\": %s", text, err);
    vg_label_t items[] = {{"__name__", "http_up"}, {"instance", "web:8000"}, {"job", "api"}};
    rules_labels_t *l = rules_labels_dup (items, 3);
    vg_label_t ext[] = {{"cluster", "eu1"}};
    rules_labels_t *el = rules_labels_dup (ext, 1);
    rules_tmpl_data_t data = {
        .labels = l, .value = value, .external_labels = el, .external_url = "http://vigil.example"};
    vg_buf_t b = {0};
    rules_tmpl_expand (t, &data, &b);
    snprintf (out, sizeof out, "%s", b.data ? b.data : "");
    vg_buf_free (&b);
    free (l);
    free (el);
    rules_tmpl_destroy (&t);
    return out;
}

static void
s_templates (void)
{
    ASSERT_STR_EQ (s_expand ("plain text", 1), "plain text");
    ASSERT_STR_EQ (s_expand ("{{ $value }}", 0.5), "0.5");
    ASSERT_STR_EQ (s_expand ("{{ $value }}", 1234567), "1.234567e+06");
    ASSERT_STR_EQ (s_expand ("{{.Value}}", 3), "3");
    ASSERT_STR_EQ (s_expand ("{{ $labels.instance }} down", 0), "web:8000 down");
    ASSERT_STR_EQ (s_expand ("{{ .Labels.job }}/{{ $labels.missing }}/", 0), "api//");
    ASSERT_STR_EQ (s_expand ("{{ $labels.__name__ }}", 0), "http_up");
    ASSERT_STR_EQ (s_expand ("{{ index $labels \"job\" }}", 0), "api");
    ASSERT_STR_EQ (s_expand ("{{ $externalLabels.cluster }} {{ $externalURL }}", 0),
                   "eu1 http://vigil.example");
    ASSERT_STR_EQ (s_expand ("{{ humanize $value }}", 1234567), "1.235M");
    ASSERT_STR_EQ (s_expand ("{{ humanize $value }}", 0.0012), "1.2m");
    ASSERT_STR_EQ (s_expand ("{{ humanize $value }}", 999), "999");
    ASSERT_STR_EQ (s_expand ("{{ humanize $value }}", 0), "0");
    ASSERT_STR_EQ (s_expand ("{{ humanize $value }}", 1e30), "1e+06Y");
    ASSERT_STR_EQ (s_expand ("{{ $value | humanize }}", 2048), "2.048k");
    ASSERT_STR_EQ (s_expand ("{{ humanize1024 $value }}", 1536), "1.5ki");
    ASSERT_STR_EQ (s_expand ("{{ humanize1024 $value }}", 1073741824), "1Gi");
    ASSERT_STR_EQ (s_expand ("{{ humanizeDuration $value }}", 90061), "1d 1h 1m 1s");
    ASSERT_STR_EQ (s_expand ("{{ humanizeDuration $value }}", 65), "1m 5s");
    ASSERT_STR_EQ (s_expand ("{{ humanizeDuration $value }}", 3.5), "3.5s");
    ASSERT_STR_EQ (s_expand ("{{ humanizeDuration $value }}", 0.05), "50ms");
    ASSERT_STR_EQ (s_expand ("{{ humanizeDuration $value }}", 0), "0s");
    ASSERT_STR_EQ (s_expand ("{{ humanizeDuration $value }}", -3700), "-1h 1m 40s");
    ASSERT_STR_EQ (s_expand ("{{ humanizePercentage $value }}", 0.1234), "12.34%");
    ASSERT_STR_EQ (s_expand ("{{ $value | humanizePercentage }}", 0.05), "5%");
    ASSERT_STR_EQ (s_expand ("{{ humanize \"1500\" }}", 0), "1.5k");
    ASSERT_STR_EQ (s_expand ("{{ printf \"%.2f\" $value }}", 3.14159), "3.14");
    ASSERT_STR_EQ (s_expand ("{{ printf \"%s=%v\" $labels.job $value }}", 2), "api=2");
    ASSERT_STR_EQ (s_expand ("{{ printf \"%5.1f|%-4s|\" $value \"ab\" }}", 2.25), "  2.2|ab  |");
    ASSERT_STR_EQ (s_expand ("{{ $labels.job | toUpper }}", 0), "API");
    ASSERT_STR_EQ (s_expand ("a  {{- 1 -}}  b", 0), "a1b");
    ASSERT_STR_EQ (s_expand ("a {{/* note */}}b", 0), "a b");
    ASSERT_STR_EQ (s_expand ("{{ (humanize $value) }}", 1000), "1k");
    /* Expansion errors are written into the text, as Prometheus does. */
    ASSERT_STR_CONTAINS (s_expand ("x {{ humanize \"abc\" }}", 0),
                         "<error expanding template: strconv.ParseFloat: parsing \"abc\"");
    ASSERT_STR_CONTAINS (s_expand ("{{ $value.Foo }}", 0),
                         "<error expanding template: can't evaluate field Foo in type float64>");
    /* What is refused when compiled. */
    char err[256];
    size_t pos = 0;
    ASSERT (!rules_tmpl_new ("a {{ if $value }}x{{ end }}", err, sizeof err, &pos));
    ASSERT_STR_CONTAINS (err, "template action \"if\" is not supported");
    ASSERT_EQ (pos, 5);
    ASSERT (!rules_tmpl_new ("{{ $foo }}", err, sizeof err, &pos));
    ASSERT_STR_CONTAINS (err, "undefined variable \"$foo\"");
    ASSERT (!rules_tmpl_new ("{{ query \"up\" }}", err, sizeof err, &pos));
    ASSERT_STR_CONTAINS (err, "function \"query\" not defined");
    ASSERT (!rules_tmpl_new ("{{ $x := 1 }}", err, sizeof err, &pos));
    ASSERT (!rules_tmpl_new ("{{ humanize }}", err, sizeof err, &pos));
    ASSERT_STR_CONTAINS (err, "wrong number of args for humanize");
    ASSERT (!rules_tmpl_new ("{{ $value", err, sizeof err, &pos));
    ASSERT_STR_CONTAINS (err, "unclosed action");
    ASSERT (!rules_tmpl_new ("{{ $value $value }}", err, sizeof err, &pos));
    ASSERT_STR_CONTAINS (err, "can't give argument to non-function");
}

/* Expects the document to fail with an error containing what at line:col. */
static void
s_file_err (const char *yaml, const char *where, const char *what)
{
    vg_buf_t errs = {0};
    rules_set_t *set = rules_file_parse ("rules.yml", yaml, &errs);
    if (set)
        TEST_FAIL ("loaded, expected \"%s\"", what);
    char needle[64];
    snprintf (needle, sizeof needle, "rules.yml:%s: ", where);
    if (!errs.data || !strstr (errs.data, needle) || !strstr (errs.data, what))
        TEST_FAIL ("errors \"%s\" lack \"%s\" ... \"%s\"", errs.data ? errs.data : "", needle,
                   what);
    vg_buf_free (&errs);
}

static void
s_files (void)
{
    const char *good = "groups:\n"
                       "  - name: api\n"
                       "    interval: 30s\n"
                       "    limit: 10\n"
                       "    labels: {team: web, severity: info}\n"
                       "    rules:\n"
                       "      - record: job:errors:rate5m\n"
                       "        expr: sum by (job) (rate(errors_total[5m]))\n"
                       "      - alert: HighErrors\n"
                       "        expr: |\n"
                       "          job:errors:rate5m > 0.05\n"
                       "        for: 5m\n"
                       "        keep_firing_for: 10m\n"
                       "        labels:\n"
                       "          severity: critical\n"
                       "        annotations:\n"
                       "          summary: 'Errors at {{ humanizePercentage $value }}'\n"
                       "  - name: empty\n"
                       "    rules: []\n";
    vg_buf_t errs = {0};
    rules_set_t *set = rules_file_parse ("rules.yml", good, &errs);
    if (!set)
        TEST_FAIL ("%s", errs.data);
    ASSERT_EQ (set->ngroups, 2);
    rules_group_t *g = &set->groups[0];
    ASSERT_STR_EQ (g->name, "api");
    ASSERT_EQ (g->interval_ms, 30000);
    ASSERT_EQ (g->limit, 10);
    ASSERT_EQ (g->nrules, 2);
    ASSERT (!g->rules[0].is_alert);
    ASSERT_STR_EQ (g->rules[0].name, "job:errors:rate5m");
    /* the group's labels are added, the rule's own win */
    ASSERT_EQ (g->rules[0].nlabels, 2);
    rules_rule_t *r = &g->rules[1];
    ASSERT (r->is_alert);
    ASSERT_STR_EQ (r->name, "HighErrors");
    ASSERT_EQ (r->for_ms, 300000);
    ASSERT_EQ (r->keep_firing_for_ms, 600000);
    ASSERT_EQ (r->nlabels, 2);
    ASSERT_STR_EQ (r->labels[0].key, "severity");
    ASSERT_STR_EQ (r->labels[0].value, "critical");
    ASSERT_STR_EQ (r->labels[1].key, "team");
    ASSERT_EQ (r->line, 9);
    size_t alerts, records;
    ASSERT_EQ (rules_set_count (set, &alerts, &records), 2);
    ASSERT_EQ (alerts, 1);
    rules_set_destroy (&set);

    /* An empty file has no groups. */
    set = rules_file_parse ("rules.yml", "", &errs);
    ASSERT (set);
    ASSERT_EQ (set->ngroups, 0);
    rules_set_destroy (&set);

    /* Errors point inside expressions, in every YAML style. */
    s_file_err ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: rate(x[5m] @ 1)\n", "5:22",
                "group \"g\", rule 1 (A): expr: the @ modifier is not supported");
    s_file_err (
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: \"holt_winters(x[5m], 1, 1)\"\n",
        "5:12", "function \"holt_winters\" is not supported");
    s_file_err (
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: |\n      sum(x)\n        / foo(y)\n",
        "7:11", "unknown function with name \"foo\"");
    s_file_err ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: >\n      sum(x) /\n      "
                "rate(y[5m:1m])\n",
                "7:13", "subqueries are not supported");
    s_file_err ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: 'x{a=''b''} + sum(x'\n",
                "5:30", "unexpected end of input");
    s_file_err ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x > 1\n    annotations:\n"
                "      summary: '{{ if $value }}hi{{ end }}'\n",
                "7:20", "template action \"if\" is not supported");
    /* Structure. */
    s_file_err ("groups:\n- name: g\n  rules:\n  - expr: x\n", "4:5",
                "one of 'record' or 'alert' must be set");
    s_file_err ("groups:\n- name: g\n  rules:\n  - alert: A\n    record: b\n    expr: x\n", "5:13",
                "only one of 'record' and 'alert' must be set");
    s_file_err ("groups:\n- name: g\n  rules:\n  - alert: A\n", "4:5", "field 'expr' must be set");
    s_file_err ("groups:\n- name: g\n  rules:\n  - record: a-b\n    expr: x\n", "4:13",
                "invalid recording rule name: a-b");
    s_file_err ("groups:\n- name: g\n  rules:\n  - record: r\n    expr: x\n    for: 5m\n", "6:10",
                "invalid field 'for' in recording rule");
    s_file_err ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x\n    for: 5x\n", "6:10",
                "not a valid duration string: \"5x\"");
    s_file_err (
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x\n    labels: {__name__: y}\n",
        "6:14", "invalid label name: __name__");
    s_file_err ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x\n    severity: page\n",
                "6:5", "unknown field \"severity\"");
    s_file_err ("groups:\n- name: g\n  query_offset: 1m\n  rules: []\n", "3:3",
                "query_offset is not supported");
    s_file_err ("groups:\n- name: g\n  rules: []\n- name: g\n  rules: []\n", "4:9",
                "groupname: \"g\" is repeated in the same file");
    s_file_err ("groups:\n- rules: []\n", "2:3", "Groupname must not be empty");
    s_file_err ("groups:\n- name: g\n  limit: -1\n", "3:10", "limit: expected a whole number");
    s_file_err ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x[5m]\n", "5:11",
                "must give an instant vector or a scalar, not a range vector");
    s_file_err ("groups: [\n", "2", "");
    s_file_err ("- a\n", "1:1", "expected a mapping with a \"groups:\" list");

    /* At most 100 errors a file, then a line that says so. */
    vg_buf_t many = {0};
    vg_buf_puts (&many, "groups:\n- name: g\n  rules:\n");
    for (int i = 0; i < 150; i++)
        vg_buf_printf (&many, "  - alert: A%d\n    expr: foo(x)\n", i);
    set = rules_file_parse ("rules.yml", many.data, &errs);
    ASSERT (!set);
    int lines = 0;
    for (const char *p = errs.data; (p = strchr (p, '\n')); p++)
        lines++;
    ASSERT_EQ (lines, 101);
    ASSERT_STR_CONTAINS (errs.data, "rules.yml: too many errors, the rest are not shown");
    vg_buf_free (&many);
    vg_buf_free (&errs);

    /* Every error is reported, not only the first. */
    set = rules_file_parse ("rules.yml",
                            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: foo(\n"
                            "  - alert: B\n    expr: x +\n",
                            &errs);
    ASSERT (!set);
    ASSERT_STR_CONTAINS (errs.data, "rules.yml:5:11:");
    ASSERT_STR_CONTAINS (errs.data, "rules.yml:7:14:");
    vg_buf_free (&errs);
}

int
main (void)
{
    s_go_formatting ();
    s_templates ();
    s_files ();
    printf ("test_rules_file: ok\n");
    return 0;
}
