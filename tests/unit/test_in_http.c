/*  test_in_http.c - the http input against real servers on 127.0.0.1: a
 *  scripted HTTP/1.1 server (tests/helpers/http_server.py) and the same over
 *  HTTPS with a self-signed certificate made here with openssl, valid for 30
 *  days. The server records every request, so the test also checks what the
 *  input sent and how many requests each collect made.
 */
#include "agent_input.h"
#include "test_assert.h"
#include "test_batch.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_error.h"

#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

extern const agent_input_plugin_t in_http_plugin;

/* ---- the servers ------------------------------------------------------ */

typedef struct {
    pid_t pid;
    int port;
    char *record; /* the requests it received, one JSON line each */
    char *log;
} server_t;

static char *s_dir;
static server_t s_plain, s_tls;
static char *s_cert;

/* Runs argv to completion (at most 60 s) or fails the test. */
static void
s_run (char *const argv[], const char *log)
{
    pid_t pid = test_spawn (argv, log);
    int status = test_wait (pid, 60000);
    if (status == -1) {
        test_kill_wait (pid, SIGKILL);
        TEST_FAIL ("%s %s: still running after 60 s", argv[0], argv[1]);
    }
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        char *text = test_read_file (log);
        TEST_FAIL ("%s %s failed (status %d): %s", argv[0], argv[1], status, text ? text : "");
    }
}

static void
s_server_start (server_t *srv, const char *name, const char *cert, const char *key)
{
    const char *src = getenv ("VIGIL_SOURCE_DIR");
    if (!src)
        TEST_FAIL ("VIGIL_SOURCE_DIR is not set: run the tests with ctest");
    char *script = vg_asprintf ("%s/tests/helpers/http_server.py", src);
    char *portfile = vg_asprintf ("%s/%s.port", s_dir, name);
    srv->record = vg_asprintf ("%s/%s.requests", s_dir, name);
    srv->log = vg_asprintf ("%s/%s.log", s_dir, name);
    char *argv[] = {"/usr/bin/env", "python3", script, "--port-file", portfile, "--record",
                    srv->record,    NULL,      NULL,   NULL,          NULL,     NULL};
    if (cert) {
        argv[7] = "--tls-cert";
        argv[8] = (char *)cert;
        argv[9] = "--tls-key";
        argv[10] = (char *)key;
    }
    test_write_file (srv->record, "");
    srv->pid = test_spawn (argv, srv->log);
    for (int i = 0; i < 600 && !srv->port; i++) {
        char *text = test_read_file (portfile);
        if (text)
            srv->port = atoi (text);
        free (text);
        if (srv->port)
            break;
        if (test_wait (srv->pid, 0) != -1) {
            char *log = test_read_file (srv->log);
            TEST_FAIL ("the %s server exited: %s", name, log ? log : "");
        }
        test_sleep_ms (50);
    }
    if (!srv->port)
        TEST_FAIL ("the %s server did not start in 30 s", name);
    free (script);
    free (portfile);
}

static void
s_server_stop (server_t *srv)
{
    test_kill_wait (srv->pid, SIGTERM);
    free (srv->record);
    free (srv->log);
}

/* Requests the server received so far. */
static size_t
s_requests (const server_t *srv)
{
    char *text = test_read_file (srv->record);
    size_t n = 0;
    for (const char *p = text; p && *p; p++)
        n += *p == '\n';
    free (text);
    return n;
}

/* The last n request lines (caller owns). */
static char *
s_last_requests (const server_t *srv, size_t n)
{
    char *text = test_read_file (srv->record);
    ASSERT (text);
    size_t len = strlen (text), seen = 0;
    while (len > 0 && seen <= n) {
        len--;
        if (text[len] == '\n' && ++seen > n) {
            len++;
            break;
        }
    }
    char *tail = vg_strdup (text + len);
    free (text);
    return tail;
}

/* ---- one check -------------------------------------------------------- */

static int
s_configure (test_input_t *c, const char *yaml)
{
    return test_input_configure (c, &in_http_plugin, yaml);
}

