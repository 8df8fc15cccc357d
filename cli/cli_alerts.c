/*  cli_alerts.c - `vigil alerts` and `vigil alerts history`. */
#include "cli_alerts.h"
#include "cli.h"
#include "cli_db.h"
#include "cli_json.h"
#include "rules_ast.h"
#include "rules_file.h"
#include "rules_regex.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_time.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <getopt.h>
#include <libpq-fe.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_MAX_MATCHERS 16

void
cli_alerts_usage (FILE *out)
{
    fprintf (out,
             "usage: vigil alerts [--db URL] [--state STATE] [--severity S] [--match M]... "
             "[--json]\n"
             "       vigil alerts history [--db URL] [--since WHEN] [--until WHEN]\n"
             "                            [--severity S] [--match M]... [--json]\n"
             "\n"
             "Lists the alerts of the collector's rules: state, severity, since when, the\n"
             "expression's value, labels and summary, firing first, most severe first.\n"
             "history lists the transitions (pending, firing, resolved, inactive) in a\n"
             "time range, oldest first.\n"
             "\n"
             "options:\n"
             "  --db URL         PostgreSQL URL of Vigil's database; default $%s,\n"
             "                   else %s\n"
             "  --state STATE    pending, firing, resolved, inactive, active (pending and\n"
             "                   firing: the default) or all\n"
             "  --severity S     only alerts whose severity label is S (critical, warning...)\n"
             "  --match M        only alerts whose labels match M, a PromQL matcher:\n"
             "                   host=web1, path!=/health, job=~\"api|web\", env!~dev.*\n"
             "                   (regexes anchored, as in PromQL); repeat to require several\n"
             "  --since WHEN     history from WHEN: a duration back from now (30m, 24h, 7d)\n"
             "                   or a time (2026-05-01T12:00:00Z); default 24h\n"
             "  --until WHEN     history up to WHEN (same forms); default now\n"
             "  --json           print {\"alerts\": [...]} or {\"transitions\": [...]}\n"
             "  -h, --help       this help\n"
             "\n"
             "exit status: 0 done (also when nothing matches), 1 database error, 2 bad usage,\n"
             "3 the database has no Vigil schema yet.\n"
             "\n"
             "examples:\n"
             "  vigil alerts\n"
             "  vigil alerts --severity critical --match host=web1\n"
             "  vigil alerts --state all --json\n"
             "  vigil alerts history --since 2h --match 'alertname=~\"High.*\"'\n",
             CLI_DB_ENV, CLI_DB_DEFAULT_URL);
}

/*  --------------------------------------------------------------------------
 *  Matchers and labels
 */

typedef struct {
    char *name;
    char *value;
    int op; /* 0 =, 1 !=, 2 =~, 3 !~ */
    pcre2_code *re;
    pcre2_match_data *md;
} s_matcher_t;

/* name op value, the value optionally in double quotes. */
static int
s_parse_matcher (const char *text, s_matcher_t *m, char *err, size_t errlen)
{
    memset (m, 0, sizeof *m);
    size_t n = strspn (text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    const char *p = text + n;
    static const char *const ops[] = {"=~", "!~", "!=", "="};
    static const int codes[] = {2, 3, 1, 0};
    int op = -1;
    for (int i = 0; i < 4 && op < 0; i++)
        if (strncmp (p, ops[i], strlen (ops[i])) == 0) {
            op = codes[i];
            p += strlen (ops[i]);
        }
    if (n == 0 || op < 0 || (text[0] >= '0' && text[0] <= '9')) {
        snprintf (err, errlen,
                  "--match \"%s\": expected a label matcher like host=web1, code!=200, "
                  "job=~\"api|web\"",
                  text);
        return -1;
    }
    size_t vl = strlen (p);
    if (vl >= 2 && p[0] == '"' && p[vl - 1] == '"') {
        p++;
        vl -= 2;
    }
    m->name = vg_strndup (text, n);
    m->value = vg_strndup (p, vl);
    m->op = op;
    if (op >= 2) {
        char why[160];
        m->re = rules_regex_compile (m->value, why, sizeof why);
        if (!m->re) {
            snprintf (err, errlen, "--match \"%s\": bad regular expression: %s", text, why);
            return -1;
        }
        m->md = pcre2_match_data_create_from_pattern (m->re, NULL);
    }
    return 0;
}

static void
s_matcher_free (s_matcher_t *m)
{
    free (m->name);
    free (m->value);
    if (m->md)
        pcre2_match_data_free (m->md);
    if (m->re)
        pcre2_code_free (m->re);
}

/* Label pairs from two PostgreSQL text arrays ({a,"b c"}) of keys and
 * values. */
typedef struct {
    char **keys, **values;
    size_t n;
} s_labels_t;

static size_t
s_pg_array (const char *text, char ***out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    const char *p = text;
    if (*p != '{')
        return 0;
    p++;
    while (*p && *p != '}') {
        vg_buf_t b = {0};
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                vg_buf_append (&b, p, 1);
            }
            if (*p == '"')
                p++;
        } else {
            while (*p && *p != ',' && *p != '}')
                vg_buf_append (&b, p++, 1);
        }
        VG_GROW (*out, cap, n + 1);
        (*out)[n++] = vg_strndup (b.data ? b.data : "", b.len);
        vg_buf_free (&b);
        if (*p == ',')
            p++;
    }
    return n;
}

