/*  report_steps.c - a report over time: the table by hour (daily) or day
 *  (weekly, monthly), the charts, and the week-over-week trend. */
#include "report_steps.h"
#include "report_db.h"
#include "report_dist.h"
#include "report_fmt.h"
#include "vg_alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Steps of the table and of the charts, and how their times are written
 * (to_char formats, in the report's zone). */
static const struct {
    const char *kind;
    const char *table_step, *table_fmt, *table_title;
    const char *chart_step, *chart_fmt;
    double chart_minutes;
} s_plans[] = {
    {"daily", "1 hour", "HH24:00", "By hour", "1 hour", "HH24:00", 60},
    {"weekly", "1 day", "Dy MM-DD", "By day", "6 hours", "Dy HH24:00", 360},
    {"monthly", "1 day", "MM-DD Dy", "By day", "1 day", "MM-DD", 1440},
};

/* What the report's metrics did in each step of the period. */
typedef struct {
    size_t n;
    int64_t *ms;
    int64_t end_ms; /* the end of the last step */
    char **labels;
    report_val_t *req, *err, *count, *p50, *p95, *p99, *mem, *cpu;
} s_series_t;

static void
s_series_free (s_series_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free (s->labels[i]);
    free (s->labels);
    free (s->ms);
    report_val_t **cols[] = {&s->req, &s->err, &s->count, &s->p50,
                             &s->p95, &s->p99, &s->mem,   &s->cpu};
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
        free (*cols[k]);
    memset (s, 0, sizeof *s);
}

/* The step holding bucket_ms: a bucket of the same steps, or of finer ones
 * that nest in them (6 hours in a day), read once for both. */
static long
s_index (const s_series_t *s, const char *bucket_ms)
{
    int64_t ms = strtoll (bucket_ms, NULL, 10);
    if (s->n == 0 || ms < s->ms[0] || ms >= s->end_ms)
        return -1;
    size_t lo = 0, hi = s->n; /* the last step starting at or before ms */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (s->ms[mid] <= ms)
            lo = mid;
        else
            hi = mid;
    }
    return (long)lo;
}

