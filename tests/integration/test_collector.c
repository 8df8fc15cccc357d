/*  test_collector.c - the real vigil-collector against a real PostgreSQL,
 *  driven by scripted agents (test_agent_peer): batches are stored once and
 *  acknowledged after the commit; hostile and broken messages are logged with
 *  the peer and a reason while good agents keep being served; an unreachable
 *  database is retried without acknowledging anything; SIGTERM stops cleanly. */
#include "test_agent_peer.h"
#include "test_assert.h"
#include "test_pg.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_codec.h"
#include "vg_sketch.h"
#include "vg_time.h"
#include "vg_wire.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 60000

typedef struct {
    pid_t pid;
    char *log;
    char *endpoint;
} collector_t;

/* The collector running now, killed at exit if an assertion fails first. */
static pid_t s_running;

static void
s_kill_running (void)
{
    if (s_running > 0)
        test_kill_wait (s_running, SIGKILL);
}

/* Lines of the log holding both a and b (b may be NULL). */
static int
s_log_lines (const char *path, const char *a, const char *b)
{
    char *text = test_read_file (path);
    int n = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr (line, '\n');
        if (nl)
            *nl = '\0';
        if (strstr (line, a) && (!b || strstr (line, b)))
            n++;
        line = nl ? nl + 1 : NULL;
    }
    free (text);
    return n;
}

static void
s_dump_log (const char *path)
{
    char *text = test_read_file (path);
    fprintf (stderr, "---- %s ----\n%s---- end ----\n", path, text ? text : "(missing)\n");
    free (text);
}

/* Waits until at least min lines of the log hold a and b. */
static void
s_wait_log (const collector_t *c, const char *a, const char *b, int min)
{
    for (int waited = 0; s_log_lines (c->log, a, b) < min; waited += 50) {
        if (waited > WAIT_MS) {
            s_dump_log (c->log);
            TEST_FAIL ("the collector's log has fewer than %d lines with \"%s\"%s%s%s", min, a,
                       b ? " and \"" : "", b ? b : "", b ? "\"" : "");
        }
        test_sleep_ms (50);
    }
}

static void
s_assert_running (const collector_t *c)
{
    int status = 0;
    if (waitpid (c->pid, &status, WNOHANG) != 0) {
        s_running = 0;
        s_dump_log (c->log);
        TEST_FAIL ("the collector is gone (wait status %d)", status);
    }
}

static collector_t
s_start (const char *dir, const char *name, const char *yaml_body)
{
    collector_t c = {0};
    int port = test_free_port ();
    c.endpoint = vg_asprintf ("tcp://127.0.0.1:%d", port);
    char *config = vg_asprintf ("%s/%s.yaml", dir, name);
    char *yaml = vg_asprintf ("listen: %s\n%s", c.endpoint, yaml_body);
    test_write_file (config, yaml);
    c.log = vg_asprintf ("%s/%s.log", dir, name);
    unlink (c.log);
    char *bin = test_build_path ("collector/vigil-collector");
    char *argv[] = {bin, "-c", config, NULL};
    c.pid = test_spawn (argv, c.log);
    s_running = c.pid;
    s_wait_log (&c, "listening on", c.endpoint, 1);
    free (bin);
    free (yaml);
    free (config);
    return c;
}

/* SIGTERM; the collector must exit 0 after logging its summary. */
static void
s_stop (collector_t *c, const char *summary)
{
    s_assert_running (c);
    int status = test_kill_wait (c->pid, SIGTERM);
    s_running = 0;
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        s_dump_log (c->log);
        TEST_FAIL ("the collector did not exit 0 on SIGTERM (wait status %d)", status);
    }
    if (s_log_lines (c->log, "stopped:", summary) != 1) {
        s_dump_log (c->log);
        TEST_FAIL ("no summary line \"stopped: ... %s\" in the log", summary);
    }
    free (c->log);
    free (c->endpoint);
}

/* nsamples gauge samples (values 0, 0.5, 1, ...) and one distribution of
 * 1..100, all in the last few minutes. */
