/*  test_rules_parse.c - the PromQL parser: every construct of the subset
 *  parses to the tree Prometheus would build (checked through its printed
 *  form and type), and every refusal names what is wrong and where. */
#include "rules_lex.h"
#include "rules_parse.h"
#include "rules_values.h"
#include "test_assert.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses text; expects success, the printed form and the type. */
static void
s_ok (const char *text, const char *printed, rules_type_t type)
{
    rules_parse_error_t err;
    rules_node_t *n = rules_parse (text, strlen (text), &err);
    if (!n)
        TEST_FAIL ("parse of \"%s\" failed at %u: %s", text, err.pos, err.msg);
    vg_buf_t b = {0};
    rules_ast_format (n, &b);
    if (strcmp (b.data, printed) != 0)
        TEST_FAIL ("\"%s\" printed as \"%s\", expected \"%s\"", text, b.data, printed);
    if (n->type != type)
        TEST_FAIL ("\"%s\" has type %s, expected %s", text, rules_ast_type_name (n->type),
                   rules_ast_type_name (type));
    vg_buf_free (&b);
    rules_ast_destroy (&n);
}

/* Expects a parse error at byte pos whose message contains what. */
static void
s_err (const char *text, unsigned pos, const char *what)
{
    rules_parse_error_t err;
    rules_node_t *n = rules_parse (text, strlen (text), &err);
    if (n)
        TEST_FAIL ("\"%s\" parsed, expected an error (%s)", text, what);
    if (err.pos != pos || !strstr (err.msg, what))
        TEST_FAIL ("\"%s\": error at %u \"%s\", expected at %u containing \"%s\"", text, err.pos,
                   err.msg, pos, what);
}

#define V RULES_T_VECTOR
#define S RULES_T_SCALAR
#define M RULES_T_MATRIX

