/*  rules_tmpl.h - the templates of rule labels and annotations: the part of
 *  Go's text/template that Prometheus rule files use.
 *
 *      {{ $value }}  {{ .Value }}             the sample's value (Go's %v)
 *      {{ $labels.instance }}  {{ .Labels.instance }}   a label ("" if absent)
 *      {{ $externalLabels.x }}  {{ $externalURL }}
 *      {{ humanize $value }}  {{ $value | humanizePercentage }}
 *      humanize humanize1024 humanizeDuration humanizePercentage
 *      printf toUpper toLower index;  {{- trims -}};  comment actions
 *
 *  Control actions (if, range, with, define) and variables are refused when
 *  the template is compiled, with the name of what is not supported.
 *  Expansion errors give Prometheus's "<error expanding template: ...>".
 */
#ifndef RULES_TMPL_H
#define RULES_TMPL_H

#include "rules_labels.h"
#include "vg_buf.h"

#include <stddef.h>

typedef struct rules_tmpl_t rules_tmpl_t;

/* Compiles text. On error returns NULL with the reason in err (and *errpos,
 * when not NULL, the byte offset it is about). */
rules_tmpl_t *rules_tmpl_new (const char *text, char *err, size_t errlen, size_t *errpos);
void rules_tmpl_destroy (rules_tmpl_t **self_p);
/* Whether the template is plain text (no actions). */
int rules_tmpl_is_plain (const rules_tmpl_t *self);

typedef struct {
    const rules_labels_t *labels; /* the sample's */
    double value;
    const rules_labels_t *external_labels; /* may be NULL */
    const char *external_url;              /* may be NULL */
} rules_tmpl_data_t;

/* Appends the expansion to out (an expansion error is written into the
 * text, as Prometheus does). */
void rules_tmpl_expand (const rules_tmpl_t *self, const rules_tmpl_data_t *data, vg_buf_t *out);

#endif