static void
s_labels_read (const PGresult *res, int row, int kcol, s_labels_t *l)
{
    char **values;
    l->n = s_pg_array (PQgetvalue (res, row, kcol), &l->keys);
    size_t nv = s_pg_array (PQgetvalue (res, row, kcol + 1), &values);
    l->values = values;
    if (nv < l->n)
        l->n = nv;
}

static void
s_labels_free (s_labels_t *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free (l->keys[i]);
        free (l->values[i]);
    }
    free (l->keys);
    free (l->values);
}

static const char *
s_label (const s_labels_t *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp (l->keys[i], key) == 0)
            return l->values[i];
    return NULL;
}

static int
s_matches (const s_matcher_t *ms, size_t n, const s_labels_t *l)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = s_label (l, ms[i].name);
        if (!v)
            v = "";
        int ok;
        if (ms[i].op <= 1)
            ok = (strcmp (v, ms[i].value) == 0) == (ms[i].op == 0);
        else
            ok = (pcre2_match (ms[i].re, (PCRE2_SPTR)v, strlen (v), 0, 0, ms[i].md, NULL) >= 0) ==
                 (ms[i].op == 2);
        if (!ok)
            return 0;
    }
    return 1;
}

/*  --------------------------------------------------------------------------
 *  Output
 */

/* Terminal control bytes from label values stay off the screen. */
static void
s_put (vg_buf_t *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char c = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
        vg_buf_append (out, &c, 1);
    }
}

static void
s_labels_text (const s_labels_t *l, vg_buf_t *out)
{
    int first = 1;
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp (l->keys[i], "alertname") == 0 || strcmp (l->keys[i], "severity") == 0)
            continue;
        vg_buf_puts (out, first ? "" : " ");
        first = 0;
        s_put (out, l->keys[i]);
        vg_buf_append (out, "=", 1);
        s_put (out, l->values[i]);
    }
    if (first)
        vg_buf_append (out, "-", 1);
}

static void
s_labels_json (const s_labels_t *l, vg_buf_t *out)
{
    vg_buf_append (out, "{", 1);
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            vg_buf_puts (out, ", ");
        cli_json_string (out, l->keys[i]);
        vg_buf_puts (out, ": ");
        cli_json_string (out, l->values[i]);
    }
    vg_buf_append (out, "}", 1);
}

static void
s_ago (long long secs, char *out, size_t len)
{
    if (secs < 60)
        snprintf (out, len, "%llds ago", secs);
    else if (secs < 3600)
        snprintf (out, len, "%lldm ago", secs / 60);
    else if (secs < 86400)
        snprintf (out, len, "%lldh%02lldm ago", secs / 3600, secs / 60 % 60);
    else
        snprintf (out, len, "%lldd%02lldh ago", secs / 86400, secs / 3600 % 24);
}

/* A table: rows of cells, columns as wide as their widest cell. */
typedef struct {
    char **cells;
    size_t ncols, n, cap;
} s_table_t;

static void
s_table_add (s_table_t *t, const char *cell)
{
    VG_GROW (t->cells, t->cap, t->n + 1);
    t->cells[t->n++] = vg_strdup (cell);
}

/* The last two cells of a row: the labels, and the summary. */
static void
s_table_add_tail (s_table_t *t, const s_labels_t *l, const char *summary)
{
    vg_buf_t cell = {0};
    s_labels_text (l, &cell);
    s_table_add (t, cell.data);
    vg_buf_reset (&cell);
    s_put (&cell, *summary ? summary : "-");
    s_table_add (t, cell.data);
    vg_buf_free (&cell);
}

