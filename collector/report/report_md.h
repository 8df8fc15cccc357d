/*  report_md.h - a report as markdown that reads well in Slack. */
#ifndef REPORT_MD_H
#define REPORT_MD_H

#include "report_model.h"
#include "vg_buf.h"

void report_md_render (const report_t *report, vg_buf_t *out);

#endif
