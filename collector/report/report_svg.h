/*  report_svg.h - line charts as inline SVG, drawn by our own code, for the
 *  HTML report and the status page: no script, nothing fetched. */
#ifndef REPORT_SVG_H
#define REPORT_SVG_H

#include "report_model.h"
#include "vg_buf.h"

#include <stddef.h>
#include <stdint.h>

/* What a chart spans and what marks it. */
typedef struct report_svg_frame_s {
    int64_t from_ms, to_ms;
    const report_mark_t *marks; /* deploys: a dashed line each */
    size_t nmarks;
    const char *currency;
    const char *time_axis; /* the x axis' title: "hour (Asia/Seoul)" */
} report_svg_frame_t;

/* Appends <svg class="chart" data-chart="ID" data-points="N">: y axis with
 * gridlines and values in the chart's unit, x axis with the steps' labels,
 * a polyline per run of data of each line and a circle class="pt" per data
 * point (tooltip: its <title>), a legend and the deploy markers; "no data in
 * this period" when there is none. Returns the data points drawn. */
size_t report_svg_chart (vg_buf_t *out, const report_chart_t *chart,
                         const report_svg_frame_t *frame);

/* Appends s with <, >, &, " and ' escaped and control bytes dropped, for
 * HTML text and attributes. */
void report_svg_escape (vg_buf_t *out, const char *s);

#endif
