/*  vg_config.c - YAML configuration through libfyaml, driven by option tables.
 *
 *  The document is checked once when loaded (one document, no aliases, scalar
 *  keys, no duplicate keys: each reported with its full key path), so the
 *  option tables only deal with types, bounds, defaults and unknown keys.
 */
#include "vg_config.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_time.h"

#include <libfyaml.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_MAX_FILE   (16 * 1024 * 1024) /* a config file larger than this is a mistake */
#define S_MAX_SECRET (1024 * 1024)
#define S_KEY_MAX    256

struct vg_config_t {
    char *path; /* the name used in messages */
    char *dir;  /* directory of the file, for relative file: secrets; NULL from a string */
    char *text; /* the YAML source; the document points into it */
    struct fy_diag *diag;
    struct fy_parser *parser;
    struct fy_document *doc;
    struct s_meta_t *metas; /* one per node, in document order */
    size_t nmetas;
};

/* What a node's meta data points to. */
typedef struct s_meta_t {
    int line;   /* 1-based */
    char *text; /* a single-quoted scalar's text, decoded here (see s_unquote) */
    size_t len;
} s_meta_t;

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

static int s_check_node (vg_config_t *self, struct fy_node *node, char *path, char *err,
                         size_t errlen);

/*  --------------------------------------------------------------------------
 *  Nodes and lines
 */

static int
s_is_scalar (struct fy_node *node)
{
    return node && fy_node_get_type (node) == FYNT_SCALAR && !fy_node_is_alias (node);
}

/* A scalar's text. libfyaml 0.7.12 gets single-quoted scalars with two ''
 * escapes in a row wrong (and leaks), so those come from s_unquote. */
static const char *
s_text (struct fy_node *node, size_t *len)
{
    const s_meta_t *meta = fy_node_get_meta (node);
    if (meta && meta->text) {
        *len = meta->len;
        return meta->text;
    }
    return fy_node_get_scalar (node, len);
}