static int
s_load (report_ctx_t *c, const char *step, const char *fmt, s_series_t *s)
{
    memset (s, 0, sizeof *s);
    const report_def_t *d = c->def;
    const char *p[] = {c->since, c->until, step, c->tz, fmt};
    PGresult *res = report_db_exec (
        c->conn, "the steps",
        "SELECT DISTINCT (extract (epoch FROM x.s) * 1000)::bigint,"
        "       to_char (x.s AT TIME ZONE $4, $5)"
        "  FROM (SELECT vigil.step_start (g, $3::interval, to_timestamp ($1::float8), $4) AS s"
        "          FROM generate_series (to_timestamp ($1::float8),"
        "                                to_timestamp ($2::float8) - interval '1 microsecond',"
        "                                least ($3::interval, interval '1 hour')) g) x"
        " ORDER BY 1",
        5, p, c->err, c->errlen);
    if (!res) {
        c->failed = 1;
        return -1;
    }
    s->n = (size_t)PQntuples (res);
    s->end_ms = c->r->to_ms;
    s->ms = vg_calloc (s->n + 1, sizeof *s->ms);
    s->labels = vg_calloc (s->n + 1, sizeof *s->labels);
    report_val_t **cols[] = {&s->req, &s->err, &s->count, &s->p50,
                             &s->p95, &s->p99, &s->mem,   &s->cpu};
    for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
        *cols[k] = vg_calloc (s->n + 1, sizeof (report_val_t));
    for (size_t i = 0; i < s->n; i++) {
        s->ms[i] = strtoll (PQgetvalue (res, (int)i, 0), NULL, 10);
        s->labels[i] = vg_strdup (PQgetvalue (res, (int)i, 1));
    }
    PQclear (res);

    double to_s = strcmp (d->latency.unit, "ms") == 0 ? 0.001 : 1.0;
    if (*d->requests.metric) {
        PGresult *own = NULL;
        const PGresult *req = c->req;
        if (!req)
            req = own = report_query_requests (c, d->requests.metric, NULL, step);
        for (int r = 0; req && r < PQntuples (req); r++) {
            long i = s_index (s, PQgetvalue (req, r, 1));
            int has;
            double v = report_db_double (req, r, 2, &has);
            if (i < 0 || !has)
                continue;
            int err = strcmp (PQgetvalue (req, r, 3), "t") == 0;
            s->req[i] = report_val ((s->req[i].has ? s->req[i].v : 0) + v);
            s->err[i] = report_val ((s->err[i].has ? s->err[i].v : 0) + (err ? v : 0));
        }
        PQclear (own);
    }
    if (*d->latency.metric) {
        report_dist_t own = {0};
        const report_dist_t *lat = NULL;
        if (c->lat)
            lat = c->lat;
        else if (report_dist_fetch (c, d->latency.metric, NULL, step, &own) == 0)
            lat = &own;
        for (size_t i = 0; lat && i < s->n; i++) {
            vg_sketch_t *sk =
                report_dist_merge_range (lat, s->ms[i], i + 1 < s->n ? s->ms[i + 1] : s->end_ms);
            report_dist_stats_t st = report_dist_stats (sk, to_s);
            vg_sketch_destroy (&sk);
            s->count[i] = st.count;
            s->p50[i] = st.p50;
            s->p95[i] = st.p95;
            s->p99[i] = st.p99;
        }
        report_dist_free (&own);
    }
    /* Per step over the hosts: the highest memory, the CPU averaged over
     * every sample. */
    int cached = c->gauge_step != NULL;
    if (*d->memory.metric) {
        PGresult *own = cached ? NULL
                               : report_query_grouped (c, report_query_gauge_sql, d->memory.metric,
                                                       NULL, NULL, step);
        const PGresult *mem = cached ? c->mem : own;
        for (int r = 0; mem && r < PQntuples (mem); r++) {
            long i = s_index (s, PQgetvalue (mem, r, 1));
            int has;
            double v = report_db_double (mem, r, 4, &has);
            if (i >= 0 && has && (!s->mem[i].has || v > s->mem[i].v))
                s->mem[i] = report_val (v);
        }
        PQclear (own);
    }
    if (*d->cpu.metric) {
        PGresult *own = cached ? NULL
                               : report_query_grouped (c, report_query_gauge_sql, d->cpu.metric,
                                                       NULL, NULL, step);
        const PGresult *cpu = cached ? c->cpu : own;
        double *n = vg_calloc (s->n + 1, sizeof *n), *sum = vg_calloc (s->n + 1, sizeof *sum);
        for (int r = 0; cpu && r < PQntuples (cpu); r++) {
            long i = s_index (s, PQgetvalue (cpu, r, 1));
            int has_n, has_avg;
            double k = report_db_double (cpu, r, 2, &has_n);
            double avg = report_db_double (cpu, r, 3, &has_avg);
            if (i >= 0 && has_n && has_avg) {
                n[i] += k;
                sum[i] += k * avg;
            }
        }
        for (size_t i = 0; i < s->n; i++)
            if (n[i] > 0)
                s->cpu[i] = report_val (sum[i] / n[i]);
        free (n);
        free (sum);
        PQclear (own);
    }
    return c->failed ? -1 : 0;
}

static size_t
s_plan (const report_ctx_t *c)
{
    for (size_t i = 0; i < sizeof s_plans / sizeof s_plans[0]; i++)
        if (strcmp (s_plans[i].kind, c->r->kind) == 0)
            return i;
    return 0;
}

