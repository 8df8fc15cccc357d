/*  vg_config_int.h - what the two halves of the config module share:
 *  vg_config.c (loading, document checks, nodes, lines, errors) and
 *  vg_config_value.c (values, defaults, option tables).
 *
 *  Private to the config module: only common/vg_config*.c include it. Names
 *  with a double underscore (vg_config__xxx) are not for other modules.
 */
#ifndef VG_CONFIG_INT_H
#define VG_CONFIG_INT_H

#include "vg_config.h"

#include <stddef.h>

#define VG_CONFIG__KEY_MAX 256 /* longest key path in messages */

struct vg_config_t {
    char *path; /* the name used in messages */
    char *dir;  /* directory of the file, for relative file: secrets; NULL from a string */
    char *text; /* the YAML source; the document points into it */
    struct fy_diag *diag;
    struct fy_parser *parser;
    struct fy_document *doc;
    struct s_meta_t *metas; /* one per node, in document order; vg_config.c's own */
    size_t nmetas;
};

/* A YAML null: no node, an empty plain scalar, ~ or null. */
int vg_config__is_null (struct fy_node *node);
/* Copies text into out for a message: at most 60 characters, control and
 * non-ASCII bytes escaped, so a message stays on one line. */
void vg_config__printable (const char *text, size_t len, char *out, size_t outlen);
/* What a node is, for "got ..." in messages: null, a mapping, "text"... */
void vg_config__describe (struct fy_node *node, char *out, size_t outlen);
/* "prefix.name", or "name" without a prefix. */
void vg_config__join_key (char *out, size_t outlen, const char *prefix, const char *name,
                          size_t namelen);
/* Formats "file:line: key: reason" into err (self NULL: no location; key NULL:
 * no key) and returns VG_EINVAL. */
int vg_config__error_at (vg_config_t *self, int line, const char *key, char *err, size_t errlen,
                         const char *fmt, ...) __attribute__ ((format (printf, 6, 7)));

#endif
