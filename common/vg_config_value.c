/*  vg_config_value.c - option values: parsing scalars (integers, numbers,
 *  booleans, durations, sizes, secrets), lists and labels; defaults; applying
 *  an option table to a mapping; printing the table. Loading the document and
 *  error messages are in vg_config.c.
 */
#include "vg_config.h"
#include "vg_config_int.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_time.h"

#include <libfyaml.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_MAX_SECRET (1024 * 1024)

/* A parsed scalar value, before it is stored in the target field. */
typedef union {
    char *s;
    int64_t i;
    double d;
    int b;
} s_value_t;

static const char *s_type_names[] = {"string",   "secret", "integer", "number", "bool",
                                     "duration", "size",   "list",    "labels", "custom"};

static const char *s_expected[] = {
    "a string",
    "a string (a value, env:NAME or file:PATH)",
    "an integer",
    "a number",
    "a boolean (true/false, yes/no, on/off)",
    "a duration like 10s or 500ms",
    "a size like 512, 64KB or 8MiB",
    "a string or a list of strings",
    "a mapping of label names to values",
    "a value",
};

/*  --------------------------------------------------------------------------
 *  Values
 */

static int
s_parse_int (const char *text, int64_t *out, const char **why)
{
    const char *p = text;
    if (*p == '+' || *p == '-')
        p++;
    if (*p < '0' || *p > '9') {
        *why = "";
        return VG_EINVAL;
    }
    char *end;
    errno = 0;
    long long v = strtoll (text, &end, 10);
    if (*end) {
        *why = "";
        return VG_EINVAL;
    }
    if (errno == ERANGE) {
        *why = " (out of range)";
        return VG_EINVAL;
    }
    *out = v;
    return VG_OK;
}

static int
s_parse_double (const char *text, double *out)
{
    /* strtod would also take leading blanks, hex, inf and nan: none belongs in a config. */
    const char *p = text;
    if (*p == '+' || *p == '-')
        p++;
    if (!((*p >= '0' && *p <= '9') || *p == '.') || strpbrk (text, "xX"))
        return VG_EINVAL;
    char *end;
    errno = 0;
    double v = strtod (text, &end);
    if (*end || errno == ERANGE || !isfinite (v))
        return VG_EINVAL;
    *out = v;
    return VG_OK;
}

static int
s_parse_bool (const char *text, int *out)
{
    static const char *yes[] = {"true", "yes", "on"}, *no[] = {"false", "no", "off"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp (text, yes[i]) == 0)
            return *out = 1, VG_OK;
        if (strcasecmp (text, no[i]) == 0)
            return *out = 0, VG_OK;
    }
    return VG_EINVAL;
}

/* Reads a secret file: a regular file (never a FIFO or device that could
 * block), one trailing newline stripped. */
static int
s_read_secret (const char *path, char **out, char *why, size_t whylen)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        snprintf (why, whylen, "cannot read secret file %s: %s", path, strerror (errno));
        return VG_EIO;
    }
    struct stat st;
    int rc = VG_EIO;
    char *data = NULL;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        snprintf (why, whylen, "cannot read secret file %s: not a regular file", path);
        goto out;
    }
    if (st.st_size > S_MAX_SECRET) {
        snprintf (why, whylen, "secret file %s is larger than %d KiB", path, S_MAX_SECRET >> 10);
        goto out;
    }
    data = vg_malloc ((size_t)st.st_size + 1);
    size_t len = 0;
    ssize_t n;
    while (len < (size_t)st.st_size && (n = read (fd, data + len, (size_t)st.st_size - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf (why, whylen, "cannot read secret file %s: %s", path, strerror (errno));
            goto out;
        }
        len += (size_t)n;
    }
    data[len] = '\0';
    if (len && data[len - 1] == '\n')
        data[--len] = '\0';
    if (len && data[len - 1] == '\r')
        data[--len] = '\0';
    *out = data;
    data = NULL;
    rc = VG_OK;
out:
    free (data);
    close (fd);
    return rc;
}

/* env:NAME, file:PATH or the text itself. A relative PATH is taken from the
 * configuration file's directory. */
