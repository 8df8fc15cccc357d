/*  test_in_statsd.c - the statsd input against real UDP packets.
 *
 *  Each test starts an instance through the real option parser listening on
 *  127.0.0.1 port 0, reads the port the kernel chose back with getsockname,
 *  sends packets with sendto, then calls on_readable and collect the way the
 *  agent's loop does and checks what lands in the batch. Time is passed in,
 *  so expiry is tested without sleeping.
 */
#include "agent_input.h"
#include "test_assert.h"
#include "test_batch.h"
#include "vg_batch.h"
#include "vg_error.h"
#include "vg_sketch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <unistd.h>

extern const agent_input_plugin_t in_statsd_plugin;

/* ---- an instance the way the core runs one ---------------------------- */

/* Applies yaml (keys of an agent.yaml input entry) to a fresh context.
 * Returns the parser's code; err holds its message. */
static int
s_configure (test_input_t *h, const char *yaml)
{
    return test_input_configure (h, &in_statsd_plugin, yaml);
}

/* The address the instance listens on. */
static struct sockaddr_in
s_address (test_input_t *h)
{
    int fd = in_statsd_plugin.poll_fd (h->ctx);
    ASSERT (fd >= 0);
    struct sockaddr_in to;
    socklen_t len = sizeof to;
    ASSERT_EQ (getsockname (fd, (struct sockaddr *)&to, &len), 0);
    return to;
}

/* Starts an instance on 127.0.0.1:0 plus the options in extra (YAML lines). */
static void
s_start (test_input_t *h, const char *extra)
{
    agent_input_env_t env = {.instance = "app", .state_dir = NULL, .interval_ms = 10000};
    test_input_startf (h, &in_statsd_plugin, &env, "listen: \"127.0.0.1:0\"\n%s",
                       extra ? extra : "");
    struct sockaddr_in to = s_address (h);
    ASSERT_EQ (to.sin_family, AF_INET);
    ASSERT_NE (ntohs (to.sin_port), 0);
}

/* Sends one packet of len bytes. */
static void
s_send_n (test_input_t *h, const char *data, size_t len)
{
    struct sockaddr_in to = s_address (h);
    int tx = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT (tx >= 0);
    ssize_t n = sendto (tx, data, len, 0, (struct sockaddr *)&to, sizeof to);
    if (n != (ssize_t)len)
        TEST_FAIL ("sendto: %s", strerror (errno));
    close (tx);
}

static void
s_send (test_input_t *h, const char *packet)
{
    s_send_n (h, packet, strlen (packet));
}

/* Waits (generously) until the socket is readable, then lets the input
 * read, as the loop does when poll says so. */
static void
s_feed (test_input_t *h, int64_t now_ms)
{
    struct pollfd p = {in_statsd_plugin.poll_fd (h->ctx), POLLIN, 0};
    if (poll (&p, 1, 10000) != 1)
        TEST_FAIL ("the listener never became readable");
    in_statsd_plugin.on_readable (h->ctx, now_ms);
}

/* ---- looking samples up in a batch ------------------------------------ */

/* How many samples of (name, kind, exactly these labels) the batch holds;
 * *value gets the last one's. Labels: key, value, ..., NULL. */
static size_t
s_find (const vg_batch_t *b, const char *name, vg_kind_t kind, double *value, ...)
{
    va_list ap;
    va_start (ap, value);
    size_t n = test_batch_vfind (b, name, (int)kind, 1, value, ap);
    va_end (ap);
    return n;
}

