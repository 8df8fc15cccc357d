/*  test_in_scrape.c - the scrape input against real files (file://) and a
 *  real HTTP server on 127.0.0.1 that this test forks. The server answers
 *  each request with what the test last wrote into its directory (status,
 *  ctype, body, delay_ms) and keeps the request it got in request.txt, so
 *  the Content-Type, the status and the headers sent are all real.
 */
#include "agent_input.h"
#include "test_assert.h"
#include "test_batch.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_sketch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern const agent_input_plugin_t in_scrape_plugin;

/* ---- a scripted HTTP/1.1 server --------------------------------------- */

typedef struct {
    pid_t pid;
    int port;
    char *dir;
} server_t;

static char *
s_path (const char *dir, const char *name)
{
    return vg_asprintf ("%s/%s", dir, name);
}

/* What the test wrote as name in dir, or def. */
static char *
s_script (const char *dir, const char *name, const char *def)
{
    char *path = s_path (dir, name);
    char *text = test_read_file (path);
    free (path);
    return text ? text : (def ? vg_strdup (def) : NULL);
}

static void
s_send_all (int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send (fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static void
s_serve (int c, const char *dir)
{
    char req[65536];
    size_t len = 0;
    while (len < sizeof req - 1) {
        ssize_t n = recv (c, req + len, sizeof req - 1 - len, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
        req[len] = '\0';
        if (strstr (req, "\r\n\r\n"))
            break;
    }
    req[len] = '\0';
    char *path = s_path (dir, "request.txt");
    test_write_file (path, req);
    free (path);
    char *status = s_script (dir, "status", "200");
    char *ctype = s_script (dir, "ctype", NULL);
    char *body = s_script (dir, "body", "");
    char *delay = s_script (dir, "delay_ms", "0");
    test_sleep_ms (atoi (delay));
    vg_buf_t out = {0};
    vg_buf_printf (&out, "HTTP/1.1 %d Scripted\r\nContent-Length: %zu\r\nConnection: close\r\n",
                   atoi (status), strlen (body));
    if (ctype)
        vg_buf_printf (&out, "Content-Type: %s\r\n", ctype);
    vg_buf_printf (&out, "\r\n%s", body);
    s_send_all (c, out.data, out.len);
    vg_buf_free (&out);
    free (status);
    free (ctype);
    free (body);
    free (delay);
}

static void
s_server_start (server_t *srv, const char *dir)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (fd < 0 || bind (fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen (fd, 16) != 0)
        TEST_FAIL ("server socket: %s", strerror (errno));
    socklen_t salen = sizeof sa;
    getsockname (fd, (struct sockaddr *)&sa, &salen);
    srv->port = ntohs (sa.sin_port);
    srv->dir = vg_strdup (dir);
    fflush (NULL);
    srv->pid = fork ();
    if (srv->pid < 0)
        TEST_FAIL ("fork: %s", strerror (errno));
    if (srv->pid == 0) {
        for (;;) {
            int c = accept (fd, NULL, NULL);
            if (c < 0)
                continue;
            s_serve (c, dir);
            close (c);
        }
    }
    close (fd);
}

static void
s_server_stop (server_t *srv)
{
    test_kill_wait (srv->pid, SIGKILL);
    free (srv->dir);
}

static void
s_server_script (server_t *srv, const char *name, const char *text)
{
    char *path = s_path (srv->dir, name);
    if (text)
        test_write_file (path, text);
    else
        unlink (path);
    free (path);
}

/* ---- an input instance the way the core runs one ---------------------- */

static int s_configure (test_input_t *h, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Parses the instance's options from YAML, as agent.yaml would give them. */
static int
s_configure (test_input_t *h, const char *fmt, ...)
{
    char yaml[4096];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (yaml, sizeof yaml, fmt, ap);
    va_end (ap);
    return test_input_configure (h, &in_scrape_plugin, yaml);
}

/* Instance "test", every 10 s. */
static int
s_init (test_input_t *h)
{
    return test_input_init (h, NULL);
}

#define START(h, ...)                                                                              \
    do {                                                                                           \
        if (s_configure ((h), __VA_ARGS__) != VG_OK)                                               \
            TEST_FAIL ("options: %s", (h)->err);                                                   \
        if (s_init (h) != VG_OK)                                                                   \
            TEST_FAIL ("init: %s", (h)->err);                                                      \
    } while (0)

/* A scrape that stored what it read. */
static void
s_collect (test_input_t *h, int64_t now_ms)
{
    test_input_collect (h, now_ms);
    ASSERT_STR_EQ (h->err, "");
}

/* A scrape whose exposition was refused: data all the same (scrape_up 0),
 * and the reason for --once in h->err, which must contain want. */
static void
s_collect_refused (test_input_t *h, int64_t now_ms, const char *want)
{
    int rc = test_input_try_collect (h, now_ms);
    if (rc != AGENT_INPUT_REJECTED)
        TEST_FAIL ("collect: %d (%s), want AGENT_INPUT_REJECTED", rc, h->err);
    ASSERT_STR_CONTAINS (h->err, want);
}

/* ---- looking things up in the batch ----------------------------------- */

/* How many samples (or distributions) of name, kind and exactly these labels
 * (k="v",k="v", keys ascending) the batch holds; *value / *sketch get the
 * last one. */
static size_t
s_lookup (const test_input_t *h, const char *name, vg_kind_t kind, const char *labels,
          double *value, const vg_sketch_t **sketch)
{
    return test_batch_find_text (h->batch, name, (int)kind, labels, 1, value, sketch);
}

#define GAUGE(h, name, labels)     s_get (__LINE__, (h), (name), VG_KIND_GAUGE, (labels))
#define COUNTER(h, name, labels)   s_get (__LINE__, (h), (name), VG_KIND_COUNTER, (labels))
#define HAS(h, name, kind, labels) s_lookup ((h), (name), (kind), (labels), NULL, NULL)

static double
s_get (int line, const test_input_t *h, const char *name, vg_kind_t kind, const char *labels)
{
    double v = NAN;
    size_t n = s_lookup (h, name, kind, labels, &v, NULL);
    if (n != 1)
        TEST_FAIL ("line %d: %s{%s} kind %d: %zu samples, want 1", line, name, labels, (int)kind,
                   n);
    return v;
}

static const vg_sketch_t *
s_dist (int line, const test_input_t *h, const char *name, const char *labels)
{
    const vg_sketch_t *sk = NULL;
    size_t n = s_lookup (h, name, VG_KIND_DISTRIBUTION, labels, NULL, &sk);
    if (n != 1)
        TEST_FAIL ("line %d: distribution %s{%s}: %zu, want 1", line, name, labels, n);
    return sk;
}
#define DIST(h, name, labels) s_dist (__LINE__, (h), (name), (labels))

#define INST "instance=\"test\""

/* The timestamp of the one sample of name (any labels) in the batch. */
static int64_t
s_ts (const test_input_t *h, const char *name)
{
    const vg_batch_t *b = h->batch;
    int64_t ts = 0;
    size_t n = 0;
    for (size_t i = 0; i < b->nsamples; i++)
        if (strcmp (b->strings[b->series[b->sample_series[i]].name], name) == 0) {
            ts = b->sample_ts_ms[i];
            n++;
        }
    if (n != 1)
        TEST_FAIL ("%s: %zu samples, want 1", name, n);
    return ts;
}

static double
s_reason (const test_input_t *h, const char *metric, const char *reason)
{
    char labels[128];
    snprintf (labels, sizeof labels, INST ",reason=\"%s\"", reason);
    return s_get (__LINE__, h, metric, VG_KIND_COUNTER, labels);
}
#define s_dropped(h, reason)  s_reason ((h), "scrape_dropped_total", (reason))
#define s_invalid(h, reason)  s_reason ((h), "scrape_invalid_total", (reason))
#define s_adjusted(h, reason) s_reason ((h), "scrape_adjusted_total", (reason))

/* ---- file:// ---------------------------------------------------------- */

static const char *s_prom_text =
    "# HELP http_requests_total Requests.\n"
    "# TYPE http_requests_total counter\n"
    "http_requests_total{method=\"get\",code=\"200\"} 1027 1395066363000\n"
    "http_requests_total{method=\"post\",code=\"500\"} 3\n"
    "# TYPE mem_bytes gauge\n"
    "mem_bytes 4.2e8\n"
    "untyped_thing{instance=\"own\"} 7\n"
    "# TYPE rpc_seconds summary\n"
    "rpc_seconds{quantile=\"0.95\"} 0.8\n"
    "rpc_seconds{quantile=\"0.99\"} NaN\n"
    "rpc_seconds_sum 12.5\n"
    "rpc_seconds_count 40\n"
    "# TYPE tokens_total counter\n"
    "tokens_total 12000\n"
    "# TYPE tokens_created gauge\n"
    "tokens_created 1.7e9\n";

static void
test_file_prometheus (const char *dir)
{
    char *path = s_path (dir, "metrics.prom");
    test_write_file (path, s_prom_text);
    test_input_t h;
    START (&h, "url: file://%s\n", path);
    s_collect (&h, 1000);
    ASSERT_EQ (COUNTER (&h, "http_requests_total", "code=\"200\"," INST ",method=\"get\""), 1027);
    ASSERT_EQ (COUNTER (&h, "http_requests_total", "code=\"500\"," INST ",method=\"post\""), 3);
    ASSERT_EQ (GAUGE (&h, "mem_bytes", INST), 4.2e8);
    ASSERT_EQ (GAUGE (&h, "untyped_thing", "instance=\"own\""), 7); /* its own instance wins */
    ASSERT_EQ (GAUGE (&h, "rpc_seconds", INST ",quantile=\"0.95\""), 0.8);
    /* NaN is a value, stored as such */
    ASSERT (isnan (GAUGE (&h, "rpc_seconds", INST ",quantile=\"0.99\"")));
    ASSERT_EQ (COUNTER (&h, "rpc_seconds_sum", INST), 12.5);
    ASSERT_EQ (COUNTER (&h, "rpc_seconds_count", INST), 40);
    ASSERT_EQ (COUNTER (&h, "tokens_total", INST), 12000);
    /* tokens_created is tokens_total's start time: left out unless asked for */
    ASSERT_EQ (HAS (&h, "tokens_created", VG_KIND_GAUGE, INST), 0);
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 1);
    ASSERT_EQ (GAUGE (&h, "scrape_samples", INST), 10);
    ASSERT_EQ (GAUGE (&h, "scrape_body_bytes", INST), (double)strlen (s_prom_text));
    ASSERT (GAUGE (&h, "scrape_duration_seconds", INST) >= 0);
    ASSERT_EQ (COUNTER (&h, "scrape_parse_errors_total", INST), 0);
    ASSERT_EQ (s_dropped (&h, "body"), 0);
    ASSERT_EQ (s_dropped (&h, "samples"), 0);
    ASSERT_EQ (s_dropped (&h, "labels"), 0);
    ASSERT_EQ (s_dropped (&h, "histograms"), 0);
    ASSERT_EQ (s_dropped (&h, "duplicate"), 0);
    ASSERT_EQ (s_adjusted (&h, "label_nul"), 0);
    ASSERT_EQ (test_batch_count (h.batch, "scrape_invalid_total"), 0); /* no reason yet */
    /* the scrape is at 1 s after the epoch here: the sample stamped 2014 is
     * decades ahead of it, so it is stored at the scrape's time and counted */
    ASSERT_EQ (s_adjusted (&h, "timestamp"), 1);
    ASSERT_EQ (s_ts (&h, "mem_bytes"), 1000);
    const vg_batch_t *b = h.batch;
    for (size_t i = 0; i < b->nsamples; i++)
        ASSERT_EQ (b->sample_ts_ms[i], 1000);
    /* the counters of the input add up over scrapes */
    s_collect (&h, 11000);
    ASSERT_EQ (s_adjusted (&h, "timestamp"), 2);
    test_input_stop (&h);

    /* keep_created, and no instance label */
    START (&h, "url: file://%s\nkeep_created: true\ninstance_label: false\n", path);
    s_collect (&h, 1000);
    ASSERT_EQ (GAUGE (&h, "tokens_created", ""), 1.7e9);
    ASSERT_EQ (COUNTER (&h, "tokens_total", ""), 12000);
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 1); /* the input's own metrics keep theirs */
    test_input_stop (&h);
    free (path);
}

static void
test_file_openmetrics_guess (const char *dir)
{
    char *path = s_path (dir, "metrics.om");
    test_write_file (path, "# TYPE jobs counter\n"
                           "jobs_total{queue=\"mail\"} 5 # {trace=\"x\"} 1\n"
                           "jobs_created{queue=\"mail\"} 1.6e9\n"
                           "# TYPE up_state stateset\n"
                           "up_state{up_state=\"ok\"} 1\n"
                           "# TYPE build info\n"
                           "build_info{version=\"1.2.3\"} 1\n"
                           "# EOF\n");
    test_input_t h;
    START (&h, "url: file://%s\n", path); /* no Content-Type: # EOF at the end says OpenMetrics */
    s_collect (&h, 1000);
    ASSERT_EQ (COUNTER (&h, "jobs_total", INST ",queue=\"mail\""), 5);
    ASSERT_EQ (HAS (&h, "jobs_created", VG_KIND_GAUGE, INST ",queue=\"mail\""), 0);
    ASSERT_EQ (GAUGE (&h, "up_state", INST ",up_state=\"ok\""), 1);
    ASSERT_EQ (GAUGE (&h, "build_info", INST ",version=\"1.2.3\""), 1);
    ASSERT_EQ (COUNTER (&h, "scrape_parse_errors_total", INST), 0);
    test_input_stop (&h);

    /* format: prometheus reads the same text as 0.0.4, where an exemplar is
     * no timestamp: refused, nothing stored */
    START (&h, "url: file://%s\nformat: prometheus\n", path);
    s_collect_refused (&h, 1000,
                       "invalid Prometheus 0.0.4 exposition, nothing stored: line 2, column 28: "
                       "invalid timestamp \"#\" [timestamp]");
    ASSERT_EQ (HAS (&h, "jobs_total", VG_KIND_GAUGE, INST ",queue=\"mail\""), 0);
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 0);
    ASSERT_EQ (GAUGE (&h, "scrape_samples", INST), 0);
    ASSERT_EQ (COUNTER (&h, "scrape_parse_errors_total", INST), 1);
    ASSERT_EQ (s_invalid (&h, "timestamp"), 1);
    test_input_stop (&h);
    /* with keep_valid_lines the other lines are kept: jobs_total is untyped;
     * the exemplar, and two types 0.0.4 does not have, are the lines skipped */
    START (&h, "url: file://%s\nformat: prometheus\non_invalid: keep_valid_lines\n", path);
    s_collect (&h, 1000);
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 1);
    ASSERT_EQ (GAUGE (&h, "jobs_created", INST ",queue=\"mail\""), 1.6e9);
    ASSERT_EQ (HAS (&h, "jobs_total", VG_KIND_GAUGE, INST ",queue=\"mail\""), 0);
    ASSERT_EQ (COUNTER (&h, "scrape_parse_errors_total", INST), 3);
    ASSERT_EQ (s_invalid (&h, "timestamp"), 1);
    test_input_stop (&h);
    free (path);
}

