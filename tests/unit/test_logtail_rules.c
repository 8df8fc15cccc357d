/*  test_logtail_rules.c - the log rule engine on real log lines: nginx and
 *  apache access logs, application ERROR lines, JSON lines with nested
 *  paths, escapes, numbers in strings, missing fields and malformed JSON.
 *  Expected values are worked out by hand from the lines below.
 */
#include "agent_sink.h"
#include "logtail_json.h"
#include "logtail_rules.h"
#include "test_assert.h"
#include "test_batch.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_error.h"

/* ---- looking at what a rule set emits ---------------------------------- */

typedef struct {
    vg_batch_t *batch;
} emitted_t;

static void
s_emit (logtail_rules_t *rules, emitted_t *out)
{
    out->batch = vg_batch_new ("test-agent", "test-host");
    agent_sink_t *sink = agent_sink_new (out->batch, 1700000000000LL, NULL, 0);
    logtail_rules_emit (rules, sink);
    agent_sink_destroy (&sink);
}

static void
s_emitted_free (emitted_t *out)
{
    vg_batch_destroy (&out->batch);
}

/* The value of the one gauge/counter sample of name with exactly these
 * labels ("k=v,k=v", keys ascending as the batch stores them). */
#define VALUE(e, name, labels) s_value (__LINE__, (e), (name), (labels))
static double
s_value (int line, const emitted_t *e, const char *name, const char *labels)
{
    double v = NAN;
    size_t found = test_batch_find_text (e->batch, name, TEST_KIND_ANY, labels, 0, &v, NULL);
    if (found != 1)
        TEST_FAIL ("line %d: %s{%s}: %zu samples, want 1", line, name, labels, found);
    return v;
}

/* Samples (of any kind) of name. */
static size_t
s_count (const emitted_t *e, const char *name)
{
    const vg_batch_t *b = e->batch;
    size_t n = 0;
    for (size_t i = 0; i < b->nsamples; i++)
        n += strcmp (b->strings[b->series[b->sample_series[i]].name], name) == 0;
    for (size_t i = 0; i < b->ndists; i++)
        n += strcmp (b->strings[b->series[b->dists[i].series].name], name) == 0;
    return n;
}

#define DIST(e, name, labels) s_dist (__LINE__, (e), (name), (labels))
static const vg_sketch_t *
s_dist (int line, const emitted_t *e, const char *name, const char *labels)
{
    const vg_sketch_t *found = NULL;
    size_t n = test_batch_find_text (e->batch, name, VG_KIND_DISTRIBUTION, labels, 0, NULL, &found);
    if (n != 1)
        TEST_FAIL ("line %d: distribution %s{%s}: %zu, want 1", line, name, labels, n);
    return found;
}

static void
s_lines (logtail_rules_t *rules, const char *const *lines)
{
    for (size_t i = 0; lines[i]; i++)
        logtail_rules_line (rules, lines[i], strlen (lines[i]));
}

static void
s_add (logtail_rules_t *rules, const logtail_rule_spec_t *spec)
{
    char err[512];
    if (logtail_rules_add (rules, spec, err, sizeof err) != VG_OK)
        TEST_FAIL ("rule %s: %s", spec->name, err);
}

/* ---- plain lines ------------------------------------------------------- */

/* nginx's "combined" format with $request_time appended, as people configure it. */
static const char *s_nginx_re =
    "^(?<addr>\\S+) \\S+ \\S+ \\[[^\\]]+\\] \"(?<method>[A-Z]+) (?<path>[^ ?\"]*)[^ \"]* [^\"]*\" "
    "(?<status>\\d{3}) (?<bytes>\\d+|-) \"[^\"]*\" \"[^\"]*\"(?: (?<rt>[\\d.]+|-))?$";