static void
s_table (report_ctx_t *c, const s_series_t *s, const char *title)
{
    report_section_t *sec = report_model_section (c->r, "by_time", title);
    report_table_t *t =
        report_model_table (sec, "by_time", title, strcmp (title, "By hour") == 0 ? "hour" : "day");
    report_model_col (t, "requests", "Requests", REPORT_UNIT_COUNT);
    report_model_col (t, "errors", "Errors", REPORT_UNIT_COUNT);
    report_model_col (t, "error_rate", "Error rate", REPORT_UNIT_PERCENT);
    report_model_col (t, "p95", "P95", REPORT_UNIT_SECONDS);
    int any = 0;
    for (size_t i = 0; i < s->n; i++) {
        report_row_t *r = report_model_row (t, s->labels[i]);
        r->vals[0] = s->req[i];
        r->vals[1] = s->err[i];
        if (s->req[i].has && s->req[i].v > 0)
            r->vals[2] = report_val (s->err[i].v / s->req[i].v);
        r->vals[3] = s->p95[i];
        any |= s->req[i].has || s->p95[i].has;
    }
    if (!any) {
        report_model_truncate (t, 0);
        report_model_none (sec, "no requests and no response times from %s to %s", c->r->first_day,
                           c->r->last_day);
    }
}

static void
s_line (report_chart_t *ch, const char *name, const report_val_t *vals, double k, size_t n)
{
    report_line_t *l = &ch->lines[ch->nlines++];
    l->name = name;
    l->vals = vg_calloc (n + 1, sizeof *l->vals);
    for (size_t i = 0; i < n; i++)
        l->vals[i] = vals[i].has ? report_val (vals[i].v * k) : vals[i];
}

static report_chart_t *
s_chart (report_ctx_t *c, const s_series_t *s, const char *id, const char *title,
         report_unit_t unit)
{
    report_chart_t *ch = report_model_chart (c->r, id, title, unit, s->n);
    for (size_t i = 0; i < s->n; i++) {
        ch->ts_ms[i] = s->ms[i];
        ch->labels[i] = vg_strdup (s->labels[i]);
    }
    return ch;
}

static void
s_charts (report_ctx_t *c, const s_series_t *s, double step_minutes)
{
    const report_def_t *d = c->def;
    if (*d->latency.metric) {
        report_chart_t *ch = s_chart (c, s, "latency", "Response time", REPORT_UNIT_SECONDS);
        s_line (ch, "P50", s->p50, 1, s->n);
        s_line (ch, "P95", s->p95, 1, s->n);
        s_line (ch, "P99", s->p99, 1, s->n);
    }
    if (*d->requests.metric) {
        report_chart_t *ch = s_chart (c, s, "requests", "Request rate", REPORT_UNIT_RATE);
        s_line (ch, "requests", s->req, 1 / step_minutes, s->n);
        report_val_t *rate = vg_calloc (s->n + 1, sizeof *rate);
        for (size_t i = 0; i < s->n; i++)
            if (s->req[i].has && s->req[i].v > 0)
                rate[i] = report_val (s->err[i].v / s->req[i].v);
        ch = s_chart (c, s, "error_rate", "Error rate", REPORT_UNIT_PERCENT);
        s_line (ch, "errors", rate, 1, s->n);
        free (rate);
    }
    if (*d->memory.metric)
        s_line (s_chart (c, s, "memory", "Memory (peak)", REPORT_UNIT_BYTES), "memory", s->mem, 1,
                s->n);
    if (*d->cpu.metric)
        s_line (s_chart (c, s, "cpu", "CPU (average)", REPORT_UNIT_CPU), "cpu", s->cpu, 1, s->n);
}

/* The requests metric by the first breakdown label with the same metric, in
 * the table's steps: requests, statuses, errors by label and by step from
 * one read. */
static void
s_prefetch_requests (report_ctx_t *c)
{
    const report_def_t *d = c->def;
    if (c->failed || !*d->requests.metric)
        return;
    c->req_by = NULL;
    for (size_t i = 0; i < d->nbreakdowns && !c->req_by; i++)
        if (strcmp (d->breakdowns[i].requests, d->requests.metric) == 0)
            c->req_by = d->breakdowns[i].label;
    c->req_step = s_plans[s_plan (c)].chart_step;
    c->req = report_query_requests (c, d->requests.metric, c->req_by, c->req_step);
}

/* Memory and CPU per host and step; tokens and cost by the label of the
 * breakdown that shows them: each read once for the sections and the
 * breakdowns that show them. */
