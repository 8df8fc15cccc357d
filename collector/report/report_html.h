/*  report_html.h - a report as one self-contained HTML page with inline SVG
 *  charts; the page's head and tables are shared with the status page. */
#ifndef REPORT_HTML_H
#define REPORT_HTML_H

#include "report_model.h"
#include "vg_buf.h"

void report_html_render (const report_t *report, vg_buf_t *out);

/* <!DOCTYPE html> up to <body>: charset, a Content-Security-Policy that
 * allows nothing but inline style, the title and the style sheet. */
void report_html_head (vg_buf_t *out, const char *title);
/* Every chart of report as a <figure> with its caption, framed by frame. */
struct report_svg_frame_s;
void report_html_charts (vg_buf_t *out, const report_t *report,
                         const struct report_svg_frame_s *frame);
/* A table of the model, values formatted. */
void report_html_table (vg_buf_t *out, const report_table_t *table, const char *currency);

#endif