static vg_batch_t *
s_batch (const char *agent, uint64_t seq, int nsamples)
{
    vg_batch_t *b = vg_batch_new (agent, "test-host");
    int64_t now = vg_now_ms ();
    b->seq = seq;
    b->sent_ms = now;
    vg_label_t labels[] = {{"mode", "user"}};
    uint32_t cpu = vg_batch_series (b, "cpu_percent", VG_KIND_GAUGE, labels, 1);
    for (int i = 0; i < nsamples; i++)
        vg_batch_add_sample (b, cpu, now - (int64_t)(nsamples - i) * 10, i * 0.5);
    vg_sketch_t *sk = vg_sketch_new ();
    for (int v = 1; v <= 100; v++)
        vg_sketch_add (sk, v);
    uint32_t lat = vg_batch_series (b, "latency_ms", VG_KIND_DISTRIBUTION, NULL, 0);
    vg_batch_take_dist (b, lat, now, &sk);
    return b;
}

static uint8_t *
s_encode (const vg_batch_t *b, size_t *len)
{
    uint8_t *buf = NULL;
    ASSERT_EQ (vg_codec_encode_batch (b, &buf, len), 0);
    return buf;
}

static void
s_expect_rejected (test_agent_peer_t *peer, uint64_t seq, const char *reason_part)
{
    uint64_t got = 0;
    vg_ack_status_t status = VG_ACK_STORED;
    char reason[512] = "";
    ASSERT_EQ (test_agent_peer_wait_ack (peer, WAIT_MS, &got, &status, reason, sizeof reason), 0);
    ASSERT_EQ (got, seq);
    ASSERT_EQ (status, VG_ACK_REJECTED);
    ASSERT_STR_CONTAINS (reason, reason_part);
}