static void
test_file_down (const char *dir)
{
    char *path = s_path (dir, "missing.prom");
    test_input_t h;
    START (&h, "url: file://%s\n", path);
    s_collect (&h, 1000); /* returns 0: a missing target is data */
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 0);
    ASSERT_EQ (GAUGE (&h, "scrape_samples", INST), 0);
    test_write_file (path, "a 1\n");
    s_collect (&h, 2000);
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 1);
    ASSERT_EQ (GAUGE (&h, "a", INST), 1);
    /* a readable file with nothing but garbage in it is no working target */
    test_write_file (path, "<html><body>Not metrics</body></html>\n");
    s_collect_refused (&h, 3000, "line 1, column 1: expected a metric name [metric_name]");
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 0);
    ASSERT_EQ (COUNTER (&h, "scrape_parse_errors_total", INST), 1);
    test_input_stop (&h);
    /* nor with keep_valid_lines, which finds no valid line in it */
    START (&h, "url: file://%s\non_invalid: keep_valid_lines\n", path);
    s_collect (&h, 1000);
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 0);
    test_input_stop (&h);
    free (path);
}

/* ---- histograms into sketches ----------------------------------------- */

static void
s_write_hist (const char *path, double b01, double b05, double b1, double inf, double sum)
{
    char text[1024];
    snprintf (text, sizeof text,
              "# TYPE lat_seconds histogram\n"
              "lat_seconds_bucket{path=\"/chat\",le=\"0.1\"} %.17g\n"
              "lat_seconds_bucket{path=\"/chat\",le=\"0.5\"} %.17g\n"
              "lat_seconds_bucket{path=\"/chat\",le=\"1\"} %.17g\n"
              "lat_seconds_bucket{path=\"/chat\",le=\"+Inf\"} %.17g\n"
              "lat_seconds_sum{path=\"/chat\"} %.17g\n"
              "lat_seconds_count{path=\"/chat\"} %.17g\n",
              b01, b05, b1, inf, sum, inf);
    test_write_file (path, text);
}