static void
test_nginx (void)
{
    logtail_rules_t *rules = logtail_rules_new ();
    vg_label_t by_status[] = {{"status", "status"}, {"method", "method"}};
    s_add (rules, &(logtail_rule_spec_t){.name = "nginx_requests_total",
                                         .type = LOGTAIL_RULE_COUNTER,
                                         .regex = s_nginx_re,
                                         .labels = by_status,
                                         .nlabels = 2});
    vg_label_t by_path[] = {{"path", "path"}};
    s_add (rules, &(logtail_rule_spec_t){.name = "nginx_request_seconds",
                                         .type = LOGTAIL_RULE_DISTRIBUTION,
                                         .regex = s_nginx_re,
                                         .value = "rt",
                                         .labels = by_path,
                                         .nlabels = 1});
    s_add (rules, &(logtail_rule_spec_t){.name = "nginx_sent_bytes_total",
                                         .type = LOGTAIL_RULE_COUNTER,
                                         .regex = s_nginx_re,
                                         .value = "bytes"});
    const char *lines[] = {
        "10.0.0.1 - - [01/May/2024:12:00:00 +0000] \"GET /health HTTP/1.1\" 200 2 \"-\" "
        "\"curl/8.0\" 0.001",
        "10.0.0.2 - - [01/May/2024:12:00:01 +0000] \"POST /chat?stream=1 HTTP/1.1\" 200 512 \"-\" "
        "\"Mozilla/5.0 (X11)\" 1.250",
        "10.0.0.2 - - [01/May/2024:12:00:02 +0000] \"POST /chat HTTP/1.1\" 502 157 \"-\" "
        "\"Mozilla/5.0\" 2.750",
        "10.0.0.3 - alice [01/May/2024:12:00:03 +0000] \"POST /chat HTTP/2.0\" 200 1024 "
        "\"https://example.org/\" \"python-requests/2.31\" 0.500",
        /* upstream gave no time: counted, but no value for the distribution */
        "10.0.0.4 - - [01/May/2024:12:00:04 +0000] \"GET /health HTTP/1.1\" 200 2 \"-\" "
        "\"kube-probe/1.29\" -",
        /* not an access-log line at all */
        "2024/05/01 12:00:05 [error] 1234#0: *5 connect() failed (111: Connection refused)",
        NULL,
    };
    s_lines (rules, lines);

    emitted_t e;
    s_emit (rules, &e);
    ASSERT_NEAR (VALUE (&e, "nginx_requests_total", "method=GET,status=200"), 2, 0);
    ASSERT_NEAR (VALUE (&e, "nginx_requests_total", "method=POST,status=200"), 2, 0);
    ASSERT_NEAR (VALUE (&e, "nginx_requests_total", "method=POST,status=502"), 1, 0);
    ASSERT_EQ (s_count (&e, "nginx_requests_total"), 3);
    /* 2 + 512 + 157 + 1024 + 2 */
    ASSERT_NEAR (VALUE (&e, "nginx_sent_bytes_total", ""), 1697, 0);

    const vg_sketch_t *chat = DIST (&e, "nginx_request_seconds", "path=/chat");
    ASSERT_EQ (chat->count, 3);
    ASSERT_NEAR (chat->sum, 1.25 + 2.75 + 0.5, 1e-9);
    ASSERT_NEAR (chat->min, 0.5, 0);
    ASSERT_NEAR (chat->max, 2.75, 0);
    ASSERT_NEAR (vg_sketch_quantile (chat, 0.5), 1.25, 1.25 * 0.01);
    const vg_sketch_t *health = DIST (&e, "nginx_request_seconds", "path=/health");
    ASSERT_EQ (health->count, 1);
    ASSERT_NEAR (health->sum, 0.001, 1e-12);

    logtail_rule_stats_t st;
    logtail_rules_stats (rules, 1, &st);
    ASSERT_STR_EQ (st.name, "nginx_request_seconds");
    ASSERT_EQ (st.matched, 5);
    ASSERT_EQ (st.no_value, 1); /* the "-" */
    ASSERT_EQ (st.series, 2);
    ASSERT_EQ (logtail_rules_lines (rules), 6);
    s_emitted_free (&e);

    /* Counters are cumulative; distributions start again after each emit. */
    logtail_rules_line (rules, lines[0], strlen (lines[0]));
    s_emit (rules, &e);
    ASSERT_NEAR (VALUE (&e, "nginx_requests_total", "method=GET,status=200"), 3, 0);
    ASSERT_NEAR (VALUE (&e, "nginx_requests_total", "method=POST,status=502"), 1, 0);
    ASSERT_EQ (DIST (&e, "nginx_request_seconds", "path=/health")->count, 1);
    /* /chat saw nothing this interval: no sample, and the label set is forgotten */
    ASSERT_EQ (s_count (&e, "nginx_request_seconds"), 1);
    logtail_rules_stats (rules, 1, &st);
    ASSERT_EQ (st.series, 1);
    s_emitted_free (&e);
    logtail_rules_destroy (&rules);
}