/* The one sample of (name, kind, labels); fails the test unless there is exactly one. */
#define VALUE(b, name, kind, ...) s_value (__LINE__, (b), (name), (kind), __VA_ARGS__)
static double
s_value (int line, const vg_batch_t *b, const char *name, vg_kind_t kind, const char *k1,
         const char *v1, const char *k2, const char *v2, const char *k3, const char *v3)
{
    double v = NAN;
    size_t n = s_find (b, name, kind, &v, k1, v1, k2, v2, k3, v3, NULL);
    if (n != 1)
        TEST_FAIL ("line %d: %s: %zu samples, want 1", line, name, n);
    return v;
}
#define COUNTER(b, name) VALUE (b, name, VG_KIND_COUNTER, NULL, NULL, NULL, NULL, NULL, NULL)
#define GAUGE(b, name)   VALUE (b, name, VG_KIND_GAUGE, NULL, NULL, NULL, NULL, NULL, NULL)
#define SELF(b, name)    VALUE (b, name, VG_KIND_COUNTER, "input", "app", NULL, NULL, NULL, NULL)
#define DROPPED(b, reason)                                                                         \
    VALUE (b, "statsd_dropped_total", VG_KIND_COUNTER, "input", "app", "reason", reason, NULL, NULL)

/* The distribution of (name, no labels), or NULL when none was emitted. */
static const vg_sketch_t *
s_dist (const vg_batch_t *b, const char *name)
{
    return test_batch_dist (b, name, NULL);
}

/* ---- the tests -------------------------------------------------------- */

static void
test_registered (void)
{
    ASSERT (agent_input_find ("statsd") == &in_statsd_plugin);
    ASSERT (in_statsd_plugin.poll_fd && in_statsd_plugin.on_readable);
}

static void
test_counters (void)
{
    test_input_t h;
    s_start (&h, NULL);
    /* sampled 1 in 10: each one stands for ten */
    s_send (&h, "chat.requests:1|c|@0.1");
    s_send (&h, "chat.requests:2|c\nchat.requests:3|c");
    s_feed (&h, 1000);
    test_input_collect (&h, 10000);
    ASSERT_NEAR (COUNTER (h.batch, "chat_requests"), 15, 1e-9);

    /* cumulative since start, and still there in a quiet interval */
    s_send (&h, "chat.requests:0.5|c|@0.5");
    s_feed (&h, 11000);
    test_input_collect (&h, 20000);
    ASSERT_NEAR (COUNTER (h.batch, "chat_requests"), 16, 1e-9);
    test_input_collect (&h, 30000);
    ASSERT_NEAR (COUNTER (h.batch, "chat_requests"), 16, 1e-9);

    /* several values in one line, each weighted */
    s_send (&h, "tokens:100:200|c|@0.5");
    s_feed (&h, 31000);
    test_input_collect (&h, 40000);
    ASSERT_NEAR (COUNTER (h.batch, "tokens"), 600, 1e-9);

    ASSERT_NEAR (SELF (h.batch, "statsd_packets_total"), 4, 0);
    ASSERT_NEAR (SELF (h.batch, "statsd_lines_total"), 5, 0);
    ASSERT_NEAR (SELF (h.batch, "statsd_bad_lines_total"), 0, 0);
    ASSERT_NEAR (
        VALUE (h.batch, "statsd_series", VG_KIND_GAUGE, "input", "app", NULL, NULL, NULL, NULL), 2,
        0);
    test_input_stop (&h);
}

static void
test_gauges (void)
{
    test_input_t h;
    s_start (&h, NULL);
    s_send (&h, "queue.depth:10|g\nqueue.depth:+5|g\nqueue.depth:-3|g");
    s_feed (&h, 1000);
    test_input_collect (&h, 10000);
    ASSERT_NEAR (GAUGE (h.batch, "queue_depth"), 12, 1e-9);

    /* deltas move the current value across intervals, below zero too */
    s_send (&h, "queue.depth:-20|g");
    s_feed (&h, 11000);
    test_input_collect (&h, 20000);
    ASSERT_NEAR (GAUGE (h.batch, "queue_depth"), -8, 1e-9);

    /* an unsigned value sets it; a quiet interval keeps it */
    s_send (&h, "queue.depth:4|g");
    s_feed (&h, 21000);
    test_input_collect (&h, 30000);
    ASSERT_NEAR (GAUGE (h.batch, "queue_depth"), 4, 1e-9);
    test_input_collect (&h, 40000);
    ASSERT_NEAR (GAUGE (h.batch, "queue_depth"), 4, 1e-9);

    /* a first delta starts from zero; values of one line apply in order */
    s_send (&h, "memory.mb:+7|g\nconns:+1:10:-2|g");
    s_feed (&h, 41000);
    test_input_collect (&h, 50000);
    ASSERT_NEAR (GAUGE (h.batch, "memory_mb"), 7, 1e-9);
    ASSERT_NEAR (GAUGE (h.batch, "conns"), 8, 1e-9);
    test_input_stop (&h);
}