/* histogram_quantile's answer: linear within the bucket holding rank q * count. */
static double
s_linear_quantile (const double *le, const double *cum, size_t n, double q)
{
    double rank = q * cum[n - 1], lo = 0, below = 0;
    for (size_t i = 0; i < n; i++) {
        if (cum[i] >= rank)
            return lo + (le[i] - lo) * (rank - below) / (cum[i] - below);
        lo = le[i];
        below = cum[i];
    }
    return lo;
}

static void
test_histogram_sketch (const char *dir)
{
    char *path = s_path (dir, "hist.prom");
    const char *labels = INST ",path=\"/chat\"";
    test_input_t h;
    START (&h, "url: file://%s\n", path);

    s_write_hist (path, 10, 20, 30, 30, 10);
    s_collect (&h, 10000);
    ASSERT_EQ (COUNTER (&h, "lat_seconds_bucket", INST ",le=\"0.5\",path=\"/chat\""), 20);
    ASSERT_EQ (COUNTER (&h, "lat_seconds_sum", labels), 10);
    ASSERT_EQ (COUNTER (&h, "lat_seconds_count", labels), 30);
    /* the first scrape has nothing to compare with: no sketch yet */
    ASSERT_EQ (HAS (&h, "lat_seconds_dist", VG_KIND_DISTRIBUTION, labels), 0);

    /* 100 in (0, 0.1], 800 in (0.1, 0.5], 100 in (0.5, 1]; their sum 400 */
    s_write_hist (path, 110, 920, 1030, 1030, 410);
    s_collect (&h, 20000);
    const vg_sketch_t *sk = DIST (&h, "lat_seconds_dist", labels);
    ASSERT_EQ (sk->count, 1000);
    ASSERT_NEAR (sk->sum, 400, 1e-9);
    double le[] = {0.1, 0.5, 1}, cum[] = {100, 900, 1000};
    for (int i = 0; i < 4; i++) {
        double q = (double[]){0.5, 0.9, 0.95, 0.99}[i];
        double want = s_linear_quantile (le, cum, 3, q), got = vg_sketch_quantile (sk, q);
        /* the sketch's 1 % plus one observation's worth of rank */
        if (fabs (got - want) > 0.02 * want + 0.5 / 100.0)
            TEST_FAIL ("p%g: sketch %g, histogram_quantile %g", q * 100, got, want);
    }
    ASSERT_NEAR (vg_sketch_quantile (sk, 0.95), 0.75, 0.75 * 0.02);
    ASSERT_NEAR (vg_sketch_quantile (sk, 0.5), 0.3, 0.3 * 0.02);

    /* nothing new: no sketch */
    s_collect (&h, 30000);
    ASSERT_EQ (HAS (&h, "lat_seconds_dist", VG_KIND_DISTRIBUTION, labels), 0);

    /* the application restarted: what it has now is all new; the two past
     * the highest finite bound count at that bound, as histogram_quantile does */
    s_write_hist (path, 5, 5, 5, 7, 3);
    s_collect (&h, 40000);
    sk = DIST (&h, "lat_seconds_dist", labels);
    ASSERT_EQ (sk->count, 7);
    ASSERT_NEAR (sk->sum, 3, 1e-9);
    ASSERT_NEAR (vg_sketch_quantile (sk, 1.0), 1.0, 0.01);
    ASSERT (vg_sketch_quantile (sk, 0.5) <= 0.1 * 1.01);

    /* the buckets changed: start over from this scrape */
    test_write_file (path, "# TYPE lat_seconds histogram\n"
                           "lat_seconds_bucket{path=\"/chat\",le=\"2\"} 50\n"
                           "lat_seconds_bucket{path=\"/chat\",le=\"+Inf\"} 50\n");
    s_collect (&h, 50000);
    ASSERT_EQ (HAS (&h, "lat_seconds_dist", VG_KIND_DISTRIBUTION, labels), 0);
    test_write_file (path, "# TYPE lat_seconds histogram\n"
                           "lat_seconds_bucket{path=\"/chat\",le=\"2\"} 60\n"
                           "lat_seconds_bucket{path=\"/chat\",le=\"+Inf\"} 60\n");
    s_collect (&h, 60000);
    sk = DIST (&h, "lat_seconds_dist", labels);
    ASSERT_EQ (sk->count, 10);
    /* evenly over (0, 2]: at 0.1, 0.3, ... 1.9, each within the sketch's 1 % */
    ASSERT_NEAR (vg_sketch_quantile (sk, 0.0), 0.1, 0.1 * 0.02);
    ASSERT_NEAR (vg_sketch_quantile (sk, 0.5), 0.9, 0.9 * 0.02);
    ASSERT_NEAR (vg_sketch_quantile (sk, 1.0), 1.9, 1.9 * 0.02);
    test_input_stop (&h);

    /* max_histograms: the second series gets no sketch, and is counted */
    test_write_file (path, "# TYPE a histogram\na_bucket{le=\"1\"} 1\na_bucket{le=\"+Inf\"} 1\n"
                           "# TYPE b histogram\nb_bucket{le=\"1\"} 1\nb_bucket{le=\"+Inf\"} 1\n");
    START (&h, "url: file://%s\nmax_histograms: 1\n", path);
    s_collect (&h, 1000);
    ASSERT_EQ (s_dropped (&h, "histograms"), 1);
    test_write_file (path, "# TYPE a histogram\na_bucket{le=\"1\"} 2\na_bucket{le=\"+Inf\"} 2\n"
                           "# TYPE b histogram\nb_bucket{le=\"1\"} 2\nb_bucket{le=\"+Inf\"} 2\n");
    s_collect (&h, 2000);
    ASSERT_EQ (DIST (&h, "a_dist", INST)->count, 1);
    ASSERT_EQ (HAS (&h, "b_dist", VG_KIND_DISTRIBUTION, INST), 0);
    ASSERT_EQ (COUNTER (&h, "b_bucket", INST ",le=\"1\""), 2); /* its counters are kept */
    ASSERT_EQ (s_dropped (&h, "histograms"), 2);
    test_input_stop (&h);

    /* a histogram seen only by its _sum (invalid: no +Inf bucket; kept with
     * keep_valid_lines) has no buckets to make a sketch of */
    test_write_file (path, "# TYPE s histogram\ns_sum 3\n");
    START (&h, "url: file://%s\non_invalid: keep_valid_lines\n", path);
    s_collect (&h, 1000);
    test_write_file (path, "# TYPE s histogram\ns_sum 4\n");
    s_collect (&h, 2000);
    ASSERT_EQ (h.batch->ndists, 0);
    ASSERT_EQ (COUNTER (&h, "s_sum", INST), 4);
    test_input_stop (&h);

    /* bounds near DBL_MAX: a sketch whose sum is not finite would spoil the batch */
    test_write_file (path, "# TYPE big histogram\nbig_bucket{le=\"1e300\"} 1\n"
                           "big_bucket{le=\"+Inf\"} 1\n");
    START (&h, "url: file://%s\n", path);
    s_collect (&h, 1000);
    test_write_file (path, "# TYPE big histogram\nbig_bucket{le=\"1e300\"} 1e9\n"
                           "big_bucket{le=\"+Inf\"} 1e9\n");
    s_collect (&h, 2000);
    ASSERT_EQ (h.batch->ndists, 0);
    test_input_stop (&h);

    /* histogram_sketch: false keeps only the counters */
    test_write_file (path, "# TYPE a histogram\na_bucket{le=\"1\"} 2\na_bucket{le=\"+Inf\"} 2\n");
    START (&h, "url: file://%s\nhistogram_sketch: false\n", path);
    s_collect (&h, 1000);
    test_write_file (path, "# TYPE a histogram\na_bucket{le=\"1\"} 3\na_bucket{le=\"+Inf\"} 3\n");
    s_collect (&h, 2000);
    ASSERT_EQ (h.batch->ndists, 0);
    ASSERT_EQ (COUNTER (&h, "a_bucket", INST ",le=\"1\""), 3);
    test_input_stop (&h);
    free (path);
}

