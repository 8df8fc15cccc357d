/*  report_json.c - a report as JSON.
 *
 *  {"report": "daily", "period": {...}, "selector": "...", "generated_at": ...,
 *   "sections": {"requests": {"title": ..., "none": null, "warning": null,
 *                             "figures": {"requests": {"value": 84000, "unit": "count"}},
 *                             "tables": {"by_status": {"key": "status_code",
 *                                        "columns": [...], "rows": [{"key": "200", ...}]}}}},
 *   "charts": [{"id": "latency", "unit": "seconds", "lines": ["P50", ...],
 *               "points": [{"at": ..., "label": "13:00", "values": [0.5, ...]}]}],
 *   "deploys": [...]}
 *
 *  Values are numbers as measured (shares from 0 to 1, seconds, bytes);
 *  null where there is no data, and for NaN and infinities, which JSON
 *  cannot say. */
#include "report_json.h"
#include "report_fmt.h"
#include "vg_json.h"

#include <math.h>
#include <string.h>
#include <time.h>

static void
s_str (vg_buf_t *out, const char *s)
{
    if (!s) {
        vg_buf_puts (out, "null");
        return;
    }
    vg_json_string (out, s, strlen (s));
}

static void
s_num (vg_buf_t *out, report_val_t v)
{
    if (!v.has || !isfinite (v.v))
        vg_buf_puts (out, "null");
    else if (v.v == floor (v.v) && fabs (v.v) < 1e15)
        vg_buf_printf (out, "%.0f", v.v);
    else
        vg_buf_printf (out, "%.17g", v.v);
}

static void
s_time (vg_buf_t *out, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char buf[32];
    gmtime_r (&t, &tm);
    strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    vg_buf_printf (out, "\"%s\"", buf);
}

static void
s_table (vg_buf_t *out, const report_table_t *t)
{
    vg_buf_puts (out, "{\"title\": ");
    s_str (out, t->title);
    vg_buf_puts (out, ", \"key\": ");
    s_str (out, t->key_name);
    vg_buf_puts (out, ", \"columns\": [");
    for (size_t c = 0; c < t->ncols; c++) {
        vg_buf_puts (out, c ? ", {\"id\": " : "{\"id\": ");
        s_str (out, t->col_ids[c]);
        vg_buf_puts (out, ", \"name\": ");
        s_str (out, t->col_names[c]);
        vg_buf_printf (out, ", \"unit\": \"%s\"}", report_fmt_unit_name (t->col_units[c]));
    }
    vg_buf_puts (out, "], \"rows\": [");
    for (size_t r = 0; r < t->nrows; r++) {
        vg_buf_puts (out, r ? ",\n      {\"key\": " : "\n      {\"key\": ");
        s_str (out, t->rows[r].key);
        for (size_t c = 0; c < t->ncols; c++) {
            vg_buf_puts (out, ", ");
            s_str (out, t->col_ids[c]);
            vg_buf_puts (out, ": ");
            s_num (out, t->rows[r].vals[c]);
        }
        if (t->rows[r].note) {
            vg_buf_puts (out, ", \"note\": ");
            s_str (out, t->rows[r].note);
        }
        vg_buf_puts (out, "}");
    }
    vg_buf_puts (out, "]}");
}

static void
s_section (vg_buf_t *out, const report_section_t *s, const char *currency)
{
    vg_buf_puts (out, "{\"title\": ");
    s_str (out, s->title);
    vg_buf_puts (out, ", \"none\": ");
    s_str (out, s->none);
    vg_buf_puts (out, ", \"warning\": ");
    s_str (out, s->warning);
    vg_buf_puts (out, ",\n    \"figures\": {");
    for (size_t k = 0; k < s->nfigs; k++) {
        const report_fig_t *f = &s->figs[k];
        vg_buf_puts (out, k ? ", " : "");
        s_str (out, f->id);
        vg_buf_puts (out, ": {\"label\": ");
        s_str (out, f->label);
        vg_buf_puts (out, ", \"value\": ");
        s_num (out, f->val);
        vg_buf_printf (out, ", \"unit\": ");
        s_str (out, f->unit == REPORT_UNIT_MONEY ? currency : report_fmt_unit_name (f->unit));
        if (f->note && f->unit != REPORT_UNIT_MONEY) {
            vg_buf_puts (out, ", \"note\": ");
            s_str (out, f->note);
        }
        vg_buf_puts (out, "}");
    }
    vg_buf_puts (out, "},\n    \"tables\": {");
    for (size_t k = 0; k < s->ntables; k++) {
        vg_buf_puts (out, k ? ", " : "");
        s_str (out, s->tables[k].id);
        vg_buf_puts (out, ": ");
        s_table (out, &s->tables[k]);
    }
    vg_buf_puts (out, "}}");
}

