/*  test_in_logtail.c - the logtail input as the agent runs it: options and
 *  rules from YAML (errors name file, line and key), real files appended,
 *  rotated and cut, positions kept in a state directory across a restart,
 *  and the input's own metrics.
 */
#include "agent_input.h"
#include "test_assert.h"
#include "test_batch.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_error.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

extern const agent_input_plugin_t in_logtail_plugin;

#define NOW_MS 1700000000000LL

static char *s_vformat (const char *fmt, va_list ap) __attribute__ ((format (printf, 1, 0)));

static char *
s_vformat (const char *fmt, va_list ap)
{
    char *text = NULL;
    ASSERT (vasprintf (&text, fmt, ap) >= 0);
    return text;
}

/* Parses the input's options from yaml; returns the rc, message in h->err. */
static int s_configure (test_input_t *h, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static int
s_configure (test_input_t *h, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    char *yaml = s_vformat (fmt, ap);
    va_end (ap);
    int rc = test_input_configure (h, &in_logtail_plugin, yaml);
    free (yaml);
    return rc;
}

static int
s_init (test_input_t *h, const char *state_dir)
{
    agent_input_env_t env = {.instance = "api", .state_dir = state_dir, .interval_ms = 10000};
    return test_input_init (h, &env);
}

static void s_start (test_input_t *h, const char *state_dir, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_start (test_input_t *h, const char *state_dir, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    char *yaml = s_vformat (fmt, ap);
    va_end (ap);
    if (test_input_configure (h, &in_logtail_plugin, yaml) != VG_OK)
        TEST_FAIL ("options: %s", h->err);
    free (yaml);
    if (s_init (h, state_dir) != VG_OK)
        TEST_FAIL ("init: %s", h->err);
}

/* The value of the one sample of name with exactly these labels (k=v,k=v,
 * keys ascending); NAN if there is none. */
static double
s_find (const test_input_t *h, const char *name, const char *labels)
{
    double v = NAN;
    size_t found = test_batch_find_text (h->batch, name, TEST_KIND_ANY, labels, 0, &v, NULL);
    if (found > 1)
        TEST_FAIL ("%s{%s}: %zu samples", name, labels, found);
    return v;
}

#define GET(h, name, labels) s_get (__LINE__, (h), (name), (labels))
static double
s_get (int line, const test_input_t *h, const char *name, const char *labels)
{
    double v = s_find (h, name, labels);
    if (isnan (v))
        TEST_FAIL ("line %d: no sample %s{%s}", line, name, labels);
    return v;
}

/* The distribution of name with exactly these labels; NULL if there is none. */
static const vg_sketch_t *
s_dist (const test_input_t *h, const char *name, const char *labels)
{
    const vg_sketch_t *sk = NULL;
    size_t found =
        test_batch_find_text (h->batch, name, VG_KIND_DISTRIBUTION, labels, 0, NULL, &sk);
    if (found > 1)
        TEST_FAIL ("%s{%s}: %zu distributions", name, labels, found);
    return sk;
}

static void s_append (const char *path, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_append (const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    char *text = s_vformat (fmt, ap);
    va_end (ap);
    int fd = open (path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    ASSERT (fd >= 0);
    ASSERT_EQ (write (fd, text, strlen (text)), (ssize_t)strlen (text));
    close (fd);
    free (text);
}

/* ---- configuration ---------------------------------------------------- */

#define CONFIG_FAILS(want, ...)                                                                    \
    do {                                                                                           \
        test_input_t hh_;                                                                          \
        ASSERT_EQ (s_configure (&hh_, __VA_ARGS__), VG_EINVAL);                                    \
        ASSERT_STR_CONTAINS (hh_.err, (want));                                                     \
        test_input_stop (&hh_);                                                                    \
    } while (0)

static void
test_config_errors (void)
{
    CONFIG_FAILS ("agent.yaml:4: inputs[0].rules[0].regex: missing closing parenthesis at offset 8",
                  "paths: [/var/log/app.log]\n"
                  "rules:\n"
                  "  - name: errors_total\n"
                  "    regex: 'ERROR (x'\n");
    CONFIG_FAILS ("agent.yaml:7: inputs[0].rules[1].labels.status: the regex has no group "
                  "(?<status>...)",
                  "paths: [/var/log/app.log]\n"
                  "rules:\n"
                  "  - {name: ok_total, regex: ok}\n"
                  "  - name: requests_total\n"
                  "    regex: '(?<code>\\d+)'\n"
                  "    labels:\n"
                  "      status: status\n");
    CONFIG_FAILS ("agent.yaml:5: inputs[0].rules[0].type: expected counter, distribution or "
                  "gauge, got \"histogram\"",
                  "paths: [/var/log/app.log]\n"
                  "rules:\n"
                  "  - name: t\n"
                  "    json: true\n"
                  "    type: histogram\n");
    CONFIG_FAILS ("agent.yaml:3: inputs[0].rules[0].value: a distribution needs a value",
                  "paths: [/var/log/app.log]\n"
                  "rules:\n"
                  "  - name: t\n"
                  "    type: distribution\n"
                  "    json: true\n");
    CONFIG_FAILS ("agent.yaml:4: inputs[0].rules[0].valeu: unknown key",
                  "paths: [/var/log/app.log]\n"
                  "rules:\n"
                  "  - name: t\n"
                  "    valeu: x\n");
    CONFIG_FAILS ("agent.yaml:5: inputs[0].rules[0].value_scale: must not be 0",
                  "paths: [/var/log/app.log]\n"
                  "rules:\n"
                  "  - name: t\n"
                  "    json: true\n"
                  "    value_scale: 0\n");
    CONFIG_FAILS ("agent.yaml:2: inputs[0].rules: expected a list of rules", "paths: [/x.log]\n"
                                                                             "rules: []\n");
    CONFIG_FAILS ("inputs[0].rules: required", "paths: [/x.log]\n");
    CONFIG_FAILS ("agent.yaml:3: inputs[0].max_line: must be between 256 and 1MiB",
                  "paths: [/x.log]\n"
                  "rules: [{name: a, regex: a}]\n"
                  "max_line: 10\n");

    test_input_t h;
    ASSERT_EQ (s_configure (&h, "paths: [var/log/*.log]\nrules: [{name: a, regex: a}]\n"), VG_OK);
    ASSERT_EQ (s_init (&h, NULL), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "paths[0]: \"var/log/*.log\" is not an absolute path");
    test_input_stop (&h);
    ASSERT_EQ (s_configure (&h, "paths: [/x.log]\nrules: [{name: a, regex: a}]\n"
                                "max_line: 64KiB\nread_budget: 100KiB\n"),
               VG_OK);
    ASSERT_EQ (s_init (&h, NULL), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "read_budget (102400 bytes) must be at least twice max_line");
    test_input_stop (&h);
}

/* ---- following and rules together ------------------------------------- */

#define S_CONFIG                                                                                   \
    "paths: ['%s/*.log']\n"                                                                        \
    "max_line: 512\n"                                                                              \
    "rules:\n"                                                                                     \
    "  - name: api_request_seconds\n"                                                              \
    "    type: distribution\n"                                                                     \
    "    json: true\n"                                                                             \
    "    value: jsonPayload.process_time_ms\n"                                                     \
    "    value_scale: 0.001\n"                                                                     \
    "    labels: {endpoint: jsonPayload.endpoint, status: status_code}\n"                          \
    "  - name: api_errors_total\n"                                                                 \
    "    json: true\n"                                                                             \
    "    where: {severity: ERROR}\n"                                                               \
    "  - name: nginx_requests_total\n"                                                             \
    "    regex: '\"[A-Z]+ [^ ]+ [^\"]+\" (?<status>\\d{3}) '\n"                                    \
    "    labels: {status: status}\n"

static void
s_json_line (const char *path, const char *severity, const char *endpoint, double ms, int status)
{
    s_append (path,
              "{\"timestamp\":\"2024-05-01T12:00:00.000Z\",\"severity\":\"%s\",\"jsonPayload\":"
              "{\"endpoint\":\"%s\",\"persona_used\":\"tutor\",\"process_time_ms\":%g},"
              "\"status_code\":%d}\n",
              severity, endpoint, ms, status);
}

static void
test_collect (void)
{
    char *dir = test_tmpdir ("in_logtail");
    char *state = vg_asprintf ("%s/state", dir);
    ASSERT_EQ (mkdir (state, 0750), 0);
    char *api = vg_asprintf ("%s/api.log", dir);
    char *nginx = vg_asprintf ("%s/access.log", dir);
    s_json_line (api, "INFO", "/chat", 100, 200); /* before the start: not read */
    s_append (nginx, "%s", "");

    test_input_t h;
    s_start (&h, state, S_CONFIG, dir);
    test_input_collect (&h, NOW_MS);
    ASSERT_NEAR (GET (&h, "logtail_files", "input=api"), 2, 0);
    ASSERT_NEAR (GET (&h, "logtail_lines_total", "input=api"), 0, 0);
    ASSERT (!s_dist (&h, "api_request_seconds", "endpoint=/chat,status=200"));

    s_json_line (api, "INFO", "/chat", 1200, 200);
    s_json_line (api, "INFO", "/chat", 800, 200);
    s_json_line (api, "ERROR", "/chat", 30000, 504);
    s_json_line (api, "INFO", "/health", 2, 200);
    s_append (api, "Traceback (most recent call last):\n");
    s_append (nginx, "10.0.0.1 - - [01/May/2024:12:00:00 +0000] \"GET /health HTTP/1.1\" 200 2 "
                     "\"-\" \"curl\"\n"
                     "10.0.0.1 - - [01/May/2024:12:00:01 +0000] \"POST /chat HTTP/1.1\" 502 0 "
                     "\"-\" \"curl\"\n");
    /* A line over max_line: cut, counted, and no longer JSON. */
    char pad[700];
    memset (pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    s_append (api, "{\"severity\":\"ERROR\",\"msg\":\"%s\"}\n", pad);
    test_input_collect (&h, NOW_MS);

    const vg_sketch_t *chat = s_dist (&h, "api_request_seconds", "endpoint=/chat,status=200");
    ASSERT (chat);
    ASSERT_EQ (chat->count, 2);
    ASSERT_NEAR (chat->sum, 2.0, 1e-9);
    ASSERT_EQ (s_dist (&h, "api_request_seconds", "endpoint=/chat,status=504")->count, 1);
    ASSERT_EQ (s_dist (&h, "api_request_seconds", "endpoint=/health,status=200")->count, 1);
    ASSERT_NEAR (GET (&h, "api_errors_total", ""), 1, 0);
    ASSERT_NEAR (GET (&h, "nginx_requests_total", "status=200"), 1, 0);
    ASSERT_NEAR (GET (&h, "nginx_requests_total", "status=502"), 1, 0);
    ASSERT_NEAR (GET (&h, "logtail_lines_total", "input=api"), 8, 0);
    ASSERT_NEAR (GET (&h, "logtail_lines_truncated_total", "input=api"), 1, 0);
    /* the traceback, the cut line, and the two nginx lines are not JSON */
    ASSERT_NEAR (GET (&h, "logtail_json_invalid_total", "input=api"), 4, 0);
    ASSERT_NEAR (GET (&h, "logtail_rule_matched_total", "input=api,rule=api_request_seconds"), 4,
                 0);
    ASSERT_NEAR (GET (&h, "logtail_series", "input=api,rule=api_request_seconds"), 3, 0);
    ASSERT_NEAR (GET (&h, "logtail_rule_skipped_total",
                      "input=api,reason=no_value,rule=api_request_seconds"),
                 0, 0);
    ASSERT_NEAR (GET (&h, "logtail_series_dropped_total", "input=api,rule=nginx_requests_total"), 0,
                 0);
    ASSERT_NEAR (GET (&h, "logtail_backlog_bytes", "input=api"), 0, 0);

    /* Rotation: api.log renamed away (not matched by *.log), a new one made. */
    s_json_line (api, "INFO", "/chat", 500, 200);
    char *rotated = vg_asprintf ("%s/api.log.1", dir);
    ASSERT_EQ (rename (api, rotated), 0);
    s_json_line (api, "INFO", "/chat", 700, 200);
    test_input_collect (&h, NOW_MS);
    chat = s_dist (&h, "api_request_seconds", "endpoint=/chat,status=200");
    ASSERT_EQ (chat->count, 2);
    ASSERT_NEAR (chat->sum, 1.2, 1e-9);
    ASSERT_NEAR (GET (&h, "logtail_rotations_total", "input=api,kind=rename"), 1, 0);
    ASSERT_NEAR (GET (&h, "logtail_rotations_total", "input=api,kind=truncate"), 0, 0);
    /* counters go on from where they were */
    ASSERT_NEAR (GET (&h, "nginx_requests_total", "status=200"), 1, 0);
    ASSERT_NEAR (GET (&h, "logtail_lines_total", "input=api"), 10, 0);

    /* copytruncate of access.log */
    ASSERT_EQ (truncate (nginx, 0), 0);
    s_append (nginx, "1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n");
    test_input_collect (&h, NOW_MS);
    ASSERT_NEAR (GET (&h, "nginx_requests_total", "status=200"), 2, 0);
    ASSERT_NEAR (GET (&h, "logtail_rotations_total", "input=api,kind=truncate"), 1, 0);
    ASSERT_NEAR (GET (&h, "logtail_files", "input=api"), 2, 0); /* the rotated one is closed */
    /* The core seals a batch with all that (checkpoint) and, once the batch
     * is safe in the spool, commits: only then are positions saved. */
    char *state_file = vg_asprintf ("%s/logtail-api.state", state);
    struct stat st;
    vg_buf_t ckpt = {0};
    ASSERT_EQ (h.plugin->checkpoint (h.ctx, 1, &ckpt), 1);
    ASSERT_STR_CONTAINS (ckpt.data, "seq 1\n"); /* what the spool keeps with the batch */
    vg_buf_free (&ckpt);
    ASSERT (stat (state_file, &st) != 0);
    h.plugin->commit (h.ctx, 1);
    ASSERT_EQ (stat (state_file, &st), 0);
    test_input_stop (&h);

    /* Restarted: a new context on the same state directory goes on from the
     * saved positions - only what was written meanwhile is read. */
    s_json_line (api, "INFO", "/chat", 300, 200);
    s_start (&h, state, S_CONFIG, dir);
    test_input_collect (&h, NOW_MS); /* opens the files, at their saved positions */
    ASSERT_NEAR (GET (&h, "logtail_files", "input=api"), 2, 0);
    ASSERT_NEAR (GET (&h, "logtail_lines_total", "input=api"), 0, 0);
    ASSERT_GT (GET (&h, "logtail_backlog_bytes", "input=api"), 100); /* the line waiting */
    test_input_collect (&h, NOW_MS);
    chat = s_dist (&h, "api_request_seconds", "endpoint=/chat,status=200");
    ASSERT (chat);
    ASSERT_EQ (chat->count, 1);
    ASSERT_NEAR (chat->sum, 0.3, 1e-9);
    ASSERT_NEAR (GET (&h, "logtail_lines_total", "input=api"), 1, 0);
    /* counters go on from the totals saved with the positions */
    ASSERT_NEAR (GET (&h, "nginx_requests_total", "status=200"), 2, 0);
    ASSERT_NEAR (GET (&h, "nginx_requests_total", "status=502"), 1, 0);
    /* Stopped before that line's batch was sealed (a crash): its position
     * was never saved, so the next start reads it again - once. */
    test_input_stop (&h);
    s_start (&h, state, S_CONFIG, dir);
    test_input_collect (&h, NOW_MS);
    test_input_collect (&h, NOW_MS);
    chat = s_dist (&h, "api_request_seconds", "endpoint=/chat,status=200");
    ASSERT (chat);
    ASSERT_EQ (chat->count, 1);
    ASSERT_NEAR (chat->sum, 0.3, 1e-9);
    test_input_stop (&h);
    free (state_file);
    free (rotated);
    free (nginx);
    free (api);
    free (state);
    free (dir);
}

/* A file bigger than the read budget is consumed over several collects,
 * every line once. */
static void
test_budget (void)
{
    char *dir = test_tmpdir ("in_logtail_budget");
    char *api = vg_asprintf ("%s/api.log", dir);
    FILE *out = fopen (api, "w");
    ASSERT (out);
    const int nlines = 3000;
    for (int i = 0; i < nlines; i++)
        fprintf (out,
                 "{\"severity\":\"INFO\",\"jsonPayload\":{\"endpoint\":\"/chat\","
                 "\"process_time_ms\":%d},\"status_code\":200,\"pad\":\"%050d\"}\n",
                 i % 100 + 1, i);
    fclose (out);
    struct stat st;
    ASSERT_EQ (stat (api, &st), 0);

    test_input_t h;
    s_start (&h, NULL,
             "paths: ['%s']\n"
             "from_beginning: true\n"
             "read_budget: 64KiB\n"
             "max_line: 1KiB\n"
             "rules:\n"
             "  - {name: requests_total, json: true}\n"
             "  - {name: time_ms, type: distribution, json: true, value: "
             "jsonPayload.process_time_ms}\n",
             api);
    /* The first collect only opens the file: nothing read yet. */
    test_input_collect (&h, NOW_MS);
    ASSERT (isnan (s_find (&h, "requests_total", "")));
    ASSERT_NEAR (GET (&h, "logtail_backlog_bytes", "input=api"), (double)st.st_size, 0);
    double total_time = 0, count = 0;
    int collects = 0;
    double requests = 0;
    while (requests < nlines && collects < 100) {
        test_input_collect (&h, NOW_MS);
        collects++;
        requests = GET (&h, "requests_total", "");
        const vg_sketch_t *d = s_dist (&h, "time_ms", "");
        ASSERT (d);
        count += (double)d->count;
        total_time += d->sum;
        double backlog = GET (&h, "logtail_backlog_bytes", "input=api");
        double bytes = GET (&h, "logtail_bytes_total", "input=api");
        ASSERT_NEAR (backlog + bytes, (double)st.st_size, 0);
        ASSERT_LE (bytes, 64.0 * 1024 * collects);
    }
    ASSERT_NEAR (requests, nlines, 0);
    ASSERT_NEAR (count, nlines, 0);
    /* 1..100, thirty times */
    ASSERT_NEAR (total_time, 30 * 5050, 0);
    ASSERT_GE (collects, (int)(st.st_size / (64 * 1024)));
    ASSERT_GE (GET (&h, "logtail_read_budget_exhausted_total", "input=api"), collects - 1);
    test_input_collect (&h, NOW_MS);
    ASSERT_NEAR (GET (&h, "requests_total", ""), nlines, 0);
    ASSERT (!s_dist (&h, "time_ms", ""));
    test_input_stop (&h);
    free (api);
    free (dir);
}

int
main (void)
{
    test_config_errors ();
    test_collect ();
    test_budget ();
    printf ("test_in_logtail: OK\n");
    return 0;
}