static void
s_prefetch_others (report_ctx_t *c)
{
    const report_def_t *d = c->def;
    c->gauge_step = s_plans[s_plan (c)].chart_step;
    if (*d->memory.metric)
        c->mem = report_query_grouped (c, report_query_gauge_sql, d->memory.metric, NULL, "host",
                                       c->gauge_step);
    if (*d->cpu.metric)
        c->cpu = report_query_grouped (c, report_query_gauge_sql, d->cpu.metric, NULL, "host",
                                       c->gauge_step);
    for (size_t i = 0; i < d->nbreakdowns; i++) {
        const report_breakdown_t *b = &d->breakdowns[i];
        if (!c->tok_by && *d->tokens.metric && *d->tokens.label &&
            strcmp (b->tokens, d->tokens.metric) == 0)
            c->tok_by = b->label;
        if (!c->cost_by && *d->cost.metric && strcmp (b->cost, d->cost.metric) == 0)
            c->cost_by = b->label;
    }
    if (c->tok_by) {
        char *by = vg_asprintf ("%s,%s", c->tok_by, d->tokens.label);
        c->tok = report_query_grouped (c, report_query_inc_sql, d->tokens.metric, NULL, by, NULL);
        free (by);
    }
    if (c->cost_by)
        c->cost =
            report_query_grouped (c, report_query_inc_sql, d->cost.metric, NULL, c->cost_by, NULL);
}

/* The latency read, on its own connection and thread: a copy of the report's
 * context with its own error. */
typedef struct {
    report_ctx_t ctx;
    char err[512];
} s_side_t;

static void *
s_side_run (void *arg)
{
    s_side_t *side = arg;
    report_dist_fetch (&side->ctx, side->ctx.def->latency.metric, side->ctx.lat_by,
                       side->ctx.lat_step, side->ctx.lat);
    return NULL;
}

void
report_steps_prefetch (report_ctx_t *c)
{
    const report_def_t *d = c->def;
    if (c->failed)
        return;
    /* The latency metric's sketches are the largest read: it goes on a second
     * connection while this one reads the rest, so that PostgreSQL works on
     * both at once. Without a second connection, one after the other. */
    s_side_t side = {.ctx = *c};
    PGconn *twin = NULL;
    pthread_t thread;
    int threaded = 0;
    if (*d->latency.metric) {
        c->lat_by = NULL;
        for (size_t i = 0; i < d->nbreakdowns && !c->lat_by; i++)
            if (strcmp (d->breakdowns[i].latency, d->latency.metric) == 0)
                c->lat_by = d->breakdowns[i].label;
        c->lat_step = s_plans[s_plan (c)].chart_step;
        c->lat = vg_calloc (1, sizeof *c->lat);
        side.ctx = *c;
        side.ctx.err = side.err;
        side.ctx.errlen = sizeof side.err;
        twin = report_db_twin (c->conn);
        if (twin) {
            side.ctx.conn = twin;
            threaded = pthread_create (&thread, NULL, s_side_run, &side) == 0;
        }
    }
    s_prefetch_requests (c);
    s_prefetch_others (c);
    if (!c->lat) {
        PQfinish (twin);
        return;
    }
    if (threaded)
        pthread_join (thread, NULL);
    else {
        side.ctx.conn = c->conn;
        side.ctx.failed = c->failed;
        s_side_run (&side);
    }
    PQfinish (twin);
    if (side.ctx.failed && !c->failed) {
        snprintf (c->err, c->errlen, "%s", side.err);
        c->failed = 1;
    }
}

void
report_steps_release (report_ctx_t *c)
{
    PGresult **cached[] = {&c->req, &c->mem, &c->cpu, &c->tok, &c->cost};
    for (size_t i = 0; i < sizeof cached / sizeof cached[0]; i++) {
        PQclear (*cached[i]);
        *cached[i] = NULL;
    }
    if (!c->lat)
        return;
    report_dist_free (c->lat);
    free (c->lat);
    c->lat = NULL;
}