static int
s_resolve_secret (vg_config_t *self, const char *text, char **out, char *why, size_t whylen)
{
    if (strncmp (text, "env:", 4) == 0) {
        const char *name = text + 4;
        if (!*name) {
            snprintf (why, whylen, "expected env:NAME with the name of an environment variable");
            return VG_EINVAL;
        }
        const char *value = getenv (name);
        if (!value) {
            char safe[VG_CONFIG__KEY_MAX];
            vg_config__printable (name, strlen (name), safe, sizeof safe);
            snprintf (why, whylen, "environment variable %s is not set", safe);
            return VG_ENOTFOUND;
        }
        *out = vg_strdup (value);
        return VG_OK;
    }
    /* A file:// URL is a value (a scrape target, say), not a secret file. */
    if (strncmp (text, "file:", 5) == 0 && strncmp (text, "file://", 7) != 0) {
        const char *path = text + 5;
        if (!*path) {
            snprintf (why, whylen, "expected file:PATH with the path of a file");
            return VG_EINVAL;
        }
        char *full = NULL;
        if (path[0] != '/' && self && self->dir)
            path = full = vg_asprintf ("%s%s", self->dir, path);
        int rc = s_read_secret (path, out, why, whylen);
        free (full);
        return rc;
    }
    *out = vg_strdup (text);
    return VG_OK;
}

/* Parses the text of a scalar option into v. On error fills why with the
 * reason, without the location. */
static int
s_parse_text (vg_config_t *self, const vg_option_t *opt, const char *text, s_value_t *v, char *why,
              size_t whylen)
{
    char got[256];
    vg_config__printable (text, strlen (text), got, sizeof got);
    const char *suffix = "";
    int rc = VG_OK;
    switch (opt->type) {
    case VG_OPT_STRING:
        v->s = vg_strdup (text);
        return VG_OK;
    case VG_OPT_SECRET:
        return s_resolve_secret (self, text, &v->s, why, whylen);
    case VG_OPT_INT:
        rc = s_parse_int (text, &v->i, &suffix);
        break;
    case VG_OPT_DOUBLE:
        rc = s_parse_double (text, &v->d);
        break;
    case VG_OPT_BOOL:
        rc = s_parse_bool (text, &v->b);
        break;
    case VG_OPT_DURATION:
        rc = vg_parse_duration_ms (text, &v->i);
        break;
    case VG_OPT_SIZE:
        rc = vg_parse_size (text, &v->i);
        break;
    default:
        snprintf (why, whylen, "not a scalar option");
        return VG_EINVAL;
    }
    if (rc != VG_OK)
        snprintf (why, whylen, "expected %s, got \"%s\"%s", s_expected[opt->type], got, suffix);
    return rc;
}

