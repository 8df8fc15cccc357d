/*  report_html.c - a report as one self-contained HTML page: inline CSS, the
 *  charts as inline SVG (report_svg.c), no script and nothing fetched - a
 *  Content-Security-Policy of default-src 'none' says so to the browser. */
#include "report_html.h"
#include "report_fmt.h"
#include "report_svg.h"

#include <stdio.h>
#include <string.h>

static const char s_style[] =
    "body{font-family:system-ui,sans-serif;margin:24px auto;max-width:980px;color:#0f172a;"
    "padding:0 16px}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;"
    "border-bottom:1px solid #e2e8f0;padding-bottom:4px}"
    ".sub{color:#475569;margin:0 0 16px}.none{color:#64748b;font-style:italic}"
    ".warn{background:#fef3c7;border:1px solid #f59e0b;padding:6px 10px;border-radius:4px}"
    ".figs{display:flex;flex-wrap:wrap;gap:10px;margin:0;padding:0}"
    ".fig{list-style:none;border:1px solid #e2e8f0;border-radius:6px;padding:8px 12px;"
    "min-width:120px}.fig b{display:block;font-size:19px}.fig span{color:#475569;"
    "font-size:12px}"
    "table{border-collapse:collapse;margin:10px 0;font-size:13px}"
    "th,td{padding:3px 10px;border-bottom:1px solid #f1f5f9;text-align:right}"
    "th:first-child,td:first-child{text-align:left}th{background:#f8fafc}"
    "figure{margin:12px 0}figcaption{font-weight:600;margin-bottom:4px}"
    "svg.chart{max-width:100%;height:auto;border:1px solid #e2e8f0;border-radius:6px}"
    ".ok{color:#16a34a}.bad{color:#dc2626}.stale{color:#b45309}";

void
report_html_head (vg_buf_t *out, const char *title)
{
    vg_buf_puts (out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                      "style-src 'unsafe-inline'\">"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                      "<title>");
    report_svg_escape (out, title);
    vg_buf_printf (out, "</title><style>%s</style></head><body>\n", s_style);
}

void
report_html_charts (vg_buf_t *out, const report_t *r, const report_svg_frame_t *frame)
{
    for (size_t i = 0; i < r->ncharts; i++) {
        vg_buf_puts (out, "<figure><figcaption>");
        report_svg_escape (out, r->charts[i].title);
        vg_buf_printf (out, " <small>(%s)</small></figcaption>",
                       report_fmt_unit_name (r->charts[i].unit));
        report_svg_chart (out, &r->charts[i], frame);
        vg_buf_puts (out, "</figure>\n");
    }
}

void
report_html_table (vg_buf_t *out, const report_table_t *t, const char *currency)
{
    vg_buf_puts (out, "<table data-table=\"");
    report_svg_escape (out, t->id);
    vg_buf_puts (out, "\"><tr><th>");
    report_svg_escape (out, t->key_name);
    vg_buf_puts (out, "</th>");
    for (size_t c = 0; c < t->ncols; c++) {
        vg_buf_puts (out, "<th>");
        report_svg_escape (out, t->col_names[c]);
        vg_buf_puts (out, "</th>");
    }
    vg_buf_puts (out, "</tr>\n");
    for (size_t r = 0; r < t->nrows; r++) {
        vg_buf_puts (out, "<tr><td>");
        report_svg_escape (out, t->rows[r].key);
        vg_buf_puts (out, "</td>");
        for (size_t c = 0; c < t->ncols; c++) {
            char cell[64];
            report_fmt_value (cell, sizeof cell, t->rows[r].vals[c], t->col_units[c], currency);
            vg_buf_puts (out, "<td>");
            report_svg_escape (out, cell);
            if (c + 1 == t->ncols && t->rows[r].note) {
                vg_buf_puts (out, " ");
                report_svg_escape (out, t->rows[r].note);
            }
            vg_buf_puts (out, "</td>");
        }
        vg_buf_puts (out, "</tr>\n");
    }
    vg_buf_puts (out, "</table>\n");
}

