/*  report_query.c - a report's sections, from the SQL interface.
 *
 *  Every figure comes from one of the interface's functions, called with
 *  the metric the definition names and the report's selector: nothing here
 *  reads a table directly, so a report says what `SELECT vigil...` says.
 */
#include "report_query.h"
#include "report_alerts.h"
#include "report_db.h"
#include "report_dist.h"
#include "report_steps.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* $1 metric, $2 since, $3 until (seconds), $4 selector, $5 by, $6 step, $7 tz */
#define S_ARGS                                                                                     \
    " ($1, to_timestamp ($2::float8), to_timestamp ($3::float8), $4, $5, $6::interval, $7)"
const char report_query_inc_sql[] =
    "SELECT coalesce (grp, ''), (extract (epoch FROM bucket) * 1000)::bigint,"
    " increase FROM vigil.counter_increase" S_ARGS;
const char report_query_dist_sql[] =
    "SELECT coalesce (grp, ''), (extract (epoch FROM bucket) * 1000)::bigint,"
    " count, avg, p50, p95, p99, max FROM vigil.dist_stats" S_ARGS;
const char report_query_gauge_sql[] =
    "SELECT coalesce (grp, ''), (extract (epoch FROM bucket) * 1000)::bigint,"
    " samples, avg, max, peak_sum FROM vigil.gauge_stats" S_ARGS;
const char report_query_flag_sql[] =
    "SELECT coalesce (grp, ''), (extract (epoch FROM bucket) * 1000)::bigint, increase,"
    " coalesce (regexp_replace (coalesce (grp, ''), '^.*,', '') ~ ('^(?:' || $8 || ')$'), false)"
    "  FROM vigil.counter_increase" S_ARGS;
/* Columns of the results above. */
enum { C_GRP, C_BUCKET, C_V1, C_V2, C_V3, C_V4, C_V5, C_V6 };

PGresult *
report_query_grouped (report_ctx_t *c, const char *sql, const char *metric, const char *selector,
                      const char *by, const char *step)
{
    if (c->failed)
        return NULL;
    const char *p[] = {metric, c->since, c->until, selector ? selector : c->sel, by, step, c->tz};
    PGresult *res = report_db_exec (c->conn, metric, sql, 7, p, c->err, c->errlen);
    if (!res)
        c->failed = 1;
    return res;
}

PGresult *
report_query_requests (report_ctx_t *c, const char *metric, const char *by, const char *step)
{
    if (c->failed)
        return NULL;
    const char *status = c->def->requests.status_label;
    char *both = by ? vg_asprintf ("%s,%s", by, status) : vg_strdup (status);
    const char *p[] = {metric, c->since, c->until, c->sel,
                       both,   step,     c->tz,    c->def->requests.errors};
    PGresult *res =
        report_db_exec (c->conn, metric, report_query_flag_sql, 8, p, c->err, c->errlen);
    free (both);
    if (!res)
        c->failed = 1;
    return res;
}

const char *
report_query_status_of (const char *grp)
{
    const char *comma = strrchr (grp, ',');
    return comma ? comma + 1 : grp;
}

char *
report_query_group_of (const char *grp)
{
    const char *comma = strrchr (grp, ',');
    return comma ? vg_strndup (grp, (size_t)(comma - grp)) : vg_strdup ("");
}

static void
s_none_no_data (report_ctx_t *c, report_section_t *s, const char *metric)
{
    report_model_none (s, "no data: %s has nothing%s%s from %s to %s", metric,
                       *c->sel ? " for " : "", c->sel, c->r->first_day, c->r->last_day);
}

/* Whether the metric is configured; says so in the section when not. */
static int
s_configured (report_section_t *s, const char *metric, const char *key)
{
    if (metric && *metric)
        return 1;
    report_model_none (s, "not configured: report.yaml sets no %s.metric", key);
    return 0;
}

/* The latency unit's factor to seconds. */
static double
s_to_s (const report_ctx_t *c)
{
    return strcmp (c->def->latency.unit, "ms") == 0 ? 0.001 : 1.0;
}

/* ---- sections ---- */

