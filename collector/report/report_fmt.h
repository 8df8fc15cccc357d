/*  report_fmt.h - figures as people read them, the same in every renderer:
 *  12,345 requests, 1.23 %, 850 ms or 1.95 s, 850 MB, 12.34 USD, "-" for no
 *  data. */
#ifndef REPORT_FMT_H
#define REPORT_FMT_H

#include "report_model.h"

#include <stddef.h>

/* Writes v in unit into buf; currency is the money unit ("USD"). */
void report_fmt_value (char *buf, size_t len, report_val_t v, report_unit_t unit,
                       const char *currency);
/* How many columns UTF-8 text takes on a terminal: its code points. */
size_t report_fmt_width (const char *s);
/* The unit as a short word for axes and JSON: "s", "bytes", "%"... */
const char *report_fmt_unit_name (report_unit_t unit);

#endif
