/*  vg_config.h - YAML configuration through libfyaml, driven by option tables.
 *
 *  Every error names file, line and key:   agent.yaml:12: inputs[0].interval: expected a duration like 10s
 *  Unknown keys are errors, so a typo never silently falls back to a default.
 *  Secrets are never written in a file: a VG_OPT_SECRET value "env:NAME" is
 *  read from the environment and "file:PATH" from a file (one trailing newline
 *  stripped; a relative PATH is taken from the configuration file's directory;
 *  a file:// URL is taken as it is).
 *  An explicit YAML null (~, null or nothing after the colon) means "use the
 *  default", as if the key were absent.
 */
#ifndef VG_CONFIG_H
#define VG_CONFIG_H

#include "vg_batch.h"

#include <stddef.h>
#include <stdint.h>

struct fy_node;
typedef struct fy_node vg_cnode_t;
typedef struct vg_config_t vg_config_t;

typedef enum {
    VG_OPT_STRING,      /* char *, owned */
    VG_OPT_SECRET,      /* char *, owned; "env:NAME" / "file:PATH" resolved */
    VG_OPT_INT,         /* int64_t */
    VG_OPT_DOUBLE,      /* double */
    VG_OPT_BOOL,        /* int: true/false, yes/no, on/off */
    VG_OPT_DURATION,    /* int64_t milliseconds: "250ms", "10s", "5m" */
    VG_OPT_SIZE,        /* int64_t bytes: "64KB", "8MiB" */
    VG_OPT_STRING_LIST, /* vg_strlist_t: a sequence of scalars, or one scalar */
    VG_OPT_LABELS,      /* vg_labels_t: a mapping of scalar to scalar */
    VG_OPT_CUSTOM,      /* parsed by option.parse */
} vg_opt_type_t;

typedef struct {
    char **items; /* owned */
    size_t n;
} vg_strlist_t;

typedef struct {
    vg_label_t *items; /* keys and values owned */
    size_t n;
} vg_labels_t;

typedef struct vg_option_t vg_option_t;
struct vg_option_t {
    const char *name;
    vg_opt_type_t type;
    const char *def; /* default, written as in YAML ("10s", "true"); NULL: none.
                        Lists, labels and custom options take YAML ("[a, b]",
                        "{role: web}"); a secret default that cannot be resolved
                        (unset variable) leaves the field NULL. */
    double min, max; /* bounds for numbers, durations (ms) and sizes; min == max: none */
    size_t offset;   /* of the field in the target struct */
    int required;
    const char *help; /* one line, for --help and docs */
    /* VG_OPT_CUSTOM: parse node into field; on error fill err (use vg_config_error).
     * free (may be NULL) releases the field and leaves it empty; it is called
     * before parse replaces a value. A node from a default does not outlive parse. */
    int (*parse) (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
                  size_t errlen);
    void (*free) (void *field);
};
/* Tables end with an entry whose name is NULL. */

/* Loads and parses a YAML file. On error returns NULL and fills err
 * ("file:line: reason"). */
vg_config_t *vg_config_load_file (const char *path, char *err, size_t errlen);
/* The same from memory; name stands for the file name in messages. */
vg_config_t *vg_config_load_string (const char *name, const char *yaml, char *err, size_t errlen);
void vg_config_destroy (vg_config_t **self_p);

/* The document's root node; NULL when the document is empty. */
vg_cnode_t *vg_config_root (vg_config_t *self);
const char *vg_config_path (vg_config_t *self);
/* 1-based line of a node, 0 if unknown. */
int vg_config_line (vg_cnode_t *node);
/* Where a node's source text is: 1-based line and column of its start, and
 * its bytes [pos, end) in vg_config_text (for a quoted scalar, inside the
 * quotes; for a block scalar, from its first content line), for messages
 * that point inside a value. Returns 0, or -1 when unknown (all set to 0). */
int vg_config_span (vg_cnode_t *node, int *line, int *column, size_t *pos, size_t *end);
/* The document's text as loaded. */
const char *vg_config_text (vg_config_t *self);

/* Sets every option's default, then parses each key of the mapping map into
 * target. key_prefix ("inputs[0]") is put before key names in messages; may be
 * NULL. Keys listed in skip (NULL-terminated, may be NULL) are left for the
 * caller. Unknown keys, missing required keys, wrong types and out-of-range
 * values fail with VG_EINVAL and a "file:line: key: reason" message.
 * The target's fields must be zero or set by an earlier apply: what they own
 * is freed when replaced. On error the target may be partly set; free it
 * with vg_config_free_fields. map may be NULL (an empty document). */
int vg_config_apply (vg_config_t *self, vg_cnode_t *map, const vg_option_t *opts,
                     const char *const *skip, void *target, const char *key_prefix, char *err,
                     size_t errlen);
/* Sets defaults only (no document). Fails like vg_config_apply when a
 * required option has no default. */
int vg_config_defaults (const vg_option_t *opts, void *target, char *err, size_t errlen);
/* Frees the owned fields vg_config_apply set. */
void vg_config_free_fields (const vg_option_t *opts, void *target);

/* For custom parsers and callers walking the document. */
vg_cnode_t *vg_cnode_get (vg_cnode_t *map, const char *key); /* NULL if absent */
/* The scalar's text (not NUL-terminated), or NULL if the node is not a scalar. */
const char *vg_cnode_scalar (vg_cnode_t *node, size_t *len);
/* Caller owns the copy; NULL if not a scalar. */
char *vg_cnode_strdup (vg_cnode_t *node);
int vg_cnode_is_map (vg_cnode_t *node);
int vg_cnode_is_seq (vg_cnode_t *node);
size_t vg_cnode_seq_len (vg_cnode_t *node);
vg_cnode_t *vg_cnode_seq_at (vg_cnode_t *node, size_t i);
/* Parses one node as the given option type into field (a null node gives the
 * default); bounds are checked. On error a scalar, list or labels field is
 * left as it was. */
int vg_config_parse_value (vg_config_t *self, vg_cnode_t *node, const vg_option_t *opt,
                           const char *key, void *field, char *err, size_t errlen);

/* Formats "file:line: key: reason" into err and returns VG_EINVAL. */
int vg_config_error (vg_config_t *self, vg_cnode_t *node, const char *key, char *err,
                     size_t errlen, const char *fmt, ...) __attribute__ ((format (printf, 6, 7)));

void vg_strlist_free (vg_strlist_t *list);
void vg_labels_free (vg_labels_t *labels);

/* Prints one aligned line per option to stdout, for --help and docs:
 * indent, name, type, "default X" or "required", bounds ("1s..1h") and help. */
void vg_config_print_options (const vg_option_t *opts, const char *indent);

#endif