static void
s_table_print (s_table_t *t)
{
    size_t *w = vg_calloc (t->ncols, sizeof *w);
    for (size_t i = 0; i < t->n; i++) {
        size_t len = strlen (t->cells[i]);
        if (len > w[i % t->ncols])
            w[i % t->ncols] = len;
    }
    vg_buf_t out = {0};
    for (size_t i = 0; i < t->n; i++) {
        size_t c = i % t->ncols;
        vg_buf_puts (&out, t->cells[i]);
        if (c + 1 == t->ncols)
            vg_buf_puts (&out, "\n");
        else
            for (size_t k = strlen (t->cells[i]); k < w[c] + 2; k++)
                vg_buf_append (&out, " ", 1);
        free (t->cells[i]);
    }
    fputs (out.data ? out.data : "", stdout);
    vg_buf_free (&out);
    free (t->cells);
    free (w);
}

/* Prints what was gathered (JSON, or the table) and frees it. Returns 1
 * when nothing was shown and the caller should say so. */
static int
s_finish (vg_buf_t *out, s_table_t *t, int json, size_t shown)
{
    int none = 0;
    if (json) {
        vg_buf_puts (out, shown ? "\n]}\n" : "]}\n");
        fputs (out->data, stdout);
    } else if (shown) {
        s_table_print (t);
    } else {
        for (size_t i = 0; i < t->n; i++)
            free (t->cells[i]);
        free (t->cells);
        none = 1;
    }
    vg_buf_free (out);
    return none;
}

static const char *
s_cell (const PGresult *res, int row, int col)
{
    return PQgetisnull (res, row, col) ? NULL : PQgetvalue (res, row, col);
}

/*  --------------------------------------------------------------------------
 *  Queries
 */

/* Times as RFC 3339 in UTC; labels and annotations as two arrays, keys and
 * values, in key order. */
