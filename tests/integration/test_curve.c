/*  test_curve.c - the real vigil-collector with CURVE on, keys made by the
 *  real `vigil keygen`: a known key stores batches for its own host and is
 *  refused for another; an unknown key and a plain peer get nothing in, the
 *  unknown key logged once with its fingerprint; a key added to the
 *  allow-list is let in and a key removed is shut out without a restart; a
 *  collector other hosts can reach refuses to start without keys. */
#include "test_agent_peer.h"
#include "test_assert.h"
#include "test_pg.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_time.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 60000

static pid_t s_running;

static void
s_kill_running (void)
{
    if (s_running > 0)
        test_kill_wait (s_running, SIGKILL);
}

static int
s_log_count (const char *path, const char *needle)
{
    char *text = test_read_file (path);
    int n = 0;
    for (char *p = text; p && (p = strstr (p, needle)); p += strlen (needle))
        n++;
    free (text);
    return n;
}

static void
s_wait_log (const char *path, const char *needle, int min)
{
    for (int waited = 0; s_log_count (path, needle) < min; waited += 50) {
        if (waited > WAIT_MS) {
            char *text = test_read_file (path);
            fprintf (stderr, "---- %s ----\n%s---- end ----\n", path, text ? text : "");
            free (text);
            TEST_FAIL ("no \"%s\" in %s", needle, path);
        }
        test_sleep_ms (50);
    }
}