static void
test_apache (void)
{
    /* Apache's common log format, %D (microseconds) at the end. */
    logtail_rules_t *rules = logtail_rules_new ();
    vg_label_t labels[] = {{"status", "status"}};
    const char *re = "^\\S+ \\S+ \\S+ \\[[^\\]]+\\] \"\\S+ \\S+ \\S+\" (?<status>\\d{3}) "
                     "(?:\\d+|-) (?<us>\\d+)$";
    s_add (rules, &(logtail_rule_spec_t){.name = "apache_response_seconds",
                                         .type = LOGTAIL_RULE_DISTRIBUTION,
                                         .regex = re,
                                         .value = "us",
                                         .value_scale = 1e-6,
                                         .labels = labels,
                                         .nlabels = 1});
    const char *lines[] = {
        "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326 "
        "1500",
        "127.0.0.1 - - [10/Oct/2000:13:55:37 -0700] \"GET /missing HTTP/1.0\" 404 - 250",
        "127.0.0.1 - - [10/Oct/2000:13:55:38 -0700] \"GET / HTTP/1.0\" 200 44 4500",
        NULL,
    };
    s_lines (rules, lines);
    emitted_t e;
    s_emit (rules, &e);
    const vg_sketch_t *ok = DIST (&e, "apache_response_seconds", "status=200");
    ASSERT_EQ (ok->count, 2);
    ASSERT_NEAR (ok->sum, 0.006, 1e-12);
    ASSERT_NEAR (ok->min, 0.0015, 1e-15);
    ASSERT_EQ (DIST (&e, "apache_response_seconds", "status=404")->count, 1);
    s_emitted_free (&e);
    logtail_rules_destroy (&rules);
}

static void
test_error_lines (void)
{
    logtail_rules_t *rules = logtail_rules_new ();
    vg_label_t labels[] = {{"level", "level"}, {"logger", "logger"}};
    s_add (rules,
           &(logtail_rule_spec_t){
               .name = "app_errors_total",
               .regex = "^\\S+ \\S+ (?<level>ERROR|CRITICAL) \\[[^\\]]*\\] (?<logger>[\\w.]+):",
               .labels = labels,
               .nlabels = 2});
    /* No labels, a match prefilter, and a regex that takes the whole line. */
    s_add (rules, &(logtail_rule_spec_t){.name = "app_timeouts_total",
                                         .regex = "timeout",
                                         .match = " (ERROR|WARNING) "});
    const char *lines[] = {
        "2024-05-01 12:00:00,123 INFO [worker-1] app.chat: request done in 120ms",
        "2024-05-01 12:00:01,456 ERROR [worker-3] app.chat: upstream timeout after 30s",
        "2024-05-01 12:00:02,789 ERROR [worker-2] app.db: connection reset",
        "2024-05-01 12:00:03,000 CRITICAL [main] app: out of memory",
        "2024-05-01 12:00:04,000 WARNING [worker-1] app.chat: slow upstream, timeout soon",
        "2024-05-01 12:00:05,000 DEBUG [worker-1] app.chat: timeout set to 30s",
        "",
        NULL,
    };
    s_lines (rules, lines);
    emitted_t e;
    s_emit (rules, &e);
    ASSERT_NEAR (VALUE (&e, "app_errors_total", "level=ERROR,logger=app.chat"), 1, 0);
    ASSERT_NEAR (VALUE (&e, "app_errors_total", "level=ERROR,logger=app.db"), 1, 0);
    ASSERT_NEAR (VALUE (&e, "app_errors_total", "level=CRITICAL,logger=app"), 1, 0);
    ASSERT_EQ (s_count (&e, "app_errors_total"), 3);
    /* the DEBUG line says timeout but fails the match */
    ASSERT_NEAR (VALUE (&e, "app_timeouts_total", ""), 2, 0);
    s_emitted_free (&e);
    logtail_rules_destroy (&rules);
}

/* An optional group that does not take part gives an empty label value. */
static void
test_optional_group (void)
{
    logtail_rules_t *rules = logtail_rules_new ();
    vg_label_t labels[] = {{"user", "user"}};
    s_add (rules, &(logtail_rule_spec_t){.name = "logins_total",
                                         .regex = "^login(?: user=(?<user>\\w+))?$",
                                         .labels = labels,
                                         .nlabels = 1});
    const char *lines[] = {"login user=bob", "login", "login", NULL};
    s_lines (rules, lines);
    emitted_t e;
    s_emit (rules, &e);
    ASSERT_NEAR (VALUE (&e, "logins_total", "user=bob"), 1, 0);
    ASSERT_NEAR (VALUE (&e, "logins_total", "user="), 2, 0);
    s_emitted_free (&e);
    logtail_rules_destroy (&rules);
}

/* A pattern that backtracks exponentially gives up on a hostile line instead
 * of hanging the agent, and the give-up is counted. */