static void
s_requests (report_ctx_t *c)
{
    const report_def_t *d = c->def;
    report_section_t *s = report_model_section (c->r, "requests", "Requests and success rate");
    if (!s_configured (s, d->requests.metric, "requests"))
        return;
    PGresult *own = c->req ? NULL : report_query_requests (c, d->requests.metric, NULL, NULL);
    const PGresult *by = c->req ? c->req : own;
    if (c->failed || PQntuples (by) == 0) {
        if (!c->failed)
            s_none_no_data (c, s, d->requests.metric);
        PQclear (own);
        return;
    }
    double total = 0, errors = 0;
    report_table_t *t = report_model_table (s, "by_status", "By status", d->requests.status_label);
    report_model_col (t, "requests", "Requests", REPORT_UNIT_COUNT);
    report_model_col (t, "share", "Share", REPORT_UNIT_PERCENT);
    for (int i = 0; i < PQntuples (by); i++) {
        report_val_t v = report_db_val (by, i, C_V1);
        double x = v.has ? v.v : 0;
        total += x;
        errors += strcmp (PQgetvalue (by, i, C_V2), "t") == 0 ? x : 0;
        /* Summed over the groups and steps the rows may be cut in. */
        report_row_t *r = report_model_row (t, report_query_status_of (PQgetvalue (by, i, C_GRP)));
        r->vals[0] = report_val ((r->vals[0].has ? r->vals[0].v : 0) + x);
    }
    for (size_t i = 0; i < t->nrows; i++)
        if (t->rows[i].vals[0].has && total > 0)
            t->rows[i].vals[1] = report_val (t->rows[i].vals[0].v / total);
    report_model_sort_desc (t, 0);
    report_val_t rate = report_val_none (), success = report_val_none ();
    if (total > 0) {
        rate = report_val (errors / total);
        success = report_val (1 - errors / total);
    }
    report_model_fig (s, "requests", "Requests", report_val (total), REPORT_UNIT_COUNT, NULL);
    report_model_fig (s, "success_rate", "Success rate", success, REPORT_UNIT_PERCENT, NULL);
    char note[256];
    snprintf (note, sizeof note, "%s ~ %s", d->requests.status_label, d->requests.errors);
    report_model_fig (s, "errors", "Errors", report_val (errors), REPORT_UNIT_COUNT, note);
    report_model_fig (s, "error_rate", "Error rate", rate, REPORT_UNIT_PERCENT, NULL);
    PQclear (own);
}

static void
s_latency (report_ctx_t *c)
{
    const report_def_t *d = c->def;
    report_section_t *s = report_model_section (c->r, "latency", "Response time");
    if (!s_configured (s, d->latency.metric, "latency") || c->failed || !c->lat)
        return;
    vg_sketch_t *all = report_dist_merge (c->lat, NULL, -1);
    report_dist_stats_t st = report_dist_stats (all, s_to_s (c));
    vg_sketch_destroy (&all);
    if (!st.count.has) {
        s_none_no_data (c, s, d->latency.metric);
        return;
    }
    report_model_fig (s, "count", "Measured", st.count, REPORT_UNIT_COUNT, NULL);
    report_model_fig (s, "avg", "Average", st.avg, REPORT_UNIT_SECONDS, NULL);
    report_model_fig (s, "p50", "P50", st.p50, REPORT_UNIT_SECONDS, NULL);
    report_model_fig (s, "p95", "P95", st.p95, REPORT_UNIT_SECONDS, NULL);
    report_model_fig (s, "p99", "P99", st.p99, REPORT_UNIT_SECONDS, NULL);
    report_model_fig (s, "max", "Slowest", st.max, REPORT_UNIT_SECONDS, NULL);
}

static void
s_errors (report_ctx_t *c)
{
    const report_def_t *d = c->def;
    report_section_t *s = report_model_section (c->r, "errors", "Errors");
    if (!s_configured (s, d->errors.metric, "errors"))
        return;
    PGresult *res = report_query_grouped (c, report_query_inc_sql, d->errors.metric, NULL,
                                          d->errors.label, NULL);
    if (!c->failed && PQntuples (res) == 0)
        s_none_no_data (c, s, d->errors.metric);
    if (!c->failed && PQntuples (res) > 0) {
        double total = 0;
        report_table_t *t = report_model_table (s, "top", "Top errors", d->errors.label);
        report_model_col (t, "lines", "Lines", REPORT_UNIT_COUNT);
        for (int i = 0; i < PQntuples (res); i++) {
            report_val_t v = report_db_val (res, i, C_V1);
            total += v.has ? v.v : 0;
            if (v.has && v.v > 0)
                report_model_row (t, PQgetvalue (res, i, C_GRP))->vals[0] = v;
        }
        report_model_sort_desc (t, 0);
        report_model_truncate (t, (size_t)d->errors.top);
        report_model_fig (s, "lines", "Error lines", report_val (total), REPORT_UNIT_COUNT, NULL);
    }
    PQclear (res);
}

