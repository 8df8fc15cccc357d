/*  rules_fmt.h - numbers written the way Prometheus writes them, so that
 *  annotations and test output read the same as Prometheus's.
 *
 *  Go's fmt prints a float64 with %v as the shortest text that reads back
 *  to the same value, in exponent form below 1e-4 and from 1e+06 on
 *  ("1e+06", "0.25", "1.5e-05"), NaN as "NaN" and infinities as "+Inf" and
 *  "-Inf". Prometheus's humanize functions are after its
 *  template/template.go.
 */
#ifndef RULES_FMT_H
#define RULES_FMT_H

#include "vg_buf.h"

/* Go's fmt %v of a float64. Appended. */
void rules_fmt_float (double v, vg_buf_t *out);
/* Go's %.<prec>g. Appended. */
void rules_fmt_g (double v, int prec, vg_buf_t *out);

/* 1234567 -> "1.235M", 0.0012 -> "1.2m". */
void rules_fmt_humanize (double v, vg_buf_t *out);
/* 1536 -> "1.5ki". */
void rules_fmt_humanize1024 (double v, vg_buf_t *out);
/* seconds: 90061 -> "1d 1h 1m 1s", 0.05 -> "50ms". */
void rules_fmt_humanize_duration (double v, vg_buf_t *out);
/* 0.1234 -> "12.34%". */
void rules_fmt_humanize_percentage (double v, vg_buf_t *out);

#endif