/* ---- limits ----------------------------------------------------------- */

static void
test_limits (const char *dir)
{
    char *path = s_path (dir, "big.prom");
    vg_buf_t text = {0};
    for (int i = 0; i < 200; i++)
        vg_buf_printf (&text, "metric_%03d{i=\"%d\"} %d\n", i, i, i);
    test_write_file (path, text.data);
    /* whole lines within the first KiB */
    size_t keep = 1024;
    while (text.data[keep - 1] != '\n')
        keep--;
    size_t lines = 0;
    for (size_t i = 0; i < keep; i++)
        lines += text.data[i] == '\n';

    test_input_t h;
    /* a body cut at max_body cannot be checked whole: refused */
    START (&h, "url: file://%s\nmax_body: 1KiB\n", path);
    s_collect_refused (&h, 1000,
                       "exposition too large, nothing stored: the response is larger than "
                       "max_body (1024 bytes) [body_limit]");
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 0);
    ASSERT_EQ (GAUGE (&h, "scrape_body_bytes", INST), 1024);
    ASSERT_EQ (s_dropped (&h, "body"), 1);
    ASSERT_EQ (s_invalid (&h, "body_limit"), 1);
    ASSERT_EQ (HAS (&h, "metric_000", VG_KIND_GAUGE, "i=\"0\"," INST), 0);
    test_input_stop (&h);

    /* keep_valid_lines keeps the whole lines of it */
    START (&h, "url: file://%s\nmax_body: 1KiB\non_invalid: keep_valid_lines\n", path);
    s_collect (&h, 1000);
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 1);
    ASSERT_EQ (GAUGE (&h, "scrape_samples", INST), lines);
    ASSERT_EQ (GAUGE (&h, "scrape_body_bytes", INST), 1024);
    ASSERT_EQ (s_dropped (&h, "body"), 1);
    ASSERT_EQ (COUNTER (&h, "scrape_parse_errors_total", INST), 0); /* the cut line is not read */
    ASSERT_EQ (GAUGE (&h, "metric_000", "i=\"0\"," INST), 0);
    char name[32], labels[64];
    snprintf (name, sizeof name, "metric_%03zu", lines - 1);
    snprintf (labels, sizeof labels, "i=\"%zu\"," INST, lines - 1);
    ASSERT_EQ (GAUGE (&h, name, labels), lines - 1);
    snprintf (name, sizeof name, "metric_%03zu", lines);
    ASSERT_EQ (HAS (&h, name, VG_KIND_GAUGE, labels), 0);
    test_input_stop (&h);

    /* the same, cut short in OpenMetrics: a missing # EOF is no parse error */
    vg_buf_puts (&text, "# EOF\n");
    test_write_file (path, text.data);
    START (&h,
           "url: file://%s\nmax_body: 1KiB\nformat: openmetrics\non_invalid: keep_valid_lines\n",
           path);
    s_collect (&h, 1000);
    ASSERT_EQ (GAUGE (&h, "scrape_samples", INST), lines);
    ASSERT_EQ (COUNTER (&h, "scrape_parse_errors_total", INST), 0);
    test_input_stop (&h);

    /* over max_samples or max_label_count: refused, as Prometheus refuses a
     * scrape over its sample_limit; keep_valid_lines drops what is over */
    START (&h, "url: file://%s\nmax_samples: 50\n", path);
    s_collect_refused (&h, 1000,
                       "line 51, column 1: more than max_samples (50) samples "
                       "[sample_limit]");
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 0);
    ASSERT_EQ (s_invalid (&h, "sample_limit"), 1);
    test_input_stop (&h);
    START (&h,
           "url: file://%s\nmax_samples: 50\nmax_label_count: 1\n"
           "on_invalid: keep_valid_lines\n",
           path);
    s_collect (&h, 1000);
    ASSERT_EQ (GAUGE (&h, "scrape_samples", INST), 50);
    ASSERT_EQ (s_dropped (&h, "samples"), 150);
    ASSERT_EQ (s_dropped (&h, "labels"), 0);
    test_write_file (path, "a{x=\"1\"} 1\nb{x=\"1\",y=\"2\"} 2\nc{x=\"12345\"} 3\n");
    s_collect (&h, 2000);
    ASSERT_EQ (GAUGE (&h, "a", INST ",x=\"1\""), 1);
    ASSERT_EQ (s_dropped (&h, "labels"), 1);
    test_input_stop (&h);

    START (&h, "url: file://%s\nmax_label_length: 4\n", path);
    s_collect_refused (&h, 1000,
                       "line 3, column 6: the value of label \"x\" is longer than "
                       "max_label_length [label_limit]");
    ASSERT_EQ (s_invalid (&h, "label_limit"), 1);
    test_input_stop (&h);
    START (&h, "url: file://%s\nmax_label_length: 4\non_invalid: keep_valid_lines\n", path);
    s_collect (&h, 1000);
    ASSERT_EQ (GAUGE (&h, "a", INST ",x=\"1\""), 1);
    ASSERT_EQ (GAUGE (&h, "b", INST ",x=\"1\",y=\"2\""), 2);
    ASSERT_EQ (s_dropped (&h, "labels"), 1);
    test_input_stop (&h);

    /* 64 labels of its own leave no room for instance on the wire */
    vg_buf_reset (&text);
    vg_buf_puts (&text, "wide{");
    for (int i = 0; i < 64; i++)
        vg_buf_printf (&text, "%sl%02d=\"v\"", i ? "," : "", i);
    vg_buf_puts (&text, "} 1\nnarrow 2\n");
    test_write_file (path, text.data);
    START (&h, "url: file://%s\n", path);
    s_collect (&h, 1000);
    ASSERT_EQ (HAS (&h, "wide", VG_KIND_GAUGE, ""), 0);
    ASSERT_EQ (s_dropped (&h, "labels"), 1);
    ASSERT_EQ (GAUGE (&h, "narrow", INST), 2);
    test_input_stop (&h);
    vg_buf_free (&text);
    free (path);
}

