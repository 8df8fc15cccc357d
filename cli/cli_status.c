/*  cli_status.c - `vigil status`: every host's last contact and vital signs. */
#include "cli_status.h"
#include "cli.h"
#include "cli_db.h"
#include "cli_json.h"
#include "cli_tiers.h"
#include "vg_buf.h"

#include <getopt.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One query for every host. Vital signs come from series.last_value (kept
 * fresh by the collector), never from a scan of samples. Where a metric has
 * several series on a host (per-mode CPU, extra instance labels), the one with
 * the fewest labels is the total. A mount whose series stopped updating a stale
 * period before the host's newest disk reading is gone (unmounted) and ignored.
 *   $1..$5 cpu, memory, load1, load5, load15   $6 disk   $7 stale seconds
 *   $8, $9 the agent's own: batches pending (its spool depth), oldest
 *   unacknowledged age */
static const char *s_query =
    "WITH vitals AS ("
    "  SELECT DISTINCT ON (s.host_id, s.metric) s.host_id, s.metric, s.last_value"
    "    FROM vigil.series s"
    "   WHERE s.metric IN ($1::text, $2::text, $3::text, $4::text, $5::text, $8::text, $9::text)"
    "     AND s.last_value IS NOT NULL"
    "   ORDER BY s.host_id, s.metric, (SELECT count(*) FROM jsonb_object_keys (s.labels)),"
    "            s.last_ts DESC NULLS LAST"
    "), disks AS ("
    "  SELECT d.host_id, d.mount, d.last_value"
    "    FROM (SELECT s.host_id, s.labels->>'mount' AS mount, s.last_value, s.last_ts,"
    "                 max (s.last_ts) OVER (PARTITION BY s.host_id) AS newest"
    "            FROM vigil.series s"
    "           WHERE s.metric = $6::text AND s.labels ? 'mount'"
    "             AND s.last_value IS NOT NULL) d"
    "   WHERE d.last_ts IS NULL OR d.last_ts >= d.newest - make_interval (secs => $7::float8)"
    ")"
    "SELECT h.hostname, h.agent_id,"
    "       to_char (h.last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "       greatest (0, floor (extract (epoch FROM now () - h.last_seen)))::bigint,"
    "       h.last_seen < now () - make_interval (secs => $7::float8),"
    "       (SELECT v.last_value FROM vitals v WHERE v.host_id = h.host_id AND v.metric = $1),"
    "       (SELECT v.last_value FROM vitals v WHERE v.host_id = h.host_id AND v.metric = $2),"
    "       (SELECT v.last_value FROM vitals v WHERE v.host_id = h.host_id AND v.metric = $3),"
    "       (SELECT v.last_value FROM vitals v WHERE v.host_id = h.host_id AND v.metric = $4),"
    "       (SELECT v.last_value FROM vitals v WHERE v.host_id = h.host_id AND v.metric = $5),"
    "       (SELECT max (d.last_value) FROM disks d WHERE d.host_id = h.host_id AND d.mount = '/'),"
    "       dm.last_value, dm.mount,"
    "       (SELECT v.last_value FROM vitals v WHERE v.host_id = h.host_id AND v.metric = $8),"
    "       (SELECT v.last_value FROM vitals v WHERE v.host_id = h.host_id AND v.metric = $9)"
    "  FROM vigil.hosts h"
    "  LEFT JOIN LATERAL (SELECT d.last_value, d.mount FROM disks d WHERE d.host_id = h.host_id"
    "                      ORDER BY d.last_value DESC, d.mount LIMIT 1) dm ON true"
    " ORDER BY h.hostname, h.agent_id";

/* Result columns. */
enum {
    C_HOSTNAME,
    C_AGENT_ID,
    C_LAST_SEEN,
    C_AGE_S,
    C_STALE,
    C_CPU,
    C_MEM,
    C_LOAD1,
    C_LOAD5,
    C_LOAD15,
    C_DISK_ROOT,
    C_DISK_MAX,
    C_DISK_MAX_MOUNT,
    C_PENDING,
    C_OLDEST_UNACKED,
};

