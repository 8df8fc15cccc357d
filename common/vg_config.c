/*  vg_config.c - YAML configuration through libfyaml: loading, the checks of
 *  the document, node access, lines and error messages. Values, defaults and
 *  option tables are in vg_config_value.c.
 *
 *  The document is checked once when loaded (one document, no aliases, scalar
 *  keys, no duplicate keys: each reported with its full key path), so the
 *  option tables only deal with types, bounds, defaults and unknown keys.
 */
#include "vg_config.h"
#include "vg_config_int.h"
#include "vg_utf8.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"

#include <libfyaml.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_FILE (16 * 1024 * 1024) /* a config file larger than this is a mistake */

/* What a node's meta data points to. */
typedef struct s_meta_t {
    int line;   /* 1-based */
    int column; /* 1-based; 0 when unknown */
    size_t pos; /* the node's source text: [pos, end) of the document */
    size_t end;
    char *text; /* a single-quoted scalar's text, decoded here (see s_unquote) */
    size_t len;
} s_meta_t;

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
int
vg_config__is_null (struct fy_node *node)
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

int
vg_config_span (vg_cnode_t *node, int *line, int *column, size_t *pos, size_t *end)
{
    const s_meta_t *meta = node ? fy_node_get_meta (node) : NULL;
    if (!meta) {
        *line = *column = 0;
        *pos = *end = 0;
        return -1;
    }
    *line = meta->line;
    *column = meta->column;
    *pos = meta->pos;
    *end = meta->end;
    return 0;
}

