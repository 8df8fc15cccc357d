/*  scrape_format.h - which exposition format a response is in: from its
 *  Content-Type as Prometheus reads it, or guessed from a file's text.
 */
#ifndef SCRAPE_FORMAT_H
#define SCRAPE_FORMAT_H

#include "scrape_parse.h"

#include <stddef.h>

/* The format a Content-Type names, read as Prometheus reads it (the media
 * type, case-insensitive, parameters checked for syntax, then ignored):
 * application/openmetrics-text is OpenMetrics, text/plain is 0.0.4. Returns
 * 0 and sets *format, or VG_ENOTFOUND for anything else (NULL, empty,
 * unparsable, another type). */
int scrape_format_from_content_type (const char *content_type, scrape_format_t *format);

/* A guess for a body with no Content-Type (file://): OpenMetrics when its
 * last non-blank line is "# EOF", else 0.0.4. */
scrape_format_t scrape_format_guess (const char *text, size_t len);

#endif