static const char *s_no_hosts =
    "no hosts have reported yet: is vigil-collector running and an agent pointed at it?";

void
cli_status_usage (FILE *out)
{
    fprintf (out,
             "usage: vigil status [--db URL] [--json]\n"
             "\n"
             "Shows every host that has reported: when it was last seen, how many batches\n"
             "its agent holds unacknowledged (its spool depth, SPOOL) and how old the oldest\n"
             "of them is (OLDEST), and its latest CPU %%, memory used %%, load average\n"
             "(1/5/15 min), the use of its root disk and of its fullest disk. A host not seen for "
             "%d minutes is marked stale; a value\n"
             "the host has not reported is shown as \"-\" (null in JSON). Then what each\n"
             "storage tier holds (raw samples, per-minute and per-hour rollups): its days,\n"
             "bytes and rows (\"storage\" in JSON).\n"
             "\n"
             "options:\n"
             "  --db URL   PostgreSQL URL of Vigil's database; default $%s,\n"
             "             else %s\n"
             "  --json     print {\"hosts\": [...]} instead of a table\n"
             "  -h, --help this help\n"
             "\n"
             "exit status: 0 hosts shown, 1 database error, 2 bad usage, 3 no host has\n"
             "reported yet.\n"
             "\n"
             "example:\n"
             "  vigil status --db postgresql://vigil@db.example.com/vigil\n",
             CLI_STATUS_STALE_S / 60, CLI_DB_ENV, CLI_DB_DEFAULT_URL);
}

/* The value of a cell, NULL for SQL NULL. */
static const char *
s_cell (const PGresult *res, int row, int col)
{
    return PQgetisnull (res, row, col) ? NULL : PQgetvalue (res, row, col);
}

/* Hostnames come from the network: keep terminal control bytes off the screen. */
static void
s_put_printable (vg_buf_t *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char c = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
        vg_buf_append (out, &c, 1);
    }
}

/* A duration as people read it: 42s, 6m, 3h, 2d, then suffix. */
static void
s_span (char *out, size_t outlen, long long secs, const char *suffix)
{
    if (secs < 60)
        snprintf (out, outlen, "%llds%s", secs, suffix);
    else if (secs < 3600)
        snprintf (out, outlen, "%lldm%s", secs / 60, suffix);
    else if (secs < 86400)
        snprintf (out, outlen, "%lldh%s", secs / 3600, suffix);
    else
        snprintf (out, outlen, "%lldd%s", secs / 86400, suffix);
}

static void
s_age (char *out, size_t outlen, long long secs)
{
    s_span (out, outlen, secs, " ago");
}

/* A number with the given decimals, or "-" when missing. */
static void
s_num (char *out, size_t outlen, const char *text, int decimals, const char *suffix)
{
    if (!text)
        snprintf (out, outlen, "-");
    else
        snprintf (out, outlen, "%.*f%s", decimals, strtod (text, NULL), suffix);
}

/* A duration in seconds, or "-" when missing. */
static void
s_duration (char *out, size_t outlen, const char *text)
{
    if (!text)
        snprintf (out, outlen, "-");
    else
        s_span (out, outlen, (long long)strtod (text, NULL), "");
}

static void
s_pad (vg_buf_t *out, size_t from, size_t width)
{
    do
        vg_buf_puts (out, " ");
    while (out->len - from < width);
}