/* ---- options ---------------------------------------------------------- */

static void
test_options (void)
{
    test_input_t h;
    ASSERT_EQ (s_configure (&h, "format: json\nurl: file:///x\n"), VG_EINVAL);
    ASSERT_STR_EQ (h.err,
                   "agent.yaml:1: inputs[0].format: expected auto, prometheus or openmetrics");
    test_input_stop (&h);
    ASSERT_EQ (s_configure (&h, "url: file:///x\non_invalid: ignore\n"), VG_EINVAL);
    ASSERT_STR_EQ (h.err,
                   "agent.yaml:2: inputs[0].on_invalid: expected reject or keep_valid_lines");
    test_input_stop (&h);
    ASSERT_EQ (s_configure (&h, "format: prometheus\n"), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "inputs[0].url: required");
    test_input_stop (&h);
    ASSERT_EQ (s_configure (&h, "url: http://x\nmax_label_count: 65\n"), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err,
                         "agent.yaml:2: inputs[0].max_label_count: must be between 1 and 64");
    test_input_stop (&h);
    unsetenv ("SCRAPE_TEST_UNSET");
    ASSERT_EQ (s_configure (&h, "url: http://x\nheaders:\n  X-Key: env:SCRAPE_TEST_UNSET\n"),
               VG_EINVAL);
    ASSERT_STR_EQ (h.err, "agent.yaml:3: inputs[0].headers.X-Key: environment variable "
                          "SCRAPE_TEST_UNSET is not set");
    test_input_stop (&h);
    ASSERT_EQ (s_configure (&h, "url: http://x\nheaders: {\"Bad Name\": 1}\n"), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "inputs[0].headers.Bad Name: not a valid header name");
    test_input_stop (&h);

    ASSERT_EQ (s_configure (&h, "url: ftp://example.com/metrics\n"), VG_OK);
    ASSERT_EQ (s_init (&h), VG_EINVAL);
    ASSERT_STR_EQ (h.err, "url: the scheme must be http, https or file, not ftp");
    test_input_stop (&h);
    ASSERT_EQ (s_configure (&h, "url: \"http://exa mple.com/\"\n"), VG_OK);
    ASSERT_EQ (s_init (&h), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "url: ");
    test_input_stop (&h);
}