void
report_steps_by_time (report_ctx_t *c)
{
    if (c->failed)
        return;
    size_t p = s_plan (c);
    s_series_t table = {0}, chart = {0};
    free (c->r->step_name);
    c->r->step_name = vg_strdup (strcmp (s_plans[p].chart_step, "1 hour") == 0  ? "hour"
                                 : strcmp (s_plans[p].chart_step, "1 day") == 0 ? "day"
                                                                                : "6 hours");
    if (s_load (c, s_plans[p].table_step, s_plans[p].table_fmt, &table) == 0)
        s_table (c, &table, s_plans[p].table_title);
    if (!c->failed && strcmp (s_plans[p].table_step, s_plans[p].chart_step) == 0 &&
        strcmp (s_plans[p].table_fmt, s_plans[p].chart_fmt) == 0)
        s_charts (c, &table, s_plans[p].chart_minutes);
    else if (!c->failed && s_load (c, s_plans[p].chart_step, s_plans[p].chart_fmt, &chart) == 0)
        s_charts (c, &chart, s_plans[p].chart_minutes);
    s_series_free (&table);
    s_series_free (&chart);
}

void
report_steps_charts (report_ctx_t *c, const char *step, const char *fmt, double step_minutes)
{
    if (c->failed)
        return;
    s_series_t s = {0};
    if (s_load (c, step, fmt, &s) == 0)
        s_charts (c, &s, step_minutes);
    s_series_free (&s);
}

