/*  report_verdict.c - measuring a deploy window, judging it, keeping the
 *  verdict. */
#include "report_verdict.h"
#include "report_db.h"
#include "report_fmt.h"
#include "report_query.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every measure over the window; has = 0 where there is no data. */
static int
s_measure (report_ctx_t *c, report_val_t m[REPORT_MEASURE_COUNT])
{
    const report_def_t *d = c->def;
    for (size_t i = 0; i < REPORT_MEASURE_COUNT; i++)
        m[i] = report_val_none ();
#define ONE(res, col, dst)                                                                         \
    do {                                                                                           \
        int has_;                                                                                  \
        double v_ = report_db_double (res, 0, col, &has_);                                         \
        if (has_)                                                                                  \
            m[dst] = report_val (v_);                                                              \
    } while (0)
    if (*d->requests.metric) {
        PGresult *req = report_query_requests (c, d->requests.metric, NULL, NULL);
        double n = 0, e = 0;
        for (int i = 0; req && i < PQntuples (req); i++) {
            double v = report_db_double (req, i, 2, NULL);
            n += v;
            e += strcmp (PQgetvalue (req, i, 3), "t") == 0 ? v : 0;
        }
        if (req && PQntuples (req)) {
            m[REPORT_MEASURE_REQUESTS] = report_val (n);
            m[REPORT_MEASURE_ERRORS] = report_val (e);
            if (n > 0) {
                m[REPORT_MEASURE_ERROR_RATE] = report_val (e / n);
                m[REPORT_MEASURE_SUCCESS_RATE] = report_val (1 - e / n);
            }
        }
        PQclear (req);
    }
    if (*d->latency.metric) {
        PGresult *res =
            report_query_grouped (c, report_query_dist_sql, d->latency.metric, NULL, NULL, NULL);
        if (res && PQntuples (res)) {
            double k = strcmp (d->latency.unit, "ms") == 0 ? 0.001 : 1;
            ONE (res, 3, REPORT_MEASURE_AVG_RESPONSE);
            ONE (res, 4, REPORT_MEASURE_P50_RESPONSE);
            ONE (res, 5, REPORT_MEASURE_P95_RESPONSE);
            ONE (res, 6, REPORT_MEASURE_P99_RESPONSE);
            for (int i = REPORT_MEASURE_AVG_RESPONSE; i <= REPORT_MEASURE_P99_RESPONSE; i++)
                m[i].v *= k;
        }
        PQclear (res);
    }
    static const struct {
        size_t def_offset;
        int col;
        report_measure_t measure;
    } gauges[] = {
        {offsetof (report_def_t, users.metric), 5, REPORT_MEASURE_PEAK_USERS},
        {offsetof (report_def_t, memory.metric), 4, REPORT_MEASURE_MEMORY_PEAK},
        {offsetof (report_def_t, cpu.metric), 3, REPORT_MEASURE_CPU_AVG},
        {offsetof (report_def_t, cpu.metric), 4, REPORT_MEASURE_CPU_PEAK},
    };
    for (size_t i = 0; i < sizeof gauges / sizeof gauges[0]; i++) {
        const char *metric = *(char *const *)((const char *)d + gauges[i].def_offset);
        if (!*metric)
            continue;
        PGresult *res = report_query_grouped (c, report_query_gauge_sql, metric, NULL, NULL, NULL);
        if (res && PQntuples (res))
            ONE (res, gauges[i].col, gauges[i].measure);
        PQclear (res);
    }
    if (*d->errors.metric) {
        PGresult *res =
            report_query_grouped (c, report_query_inc_sql, d->errors.metric, NULL, NULL, NULL);
        if (res && PQntuples (res))
            ONE (res, 2, REPORT_MEASURE_ERROR_LINES);
        PQclear (res);
    }
#undef ONE
    return c->failed ? VG_EDB : 0;
}

static void
s_value (char *buf, size_t len, report_measure_t m, double v)
{
    report_fmt_value (buf, len, report_val (v), (report_unit_t)report_criteria_measure_unit (m),
                      NULL);
}

static void
s_hours (char *buf, size_t len, int64_t ms)
{
    if (ms % 3600000 == 0 || ms >= 10 * 3600000LL)
        snprintf (buf, len, "%.0f h", (double)ms / 3600000);
    else
        snprintf (buf, len, "%.1f h", (double)ms / 3600000);
}