static void
test_regex_limit (void)
{
    logtail_rules_t *rules = logtail_rules_new ();
    s_add (rules, &(logtail_rule_spec_t){.name = "bad_total", .regex = "^(a+)+$", .match = NULL});
    char line[64];
    memset (line, 'a', 40);
    line[40] = 'b';
    logtail_rules_line (rules, line, 41);
    logtail_rules_line (rules, "aaaa", 4);
    logtail_rule_stats_t st;
    logtail_rules_stats (rules, 0, &st);
    ASSERT_EQ (st.regex_limit, 1);
    ASSERT_EQ (st.matched, 1);
    logtail_rules_destroy (&rules);
}

/* ---- JSON lines -------------------------------------------------------- */

static void
s_add_chat_rules (logtail_rules_t *rules)
{
    vg_label_t labels[] = {{"endpoint", "jsonPayload.endpoint"},
                           {"persona", "jsonPayload.persona_used"},
                           {"status", "status_code"}};
    s_add (rules, &(logtail_rule_spec_t){.name = "api_request_seconds",
                                         .type = LOGTAIL_RULE_DISTRIBUTION,
                                         .json = 1,
                                         .value = "jsonPayload.process_time_ms",
                                         .value_scale = 0.001,
                                         .labels = labels,
                                         .nlabels = 3});
    vg_label_t where[] = {{"severity", "ERROR"}};
    vg_label_t by_endpoint[] = {{"endpoint", "jsonPayload.endpoint"}};
    s_add (rules, &(logtail_rule_spec_t){.name = "api_errors_total",
                                         .json = 1,
                                         .labels = by_endpoint,
                                         .nlabels = 1,
                                         .where = where,
                                         .nwhere = 1});
    s_add (rules, &(logtail_rule_spec_t){.name = "api_tokens_total",
                                         .json = 1,
                                         .value = "jsonPayload.usage.tokens[1]"});
    s_add (rules,
           &(logtail_rule_spec_t){
               .name = "api_queue_depth", .type = LOGTAIL_RULE_GAUGE, .json = 1, .value = "queue"});
}

static void
test_json (void)
{
    logtail_rules_t *rules = logtail_rules_new ();
    s_add_chat_rules (rules);
    const char *lines[] = {
        "{\"timestamp\":\"2024-05-01T12:00:00Z\",\"severity\":\"INFO\",\"jsonPayload\":"
        "{\"endpoint\":\"/chat\",\"persona_used\":\"tutor\",\"process_time_ms\":1200,"
        "\"usage\":{\"tokens\":[10,250]}},\"status_code\":200,\"queue\":3}",
        /* fields in another order, whitespace, nested objects and arrays to skip */
        "  { \"status_code\" : 200 , \"meta\": {\"a\": [1, {\"b\": [true, false, null]}], "
        "\"c\": \"}\"}, \"jsonPayload\" : { \"process_time_ms\" : 800.5, \"endpoint\" : "
        "\"/chat\", \"persona_used\" : \"tutor\", \"usage\": {\"tokens\": [5, 50]} }, "
        "\"severity\": \"INFO\", \"queue\": 7 }  ",
        /* numbers in strings */
        "{\"severity\":\"ERROR\",\"jsonPayload\":{\"endpoint\":\"/chat\",\"persona_used\":"
        "\"coach\",\"process_time_ms\":\"4500\"},\"status_code\":\"500\"}",
        /* escapes in values and in a key; the endpoint is "/chat/v2" */
        "{\"severity\":\"ERROR\",\"jsonPayload\":{\"endpoint\":\"\\/chat\\/v2\",\"persona_"
        "\\u0075sed\":\"tut\\u00f6r \\ud83d\\ude00\",\"process_time_ms\":2.5e2,\"note\":"
        "\"say \\\"hi\\\"\\n\"},\"status_code\":201}",
        /* missing fields: no persona (label ""), no time (no value) */
        "{\"severity\":\"INFO\",\"jsonPayload\":{\"endpoint\":\"/health\",\"process_time_ms\":3},"
        "\"status_code\":200}",
        "{\"severity\":\"INFO\",\"jsonPayload\":{\"endpoint\":\"/health\"},\"status_code\":200}",
        /* a value that is not a number */
        "{\"severity\":\"INFO\",\"jsonPayload\":{\"endpoint\":\"/health\",\"process_time_ms\":"
        "\"fast\"},\"status_code\":200}",
        NULL,
    };
    s_lines (rules, lines);
    emitted_t e;
    s_emit (rules, &e);

    const vg_sketch_t *tutor =
        DIST (&e, "api_request_seconds", "endpoint=/chat,persona=tutor,status=200");
    ASSERT_EQ (tutor->count, 2);
    ASSERT_NEAR (tutor->sum, 1.2 + 0.8005, 1e-9);
    ASSERT_NEAR (tutor->max, 1.2, 1e-12);
    const vg_sketch_t *coach =
        DIST (&e, "api_request_seconds", "endpoint=/chat,persona=coach,status=500");
    ASSERT_EQ (coach->count, 1);
    ASSERT_NEAR (coach->sum, 4.5, 1e-12);
    const vg_sketch_t *v2 = DIST (&e, "api_request_seconds",
                                  "endpoint=/chat/v2,persona=tut\xc3\xb6r \xf0\x9f\x98\x80,"
                                  "status=201");
    ASSERT_NEAR (v2->sum, 0.25, 1e-12);
    ASSERT_NEAR (DIST (&e, "api_request_seconds", "endpoint=/health,persona=,status=200")->sum,
                 0.003, 1e-12);
    ASSERT_EQ (s_count (&e, "api_request_seconds"), 4);

    ASSERT_NEAR (VALUE (&e, "api_errors_total", "endpoint=/chat"), 1, 0);
    ASSERT_NEAR (VALUE (&e, "api_errors_total", "endpoint=/chat/v2"), 1, 0);
    ASSERT_EQ (s_count (&e, "api_errors_total"), 2);
    ASSERT_NEAR (VALUE (&e, "api_tokens_total", ""), 300, 0);
    ASSERT_NEAR (VALUE (&e, "api_queue_depth", ""), 7, 0); /* the last value */

    logtail_rule_stats_t st;
    logtail_rules_stats (rules, 0, &st);
    ASSERT_EQ (st.matched, 7);
    ASSERT_EQ (st.no_value, 2); /* no process_time_ms, and "fast" */
    ASSERT_EQ (logtail_rules_json_invalid (rules), 0);
    s_emitted_free (&e);
    logtail_rules_destroy (&rules);
}