/* A YAML null: an empty plain scalar, ~ or null. */
static int
s_is_null (struct fy_node *node)
{
    if (!node)
        return 1;
    if (!s_is_scalar (node))
        return 0;
    if (fy_node_get_style (node) != FYNS_PLAIN)
        return 0;
    size_t len = 0;
    const char *text = s_text (node, &len);
    if (!text || len == 0)
        return 1;
    static const char *nulls[] = {"~", "null", "Null", "NULL"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (len == strlen (nulls[i]) && memcmp (text, nulls[i], len) == 0)
            return 1;
    return 0;
}

int
vg_config_line (vg_cnode_t *node)
{
    const s_meta_t *meta = node ? fy_node_get_meta (node) : NULL;
    return meta ? meta->line : 0;
}

/* Decodes the inside of a single-quoted scalar: '' is a quote; a line break
 * folds to a space, or to n newlines over n empty lines; white space around
 * breaks goes (YAML 1.2, 7.3.2). */
static char *
s_unquote (const char *raw, size_t rawlen, size_t *outlen)
{
    char *out = vg_malloc (rawlen + 1);
    size_t o = 0;
    for (size_t i = 0; i < rawlen; i++) {
        if (raw[i] == '\'' && i + 1 < rawlen && raw[i + 1] == '\'') {
            out[o++] = raw[i++];
        } else if (raw[i] == '\n' || raw[i] == '\r') {
            while (o && (out[o - 1] == ' ' || out[o - 1] == '\t'))
                o--;
            size_t breaks = 0;
            for (; i < rawlen && strchr (" \t\r\n", raw[i]); i++)
                breaks += raw[i] == '\n';
            if (breaks <= 1)
                out[o++] = ' ';
            for (size_t k = 1; k < breaks; k++)
                out[o++] = '\n';
            i--;
        } else
            out[o++] = raw[i];
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* Points each node's meta data at its s_meta_t, in a pre-order walk. */
static void
s_assign_metas (vg_config_t *self, struct fy_node *node, size_t *i)
{
    if (!node)
        return;
    if (*i < self->nmetas)
        fy_node_set_meta (node, &self->metas[*i]);
    (*i)++;
    void *iter = NULL;
    if (fy_node_get_type (node) == FYNT_MAPPING) {
        struct fy_node_pair *pair;
        while ((pair = fy_node_mapping_iterate (node, &iter))) {
            s_assign_metas (self, fy_node_pair_key (pair), i);
            s_assign_metas (self, fy_node_pair_value (pair), i);
        }
    } else if (fy_node_get_type (node) == FYNT_SEQUENCE) {
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate (node, &iter)))
            s_assign_metas (self, item, i);
    }
}

/* libfyaml keeps marks only for scalars, so the text is parsed a second time
 * for the events' marks, which come in the order of a pre-order walk of the
 * document. Single-quoted scalars are decoded on the way. */
static void
s_mark_lines (vg_config_t *self, const struct fy_parse_cfg *pcfg)
{
    struct fy_parser *parser = fy_parser_create (pcfg);
    if (!parser)
        return;
    size_t cap = 0;
    struct fy_event *ev;
    int done = fy_parser_set_string (parser, self->text, strlen (self->text)) != 0;
    while (!done && (ev = fy_parser_parse (parser))) {
        done = ev->type == FYET_DOCUMENT_END;
        if (ev->type == FYET_SCALAR || ev->type == FYET_ALIAS || ev->type == FYET_MAPPING_START ||
            ev->type == FYET_SEQUENCE_START) {
            const struct fy_mark *mark = fy_event_start_mark (ev), *end = fy_event_end_mark (ev);
            VG_GROW (self->metas, cap, self->nmetas + 1);
            s_meta_t *meta = &self->metas[self->nmetas];
            memset (meta, 0, sizeof *meta);
            /* An empty value has no mark: it sits on its key's line. */
            meta->line = mark ? mark->line + 1 : self->nmetas ? meta[-1].line : 1;
            if (ev->type == FYET_SCALAR && mark && end && end->input_pos >= mark->input_pos &&
                fy_token_scalar_style (ev->scalar.value) == FYSS_SINGLE_QUOTED)
                meta->text = s_unquote (self->text + mark->input_pos,
                                        end->input_pos - mark->input_pos, &meta->len);
            self->nmetas++;
        }
        fy_parser_event_free (parser, ev);
    }
    size_t i = 0;
    s_assign_metas (self, fy_document_root (self->doc), &i);
    fy_parser_destroy (parser);
}

/* Copies text into out for a message: at most 60 characters, control and
 * non-ASCII bytes escaped, so a message stays on one line. */
static void
s_printable (const char *text, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < outlen; i++) {
        unsigned char c = (unsigned char)text[i];
        if (i == 60) {
            o += (size_t)snprintf (out + o, outlen - o, "...");
            break;
        }
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            o += (size_t)snprintf (out + o, outlen - o, c == '"' || c == '\\' ? "\\%c" : "\\x%02x",
                                   c);
        else
            out[o++] = (char)c;
    }
    out[o < outlen ? o : outlen - 1] = '\0';
}

/* What a node is, for "got ..." in messages. */
static void
s_describe (struct fy_node *node, char *out, size_t outlen)
{
    enum fy_node_type type = node ? fy_node_get_type (node) : FYNT_SCALAR;
    const char *what = s_is_null (node)          ? "null"
                       : type == FYNT_MAPPING    ? "a mapping"
                       : type == FYNT_SEQUENCE   ? "a sequence"
                       : fy_node_is_alias (node) ? "an alias"
                                                 : NULL;
    if (what) {
        snprintf (out, outlen, "%s", what);
        return;
    }
    size_t len = 0;
    const char *text = s_text (node, &len);
    char buf[256];
    s_printable (text ? text : "", text ? len : 0, buf, sizeof buf);
    snprintf (out, outlen, "\"%s\"", buf);
}

/* "prefix.name", or "name" without a prefix. */
static void
s_join_key (char *out, size_t outlen, const char *prefix, const char *name, size_t namelen)
{
    char safe[S_KEY_MAX];
    s_printable (name, namelen, safe, sizeof safe);
    if (prefix && *prefix)
        snprintf (out, outlen, "%s.%s", prefix, safe);
    else
        snprintf (out, outlen, "%s", safe);
}

/*  --------------------------------------------------------------------------
 *  Errors
 */

static int s_verror (vg_config_t *self, int line, const char *key, char *err, size_t errlen,
                     const char *fmt, va_list ap) __attribute__ ((format (printf, 6, 0)));