static void
s_iso (char *buf, size_t len, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Appends "name actual is not op target" for the failed rows of kind
 * (rollback 1 / extend 0). Returns how many. */
static int
s_failures (report_verdict_t *v, int rollback, char *out, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < v->n; i++) {
        const report_judged_t *j = &v->rows[i];
        if (j->pass != 0 || j->criterion->rollback != rollback)
            continue;
        char a[48], t[48];
        s_value (a, sizeof a, j->criterion->measure, j->actual.v);
        s_value (t, sizeof t, j->criterion->measure, j->criterion->target);
        size_t used = strlen (out);
        snprintf (out + used, len - used, "%s%s %s is not %s %s", n++ ? "; " : "",
                  j->criterion->name, a, report_criteria_op_name (j->criterion->op), t);
    }
    return n;
}

int
report_verdict_judge (PGconn *conn, const report_def_t *def, const report_criteria_t *crit,
                      const report_window_t *w, int64_t now_ms, report_verdict_t *v, char *err,
                      size_t errlen)
{
    memset (v, 0, sizeof *v);
    v->judged_until_ms = now_ms < w->until_ms ? now_ms : w->until_ms;
    if (v->judged_until_ms <= w->since_ms) {
        v->outcome = REPORT_EXTEND;
        v->extend_ms = w->until_ms - now_ms;
        char when[32];
        s_iso (when, sizeof when, w->since_ms);
        snprintf (v->reason, sizeof v->reason, "the window starts at %s: nothing to judge yet",
                  when);
        for (size_t i = 0; i < crit->n; i++)
            v->rows[v->n++] = (report_judged_t){&crit->items[i], report_val_none (), -1};
        return 0;
    }
    report_ctx_t c = {.conn = conn, .def = def, .tz = "UTC", .err = err, .errlen = errlen};
    c.sel = vg_strdup (w->selector ? w->selector : "");
    report_db_ms (w->since_ms, c.since, sizeof c.since);
    report_db_ms (v->judged_until_ms, c.until, sizeof c.until);
    report_val_t m[REPORT_MEASURE_COUNT];
    int rc = s_measure (&c, m);
    free (c.sel);
    if (rc)
        return strstr (err, "selector") ? VG_EINVAL : VG_EDB;

    int nodata = 0;
    for (size_t i = 0; i < crit->n; i++) {
        const report_criterion_t *cr = &crit->items[i];
        report_val_t a = m[cr->measure];
        int pass = a.has ? report_criteria_pass (cr->op, a.v, cr->target) : -1;
        nodata += pass < 0;
        v->rows[v->n++] = (report_judged_t){cr, a, pass};
    }
    v->requests = m[REPORT_MEASURE_REQUESTS];
    int enough = !v->requests.has ? 0 : v->requests.v >= (double)crit->min_requests;
    int over = now_ms >= w->until_ms;
    char judged[32], window[32];
    s_hours (judged, sizeof judged, v->judged_until_ms - w->since_ms);
    s_hours (window, sizeof window, w->until_ms - w->since_ms);

    v->reason[0] = '\0';
    if (enough && s_failures (v, 1, v->reason, sizeof v->reason) > 0) {
        v->outcome = REPORT_ROLLBACK;
        return 0;
    }
    v->outcome = REPORT_EXTEND;
    v->extend_ms = crit->extend_ms;
    if (!over) {
        char until[32];
        s_iso (until, sizeof until, w->until_ms);
        v->extend_ms = w->until_ms - now_ms;
        snprintf (v->reason, sizeof v->reason,
                  "the window is not over: %s of %s judged; ask again after %s", judged, window,
                  until);
    } else if (!enough) {
        char n[48] = "no";
        if (v->requests.has)
            s_value (n, sizeof n, REPORT_MEASURE_REQUESTS, v->requests.v);
        snprintf (v->reason, sizeof v->reason,
                  "too little traffic yet: %s requests in %s, fewer than %lld", n, window,
                  (long long)crit->min_requests);
    } else if (s_failures (v, 0, v->reason, sizeof v->reason) > 0) {
        /* the reason says which */
    } else if (nodata) {
        size_t used = 0;
        for (size_t i = 0; i < v->n; i++)
            if (v->rows[i].pass < 0)
                used += (size_t)snprintf (v->reason + used, sizeof v->reason - used, "%s%s",
                                          used ? ", " : "no data for ", v->rows[i].criterion->name);
    } else {
        v->outcome = REPORT_APPROVE;
        v->extend_ms = 0;
        snprintf (v->reason, sizeof v->reason, "all %zu criteria pass over %s", v->n, window);
    }
    return 0;
}

const char *
report_verdict_name (report_outcome_t o)
{
    return o == REPORT_APPROVE ? "APPROVE" : o == REPORT_EXTEND ? "EXTEND" : "ROLLBACK";
}