static void
test_json_malformed (void)
{
    logtail_rules_t *rules = logtail_rules_new ();
    s_add_chat_rules (rules);
    const char *bad[] = {
        "{\"severity\":\"ERROR\",\"jsonPayload\":{\"endpoint\":\"/chat\"", /* truncated */
        "{\"severity\":\"ERROR\",\"jsonPayload\":{\"endpoint\":\"/chat\"}} trailing",
        "{'severity':'ERROR'}",
        "{\"severity\" \"ERROR\"}",
        "{\"severity\":\"ERROR\",}",
        "{\"severity\":\"ERR\\xOR\"}",
        "{\"status_code\":01}",
        "{\"status_code\":-}",
        "{\"status_code\":1.}",
        "{\"status_code\":tru}",
        "[{\"severity\":\"ERROR\"}]",
        "plain text ERROR line",
        "",
        "{",
        "\"just a string\"",
        NULL,
    };
    s_lines (rules, bad);
    ASSERT_EQ (logtail_rules_json_invalid (rules), 15);
    emitted_t e;
    s_emit (rules, &e);
    ASSERT_EQ (e.batch->nsamples + e.batch->ndists, 0);
    s_emitted_free (&e);

    /* Nesting past the depth limit is refused, not recursed into. */
    char deep[400];
    size_t n = 0;
    for (int i = 0; i < 150; i++)
        deep[n++] = '[';
    for (int i = 0; i < 150; i++)
        deep[n++] = ']';
    char line[512];
    snprintf (line, sizeof line, "{\"a\":%.*s}", (int)n, deep);
    logtail_rules_line (rules, line, strlen (line));
    ASSERT_EQ (logtail_rules_json_invalid (rules), 16);
    snprintf (line, sizeof line, "{\"a\":%.*s}", 40, deep);
    memcpy (line + 5 + 40, deep + 150, 40);
    line[85] = '}';
    logtail_rules_line (rules, line, 86);
    ASSERT_EQ (logtail_rules_json_invalid (rules), 16);
    logtail_rules_destroy (&rules);
}

/* Label values are made safe for the wire: invalid UTF-8 and NULs become '?',
 * long values are cut at 256 bytes on a character boundary. */
