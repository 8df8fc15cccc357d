/*  report_json.h - a report as JSON, for machines: every figure with its
 *  unit, null where there is no data, and why. */
#ifndef REPORT_JSON_H
#define REPORT_JSON_H

#include "report_model.h"
#include "vg_buf.h"

void report_json_render (const report_t *report, vg_buf_t *out);

#endif