static void
s_constructs (void)
{
    /* literals */
    s_ok ("1", "1", S);
    s_ok ("1.5e3", "1500", S);
    s_ok ("0x1F", "31", S);
    s_ok ("1_000_000", "1e+06", S);
    s_ok ("Inf", "+Inf", S);
    s_ok ("-inf", "-Inf", S);
    s_ok ("NaN", "NaN", S);
    s_ok (".5", "0.5", S);
    s_ok ("\"a\\\"b\"", "\"a\\\"b\"", RULES_T_STRING);
    s_ok ("'single'", "\"single\"", RULES_T_STRING);
    s_ok ("`raw\\n`", "\"raw\\\\n\"", RULES_T_STRING);
    /* selectors */
    s_ok ("up", "up", V);
    s_ok ("job:errors:rate5m", "job:errors:rate5m", V);
    s_ok ("up{job=\"api\", env!=\"dev\", path=~\"/a.*\", code!~\"2..\"}",
          "up{job=\"api\", env!=\"dev\", path=~\"/a.*\", code!~\"2..\"}", V);
    s_ok ("{__name__=\"up\"}", "{__name__=\"up\"}", V);
    s_ok ("up{}", "up", V);
    s_ok ("up{job=\"a\",}", "up{job=\"a\"}", V);
    s_ok ("x{on=\"1\", sum=\"2\"}", "x{on=\"1\", sum=\"2\"}", V);
    s_ok ("up offset 5m", "up offset 5m", V);
    s_ok ("up offset -1h30m", "up offset -1h30m", V);
    s_ok ("x[5m]", "x[5m]", M);
    s_ok ("x[90s] offset 1w", "x[1m30s] offset 1w", M);
    s_ok ("x[300]", "x[5m]", M);
    s_ok ("x[1y]", "x[1y]", M);
    s_ok ("x # comment\n", "x", V);
    /* operators and precedence */
    s_ok ("a + b * c", "a + b * c", V);
    s_ok ("(a + b) * c", "(a + b) * c", V);
    s_ok ("-x ^ 2", "-x ^ 2", V);
    s_ok ("2 ^ 3 ^ 2", "2 ^ 3 ^ 2", S);
    s_ok ("a % b atan2 c", "a % b atan2 c", V);
    s_ok ("a or b and c unless d", "a or b and c unless d", V);
    s_ok ("a > 0.5", "a > 0.5", V);
    s_ok ("1 > bool 2", "1 > bool 2", S);
    s_ok ("a == bool b", "a == bool b", V);
    s_ok ("a / on(service) b", "a / on(service) b", V);
    s_ok ("a / ignoring(code) b", "a / ignoring(code) b", V);
    s_ok ("a * on(x, y) group_left(z) b", "a * on(x, y) group_left(z) b", V);
    s_ok ("a * on() group_right b", "a * on() group_right b", V);
    s_ok ("a and on(x) b", "a and on(x) b", V);
    s_ok ("a AND b", "a and b", V);
    s_ok ("+x", "x", V);
    s_ok ("-1", "-1", S);
    s_ok ("- - 1", "1", S);
    /* aggregations */
    s_ok ("sum(x)", "sum(x)", V);
    s_ok ("sum by (a, b) (x)", "sum by (a, b) (x)", V);
    s_ok ("sum(x) by (b, a)", "sum by (a, b) (x)", V);
    s_ok ("avg without (instance) (x)", "avg without (instance) (x)", V);
    s_ok ("max by () (x)", "max(x)", V);
    s_ok ("count(x)", "count(x)", V);
    s_ok ("min(x)", "min(x)", V);
    s_ok ("stddev(x)", "stddev(x)", V);
    s_ok ("stdvar(x)", "stdvar(x)", V);
    s_ok ("group(x)", "group(x)", V);
    s_ok ("topk(3, x)", "topk(3, x)", V);
    s_ok ("bottomk by (a) (1 + 1, x)", "bottomk by (a) (1 + 1, x)", V);
    s_ok ("quantile(0.9, x)", "quantile(0.9, x)", V);
    s_ok ("sum by (on, group_left) (x)", "sum by (group_left, on) (x)", V);
    /* functions */
    const char *vector_fns[] = {"abs",          "ceil",          "floor",  "round", "sgn",
                                "sqrt",         "exp",           "ln",     "log2",  "log10",
                                "absent",       "timestamp",     "minute", "hour",  "day_of_week",
                                "day_of_month", "days_in_month", "month",  "year"};
    for (size_t i = 0; i < sizeof vector_fns / sizeof *vector_fns; i++) {
        char in[64];
        snprintf (in, sizeof in, "%s(x)", vector_fns[i]);
        s_ok (in, in, V);
    }
    const char *range_fns[] = {"rate",
                               "increase",
                               "irate",
                               "delta",
                               "idelta",
                               "resets",
                               "changes",
                               "avg_over_time",
                               "min_over_time",
                               "max_over_time",
                               "sum_over_time",
                               "count_over_time",
                               "last_over_time",
                               "stddev_over_time",
                               "stdvar_over_time",
                               "absent_over_time",
                               "present_over_time",
                               "deriv"};
    for (size_t i = 0; i < sizeof range_fns / sizeof *range_fns; i++) {
        char in[64];
        snprintf (in, sizeof in, "%s(x[5m])", range_fns[i]);
        s_ok (in, in, V);
    }
    s_ok ("quantile_over_time(0.95, m[5m])", "quantile_over_time(0.95, m[5m])", V);
    s_ok ("predict_linear(disk_free_bytes[6h], 4 * 3600) < 0",
          "predict_linear(disk_free_bytes[6h], 4 * 3600) < 0", V);
    s_ok ("histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m])))",
          "histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m])))", V);
    s_ok ("clamp(x, 0, 1)", "clamp(x, 0, 1)", V);
    s_ok ("clamp_min(x, 0)", "clamp_min(x, 0)", V);
    s_ok ("clamp_max(x, 1)", "clamp_max(x, 1)", V);
    s_ok ("round(x, 0.5)", "round(x, 0.5)", V);
    s_ok ("vector(1)", "vector(1)", V);
    s_ok ("scalar(x)", "scalar(x)", S);
    s_ok ("time()", "time()", S);
    s_ok ("minute()", "minute()", V);
    s_ok ("label_replace(x, \"dst\", \"$1\", \"src\", \"(.*)\")",
          "label_replace(x, \"dst\", \"$1\", \"src\", \"(.*)\")", V);
    s_ok ("label_join(x, \"dst\", \",\", \"a\", \"b\", \"c\")",
          "label_join(x, \"dst\", \",\", \"a\", \"b\", \"c\")", V);
    s_ok ("rate(x[5m],)", "rate(x[5m])", V);
    /* the examples docs/rules.md gives for ratios and week over week */
    s_ok ("sum by (service) (rate(errors[5m])) / sum by (service) (rate(requests[5m])) > 0.05",
          "sum by (service) (rate(errors[5m])) / sum by (service) (rate(requests[5m])) > 0.05", V);
    s_ok ("rate(x[1h]) > 1.5 * rate(x[1h] offset 1w)", "rate(x[1h]) > 1.5 * rate(x[1h] offset 1w)",
          V);
}