static void
s_resources (report_ctx_t *c)
{
    const report_def_t *d = c->def;
    report_section_t *s = report_model_section (c->r, "resources", "Memory and CPU");
    int has_mem = d->memory.metric && *d->memory.metric;
    int has_cpu = d->cpu.metric && *d->cpu.metric;
    if (!has_mem && !has_cpu) {
        report_model_none (s, "not configured: report.yaml sets no memory.metric nor cpu.metric");
        return;
    }
    /* Per host, over the steps of the cached reads (or read here). */
    PGresult *own_mem = NULL, *own_cpu = NULL;
    if (has_mem && !c->mem)
        own_mem =
            report_query_grouped (c, report_query_gauge_sql, d->memory.metric, NULL, "host", NULL);
    if (has_cpu && !c->cpu)
        own_cpu =
            report_query_grouped (c, report_query_gauge_sql, d->cpu.metric, NULL, "host", NULL);
    const PGresult *mem = has_mem ? (c->mem ? c->mem : own_mem) : NULL;
    const PGresult *cpu = has_cpu ? (c->cpu ? c->cpu : own_cpu) : NULL;
    if (c->failed)
        goto out;
    int nmem = mem ? PQntuples (mem) : 0, ncpu = cpu ? PQntuples (cpu) : 0;
    if (nmem == 0 && ncpu == 0) {
        report_model_none (s, "no data: %s%s%s %s nothing%s%s from %s to %s",
                           has_mem ? d->memory.metric : "", has_mem && has_cpu ? " and " : "",
                           has_cpu ? d->cpu.metric : "", has_mem && has_cpu ? "have" : "has",
                           *c->sel ? " for " : "", c->sel, c->r->first_day, c->r->last_day);
        goto out;
    }
    report_table_t *t = report_model_table (s, "by_host", "By host", "host");
    report_model_col (t, "memory_peak", "Memory peak", REPORT_UNIT_BYTES);
    report_model_col (t, "cpu_avg", "CPU average", REPORT_UNIT_CPU);
    report_model_col (t, "cpu_peak", "CPU peak", REPORT_UNIT_CPU);
    for (int i = 0; i < nmem; i++) {
        report_val_t v = report_db_val (mem, i, C_V3);
        report_row_t *row = report_model_row (t, PQgetvalue (mem, i, C_GRP));
        if (v.has && (!row->vals[0].has || v.v > row->vals[0].v))
            row->vals[0] = v;
    }
    /* vals[3] and [4], outside the table's columns, add up samples and
     * samples x average per host while the rows are read. */
    for (int i = 0; i < ncpu; i++) {
        report_row_t *row = report_model_row (t, PQgetvalue (cpu, i, C_GRP));
        report_val_t n = report_db_val (cpu, i, C_V1), avg = report_db_val (cpu, i, C_V2),
                     max = report_db_val (cpu, i, C_V3);
        if (n.has && avg.has) {
            row->vals[3] = report_val ((row->vals[3].has ? row->vals[3].v : 0) + n.v);
            row->vals[4] = report_val ((row->vals[4].has ? row->vals[4].v : 0) + n.v * avg.v);
        }
        if (max.has && (!row->vals[2].has || max.v > row->vals[2].v))
            row->vals[2] = max;
    }
    report_val_t peak = report_val_none ();
    const char *peak_host = NULL;
    double samples = 0, weighted = 0;
    report_val_t cpu_peak = report_val_none ();
    for (size_t i = 0; i < t->nrows; i++) {
        report_row_t *row = &t->rows[i];
        if (row->vals[3].has && row->vals[3].v > 0) {
            row->vals[1] = report_val (row->vals[4].v / row->vals[3].v);
            samples += row->vals[3].v;
            weighted += row->vals[4].v;
        }
        row->vals[3] = row->vals[4] = report_val_none ();
        if (row->vals[0].has && (!peak.has || row->vals[0].v > peak.v)) {
            peak = row->vals[0];
            peak_host = row->key;
        }
        if (row->vals[2].has && (!cpu_peak.has || row->vals[2].v > cpu_peak.v))
            cpu_peak = row->vals[2];
    }
    report_model_sort_desc (t, 0);
    if (has_mem)
        report_model_fig (s, "memory_peak", "Memory peak", peak, REPORT_UNIT_BYTES, peak_host);
    if (ncpu) {
        report_model_fig (s, "cpu_avg", "CPU average",
                          samples > 0 ? report_val (weighted / samples) : report_val_none (),
                          REPORT_UNIT_CPU, NULL);
        report_model_fig (s, "cpu_peak", "CPU peak", cpu_peak, REPORT_UNIT_CPU, NULL);
    }
out:
    PQclear (own_mem);
    PQclear (own_cpu);
}