static void
test_timers (void)
{
    test_input_t h;
    s_start (&h, NULL);
    /* 1..1000 ms, a hundred lines a packet, some in DogStatsD's multi-value form */
    char packet[2048];
    for (int base = 0; base < 1000; base += 100) {
        size_t o = 0;
        for (int v = base + 1; v <= base + 100; v++)
            if (base == 500 && v % 2 == 1)
                o += (size_t)snprintf (packet + o, sizeof packet - o, "req.latency:%d:%d|ms\n", v,
                                       v + 1);
            else if (base != 500)
                o += (size_t)snprintf (packet + o, sizeof packet - o, "req.latency:%d|ms\n", v);
        s_send_n (&h, packet, o);
    }
    /* a timer sampled 1 in 4 counts four times; h and d share the series */
    s_send (&h, "sampled:100|ms|@0.25\nsize:5|h\nsize:7|d");
    s_feed (&h, 1000);
    test_input_collect (&h, 10000);

    const vg_sketch_t *sk = s_dist (h.batch, "req_latency");
    ASSERT (sk);
    ASSERT_EQ (sk->count, 1000);
    ASSERT_NEAR (sk->sum, 500500, 1e-6);
    ASSERT_NEAR (sk->min, 1, 0);
    ASSERT_NEAR (sk->max, 1000, 0);
    double p95 = vg_sketch_quantile (sk, 0.95);
    ASSERT_NEAR (p95, 950, 950 * 0.011);
    ASSERT_NEAR (vg_sketch_quantile (sk, 0.5), 500, 500 * 0.011);

    sk = s_dist (h.batch, "sampled");
    ASSERT (sk);
    ASSERT_EQ (sk->count, 4);
    sk = s_dist (h.batch, "size");
    ASSERT (sk);
    ASSERT_EQ (sk->count, 2);
    ASSERT_NEAR (sk->sum, 12, 1e-9);

    /* a distribution is per interval: nothing new, nothing emitted */
    test_input_collect (&h, 20000);
    ASSERT (!s_dist (h.batch, "req_latency"));
    ASSERT_EQ (h.batch->ndists, 0);
    s_send (&h, "req.latency:42|ms");
    s_feed (&h, 21000);
    test_input_collect (&h, 30000);
    sk = s_dist (h.batch, "req_latency");
    ASSERT (sk);
    ASSERT_EQ (sk->count, 1);
    ASSERT_NEAR (vg_sketch_quantile (sk, 0.95), 42, 0);
    test_input_stop (&h);
}