/* ---- HTTP ------------------------------------------------------------- */

static const char *s_om_text = "# TYPE req counter\n"
                               "# HELP req Requests.\n"
                               "req_total{code=\"200\"} 10\n"
                               "req_created{code=\"200\"} 1.6e9\n"
                               "# EOF\n";

static void
test_http (const char *dir)
{
    char *sdir = s_path (dir, "server");
    char *cmd = vg_asprintf ("mkdir -p '%s'", sdir);
    ASSERT_EQ (system (cmd), 0);
    free (cmd);
    server_t srv;
    s_server_start (&srv, sdir);
    setenv ("SCRAPE_TEST_TOKEN", "s3cret", 1);

    test_input_t h;
    START (&h,
           "url: http://127.0.0.1:%d/metrics\n"
           "timeout: 1s\n"
           "headers:\n  Authorization: env:SCRAPE_TEST_TOKEN\n  X-Team: web\n",
           srv.port);

    /* text/plain: Prometheus 0.0.4 */
    s_server_script (&srv, "ctype", "text/plain; version=0.0.4; charset=utf-8");
    s_server_script (&srv, "body", s_prom_text);
    s_collect (&h, 1000);
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 1);
    ASSERT_EQ (COUNTER (&h, "http_requests_total", "code=\"200\"," INST ",method=\"get\""), 1027);
    char *req = s_script (sdir, "request.txt", "");
    ASSERT_STR_CONTAINS (req, "GET /metrics HTTP/1.1\r\n");
    ASSERT_STR_CONTAINS (req, "\r\nAuthorization: s3cret\r\n");
    ASSERT_STR_CONTAINS (req, "\r\nX-Team: web\r\n");
    ASSERT_STR_CONTAINS (req, "\r\nAccept: application/openmetrics-text;version=1.0.0;q=0.9,"
                              "text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n");
    ASSERT_STR_CONTAINS (req, "\r\nUser-Agent: vigil-agent/");
    free (req);

    /* application/openmetrics-text: OpenMetrics, so req_total is a counter */
    s_server_script (&srv, "ctype", "application/openmetrics-text; version=1.0.0; charset=utf-8");
    s_server_script (&srv, "body", s_om_text);
    s_collect (&h, 2000);
    ASSERT_EQ (COUNTER (&h, "req_total", "code=\"200\"," INST), 10);
    ASSERT_EQ (COUNTER (&h, "scrape_parse_errors_total", INST), 0);

    /* the same body called text/plain is read as 0.0.4: untyped, # EOF a comment */
    s_server_script (&srv, "ctype", "text/plain");
    s_collect (&h, 3000);
    ASSERT_EQ (GAUGE (&h, "req_total", "code=\"200\"," INST), 10);
    ASSERT_EQ (HAS (&h, "req_total", VG_KIND_COUNTER, "code=\"200\"," INST), 0);
    ASSERT_EQ (COUNTER (&h, "scrape_parse_errors_total", INST), 0);

    /* a Content-Type that names no exposition format fails the scrape, as
     * in Prometheus 3: an HTML page, protobuf, or none at all */
    s_server_script (&srv, "ctype", "text/html; charset=utf-8");
    s_collect_refused (&h, 3500,
                       "unreadable response, nothing stored: the Content-Type \"text/html; "
                       "charset=utf-8\" names no text exposition format "
                       "(application/openmetrics-text or text/plain) [content_type]");
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 0);
    ASSERT_EQ (HAS (&h, "req_total", VG_KIND_GAUGE, "code=\"200\"," INST), 0);
    ASSERT_EQ (s_invalid (&h, "content_type"), 1);
    s_server_script (&srv, "ctype", "text/plain");

    /* an error status is a target down */
    s_server_script (&srv, "status", "503");
    s_collect (&h, 4000);
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 0);
    ASSERT_EQ (HAS (&h, "req_total", VG_KIND_GAUGE, "code=\"200\"," INST), 0);
    s_server_script (&srv, "status", NULL);
    test_input_stop (&h);

    /* format: openmetrics overrides a text/plain Content-Type, and asks for it */
    START (&h, "url: http://127.0.0.1:%d/m\nformat: openmetrics\n", srv.port);
    s_collect (&h, 1000);
    ASSERT_EQ (COUNTER (&h, "req_total", "code=\"200\"," INST), 10);
    ASSERT_EQ (COUNTER (&h, "scrape_parse_errors_total", INST), 0);
    req = s_script (sdir, "request.txt", "");
    ASSERT_STR_CONTAINS (
        req, "\r\nAccept: application/openmetrics-text;version=1.0.0;q=0.9,*/*;q=0.1\r\n");
    free (req);
    test_input_stop (&h);

    /* no Content-Type over HTTP: refused; keep_valid_lines guesses the
     * format from the body like a file's */
    s_server_script (&srv, "ctype", NULL);
    START (&h, "url: http://127.0.0.1:%d/m\nformat: auto\n", srv.port);
    s_collect_refused (&h, 1000, "the response has no Content-Type [content_type]");
    test_input_stop (&h);
    START (&h, "url: http://127.0.0.1:%d/m\non_invalid: keep_valid_lines\n", srv.port);
    s_collect (&h, 1000);
    ASSERT_EQ (COUNTER (&h, "req_total", "code=\"200\"," INST), 10);
    test_input_stop (&h);

    /* a server slower than the timeout is down, and the collect still returns */
    s_server_script (&srv, "delay_ms", "1500");
    START (&h, "url: http://127.0.0.1:%d/m\ntimeout: 200ms\n", srv.port);
    s_collect (&h, 1000);
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 0);
    test_input_stop (&h);
    s_server_stop (&srv);

    /* nobody listening */
    START (&h, "url: http://127.0.0.1:%d/metrics\n", test_free_port ());
    s_collect (&h, 1000);
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 0);
    test_input_stop (&h);
    free (sdir);
}