/* Stored once, acknowledged twice; hostile messages logged and survived. */
static void
s_test_serving (const char *dir, const char *dburl)
{
    char *body = vg_asprintf ("database_url: %s\nmax_frame: 64KiB\nlatest_flush_interval: 200ms\n"
                              "log_level: info\n",
                              dburl);
    collector_t c = s_start (dir, "serving", body);
    free (body);
    PGconn *db = test_pg_connect (dburl);

    /* A valid batch: STORED after the commit, and its rows are there. */
    test_agent_peer_t *good = test_agent_peer_new (c.endpoint);
    vg_batch_t *b1 = s_batch ("good-agent", 1, 100);
    test_agent_peer_send_batch (good, b1);
    test_agent_peer_expect_ack (good, 1, VG_ACK_STORED);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.samples"), 100);
    ASSERT_NEAR (test_pg_count (db, "SELECT sum(value)::bigint FROM vigil.samples"), 2475, 0);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.distributions"), 1);
    ASSERT_EQ (test_pg_count (db, "SELECT sum(count) FROM vigil.distributions"), 100);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.batches"), 1);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.hosts WHERE agent_id = 'good-agent'"),
               1);
    s_wait_log (&c, "connected to the database", "schema version", 1);

    /* The same batch again: acknowledged DUPLICATE, stored once. */
    test_agent_peer_send_batch (good, b1);
    test_agent_peer_expect_ack (good, 1, VG_ACK_DUPLICATE);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.samples"), 100);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.batches"), 1);

    /* The database drops the collector's connections: the next group fails,
     * is kept, and is written once after reconnecting. */
    test_pg_exec (db, "SELECT pg_terminate_backend (pid) FROM pg_stat_activity "
                      "WHERE datname = current_database () AND pid <> pg_backend_pid ()");
    vg_batch_t *b3 = s_batch ("good-agent", 3, 10);
    test_agent_peer_send_batch (good, b3);
    test_agent_peer_expect_ack (good, 3, VG_ACK_STORED);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.samples"), 110);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.batches"), 2);
    vg_batch_destroy (&b3);

    /* Now the hostile peer. Every case must be logged with the peer's
     * address and a reason; the collector must keep running. */
    test_agent_peer_t *bad = test_agent_peer_new (c.endpoint);
    const char *peer = "peer 127.0.0.1 id ";

    uint8_t garbage[300];
    memset (garbage, 0xff, 16); /* a varint that never ends */
    for (size_t i = 16; i < sizeof garbage; i++)
        garbage[i] = (uint8_t)(i * 131 + 7);
    test_agent_peer_send_payload (bad, garbage, sizeof garbage);
    s_wait_log (&c, "dropped a malformed batch of 300 bytes", peer, 1);
    s_assert_running (&c);

    size_t len;
    vg_batch_t *b10 = s_batch ("hostile-agent", 10, 100);
    uint8_t *buf = s_encode (b10, &len);
    test_agent_peer_send_payload (bad, buf, len / 2);
    char *needle = vg_asprintf ("dropped a malformed batch of %zu bytes", len / 2);
    s_wait_log (&c, needle, peer, 1);
    free (needle);
    free (buf);
    s_assert_running (&c);

    /* Oversized: junk is dropped; a readable batch is answered REJECTED so
     * its agent stops resending it. */
    size_t big = 100 * 1024;
    uint8_t *zeros = vg_calloc (1, big);
    test_agent_peer_send_payload (bad, zeros, big);
    s_wait_log (&c, "dropped a malformed batch of 102400 bytes", "max_frame", 1);
    ASSERT_EQ (s_log_lines (c.log, "max_frame", peer), 1);
    free (zeros);
    vg_batch_t *b11 = s_batch ("hostile-agent", 11, 20000);
    buf = s_encode (b11, &len);
    ASSERT_GT (len, 64 * 1024);
    test_agent_peer_send_payload (bad, buf, len);
    free (buf);
    s_expect_rejected (bad, 11, "max_frame");
    s_wait_log (&c, "rejected batch 11 of agent \"hostile-agent\"", peer, 1);
    s_assert_running (&c);

    /* Frame counts: [kind] alone, and [kind][payload][extra]. */
    buf = s_encode (b10, &len);
    const void *one[] = {VG_WIRE_BATCH};
    size_t one_len[] = {strlen (VG_WIRE_BATCH)};
    test_agent_peer_send_frames (bad, one, one_len, 1);
    s_wait_log (&c, "dropped a message of 2 frames", peer, 1);
    const void *three[] = {VG_WIRE_BATCH, buf, "extra"};
    size_t three_len[] = {strlen (VG_WIRE_BATCH), len, 5};
    test_agent_peer_send_frames (bad, three, three_len, 3);
    s_wait_log (&c, "dropped a message of 4 frames", peer, 1);

    /* An unknown kind, with a perfectly good payload. */
    const void *kind[] = {"vigil.bogus.v9", buf};
    size_t kind_len[] = {strlen ("vigil.bogus.v9"), len};
    test_agent_peer_send_frames (bad, kind, kind_len, 2);
    s_wait_log (&c, "unknown kind \"vigil.bogus.v9\"", peer, 1);
    free (buf);
    s_assert_running (&c);

    /* Valid protobuf, invalid batch: a series names string 7 of a table of 1. */
    vg_batch_t *b12 = vg_batch_new ("hostile-agent", "test-host");
    b12->seq = 12;
    b12->sent_ms = vg_now_ms ();
    vg_batch_push_string (b12, "cpu", 3);
    vg_batch_push_series (b12, 7, VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b12, 0, vg_now_ms (), 1.0);
    test_agent_peer_send_batch (bad, b12);
    s_expect_rejected (bad, 12, "");
    s_wait_log (&c, "rejected batch 12 of agent \"hostile-agent\"", peer, 1);
    s_assert_running (&c);

    /* A flood of garbage is dropped with a few log lines, not one each. A
     * good batch after it from the same peer is answered, so by then every
     * message of the flood has been judged. */
    for (int i = 0; i < 200; i++)
        test_agent_peer_send_payload (bad, garbage, sizeof garbage);
    vg_batch_t *b13 = s_batch ("hostile-agent", 13, 5);
    test_agent_peer_send_batch (bad, b13);
    test_agent_peer_expect_ack (bad, 13, VG_ACK_STORED);
    vg_batch_destroy (&b13);
    ASSERT_LT (s_log_lines (c.log, "dropped a malformed batch of 300 bytes", NULL), 20);
    ASSERT_GE (s_log_lines (c.log, "dropped a malformed batch of 300 bytes", NULL), 2);

    /* None of that was stored, and a good agent is still served. */
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.batches"), 3);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.samples"), 115);
    vg_batch_t *b2 = s_batch ("good-agent", 2, 50);
    test_agent_peer_send_batch (good, b2);
    test_agent_peer_expect_ack (good, 2, VG_ACK_STORED);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.samples"), 165);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.batches"), 4);

    test_agent_peer_destroy (&bad);
    test_agent_peer_destroy (&good);
    s_stop (&c, "4 batches stored, 1 duplicate, 2 rejected");

    /* The latest values were flushed by the time the collector stopped: the
     * good agent's newest cpu_percent is the last sample of batch 2. */
    char *last = test_pg_scalar (db, "SELECT s.last_value FROM vigil.series s JOIN vigil.hosts h "
                                     "USING (host_id) WHERE h.agent_id = 'good-agent' "
                                     "AND s.metric = 'cpu_percent'");
    ASSERT_STR_EQ (last, "24.5");
    free (last);
    PQfinish (db);
    vg_batch_destroy (&b1);
    vg_batch_destroy (&b2);
    vg_batch_destroy (&b10);
    vg_batch_destroy (&b11);
    vg_batch_destroy (&b12);
}