static void
s_errors (void)
{
    /* what the subset leaves out, by name */
    s_err ("rate(x[5m:1m])", 6, "subqueries are not supported");
    s_err ("max_over_time(rate(x[5m])[1h:])", 25, "subqueries are not supported");
    s_err ("x @ 100", 2, "the @ modifier is not supported");
    s_err ("rate(x[5m] @ start())", 11, "the @ modifier is not supported");
    s_err ("holt_winters(x[5m], 0.5, 0.5)", 0, "function \"holt_winters\" is not supported");
    s_err ("1 + sort(x)", 4, "function \"sort\" is not supported");
    s_err ("count_values(\"v\", x)", 0, "aggregation \"count_values\" is not supported");
    s_err ("limitk(2, x)", 0, "aggregation \"limitk\" is not supported");
    s_err ("x{\"quoted\"=\"a\"}", 2, "quoted label names are not supported");
    /* syntax */
    s_err ("", 0, "no expression found");
    s_err ("foo(x)", 0, "unknown function with name \"foo\"");
    s_err ("sum(rate(x[5m])", 15, "unexpected end of input");
    s_err ("x{a=\"b\"", 7, "unexpected end of input in label matching");
    s_err ("x{a=b}", 4, "unexpected identifier \"b\" in label matching");
    s_err ("x{a~\"b\"}", 3, "unexpected character");
    s_err ("x{a=\"b}", 4, "unterminated quoted string");
    s_err ("a +", 3, "unexpected end of input");
    s_err ("a b", 2, "unexpected identifier \"b\"");
    s_err ("(a + b", 6, "unexpected end of input in parenthesized expression");
    s_err ("5m", 0, "unexpected duration");
    s_err ("x[5]]", 4, "unexpected \"]\"");
    s_err ("x[5x]", 2, "bad number or duration syntax");
    s_err ("x[1m1h]", 2, "bad number or duration syntax");
    s_err ("x[0s]", 1, "range must be greater than 0");
    s_err ("x offset", 8, "expected a duration");
    s_err ("x offset 1m offset 2m", 12, "offset may not be set multiple times");
    s_err ("sum(x) offset 5m", 7, "offset modifier must be preceded by");
    s_err ("x offset 5m [5m]", 12, "the range must come before the offset");
    s_err ("(x)[5m]", 3, "ranges are only allowed for vector selectors");
    s_err ("x{a=\"\\q\"}", 5, "unknown escape sequence");
    s_err ("x{a=~\"(\"}", 5, "invalid regular expression");
    s_err ("a ! b", 2, "unexpected character after '!'");
    s_err ("a é", 2, "non-ASCII");
    s_err ("x group_left y", 2, "unexpected \"group_left\"");
    /* types */
    s_err ("{job=~\".*\"}", 0, "at least one non-empty matcher");
    s_err ("x{__name__=\"y\"}", 0, "metric name must not be set twice");
    s_err ("rate(x)", 5,
           "expected type range vector in call to function \"rate\", got instant vector");
    s_err ("abs(x[5m])", 4,
           "expected type instant vector in call to function \"abs\", got range vector");
    s_err ("rate(x[5m], 1)", 0, "expected 1 argument(s) in call to \"rate\", got 2");
    s_err ("round(x, 1, 2)", 0, "expected at most 2 argument(s)");
    s_err ("label_join(x)", 0, "expected at least 3 argument(s)");
    s_err ("label_replace(x, \"1a\", \"\", \"b\", \"c\")", 17, "invalid destination label name");
    s_err ("label_replace(x, \"a\", \"\", \"b\", \"(\")", 31, "invalid regular expression");
    s_err ("label_join(x, \"a\", \",\", \"b-c\")", 24, "invalid source label name");
    s_err ("1 > 2", 2, "comparisons between scalars must use BOOL modifier");
    s_err ("a + bool b", 4, "bool modifier can only be used on comparison operators");
    s_err ("x and 1", 2, "set operator \"and\" not allowed in binary scalar expression");
    s_err ("a and on(x) group_left b", 12, "no grouping allowed for \"and\" operation");
    s_err ("a + on(x) group_left(x) b", 2, "must not occur in ON and GROUP clause at once");
    s_err ("1 + on(x) b", 2, "vector matching only allowed between instant vectors");
    s_err ("x[5m] + 1", 0, "binary expression must contain only scalar and instant vector types");
    s_err ("-x[5m]", 0, "unary expression only allowed on expressions of type scalar or instant");
    s_err ("sum(x[5m])", 4, "expected type instant vector in aggregation expression");
    s_err ("topk(x, y)", 5, "expected type scalar in aggregation parameter");
    s_err ("topk(x)", 0, "expected 2, got 1");
    s_err ("sum(1, x)", 0, "expected 1, got 2");
    s_err ("sum by (a:b) (x)", 8, "invalid label name \"a:b\"");
    s_err ("sum by (a", 9, "unexpected end of input");
    /* very deep nesting is refused, not a stack overflow */
    char deep[2000];
    size_t n = 0;
    for (int i = 0; i < 600; i++)
        deep[n++] = '(';
    deep[n++] = 'x';
    for (int i = 0; i < 600; i++)
        deep[n++] = ')';
    deep[n] = '\0';
    rules_parse_error_t err;
    rules_node_t *node = rules_parse (deep, n, &err);
    ASSERT (!node);
    ASSERT_STR_CONTAINS (err.msg, "nested too deeply");
}