/* ---- validity and values ---------------------------------------------- */

/* An invalid exposition stores nothing and is counted by its first rule;
 * keep_valid_lines stores the valid lines. */
static void
test_invalid (const char *dir)
{
    char *path = s_path (dir, "invalid.om");
    test_write_file (path, "# TYPE jobs counter\n"
                           "jobs_total{queue=\"mail\"} 5\n"
                           "jobs_total{queue=\"sms\"} -1\n"
                           "# TYPE temp gauge\n"
                           "temp 21\n"
                           "# EOF\n");
    test_input_t h;
    START (&h, "url: file://%s\n", path);
    s_collect_refused (&h, 1000,
                       "invalid OpenMetrics exposition, nothing stored: line 3, column 25: "
                       "counter \"jobs\": jobs_total is negative (-1) [counter_value]");
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 0);
    ASSERT_EQ (GAUGE (&h, "scrape_samples", INST), 0);
    ASSERT_EQ (HAS (&h, "jobs_total", VG_KIND_COUNTER, INST ",queue=\"mail\""), 0);
    ASSERT_EQ (HAS (&h, "temp", VG_KIND_GAUGE, INST), 0);
    ASSERT_EQ (s_invalid (&h, "counter_value"), 1);
    ASSERT_EQ (test_batch_count (h.batch, "scrape_invalid_total"), 1); /* that reason alone */
    s_collect_refused (&h, 2000, "[counter_value]");
    ASSERT_EQ (s_invalid (&h, "counter_value"), 2);
    /* fixed: stored again, and the count stays */
    test_write_file (path, "# TYPE temp gauge\ntemp 21\n# EOF\n");
    s_collect (&h, 3000);
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 1);
    ASSERT_EQ (GAUGE (&h, "temp", INST), 21);
    ASSERT_EQ (s_invalid (&h, "counter_value"), 2);
    test_input_stop (&h);

    test_write_file (path, "# TYPE jobs counter\n"
                           "jobs_total{queue=\"mail\"} 5\n"
                           "jobs_total{queue=\"sms\"} -1\n"
                           "# TYPE temp gauge\n"
                           "temp 21\n"
                           "# EOF\n");
    START (&h, "url: file://%s\non_invalid: keep_valid_lines\n", path);
    s_collect (&h, 1000);
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 1);
    ASSERT_EQ (COUNTER (&h, "jobs_total", INST ",queue=\"mail\""), 5);
    ASSERT_EQ (HAS (&h, "jobs_total", VG_KIND_COUNTER, INST ",queue=\"sms\""), 0);
    ASSERT_EQ (GAUGE (&h, "temp", INST), 21);
    ASSERT_EQ (GAUGE (&h, "scrape_samples", INST), 2);
    ASSERT_EQ (s_invalid (&h, "counter_value"), 1);
    ASSERT_EQ (COUNTER (&h, "scrape_parse_errors_total", INST), 1);
    test_input_stop (&h);
    free (path);
}

/* Valid values are kept: NaN and infinities, and timestamps where the store
 * can hold them; others go at the scrape's time, counted. */
static void
test_values (const char *dir)
{
    const int64_t now = 1700000000000LL, day = 86400000LL;
    char *path = s_path (dir, "values.om");
    char text[1024];
    snprintf (text, sizeof text,
              "# TYPE a gauge\na NaN\n"
              "# TYPE b gauge\nb +Inf\n"
              "# TYPE c gauge\nc -Inf\n"
              "# TYPE d gauge\nd 1 %.3f\n"                   /* 10 days ago: kept */
              "# TYPE e gauge\ne 1 %.3f\n"                   /* 23 hours ahead: kept */
              "# TYPE f gauge\nf 1 %.3f\n"                   /* 40 days ago: not */
              "# TYPE g gauge\ng 1 12345678901234567890.1\n" /* beyond int64 ms */
              "# TYPE s summary\ns{quantile=\"0.5\"} NaN\ns_count 0\ns_sum 0\n"
              "# TYPE n gauge\nn{x=\"a\\\\b\"} 1\n"
              "# EOF\n",
              (double)(now - 10 * day) / 1000, (double)(now + 23 * 3600000LL) / 1000,
              (double)(now - 40 * day) / 1000);
    test_write_file (path, text);
    test_input_t h;
    START (&h, "url: file://%s\n", path);
    s_collect (&h, now);
    ASSERT (isnan (GAUGE (&h, "a", INST)));
    double b = GAUGE (&h, "b", INST), c = GAUGE (&h, "c", INST);
    ASSERT (isinf (b) && b > 0);
    ASSERT (isinf (c) && c < 0);
    ASSERT (isnan (GAUGE (&h, "s", INST ",quantile=\"0.5\"")));
    ASSERT_EQ (s_ts (&h, "a"), now);
    ASSERT_EQ (s_ts (&h, "d"), now - 10 * day);
    ASSERT_EQ (s_ts (&h, "e"), now + 23 * 3600000LL);
    ASSERT_EQ (s_ts (&h, "f"), now);
    ASSERT_EQ (s_ts (&h, "g"), now);
    ASSERT_EQ (s_adjusted (&h, "timestamp"), 2);
    ASSERT_EQ (GAUGE (&h, "scrape_up", INST), 1);
    test_input_stop (&h);

    /* a NUL in a label value is valid; stored as U+FFFD, counted */
    const char nul[] = "# TYPE n gauge\nn{x=\"a\0b\"} 1\n# EOF\n";
    FILE *f = fopen (path, "wb");
    ASSERT (f);
    ASSERT_EQ (fwrite (nul, 1, sizeof nul - 1, f), sizeof nul - 1);
    fclose (f);
    START (&h, "url: file://%s\n", path);
    s_collect (&h, now);
    ASSERT_EQ (GAUGE (&h, "n",
                      INST ",x=\"a\xef\xbf\xbd"
                           "b\""),
               1);
    ASSERT_EQ (s_adjusted (&h, "label_nul"), 1);
    test_input_stop (&h);
    free (path);
}