/* The criteria as JSON: [{name, measure, op, target, actual, pass}]. */
static void
s_criteria_json (const report_verdict_t *v, vg_buf_t *out)
{
    vg_buf_puts (out, "[");
    for (size_t i = 0; i < v->n; i++) {
        const report_judged_t *j = &v->rows[i];
        vg_buf_puts (out, i ? ", {\"name\": " : "{\"name\": ");
        vg_json_string (out, j->criterion->name, strlen (j->criterion->name));
        vg_buf_printf (out, ", \"measure\": \"%s\", \"op\": \"%s\", \"target\": %.17g",
                       report_criteria_measure_name (j->criterion->measure),
                       report_criteria_op_name (j->criterion->op), j->criterion->target);
        if (j->actual.has && isfinite (j->actual.v))
            vg_buf_printf (out, ", \"actual\": %.17g", j->actual.v);
        else
            vg_buf_puts (out, ", \"actual\": null");
        vg_buf_printf (out, ", \"pass\": %s, \"on_fail\": \"%s\"}",
                       j->pass < 0 ? "null"
                       : j->pass   ? "true"
                                   : "false",
                       j->criterion->rollback ? "rollback" : "extend");
    }
    vg_buf_puts (out, "]");
}

int
report_verdict_store (PGconn *conn, const report_window_t *w, report_verdict_t *v, char *err,
                      size_t errlen)
{
    vg_buf_t crit = {0};
    s_criteria_json (v, &crit);
    char since[32], until[32], deploy[32], status[16], extend[32];
    snprintf (deploy, sizeof deploy, "%lld", (long long)w->deploy_id);
    snprintf (status, sizeof status, "%d", (int)v->outcome);
    snprintf (extend, sizeof extend, "%.3f", (double)v->extend_ms / 1000);
    const char *p[] = {report_db_ms (w->since_ms, since, sizeof since),
                       report_db_ms (w->until_ms, until, sizeof until),
                       w->deploy_id ? deploy : NULL,
                       w->selector ? w->selector : "",
                       report_verdict_name (v->outcome),
                       status,
                       v->outcome == REPORT_EXTEND ? extend : NULL,
                       v->reason,
                       crit.data};
    PGresult *res = report_db_exec (conn, "storing the verdict",
                                    "SELECT vigil.verdict_record (to_timestamp ($1::float8),"
                                    " to_timestamp ($2::float8), $3::bigint, $4, $5,"
                                    " $6::integer, make_interval (secs => $7::float8), $8,"
                                    " $9::jsonb)",
                                    9, p, err, errlen);
    vg_buf_free (&crit);
    if (!res)
        return VG_EDB;
    v->verdict_id = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    return 0;
}

static void
s_cell (vg_buf_t *out, const char *s, size_t width)
{
    vg_buf_puts (out, s);
    for (size_t i = report_fmt_width (s); i < width; i++)
        vg_buf_puts (out, " ");
}

void
report_verdict_text (const report_verdict_t *v, const report_window_t *w, vg_buf_t *out)
{
    char a[32], b[32], c[32], h[32];
    vg_buf_printf (out, "%s", report_verdict_name (v->outcome));
    if (v->outcome == REPORT_EXTEND) {
        s_hours (h, sizeof h, v->extend_ms);
        vg_buf_printf (out, " for %s", h);
    }
    vg_buf_printf (out, ": %s\n", v->reason);
    s_iso (a, sizeof a, w->since_ms);
    s_iso (b, sizeof b, w->until_ms);
    s_iso (c, sizeof c, v->judged_until_ms);
    vg_buf_printf (out, "window: %s .. %s", a, b);
    if (w->deploy)
        vg_buf_printf (out, ", from deploy %lld (%s)", (long long)w->deploy_id, w->deploy);
    vg_buf_printf (out, "; judged up to %s", c);
    if (w->selector && *w->selector)
        vg_buf_printf (out, "; %s", w->selector);
    vg_buf_puts (out, "\n");
    if (v->requests.has) {
        s_value (a, sizeof a, REPORT_MEASURE_REQUESTS, v->requests.v);
        vg_buf_printf (out, "traffic: %s requests\n", a);
    }
    size_t wn = strlen ("criterion");
    for (size_t i = 0; i < v->n; i++)
        wn = report_fmt_width (v->rows[i].criterion->name) > wn
                 ? report_fmt_width (v->rows[i].criterion->name)
                 : wn;
    vg_buf_puts (out, "\n");
    s_cell (out, "criterion", wn + 2);
    s_cell (out, "target", 14);
    s_cell (out, "actual", 12);
    vg_buf_puts (out, "pass\n");
    for (size_t i = 0; i < v->n; i++) {
        const report_judged_t *j = &v->rows[i];
        char target[64], actual[48];
        s_value (a, sizeof a, j->criterion->measure, j->criterion->target);
        snprintf (target, sizeof target, "%s %s", report_criteria_op_name (j->criterion->op), a);
        report_fmt_value (actual, sizeof actual, j->actual,
                          (report_unit_t)report_criteria_measure_unit (j->criterion->measure),
                          NULL);
        s_cell (out, j->criterion->name, wn + 2);
        s_cell (out, target, 14);
        s_cell (out, actual, 12);
        vg_buf_puts (out, j->pass > 0    ? "✅"
                          : j->pass == 0 ? (j->criterion->rollback ? "❌ rollback" : "❌ extend")
                                         : "— no data");
        vg_buf_puts (out, "\n");
    }
}

