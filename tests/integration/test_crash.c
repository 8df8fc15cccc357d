/*  test_crash.c - the collector killed (SIGKILL) while an agent runs loses
 *  nothing and stores nothing twice.
 *
 *  A real agent reads the captured tree every 100 ms and sends to a real
 *  collector. The collector is killed twice, each time restarted about a
 *  second later on the same port and database; batches made meanwhile wait in
 *  the agent, and batches committed just before a kill but never acknowledged
 *  come back as duplicates. After a clean stop of the agent (it waits for its
 *  acks and logs "stopped: last seq N, K batches unacknowledged", K must be 0)
 *  the ledger must hold exactly the seqs 1..N, the samples it counts must all
 *  be stored, and no (series, time) may be stored twice.
 */
#include "test_assert.h"
#include "test_pg.h"
#include "test_proc.h"
#include "vg_alloc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define S_AGENT_ID "crash-agent-1"

typedef struct {
    char *binary;
    char *config;
    char *log;
    pid_t pid;
} s_collector_t;

static long long s_batches (PGconn *conn)
{
    /* Before the first batch the schema may not exist yet. */
    char *exists = test_pg_scalar (conn, "SELECT to_regclass('vigil.batches') IS NOT NULL");
    int ok = exists && strcmp (exists, "t") == 0;
    free (exists);
    if (!ok)
        return 0;
    return test_pg_count (conn, "SELECT count(*) FROM vigil.batches b JOIN vigil.hosts h "
                                "USING (host_id) WHERE h.agent_id = '" S_AGENT_ID "'");
}

/* Waits until at least n batches of the agent are stored. */
static void s_wait_batches (PGconn *conn, long long n, const char *log)
{
    for (int i = 0; i < 1200; i++) {
        if (s_batches (conn) >= n)
            return;
        test_sleep_ms (50);
    }
    char *text = test_read_file (log);
    TEST_FAIL ("fewer than %lld batches stored after 60 s; log %s:\n%s", n, log, text ? text : "");
}

static void s_collector_start (s_collector_t *c)
{
    char *argv[] = {c->binary, "-c", c->config, NULL};
    c->pid = test_spawn (argv, c->log);
}

/* The "stopped: last seq N, K batches unacknowledged" line of the agent's log. */
static void s_parse_stopped (const char *log, unsigned long long *last, unsigned long long *unacked)
{
    char *text = test_read_file (log);
    const char *p = text ? strstr (text, "stopped: last seq ") : NULL;
    if (!p || sscanf (p, "stopped: last seq %llu, %llu batches unacknowledged", last, unacked) != 2)
        TEST_FAIL ("the agent did not log its stop line; its log:\n%s", text ? text : "");
    free (text);
}