/* A refused scrape leaves the histograms as the last stored one had them. */
static void
test_refused_histogram (const char *dir)
{
    char *path = s_path (dir, "refused.prom");
    test_input_t h;
    START (&h, "url: file://%s\n", path);
    s_write_hist (path, 10, 20, 30, 30, 10);
    s_collect (&h, 10000);
    test_write_file (path, "# TYPE lat_seconds histogram\nlat_seconds_bucket{le=\"1\"} oops\n");
    s_collect_refused (&h, 20000, "[value]");
    ASSERT_EQ (h.batch->ndists, 0);
    s_write_hist (path, 20, 30, 40, 40, 20);
    s_collect (&h, 30000);
    const vg_sketch_t *sk = DIST (&h, "lat_seconds_dist", INST ",path=\"/chat\"");
    ASSERT_EQ (sk->count, 10); /* since the last stored scrape */
    test_input_stop (&h);
    free (path);
}

/* vigil-agent --once checks a target: exit 1 naming the input, the line and
 * the rule when its exposition is invalid, 0 when it is valid. */
static void
test_once (const char *dir)
{
    char *metrics = s_path (dir, "once.om");
    char *yaml = s_path (dir, "once.yaml");
    char *log = s_path (dir, "once.log");
    char *conf = vg_asprintf ("agent:\n  state_dir: %s\ninputs:\n"
                              "  - type: scrape\n    name: api\n    url: file://%s\n",
                              dir, metrics);
    test_write_file (yaml, conf);
    char *agent = test_build_path ("agent/vigil-agent");
    char *argv[] = {agent, "-c", yaml, "--once", NULL};

    test_write_file (metrics, "# TYPE jobs counter\njobs_total 5\njobs_total{q=\"x\"} NaN\n# EOF\n");
    int st = test_wait (test_spawn (argv, log), 30000);
    ASSERT (WIFEXITED (st));
    ASSERT_EQ (WEXITSTATUS (st), 1);
    char *out = test_read_file (log);
    ASSERT_STR_CONTAINS (out, "vigil-agent: input api (scrape): invalid OpenMetrics exposition, "
                              "nothing stored: line 3, column 19: counter \"jobs\": jobs_total "
                              "is NaN [counter_value]\n");
    ASSERT_STR_CONTAINS (out, "scrape_up{instance=\"api\"} 0\n");
    free (out);

    unlink (log);
    test_write_file (metrics, "# TYPE jobs counter\njobs_total 5\n# EOF\n");
    st = test_wait (test_spawn (argv, log), 30000);
    ASSERT (WIFEXITED (st));
    ASSERT_EQ (WEXITSTATUS (st), 0);
    out = test_read_file (log);
    ASSERT_STR_CONTAINS (out, "jobs_total{instance=\"api\"} 5\n");
    free (out);
    free (agent);
    free (conf);
    free (log);
    free (yaml);
    free (metrics);
}

/* The three definitions of a quantile the scrape page compares, on the
 * values 1..10 (docs/inputs/scrape.md, "Quantiles"): the sketch answers
 * the value of 0-based rank floor (q (n - 1)) within 1 %, histogram_quantile
 * interpolates in the bucket that holds rank q n, nearest rank takes the
 * value of 1-based rank ceil (q n). */
static void
test_quantile_definitions (void)
{
    vg_sketch_t *sk = vg_sketch_new ();
    double le[10], cum[10];
    for (int v = 1; v <= 10; v++) {
        vg_sketch_add (sk, v);
        le[v - 1] = v; /* a bucket per value: le="1" ... le="10" */
        cum[v - 1] = v;
    }
    /* P95: rank floor (0.95 * 9) = 8, the 9th value */
    ASSERT_NEAR (vg_sketch_quantile (sk, 0.95), 9, 9 * 0.01);
    /* histogram_quantile: rank 9.5 falls in (9, 10], halfway */
    ASSERT_NEAR (s_linear_quantile (le, cum, 10, 0.95), 9.5, 1e-12);
    /* nearest rank: ceil (9.5) = 10, the 10th value */
    ASSERT_EQ ((int)ceil (0.95 * 10), 10);
    /* P50: rank floor (4.5) = 4, the 5th value; histogram_quantile 5;
     * nearest rank ceil (5) = 5 */
    ASSERT_NEAR (vg_sketch_quantile (sk, 0.5), 5, 5 * 0.01);
    ASSERT_NEAR (s_linear_quantile (le, cum, 10, 0.5), 5, 1e-12);
    /* the extremes are exact */
    ASSERT_EQ (vg_sketch_quantile (sk, 0), 1);
    ASSERT_EQ (vg_sketch_quantile (sk, 1), 10);
    vg_sketch_destroy (&sk);
}

int
main (void)
{
    char *dir = test_tmpdir ("in_scrape");
    test_options ();
    test_file_prometheus (dir);
    test_file_openmetrics_guess (dir);
    test_file_down (dir);
    test_histogram_sketch (dir);
    test_limits (dir);
    test_http (dir);
    test_invalid (dir);
    test_values (dir);
    test_refused_histogram (dir);
    test_once (dir);
    test_quantile_definitions ();
    free (dir);
    printf ("test_in_scrape: ok\n");
    return 0;
}