void
report_verdict_json (const report_verdict_t *v, const report_window_t *w, vg_buf_t *out)
{
    char a[32], b[32], c[32];
    s_iso (a, sizeof a, w->since_ms);
    s_iso (b, sizeof b, w->until_ms);
    s_iso (c, sizeof c, v->judged_until_ms);
    vg_buf_printf (out, "{\"verdict\": \"%s\", \"exit_status\": %d, \"id\": %lld, \"reason\": ",
                   report_verdict_name (v->outcome), (int)v->outcome, (long long)v->verdict_id);
    vg_json_string (out, v->reason, strlen (v->reason));
    if (v->outcome == REPORT_EXTEND)
        vg_buf_printf (out, ", \"extend_seconds\": %lld", (long long)(v->extend_ms / 1000));
    vg_buf_printf (out, ", \"since\": \"%s\", \"until\": \"%s\", \"judged_until\": \"%s\"", a, b,
                   c);
    if (w->deploy_id)
        vg_buf_printf (out, ", \"deploy_id\": %lld", (long long)w->deploy_id);
    vg_buf_puts (out, ", \"selector\": ");
    vg_json_string (out, w->selector ? w->selector : "", strlen (w->selector ? w->selector : ""));
    vg_buf_puts (out, ", \"criteria\": ");
    s_criteria_json (v, out);
    vg_buf_puts (out, "}\n");
}

int
report_verdict_history (PGconn *conn, int limit, int json, vg_buf_t *out, char *err, size_t errlen)
{
    char n[16];
    snprintf (n, sizeof n, "%d", limit);
    const char *p[] = {n};
    PGresult *res = report_db_exec (
        conn, "reading verdicts",
        "SELECT verdict_id, to_char (decided_at AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        " verdict, to_char (since AT TIME ZONE 'UTC', 'MM-DD HH24:MI') || ' .. ' ||"
        " to_char (until AT TIME ZONE 'UTC', 'MM-DD HH24:MI'), coalesce (deploy_id::text, '-'),"
        " reason, exit_status, selector, criteria::text"
        "  FROM vigil.verdicts ORDER BY decided_at DESC, verdict_id DESC LIMIT $1::integer",
        1, p, err, errlen);
    if (!res)
        return VG_EDB;
    int rows = PQntuples (res);
    if (json)
        vg_buf_puts (out, "{\"verdicts\": [");
    else if (rows)
        vg_buf_puts (out, "ID    DECIDED (UTC)         VERDICT   WINDOW (UTC)                 "
                          "DEPLOY  REASON\n");
    for (int i = 0; i < rows; i++) {
        if (json) {
            vg_buf_printf (out,
                           "%s{\"id\": %s, \"decided_at\": \"%s\", \"verdict\": \"%s\", "
                           "\"exit_status\": %s, \"window\": \"%s\", \"deploy_id\": %s, "
                           "\"selector\": ",
                           i ? ", " : "", PQgetvalue (res, i, 0), PQgetvalue (res, i, 1),
                           PQgetvalue (res, i, 2), PQgetvalue (res, i, 6), PQgetvalue (res, i, 3),
                           strcmp (PQgetvalue (res, i, 4), "-") ? PQgetvalue (res, i, 4) : "null");
            vg_json_string (out, PQgetvalue (res, i, 7), strlen (PQgetvalue (res, i, 7)));
            vg_buf_puts (out, ", \"reason\": ");
            vg_json_string (out, PQgetvalue (res, i, 5), strlen (PQgetvalue (res, i, 5)));
            vg_buf_printf (out, ", \"criteria\": %s}", PQgetvalue (res, i, 8));
        } else
            vg_buf_printf (out, "%-5s %-21s %-9s %-28s %-7s %s\n", PQgetvalue (res, i, 0),
                           PQgetvalue (res, i, 1), PQgetvalue (res, i, 2), PQgetvalue (res, i, 3),
                           PQgetvalue (res, i, 4), PQgetvalue (res, i, 5));
    }
    if (json)
        vg_buf_puts (out, "]}\n");
    else if (!rows)
        vg_buf_puts (out, "no verdicts yet; ask for one with vigil verdict --deploy latest\n");
    PQclear (res);
    return 0;
}