static void
test_sets (void)
{
    test_input_t h;
    s_start (&h, "max_set_size: 3\n");
    s_send (&h, "users:alice|s\nusers:bob|s\nusers:alice|s");
    s_feed (&h, 1000);
    test_input_collect (&h, 10000);
    ASSERT_NEAR (GAUGE (h.batch, "users"), 2, 0);
    ASSERT_NEAR (DROPPED (h.batch, "max_set_size"), 0, 0);

    /* a new interval counts afresh; a quiet one counts zero */
    s_send (&h, "users:carol|s");
    s_feed (&h, 11000);
    test_input_collect (&h, 20000);
    ASSERT_NEAR (GAUGE (h.batch, "users"), 1, 0);
    test_input_collect (&h, 30000);
    ASSERT_NEAR (GAUGE (h.batch, "users"), 0, 0);

    /* past max_set_size, new members are dropped and counted */
    s_send (&h, "users:a|s\nusers:b|s\nusers:c|s\nusers:d|s\nusers:e|s\nusers:a|s");
    s_feed (&h, 31000);
    test_input_collect (&h, 40000);
    ASSERT_NEAR (GAUGE (h.batch, "users"), 3, 0);
    ASSERT_NEAR (DROPPED (h.batch, "max_set_size"), 2, 0);
    test_input_stop (&h);

    /* many members: the set grows past its first table */
    s_start (&h, NULL);
    char line[64];
    for (int i = 0; i < 500; i++) {
        snprintf (line, sizeof line, "sessions:s%d|s\nsessions:s%d|s", i, i / 2);
        s_send (&h, line);
        if (i % 50 == 49)
            s_feed (&h, 1000);
    }
    test_input_collect (&h, 10000);
    ASSERT_NEAR (GAUGE (h.batch, "sessions"), 500, 0);
    test_input_stop (&h);
}

static void
test_tags (void)
{
    test_input_t h;
    s_start (&h, NULL);
    s_send (&h, "api.latency-ms:5|c|#End.Point:/chat,persona:tutor,canary\n"
                "api.latency-ms:1|c|#persona:tutor,canary,End.Point:/chat\n"
                "api.latency-ms:1|c|#End.Point:/health\n"
                "api.latency-ms:1|c\n"
                "dup:1|c|#k:first,k:second\n"
                "dup:2|c|#k:first\n");
    s_feed (&h, 1000);
    test_input_collect (&h, 10000);
    /* tags in any order are one series; names and keys are sanitised */
    ASSERT_NEAR (VALUE (h.batch, "api_latency_ms", VG_KIND_COUNTER, "End_Point", "/chat", "persona",
                        "tutor", "canary", "true"),
                 6, 0);
    ASSERT_NEAR (VALUE (h.batch, "api_latency_ms", VG_KIND_COUNTER, "End_Point", "/health", NULL,
                        NULL, NULL, NULL),
                 1, 0);
    ASSERT_NEAR (COUNTER (h.batch, "api_latency_ms"), 1, 0);
    /* the first of two tags with one key wins */
    ASSERT_NEAR (VALUE (h.batch, "dup", VG_KIND_COUNTER, "k", "first", NULL, NULL, NULL, NULL), 3,
                 0);
    /* a name used for two types makes two series */
    s_send (&h, "both:1|c\nboth:5|g");
    s_feed (&h, 11000);
    test_input_collect (&h, 20000);
    ASSERT_NEAR (COUNTER (h.batch, "both"), 1, 0);
    ASSERT_NEAR (GAUGE (h.batch, "both"), 5, 0);
    test_input_stop (&h);
}

static void
test_bad_lines (void)
{
    test_input_t h;
    s_start (&h, NULL);
    /* bad lines are counted and skipped; the good ones beside them count */
    s_send (&h, "good:1|c\ngarbage\nbad:x|c\n\nbad:1|q\ngood:1|c|@2\r\ngood:2|c\r\n");
    s_send (&h, "_e{5,4}:title|text");
    for (int i = 0; i < 10; i++)
        s_send (&h, "again:1|c|#:nokey");
    s_feed (&h, 1000);
    test_input_collect (&h, 10000);
    ASSERT_NEAR (COUNTER (h.batch, "good"), 3, 0);
    ASSERT_NEAR (SELF (h.batch, "statsd_bad_lines_total"), 15, 0);
    ASSERT_NEAR (SELF (h.batch, "statsd_lines_total"), 17, 0);
    ASSERT_NEAR (SELF (h.batch, "statsd_packets_total"), 12, 0);
    ASSERT_EQ (s_find (h.batch, "bad", VG_KIND_COUNTER, NULL, NULL), 0);
    ASSERT_EQ (s_find (h.batch, "again", VG_KIND_COUNTER, NULL, NULL), 0);

    /* a counter that would overflow keeps its last finite value */
    s_send (&h, "big:1e308|c\nbig:1e308|c");
    s_feed (&h, 11000);
    test_input_collect (&h, 20000);
    ASSERT_NEAR (COUNTER (h.batch, "big"), 1e308, 1e292);
    ASSERT_NEAR (SELF (h.batch, "statsd_bad_lines_total"), 16, 0);
    test_input_stop (&h);
}

