/*  report_svg.c - line charts as inline SVG, drawn here: axes with units,
 *  gridlines, one polyline per line broken where data is missing, a circle
 *  per data point (its <title> is the tooltip: no script needed), a legend,
 *  and a dashed marker per deploy. */
#include "report_svg.h"
#include "report_fmt.h"
#include "vg_buf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define W      720.0
#define H      250.0
#define LEFT   78.0
#define RIGHT  16.0
#define TOP    28.0
#define BOTTOM 44.0
#define PW     (W - LEFT - RIGHT)
#define PH     (H - TOP - BOTTOM)

static const char *s_colors[] = {"#2563eb", "#ea580c", "#dc2626"};

void
report_svg_escape (vg_buf_t *out, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        switch (*p) {
        case '<':
            vg_buf_puts (out, "&lt;");
            break;
        case '>':
            vg_buf_puts (out, "&gt;");
            break;
        case '&':
            vg_buf_puts (out, "&amp;");
            break;
        case '"':
            vg_buf_puts (out, "&quot;");
            break;
        case '\'':
            vg_buf_puts (out, "&#39;");
            break;
        default:
            /* Control bytes from agents' labels have no place in a page. */
            if ((unsigned char)*p >= 0x20 || *p == '\n' || *p == '\t')
                vg_buf_append (out, p, 1);
        }
    }
}

/* The smallest of 1, 2, 2.5, 5 times a power of ten at or above v. */
static double
s_nice (double v)
{
    if (!(v > 0))
        return 1;
    double p = pow (10, floor (log10 (v)));
    static const double steps[] = {1, 2, 2.5, 5, 10};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (steps[i] * p >= v)
            return steps[i] * p;
    return 10 * p;
}

static double
s_x (const report_svg_frame_t *f, int64_t ms)
{
    double span = (double)(f->to_ms - f->from_ms);
    double x = span > 0 ? (double)(ms - f->from_ms) / span : 0;
    return LEFT + PW * (x < 0 ? 0 : x > 1 ? 1 : x);
}

static double
s_y (double v, double top)
{
    return TOP + PH * (1 - (top > 0 ? v / top : 0));
}

/* Where a point is drawn: the middle of its step. */
static int64_t
s_mid (const report_chart_t *ch, const report_svg_frame_t *f, size_t i)
{
    int64_t next = i + 1 < ch->npoints ? ch->ts_ms[i + 1] : f->to_ms;
    return ch->ts_ms[i] + (next - ch->ts_ms[i]) / 2;
}