static int
s_verror (vg_config_t *self, int line, const char *key, char *err, size_t errlen, const char *fmt,
          va_list ap)
{
    if (!err || errlen == 0)
        return VG_EINVAL;
    size_t used = 0;
    int n = 0;
    if (self)
        n = snprintf (err, errlen, "%s:%d: ", self->path, line > 0 ? line : 1);
    if (n > 0)
        used = (size_t)n < errlen ? (size_t)n : errlen - 1;
    if (key && *key && used < errlen - 1) {
        n = snprintf (err + used, errlen - used, "%s: ", key);
        if (n > 0)
            used += (size_t)n < errlen - used ? (size_t)n : errlen - used - 1;
    }
    if (used < errlen - 1)
        vsnprintf (err + used, errlen - used, fmt, ap);
    return VG_EINVAL;
}

static int s_error_at (vg_config_t *self, int line, const char *key, char *err, size_t errlen,
                       const char *fmt, ...) __attribute__ ((format (printf, 6, 7)));

static int
s_error_at (vg_config_t *self, int line, const char *key, char *err, size_t errlen, const char *fmt,
            ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_verror (self, line, key, err, errlen, fmt, ap);
    va_end (ap);
    return VG_EINVAL;
}

int
vg_config_error (vg_config_t *self, vg_cnode_t *node, const char *key, char *err, size_t errlen,
                 const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    s_verror (self, vg_config_line (node), key, err, errlen, fmt, ap);
    va_end (ap);
    return VG_EINVAL;
}

/*  --------------------------------------------------------------------------
 *  Loading
 */

static void
s_diag_discard (struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag, (void)user, (void)buf, (void)len;
}

/* The first line that is not blank, a comment, a directive or a document
 * marker; 0 if there is none, that is, the document is really empty. */