static void
s_users (report_ctx_t *c)
{
    const report_def_t *d = c->def;
    report_section_t *s = report_model_section (c->r, "users", "Peak concurrent users");
    if (!s_configured (s, d->users.metric, "users"))
        return;
    PGresult *res =
        report_query_grouped (c, report_query_gauge_sql, d->users.metric, NULL, NULL, NULL);
    if (!c->failed && PQntuples (res) == 0)
        s_none_no_data (c, s, d->users.metric);
    if (!c->failed && PQntuples (res) > 0)
        report_model_fig (s, "peak", "Peak concurrent users", report_db_val (res, 0, C_V4),
                          REPORT_UNIT_COUNT, NULL);
    PQclear (res);
}

static void
s_tokens (report_ctx_t *c)
{
    const report_def_t *d = c->def;
    report_section_t *s = report_model_section (c->r, "tokens", "Tokens and cost");
    int has_tok = d->tokens.metric && *d->tokens.metric;
    int has_cost = d->cost.metric && *d->cost.metric;
    if (!has_tok && !has_cost) {
        report_model_none (s, "not configured: report.yaml sets no tokens.metric nor cost.metric");
        return;
    }
    /* The cached reads hold the same increases cut finer (by model too):
     * the kind is after the last comma; the cost's total is their sum. */
    PGresult *own_tok = NULL, *own_cost = NULL;
    if (has_tok && !c->tok)
        own_tok = report_query_grouped (c, report_query_inc_sql, d->tokens.metric, NULL,
                                        d->tokens.label, NULL);
    if (has_cost && !c->cost)
        own_cost = report_query_grouped (c, report_query_inc_sql, d->cost.metric, NULL, NULL, NULL);
    const PGresult *tok = has_tok ? (c->tok ? c->tok : own_tok) : NULL;
    const PGresult *cost = has_cost ? (c->cost ? c->cost : own_cost) : NULL;
    if (c->failed)
        goto out;
    int ntok = tok ? PQntuples (tok) : 0, ncost = cost ? PQntuples (cost) : 0;
    if (ntok == 0 && ncost == 0) {
        report_model_none (s, "no data: %s%s%s %s nothing%s%s from %s to %s",
                           has_tok ? d->tokens.metric : "", has_tok && has_cost ? " and " : "",
                           has_cost ? d->cost.metric : "", has_tok && has_cost ? "have" : "has",
                           *c->sel ? " for " : "", c->sel, c->r->first_day, c->r->last_day);
        goto out;
    }
    if (ntok) {
        double total = 0;
        report_table_t *t = report_model_table (s, "by_kind", "Tokens by kind", d->tokens.label);
        report_model_col (t, "tokens", "Tokens", REPORT_UNIT_COUNT);
        for (int i = 0; i < ntok; i++) {
            report_val_t v = report_db_val (tok, i, C_V1);
            if (!v.has)
                continue;
            total += v.v;
            const char *grp = PQgetvalue (tok, i, C_GRP);
            report_row_t *r = report_model_row (t, c->tok ? report_query_status_of (grp) : grp);
            r->vals[0] = report_val ((r->vals[0].has ? r->vals[0].v : 0) + v.v);
        }
        report_model_sort_desc (t, 0);
        report_model_fig (s, "tokens", "Tokens", report_val (total), REPORT_UNIT_COUNT, NULL);
    }
    if (ncost) {
        double total = 0;
        for (int i = 0; i < ncost; i++)
            total += report_db_val (cost, i, C_V1).has ? report_db_val (cost, i, C_V1).v : 0;
        report_model_fig (s, "cost", "Cost", report_val (total), REPORT_UNIT_MONEY,
                          c->def->cost.unit);
    }
out:
    PQclear (own_tok);
    PQclear (own_cost);
}

