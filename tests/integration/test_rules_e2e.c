/*  test_rules_e2e.c - simulated agents, then a real collector process with
 *  rule files, then PostgreSQL, then alerts in `vigil alerts`. The collector
 *  is killed with SIGKILL while one alert is pending and one is firing, and
 *  comes back in the same state: the pending alert keeps its start, the
 *  firing one is not fired again (no new transition). */
#include "test_agent_peer.h"
#include "test_assert.h"
#include "test_pg.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_time.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char *s_rules =
    "groups:\n"
    "  - name: e2e\n"
    "    interval: 1s\n"
    "    rules:\n"
    "      - alert: CpuHigh\n"
    "        expr: cpu_percent > 90\n"
    "        for: 1h\n"
    "        labels: {severity: warning}\n"
    "        annotations:\n"
    "          summary: 'CPU at {{ $value }}% on {{ $labels.host }}'\n"
    "      - alert: DiskFull\n"
    "        expr: disk_used_ratio > 0.95\n"
    "        labels: {severity: critical}\n"
    "        annotations:\n"
    "          summary: 'disk {{ $labels.mount }} at {{ humanizePercentage $value }}'\n";

static char *s_db, *s_dir, *s_collector, *s_config, *s_log;
static uint64_t s_seq;

static pid_t
s_start (void)
{
    char *argv[] = {s_collector, "-c", s_config, NULL};
    return test_spawn (argv, s_log);
}

/* A batch as web1's agent sends it. */
static void
s_send (test_agent_peer_t *peer, double cpu, double disk)
{
    vg_batch_t *b = vg_batch_new ("e2e-web1", "web1");
    b->seq = ++s_seq;
    b->sent_ms = vg_now_ms ();
    b->interval_ms = 10000;
    vg_label_t mount = {"mount", "/data"};
    uint32_t c = vg_batch_series (b, "cpu_percent", VG_KIND_GAUGE, NULL, 0);
    uint32_t d = vg_batch_series (b, "disk_used_ratio", VG_KIND_GAUGE, &mount, 1);
    vg_batch_add_sample (b, c, b->sent_ms, cpu);
    vg_batch_add_sample (b, d, b->sent_ms, disk);
    test_agent_peer_send_batch (peer, b);
    test_agent_peer_expect_ack (peer, s_seq, VG_ACK_STORED);
    vg_batch_destroy (&b);
}

static long long
s_count (PGconn *db, const char *sql)
{
    char *exists = test_pg_scalar (db, "SELECT to_regclass('vigil.alerts') IS NOT NULL");
    int ok = exists && strcmp (exists, "t") == 0;
    free (exists);
    return ok ? test_pg_count (db, sql) : 0;
}

/* Waits until sql counts want rows. */
static void
s_wait_count (PGconn *db, const char *sql, long long want)
{
    for (int i = 0; i < 600; i++) {
        if (s_count (db, sql) == want)
            return;
        test_sleep_ms (50);
    }
    char *log = test_read_file (s_log);
    TEST_FAIL ("after 30 s, %s counts %lld, not %lld; collector log:\n%s", sql, s_count (db, sql),
               want, log ? log : "");
}

/* Waits until the collector's log holds text n times. */
static void
s_wait_log (const char *text, int n)
{
    for (int i = 0; i < 600; i++) {
        char *log = test_read_file (s_log);
        int seen = 0;
        for (const char *p = log; p && (p = strstr (p, text)); p++)
            seen++;
        free (log);
        if (seen >= n)
            return;
        test_sleep_ms (50);
    }
    char *log = test_read_file (s_log);
    TEST_FAIL ("the collector did not log \"%s\" %d times; its log:\n%s", text, n, log ? log : "");
}

/* Runs `vigil ARGS --db URL` and returns its output (caller frees). */
static char *
s_vigil (const char *const *args, int expect_status)
{
    return test_vigil (s_dir, s_db, args, expect_status);
}

