/*  test_e2e.c - agent -> collector -> PostgreSQL: the rows that arrive are the
 *  values the agent computed.
 *
 *  A real vigil-collector and a real vigil-agent run against a fresh database.
 *  The agent's system input reads the captured tree tests/fixtures/proc-a
 *  every 200 ms. `vigil-agent --once` on the same configuration prints what
 *  the input computes; since the tree does not change, every gauge read from
 *  it (memory, swap, load, processes, disk size, and the rates, all 0) must
 *  arrive as exactly that value: in vigil.series.last_value and in every
 *  vigil.samples row of the series. Disk used/free come from statvfs on the live filesystem under
 * the tree, so for them the test checks the series and the bounds instead.
 */
#include "test_assert.h"
#include "test_pg.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_buf.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define S_AGENT_ID "e2e-agent-1"
#define S_HOSTNAME "e2e-host"

typedef struct {
    char *name;
    char *labels_json; /* {"k": "v", ...} as the collector stores labels */
    double value;
} s_metric_t;

typedef struct {
    s_metric_t *items;
    size_t n;
    size_t cap;
} s_metrics_t;

typedef enum {
    S_OTHER,  /* not compared */
    S_STATIC, /* read from files of the tree, which never change */
    S_RATE,   /* a rate between two readings of the unchanging tree */
    S_LIVE,   /* statvfs of the live filesystem under the tree: moves as the disk does */
} s_class_t;

static s_class_t s_classify (const char *name)
{
    static const char *const statics[] = {"system_memory_",
                                          "system_swap_",
                                          "system_load",
                                          "system_processes_",
                                          "system_threads_total",
                                          "system_cpu_count",
                                          "system_disk_total_bytes",
                                          NULL};
    for (int i = 0; statics[i]; i++)
        if (strncmp (name, statics[i], strlen (statics[i])) == 0)
            return S_STATIC;
    if (strstr (name, "_per_second") || strcmp (name, "system_diskio_busy_percent") == 0 ||
        strncmp (name, "system_cpu_", 11) == 0)
        return S_RATE;
    if (strncmp (name, "system_disk_", 12) == 0)
        return S_LIVE;
    return S_OTHER;
}

static void s_json_string (vg_buf_t *out, const char *s)
{
    vg_buf_puts (out, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            vg_buf_printf (out, "\\%c", c);
        else if (c < 0x20)
            vg_buf_printf (out, "\\u%04x", c);
        else
            vg_buf_append (out, s, 1);
    }
    vg_buf_puts (out, "\"");
}

/* Parses one exposition line "name{k="v",...} value" (labels optional) into m.
 * Returns 0, or -1 for comments, blank and unparsable lines. */
static int s_parse_line (const char *line, s_metric_t *m)
{
    if (!*line || *line == '#')
        return -1;
    size_t nlen = strcspn (line, "{ ");
    if (nlen == 0 || !line[nlen])
        return -1;
    m->name = vg_strndup (line, nlen);
    const char *p = line + nlen;
    vg_buf_t json = {0};
    vg_buf_puts (&json, "{");
    if (*p == '{') {
        p++;
        int first = 1;
        while (*p && *p != '}') {
            size_t klen = strcspn (p, "=");
            char *key = vg_strndup (p, klen);
            p += klen;
            if (p[0] != '=' || p[1] != '"')
                TEST_FAIL ("bad label in exposition line: %s", line);
            p += 2;
            vg_buf_t value = {0};
            vg_buf_puts (&value, "");
            while (*p && *p != '"') {
                if (*p == '\\' && p[1]) {
                    p++;
                    vg_buf_append (&value, *p == 'n' ? "\n" : p, 1);
                } else {
                    vg_buf_append (&value, p, 1);
                }
                p++;
            }
            if (*p != '"')
                TEST_FAIL ("unterminated label value: %s", line);
            p++;
            if (*p == ',')
                p++;
            if (!first)
                vg_buf_puts (&json, ", ");
            first = 0;
            s_json_string (&json, key);
            vg_buf_puts (&json, ": ");
            s_json_string (&json, value.data);
            free (key);
            vg_buf_free (&value);
        }
        if (*p != '}')
            TEST_FAIL ("unterminated labels: %s", line);
        p++;
    }
    vg_buf_puts (&json, "}");
    m->labels_json = json.data;
    while (*p == ' ')
        p++;
    char *end;
    errno = 0;
    m->value = strtod (p, &end);
    if (end == p || errno != 0)
        TEST_FAIL ("bad value in exposition line: %s", line);
    return 0;
}