/* One breakdown: a row per value of its label, with the columns its
 * metrics give. */
static void
s_breakdown (report_ctx_t *c, const report_breakdown_t *b)
{
    char id[64], title[96];
    snprintf (id, sizeof id, "by_%s", b->label);
    snprintf (title, sizeof title, "By %s", b->label);
    char *sid = vg_strdup (id), *stitle = vg_strdup (title);
    report_section_t *s = report_model_section (c->r, "breakdown", stitle);
    report_table_t *t = report_model_table (s, sid, stitle, b->label);
    free (sid);
    free (stitle);
    /* The section keeps the table's id and title: they live as long. */
    s->id = t->id;
    s->title = t->title;
    PGresult *req = NULL, *tok = NULL, *cost = NULL;
    report_dist_t own = {0};
    const report_dist_t *lat = NULL;
    const PGresult *reqs = NULL;
    if (*b->requests) {
        /* The report's requests, already read by this label, serve as they are. */
        if (c->req && c->req_by && strcmp (b->requests, c->def->requests.metric) == 0 &&
            strcmp (b->label, c->req_by) == 0)
            reqs = c->req;
        else
            reqs = req = report_query_requests (c, b->requests, b->label, NULL);
        report_model_col (t, "requests", "Requests", REPORT_UNIT_COUNT);
        report_model_col (t, "errors", "Errors", REPORT_UNIT_COUNT);
        report_model_col (t, "error_rate", "Error rate", REPORT_UNIT_PERCENT);
    }
    if (*b->latency) {
        /* The report's latency, already read by this label, serves as it is. */
        if (c->lat && strcmp (b->latency, c->def->latency.metric) == 0 && c->lat_by &&
            strcmp (b->label, c->lat_by) == 0)
            lat = c->lat;
        else if (report_dist_fetch (c, b->latency, b->label, NULL, &own) == 0)
            lat = &own;
        report_model_col (t, "count", "Measured", REPORT_UNIT_COUNT);
        report_model_col (t, "avg", "Average", REPORT_UNIT_SECONDS);
        report_model_col (t, "p95", "P95", REPORT_UNIT_SECONDS);
        report_model_col (t, "p99", "P99", REPORT_UNIT_SECONDS);
    }
    const PGresult *toks = NULL, *costs = NULL;
    if (*b->tokens) {
        if (c->tok && c->tok_by && strcmp (b->label, c->tok_by) == 0 &&
            strcmp (b->tokens, c->def->tokens.metric) == 0)
            toks = c->tok;
        else
            toks = tok =
                report_query_grouped (c, report_query_inc_sql, b->tokens, NULL, b->label, NULL);
        report_model_col (t, "tokens", "Tokens", REPORT_UNIT_COUNT);
    }
    if (*b->cost) {
        if (c->cost && c->cost_by && strcmp (b->label, c->cost_by) == 0 &&
            strcmp (b->cost, c->def->cost.metric) == 0)
            costs = c->cost;
        else
            costs = cost =
                report_query_grouped (c, report_query_inc_sql, b->cost, NULL, b->label, NULL);
        report_model_col (t, "cost", "Cost", REPORT_UNIT_MONEY);
    }
    if (c->failed)
        goto out;
    size_t col = 0;
    if (reqs) {
        for (int i = 0; i < PQntuples (reqs); i++) {
            char *key = report_query_group_of (PQgetvalue (reqs, i, C_GRP));
            report_row_t *r = report_model_row (t, key);
            free (key);
            report_val_t v = report_db_val (reqs, i, C_V1);
            double x = v.has ? v.v : 0;
            int err = strcmp (PQgetvalue (reqs, i, C_V2), "t") == 0;
            r->vals[col] = report_val ((r->vals[col].has ? r->vals[col].v : 0) + x);
            r->vals[col + 1] =
                report_val ((r->vals[col + 1].has ? r->vals[col + 1].v : 0) + (err ? x : 0));
        }
        for (size_t i = 0; i < t->nrows; i++) {
            report_val_t *v = t->rows[i].vals;
            if (v[col].has && v[col].v > 0 && v[col + 1].has)
                v[col + 2] = report_val (v[col + 1].v / v[col].v);
        }
        col += 3;
    }
    if (lat) {
        double k = s_to_s (c);
        for (size_t i = 0; i < lat->n; i++) {
            /* Each group once, merged over its steps. */
            size_t j = 0;
            while (j < i && strcmp (lat->cells[j].grp, lat->cells[i].grp) != 0)
                j++;
            if (j < i)
                continue;
            vg_sketch_t *sk = report_dist_merge (lat, lat->cells[i].grp, -1);
            report_dist_stats_t st = report_dist_stats (sk, k);
            vg_sketch_destroy (&sk);
            if (!st.count.has)
                continue;
            report_row_t *r = report_model_row (t, lat->cells[i].grp);
            r->vals[col] = st.count;
            r->vals[col + 1] = st.avg;
            r->vals[col + 2] = st.p95;
            r->vals[col + 3] = st.p99;
        }
        col += 4;
    }
    if (toks) {
        /* From the cache, the group is "value,kind": summed over kinds. */
        for (int i = 0; i < PQntuples (toks); i++) {
            report_val_t v = report_db_val (toks, i, C_V1);
            if (!v.has)
                continue;
            char *key = toks == c->tok ? report_query_group_of (PQgetvalue (toks, i, C_GRP))
                                       : vg_strdup (PQgetvalue (toks, i, C_GRP));
            report_row_t *r = report_model_row (t, key);
            free (key);
            r->vals[col] = report_val ((r->vals[col].has ? r->vals[col].v : 0) + v.v);
        }
        col++;
    }
    if (costs)
        for (int i = 0; i < PQntuples (costs); i++)
            report_model_row (t, PQgetvalue (costs, i, C_GRP))->vals[col] =
                report_db_val (costs, i, C_V1);
    report_model_sort_desc (t, 0);
    if (t->nrows == 0)
        report_model_none (s, "no data for the label %s from %s to %s", b->label, c->r->first_day,
                           c->r->last_day);
out:
    PQclear (req);
    report_dist_free (&own);
    PQclear (tok);
    PQclear (cost);
}