/* The database is unreachable: the collector retries, acknowledges nothing,
 * stops reading past max_queued_batches, and still stops cleanly. The URL
 * comes from VIGIL_DATABASE_URL, which overrides the file's good one. */
static void
s_test_database_down (const char *dir, const char *dburl)
{
    int closed = test_free_port ();
    char *down = vg_asprintf ("postgresql://postgres:s3cret-pw@127.0.0.1:%d/vigil", closed);
    setenv ("VIGIL_DATABASE_URL", down, 1);
    char *body = vg_asprintf ("database_url: %s\nmax_queued_batches: 2\n", dburl);
    collector_t c = s_start (dir, "dbdown", body);
    unsetenv ("VIGIL_DATABASE_URL");
    free (body);

    s_wait_log (&c, "database unreachable", "retrying in", 1);
    char *port = vg_asprintf ("port %d", closed);
    ASSERT_EQ (s_log_lines (c.log, "database unreachable", port), 1);
    free (port);

    test_agent_peer_t *agent = test_agent_peer_new (c.endpoint);
    for (uint64_t seq = 1; seq <= 4; seq++) {
        vg_batch_t *b = s_batch ("lonely-agent", seq, 10);
        test_agent_peer_send_batch (agent, b);
        vg_batch_destroy (&b);
    }
    s_wait_log (&c, "batches are waiting for the database", "not reading from agents", 1);
    uint64_t seq;
    vg_ack_status_t status;
    /* Nothing may be acknowledged while nothing is stored. */
    ASSERT_EQ (test_agent_peer_wait_ack (agent, 3000, &seq, &status, NULL, 0), -1);
    s_assert_running (&c);
    test_agent_peer_destroy (&agent);

    /* Agents whose connections libzmq stopped reading (their queues here
     * full) hang up while the collector reads nothing: it lives on. With
     * ZeroMQ heartbeats on, libzmq 4.3.4 aborted on the next heartbeat of
     * such a connection ("!_io_error", its issue 4364). */
    enum { HANGUPS = 4 };
    test_agent_peer_t *gone[HANGUPS];
    for (int k = 0; k < HANGUPS; k++) {
        char id[32];
        snprintf (id, sizeof id, "hangup-%d", k);
        gone[k] = test_agent_peer_new (c.endpoint);
        for (uint64_t q = 1; q <= 16; q++) {
            vg_batch_t *b = s_batch (id, q, 2000);
            test_agent_peer_send_batch (gone[k], b);
            vg_batch_destroy (&b);
        }
    }
    usleep (1000 * 1000);
    for (int k = 0; k < HANGUPS; k++)
        test_agent_peer_destroy (&gone[k]);
    usleep (12 * 1000 * 1000); /* past two heartbeat intervals */
    s_assert_running (&c);

    char *log = test_read_file (c.log);
    ASSERT (!strstr (log, "s3cret-pw"));
    free (log);
    s_stop (&c, "0 batches stored");
    free (down);
}