/* 90000 -> "90s", 3600000 -> "1h": a bound as a person writes it. */
static void
s_format_number (vg_opt_type_t type, double v, char *out, size_t outlen)
{
    if (type == VG_OPT_DURATION && v == floor (v) && fabs (v) < 9e18) {
        static const struct {
            const char *unit;
            int64_t ms;
        } units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
        int64_t ms = (int64_t)v;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (ms != 0 && ms % units[i].ms == 0) {
                snprintf (out, outlen, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
                return;
            }
        snprintf (out, outlen, "%lldms", (long long)ms);
    } else if (type == VG_OPT_SIZE && v == floor (v) && fabs (v) < 9e18) {
        static const char *units[] = {"GiB", "MiB", "KiB"};
        int64_t b = (int64_t)v;
        for (int i = 0; i < 3; i++) {
            int64_t m = (int64_t)1 << (10 * (3 - i));
            if (b != 0 && b % m == 0) {
                snprintf (out, outlen, "%lld%s", (long long)(b / m), units[i]);
                return;
            }
        }
        snprintf (out, outlen, "%lld", (long long)b);
    } else if (type == VG_OPT_DOUBLE)
        snprintf (out, outlen, "%g", v);
    else
        snprintf (out, outlen, "%.0f", v);
}

static int
s_has_bounds (const vg_option_t *opt)
{
    return opt->min != opt->max && (opt->type == VG_OPT_INT || opt->type == VG_OPT_DOUBLE ||
                                    opt->type == VG_OPT_DURATION || opt->type == VG_OPT_SIZE);
}

/* The size of a scalar option's field. */
static size_t
s_field_size (vg_opt_type_t type)
{
    switch (type) {
    case VG_OPT_STRING:
    case VG_OPT_SECRET:
        return sizeof (char *);
    case VG_OPT_DOUBLE:
        return sizeof (double);
    case VG_OPT_BOOL:
        return sizeof (int);
    default:
        return sizeof (int64_t);
    }
}

/* Frees what a field owns and leaves it empty. */
static void
s_clear_field (const vg_option_t *opt, void *field)
{
    if (opt->type == VG_OPT_STRING_LIST)
        vg_strlist_free (field);
    else if (opt->type == VG_OPT_LABELS)
        vg_labels_free (field);
    else if (opt->type == VG_OPT_CUSTOM) {
        if (opt->free)
            opt->free (field);
    } else {
        if (opt->type == VG_OPT_STRING || opt->type == VG_OPT_SECRET)
            free (*(char **)field);
        memset (field, 0, s_field_size (opt->type));
    }
}

/* Replaces a scalar option's field with v (each member of the union starts
 * at its beginning). */
static void
s_store (const vg_option_t *opt, void *field, const s_value_t *v)
{
    s_clear_field (opt, field);
    memcpy (field, v, s_field_size (opt->type));
}

/* The text of a scalar that must be one, or an error naming key. */
static int
s_scalar_text (vg_config_t *self, struct fy_node *node, const char *key, const char *expected,
               char **out, char *err, size_t errlen)
{
    size_t len = 0;
    const char *text = vg_cnode_scalar (node, &len);
    if (!text) {
        char what[64];
        vg_config__describe (node, what, sizeof what);
        return vg_config_error (self, node, key, err, errlen, "expected %s, got %s", expected,
                                what);
    }
    if (memchr (text, '\0', len))
        return vg_config_error (self, node, key, err, errlen, "expected %s, got text with a NUL",
                                expected);
    *out = vg_strndup (text, len);
    return VG_OK;
}

static int
s_parse_list (vg_config_t *self, struct fy_node *node, const char *key, vg_strlist_t *list,
              char *err, size_t errlen)
{
    vg_strlist_t tmp = {NULL, 0};
    int rc = VG_OK;
    if (!vg_cnode_is_seq (node)) {
        char *one = NULL;
        rc = s_scalar_text (self, node, key, s_expected[VG_OPT_STRING_LIST], &one, err, errlen);
        if (rc != VG_OK)
            return rc;
        tmp.items = vg_malloc (sizeof *tmp.items);
        tmp.items[tmp.n++] = one;
    } else {
        size_t n = vg_cnode_seq_len (node);
        tmp.items = n ? vg_calloc (n, sizeof *tmp.items) : NULL;
        void *iter = NULL;
        struct fy_node *item;
        while (rc == VG_OK && tmp.n < n && (item = fy_node_sequence_iterate (node, &iter))) {
            char ikey[VG_CONFIG__KEY_MAX];
            snprintf (ikey, sizeof ikey, "%s[%zu]", key, tmp.n);
            char *text = NULL;
            if (vg_config__is_null (item)) {
                rc = vg_config_error (self, item, ikey, err, errlen, "expected a string, got null");
                break;
            }
            rc = s_scalar_text (self, item, ikey, "a string", &text, err, errlen);
            if (rc == VG_OK)
                tmp.items[tmp.n++] = text;
        }
    }
    if (rc != VG_OK) {
        vg_strlist_free (&tmp);
        return rc;
    }
    vg_strlist_free (list);
    *list = tmp;
    return VG_OK;
}

static int
s_parse_labels (vg_config_t *self, struct fy_node *node, const char *key, vg_labels_t *labels,
                char *err, size_t errlen)
{
    if (!vg_cnode_is_map (node)) {
        char what[64];
        vg_config__describe (node, what, sizeof what);
        return vg_config_error (self, node, key, err, errlen, "expected %s, got %s",
                                s_expected[VG_OPT_LABELS], what);
    }
    int n = fy_node_mapping_item_count (node);
    vg_labels_t tmp = {NULL, 0};
    tmp.items = n > 0 ? vg_calloc ((size_t)n, sizeof *tmp.items) : NULL;
    int rc = VG_OK;
    void *iter = NULL;
    struct fy_node_pair *pair;
    while (rc == VG_OK && tmp.n < (size_t)(n > 0 ? n : 0) &&
           (pair = fy_node_mapping_iterate (node, &iter))) {
        struct fy_node *knode = fy_node_pair_key (pair), *vnode = fy_node_pair_value (pair);
        size_t klen = 0;
        const char *ktext = vg_cnode_scalar (knode, &klen);
        char lkey[VG_CONFIG__KEY_MAX];
        vg_config__join_key (lkey, sizeof lkey, key, ktext ? ktext : "", ktext ? klen : 0);
        char *name = NULL, *value = NULL;
        rc = s_scalar_text (self, knode, key, "a label name", &name, err, errlen);
        if (rc == VG_OK && !*name)
            rc = vg_config_error (self, knode, key, err, errlen, "a label name must not be empty");
        if (rc == VG_OK && vg_config__is_null (vnode))
            rc = vg_config_error (self, knode, lkey, err, errlen,
                                  "expected a label value, got null");
        if (rc == VG_OK)
            rc = s_scalar_text (self, vnode, lkey, "a label value", &value, err, errlen);
        if (rc != VG_OK) {
            free (name);
            free (value);
            break;
        }
        tmp.items[tmp.n].key = name;
        tmp.items[tmp.n].value = value;
        tmp.n++;
    }
    if (rc != VG_OK) {
        vg_labels_free (&tmp);
        return rc;
    }
    vg_labels_free (labels);
    *labels = tmp;
    return VG_OK;
}

/* Parses a non-null node into field. */
static int
s_parse_node (vg_config_t *self, struct fy_node *node, const vg_option_t *opt, const char *key,
              void *field, int check_bounds, char *err, size_t errlen)
{
    switch (opt->type) {
    case VG_OPT_STRING_LIST:
        return s_parse_list (self, node, key, field, err, errlen);
    case VG_OPT_LABELS:
        return s_parse_labels (self, node, key, field, err, errlen);
    case VG_OPT_CUSTOM:
        if (!opt->parse)
            return vg_config_error (self, node, key, err, errlen, "no parser for this option");
        s_clear_field (opt, field);
        return opt->parse (self, node, key, field, err, errlen);
    default:
        break;
    }
    char *text = NULL;
    int rc = s_scalar_text (self, node, key, s_expected[opt->type], &text, err, errlen);
    if (rc != VG_OK)
        return rc;
    char why[512];
    s_value_t v;
    memset (&v, 0, sizeof v);
    rc = s_parse_text (self, opt, text, &v, why, sizeof why);
    if (rc != VG_OK) {
        free (text);
        return vg_config_error (self, node, key, err, errlen, "%s", why);
    }
    if (check_bounds && s_has_bounds (opt)) {
        double x = opt->type == VG_OPT_DOUBLE ? v.d : (double)v.i;
        if (x < opt->min || x > opt->max) {
            char lo[64], hi[64], got[256];
            s_format_number (opt->type, opt->min, lo, sizeof lo);
            s_format_number (opt->type, opt->max, hi, sizeof hi);
            vg_config__printable (text, strlen (text), got, sizeof got);
            free (text);
            return vg_config_error (self, node, key, err, errlen,
                                    "must be between %s and %s, got \"%s\"", lo, hi, got);
        }
    }
    free (text);
    s_store (opt, field, &v);
    return VG_OK;
}

/* Sets field to the option's default, or empties it when there is none.
 * Scalar defaults are taken as text; lists, labels and custom options are
 * parsed as YAML ("[a, b]", "{role: web}"). A secret default that cannot be
 * resolved (an unset variable) leaves the field empty. */
static int
s_set_default (vg_config_t *self, const vg_option_t *opt, const char *key, void *field, int line,
               char *err, size_t errlen)
{
    if (!opt->def) {
        s_clear_field (opt, field);
        if (opt->required)
            return vg_config__error_at (self, line, key, err, errlen, "required");
        return VG_OK;
    }
    char why[512];
    int rc;
    if (opt->type == VG_OPT_STRING_LIST || opt->type == VG_OPT_LABELS ||
        opt->type == VG_OPT_CUSTOM) {
        char name[VG_CONFIG__KEY_MAX + 16];
        snprintf (name, sizeof name, "default of %s", key);
        vg_config_t *def = vg_config_load_string (name, opt->def, why, sizeof why);
        if (!def)
            return vg_config__error_at (NULL, 0, NULL, err, errlen, "%s", why);
        struct fy_node *root = vg_config_root (def);
        if (root)
            rc = s_parse_node (def, root, opt, key, field, 0, err, errlen);
        else {
            s_clear_field (opt, field);
            rc = VG_OK;
        }
        vg_config_destroy (&def);
        return rc;
    }
    s_value_t v;
    memset (&v, 0, sizeof v);
    rc = s_parse_text (self, opt, opt->def, &v, why, sizeof why);
    if (rc != VG_OK && opt->type == VG_OPT_SECRET) {
        s_clear_field (opt, field);
        if (opt->required)
            return vg_config__error_at (self, line, key, err, errlen, "required (the default: %s)",
                                        why);
        return VG_OK;
    }
    if (rc != VG_OK)
        return vg_config__error_at (NULL, 0, key, err, errlen, "bad default: %s", why);
    s_store (opt, field, &v);
    return VG_OK;
}

int
vg_config_parse_value (vg_config_t *self, vg_cnode_t *node, const vg_option_t *opt, const char *key,
                       void *field, char *err, size_t errlen)
{
    if (vg_config__is_null (node))
        return s_set_default (self, opt, key, field, vg_config_line (node), err, errlen);
    return s_parse_node (self, node, opt, key, field, 1, err, errlen);
}

int
vg_config_defaults (const vg_option_t *opts, void *target, char *err, size_t errlen)
{
    for (const vg_option_t *opt = opts; opt && opt->name; opt++) {
        int rc = s_set_default (NULL, opt, opt->name, (char *)target + opt->offset, 0, err, errlen);
        if (rc != VG_OK)
            return rc;
    }
    return VG_OK;
}

static int
s_unknown_key (vg_config_t *self, struct fy_node *knode, const char *key, const vg_option_t *opts,
               const char *const *skip, char *err, size_t errlen)
{
    vg_buf_t known = {0};
    for (const vg_option_t *opt = opts; opt && opt->name; opt++)
        vg_buf_printf (&known, "%s%s", known.len ? ", " : "", opt->name);
    for (size_t i = 0; skip && skip[i]; i++)
        vg_buf_printf (&known, "%s%s", known.len ? ", " : "", skip[i]);
    int rc = vg_config_error (self, knode, key, err, errlen, "unknown key (known: %s)",
                              known.len ? known.data : "none");
    vg_buf_free (&known);
    return rc;
}

int
vg_config_apply (vg_config_t *self, vg_cnode_t *map, const vg_option_t *opts,
                 const char *const *skip, void *target, const char *key_prefix, char *err,
                 size_t errlen)
{
    char key[VG_CONFIG__KEY_MAX];
    if (map && !vg_config__is_null (map) && !vg_cnode_is_map (map)) {
        char what[64];
        vg_config__describe (map, what, sizeof what);
        return vg_config_error (self, map, key_prefix, err, errlen,
                                "expected a mapping of options, got %s", what);
    }
    if (vg_config__is_null (map))
        map = NULL;
    size_t nopts = 0;
    while (opts && opts[nopts].name)
        nopts++;
    unsigned char *seen = vg_calloc (nopts + 1, 1);
    int rc = VG_OK;
    void *iter = NULL;
    struct fy_node_pair *pair;
    while (map && rc == VG_OK && (pair = fy_node_mapping_iterate (map, &iter))) {
        struct fy_node *knode = fy_node_pair_key (pair);
        size_t len = 0;
        const char *name = vg_cnode_scalar (knode, &len);
        if (!name)
            name = "";
        vg_config__join_key (key, sizeof key, key_prefix, name, len);
        int skipped = 0;
        for (size_t i = 0; skip && skip[i] && !skipped; i++)
            skipped = strlen (skip[i]) == len && memcmp (skip[i], name, len) == 0;
        if (skipped)
            continue;
        size_t k = 0;
        while (k < nopts && !(strlen (opts[k].name) == len && !memcmp (opts[k].name, name, len)))
            k++;
        if (k == nopts) {
            rc = s_unknown_key (self, knode, key, opts, skip, err, errlen);
            break;
        }
        if (seen[k]) {
            rc = vg_config_error (self, knode, key, err, errlen, "duplicate key");
            break;
        }
        seen[k] = 1;
        struct fy_node *value = fy_node_pair_value (pair);
        void *field = (char *)target + opts[k].offset;
        if (vg_config__is_null (value))
            rc = s_set_default (self, &opts[k], key, field, vg_config_line (knode), err, errlen);
        else
            rc = s_parse_node (self, value, &opts[k], key, field, 1, err, errlen);
    }
    int map_line = map ? vg_config_line (map) : 1;
    for (size_t k = 0; rc == VG_OK && k < nopts; k++)
        if (!seen[k]) {
            vg_config__join_key (key, sizeof key, key_prefix, opts[k].name, strlen (opts[k].name));
            rc = s_set_default (self, &opts[k], key, (char *)target + opts[k].offset, map_line, err,
                                errlen);
        }
    free (seen);
    return rc;
}

void
vg_config_free_fields (const vg_option_t *opts, void *target)
{
    if (!target)
        return;
    for (const vg_option_t *opt = opts; opt && opt->name; opt++)
        s_clear_field (opt, (char *)target + opt->offset);
}

void
vg_strlist_free (vg_strlist_t *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++)
        free (list->items[i]);
    free (list->items);
    list->items = NULL;
    list->n = 0;
}

