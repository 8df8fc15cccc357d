/*  report_status.c - the status page: every host with its vital signs, the
 *  active alerts, and the last 24 hours' charts of the report's metrics,
 *  with the same SVG renderer as the HTML report. */
#include "report_status.h"
#include "report_db.h"
#include "report_fmt.h"
#include "report_html.h"
#include "report_query.h"
#include "report_steps.h"
#include "report_svg.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
s_cell (vg_buf_t *out, const PGresult *res, int row, int col, report_unit_t unit)
{
    char buf[48];
    report_fmt_value (buf, sizeof buf, report_db_val (res, row, col), unit, NULL);
    vg_buf_puts (out, "<td>");
    report_svg_escape (out, buf);
    vg_buf_puts (out, "</td>");
}

static int
s_hosts (PGconn *conn, vg_buf_t *out, char *err, size_t errlen)
{
    PGresult *res = report_db_exec (
        conn, "hosts",
        "SELECT hostname, seconds_since, stale, cpu_percent, memory_used_percent, load1,"
        " disk_root_used_percent, disk_max_used_percent, series FROM vigil.host_status"
        " ORDER BY hostname, agent_id",
        0, NULL, err, errlen);
    if (!res)
        return VG_EDB;
    int n = PQntuples (res), stale = 0;
    vg_buf_printf (out, "<section data-section=\"hosts\"><h2>Hosts (%d)</h2>\n", n);
    if (n == 0)
        vg_buf_puts (out, "<p class=\"none\">no hosts have reported yet: is vigil-collector "
                          "running and an agent pointed at it?</p>");
    else
        vg_buf_puts (out, "<table data-table=\"hosts\"><tr><th>host</th><th>last seen</th>"
                          "<th>CPU</th><th>memory used</th><th>load 1</th><th>disk /</th>"
                          "<th>fullest disk</th><th>series</th></tr>\n");
    for (int i = 0; i < n; i++) {
        int is_stale = strcmp (PQgetvalue (res, i, 2), "t") == 0;
        long long ago = atoll (PQgetvalue (res, i, 1));
        stale += is_stale;
        vg_buf_printf (out, "<tr class=\"%s\"><td>", is_stale ? "stale" : "ok");
        report_svg_escape (out, PQgetvalue (res, i, 0));
        if (ago < 120)
            vg_buf_printf (out, "</td><td>%llds ago", ago);
        else if (ago < 7200)
            vg_buf_printf (out, "</td><td>%lldm ago", ago / 60);
        else
            vg_buf_printf (out, "</td><td>%lldh ago", ago / 3600);
        vg_buf_printf (out, "%s</td>", is_stale ? " (stale)" : "");
        s_cell (out, res, i, 3, REPORT_UNIT_CPU);
        s_cell (out, res, i, 4, REPORT_UNIT_CPU);
        int has;
        double load = report_db_double (res, i, 5, &has);
        if (has)
            vg_buf_printf (out, "<td>%.2f</td>", load);
        else
            vg_buf_puts (out, "<td>-</td>");
        s_cell (out, res, i, 6, REPORT_UNIT_CPU);
        s_cell (out, res, i, 7, REPORT_UNIT_CPU);
        vg_buf_printf (out, "<td>%s</td></tr>\n", PQgetvalue (res, i, 8));
    }
    if (n)
        vg_buf_puts (out, "</table>\n");
    if (stale)
        vg_buf_printf (out,
                       "<p class=\"warn\">%d of %d hosts not seen for 5 minutes: is the agent "
                       "running there, and can it reach the collector?</p>\n",
                       stale, n);
    vg_buf_puts (out, "</section>\n");
    PQclear (res);
    return 0;
}

/* The rules engine's open alerts (vigil.alerts: firing, then pending),
 * worst severity first, each with the ack in force (vigil.alert_acks). */