/* The database does not exist yet when the collector starts: it retries,
 * holds the batch unanswered, and once the database appears it migrates,
 * stores the batch and acknowledges it. */
static void
s_test_database_late (const char *dir)
{
    char *cluster = test_pg_cluster_url ();
    PGconn *admin = test_pg_connect (cluster);
    test_pg_exec (admin, "DROP DATABASE IF EXISTS vigil_test_collector_late WITH (FORCE)");
    *strrchr (cluster, '/') = '\0';
    char *body = vg_asprintf ("database_url: %s/vigil_test_collector_late\n", cluster);
    collector_t c = s_start (dir, "dblate", body);
    free (body);
    s_wait_log (&c, "vigil_test_collector_late", "retrying in", 1);

    test_agent_peer_t *agent = test_agent_peer_new (c.endpoint);
    vg_batch_t *b = s_batch ("late-agent", 1, 10);
    test_agent_peer_send_batch (agent, b);
    uint64_t seq;
    vg_ack_status_t status;
    ASSERT_EQ (test_agent_peer_wait_ack (agent, 2000, &seq, &status, NULL, 0), -1);
    /* The collector says that nothing is acknowledged, and for how long. */
    s_wait_log (&c, "acknowledgements stalled", "1 batches wait", 1);

    char *url = test_pg_fresh_db ("vigil_test_collector_late");
    test_agent_peer_expect_ack (agent, 1, VG_ACK_STORED);
    s_wait_log (&c, "database reachable again", NULL, 1);
    s_wait_log (&c, "acknowledgements resumed after", NULL, 1);
    PGconn *db = test_pg_connect (url);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.samples"), 10);
    PQfinish (db);
    test_agent_peer_destroy (&agent);
    s_stop (&c, "1 batches stored");
    test_pg_exec (admin, "DROP DATABASE IF EXISTS vigil_test_collector_late WITH (FORCE)");
    PQfinish (admin);
    vg_batch_destroy (&b);
    free (url);
    free (cluster);
}

/* Runs a command to its end; returns its wait status. */
static int
s_run (char *const argv[], const char *log)
{
    s_running = test_spawn (argv, log);
    int status = test_wait (s_running, WAIT_MS);
    if (status == -1)
        TEST_FAIL ("%s did not finish", argv[0]);
    s_running = 0;
    return status;
}

/* --check validates and exits; a bad file names the file, line and key. */
static void
s_test_check (const char *dir)
{
    char *bin = test_build_path ("collector/vigil-collector");
    char *good = vg_asprintf ("%s/check-good.yaml", dir);
    char *bad = vg_asprintf ("%s/check-bad.yaml", dir);
    char *log = vg_asprintf ("%s/check.log", dir);
    test_write_file (good, "listen: tcp://127.0.0.1:5999\nmax_frame: 1MiB\n");
    test_write_file (bad, "listen: tcp://127.0.0.1:5999\nmax_frame: lots\n");

    char *argv_good[] = {bin, "--check", "-c", good, NULL};
    int status = s_run (argv_good, log);
    ASSERT (WIFEXITED (status));
    ASSERT_EQ (WEXITSTATUS (status), 0);

    char *argv_bad[] = {bin, "--check", "-c", bad, NULL};
    status = s_run (argv_bad, log);
    ASSERT (WIFEXITED (status));
    ASSERT_EQ (WEXITSTATUS (status), 2);
    char *out = test_read_file (log);
    ASSERT_STR_CONTAINS (out, "check-bad.yaml:2");
    ASSERT_STR_CONTAINS (out, "max_frame");
    free (out);
    free (bin);
    free (good);
    free (bad);
    free (log);
}

int
main (void)
{
    unsetenv ("VIGIL_DATABASE_URL");
    atexit (s_kill_running);
    char *dir = test_tmpdir ("collector");
    char *dburl = test_pg_fresh_db ("vigil_test_collector");
    s_test_check (dir);
    s_test_serving (dir, dburl);
    s_test_database_down (dir, dburl);
    s_test_database_late (dir);
    free (dburl);
    free (dir);
    return 0;
}