static void
s_figs (vg_buf_t *out, const report_section_t *s, const char *currency)
{
    if (!s->nfigs)
        return;
    vg_buf_puts (out, "<ul class=\"figs\">");
    for (size_t k = 0; k < s->nfigs; k++) {
        const report_fig_t *f = &s->figs[k];
        char v[64];
        report_fmt_value (v, sizeof v, f->val, f->unit, currency);
        vg_buf_puts (out, "<li class=\"fig\" data-fig=\"");
        report_svg_escape (out, f->id);
        vg_buf_puts (out, "\"><b>");
        report_svg_escape (out, v);
        vg_buf_puts (out, "</b><span>");
        report_svg_escape (out, f->label);
        if (f->note && f->unit != REPORT_UNIT_MONEY) {
            vg_buf_puts (out, " (");
            report_svg_escape (out, f->note);
            vg_buf_puts (out, ")");
        }
        vg_buf_puts (out, "</span></li>");
    }
    vg_buf_puts (out, "</ul>\n");
}

static void
s_deploys (vg_buf_t *out, const report_t *r)
{
    vg_buf_puts (out, "<table data-table=\"deploys\"><tr><th>when (");
    report_svg_escape (out, r->tz);
    vg_buf_puts (out, ")</th><th>service</th><th>version</th><th>note</th></tr>\n");
    for (size_t i = 0; i < r->nmarks; i++) {
        const report_mark_t *m = &r->marks[i];
        const char *cells[] = {m->when, m->service, m->version, m->note};
        vg_buf_puts (out, "<tr>");
        for (size_t c = 0; c < 4; c++) {
            vg_buf_puts (out, "<td>");
            report_svg_escape (out, cells[c]);
            vg_buf_puts (out, "</td>");
        }
        vg_buf_puts (out, "</tr>\n");
    }
    vg_buf_puts (out, "</table>\n");
}

void
report_html_render (const report_t *r, vg_buf_t *out)
{
    char title[256];
    snprintf (title, sizeof title, "%c%s report %s%s%s (%s)", r->kind[0] - 32, r->kind + 1,
              r->first_day, strcmp (r->first_day, r->last_day) ? " to " : "",
              strcmp (r->first_day, r->last_day) ? r->last_day : "", r->tz);
    report_html_head (out, title);
    vg_buf_puts (out, "<h1>");
    report_svg_escape (out, title);
    vg_buf_puts (out, "</h1><p class=\"sub\">");
    report_svg_escape (out, *r->selector ? r->selector : "every series");
    vg_buf_puts (out, "</p>\n");
    for (size_t i = 0; i < r->nsections; i++)
        if (r->sections[i].warning) {
            vg_buf_puts (out, "<p class=\"warn\">");
            report_svg_escape (out, r->sections[i].warning);
            vg_buf_puts (out, "</p>\n");
        }

    vg_buf_puts (out, "<h2>Over the period</h2>\n");
    char axis[128];
    snprintf (axis, sizeof axis, "%s (%s)", r->step_name ? r->step_name : "time", r->tz);
    report_svg_frame_t frame = {.from_ms = r->from_ms,
                                .to_ms = r->to_ms,
                                .marks = r->marks,
                                .nmarks = r->nmarks,
                                .currency = r->currency,
                                .time_axis = axis};
    report_html_charts (out, r, &frame);
    for (size_t i = 0; i < r->nsections; i++) {
        const report_section_t *s = &r->sections[i];
        vg_buf_puts (out, "<section data-section=\"");
        report_svg_escape (out, s->id);
        vg_buf_puts (out, "\"><h2>");
        report_svg_escape (out, s->title);
        vg_buf_puts (out, "</h2>\n");
        if (s->none) {
            vg_buf_puts (out, "<p class=\"none\">");
            report_svg_escape (out, s->none);
            vg_buf_puts (out, "</p></section>\n");
            continue;
        }
        if (strcmp (s->id, "deploys") == 0)
            s_deploys (out, r);
        s_figs (out, s, r->currency);
        for (size_t k = 0; k < s->ntables; k++)
            if (s->tables[k].nrows)
                report_html_table (out, &s->tables[k], r->currency);
        vg_buf_puts (out, "</section>\n");
    }
    vg_buf_puts (out, "</body></html>\n");
}