static int
s_first_content_line (const char *text)
{
    int line = 1;
    for (const char *p = text; *p; line++) {
        const char *end = strchr (p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen (p);
        size_t i = 0;
        while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
            i++;
        int blank = i == len || p[i] == '#' || p[i] == '%' ||
                    (len - i >= 3 && (!strncmp (p + i, "---", 3) || !strncmp (p + i, "...", 3)));
        if (!blank)
            return line;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* The line of the first byte that is not valid UTF-8, 0 if all are. Checked
 * before parsing: libfyaml 0.7.12 loops forever on a directive line holding
 * invalid UTF-8, and a message with a line beats a parse error later. */
static int
s_bad_utf8_line (const unsigned char *p)
{
    int line = 1;
    while (*p) {
        unsigned c = *p, n = c < 0x80             ? 0
                             : (c & 0xe0) == 0xc0 ? 1
                             : (c & 0xf0) == 0xe0 ? 2
                             : (c & 0xf8) == 0xf0 ? 3
                                                  : 9;
        if (n == 9 || (n == 1 && c < 0xc2) || (n == 3 && c > 0xf4))
            return line;
        unsigned cp = n ? c & (0x3f >> n) : c;
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return line;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return line;
        line += c == '\n';
        p += n + 1;
    }
    return 0;
}

static vg_config_t *
s_load (const char *name, const char *dir, char *text, char *err, size_t errlen)
{
    vg_config_t *self = vg_calloc (1, sizeof *self);
    self->path = vg_strdup (name ? name : "(config)");
    self->dir = vg_strdup (dir);
    self->text = text;

    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default (&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = s_diag_discard;
    dcfg.colorize = false;
    self->diag = fy_diag_create (&dcfg);
    if (!self->diag) {
        s_error_at (self, 1, NULL, err, errlen, "cannot set up the YAML parser");
        goto fail;
    }
    fy_diag_set_collect_errors (self->diag, true);
    int bad = s_bad_utf8_line ((const unsigned char *)self->text);
    if (bad) {
        s_error_at (self, bad, NULL, err, errlen, "not valid UTF-8 text");
        goto fail;
    }
    /* Duplicate keys are found by s_check_node, which can name the full key. */
    struct fy_parse_cfg pcfg = {.search_path = NULL,
                                .flags = FYPCF_QUIET | FYPCF_ALLOW_DUPLICATE_KEYS,
                                .userdata = NULL,
                                .diag = self->diag};
    self->parser = fy_parser_create (&pcfg);
    if (!self->parser || fy_parser_set_string (self->parser, self->text, strlen (self->text))) {
        s_error_at (self, 1, NULL, err, errlen, "cannot set up the YAML parser");
        goto fail;
    }
    self->doc = fy_parse_load_document (self->parser);
    int second = 0; /* the line of a second document */
    struct fy_document *next = self->doc ? fy_parse_load_document (self->parser) : NULL;
    if (next) {
        struct fy_document_state *state = fy_document_get_document_state (next);
        const struct fy_mark *mark = state ? fy_document_state_start_mark (state) : NULL;
        second = mark ? mark->line + 1 : 1;
        fy_parse_document_destroy (self->parser, next);
    }
    void *iter = NULL;
    struct fy_diag_error *derr;
    while ((derr = fy_diag_errors_iterate (self->diag, &iter)))
        if (derr->type >= FYET_ERROR) {
            /* libfyaml's diagnostic lines are 1-based already. */
            s_error_at (self, derr->line, NULL, err, errlen, "%s",
                        derr->msg ? derr->msg : "invalid YAML");
            goto fail;
        }
    if (second) {
        s_error_at (self, second, NULL, err, errlen,
                    "a second YAML document; a configuration file holds exactly one");
        goto fail;
    }
    /* libfyaml can give up without a diagnostic. */
    int content = s_first_content_line (self->text);
    if (fy_parser_get_stream_error (self->parser) || (!self->doc && content)) {
        s_error_at (self, content, NULL, err, errlen, "not valid YAML");
        goto fail;
    }
    if (!self->doc)
        return self; /* empty */
    char path[S_KEY_MAX] = "";
    s_mark_lines (self, &pcfg);
    if (s_check_node (self, fy_document_root (self->doc), path, err, errlen) != VG_OK)
        goto fail;
    return self;
fail:
    vg_config_destroy (&self);
    return NULL;
}

vg_config_t *
vg_config_load_string (const char *name, const char *yaml, char *err, size_t errlen)
{
    return s_load (name, NULL, vg_strdup (yaml ? yaml : ""), err, errlen);
}

vg_config_t *
vg_config_load_file (const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen (path, "rb");
    if (!fp) {
        snprintf (err, errlen, "%s: cannot open: %s", path, strerror (errno));
        return NULL;
    }
    vg_buf_t buf = {0};
    char chunk[16384];
    size_t n;
    while ((n = fread (chunk, 1, sizeof chunk, fp)) > 0) {
        if (buf.len + n > S_MAX_FILE) {
            snprintf (err, errlen, "%s: larger than %d MiB; not a configuration file", path,
                      S_MAX_FILE >> 20);
            goto fail;
        }
        vg_buf_append (&buf, chunk, n);
    }
    if (ferror (fp)) {
        snprintf (err, errlen, "%s: cannot read: %s", path, strerror (errno));
        goto fail;
    }
    fclose (fp);
    size_t len = buf.len;
    char *text = vg_strndup (buf.data ? buf.data : "", len);
    vg_buf_free (&buf);
    if (strlen (text) != len) {
        free (text);
        snprintf (err, errlen, "%s: contains a NUL byte; not a YAML text file", path);
        return NULL;
    }
    const char *slash = strrchr (path, '/');
    char *dir = slash ? vg_strndup (path, (size_t)(slash - path) + 1) : NULL;
    vg_config_t *self = s_load (path, dir, text, err, errlen);
    free (dir);
    return self;
fail:
    fclose (fp);
    vg_buf_free (&buf);
    return NULL;
}

void
vg_config_destroy (vg_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    vg_config_t *self = *self_p;
    if (self->doc)
        fy_parse_document_destroy (self->parser, self->doc);
    if (self->parser)
        fy_parser_destroy (self->parser);
    if (self->diag)
        fy_diag_destroy (self->diag);
    for (size_t i = 0; i < self->nmetas; i++)
        free (self->metas[i].text);
    free (self->metas);
    free (self->text);
    free (self->dir);
    free (self->path);
    free (self);
    *self_p = NULL;
}

vg_cnode_t *
vg_config_root (vg_config_t *self)
{
    if (!self || !self->doc)
        return NULL;
    struct fy_node *root = fy_document_root (self->doc);
    return s_is_null (root) ? NULL : root; /* "---" or "~" alone is an empty document */
}

const char *
vg_config_path (vg_config_t *self)
{
    return self ? self->path : NULL;
}

/* Appends ".key" or "[i]" to path (truncating), returns the old length. */
static size_t s_path_push (char *path, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static size_t
s_path_push (char *path, const char *fmt, ...)
{
    size_t len = strlen (path);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (path + len, S_KEY_MAX - len, fmt, ap);
    va_end (ap);
    return len;
}

/* Checks a mapping's keys: scalars, and no key twice (the second one is
 * reported, with the line of the first). Mappings are small: O(n^2) is fine. */
static int
s_check_keys (vg_config_t *self, struct fy_node *map, char *path, char *err, size_t errlen)
{
    void *iter = NULL, *prev;
    struct fy_node_pair *pair, *other;
    while ((pair = fy_node_mapping_iterate (map, &iter))) {
        struct fy_node *key = fy_node_pair_key (pair);
        if (key && !s_is_scalar (key)) {
            char what[64];
            s_describe (key, what, sizeof what);
            return s_error_at (self, vg_config_line (key), path, err, errlen,
                               "a key must be a plain name, got %s", what);
        }
        size_t len = 0, olen = 0;
        const char *text = vg_cnode_scalar (key, &len), *otext;
        for (prev = NULL; (other = fy_node_mapping_iterate (map, &prev)) != pair;) {
            otext = vg_cnode_scalar (fy_node_pair_key (other), &olen);
            if (text && otext && len == olen && memcmp (text, otext, len) == 0) {
                char full[S_KEY_MAX];
                s_join_key (full, sizeof full, path, text, len);
                return s_error_at (self, vg_config_line (key), full, err, errlen,
                                   "duplicate key (first given on line %d)",
                                   vg_config_line (fy_node_pair_key (other)));
            }
        }
    }
    return VG_OK;
}

/* Walks the document once: no aliases, scalar keys, no duplicate keys. The
 * depth is bounded by libfyaml (64 levels). */
static int
s_check_node (vg_config_t *self, struct fy_node *node, char *path, char *err, size_t errlen)
{
    if (!node)
        return VG_OK;
    if (fy_node_is_alias (node))
        return s_error_at (self, vg_config_line (node), path, err, errlen,
                           "aliases (*name) are not supported; write the value out");
    int rc = VG_OK;
    void *iter = NULL;
    if (fy_node_get_type (node) == FYNT_MAPPING) {
        rc = s_check_keys (self, node, path, err, errlen);
        struct fy_node_pair *pair;
        while (rc == VG_OK && (pair = fy_node_mapping_iterate (node, &iter))) {
            size_t len = 0;
            const char *text = s_text (fy_node_pair_key (pair), &len);
            char safe[S_KEY_MAX];
            s_printable (text ? text : "", text ? len : 0, safe, sizeof safe);
            size_t old = s_path_push (path, *path ? ".%s" : "%s", safe);
            rc = s_check_node (self, fy_node_pair_value (pair), path, err, errlen);
            path[old] = '\0';
        }
    } else if (fy_node_get_type (node) == FYNT_SEQUENCE) {
        struct fy_node *item;
        for (size_t i = 0; rc == VG_OK && (item = fy_node_sequence_iterate (node, &iter)); i++) {
            size_t old = s_path_push (path, "[%zu]", i);
            rc = s_check_node (self, item, path, err, errlen);
            path[old] = '\0';
        }
    }
    return rc;
}

/*  --------------------------------------------------------------------------
 *  Walking the document
 */

vg_cnode_t *
vg_cnode_get (vg_cnode_t *map, const char *key)
{
    if (!map || !key || fy_node_get_type (map) != FYNT_MAPPING)
        return NULL;
    size_t keylen = strlen (key);
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate (map, &iter))) {
        size_t len = 0;
        const char *text = vg_cnode_scalar (fy_node_pair_key (pair), &len);
        if (text && len == keylen && memcmp (text, key, len) == 0)
            return fy_node_pair_value (pair);
    }
    return NULL;
}

const char *
vg_cnode_scalar (vg_cnode_t *node, size_t *len)
{
    size_t n = 0;
    const char *text = s_is_scalar (node) ? s_text (node, &n) : NULL;
    if (s_is_scalar (node) && !text)
        text = ""; /* an empty value has no text of its own */
    if (len)
        *len = text ? n : 0;
    return text;
}

char *
vg_cnode_strdup (vg_cnode_t *node)
{
    size_t len = 0;
    const char *text = vg_cnode_scalar (node, &len);
    return text ? vg_strndup (text, len) : NULL;
}

int
vg_cnode_is_map (vg_cnode_t *node)
{
    return node && fy_node_get_type (node) == FYNT_MAPPING;
}

int
vg_cnode_is_seq (vg_cnode_t *node)
{
    return node && fy_node_get_type (node) == FYNT_SEQUENCE;
}

size_t
vg_cnode_seq_len (vg_cnode_t *node)
{
    int n = vg_cnode_is_seq (node) ? fy_node_sequence_item_count (node) : 0;
    return n > 0 ? (size_t)n : 0;
}

vg_cnode_t *
vg_cnode_seq_at (vg_cnode_t *node, size_t i)
{
    if (!vg_cnode_is_seq (node) || i > INT_MAX)
        return NULL;
    return fy_node_sequence_get_by_index (node, (int)i);
}

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
            char safe[S_KEY_MAX];
            s_printable (name, strlen (name), safe, sizeof safe);
            snprintf (why, whylen, "environment variable %s is not set", safe);
            return VG_ENOTFOUND;
        }
        *out = vg_strdup (value);
        return VG_OK;
    }
    if (strncmp (text, "file:", 5) == 0) {
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
    s_printable (text, strlen (text), got, sizeof got);
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
        s_describe (node, what, sizeof what);
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
            char ikey[S_KEY_MAX];
            snprintf (ikey, sizeof ikey, "%s[%zu]", key, tmp.n);
            char *text = NULL;
            if (s_is_null (item)) {
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
        s_describe (node, what, sizeof what);
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
        char lkey[S_KEY_MAX];
        s_join_key (lkey, sizeof lkey, key, ktext ? ktext : "", ktext ? klen : 0);
        char *name = NULL, *value = NULL;
        rc = s_scalar_text (self, knode, key, "a label name", &name, err, errlen);
        if (rc == VG_OK && !*name)
            rc = vg_config_error (self, knode, key, err, errlen, "a label name must not be empty");
        if (rc == VG_OK && s_is_null (vnode))
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
            s_printable (text, strlen (text), got, sizeof got);
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
            return s_error_at (self, line, key, err, errlen, "required");
        return VG_OK;
    }
    char why[512];
    int rc;
    if (opt->type == VG_OPT_STRING_LIST || opt->type == VG_OPT_LABELS ||
        opt->type == VG_OPT_CUSTOM) {
        char name[S_KEY_MAX + 16];
        snprintf (name, sizeof name, "default of %s", key);
        vg_config_t *def = vg_config_load_string (name, opt->def, why, sizeof why);
        if (!def)
            return s_error_at (NULL, 0, NULL, err, errlen, "%s", why);
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
            return s_error_at (self, line, key, err, errlen, "required (the default: %s)", why);
        return VG_OK;
    }
    if (rc != VG_OK)
        return s_error_at (NULL, 0, key, err, errlen, "bad default: %s", why);
    s_store (opt, field, &v);
    return VG_OK;
}

int
vg_config_parse_value (vg_config_t *self, vg_cnode_t *node, const vg_option_t *opt, const char *key,
                       void *field, char *err, size_t errlen)
{
    if (s_is_null (node))
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
    char key[S_KEY_MAX];
    if (map && !s_is_null (map) && !vg_cnode_is_map (map)) {
        char what[64];
        s_describe (map, what, sizeof what);
        return vg_config_error (self, map, key_prefix, err, errlen,
                                "expected a mapping of options, got %s", what);
    }
    if (s_is_null (map))
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
        s_join_key (key, sizeof key, key_prefix, name, len);
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
        if (s_is_null (value))
            rc = s_set_default (self, &opts[k], key, field, vg_config_line (knode), err, errlen);
        else
            rc = s_parse_node (self, value, &opts[k], key, field, 1, err, errlen);
    }
    int map_line = map ? vg_config_line (map) : 1;
    for (size_t k = 0; rc == VG_OK && k < nopts; k++)
        if (!seen[k]) {
            s_join_key (key, sizeof key, key_prefix, opts[k].name, strlen (opts[k].name));
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