static void
test_label_values (void)
{
    logtail_rules_t *rules = logtail_rules_new ();
    vg_label_t labels[] = {{"v", "v"}};
    s_add (rules,
           &(logtail_rule_spec_t){
               .name = "values_total", .regex = "^v=(?<v>.*)$", .labels = labels, .nlabels = 1});
    const char bad[] = "v=a\xff\xc3(b\0c";
    logtail_rules_line (rules, bad, sizeof bad - 1);
    char longline[600];
    memcpy (longline, "v=", 2);
    memset (longline + 2, 'x', 255);
    memcpy (longline + 257, "\xc3\xa9", 2); /* 'é' across the 256-byte cut */
    memset (longline + 259, 'y', 100);
    logtail_rules_line (rules, longline, 359);
    emitted_t e;
    s_emit (rules, &e);
    ASSERT_NEAR (VALUE (&e, "values_total", "v=a?\?(b?c"), 1, 0);
    char want[300];
    memcpy (want, "v=", 2);
    memset (want + 2, 'x', 255);
    want[257] = '\0';
    ASSERT_NEAR (VALUE (&e, "values_total", want), 1, 0);
    s_emitted_free (&e);
    logtail_rules_destroy (&rules);
}

static void
test_max_series (void)
{
    logtail_rules_t *rules = logtail_rules_new ();
    vg_label_t labels[] = {{"user", "jsonPayload.user"}, {"status", "status"}};
    s_add (rules,
           &(logtail_rule_spec_t){
               .name = "users_total", .json = 1, .labels = labels, .nlabels = 2, .max_series = 3});
    char line[128];
    for (int round = 0; round < 2; round++)
        for (int u = 0; u < 5; u++) {
            snprintf (line, sizeof line, "{\"jsonPayload\":{\"user\":\"u%d\"},\"status\":200}", u);
            logtail_rules_line (rules, line, strlen (line));
        }
    emitted_t e;
    s_emit (rules, &e);
    ASSERT_NEAR (VALUE (&e, "users_total", "status=200,user=u0"), 2, 0);
    ASSERT_NEAR (VALUE (&e, "users_total", "status=200,user=u2"), 2, 0);
    ASSERT_NEAR (VALUE (&e, "users_total", "status=_other,user=_other"), 4, 0);
    ASSERT_EQ (s_count (&e, "users_total"), 4);
    logtail_rule_stats_t st;
    logtail_rules_stats (rules, 0, &st);
    ASSERT_EQ (st.series_folded, 4);
    ASSERT_EQ (st.series, 3);
    s_emitted_free (&e);

    /* Many label sets: the table grows and every one is found again. */
    logtail_rules_t *many = logtail_rules_new ();
    s_add (
        many,
        &(logtail_rule_spec_t){
            .name = "many_total", .json = 1, .labels = labels, .nlabels = 1, .max_series = 5000});
    for (int round = 0; round < 3; round++)
        for (int u = 0; u < 4000; u++) {
            snprintf (line, sizeof line, "{\"jsonPayload\":{\"user\":\"user-%d\"}}", u);
            logtail_rules_line (many, line, strlen (line));
        }
    s_emit (many, &e);
    ASSERT_EQ (s_count (&e, "many_total"), 4000);
    ASSERT_NEAR (VALUE (&e, "many_total", "user=user-3999"), 3, 0);
    s_emitted_free (&e);
    logtail_rules_destroy (&many);
    logtail_rules_destroy (&rules);
}

#define ADD_FAILS(rules, want, ...)                                                                \
    do {                                                                                           \
        char err_[512] = "";                                                                       \
        logtail_rule_spec_t spec_ = __VA_ARGS__;                                                   \
        ASSERT_EQ (logtail_rules_add ((rules), &spec_, err_, sizeof err_), VG_EINVAL);             \
        ASSERT_STR_CONTAINS (err_, (want));                                                        \
    } while (0)