static void
s_print_table (PGconn *conn, const PGresult *res)
{
    int rows = PQntuples (res);
    size_t host_w = strlen ("HOST");
    for (int i = 0; i < rows; i++) {
        size_t n = strlen (PQgetvalue (res, i, C_HOSTNAME));
        if (n > host_w)
            host_w = n;
    }
    host_w += 2;

    vg_buf_t out = {0};
    size_t start = out.len;
    vg_buf_puts (&out, "HOST");
    s_pad (&out, start, host_w);
    vg_buf_puts (&out,
                 "LAST SEEN        SPOOL   OLDEST   CPU %   MEM %   LOAD 1/5/15        DISK /   "
                 "DISK MAX\n");

    int stale = 0;
    for (int i = 0; i < rows; i++) {
        char age[48], cpu[32], mem[32], l1[32], l5[32], l15[32], root[32], max[32];
        char pending[32], oldest[32];
        int is_stale = strcmp (PQgetvalue (res, i, C_STALE), "t") == 0;
        stale += is_stale;
        s_age (age, sizeof age, atoll (PQgetvalue (res, i, C_AGE_S)));
        if (is_stale)
            strncat (age, " (stale)", sizeof age - strlen (age) - 1);
        s_num (cpu, sizeof cpu, s_cell (res, i, C_CPU), 1, "");
        s_num (mem, sizeof mem, s_cell (res, i, C_MEM), 1, "");
        s_num (l1, sizeof l1, s_cell (res, i, C_LOAD1), 2, "");
        s_num (l5, sizeof l5, s_cell (res, i, C_LOAD5), 2, "");
        s_num (l15, sizeof l15, s_cell (res, i, C_LOAD15), 2, "");
        s_num (root, sizeof root, s_cell (res, i, C_DISK_ROOT), 0, " %");
        s_num (max, sizeof max, s_cell (res, i, C_DISK_MAX), 0, " %");
        s_num (pending, sizeof pending, s_cell (res, i, C_PENDING), 0, "");
        s_duration (oldest, sizeof oldest, s_cell (res, i, C_OLDEST_UNACKED));

        start = out.len;
        s_put_printable (&out, PQgetvalue (res, i, C_HOSTNAME));
        s_pad (&out, start, host_w);
        start = out.len;
        vg_buf_puts (&out, age);
        s_pad (&out, start, 17);
        start = out.len;
        vg_buf_puts (&out, pending);
        s_pad (&out, start, 8);
        start = out.len;
        vg_buf_puts (&out, oldest);
        s_pad (&out, start, 9);
        start = out.len;
        vg_buf_puts (&out, cpu);
        s_pad (&out, start, 8);
        start = out.len;
        vg_buf_puts (&out, mem);
        s_pad (&out, start, 8);
        start = out.len;
        if (!s_cell (res, i, C_LOAD1) && !s_cell (res, i, C_LOAD5) && !s_cell (res, i, C_LOAD15))
            vg_buf_puts (&out, "-");
        else
            vg_buf_printf (&out, "%s %s %s", l1, l5, l15);
        s_pad (&out, start, 19);
        start = out.len;
        vg_buf_puts (&out, root);
        s_pad (&out, start, 9);
        vg_buf_puts (&out, max);
        if (s_cell (res, i, C_DISK_MAX_MOUNT)) {
            vg_buf_puts (&out, " ");
            s_put_printable (&out, PQgetvalue (res, i, C_DISK_MAX_MOUNT));
        }
        vg_buf_puts (&out, "\n");
    }
    if (stale)
        vg_buf_printf (&out,
                       "\n%d of %d host%s stale (not seen for %d minutes): is the agent running "
                       "there, and can it reach the collector?\n",
                       stale, rows, rows == 1 ? "" : "s", CLI_STATUS_STALE_S / 60);
    cli_tiers_text (conn, &out);
    fputs (out.data, stdout);
    vg_buf_free (&out);
}