static void
s_charts (vg_buf_t *out, const report_t *r)
{
    vg_buf_puts (out, ",\n  \"charts\": [");
    for (size_t i = 0; i < r->ncharts; i++) {
        const report_chart_t *c = &r->charts[i];
        vg_buf_puts (out, i ? ",\n    {\"id\": " : "\n    {\"id\": ");
        s_str (out, c->id);
        vg_buf_puts (out, ", \"title\": ");
        s_str (out, c->title);
        vg_buf_printf (out, ", \"unit\": \"%s\", \"lines\": [", report_fmt_unit_name (c->unit));
        for (size_t l = 0; l < c->nlines; l++) {
            vg_buf_puts (out, l ? ", " : "");
            s_str (out, c->lines[l].name);
        }
        vg_buf_puts (out, "], \"points\": [");
        for (size_t p = 0; p < c->npoints; p++) {
            vg_buf_puts (out, p ? ", {\"at\": " : "{\"at\": ");
            s_time (out, c->ts_ms[p]);
            vg_buf_puts (out, ", \"label\": ");
            s_str (out, c->labels[p]);
            vg_buf_puts (out, ", \"values\": [");
            for (size_t l = 0; l < c->nlines; l++) {
                vg_buf_puts (out, l ? ", " : "");
                s_num (out, c->lines[l].vals[p]);
            }
            vg_buf_puts (out, "]}");
        }
        vg_buf_puts (out, "]}");
    }
    vg_buf_puts (out, "]");
}

void
report_json_render (const report_t *r, vg_buf_t *out)
{
    vg_buf_puts (out, "{\"report\": ");
    s_str (out, r->kind);
    vg_buf_puts (out, ", \"period\": {\"from\": ");
    s_time (out, r->from_ms);
    vg_buf_puts (out, ", \"to\": ");
    s_time (out, r->to_ms);
    vg_buf_puts (out, ", \"first_day\": ");
    s_str (out, r->first_day);
    vg_buf_puts (out, ", \"last_day\": ");
    s_str (out, r->last_day);
    vg_buf_puts (out, ", \"tz\": ");
    s_str (out, r->tz);
    vg_buf_puts (out, "}, \"selector\": ");
    s_str (out, r->selector);
    vg_buf_puts (out, ", \"generated_at\": ");
    s_time (out, r->generated_ms);
    vg_buf_puts (out, ",\n  \"sections\": {");
    for (size_t i = 0; i < r->nsections; i++) {
        vg_buf_puts (out, i ? ",\n  " : "\n  ");
        s_str (out, r->sections[i].id);
        vg_buf_puts (out, ": ");
        s_section (out, &r->sections[i], r->currency);
    }
    vg_buf_puts (out, "}");
    s_charts (out, r);
    vg_buf_puts (out, ",\n  \"deploys\": [");
    for (size_t i = 0; i < r->nmarks; i++) {
        const report_mark_t *m = &r->marks[i];
        vg_buf_puts (out, i ? ", {\"at\": " : "{\"at\": ");
        s_time (out, m->ts_ms);
        vg_buf_puts (out, ", \"local\": ");
        s_str (out, m->when);
        vg_buf_puts (out, ", \"service\": ");
        s_str (out, m->service);
        vg_buf_puts (out, ", \"version\": ");
        s_str (out, m->version);
        vg_buf_puts (out, ", \"note\": ");
        s_str (out, m->note);
        vg_buf_puts (out, ", \"source\": ");
        s_str (out, m->source);
        vg_buf_puts (out, "}");
    }
    vg_buf_puts (out, "]}\n");
}