const char *
vg_config_text (vg_config_t *self)
{
    return self->text;
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
            meta->column = mark ? mark->column + 1 : 0;
            meta->pos = mark ? mark->input_pos : 0;
            meta->end =
                mark && end && end->input_pos >= mark->input_pos ? end->input_pos : meta->pos;
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
void
vg_config__printable (const char *text, size_t len, char *out, size_t outlen)
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
void
vg_config__describe (struct fy_node *node, char *out, size_t outlen)
{
    enum fy_node_type type = node ? fy_node_get_type (node) : FYNT_SCALAR;
    const char *what = vg_config__is_null (node) ? "null"
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
    vg_config__printable (text ? text : "", text ? len : 0, buf, sizeof buf);
    snprintf (out, outlen, "\"%s\"", buf);
}

/* "prefix.name", or "name" without a prefix. */
void
vg_config__join_key (char *out, size_t outlen, const char *prefix, const char *name, size_t namelen)
{
    char safe[VG_CONFIG__KEY_MAX];
    vg_config__printable (name, namelen, safe, sizeof safe);
    /* A key too long for out is cut: it is only ever shown in a message. */
    if (outlen == 0)
        return;
    size_t used = 0;
    if (prefix && *prefix) {
        snprintf (out, outlen, "%s.", prefix);
        used = strlen (out);
    }
    size_t n = strlen (safe);
    if (n > outlen - used - 1)
        n = outlen - used - 1;
    memcpy (out + used, safe, n);
    out[used + n] = '\0';
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

int
vg_config__error_at (vg_config_t *self, int line, const char *key, char *err, size_t errlen,
                     const char *fmt, ...)
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

/* The line of the first tab, 0 if there is none. YAML never needs a tab, and
 * libfyaml 0.7.12 frees memory twice on some tabs after a complex key
 * ("? a:<tab>:"), in comments too (a CR ends a comment for it), so every tab
 * is refused before parsing. */
static int
s_tab_line (const char *p)
{
    int line = 1;
    for (; *p; p++) {
        if (*p == '\t')
            return line;
        line += *p == '\n';
    }
    return 0;
}

/* The line of the first byte that is not valid UTF-8, 0 if all are. Checked
 * before parsing: libfyaml 0.7.12 loops forever on a directive line holding
 * invalid UTF-8, and a message with a line beats a parse error later. */
static int
s_bad_utf8_line (const unsigned char *p)
{
    size_t len = strlen ((const char *)p);
    size_t bad = vg_utf8_check ((const char *)p, len);
    if (bad == len)
        return 0;
    int line = 1;
    for (size_t i = 0; i < bad; i++)
        line += p[i] == '\n';
    return line;
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
        vg_config__error_at (self, 1, NULL, err, errlen, "cannot set up the YAML parser");
        goto fail;
    }
    fy_diag_set_collect_errors (self->diag, true);
    int bad = s_bad_utf8_line ((const unsigned char *)self->text);
    if (bad) {
        vg_config__error_at (self, bad, NULL, err, errlen, "not valid UTF-8 text");
        goto fail;
    }
    bad = s_tab_line (self->text);
    if (bad) {
        vg_config__error_at (self, bad, NULL, err, errlen,
                             "a tab character; YAML files are indented and spaced with spaces");
        goto fail;
    }
    /* Duplicate keys are found by s_check_node, which can name the full key. */
    struct fy_parse_cfg pcfg = {.search_path = NULL,
                                .flags = FYPCF_QUIET | FYPCF_ALLOW_DUPLICATE_KEYS,
                                .userdata = NULL,
                                .diag = self->diag};
    self->parser = fy_parser_create (&pcfg);
    if (!self->parser || fy_parser_set_string (self->parser, self->text, strlen (self->text))) {
        vg_config__error_at (self, 1, NULL, err, errlen, "cannot set up the YAML parser");
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
            vg_config__error_at (self, derr->line, NULL, err, errlen, "%s",
                                 derr->msg ? derr->msg : "invalid YAML");
            goto fail;
        }
    if (second) {
        vg_config__error_at (self, second, NULL, err, errlen,
                             "a second YAML document; a configuration file holds exactly one");
        goto fail;
    }
    /* libfyaml can give up without a diagnostic. */
    int content = s_first_content_line (self->text);
    if (fy_parser_get_stream_error (self->parser) || (!self->doc && content)) {
        vg_config__error_at (self, content, NULL, err, errlen, "not valid YAML");
        goto fail;
    }
    if (!self->doc)
        return self; /* empty */
    char path[VG_CONFIG__KEY_MAX] = "";
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
    return vg_config__is_null (root) ? NULL : root; /* "---" or "~" alone is an empty document */
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
    vsnprintf (path + len, VG_CONFIG__KEY_MAX - len, fmt, ap);
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
            vg_config__describe (key, what, sizeof what);
            return vg_config__error_at (self, vg_config_line (key), path, err, errlen,
                                        "a key must be a plain name, got %s", what);
        }
        size_t len = 0, olen = 0;
        const char *text = vg_cnode_scalar (key, &len), *otext;
        for (prev = NULL; (other = fy_node_mapping_iterate (map, &prev)) != pair;) {
            otext = vg_cnode_scalar (fy_node_pair_key (other), &olen);
            if (text && otext && len == olen && memcmp (text, otext, len) == 0) {
                char full[VG_CONFIG__KEY_MAX];
                vg_config__join_key (full, sizeof full, path, text, len);
                return vg_config__error_at (self, vg_config_line (key), full, err, errlen,
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
        return vg_config__error_at (self, vg_config_line (node), path, err, errlen,
                                    "aliases (*name) are not supported; write the value out");
    int rc = VG_OK;
    void *iter = NULL;
    if (fy_node_get_type (node) == FYNT_MAPPING) {
        rc = s_check_keys (self, node, path, err, errlen);
        struct fy_node_pair *pair;
        while (rc == VG_OK && (pair = fy_node_mapping_iterate (node, &iter))) {
            size_t len = 0;
            const char *text = s_text (fy_node_pair_key (pair), &len);
            char safe[VG_CONFIG__KEY_MAX];
            vg_config__printable (text ? text : "", text ? len : 0, safe, sizeof safe);
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