static void
test_max_series (void)
{
    test_input_t h;
    s_start (&h, "max_series: 3\n");
    s_send (&h, "a:1|c\nb:1|g\nc:1|ms\nd:1|c\ne:1|s\na:1|c|#new:tag");
    s_feed (&h, 1000);
    /* existing series keep updating at the cap */
    s_send (&h, "a:1|c\nb:9|g");
    s_feed (&h, 2000);
    test_input_collect (&h, 10000);
    ASSERT_NEAR (COUNTER (h.batch, "a"), 2, 0);
    ASSERT_NEAR (GAUGE (h.batch, "b"), 9, 0);
    ASSERT (s_dist (h.batch, "c"));
    ASSERT_EQ (s_find (h.batch, "d", VG_KIND_COUNTER, NULL, NULL), 0);
    ASSERT_EQ (s_find (h.batch, "e", VG_KIND_GAUGE, NULL, NULL), 0);
    ASSERT_NEAR (DROPPED (h.batch, "max_series"), 3, 0);
    ASSERT_NEAR (
        VALUE (h.batch, "statsd_series", VG_KIND_GAUGE, "input", "app", NULL, NULL, NULL, NULL), 3,
        0);
    test_input_stop (&h);

    /* a table that grows and rehashes keeps every series apart */
    s_start (&h, NULL);
    char line[64];
    for (int i = 0; i < 300; i++) {
        snprintf (line, sizeof line, "m%d:%d|g\nm%d:1|c", i, i, i);
        s_send (&h, line);
        if (i % 50 == 49)
            s_feed (&h, 1000);
    }
    test_input_collect (&h, 10000);
    for (int i = 0; i < 300; i += 7) {
        snprintf (line, sizeof line, "m%d", i);
        ASSERT_NEAR (GAUGE (h.batch, line), i, 0);
        ASSERT_NEAR (COUNTER (h.batch, line), 1, 0);
    }
    test_input_stop (&h);
}

static void
test_expire (void)
{
    test_input_t h;
    s_start (&h, "expire_after: 30s\nmax_series: 2\n");
    s_send (&h, "old:1|c\nkept:1|g");
    s_feed (&h, 1000);
    test_input_collect (&h, 10000);
    ASSERT_NEAR (COUNTER (h.batch, "old"), 1, 0);
    s_send (&h, "kept:2|g");
    s_feed (&h, 25000);
    test_input_collect (&h, 30000);
    ASSERT_NEAR (COUNTER (h.batch, "old"), 1, 0);

    /* 30 s without an update: forgotten, and its slot is free again */
    test_input_collect (&h, 31000);
    ASSERT_EQ (s_find (h.batch, "old", VG_KIND_COUNTER, NULL, NULL), 0);
    ASSERT_NEAR (GAUGE (h.batch, "kept"), 2, 0);
    s_send (&h, "fresh:5|c\nold:1|c");
    s_feed (&h, 32000);
    test_input_collect (&h, 40000);
    ASSERT_NEAR (COUNTER (h.batch, "fresh"), 5, 0);
    ASSERT_EQ (s_find (h.batch, "old", VG_KIND_COUNTER, NULL, NULL), 0);
    ASSERT_NEAR (DROPPED (h.batch, "max_series"), 1, 0);
    test_input_stop (&h);

    /* expire_after 0: kept for good */
    s_start (&h, "expire_after: 0\n");
    s_send (&h, "old:1|c");
    s_feed (&h, 1000);
    test_input_collect (&h, 1000 + 30LL * 24 * 3600 * 1000);
    ASSERT_NEAR (COUNTER (h.batch, "old"), 1, 0);
    test_input_stop (&h);
}