/* Inits the check as instance name, run every interval_ms. */
static int
s_init (test_input_t *c, const char *name, int64_t interval_ms)
{
    agent_input_env_t env = {.instance = name, .state_dir = NULL, .interval_ms = interval_ms};
    return test_input_init (c, &env);
}

static void s_start (test_input_t *c, const char *name, int64_t interval_ms, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_start (test_input_t *c, const char *name, int64_t interval_ms, const char *fmt, ...)
{
    char yaml[2048];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (yaml, sizeof yaml, fmt, ap);
    va_end (ap);
    if (s_configure (c, yaml) != VG_OK)
        TEST_FAIL ("options: %s", c->err);
    if (s_init (c, name, interval_ms) != VG_OK)
        TEST_FAIL ("init: %s", c->err);
}

/* Collects with a fixed time stamp; fails the test on an error. */
static void
s_collect (test_input_t *c)
{
    test_input_collect (c, 1700000000000LL);
}

static const char *
s_label (const vg_batch_t *b, const vg_series_t *s, const char *key)
{
    return test_batch_label (b, s, key);
}

/* How many samples named name the last collect made; *value gets the last
 * one's. Every series must carry check=<the instance> and a url. */
static size_t
s_lookup (const test_input_t *c, const char *name, double *value)
{
    const vg_batch_t *b = c->batch;
    size_t found = 0;
    for (size_t i = 0; i < b->nsamples; i++) {
        const vg_series_t *s = &b->series[b->sample_series[i]];
        ASSERT_STR_EQ (s_label (b, s, "check"), c->env.instance);
        ASSERT (s_label (b, s, "url"));
        if (strcmp (b->strings[s->name], name) != 0)
            continue;
        found++;
        if (value)
            *value = b->sample_value[i];
    }
    return found;
}

#define GET(c, name) s_get (__LINE__, (c), (name))
static double
s_get (int line, const test_input_t *c, const char *name)
{
    double v = NAN;
    size_t n = s_lookup (c, name, &v);
    if (n != 1)
        TEST_FAIL ("line %d: %s{check=\"%s\"}: %zu samples, want 1", line, name, c->env.instance,
                   n);
    return v;
}

#define HAS(c, name) (s_lookup ((c), (name), NULL) > 0)

/* ---- the tests -------------------------------------------------------- */

static void
s_expect_config_error (const char *yaml, const char *want)
{
    test_input_t c;
    int rc = s_configure (&c, yaml);
    if (rc != VG_EINVAL)
        TEST_FAIL ("%s: accepted, want an error with \"%s\"", yaml, want);
    ASSERT_STR_CONTAINS (c.err, want);
    test_input_stop (&c);
}

static void
test_config (void)
{
    s_expect_config_error ("method: GET\n", "inputs[0].url: required");
    s_expect_config_error ("url: ftp://example.com/x\n",
                           "agent.yaml:1: inputs[0].url: only http:// and https://");
    s_expect_config_error ("url: \"http://[::1\"\n", "agent.yaml:1: inputs[0].url: not a URL");
    s_expect_config_error ("url: http://x/\nmethod: get\n",
                           "agent.yaml:2: inputs[0].method: expected an HTTP method");
    unsetenv ("VIGIL_TEST_HTTP_UNSET");
    s_expect_config_error ("url: http://x/\nheaders:\n  X-Token: env:VIGIL_TEST_HTTP_UNSET\n",
                           "agent.yaml:3: inputs[0].headers.X-Token: environment variable "
                           "VIGIL_TEST_HTTP_UNSET is not set");
    s_expect_config_error ("url: http://x/\nheaders: [a, b]\n", "agent.yaml:2: inputs[0].headers");
    s_expect_config_error ("url: http://x/\nheaders: {\"Bad Name\": x}\n",
                           "inputs[0].headers.Bad Name: not a valid header name");
    s_expect_config_error ("url: http://x/\nexpect_status: [200, 99]\n",
                           "agent.yaml:2: inputs[0].expect_status: expected status codes");
    s_expect_config_error ("url: http://x/\nexpect_status: [2xx, abc]\n",
                           "inputs[0].expect_status: expected status codes");
    s_expect_config_error ("url: http://x/\nexpect_status: [300-200]\n",
                           "inputs[0].expect_status: expected status codes");
    s_expect_config_error ("url: http://x/\nexpect_status: []\n", "give at least one status");
    s_expect_config_error ("url: http://x/\n\nbody_regex: \"(ok\"\n",
                           "agent.yaml:3: inputs[0].body_regex: bad regex at offset 3");
    s_expect_config_error ("url: http://x/\ntimeout: 5ms\n", "agent.yaml:2: inputs[0].timeout");
    s_expect_config_error ("url: http://x/\nbogus: 1\n", "inputs[0].bogus");

    /* good ones, in every form */
    test_input_t c;
    ASSERT_EQ (s_configure (&c, "url: https://user:pw@example.com:8443/health?x=1\n"
                                "expect_status: [204, 3xx, 200-201]\nheaders: {}\n"),
               VG_OK);
    ASSERT_EQ (s_init (&c, "ok", 10000), VG_OK);
    test_input_stop (&c);
    ASSERT_EQ (s_configure (&c, "url: http://x/\nexpect_status: 2xx\n"), VG_OK);
    test_input_stop (&c);

    /* a round blocks the agent for up to the timeout: never past an interval */
    ASSERT_EQ (s_configure (&c, "url: http://x/\ntimeout: 20s\n"), VG_OK);
    ASSERT_EQ (s_init (&c, "slow", 10000), VG_EINVAL);
    ASSERT_STR_CONTAINS (c.err, "timeout: 20000 ms is longer than the interval (10000 ms)");
    test_input_stop (&c);

    ASSERT (agent_input_find ("http") == &in_http_plugin);
}

static void
test_status_and_body (void)
{
    int port = s_plain.port;
    test_input_t ok, nomatch, err500, want500;
    s_start (&ok, "health", 10000,
             "url: http://127.0.0.1:%d/health?body=status%%3A%%20all%%20good\n"
             "body_regex: \"status: all (good|fine)\"\n",
             port);
    s_collect (&ok);
    ASSERT_EQ (GET (&ok, "http_up"), 1);
    ASSERT_EQ (GET (&ok, "http_status_code"), 200);
    ASSERT_EQ (GET (&ok, "http_body_match"), 1);
    ASSERT_EQ (GET (&ok, "http_response_bytes"), strlen ("status: all good"));
    ASSERT_EQ (GET (&ok, "http_tls_seconds"), 0);
    ASSERT_EQ (GET (&ok, "http_errors_total"), 0);
    ASSERT_EQ (GET (&ok, "http_dropped_total"), 0);
    ASSERT (!HAS (&ok, "http_tls_cert_expiry_days"));
    double total = GET (&ok, "http_response_seconds");
    ASSERT (total > 0);
    ASSERT (GET (&ok, "http_first_byte_seconds") > 0);
    ASSERT (GET (&ok, "http_first_byte_seconds") <= total);
    ASSERT (GET (&ok, "http_connect_seconds") >= 0);
    ASSERT (GET (&ok, "http_dns_seconds") >= 0);
    ASSERT (GET (&ok, "http_dns_seconds") + GET (&ok, "http_connect_seconds") <= total);
    const vg_series_t *s = &ok.batch->series[ok.batch->sample_series[0]];
    char *url = vg_asprintf ("http://127.0.0.1:%d/health?body=status%%3A%%20all%%20good", port);
    ASSERT_STR_EQ (s_label (ok.batch, s, "url"), url);
    free (url);
    char *req = s_last_requests (&s_plain, 1);
    ASSERT_STR_CONTAINS (req, "\"method\": \"GET\"");
    ASSERT_STR_CONTAINS (req, "\"path\": \"/health\"");
    ASSERT_STR_CONTAINS (req, "\"user-agent\": \"vigil-agent/");
    free (req);
    test_input_stop (&ok);

    /* a 200 whose body does not say what it should is down */
    s_start (&nomatch, "health", 10000,
             "url: http://127.0.0.1:%d/health?body=status%%3A%%20degraded\n"
             "body_regex: \"status: all (good|fine)\"\n",
             port);
    s_collect (&nomatch);
    ASSERT_EQ (GET (&nomatch, "http_up"), 0);
    ASSERT_EQ (GET (&nomatch, "http_status_code"), 200);
    ASSERT_EQ (GET (&nomatch, "http_body_match"), 0);
    ASSERT_EQ (GET (&nomatch, "http_errors_total"), 0);
    test_input_stop (&nomatch);

    /* a 500 is an answer (status 500, up 0), not an error */
    s_start (&err500, "api", 10000, "url: http://127.0.0.1:%d/api?status=500&body=boom\n", port);
    s_collect (&err500);
    ASSERT_EQ (GET (&err500, "http_up"), 0);
    ASSERT_EQ (GET (&err500, "http_status_code"), 500);
    ASSERT_EQ (GET (&err500, "http_response_bytes"), 4);
    ASSERT_EQ (GET (&err500, "http_errors_total"), 0);
    ASSERT (!HAS (&err500, "http_body_match"));
    test_input_stop (&err500);

    /* unless 500 is what the check expects */
    s_start (&want500, "api", 10000,
             "url: http://127.0.0.1:%d/api?status=503\nexpect_status: [200, 5xx]\n", port);
    s_collect (&want500);
    ASSERT_EQ (GET (&want500, "http_up"), 1);
    ASSERT_EQ (GET (&want500, "http_status_code"), 503);
    test_input_stop (&want500);
}

static void
test_down (void)
{
    /* a target slower than the timeout: down, counted as an error */
    test_input_t slow;
    s_start (&slow, "slow", 10000,
             "url: http://127.0.0.1:%d/slow?delay_ms=3000\ntimeout: 300ms\n"
             "body_regex: ok\n",
             s_plain.port);
    s_collect (&slow);
    ASSERT_EQ (GET (&slow, "http_up"), 0);
    ASSERT_EQ (GET (&slow, "http_status_code"), 0);
    ASSERT_EQ (GET (&slow, "http_body_match"), 0);
    ASSERT_EQ (GET (&slow, "http_errors_total"), 1);
    ASSERT (GET (&slow, "http_response_seconds") >= 0.3);
    ASSERT (!HAS (&slow, "http_first_byte_seconds"));
    ASSERT (!HAS (&slow, "http_response_bytes"));
    s_collect (&slow);
    ASSERT_EQ (GET (&slow, "http_up"), 0);
    ASSERT_EQ (GET (&slow, "http_errors_total"), 2);
    test_input_stop (&slow);

    /* nothing listens on the port: down, not an input error */
    test_input_t refused;
    int port = test_free_port ();
    s_start (&refused, "refused", 10000, "url: http://127.0.0.1:%d/health\n", port);
    s_collect (&refused);
    ASSERT_EQ (GET (&refused, "http_up"), 0);
    ASSERT_EQ (GET (&refused, "http_status_code"), 0);
    ASSERT_EQ (GET (&refused, "http_errors_total"), 1);
    test_input_stop (&refused);

    /* a name that does not resolve: the same */
    test_input_t nxdomain;
    s_start (&nxdomain, "nxdomain", 10000, "url: http://vigil-test.invalid/health\ntimeout: 5s\n");
    s_collect (&nxdomain);
    ASSERT_EQ (GET (&nxdomain, "http_up"), 0);
    ASSERT_EQ (GET (&nxdomain, "http_errors_total"), 1);
    test_input_stop (&nxdomain);
}

static void
test_post (void)
{
    /* the checklists' "does a chat request work": POST with a JSON body and a
     * token from the environment */
    setenv ("VIGIL_TEST_HTTP_TOKEN", "Bearer s3cret", 1);
    test_input_t chat;
    size_t before = s_requests (&s_plain);
    s_start (&chat, "chat", 10000,
             "url: http://127.0.0.1:%d/chat?body=%%7B%%22reply%%22%%3A%%22hello%%22%%7D\n"
             "method: POST\n"
             "headers:\n"
             "  Authorization: env:VIGIL_TEST_HTTP_TOKEN\n"
             "  Content-Type: application/json\n"
             "body: '{\"message\": \"hi\"}'\n"
             "body_regex: '\"reply\":\\s*\"\\w+\"'\n",
             s_plain.port);
    s_collect (&chat);
    ASSERT_EQ (GET (&chat, "http_up"), 1);
    ASSERT_EQ (GET (&chat, "http_body_match"), 1);
    ASSERT_EQ (s_requests (&s_plain), before + 1);
    char *req = s_last_requests (&s_plain, 1);
    ASSERT_STR_CONTAINS (req, "\"method\": \"POST\"");
    ASSERT_STR_CONTAINS (req, "\"path\": \"/chat\"");
    ASSERT_STR_CONTAINS (req, "\"body\": \"{\\\"message\\\": \\\"hi\\\"}\"");
    ASSERT_STR_CONTAINS (req, "\"authorization\": \"Bearer s3cret\"");
    ASSERT_STR_CONTAINS (req, "\"content-type\": \"application/json\"");
    ASSERT_STR_CONTAINS (req, "\"content-length\": \"17\"");
    free (req);
    test_input_stop (&chat);
    unsetenv ("VIGIL_TEST_HTTP_TOKEN");

    /* HEAD: no body; another method with a body */
    test_input_t head, put;
    s_start (&head, "head", 10000, "url: http://127.0.0.1:%d/h\nmethod: HEAD\n", s_plain.port);
    s_collect (&head);
    ASSERT_EQ (GET (&head, "http_up"), 1);
    ASSERT_EQ (GET (&head, "http_response_bytes"), 0);
    test_input_stop (&head);
    s_start (&put, "put", 10000, "url: http://127.0.0.1:%d/p\nmethod: PUT\nbody: x=1\n",
             s_plain.port);
    s_collect (&put);
    ASSERT_EQ (GET (&put, "http_up"), 1);
    test_input_stop (&put);
    req = s_last_requests (&s_plain, 2);
    ASSERT_STR_CONTAINS (req, "\"method\": \"HEAD\"");
    ASSERT_STR_CONTAINS (req, "\"method\": \"PUT\"");
    ASSERT_STR_CONTAINS (req, "\"body\": \"x=1\"");
    free (req);
}

static void
test_redirects (void)
{
    test_input_t c;
    char *url = vg_asprintf (
        "http://127.0.0.1:%d/old?status=301&header=Location:/new%%3Fbody%%3Dmoved", s_plain.port);

    /* not followed: the 3xx is the answer, and 3xx is up by default */
    s_start (&c, "old", 10000, "url: %s\n", url);
    s_collect (&c);
    ASSERT_EQ (GET (&c, "http_status_code"), 301);
    ASSERT_EQ (GET (&c, "http_up"), 1);
    test_input_stop (&c);

    s_start (&c, "old", 10000, "url: %s\nexpect_status: [200]\n", url);
    s_collect (&c);
    ASSERT_EQ (GET (&c, "http_up"), 0);
    test_input_stop (&c);

    /* followed: the final answer counts */
    s_start (&c, "old", 10000,
             "url: %s\nfollow_redirects: true\nexpect_status: [200]\nbody_regex: ^moved$\n", url);
    s_collect (&c);
    ASSERT_EQ (GET (&c, "http_status_code"), 200);
    ASSERT_EQ (GET (&c, "http_body_match"), 1);
    ASSERT_EQ (GET (&c, "http_up"), 1);
    test_input_stop (&c);
    free (url);
}

static void
test_max_body (void)
{
    /* body_regex sees the first max_body bytes; a longer body is counted */
    test_input_t head, tail;
    s_start (&head, "big", 10000,
             "url: http://127.0.0.1:%d/big?body=abcdefgh\nmax_body: 4\nbody_regex: ^abcd\n",
             s_plain.port);
    s_collect (&head);
    ASSERT_EQ (GET (&head, "http_body_match"), 1);
    ASSERT_EQ (GET (&head, "http_up"), 1);
    ASSERT_EQ (GET (&head, "http_response_bytes"), 8);
    ASSERT_EQ (GET (&head, "http_dropped_total"), 1);
    s_collect (&head);
    ASSERT_EQ (GET (&head, "http_dropped_total"), 2);
    test_input_stop (&head);

    s_start (&tail, "big", 10000,
             "url: http://127.0.0.1:%d/big?body=abcdefgh\nmax_body: 4\nbody_regex: efgh\n",
             s_plain.port);
    s_collect (&tail);
    ASSERT_EQ (GET (&tail, "http_body_match"), 0);
    ASSERT_EQ (GET (&tail, "http_up"), 0);
    test_input_stop (&tail);

    /* a body longer than libcurl's download buffer arrives in several reads:
     * the regex still sees it whole, up to max_body */
    test_input_t reads;
    s_start (&reads, "big", 10000,
             "url: http://127.0.0.1:%d/big?body=x&repeat=10000\nmax_body: 20000\n"
             "body_regex: ^x{10000}$\n",
             s_plain.port);
    s_collect (&reads);
    ASSERT_EQ (GET (&reads, "http_body_match"), 1);
    ASSERT_EQ (GET (&reads, "http_response_bytes"), 10000);
    ASSERT_EQ (GET (&reads, "http_dropped_total"), 0);
    test_input_stop (&reads);
}

static void
test_https (void)
{
    int port = s_tls.port;
    test_input_t insecure, pinned, strict;

    /* not verified: still measured, certificate included */
    s_start (&insecure, "tls", 10000, "url: https://127.0.0.1:%d/health\ntls_verify: false\n",
             port);
    s_collect (&insecure);
    ASSERT_EQ (GET (&insecure, "http_up"), 1);
    ASSERT_EQ (GET (&insecure, "http_status_code"), 200);
    double days = GET (&insecure, "http_tls_cert_expiry_days");
    if (!(days > 29.0 && days <= 30.0))
        TEST_FAIL ("http_tls_cert_expiry_days %.6f, want (29, 30]", days);
    ASSERT (GET (&insecure, "http_tls_seconds") > 0);
    ASSERT (GET (&insecure, "http_first_byte_seconds") >= GET (&insecure, "http_tls_seconds"));
    /* a fresh connection and handshake every time: measured again */
    s_collect (&insecure);
    ASSERT (GET (&insecure, "http_tls_seconds") > 0);
    ASSERT (HAS (&insecure, "http_tls_cert_expiry_days"));
    test_input_stop (&insecure);

    /* verified against the certificate itself as the CA */
    s_start (&pinned, "tls", 10000, "url: https://127.0.0.1:%d/health\nca_file: \"%s\"\n", port,
             s_cert);
    s_collect (&pinned);
    ASSERT_EQ (GET (&pinned, "http_up"), 1);
    days = GET (&pinned, "http_tls_cert_expiry_days");
    if (!(days > 29.0 && days <= 30.0))
        TEST_FAIL ("http_tls_cert_expiry_days %.6f, want (29, 30]", days);
    ASSERT_EQ (GET (&pinned, "http_errors_total"), 0);
    test_input_stop (&pinned);

    /* followed from http to https: the certificate of where it ended */
    test_input_t upgrade;
    s_start (&upgrade, "upgrade", 10000,
             "url: http://127.0.0.1:%d/r?status=302&header=Location:https://127.0.0.1:%d/health\n"
             "follow_redirects: true\ntls_verify: false\n",
             s_plain.port, port);
    s_collect (&upgrade);
    ASSERT_EQ (GET (&upgrade, "http_status_code"), 200);
    ASSERT_EQ (GET (&upgrade, "http_up"), 1);
    days = GET (&upgrade, "http_tls_cert_expiry_days");
    if (!(days > 29.0 && days <= 30.0))
        TEST_FAIL ("http_tls_cert_expiry_days %.6f, want (29, 30]", days);
    test_input_stop (&upgrade);

    /* verified against the system's CAs: a self-signed certificate is down */
    s_start (&strict, "tls", 10000, "url: https://127.0.0.1:%d/health\n", port);
    s_collect (&strict);
    ASSERT_EQ (GET (&strict, "http_up"), 0);
    ASSERT_EQ (GET (&strict, "http_errors_total"), 1);
    test_input_stop (&strict);
}

/* A collect only starts the request: three checks of a 1 s target are all
 * in flight together, each collect having returned at once, and each one's
 * figures come when its request ends. A check still running when collected
 * again is not asked twice. */
static void
test_concurrent (void)
{
    test_input_t c[3];
    static const char *names[] = {"slow-a", "slow-b", "slow-c"};
    for (int i = 0; i < 3; i++)
        s_start (&c[i], names[i], 60000, "url: http://127.0.0.1:%d/%s?delay_ms=1000\n",
                 s_plain.port, names[i]);
    size_t before = s_requests (&s_plain);
    for (int i = 0; i < 3; i++) {
        vg_batch_clear (c[i].batch);
        agent_sink_retarget (c[i].sink, c[i].batch, 1700000000000LL);
        ASSERT_EQ (
            c[i].plugin->collect (c[i].ctx, c[i].sink, 1700000000000LL, c[i].err, sizeof c[i].err),
            VG_OK);
        ASSERT_EQ (c[i].plugin->busy (c[i].ctx), 1); /* returned while the target waits */
        ASSERT (!HAS (&c[i], "http_up"));
    }
    /* a second collect while it runs asks nothing more */
    ASSERT_EQ (
        c[0].plugin->collect (c[0].ctx, c[0].sink, 1700000000000LL, c[0].err, sizeof c[0].err),
        VG_OK);
    for (int i = 0; i < 3; i++)
        test_input_finish (&c[i], 1700000000000LL);
    ASSERT_EQ (s_requests (&s_plain), before + 3);
    char *req = s_last_requests (&s_plain, 3);
    /* the server saw all three in flight together */
    ASSERT_STR_CONTAINS (req, "\"inflight\": 3");
    free (req);
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ (GET (&c[i], "http_up"), 1);
        ASSERT_EQ (GET (&c[i], "http_status_code"), 200);
        ASSERT (GET (&c[i], "http_response_seconds") >= 1.0);
    }
    for (int i = 0; i < 3; i++)
        test_input_stop (&c[i]);

    /* a target that never answers: the check's own timeout ends it, as down */
    test_input_t hang;
    s_start (&hang, "hang", 1000, "url: http://127.0.0.1:%d/h?delay_ms=60000\ntimeout: 300ms\n",
             s_plain.port);
    s_collect (&hang);
    ASSERT_EQ (GET (&hang, "http_up"), 0);
    ASSERT_EQ (GET (&hang, "http_errors_total"), 1);
    test_input_stop (&hang);
}