void
vg_labels_free (vg_labels_t *labels)
{
    if (!labels)
        return;
    for (size_t i = 0; i < labels->n; i++) {
        free ((char *)labels->items[i].key);
        free ((char *)labels->items[i].value);
    }
    free (labels->items);
    labels->items = NULL;
    labels->n = 0;
}

void
vg_config_print_options (const vg_option_t *opts, const char *indent)
{
    size_t wname = 0, wtype = 0, wdef = 0, wbounds = 0, n = 0;
    for (const vg_option_t *opt = opts; opt && opt->name; opt++, n++) {
        if (strlen (opt->name) > wname)
            wname = strlen (opt->name);
        if (strlen (s_type_names[opt->type]) > wtype)
            wtype = strlen (s_type_names[opt->type]);
    }
    if (n == 0) {
        printf ("%s(no options)\n", indent ? indent : "");
        return;
    }
    char (*defs)[96] = vg_calloc (n, sizeof *defs);
    char (*bounds)[96] = vg_calloc (n, sizeof *bounds);
    for (size_t i = 0; i < n; i++) {
        const vg_option_t *opt = &opts[i];
        if (opt->def)
            snprintf (defs[i], sizeof defs[i], "default %s", *opt->def ? opt->def : "\"\"");
        else if (opt->required)
            snprintf (defs[i], sizeof defs[i], "required");
        if (s_has_bounds (opt)) {
            char lo[40], hi[40];
            s_format_number (opt->type, opt->min, lo, sizeof lo);
            s_format_number (opt->type, opt->max, hi, sizeof hi);
            snprintf (bounds[i], sizeof bounds[i], "%s..%s", lo, hi);
        }
        if (strlen (defs[i]) > wdef)
            wdef = strlen (defs[i]);
        if (strlen (bounds[i]) > wbounds)
            wbounds = strlen (bounds[i]);
    }
    for (size_t i = 0; i < n; i++) {
        vg_buf_t line = {0};
        vg_buf_printf (&line, "%s%-*s  %-*s  %-*s  %-*s  %s", indent ? indent : "", (int)wname,
                       opts[i].name, (int)wtype, s_type_names[opts[i].type], (int)wdef, defs[i],
                       (int)wbounds, bounds[i], opts[i].help ? opts[i].help : "");
        while (line.len && line.data[line.len - 1] == ' ')
            line.data[--line.len] = '\0';
        printf ("%s\n", line.data);
        vg_buf_free (&line);
    }
    free (defs);
    free (bounds);
}