int main (void)
{
    const char *fixtures = getenv ("VIGIL_FIXTURES");
    if (!fixtures)
        TEST_FAIL ("VIGIL_FIXTURES is not set: run the tests with ctest");
    char *db = test_pg_fresh_db ("vigil_crash");
    char *dir = test_tmpdir ("crash");
    int port = test_free_port ();

    s_collector_t c = {
        .binary = test_build_path ("collector/vigil-collector"),
        .config = vg_asprintf ("%s/collector.yaml", dir),
        .log = vg_asprintf ("%s/collector.log", dir),
    };
    char *text = vg_asprintf ("listen: tcp://127.0.0.1:%d\ndatabase_url: %s\n", port, db);
    test_write_file (c.config, text);
    free (text);

    char *agent = test_build_path ("agent/vigil-agent");
    char *acfg = vg_asprintf ("%s/agent.yaml", dir);
    char *alog = vg_asprintf ("%s/agent.log", dir);
    /* ack_timeout short so lost acks are resent soon; shutdown_timeout long
     * so the clean stop below always ends with everything acknowledged. */
    text = vg_asprintf ("agent:\n"
                        "  id: " S_AGENT_ID "\n"
                        "  hostname: crash-host\n"
                        "  collector: tcp://127.0.0.1:%d\n"
                        "  interval: 100ms\n"
                        "  ack_timeout: 1s\n"
                        "  shutdown_timeout: 120s\n"
                        "  state_dir: %s/state\n"
                        "inputs:\n"
                        "  - type: system\n"
                        "    interval: 100ms\n"
                        "    root: %s/proc-a\n",
                        port, dir, fixtures);
    test_write_file (acfg, text);
    free (text);

    PGconn *conn = test_pg_connect (db);
    s_collector_start (&c);
    char *aargv[] = {agent, "-c", acfg, NULL};
    pid_t apid = test_spawn (aargv, alog);
    s_wait_batches (conn, 5, c.log);

    for (int round = 0; round < 2; round++) {
        /* Let batches flow, then kill mid-stream: some are in flight, some
         * committed without their ack having left. */
        long long before = s_batches (conn);
        s_wait_batches (conn, before + 5, c.log);
        int status = test_kill_wait (c.pid, SIGKILL);
        ASSERT (WIFSIGNALED (status));
        long long at_kill = s_batches (conn);
        test_sleep_ms (1000);
        ASSERT_EQ (test_wait (apid, 0), -1); /* the agent carries on */
        s_collector_start (&c);
        /* The batches made while it was down arrive after the restart, and new ones follow. */
        s_wait_batches (conn, at_kill + 15, c.log);
        printf ("crash: round %d: %lld batches stored at the kill, %lld now\n", round + 1, at_kill,
                s_batches (conn));
    }
    test_sleep_ms (500);

    int status = test_kill_wait (apid, SIGTERM);
    ASSERT (WIFEXITED (status));
    ASSERT_EQ (WEXITSTATUS (status), 0);
    unsigned long long last = 0, unacked = 0;
    s_parse_stopped (alog, &last, &unacked);
    ASSERT_EQ (unacked, 0);
    ASSERT_GE (last, 30);

    /* Exactly the seqs 1..N, each once (the key makes "once" a given: count
     * and bounds together rule out gaps). */
    const char *idp[] = {S_AGENT_ID};
    PGresult *res = PQexecParams (conn,
                                  "SELECT h.host_id, count(b.seq), min(b.seq), max(b.seq), "
                                  "count(DISTINCT b.seq) FROM vigil.hosts h JOIN vigil.batches b "
                                  "USING (host_id) WHERE h.agent_id = $1 GROUP BY h.host_id",
                                  1, NULL, idp, NULL, NULL, 0);
    ASSERT_EQ (PQresultStatus (res), PGRES_TUPLES_OK);
    ASSERT_EQ (PQntuples (res), 1);
    char *host_id = vg_strdup (PQgetvalue (res, 0, 0));
    ASSERT_EQ (atoll (PQgetvalue (res, 0, 1)), last);
    ASSERT_EQ (atoll (PQgetvalue (res, 0, 2)), 1);
    ASSERT_EQ (atoll (PQgetvalue (res, 0, 3)), last);
    ASSERT_EQ (atoll (PQgetvalue (res, 0, 4)), last);
    PQclear (res);

    /* Every sample the ledger counts is stored, and none twice. */
    const char *hp[] = {host_id};
    res = PQexecParams (conn,
                        "SELECT (SELECT sum(samples) FROM vigil.batches WHERE host_id = $1), "
                        "(SELECT count(*) FROM vigil.samples WHERE host_id = $1), "
                        "(SELECT count(*) FROM vigil.distributions WHERE host_id = $1), "
                        "(SELECT count(*) FROM (SELECT 1 FROM vigil.samples WHERE host_id = $1 "
                        "GROUP BY series_id, ts HAVING count(*) > 1) d)",
                        1, NULL, hp, NULL, NULL, 0);
    ASSERT_EQ (PQresultStatus (res), PGRES_TUPLES_OK);
    long long ledger = atoll (PQgetvalue (res, 0, 0));
    long long samples = atoll (PQgetvalue (res, 0, 1));
    long long dists = atoll (PQgetvalue (res, 0, 2));
    ASSERT_GT (samples, 0);
    ASSERT_EQ (ledger, samples + dists);
    ASSERT_EQ (atoll (PQgetvalue (res, 0, 3)), 0);
    PQclear (res);

    /* Every batch of the run made samples (the tree always yields some), so
     * each seq in the ledger has rows: no batch was recorded without its data. */
    ASSERT_EQ (test_pg_count (conn, "SELECT count(*) FROM vigil.batches WHERE samples <= 0"), 0);

    printf ("crash: last seq %llu, %lld samples stored for %lld counted, 0 duplicates\n", last,
            samples + dists, ledger);

    status = test_kill_wait (c.pid, SIGTERM);
    ASSERT (WIFEXITED (status));
    ASSERT_EQ (WEXITSTATUS (status), 0);

    PQfinish (conn);
    free (host_id);
    free (agent);
    free (acfg);
    free (alog);
    free (c.binary);
    free (c.config);
    free (c.log);
    free (dir);
    free (db);
    return 0;
}