void
report_steps_trend (report_ctx_t *c)
{
    if (c->failed)
        return;
    const report_def_t *d = c->def;
    char title[64], weeks[16];
    snprintf (title, sizeof title, "P%g", d->trend.quantile * 100);
    snprintf (weeks, sizeof weeks, "%lld", (long long)d->trend.weeks);
    report_section_t *s = report_model_section (c->r, "trend", "Week over week");
    if (!d->trend.metric || !*d->trend.metric) {
        report_model_none (s, "not configured: report.yaml sets no trend.metric");
        return;
    }
    /* The weeks' days, local midnights, read once: each week is 7 of them. */
    char lo[32], hi[32];
    const char *p[] = {c->r->last_day, weeks, c->tz};
    PGresult *res = report_db_exec (
        c->conn, "the weekly trend",
        "SELECT (extract (epoch FROM (d - 7 * $2::integer + 1)::timestamp AT TIME ZONE $3)"
        "          * 1000)::bigint,"
        "       (extract (epoch FROM (d + 1)::timestamp AT TIME ZONE $3) * 1000)::bigint"
        "  FROM (SELECT $1::date AS d) x",
        3, p, c->err, c->errlen);
    if (!res) {
        c->failed = 1;
        return;
    }
    int64_t from_ms = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    int64_t to_ms = strtoll (PQgetvalue (res, 0, 1), NULL, 10);
    PQclear (res);
    /* The report's own period, when it ends the last week (daily, weekly),
     * was read already: only the days before it are read here. */
    int reuse = c->lat && strcmp (d->trend.metric, d->latency.metric) == 0 &&
                c->r->to_ms == to_ms && c->r->from_ms >= to_ms - 7 * 86400000LL;
    report_ctx_t wc = *c;
    report_db_ms (from_ms, wc.since, sizeof wc.since);
    report_db_ms (reuse ? c->r->from_ms : to_ms, wc.until, sizeof wc.until);
    report_dist_t days = {0};
    if (report_dist_fetch (&wc, d->trend.metric, NULL, "1 day", &days) != 0) {
        c->failed = 1;
        return;
    }
    report_db_ms (to_ms, wc.until, sizeof wc.until);
    /* The days' starts, to cut the weeks at. */
    const char *wp[] = {wc.since, wc.until, c->tz};
    res = report_db_exec (c->conn, "the weekly trend",
                          "SELECT (extract (epoch FROM g) * 1000)::bigint, to_char (g AT TIME ZONE"
                          " $3, 'MM-DD') FROM generate_series ((to_timestamp ($1::float8) AT TIME"
                          " ZONE $3)::date, (to_timestamp ($2::float8) AT TIME ZONE $3)::date - 1,"
                          " '1 day') AS d, LATERAL (SELECT d::timestamp AT TIME ZONE $3 AS g) x"
                          " ORDER BY 1",
                          3, wp, c->err, c->errlen);
    if (!res) {
        report_dist_free (&days);
        c->failed = 1;
        return;
    }
    double k =
        strcmp (d->latency.unit, "ms") == 0 && strcmp (d->trend.metric, d->latency.metric) == 0
            ? 0.001
            : 1.0;
    report_table_t *t = report_model_table (s, "weeks", title, "week");
    report_model_col (t, "value", "", REPORT_UNIT_SECONDS);
    t->col_names[0] = t->title; /* lives as long as the table */
    report_model_col (t, "change", "Change", REPORT_UNIT_PERCENT);
    int ndays = PQntuples (res), any = 0, rising = 0;
    for (int w = 0; w + 7 <= ndays; w += 7) {
        vg_sketch_t *sk = vg_sketch_new ();
        for (int i = w; i < w + 7; i++) {
            vg_sketch_t *day =
                report_dist_merge (&days, NULL, strtoll (PQgetvalue (res, i, 0), NULL, 10));
            if (day)
                vg_sketch_merge (sk, day);
            vg_sketch_destroy (&day);
        }
        if (reuse && w + 7 == ndays) {
            vg_sketch_t *period = report_dist_merge (c->lat, NULL, -1);
            if (period)
                vg_sketch_merge (sk, period);
            vg_sketch_destroy (&period);
        }
        snprintf (lo, sizeof lo, "%s", PQgetvalue (res, w, 1));
        snprintf (hi, sizeof hi, "%s", PQgetvalue (res, w + 6, 1));
        char key[80];
        snprintf (key, sizeof key, "%s .. %s", lo, hi);
        report_row_t *r = report_model_row (t, key);
        size_t ri = t->nrows - 1;
        if (sk->count == 0) {
            rising = 0;
            vg_sketch_destroy (&sk);
            continue;
        }
        any = 1;
        double v = vg_sketch_quantile (sk, d->trend.quantile) * k;
        vg_sketch_destroy (&sk);
        r->vals[0] = report_val (v);
        if (ri > 0 && t->rows[ri - 1].vals[0].has && t->rows[ri - 1].vals[0].v > 0) {
            double prev = t->rows[ri - 1].vals[0].v;
            r->vals[1] = report_val (v / prev - 1);
            rising = v > prev ? rising + 1 : 0;
        } else
            rising = 0;
    }
    PQclear (res);
    report_dist_free (&days);
    if (!any) {
        report_model_none (s, "no data: %s has nothing%s%s in the %lld weeks up to %s",
                           d->trend.metric, *c->sel ? " for " : "", c->sel,
                           (long long)d->trend.weeks, c->r->last_day);
        return;
    }
    report_row_t *last = &t->rows[t->nrows - 1];
    int jump = last->vals[1].has && last->vals[1].v > d->trend.warn_jump;
    if (rising >= d->trend.warn_rising_weeks || jump) {
        size_t first = t->nrows - 1 -
                       (size_t)(jump && rising < d->trend.warn_rising_weeks ? 1 : (size_t)rising);
        char a[32], b[32];
        report_fmt_value (a, sizeof a, t->rows[first].vals[0], REPORT_UNIT_SECONDS, NULL);
        report_fmt_value (b, sizeof b, last->vals[0], REPORT_UNIT_SECONDS, NULL);
        double change = last->vals[0].v / t->rows[first].vals[0].v - 1;
        char text[256];
        if (rising >= d->trend.warn_rising_weeks)
            snprintf (text, sizeof text,
                      "⚠ %s rose %d weeks in a row: %s → %s (+%.1f %%); keep an eye on it",
                      t->title, rising, a, b, 100 * change);
        else
            snprintf (text, sizeof text, "⚠ %s rose %.1f %% in the last week: %s → %s", t->title,
                      100 * change, a, b);
        s->warning = vg_strdup (text);
        last->note = vg_strdup ("⚠");
    }
}