int
main (void)
{
    s_db = test_pg_fresh_db ("vigil_test_rules_e2e");
    PGconn *db = test_pg_connect (s_db);
    s_dir = test_tmpdir ("rules_e2e");
    s_collector = test_build_path ("collector/vigil-collector");
    char path[512];
    snprintf (path, sizeof path, "%s/alerts.yml", s_dir);
    test_write_file (path, s_rules);
    s_config = vg_asprintf ("%s/collector.yaml", s_dir);
    s_log = vg_asprintf ("%s/collector.log", s_dir);
    int port = test_free_port ();
    char *yaml = vg_asprintf ("listen: tcp://127.0.0.1:%d\n"
                              "database_url: %s\n"
                              "rule_files: [alerts.yml]\n"
                              "rules_evaluation_interval: 1s\n"
                              "rules_min_interval: 0s\n",
                              port, s_db);
    test_write_file (s_config, yaml);
    free (yaml);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);

    pid_t pid = s_start ();
    test_agent_peer_t *peer = test_agent_peer_new (endpoint);
    s_send (peer, 95, 0.97);
    s_wait_count (db,
                  "SELECT count(*) FROM vigil.alerts WHERE alertname = 'DiskFull'"
                  " AND state = 'firing'",
                  1);
    s_wait_count (db,
                  "SELECT count(*) FROM vigil.alerts WHERE alertname = 'CpuHigh'"
                  " AND state = 'pending'",
                  1);

    /* What vigil alerts shows. */
    const char *list[] = {"alerts", NULL};
    char *out = s_vigil (list, 0);
    ASSERT_STR_CONTAINS (out, "STATE");
    ASSERT_STR_CONTAINS (out, "SUMMARY");
    ASSERT_STR_CONTAINS (out, "firing");
    ASSERT_STR_CONTAINS (out, "critical");
    ASSERT_STR_CONTAINS (out, "DiskFull");
    ASSERT_STR_CONTAINS (out, "host=web1 mount=/data");
    ASSERT_STR_CONTAINS (out, "disk /data at 97%");
    ASSERT_STR_CONTAINS (out, "CPU at 95% on web1");
    /* firing before pending */
    ASSERT_LT (strstr (out, "DiskFull") - out, strstr (out, "CpuHigh") - out);
    free (out);
    const char *firing[] = {"alerts", "--state", "firing", NULL};
    out = s_vigil (firing, 0);
    ASSERT_STR_CONTAINS (out, "DiskFull");
    ASSERT (!strstr (out, "CpuHigh"));
    free (out);
    const char *sev[] = {"alerts", "--severity", "warning", "--json", NULL};
    out = s_vigil (sev, 0);
    ASSERT_STR_CONTAINS (out, "{\"alerts\": [");
    ASSERT_STR_CONTAINS (out, "\"alertname\": \"CpuHigh\"");
    ASSERT_STR_CONTAINS (out, "\"state\": \"pending\"");
    ASSERT_STR_CONTAINS (out, "\"value\": 95");
    ASSERT_STR_CONTAINS (out, "\"labels\": {\"alertname\": \"CpuHigh\", \"host\": \"web1\", "
                              "\"severity\": \"warning\"}");
    ASSERT (!strstr (out, "DiskFull"));
    free (out);
    const char *match[] = {"alerts", "--match", "mount=~\"/d.*\"", NULL};
    out = s_vigil (match, 0);
    ASSERT_STR_CONTAINS (out, "DiskFull");
    ASSERT (!strstr (out, "CpuHigh"));
    free (out);
    const char *nomatch[] = {"alerts", "--match", "host!=web1", NULL};
    out = s_vigil (nomatch, 0);
    ASSERT_STR_CONTAINS (out, "no alerts match");
    free (out);
    const char *bad[] = {"alerts", "--match", "host", NULL};
    out = s_vigil (bad, 2);
    ASSERT_STR_CONTAINS (out, "expected a label matcher");
    free (out);

    /* Killed while one is pending and one firing. */
    long long transitions = s_count (db, "SELECT count(*) FROM vigil.alert_transitions");
    ASSERT_EQ (transitions, 2);
    char *active = test_pg_scalar (db, "SELECT active_at::text FROM vigil.alerts"
                                       " WHERE alertname = 'CpuHigh'");
    char *fired = test_pg_scalar (db, "SELECT fired_at::text FROM vigil.alerts"
                                      " WHERE alertname = 'DiskFull'");
    test_kill_wait (pid, SIGKILL);
    pid = s_start ();
    s_wait_log ("put back 1 pending and 1 firing alerts", 1);
    /* A few evaluation rounds on the windows read back. */
    test_sleep_ms (2500);
    ASSERT_EQ (s_count (db, "SELECT count(*) FROM vigil.alert_transitions"), transitions);
    ASSERT_EQ (s_count (db, "SELECT count(*) FROM vigil.alerts"), 2);
    char *active2 = test_pg_scalar (db, "SELECT active_at::text FROM vigil.alerts"
                                        " WHERE alertname = 'CpuHigh' AND state = 'pending'");
    char *fired2 = test_pg_scalar (db, "SELECT fired_at::text FROM vigil.alerts"
                                       " WHERE alertname = 'DiskFull' AND state = 'firing'");
    ASSERT_STR_EQ (active2, active);
    ASSERT_STR_EQ (fired2, fired);
    out = s_vigil (list, 0);
    ASSERT_STR_CONTAINS (out, "DiskFull");
    ASSERT_STR_CONTAINS (out, "CpuHigh");
    free (out);

    /* The agent again, calm now: both end, and history tells it all. */
    test_agent_peer_destroy (&peer);
    peer = test_agent_peer_new (endpoint);
    s_send (peer, 20, 0.5);
    s_wait_count (db, "SELECT count(*) FROM vigil.alerts WHERE state IN ('pending', 'firing')", 0);
    s_wait_count (db, "SELECT count(*) FROM vigil.alert_transitions", transitions + 2);
    const char *hist[] = {"alerts", "history", "--since", "1h", NULL};
    out = s_vigil (hist, 0);
    ASSERT_STR_CONTAINS (out, "inactive -> firing");
    ASSERT_STR_CONTAINS (out, "inactive -> pending");
    ASSERT_STR_CONTAINS (out, "firing -> resolved");
    ASSERT_STR_CONTAINS (out, "pending -> inactive");
    free (out);
    const char *hjson[] = {"alerts", "history", "--since", "1h", "--match", "alertname=DiskFull",
                           "--json", NULL};
    out = s_vigil (hjson, 0);
    ASSERT_STR_CONTAINS (out, "{\"transitions\": [");
    ASSERT_STR_CONTAINS (out, "\"from\": \"firing\", \"to\": \"resolved\"");
    ASSERT (!strstr (out, "CpuHigh"));
    free (out);
    const char *empty[] = {
        "alerts", "history", "--since", "2020-01-01T00:00:00Z", "--until", "2020-01-02T00:00:00Z",
        NULL};
    out = s_vigil (empty, 0);
    ASSERT_STR_CONTAINS (out, "no alert transitions");
    free (out);
    const char *badtime[] = {"alerts", "history", "--since", "yesterday-ish", NULL};
    out = s_vigil (badtime, 2);
    free (out);

    int status = test_kill_wait (pid, SIGTERM);
    ASSERT (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    test_agent_peer_destroy (&peer);
    free (active);
    free (fired);
    free (active2);
    free (fired2);
    PQfinish (db);
    printf ("test_rules_e2e: ok\n");
    return 0;
}