/* Runs `vigil-agent --once -c config` and keeps the lines it prints. */
static void s_run_once (const char *agent, const char *config, const char *errlog, s_metrics_t *out)
{
    char *cmd = vg_asprintf ("'%s' --once -c '%s' 2>>'%s'", agent, config, errlog);
    FILE *p = popen (cmd, "r");
    if (!p)
        TEST_FAIL ("cannot run %s", cmd);
    char line[4096];
    while (fgets (line, sizeof line, p)) {
        line[strcspn (line, "\r\n")] = '\0';
        s_metric_t m = {0};
        if (s_parse_line (line, &m) != 0)
            continue;
        VG_GROW (out->items, out->cap, out->n + 1);
        out->items[out->n++] = m;
    }
    int status = pclose (p);
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        char *log = test_read_file (errlog);
        TEST_FAIL ("%s exited with status %d:\n%s", cmd, status, log ? log : "");
    }
    free (cmd);
}

static PGresult *s_query (PGconn *conn, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams (conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK)
        TEST_FAIL ("query failed: %s\n  %s", sql, PQerrorMessage (conn));
    return res;
}

static void s_wait_schema (PGconn *conn, pid_t collector, const char *log)
{
    for (int i = 0; i < 600; i++) {
        char *v = test_pg_scalar (conn, "SELECT to_regclass('vigil.batches') IS NOT NULL");
        int ready = v && strcmp (v, "t") == 0;
        free (v);
        if (ready)
            return;
        if (test_wait (collector, 0) != -1) {
            char *text = test_read_file (log);
            TEST_FAIL ("the collector exited before its schema was ready:\n%s", text ? text : "");
        }
        test_sleep_ms (50);
    }
    TEST_FAIL ("the collector did not create its schema in 30 s");
}

/* Waits until the agent's host has at least n batches stored. */
static void s_wait_batches (PGconn *conn, long long n, const char *log)
{
    for (int i = 0; i < 1200; i++) {
        long long have = test_pg_count (
            conn, "SELECT count(*) FROM vigil.batches b JOIN "
                  "vigil.hosts h USING (host_id) WHERE h.agent_id = '" S_AGENT_ID "'");
        if (have >= n)
            return;
        test_sleep_ms (50);
    }
    char *text = test_read_file (log);
    TEST_FAIL ("fewer than %lld batches arrived in 60 s; agent log:\n%s", n, text ? text : "");
}

/* The collector writes series.last_value every latest_flush_interval: wait
 * until every series of the host shows the newest sample stored for it. */
static void s_wait_latest (PGconn *conn)
{
    const char *sql = "SELECT count(*) FROM vigil.series s JOIN vigil.hosts h USING (host_id) "
                      "WHERE h.agent_id = '" S_AGENT_ID "' AND s.kind <> 2 AND s.last_ts IS "
                      "DISTINCT FROM (SELECT max(ts) FROM vigil.samples x WHERE x.host_id = "
                      "s.host_id AND x.series_id = s.series_id)";
    for (int i = 0; i < 400; i++) {
        if (test_pg_count (conn, sql) == 0)
            return;
        test_sleep_ms (50);
    }
    TEST_FAIL ("series.last_ts did not catch up with the stored samples in 20 s");
}