static void
test_bad_rules (void)
{
    logtail_rules_t *rules = logtail_rules_new ();
    vg_label_t status[] = {{"status", "status"}};
    vg_label_t badkey[] = {{"bad-key", "status"}};
    ADD_FAILS (rules, "regex: missing closing parenthesis at offset 4",
               {.name = "a", .regex = "(abc"});
    ADD_FAILS (rules, "labels.status: the regex has no group (?<status>...)",
               {.name = "a", .regex = "(?<code>\\d+)", .labels = status, .nlabels = 1});
    ADD_FAILS (rules, "value: a distribution needs a value",
               {.name = "a", .type = LOGTAIL_RULE_DISTRIBUTION, .regex = "x"});
    ADD_FAILS (rules, "value: the regex has no group", {.name = "a", .regex = "x", .value = "t"});
    ADD_FAILS (rules, "regex: a rule has a regex or json: true, not both",
               {.name = "a", .regex = "x", .json = 1});
    ADD_FAILS (rules, "regex: give a regex", {.name = "a"});
    ADD_FAILS (rules, "name: \"a b\" is not a metric name", {.name = "a b", .regex = "x"});
    ADD_FAILS (rules, "name: \"logtail_x\": the prefix", {.name = "logtail_x", .regex = "x"});
    ADD_FAILS (rules, "labels.bad-key: not a label name",
               {.name = "a", .regex = "(?<status>x)", .labels = badkey, .nlabels = 1});
    ADD_FAILS (rules, "value: \"a..b\": empty key", {.name = "a", .json = 1, .value = "a..b"});
    ADD_FAILS (rules, "value: \"a[x]\": expected an array index",
               {.name = "a", .json = 1, .value = "a[x]"});
    ADD_FAILS (rules, "where: only for JSON rules",
               {.name = "a", .regex = "x", .where = status, .nwhere = 1});
    ADD_FAILS (rules, "match: quantifier does not follow",
               {.name = "a", .regex = "x", .match = "*"});
    ASSERT_EQ (logtail_rules_count (rules), 0);
    s_add (rules, &(logtail_rule_spec_t){.name = "a", .regex = "x"});
    ADD_FAILS (rules, "name: \"a\" is already used by rules[0]", {.name = "a", .json = 1});
    /* A failed JSON rule leaves the rule set working. */
    logtail_rules_line (rules, "{\"x\":1}", 7);
    ASSERT_EQ (logtail_rules_count (rules), 1);
    logtail_rules_destroy (&rules);
}

/* ---- the extractor's parts --------------------------------------------- */

static void
test_numbers (void)
{
    struct {
        const char *text;
        int ok;
        double want;
    } cases[] = {
        {"0", 1, 0},
        {"123", 1, 123},
        {"-1.5", 1, -1.5},
        {"2.5e2", 1, 250},
        {"1E-3", 1, 0.001},
        {".5", 1, 0.5},
        {"5.", 1, 5},
        {"+7", 1, 7},
        {"0.000123", 1, 0.000123},
        {"12345678901234567890", 1, 12345678901234567890.0},
        {"1e308", 1, 1e308},
        {"1e309", 0, 0},
        {"", 0, 0},
        {"-", 0, 0},
        {"1e", 0, 0},
        {"abc", 0, 0},
        {"1.2.3", 0, 0},
        {" 1", 0, 0},
        {"nan", 0, 0},
        {"inf", 0, 0},
        {"0x10", 0, 0},
        {"1,5", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = -42;
        int rc = logtail_json_parse_number (cases[i].text, strlen (cases[i].text), &v);
        if ((rc == VG_OK) != cases[i].ok)
            TEST_FAIL ("\"%s\": rc %d", cases[i].text, rc);
        if (cases[i].ok && v != cases[i].want)
            TEST_FAIL ("\"%s\": %.17g, want %.17g", cases[i].text, v, cases[i].want);
    }
}

static void
test_unescape (void)
{
    char out[64];
    const char *in = "a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\\udc00x";
    size_t n = logtail_json_unescape (in, strlen (in), out, sizeof out);
    const char want[] = "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80?x";
    ASSERT_EQ (n, sizeof want - 1);
    ASSERT (memcmp (out, want, n) == 0);
    /* the cap never splits a character */
    n = logtail_json_unescape ("ab\\u20ac", 8, out, 4);
    ASSERT_EQ (n, 2);
}

/* Counter totals saved as text and loaded into a fresh rule set go on from
 * there, per label set and for the folded "_other" series; a rule whose
 * labels changed takes none of them. */
/* Loads back every counter line of text into b; returns how many it took. */
static size_t
s_load_counters (logtail_rules_t *b, const vg_buf_t *text)
{
    const char *p = text->data, *end = text->data + text->len;
    size_t taken = 0;
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t)(end - p));
        taken += (size_t)logtail_rules_load_counter (b, p, (size_t)(nl - p));
        p = nl + 1;
    }
    return taken;
}