static void
s_deploys (report_ctx_t *c)
{
    report_section_t *s = report_model_section (c->r, "deploys", "Deploys");
    const char *p[] = {c->since, c->until, c->sel, c->tz};
    PGresult *res = report_db_exec (
        c->conn, "deploys",
        "SELECT (extract (epoch FROM ts) * 1000)::bigint,"
        " to_char (ts AT TIME ZONE $4, 'YYYY-MM-DD HH24:MI'), service, version, note, source"
        "  FROM vigil.deploys_between (to_timestamp ($1::float8), to_timestamp ($2::float8), $3)",
        4, p, c->err, c->errlen);
    if (!res) {
        c->failed = 1;
        return;
    }
    int n = PQntuples (res);
    c->r->marks = vg_calloc ((size_t)n + 1, sizeof *c->r->marks);
    for (int i = 0; i < n; i++) {
        report_mark_t *m = &c->r->marks[c->r->nmarks++];
        m->ts_ms = strtoll (PQgetvalue (res, i, 0), NULL, 10);
        m->when = vg_strdup (PQgetvalue (res, i, 1));
        m->service = vg_strdup (PQgetvalue (res, i, 2));
        m->version = vg_strdup (PQgetvalue (res, i, 3));
        m->note = vg_strdup (PQgetvalue (res, i, 4));
        m->source = vg_strdup (PQgetvalue (res, i, 5));
    }
    if (n == 0)
        report_model_none (s, "no deploys recorded from %s to %s", c->r->first_day, c->r->last_day);
    PQclear (res);
}

/* ---- the report ---- */