static void
s_axes (vg_buf_t *out, const report_chart_t *ch, const report_svg_frame_t *f, double top)
{
    vg_buf_puts (out, "<g class=\"axes\" font-size=\"11\" fill=\"#475569\">");
    for (int k = 0; k <= 4; k++) {
        double v = top * k / 4, y = s_y (v, top);
        char label[48];
        report_fmt_value (label, sizeof label, report_val (v), ch->unit, f->currency);
        vg_buf_printf (out,
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e2e8f0\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
                       LEFT, y, W - RIGHT, y, LEFT - 6, y + 4);
        report_svg_escape (out, label);
        vg_buf_puts (out, "</text>");
    }
    vg_buf_printf (out,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#64748b\"/>"
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#64748b\"/>",
                   LEFT, TOP, LEFT, TOP + PH, LEFT, TOP + PH, W - RIGHT, TOP + PH);
    /* At most 8 time labels, evenly spread over the steps. */
    size_t every = ch->npoints > 8 ? (ch->npoints + 7) / 8 : 1;
    for (size_t i = 0; i < ch->npoints; i += every) {
        double x = s_x (f, ch->ts_ms[i]);
        vg_buf_printf (out,
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#64748b\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                       x, TOP + PH, x, TOP + PH + 4, x, TOP + PH + 17);
        report_svg_escape (out, ch->labels[i]);
        vg_buf_puts (out, "</text>");
    }
    vg_buf_printf (out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                   LEFT + PW / 2, H - 6, f->time_axis ? f->time_axis : "time");
    vg_buf_puts (out, "</g>");
}

static void
s_line (vg_buf_t *out, const report_chart_t *ch, const report_svg_frame_t *f, size_t li, double top)
{
    const report_line_t *l = &ch->lines[li];
    const char *color = s_colors[li % 3];
    vg_buf_printf (out, "<g class=\"line\" data-line=\"");
    report_svg_escape (out, l->name);
    vg_buf_puts (out, "\">");
    int open = 0;
    for (size_t i = 0; i < ch->npoints; i++) {
        int ok = l->vals[i].has && isfinite (l->vals[i].v);
        if (ok && !open) {
            vg_buf_printf (out,
                           "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" "
                           "points=\"",
                           color);
            open = 1;
        } else if (!ok && open) {
            vg_buf_puts (out, "\"/>");
            open = 0;
        }
        if (ok)
            vg_buf_printf (out, "%.1f,%.1f ", s_x (f, s_mid (ch, f, i)), s_y (l->vals[i].v, top));
    }
    if (open)
        vg_buf_puts (out, "\"/>");
    for (size_t i = 0; i < ch->npoints; i++) {
        if (!l->vals[i].has || !isfinite (l->vals[i].v))
            continue;
        char value[48];
        report_fmt_value (value, sizeof value, l->vals[i], ch->unit, f->currency);
        vg_buf_printf (out,
                       "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"%s\">"
                       "<title>",
                       s_x (f, s_mid (ch, f, i)), s_y (l->vals[i].v, top), color);
        report_svg_escape (out, ch->labels[i]);
        vg_buf_puts (out, " ");
        report_svg_escape (out, l->name);
        vg_buf_puts (out, ": ");
        report_svg_escape (out, value);
        vg_buf_puts (out, "</title></circle>");
    }
    vg_buf_printf (out,
                   "<rect x=\"%.1f\" y=\"8\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                   "<text x=\"%.1f\" y=\"17\" font-size=\"11\">",
                   LEFT + 90.0 * (double)li, color, LEFT + 90.0 * (double)li + 14);
    report_svg_escape (out, l->name);
    vg_buf_puts (out, "</text></g>");
}

static void
s_marks (vg_buf_t *out, const report_svg_frame_t *f)
{
    for (size_t i = 0; i < f->nmarks; i++) {
        const report_mark_t *m = &f->marks[i];
        if (m->ts_ms < f->from_ms || m->ts_ms >= f->to_ms)
            continue;
        double x = s_x (f, m->ts_ms);
        vg_buf_printf (out,
                       "<g class=\"deploy\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"#16a34a\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#16a34a\">",
                       x, TOP, x, TOP + PH, x + 3, TOP + 10);
        report_svg_escape (out, m->version);
        vg_buf_puts (out, "</text><title>deploy ");
        report_svg_escape (out, m->service);
        vg_buf_puts (out, " ");
        report_svg_escape (out, m->version);
        vg_buf_puts (out, " at ");
        report_svg_escape (out, m->when);
        vg_buf_puts (out, "</title></g>");
    }
}

size_t
report_svg_chart (vg_buf_t *out, const report_chart_t *ch, const report_svg_frame_t *f)
{
    double max = 0;
    size_t points = 0;
    for (size_t li = 0; li < ch->nlines; li++)
        for (size_t i = 0; i < ch->npoints; i++)
            if (ch->lines[li].vals[i].has && isfinite (ch->lines[li].vals[i].v)) {
                points++;
                if (ch->lines[li].vals[i].v > max)
                    max = ch->lines[li].vals[i].v;
            }
    double top = s_nice (max * 1.05);
    vg_buf_printf (out,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-chart=\"%s\" "
                   "data-points=\"%zu\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" "
                   "role=\"img\" aria-label=\"",
                   ch->id, points, W, H, W, H);
    report_svg_escape (out, ch->title);
    vg_buf_puts (out, "\" font-family=\"sans-serif\">");
    s_axes (out, ch, f, top);
    if (points == 0)
        vg_buf_printf (out,
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#64748b\">"
                       "no data in this period</text>",
                       LEFT + PW / 2, TOP + PH / 2);
    for (size_t li = 0; li < ch->nlines; li++)
        s_line (out, ch, f, li, top);
    s_marks (out, f);
    vg_buf_puts (out, "</svg>");
    return points;
}