static void
test_counters_kept (void)
{
    logtail_rule_spec_t spec = {.name = "req_total",
                                .regex = "status=(?<status>[0-9]+)",
                                .labels = (vg_label_t[]){{"status", "status"}},
                                .nlabels = 1,
                                .max_series = 2};
    logtail_rules_t *a = logtail_rules_new ();
    s_add (a, &spec);
    s_lines (a,
             (const char *const[]){"status=200", "status=200", "status=500", "status=404", NULL});
    vg_buf_t text = {0};
    logtail_rules_save_counters (a, &text);
    logtail_rules_destroy (&a);

    logtail_rules_t *b = logtail_rules_new ();
    s_add (b, &spec);
    size_t taken = s_load_counters (b, &text);
    ASSERT_EQ (taken, 3);
    ASSERT_EQ (logtail_rules_load_counter (b, "file 1 2 3", 10), 0); /* not a counter line */
    s_lines (b, (const char *const[]){"status=200", NULL});
    emitted_t e;
    s_emit (b, &e);
    ASSERT_NEAR (VALUE (&e, "req_total", "status=200"), 3, 0);
    ASSERT_NEAR (VALUE (&e, "req_total", "status=500"), 1, 0);
    ASSERT_NEAR (VALUE (&e, "req_total", "status=_other"), 1, 0);
    s_emitted_free (&e);
    logtail_rules_reset_counters (b);
    s_emit (b, &e);
    ASSERT_EQ (s_count (&e, "req_total"), 0);
    s_emitted_free (&e);
    logtail_rules_destroy (&b);

    /* Two labels now: the one-label totals are left out. */
    logtail_rule_spec_t wider = spec;
    wider.regex = "status=(?<status>[0-9]+) m=(?<m>[A-Z]+)";
    wider.labels = (vg_label_t[]){{"status", "status"}, {"method", "m"}};
    wider.nlabels = 2;
    logtail_rules_t *c = logtail_rules_new ();
    s_add (c, &wider);
    s_load_counters (c, &text);
    s_emit (c, &e);
    ASSERT_EQ (s_count (&e, "req_total"), 0);
    s_emitted_free (&e);
    logtail_rules_destroy (&c);
    vg_buf_free (&text);
}

/* Counters with neither labels nor a value - a regex rule and a JSON rule,
 * the one series each has - count matching lines, go on from totals loaded
 * back, and start again from 0 after a reset. */
static void
test_counters_without_labels (void)
{
    logtail_rule_spec_t lines = {.name = "lines_total", .regex = "^."};
    logtail_rule_spec_t errors = {.name = "errors_total",
                                  .json = 1,
                                  .where = (vg_label_t[]){{"level", "error"}},
                                  .nwhere = 1};
    const char *const input[] = {"{\"level\":\"error\"}",         "",      "{\"level\":\"info\"}",
                                 "{\"level\":\"error\",\"n\":1}", "plain", NULL};
    logtail_rules_t *a = logtail_rules_new ();
    s_add (a, &lines);
    s_add (a, &errors);
    emitted_t e;
    s_emit (a, &e); /* nothing seen yet: no sample */
    ASSERT_EQ (s_count (&e, "lines_total"), 0);
    ASSERT_EQ (s_count (&e, "errors_total"), 0);
    s_emitted_free (&e);
    s_lines (a, input);
    s_emit (a, &e);
    ASSERT_NEAR (VALUE (&e, "lines_total", ""), 4, 0);
    ASSERT_NEAR (VALUE (&e, "errors_total", ""), 2, 0);
    s_emitted_free (&e);
    logtail_rule_stats_t st;
    logtail_rules_stats (a, 0, &st);
    ASSERT_EQ (st.matched, 4);
    ASSERT_EQ (st.series, 1);
    vg_buf_t text = {0};
    logtail_rules_save_counters (a, &text);
    logtail_rules_destroy (&a);

    logtail_rules_t *b = logtail_rules_new ();
    s_add (b, &lines);
    s_add (b, &errors);
    size_t taken = s_load_counters (b, &text);
    ASSERT_EQ (taken, 2);
    s_lines (b, input);
    s_emit (b, &e);
    ASSERT_NEAR (VALUE (&e, "lines_total", ""), 8, 0);
    ASSERT_NEAR (VALUE (&e, "errors_total", ""), 4, 0);
    s_emitted_free (&e);
    logtail_rules_reset_counters (b);
    s_emit (b, &e);
    ASSERT_EQ (s_count (&e, "lines_total"), 0);
    s_emitted_free (&e);
    s_lines (b, (const char *const[]){"x", NULL});
    s_emit (b, &e);
    ASSERT_NEAR (VALUE (&e, "lines_total", ""), 1, 0);
    ASSERT_EQ (s_count (&e, "errors_total"), 0);
    s_emitted_free (&e);
    logtail_rules_stats (b, 0, &st);
    ASSERT_EQ (st.series, 1);
    logtail_rules_destroy (&b);
    vg_buf_free (&text);
}

int
main (void)
{
    test_counters_kept ();
    test_counters_without_labels ();
    test_nginx ();
    test_apache ();
    test_error_lines ();
    test_optional_group ();
    test_regex_limit ();
    test_json ();
    test_json_malformed ();
    test_label_values ();
    test_max_series ();
    test_bad_rules ();
    test_numbers ();
    test_unescape ();
    printf ("test_logtail_rules: OK\n");
    return 0;
}