int main (void)
{
    const char *fixtures = getenv ("VIGIL_FIXTURES");
    if (!fixtures)
        TEST_FAIL ("VIGIL_FIXTURES is not set: run the tests with ctest");
    char *db = test_pg_fresh_db ("vigil_e2e");
    char *dir = test_tmpdir ("e2e");
    char *collector = test_build_path ("collector/vigil-collector");
    char *agent = test_build_path ("agent/vigil-agent");
    int port = test_free_port ();

    char *ccfg = vg_asprintf ("%s/collector.yaml", dir);
    char *clog = vg_asprintf ("%s/collector.log", dir);
    char *acfg = vg_asprintf ("%s/agent.yaml", dir);
    char *alog = vg_asprintf ("%s/agent.log", dir);
    char *olog = vg_asprintf ("%s/once.log", dir);
    char *text = vg_asprintf ("listen: tcp://127.0.0.1:%d\n"
                              "database_url: %s\n"
                              "latest_flush_interval: 100ms\n",
                              port, db);
    test_write_file (ccfg, text);
    free (text);
    text = vg_asprintf ("agent:\n"
                        "  id: " S_AGENT_ID "\n"
                        "  hostname: " S_HOSTNAME "\n"
                        "  collector: tcp://127.0.0.1:%d\n"
                        "  interval: 200ms\n"
                        "  ack_timeout: 2s\n"
                        "  shutdown_timeout: 30s\n"
                        "  state_dir: %s/state\n"
                        "inputs:\n"
                        "  - type: system\n"
                        "    interval: 200ms\n"
                        "    labels: {role: e2e}\n"
                        "    root: %s/proc-a\n",
                        port, dir, fixtures);
    test_write_file (acfg, text);
    free (text);

    /* What the agent computes from the tree, with no collector involved. */
    s_metrics_t once = {0};
    s_run_once (agent, acfg, olog, &once);
    size_t count[4] = {0};
    for (size_t i = 0; i < once.n; i++)
        count[s_classify (once.items[i].name)]++;
    /* memory (4) + swap (3) + load (3) + processes (3) + threads + cpu count
     * at least; rates of the tree's disks and interfaces; the disks of its
     * mounts. */
    ASSERT_GE (count[S_STATIC], 15);
    ASSERT_GE (count[S_RATE], 8);
    ASSERT_GE (count[S_LIVE], 3);

    char *cargv[] = {collector, "-c", ccfg, NULL};
    pid_t cpid = test_spawn (cargv, clog);
    PGconn *conn = test_pg_connect (db);
    s_wait_schema (conn, cpid, clog);

    char *aargv[] = {agent, "-c", acfg, NULL};
    pid_t apid = test_spawn (aargv, alog);
    s_wait_batches (conn, 8, alog);

    /* A clean stop: the agent waits for every ack, so what it produced is stored. */
    int status = test_kill_wait (apid, SIGTERM);
    ASSERT (WIFEXITED (status));
    ASSERT_EQ (WEXITSTATUS (status), 0);
    char *agent_log = test_read_file (alog);
    ASSERT_STR_CONTAINS (agent_log, "batches unacknowledged");
    ASSERT_STR_CONTAINS (agent_log, ", 0 batches unacknowledged");
    s_wait_latest (conn);

    /* The host row. */
    const char *idp[] = {S_AGENT_ID};
    PGresult *res = s_query (conn,
                             "SELECT host_id, hostname, last_seq, "
                             "(SELECT max(seq) FROM vigil.batches b WHERE b.host_id = h.host_id), "
                             "(SELECT count(*) FROM vigil.batches b WHERE b.host_id = h.host_id), "
                             "last_seen >= first_seen, (SELECT count(*) FROM vigil.hosts) "
                             "FROM vigil.hosts h WHERE agent_id = $1",
                             1, idp);
    ASSERT_EQ (PQntuples (res), 1);
    char *host_id = vg_strdup (PQgetvalue (res, 0, 0));
    ASSERT_STR_EQ (PQgetvalue (res, 0, 1), S_HOSTNAME);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 2), PQgetvalue (res, 0, 3));
    ASSERT_STR_EQ (PQgetvalue (res, 0, 2), PQgetvalue (res, 0, 4)); /* seqs 1..N */
    ASSERT_STR_EQ (PQgetvalue (res, 0, 5), "t");
    ASSERT_STR_EQ (PQgetvalue (res, 0, 6), "1");
    PQclear (res);

    /* Every sample the ledger counts is stored, once. */
    const char *hp[] = {host_id};
    res = s_query (conn,
                   "SELECT (SELECT sum(samples) FROM vigil.batches WHERE host_id = $1), "
                   "(SELECT count(*) FROM vigil.samples WHERE host_id = $1) + "
                   "(SELECT count(*) FROM vigil.distributions WHERE host_id = $1), "
                   "(SELECT count(*) FROM (SELECT 1 FROM vigil.samples WHERE host_id = $1 "
                   "GROUP BY series_id, ts HAVING count(*) > 1) d)",
                   1, hp);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 0), PQgetvalue (res, 0, 1));
    ASSERT_STR_EQ (PQgetvalue (res, 0, 2), "0");
    PQclear (res);

    /* Each gauge read from the tree (and each rate between two readings of it):
     * its series, its latest value and every stored sample equal what --once
     * printed. */
    size_t checked = 0;
    for (size_t i = 0; i < once.n; i++) {
        s_metric_t *m = &once.items[i];
        s_class_t cls = s_classify (m->name);
        if (cls == S_OTHER)
            continue;
        char value[64];
        snprintf (value, sizeof value, "%.17g", m->value);
        const char *p[] = {host_id, m->name, m->labels_json, value};
        res = s_query (conn,
                       "SELECT s.series_id, s.kind, s.last_value, s.last_value = $4::float8, "
                       "count(x.*), count(x.*) FILTER (WHERE x.value <> $4::float8), "
                       "min(x.value), max(x.value) "
                       "FROM vigil.series s LEFT JOIN vigil.samples x "
                       "ON x.host_id = s.host_id AND x.series_id = s.series_id "
                       "WHERE s.host_id = $1 AND s.metric = $2 AND s.labels = $3::jsonb "
                       "GROUP BY s.series_id, s.kind, s.last_value",
                       4, p);
        if (PQntuples (res) != 1)
            TEST_FAIL ("series %s %s: %d rows in vigil.series, expected 1", m->name, m->labels_json,
                       PQntuples (res));
        ASSERT_STR_EQ (PQgetvalue (res, 0, 1), "0"); /* a gauge */
        long long nsamples = atoll (PQgetvalue (res, 0, 4));
        /* 8 batches were waited for: several collects reached the database,
         * and rates start from the second. */
        if (nsamples < (cls == S_RATE ? 1 : 2))
            TEST_FAIL ("series %s %s: %lld samples stored", m->name, m->labels_json, nsamples);
        if (cls != S_LIVE) {
            if (strcmp (PQgetvalue (res, 0, 3), "t") != 0)
                TEST_FAIL ("series %s %s: last_value %s, the agent computed %s", m->name,
                           m->labels_json, PQgetvalue (res, 0, 2), value);
            if (strcmp (PQgetvalue (res, 0, 5), "0") != 0)
                TEST_FAIL ("series %s %s: %s of %lld samples differ from %s (min %s, max %s)",
                           m->name, m->labels_json, PQgetvalue (res, 0, 5), nsamples, value,
                           PQgetvalue (res, 0, 6), PQgetvalue (res, 0, 7));
        } else {
            /* Live statvfs figures: within what a filesystem can report. */
            double lo = atof (PQgetvalue (res, 0, 6)), hi = atof (PQgetvalue (res, 0, 7));
            ASSERT (lo >= 0);
            if (strstr (m->name, "_percent"))
                ASSERT (hi <= 100);
        }
        PQclear (res);
        checked++;
    }
    ASSERT_EQ (checked, count[S_STATIC] + count[S_RATE] + count[S_LIVE]);

    /* Used and free bytes of a mount never exceed its size. */
    res = s_query (conn,
                   "SELECT count(*) FROM vigil.samples u "
                   "JOIN vigil.series su ON su.host_id = u.host_id AND su.series_id = u.series_id "
                   "JOIN vigil.series st ON st.host_id = su.host_id AND st.labels = su.labels "
                   "AND st.metric = 'system_disk_total_bytes' "
                   "JOIN vigil.samples t ON t.host_id = st.host_id AND t.series_id = st.series_id "
                   "AND t.ts = u.ts "
                   "WHERE u.host_id = $1 AND su.metric IN ('system_disk_used_bytes', "
                   "'system_disk_free_bytes') AND u.value > t.value",
                   1, hp);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 0), "0");
    PQclear (res);

    status = test_kill_wait (cpid, SIGTERM);
    ASSERT (WIFEXITED (status));
    ASSERT_EQ (WEXITSTATUS (status), 0);

    printf ("e2e: %zu gauges and %zu rates match exactly, %zu live disk gauges checked\n",
            count[S_STATIC], count[S_RATE], count[S_LIVE]);
    PQfinish (conn);
    for (size_t i = 0; i < once.n; i++) {
        free (once.items[i].name);
        free (once.items[i].labels_json);
    }
    free (once.items);
    free (agent_log);
    free (host_id);
    free (ccfg);
    free (clog);
    free (acfg);
    free (alog);
    free (olog);
    free (collector);
    free (agent);
    free (dir);
    free (db);
    return 0;
}