int
main (void)
{
    test_config ();

    s_dir = test_tmpdir ("in_http");
    s_cert = vg_asprintf ("%s/cert.pem", s_dir);
    char *key = vg_asprintf ("%s/key.pem", s_dir);
    char *log = vg_asprintf ("%s/openssl.log", s_dir);
    char *openssl[] = {"/usr/bin/env",
                       "openssl",
                       "req",
                       "-x509",
                       "-newkey",
                       "ec",
                       "-pkeyopt",
                       "ec_paramgen_curve:prime256v1",
                       "-nodes",
                       "-days",
                       "30",
                       "-subj",
                       "/CN=localhost",
                       "-addext",
                       "subjectAltName=IP:127.0.0.1,DNS:localhost",
                       "-keyout",
                       key,
                       "-out",
                       s_cert,
                       NULL};
    s_run (openssl, log);
    s_server_start (&s_plain, "plain", NULL, NULL);
    s_server_start (&s_tls, "tls", s_cert, key);

    test_status_and_body ();
    test_down ();
    test_post ();
    test_redirects ();
    test_max_body ();
    test_https ();
    test_concurrent ();

    s_server_stop (&s_plain);
    s_server_stop (&s_tls);
    free (key);
    free (log);
    free (s_cert);
    free (s_dir);
    printf ("test_in_http: OK\n");
    return 0;
}