static int
s_period (report_ctx_t *c, const report_request_t *req)
{
    report_t *r = c->r;
    char now[32];
    const char *dp[] = {req->kind, report_db_ms (req->now_ms, now, sizeof now), req->tz,
                        req->day ? req->day : ""};
    PGresult *res =
        report_db_exec (c->conn, "the period",
                        "SELECT CASE WHEN $4 = 'today' THEN d WHEN $4 = 'yesterday' THEN d - 1"
                        "            WHEN $4 <> '' THEN $4::date"
                        "            WHEN $1 = 'daily' THEN d - 1 WHEN $1 = 'weekly' THEN d - 7"
                        "            ELSE (date_trunc ('month', d) - interval '1 day')::date END"
                        "  FROM (SELECT (to_timestamp ($2::float8) AT TIME ZONE $3)::date AS d) x",
                        4, dp, c->err, c->errlen);
    if (!res)
        return VG_EINVAL;
    char *day = vg_strdup (PQgetvalue (res, 0, 0));
    PQclear (res);
    const char *pp[] = {req->kind, day, req->tz};
    res = report_db_exec (c->conn, "the period",
                          "SELECT (extract (epoch FROM period_from) * 1000)::bigint,"
                          " (extract (epoch FROM period_to) * 1000)::bigint, first_day, last_day"
                          "  FROM vigil.report_period ($1, $2::date, $3)",
                          3, pp, c->err, c->errlen);
    free (day);
    if (!res)
        return VG_EINVAL;
    r->from_ms = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    r->to_ms = strtoll (PQgetvalue (res, 0, 1), NULL, 10);
    r->first_day = vg_strdup (PQgetvalue (res, 0, 2));
    r->last_day = vg_strdup (PQgetvalue (res, 0, 3));
    PQclear (res);
    report_db_ms (r->from_ms, c->since, sizeof c->since);
    report_db_ms (r->to_ms, c->until, sizeof c->until);
    return 0;
}

/* The selector as given, without braces or spaces around. */
static char *
s_normal_selector (const char *sel)
{
    if (!sel)
        return vg_strdup ("");
    while (*sel == ' ')
        sel++;
    size_t n = strlen (sel);
    while (n && sel[n - 1] == ' ')
        n--;
    if (n >= 2 && sel[0] == '{' && sel[n - 1] == '}') {
        sel++;
        n -= 2;
    }
    return vg_strndup (sel, n);
}

report_t *
report_query_run (PGconn *conn, const report_def_t *def, const report_request_t *req, char *err,
                  size_t errlen)
{
    if (strcmp (req->kind, "daily") != 0 && strcmp (req->kind, "weekly") != 0 &&
        strcmp (req->kind, "monthly") != 0) {
        snprintf (err, errlen, "a report is daily, weekly or monthly, not \"%s\"", req->kind);
        return NULL;
    }
    report_t *r = report_model_new ();
    report_ctx_t c = {
        .conn = conn, .def = def, .r = r, .tz = req->tz, .err = err, .errlen = errlen};
    c.sel = s_normal_selector (req->selector);
    r->kind = vg_strdup (req->kind);
    r->tz = vg_strdup (req->tz);
    r->selector = vg_strdup (c.sel);
    r->currency = vg_strdup (def->cost.unit);
    r->generated_ms = req->now_ms;
    /* A selector that cannot be read fails here, once, with its reason. */
    const char *sp[] = {c.sel};
    PGresult *chk =
        report_db_exec (conn, "the selector", "SELECT count (*) FROM vigil.selector_parse ($1)", 1,
                        sp, err, errlen);
    if (!chk || s_period (&c, req) != 0) {
        PQclear (chk);
        goto fail;
    }
    PQclear (chk);
    report_steps_prefetch (&c);
    s_requests (&c);
    s_latency (&c);
    s_errors (&c);
    s_resources (&c);
    s_users (&c);
    s_tokens (&c);
    for (size_t i = 0; i < def->nbreakdowns && !c.failed; i++)
        s_breakdown (&c, &def->breakdowns[i]);
    report_steps_by_time (&c);
    report_alerts_section (&c);
    if (!c.failed)
        s_deploys (&c);
    report_steps_trend (&c);
    report_steps_release (&c);
    if (c.failed)
        goto fail;
    free (c.sel);
    return r;
fail:
    report_steps_release (&c);
    free (c.sel);
    report_model_destroy (&r);
    return NULL;
}