/* Runs vigil keygen NAME --dir DIR [--hosts HOSTS]; exits 0 or fails. */
static void
s_keygen (const char *dir, const char *name, const char *hosts)
{
    char *bin = test_build_path ("cli/vigil");
    char *log = vg_asprintf ("%s/keygen.log", dir);
    char *argv[] = {bin,
                    "keygen",
                    (char *)name,
                    "--dir",
                    (char *)dir,
                    "--hosts",
                    (char *)(hosts ? hosts : name),
                    NULL};
    pid_t pid = test_spawn (argv, log);
    int status = test_wait (pid, WAIT_MS);
    ASSERT (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    free (bin);
    free (log);
}

/* The key (Z85) named field of a zcert file. */
static void
s_key (const char *path, const char *field, char out[41])
{
    char *text = test_read_file (path);
    ASSERT (text);
    char *p = strstr (text, field);
    ASSERT (p);
    p = strchr (p, '"');
    ASSERT (p && strlen (p) > 41);
    memcpy (out, p + 1, 40);
    out[40] = '\0';
    free (text);
}

typedef struct {
    char pub[41], sec[41];
} keys_t;

static keys_t
s_keys (const char *dir, const char *name)
{
    keys_t k;
    char *sec = vg_asprintf ("%s/%s_secret", dir, name);
    s_key (sec, "public-key", k.pub);
    s_key (sec, "secret-key", k.sec);
    free (sec);
    return k;
}

static vg_batch_t *
s_batch (const char *agent, const char *host, uint64_t seq)
{
    vg_batch_t *b = vg_batch_new (agent, host);
    b->seq = seq;
    b->sent_ms = vg_now_ms ();
    uint32_t s = vg_batch_series (b, "curve_test", VG_KIND_GAUGE, NULL, 0);
    for (int i = 0; i < 10; i++)
        vg_batch_add_sample (b, s, vg_now_ms () - 100 + i, i);
    return b;
}

static void
s_send (test_agent_peer_t *peer, const char *agent, const char *host, uint64_t seq)
{
    vg_batch_t *b = s_batch (agent, host, seq);
    test_agent_peer_send_batch (peer, b);
    vg_batch_destroy (&b);
}

static void
test_refuses_open_endpoint_without_keys (const char *dir)
{
    char *bin = test_build_path ("collector/vigil-collector");
    char *cfg = vg_asprintf ("%s/open.yaml", dir);
    char *log = vg_asprintf ("%s/open.log", dir);
    test_write_file (cfg, "listen: tcp://0.0.0.0:5999\n");
    char *argv[] = {bin, "--check", "-c", cfg, NULL};
    pid_t pid = test_spawn (argv, log);
    int status = test_wait (pid, WAIT_MS);
    ASSERT (WIFEXITED (status));
    ASSERT_EQ (WEXITSTATUS (status), 2);
    char *out = test_read_file (log);
    ASSERT_STR_CONTAINS (out, "open.yaml:1: listen: listen tcp://0.0.0.0:5999 can be reached from "
                              "other hosts and no CURVE keys are set: set curve_secret_key and "
                              "curve_allow_dir");
    free (out);
    /* transport: plain says it aloud: accepted. */
    test_write_file (cfg, "listen: tcp://0.0.0.0:5999\ntransport: plain\n");
    pid = test_spawn (argv, log);
    status = test_wait (pid, WAIT_MS);
    ASSERT (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    free (bin);
    free (cfg);
    free (log);
}

int
main (void)
{
    unsetenv ("VIGIL_DATABASE_URL");
    atexit (s_kill_running);
    char *dir = test_tmpdir ("curve");
    char *dburl = test_pg_fresh_db ("vigil_test_curve");
    test_refuses_open_endpoint_without_keys (dir);

    char *keys = vg_asprintf ("%s/keys", dir), *allow = vg_asprintf ("%s/allow", dir);
    char *cmd = vg_asprintf ("mkdir -p %s %s", keys, allow);
    ASSERT_EQ (system (cmd), 0);
    free (cmd);
    s_keygen (keys, "collector", NULL);
    s_keygen (keys, "web-1", "web-1,web-1.example");
    s_keygen (keys, "stranger", NULL);
    cmd = vg_asprintf ("cp %s/web-1 %s/", keys, allow);
    ASSERT_EQ (system (cmd), 0);
    free (cmd);
    keys_t server = s_keys (keys, "collector"), web1 = s_keys (keys, "web-1"),
           stranger = s_keys (keys, "stranger");

    int port = test_free_port ();
    char *endpoint = vg_asprintf ("tcp://127.0.0.1:%d", port);
    char *cfg = vg_asprintf ("%s/collector.yaml", dir),
         *log = vg_asprintf ("%s/collector.log", dir);
    char *yaml = vg_asprintf ("listen: %s\ndatabase_url: %s\ncurve_secret_key: "
                              "keys/collector_secret\ncurve_allow_dir: allow\n",
                              endpoint, dburl);
    test_write_file (cfg, yaml);
    char *bin = test_build_path ("collector/vigil-collector");
    char *argv[] = {bin, "-c", cfg, NULL};
    s_running = test_spawn (argv, log);
    s_wait_log (log, "listening on", 1);
    s_wait_log (log, "1 agent keys allowed", 1);
    ASSERT_EQ (s_log_count (log, "transport is plain"), 0);
    PGconn *db = test_pg_connect (dburl);

    /* A known key, for a host it may write: stored. */
    test_agent_peer_t *good = test_agent_peer_new_curve (endpoint, server.pub, web1.pub, web1.sec);
    s_send (good, "agent-web-1", "web-1.example", 1);
    test_agent_peer_expect_ack (good, 1, VG_ACK_STORED);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.samples"), 10);

    /* The same key, for a host it may not write: refused with the reason. */
    s_send (good, "agent-web-1", "db-1", 2);
    uint64_t seq = 0;
    vg_ack_status_t status = VG_ACK_STORED;
    char reason[512] = "";
    ASSERT_EQ (test_agent_peer_wait_ack (good, WAIT_MS, &seq, &status, reason, sizeof reason), 0);
    ASSERT_EQ (seq, 2);
    ASSERT_EQ (status, VG_ACK_REJECTED);
    ASSERT_STR_CONTAINS (reason, "may write for web-1,web-1.example, not for host \"db-1\"");
    s_wait_log (log, "(host, refusal 1 of this agent for it)", 1);

    /* An unknown key: nothing gets in, however often it tries; logged once. */
    for (int i = 0; i < 3; i++) {
        test_agent_peer_t *bad =
            test_agent_peer_new_curve (endpoint, server.pub, stranger.pub, stranger.sec);
        s_send (bad, "agent-stranger", "stranger", 1);
        ASSERT_EQ (test_agent_peer_wait_ack (bad, 1500, &seq, &status, NULL, 0), -1);
        test_agent_peer_destroy (&bad);
    }
    s_wait_log (log, "refused a connection with an unknown CURVE key, fingerprint", 1);
    ASSERT_EQ (s_log_count (log, "refused a connection with an unknown CURVE key"), 1);
    ASSERT_EQ (s_log_count (log, stranger.pub), 1);

    /* A plain peer cannot even start. */
    test_agent_peer_t *plain = test_agent_peer_new (endpoint);
    s_send (plain, "agent-plain", "plain", 1);
    ASSERT_EQ (test_agent_peer_wait_ack (plain, 1500, &seq, &status, NULL, 0), -1);
    test_agent_peer_destroy (&plain);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.samples"), 10);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.hosts"), 1);

    /* The allow-list changes while it runs: stranger comes in, web-1 goes. */
    cmd = vg_asprintf ("cp %s/stranger %s/ && rm %s/web-1", keys, allow, allow);
    ASSERT_EQ (system (cmd), 0);
    free (cmd);
    s_wait_log (log, "may now write for stranger", 1);
    s_wait_log (log, "removed: refused from now on", 1);
    test_agent_peer_t *now_known =
        test_agent_peer_new_curve (endpoint, server.pub, stranger.pub, stranger.sec);
    s_send (now_known, "agent-stranger", "stranger", 1);
    test_agent_peer_expect_ack (now_known, 1, VG_ACK_STORED);
    test_agent_peer_destroy (&now_known);
    s_send (good, "agent-web-1", "web-1", 3);
    ASSERT_EQ (test_agent_peer_wait_ack (good, 2000, &seq, &status, NULL, 0), -1);
    test_agent_peer_destroy (&good);
    ASSERT_EQ (test_pg_count (db, "SELECT count(*) FROM vigil.samples"), 20);

    int st = test_kill_wait (s_running, SIGTERM);
    s_running = 0;
    ASSERT (WIFEXITED (st) && WEXITSTATUS (st) == 0);
    PQfinish (db);
    free (bin);
    free (yaml);
    free (cfg);
    free (log);
    free (endpoint);
    free (keys);
    free (allow);
    free (dburl);
    free (dir);
    return 0;
}