static void
test_truncated (void)
{
    test_input_t h;
    s_start (&h, "max_packet_size: 512\n");
    /* 20 lines of 30 bytes: 600 bytes, 17 whole lines fit in 512 */
    char packet[1024];
    size_t o = 0;
    for (int i = 0; i < 20; i++)
        o += (size_t)snprintf (packet + o, sizeof packet - o, "long.packet.counter:%07d|c\n", 1);
    ASSERT_EQ (o, 600);
    s_send_n (&h, packet, o);
    s_send (&h, "after:1|c");
    s_feed (&h, 1000);
    test_input_collect (&h, 10000);
    ASSERT_NEAR (COUNTER (h.batch, "long_packet_counter"), 17, 0);
    ASSERT_NEAR (COUNTER (h.batch, "after"), 1, 0);
    ASSERT_NEAR (DROPPED (h.batch, "truncated"), 1, 0);
    ASSERT_NEAR (SELF (h.batch, "statsd_bad_lines_total"), 0, 0);
    test_input_stop (&h);
}

static void
test_options (void)
{
    test_input_t h;
    /* listen is checked when the file is read, so --check catches it */
    const char *bad[] = {"listen: nonsense\n",     "listen: \"127.0.0.1:\"\n",
                         "listen: \":8125\"\n",    "listen: \"127.0.0.1:65536\"\n",
                         "listen: \"::1:8125\"\n", "listen: \"[::1]8125\"\n",
                         "listen: \"host:80x\"\n", "max_series: 0\n",
                         "max_packet_size: 100\n", "tcp: true\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = s_configure (&h, bad[i]);
        if (rc != VG_EINVAL)
            TEST_FAIL ("'%s' accepted", bad[i]);
        ASSERT_STR_CONTAINS (h.err, "agent.yaml:1: inputs[0].");
        test_input_stop (&h);
    }
    ASSERT_EQ (s_configure (&h, "listen: nonsense\n"), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "expected host:port");
    ASSERT_STR_CONTAINS (h.err, "'nonsense'");
    test_input_stop (&h);

    /* the defaults: 127.0.0.1:8125 */
    ASSERT_EQ (s_configure (&h, "max_series: 5\n"), VG_OK);
    char **listen = (char **)((char *)h.ctx + in_statsd_plugin.options[0].offset);
    ASSERT_STR_EQ (in_statsd_plugin.options[0].name, "listen");
    ASSERT_STR_EQ (*listen, "127.0.0.1:8125");
    test_input_stop (&h);

    /* IPv6 in brackets */
    ASSERT_EQ (s_configure (&h, "listen: \"[::1]:0\"\n"), VG_OK);
    test_input_stop (&h);

    /* a port in use fails init with the reason, and leaks nothing */
    int other = socket (AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    ASSERT_EQ (bind (other, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    ASSERT_EQ (getsockname (other, (struct sockaddr *)&sa, &len), 0);
    char yaml[64];
    snprintf (yaml, sizeof yaml, "listen: \"127.0.0.1:%d\"\n", ntohs (sa.sin_port));
    ASSERT_EQ (s_configure (&h, yaml), VG_OK);
    agent_input_env_t env = {.instance = "busy", .interval_ms = 10000};
    int rc = in_statsd_plugin.init (h.ctx, &env, h.err, sizeof h.err);
    ASSERT_EQ (rc, VG_EIO);
    ASSERT_STR_CONTAINS (h.err, "listen 127.0.0.1:");
    ASSERT_STR_CONTAINS (h.err, strerror (EADDRINUSE));
    test_input_stop (&h);
    close (other);
}

int
main (void)
{
    test_registered ();
    test_counters ();
    test_gauges ();
    test_timers ();
    test_sets ();
    test_tags ();
    test_bad_lines ();
    test_max_series ();
    test_expire ();
    test_truncated ();
    test_options ();
    printf ("in_statsd: ok\n");
    return 0;
}