static const char *s_alerts_sql =
    "SELECT a.alert_id, a.state, coalesce (a.severity, ''),"
    "       to_char (coalesce (a.fired_at, a.active_at) AT TIME ZONE 'UTC',"
    "                'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "       greatest (0, floor (extract (epoch FROM now ()"
    "                 - coalesce (a.resolved_at, a.fired_at, a.active_at))))::bigint,"
    "       a.value, coalesce (a.annotations->>'summary', ''), a.fingerprint, a.rule_key,"
    "       to_char (a.active_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "       to_char (a.fired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "       to_char (a.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "       ARRAY (SELECT key FROM jsonb_each_text (a.labels) ORDER BY key),"
    "       ARRAY (SELECT value FROM jsonb_each_text (a.labels) ORDER BY key),"
    "       ARRAY (SELECT key FROM jsonb_each_text (a.annotations) ORDER BY key),"
    "       ARRAY (SELECT value FROM jsonb_each_text (a.annotations) ORDER BY key)"
    "  FROM vigil.alerts a"
    " WHERE a.state = ANY ($1::text[]) AND ($2::text IS NULL OR a.severity = $2)"
    " ORDER BY a.state = 'firing' DESC,"
    "          CASE a.severity WHEN 'emergency' THEN 0 WHEN 'critical' THEN 1"
    "                          WHEN 'warning' THEN 2 WHEN 'info' THEN 3 ELSE 4 END,"
    "          coalesce (a.resolved_at, a.fired_at, a.active_at) DESC, a.alert_id";

enum {
    A_ID,
    A_STATE,
    A_SEVERITY,
    A_SINCE,
    A_AGE,
    A_VALUE,
    A_SUMMARY,
    A_FP,
    A_RULE,
    A_ACTIVE,
    A_FIRED,
    A_RESOLVED,
    A_LABEL_KEYS,
    A_ANN_KEYS = A_LABEL_KEYS + 2,
};

static const char *s_history_sql =
    "SELECT to_char (t.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "       a.alertname, t.from_state, t.to_state, t.value, coalesce (a.severity, ''),"
    "       coalesce (a.annotations->>'summary', ''), a.alert_id, a.fingerprint,"
    "       ARRAY (SELECT key FROM jsonb_each_text (a.labels) ORDER BY key),"
    "       ARRAY (SELECT value FROM jsonb_each_text (a.labels) ORDER BY key)"
    "  FROM vigil.alert_transitions t JOIN vigil.alerts a ON a.alert_id = t.alert_id"
    " WHERE t.at >= $1::timestamptz AND t.at < $2::timestamptz"
    "   AND ($3::text IS NULL OR a.severity = $3)"
    " ORDER BY t.at, t.transition_id";

enum {
    H_AT,
    H_NAME,
    H_FROM,
    H_TO,
    H_VALUE,
    H_SEVERITY,
    H_SUMMARY,
    H_ID,
    H_FP,
    H_LABEL_KEYS,
};

/* Runs a query; on failure says why and sets *rc. */
static PGresult *
s_query (PGconn *conn, const char *sql, int n, const char *const *params, const char *what, int *rc)
{
    PGresult *res = PQexecParams (conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) == PGRES_TUPLES_OK)
        return res;
    char where[512], reason[1024];
    cli_db_where (conn, where, sizeof where);
    cli_db_reason (conn, res, reason, sizeof reason);
    const char *state = PQresultErrorField (res, PG_DIAG_SQLSTATE);
    if (cli_db_no_schema (res)) {
        *rc = CLI_EXIT_EMPTY;
        fprintf (stderr,
                 "vigil: the database %s has no alerts yet (no Vigil schema: the collector "
                 "creates it when it starts)\n",
                 where);
    } else if (state && strcmp (state, "22007") == 0) {
        *rc = CLI_EXIT_USAGE;
        fprintf (stderr,
                 "vigil alerts: %s; write a time like 2026-05-01T12:00:00Z or a "
                 "duration like 24h\n",
                 reason);
    } else {
        *rc = CLI_EXIT_FAIL;
        fprintf (stderr, "vigil: cannot read %s from the database at %s: %s\n", what, where,
                 reason);
    }
    PQclear (res);
    return NULL;
}

static void
s_value_text (const char *v, char *out, size_t len)
{
    if (!v)
        snprintf (out, len, "-");
    else
        snprintf (out, len, "%.4g", strtod (v, NULL));
}

static int
s_list (PGconn *conn, const char *states, const char *severity, const s_matcher_t *ms, size_t nm,
        int json)
{
    const char *params[] = {states, severity};
    int rc = CLI_EXIT_OK;
    PGresult *res = s_query (conn, s_alerts_sql, 2, params, "alerts", &rc);
    if (!res)
        return rc;
    s_table_t t = {.ncols = 7};
    vg_buf_t out = {0};
    if (json)
        vg_buf_puts (&out, "{\"alerts\": [");
    else {
        const char *head[] = {"STATE", "SEVERITY", "SINCE", "VALUE", "ALERT", "LABELS", "SUMMARY"};
        for (int i = 0; i < 7; i++)
            s_table_add (&t, head[i]);
    }
    size_t shown = 0;
    for (int i = 0; i < PQntuples (res); i++) {
        s_labels_t l, ann;
        s_labels_read (res, i, A_LABEL_KEYS, &l);
        s_labels_read (res, i, A_ANN_KEYS, &ann);
        if (s_matches (ms, nm, &l)) {
            const char *name = s_label (&l, "alertname");
            if (json) {
                vg_buf_puts (&out, shown ? ",\n  {" : "\n  {");
                vg_buf_printf (&out, "\"id\": %s, \"state\": ", PQgetvalue (res, i, A_ID));
                cli_json_string (&out, PQgetvalue (res, i, A_STATE));
                vg_buf_puts (&out, ", \"alertname\": ");
                cli_json_string (&out, name);
                vg_buf_puts (&out, ", \"severity\": ");
                cli_json_string (&out, *PQgetvalue (res, i, A_SEVERITY)
                                           ? PQgetvalue (res, i, A_SEVERITY)
                                           : NULL);
                vg_buf_puts (&out, ", \"since\": ");
                cli_json_string (&out, s_cell (res, i, A_SINCE));
                vg_buf_puts (&out, ", \"active_at\": ");
                cli_json_string (&out, s_cell (res, i, A_ACTIVE));
                vg_buf_puts (&out, ", \"fired_at\": ");
                cli_json_string (&out, s_cell (res, i, A_FIRED));
                vg_buf_puts (&out, ", \"resolved_at\": ");
                cli_json_string (&out, s_cell (res, i, A_RESOLVED));
                vg_buf_puts (&out, ", \"value\": ");
                cli_json_number (&out, s_cell (res, i, A_VALUE));
                vg_buf_puts (&out, ", \"fingerprint\": ");
                cli_json_string (&out, PQgetvalue (res, i, A_FP));
                vg_buf_puts (&out, ", \"rule\": ");
                cli_json_string (&out, PQgetvalue (res, i, A_RULE));
                vg_buf_puts (&out, ", \"labels\": ");
                s_labels_json (&l, &out);
                vg_buf_puts (&out, ", \"annotations\": ");
                s_labels_json (&ann, &out);
                vg_buf_puts (&out, "}");
            } else {
                char ago[48], val[48];
                s_ago (atoll (PQgetvalue (res, i, A_AGE)), ago, sizeof ago);
                s_value_text (s_cell (res, i, A_VALUE), val, sizeof val);
                vg_buf_t cell = {0};
                s_table_add (&t, PQgetvalue (res, i, A_STATE));
                s_table_add (&t, *PQgetvalue (res, i, A_SEVERITY) ? PQgetvalue (res, i, A_SEVERITY)
                                                                  : "-");
                s_table_add (&t, ago);
                s_table_add (&t, val);
                s_put (&cell, name ? name : "?");
                s_table_add (&t, cell.data);
                vg_buf_free (&cell);
                s_table_add_tail (&t, &l, PQgetvalue (res, i, A_SUMMARY));
            }
            shown++;
        }
        s_labels_free (&l);
        s_labels_free (&ann);
    }
    PQclear (res);
    if (s_finish (&out, &t, json, shown))
        printf ("no alerts match (states: %s%s%s)\n", states, severity ? ", severity " : "",
                severity ? severity : "");
    return CLI_EXIT_OK;
}

/* WHEN: a duration back from now (as an RFC 3339 time), or a time as
 * written, for PostgreSQL to read. */
static void
s_when (const char *text, int64_t now_ms, char *out, size_t len)
{
    int64_t ms;
    if (rules_file_duration (text, &ms) != 0) {
        snprintf (out, len, "%s", text);
        return;
    }
    int64_t t = now_ms - ms;
    time_t secs = (time_t)(t / 1000);
    struct tm tm;
    gmtime_r (&secs, &tm);
    snprintf (out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
              tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(t % 1000));
}

static int
s_history (PGconn *conn, const char *since, const char *until, const char *severity,
           const s_matcher_t *ms, size_t nm, int json)
{
    char lo[128], hi[128];
    int64_t now = vg_now_ms ();
    s_when (since ? since : "24h", now, lo, sizeof lo);
    s_when (until ? until : "0", now, hi, sizeof hi);
    const char *params[] = {lo, hi, severity};
    int rc = CLI_EXIT_OK;
    PGresult *res = s_query (conn, s_history_sql, 3, params, "alert transitions", &rc);
    if (!res)
        return rc;
    s_table_t t = {.ncols = 6};
    vg_buf_t out = {0};
    if (json)
        vg_buf_puts (&out, "{\"transitions\": [");
    else {
        const char *head[] = {"TIME", "ALERT", "CHANGE", "VALUE", "LABELS", "SUMMARY"};
        for (int i = 0; i < 6; i++)
            s_table_add (&t, head[i]);
    }
    size_t shown = 0;
    for (int i = 0; i < PQntuples (res); i++) {
        s_labels_t l;
        s_labels_read (res, i, H_LABEL_KEYS, &l);
        if (s_matches (ms, nm, &l)) {
            if (json) {
                vg_buf_puts (&out, shown ? ",\n  {" : "\n  {");
                vg_buf_puts (&out, "\"at\": ");
                cli_json_string (&out, PQgetvalue (res, i, H_AT));
                vg_buf_printf (&out,
                               ", \"alert_id\": %s, \"alertname\": ", PQgetvalue (res, i, H_ID));
                cli_json_string (&out, PQgetvalue (res, i, H_NAME));
                vg_buf_puts (&out, ", \"from\": ");
                cli_json_string (&out, PQgetvalue (res, i, H_FROM));
                vg_buf_puts (&out, ", \"to\": ");
                cli_json_string (&out, PQgetvalue (res, i, H_TO));
                vg_buf_puts (&out, ", \"value\": ");
                cli_json_number (&out, s_cell (res, i, H_VALUE));
                vg_buf_puts (&out, ", \"fingerprint\": ");
                cli_json_string (&out, PQgetvalue (res, i, H_FP));
                vg_buf_puts (&out, ", \"labels\": ");
                s_labels_json (&l, &out);
                vg_buf_puts (&out, "}");
            } else {
                char val[48];
                s_value_text (s_cell (res, i, H_VALUE), val, sizeof val);
                vg_buf_t cell = {0};
                s_table_add (&t, PQgetvalue (res, i, H_AT));
                s_put (&cell, PQgetvalue (res, i, H_NAME));
                s_table_add (&t, cell.data);
                vg_buf_reset (&cell);
                vg_buf_printf (&cell, "%s -> %s", PQgetvalue (res, i, H_FROM),
                               PQgetvalue (res, i, H_TO));
                s_table_add (&t, cell.data);
                s_table_add (&t, val);
                vg_buf_free (&cell);
                s_table_add_tail (&t, &l, PQgetvalue (res, i, H_SUMMARY));
            }
            shown++;
        }
        s_labels_free (&l);
    }
    PQclear (res);
    if (s_finish (&out, &t, json, shown))
        printf ("no alert transitions from %s to %s\n", lo, hi);
    return CLI_EXIT_OK;
}

int
cli_alerts_run (int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"state", required_argument, NULL, 's'},
        {"severity", required_argument, NULL, 'v'},
        {"match", required_argument, NULL, 'm'},
        {"since", required_argument, NULL, 'f'},
        {"until", required_argument, NULL, 'u'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int history = argc >= 2 && strcmp (argv[1], "history") == 0;
    const char *cmd = history ? "vigil alerts history" : "vigil alerts";
    if (history) {
        argc--;
        argv++;
    }
    const char *db = NULL, *state = NULL, *severity = NULL, *since = NULL, *until = NULL;
    int json = 0, c, rc = CLI_EXIT_OK;
    s_matcher_t ms[S_MAX_MATCHERS];
    size_t nm = 0;
    char err[512];
    optind = 1;
    opterr = 0;
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 's':
            state = optarg;
            break;
        case 'v':
            severity = optarg;
            break;
        case 'f':
            since = optarg;
            break;
        case 'u':
            until = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'm':
            if (nm == S_MAX_MATCHERS) {
                fprintf (stderr, "%s: at most %d --match\n", cmd, S_MAX_MATCHERS);
                rc = CLI_EXIT_USAGE;
                goto out;
            }
            if (s_parse_matcher (optarg, &ms[nm], err, sizeof err) != 0) {
                s_matcher_free (&ms[nm]);
                fprintf (stderr, "%s: %s\n", cmd, err);
                rc = CLI_EXIT_USAGE;
                goto out;
            }
            nm++;
            break;
        case 'h':
            cli_alerts_usage (stdout);
            goto out;
        case ':':
            fprintf (stderr, "%s: %s needs a value; see vigil help alerts\n", cmd,
                     argv[optind - 1]);
            rc = CLI_EXIT_USAGE;
            goto out;
        default:
            fprintf (stderr, "%s: unknown option '%s'; see vigil help alerts\n", cmd,
                     argv[optind - 1]);
            rc = CLI_EXIT_USAGE;
            goto out;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "%s: unexpected argument '%s'; see vigil help alerts\n", cmd,
                 argv[optind]);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    if (history && state) {
        fprintf (stderr, "%s: --state is for vigil alerts; history shows every transition\n", cmd);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    if (!history && (since || until)) {
        fprintf (stderr, "%s: --since and --until are for vigil alerts history\n", cmd);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    const char *states = "{pending,firing}";
    if (state) {
        static const struct {
            const char *name, *set;
        } sets[] = {{"active", "{pending,firing}"}, {"pending", "{pending}"},
                    {"firing", "{firing}"},         {"resolved", "{resolved}"},
                    {"inactive", "{inactive}"},     {"all", "{pending,firing,resolved,inactive}"}};
        states = NULL;
        for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
            if (strcmp (sets[i].name, state) == 0)
                states = sets[i].set;
        if (!states) {
            fprintf (stderr,
                     "%s: --state %s: expected active, pending, firing, resolved, inactive or "
                     "all\n",
                     cmd, state);
            rc = CLI_EXIT_USAGE;
            goto out;
        }
    }
    PGconn *conn = cli_db_connect (cli_db_url (db), err, sizeof err);
    if (!conn) {
        fprintf (stderr, "vigil: %s\n", err);
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    rc = history ? s_history (conn, since, until, severity, ms, nm, json)
                 : s_list (conn, states, severity, ms, nm, json);
    PQfinish (conn);
out:
    for (size_t i = 0; i < nm; i++)
        s_matcher_free (&ms[i]);
    return rc;
}