static int
s_alerts (PGconn *conn, int64_t now_ms, vg_buf_t *out, char *err, size_t errlen)
{
    char now[32];
    const char *p[] = {report_db_ms (now_ms, now, sizeof now)};
    PGresult *res = report_db_exec (
        conn, "alerts",
        "SELECT a.alertname, coalesce (a.severity, ''), a.state,"
        "       to_char (coalesce (a.fired_at, a.active_at) AT TIME ZONE 'UTC',"
        "                'YYYY-MM-DD HH24:MI'),"
        "       greatest (0, extract (epoch FROM to_timestamp ($1::float8)"
        "                                        - coalesce (a.fired_at, a.active_at)))::bigint,"
        "       coalesce (a.annotations->>'summary', a.annotations->>'description', ''),"
        "       (SELECT string_agg (l.key || '=' || l.value, ', ' ORDER BY l.key)"
        "          FROM jsonb_each_text (a.labels) l"
        "         WHERE l.key NOT IN ('alertname', 'severity')),"
        "       k.acked_by"
        "  FROM vigil.alerts a"
        "  LEFT JOIN LATERAL (SELECT acked_by FROM vigil.alert_acks x"
        "                      WHERE x.alert_id = a.alert_id AND x.ended_at IS NULL"
        "                        AND (x.expires_at IS NULL"
        "                             OR x.expires_at > to_timestamp ($1::float8))"
        "                      ORDER BY x.acked_at DESC LIMIT 1) k ON true"
        " WHERE a.state IN ('firing', 'pending')"
        " ORDER BY a.state = 'pending', CASE a.severity WHEN 'critical' THEN 0"
        "          WHEN 'warning' THEN 1 ELSE 2 END, coalesce (a.fired_at, a.active_at)"
        " LIMIT 101",
        1, p, err, errlen);
    if (!res)
        return VG_EDB;
    int n = PQntuples (res), shown = n > 100 ? 100 : n;
    vg_buf_printf (out, "<section data-section=\"alerts\"><h2>Active alerts (%d%s)</h2>\n", shown,
                   n > shown ? "+" : "");
    if (n == 0)
        vg_buf_puts (out, "<p class=\"ok\">none firing</p>");
    else
        vg_buf_puts (out, "<table data-table=\"alerts\"><tr><th>alert</th><th>severity</th>"
                          "<th>state</th><th>since (UTC)</th><th>for</th><th>summary</th>"
                          "<th>labels</th><th>acknowledged</th></tr>\n");
    for (int i = 0; i < shown; i++) {
        int firing = strcmp (PQgetvalue (res, i, 2), "firing") == 0;
        vg_buf_printf (out, "<tr class=\"%s\">", firing ? "bad" : "stale");
        for (int c = 0; c < 4; c++) {
            vg_buf_puts (out, "<td>");
            report_svg_escape (out, PQgetvalue (res, i, c));
            vg_buf_puts (out, "</td>");
        }
        char ago[48];
        report_fmt_value (ago, sizeof ago, report_val (atof (PQgetvalue (res, i, 4))),
                          REPORT_UNIT_DURATION, NULL);
        vg_buf_printf (out, "<td>%s</td>", ago);
        for (int c = 5; c < 8; c++) {
            vg_buf_puts (out, "<td>");
            report_svg_escape (out, PQgetisnull (res, i, c) ? "" : PQgetvalue (res, i, c));
            vg_buf_puts (out, "</td>");
        }
        vg_buf_puts (out, "</tr>\n");
    }
    if (n)
        vg_buf_puts (out, "</table>\n");
    if (n > shown)
        vg_buf_puts (out, "<p class=\"warn\">more than 100 alerts are open: the first 100 are "
                          "shown; vigil alerts lists them all</p>\n");
    vg_buf_puts (out, "</section>\n");
    PQclear (res);
    return 0;
}