static void
s_series_descriptions (void)
{
    rules_parse_error_t err;
    rules_labels_t *l = rules_parse_series ("up{job=\"api\", instance=\"a:1\"}", &err);
    ASSERT (l);
    ASSERT_EQ (l->n, 3);
    ASSERT_STR_EQ (rules_labels_get (l, "__name__"), "up");
    ASSERT_STR_EQ (rules_labels_get (l, "instance"), "a:1");
    free (l);
    l = rules_parse_series ("{__name__=\"x\", a=\"b\"}", &err);
    ASSERT (l);
    ASSERT_STR_EQ (rules_labels_get (l, "__name__"), "x");
    free (l);
    ASSERT (!rules_parse_series ("up{job=~\"a\"}", &err));
    ASSERT_STR_CONTAINS (err.msg, "only =");
    ASSERT (!rules_parse_series ("up{job=\"a\"} x", &err));
}

static void
s_expect_values (const char *text, const char *expect)
{
    rules_seqval_t *v;
    size_t n;
    char err[256];
    if (rules_values_parse (text, 100000, &v, &n, err, sizeof err) != 0)
        TEST_FAIL ("\"%s\": %s", text, err);
    char got[512] = "";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].kind == RULES_VALUE_OMITTED)
            o += (size_t)snprintf (got + o, sizeof got - o, "%s_", i ? " " : "");
        else if (v[i].kind == RULES_VALUE_STALE)
            o += (size_t)snprintf (got + o, sizeof got - o, "%sstale", i ? " " : "");
        else
            o += (size_t)snprintf (got + o, sizeof got - o, "%s%g", i ? " " : "", v[i].v);
    }
    free (v);
    if (strcmp (got, expect) != 0)
        TEST_FAIL ("\"%s\" expanded to \"%s\", expected \"%s\"", text, got, expect);
}

static void
s_values (void)
{
    /* the examples of promtool's documentation */
    s_expect_values ("-2+4x3", "-2 2 6 10");
    s_expect_values (" 1-2x4", "1 -1 -3 -5 -7");
    s_expect_values (" 1x4", "1 1 1 1 1");
    s_expect_values (" 1 _x3 stale", "1 _ _ _ stale");
    s_expect_values ("0+10x2 _ 5", "0 10 20 _ 5");
    s_expect_values ("1e3 Inf -Inf", "1000 inf -inf");
    s_expect_values ("", "");
    rules_seqval_t *v;
    size_t n;
    char err[256];
    ASSERT_EQ (rules_values_parse ("1 two", 100, &v, &n, err, sizeof err), -1);
    ASSERT_STR_CONTAINS (err, "bad value \"two\"");
    ASSERT_EQ (rules_values_parse ("1+1", 100, &v, &n, err, sizeof err), -1);
    ASSERT_EQ (rules_values_parse ("0+1x1000000", 1000, &v, &n, err, sizeof err), -1);
    ASSERT_STR_CONTAINS (err, "more than 1000");
    /* increments are added one by one, as Prometheus does */
    ASSERT_EQ (rules_values_parse ("0+0.1x3", 100, &v, &n, err, sizeof err), 0);
    ASSERT_EQ (n, 4);
    ASSERT (v[3].v == 0.1 + 0.1 + 0.1);
    free (v);
}

static void
s_durations (void)
{
    int64_t ms;
    ASSERT_EQ (rules_lex_duration ("1h30m", 5, &ms), 0);
    ASSERT_EQ (ms, 5400000);
    ASSERT_EQ (rules_lex_duration ("54s321ms", 8, &ms), 0);
    ASSERT_EQ (ms, 54321);
    ASSERT_EQ (rules_lex_duration ("1y", 2, &ms), 0);
    ASSERT_EQ (ms, 365LL * 86400000);
    ASSERT_EQ (rules_lex_duration ("0", 1, &ms), 0);
    ASSERT_EQ (ms, 0);
    ASSERT_EQ (rules_lex_duration ("1m1h", 4, &ms), -1);
    ASSERT_EQ (rules_lex_duration ("1h1h", 4, &ms), -1);
    ASSERT_EQ (rules_lex_duration ("1.5h", 4, &ms), -1);
    ASSERT_EQ (rules_lex_duration ("5", 1, &ms), -1);
}

int
main (void)
{
    s_constructs ();
    s_errors ();
    s_series_descriptions ();
    s_values ();
    s_durations ();
    printf ("test_rules_parse: ok\n");
    return 0;
}