static void
s_print_json (PGconn *conn, const PGresult *res)
{
    static const struct {
        const char *key;
        int col;
    } numbers[] = {
        {"cpu_percent", C_CPU},
        {"memory_used_percent", C_MEM},
        {"load1", C_LOAD1},
        {"load5", C_LOAD5},
        {"load15", C_LOAD15},
        {"disk_root_used_percent", C_DISK_ROOT},
        {"disk_max_used_percent", C_DISK_MAX},
        {"batches_pending", C_PENDING},
        {"oldest_unacked_seconds", C_OLDEST_UNACKED},
    };
    vg_buf_t out = {0};
    vg_buf_puts (&out, "{\"hosts\": [");
    for (int i = 0; i < PQntuples (res); i++) {
        vg_buf_puts (&out, i ? ",\n  {" : "\n  {");
        vg_buf_puts (&out, "\"hostname\": ");
        cli_json_string (&out, s_cell (res, i, C_HOSTNAME));
        vg_buf_puts (&out, ", \"agent_id\": ");
        cli_json_string (&out, s_cell (res, i, C_AGENT_ID));
        vg_buf_puts (&out, ", \"last_seen\": ");
        cli_json_string (&out, s_cell (res, i, C_LAST_SEEN));
        vg_buf_printf (&out, ", \"seconds_ago\": %lld, \"stale\": %s",
                       atoll (PQgetvalue (res, i, C_AGE_S)),
                       strcmp (PQgetvalue (res, i, C_STALE), "t") == 0 ? "true" : "false");
        for (size_t k = 0; k < sizeof numbers / sizeof numbers[0]; k++) {
            vg_buf_printf (&out, ", \"%s\": ", numbers[k].key);
            cli_json_number (&out, s_cell (res, i, numbers[k].col));
        }
        vg_buf_puts (&out, ", \"disk_max_mount\": ");
        cli_json_string (&out, s_cell (res, i, C_DISK_MAX_MOUNT));
        vg_buf_puts (&out, "}");
    }
    if (PQntuples (res)) {
        vg_buf_puts (&out, "\n], ");
        cli_tiers_json (conn, &out);
        vg_buf_puts (&out, "}\n");
    } else
        vg_buf_puts (&out, "]}\n");
    fputs (out.data, stdout);
    vg_buf_free (&out);
}

/* Runs the query; returns the result, or NULL after printing why with *rc set. */
static PGresult *
s_query_hosts (PGconn *conn, int *rc)
{
    char stale[16];
    snprintf (stale, sizeof stale, "%d", CLI_STATUS_STALE_S);
    const char *params[] = {
        CLI_STATUS_CPU,  CLI_STATUS_MEM, CLI_STATUS_LOAD1,   CLI_STATUS_LOAD5, CLI_STATUS_LOAD15,
        CLI_STATUS_DISK, stale,          CLI_STATUS_PENDING, CLI_STATUS_OLDEST};
    PGresult *res = PQexecParams (conn, s_query, 9, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) == PGRES_TUPLES_OK)
        return res;

    char where[512], reason[1024];
    cli_db_where (conn, where, sizeof where);
    cli_db_reason (conn, res, reason, sizeof reason);
    if (cli_db_no_schema (res)) {
        *rc = CLI_EXIT_EMPTY;
        fprintf (stderr,
                 "vigil: %s (the database %s has no Vigil schema yet; the collector creates it "
                 "when it starts)\n",
                 s_no_hosts, where);
    } else {
        *rc = CLI_EXIT_FAIL;
        fprintf (stderr, "vigil: cannot read hosts from the database at %s: %s\n", where, reason);
    }
    PQclear (res);
    return NULL;
}

int
cli_status_run (int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    int json = 0;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            cli_status_usage (stdout);
            return CLI_EXIT_OK;
        case ':':
            fprintf (stderr, "vigil status: %s needs a value; see vigil status --help\n",
                     argv[optind - 1]);
            return CLI_EXIT_USAGE;
        default:
            fprintf (stderr, "vigil status: unknown option '%s'; see vigil status --help\n",
                     argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "vigil status: unexpected argument '%s'; see vigil status --help\n",
                 argv[optind]);
        return CLI_EXIT_USAGE;
    }

    char err[2048];
    PGconn *conn = cli_db_connect (cli_db_url (db), err, sizeof err);
    if (!conn) {
        fprintf (stderr, "vigil: %s\n", err);
        return CLI_EXIT_FAIL;
    }
    int rc = CLI_EXIT_OK;
    PGresult *res = s_query_hosts (conn, &rc);
    if (!res) {
        if (json && rc == CLI_EXIT_EMPTY)
            fputs ("{\"hosts\": []}\n", stdout);
        goto out;
    }
    if (json)
        s_print_json (conn, res);
    if (PQntuples (res) == 0) {
        fprintf (stderr, "vigil: %s\n", s_no_hosts);
        rc = CLI_EXIT_EMPTY;
    } else if (!json)
        s_print_table (conn, res);
    PQclear (res);
out:
    PQfinish (conn);
    return rc;
}