/* The last 24 hours in hour steps, the last one the hour going on. */
static int
s_charts (PGconn *conn, const report_def_t *def, const char *selector, int64_t now_ms,
          vg_buf_t *out, char *err, size_t errlen)
{
    report_t *r = report_model_new ();
    r->kind = vg_strdup ("status");
    r->tz = vg_strdup ("UTC");
    r->currency = vg_strdup (def->cost.unit);
    report_ctx_t c = {.conn = conn, .def = def, .r = r, .tz = "UTC", .err = err, .errlen = errlen};
    c.sel = vg_strdup (selector ? selector : "");
    int64_t hour = now_ms - now_ms % 3600000;
    r->from_ms = hour - 23 * 3600000LL;
    r->to_ms = now_ms + 1;
    report_db_ms (r->from_ms, c.since, sizeof c.since);
    report_db_ms (r->to_ms, c.until, sizeof c.until);
    report_steps_charts (&c, "1 hour", "HH24:00", 60);
    if (!c.failed) {
        char a[32], b[32];
        const char *p[] = {report_db_ms (r->from_ms, a, sizeof a),
                           report_db_ms (r->to_ms, b, sizeof b), c.sel};
        PGresult *res = report_db_exec (
            conn, "deploys",
            "SELECT (extract (epoch FROM ts) * 1000)::bigint,"
            " to_char (ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), service, version"
            "  FROM vigil.deploys_between (to_timestamp ($1::float8), to_timestamp ($2::float8),"
            " $3)",
            3, p, err, errlen);
        if (!res)
            c.failed = 1;
        int n = res ? PQntuples (res) : 0;
        r->marks = vg_calloc ((size_t)n + 1, sizeof *r->marks);
        for (int i = 0; i < n; i++) {
            report_mark_t *m = &r->marks[r->nmarks++];
            m->ts_ms = strtoll (PQgetvalue (res, i, 0), NULL, 10);
            m->when = vg_strdup (PQgetvalue (res, i, 1));
            m->service = vg_strdup (PQgetvalue (res, i, 2));
            m->version = vg_strdup (PQgetvalue (res, i, 3));
        }
        PQclear (res);
    }
    if (!c.failed) {
        vg_buf_puts (out, "<section data-section=\"charts\"><h2>The last 24 hours (UTC)</h2>\n");
        report_svg_frame_t frame = {.from_ms = r->from_ms,
                                    .to_ms = r->to_ms,
                                    .marks = r->marks,
                                    .nmarks = r->nmarks,
                                    .currency = r->currency,
                                    .time_axis = "hour (UTC)"};
        report_html_charts (out, r, &frame);
        vg_buf_puts (out, "</section>\n");
    }
    int rc = c.failed ? VG_EDB : 0;
    free (c.sel);
    report_model_destroy (&r);
    return rc;
}

int
report_status_render (PGconn *conn, const report_def_t *def, const char *selector, int64_t now_ms,
                      vg_buf_t *out, char *err, size_t errlen)
{
    vg_buf_t page = {0};
    report_html_head (&page, "Vigil status");
    /* The page reloads itself: live without a script. */
    vg_buf_puts (&page, "<meta http-equiv=\"refresh\" content=\"60\">\n<h1>Vigil status</h1>");
    char when[32];
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    vg_buf_printf (&page, "<p class=\"sub\">as of %s; reloads every minute", when);
    if (selector && *selector) {
        vg_buf_puts (&page, "; ");
        report_svg_escape (&page, selector);
    }
    vg_buf_puts (&page, "</p>\n");
    int rc = s_hosts (conn, &page, err, errlen);
    if (rc == 0)
        rc = s_alerts (conn, now_ms, &page, err, errlen);
    if (rc == 0)
        rc = s_charts (conn, def, selector, now_ms, &page, err, errlen);
    vg_buf_puts (&page, "</body></html>\n");
    if (rc == 0)
        vg_buf_append (out, page.data, page.len);
    vg_buf_free (&page);
    return rc;
}
