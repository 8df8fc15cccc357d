/*  logtail_json.c - a JSON field extractor for log lines: paths compiled into
 *  a trie, each line scanned once, values reported as spans of the line.
 *
 *  Written here rather than taken from a library: the Debian JSON libraries
 *  (json-c, jansson, yajl's tree API) build a tree per document, which costs
 *  an allocation per value - several per line - while a log rule reads three
 *  or four fields. yajl's callback parser allocates nothing but would still
 *  convert every number and string it passes; this scanner only checks the
 *  structure of what no path leads into.
 */
#include "logtail_json.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A trie node: one path segment. Node 0 is the document's top object. */
typedef struct {
    char *key; /* NULL for an array element */
    uint32_t keylen;
    int32_t index; /* array element, or -1 */
    int32_t child; /* first child, or -1 */
    int32_t next;  /* next sibling, or -1 */
    int32_t slot;  /* where a path ending here reports, or -1 */
} s_node_t;

struct logtail_json_t {
    s_node_t *nodes;
    size_t n;
    size_t cap;
    size_t nslots;
};

static int32_t
s_node_add (logtail_json_t *self, int32_t parent, const char *key, size_t keylen, int32_t index)
{
    VG_GROW (self->nodes, self->cap, self->n + 1);
    int32_t id = (int32_t)self->n++;
    s_node_t *node = &self->nodes[id];
    node->key = key ? vg_strndup (key, keylen) : NULL;
    node->keylen = (uint32_t)keylen;
    node->index = index;
    node->child = -1;
    node->slot = -1;
    node->next = -1;
    if (parent >= 0) {
        /* Appended, so siblings are tried in the order paths were given. */
        int32_t *link = &self->nodes[parent].child;
        while (*link >= 0)
            link = &self->nodes[*link].next;
        *link = id;
    }
    return id;
}

logtail_json_t *
logtail_json_new (void)
{
    logtail_json_t *self = vg_calloc (1, sizeof *self);
    s_node_add (self, -1, NULL, 0, -1);
    return self;
}

void
logtail_json_destroy (logtail_json_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    logtail_json_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        free (self->nodes[i].key);
    free (self->nodes);
    free (self);
    *self_p = NULL;
}

static int32_t
s_find_key (const logtail_json_t *self, int32_t parent, const char *key, size_t keylen)
{
    for (int32_t c = self->nodes[parent].child; c >= 0; c = self->nodes[c].next) {
        const s_node_t *node = &self->nodes[c];
        if (node->key && node->keylen == keylen && memcmp (node->key, key, keylen) == 0)
            return c;
    }
    return -1;
}

static int32_t
s_find_index (const logtail_json_t *self, int32_t parent, int32_t index)
{
    for (int32_t c = self->nodes[parent].child; c >= 0; c = self->nodes[c].next)
        if (!self->nodes[c].key && self->nodes[c].index == index)
            return c;
    return -1;
}

int
logtail_json_add_path (logtail_json_t *self, const char *path, char *err, size_t errlen)
{
    char key[LOGTAIL_JSON_MAX_KEY + 1];
    int32_t node = 0;
    int segments = 0;
    const char *p = path;
    if (!*p) {
        snprintf (err, errlen, "empty field path");
        return VG_EINVAL;
    }
    while (*p) {
        /* A key: up to an unescaped '.' or '['. */
        size_t klen = 0;
        while (*p && *p != '.' && *p != '[') {
            if (*p == '\\' && p[1])
                p++;
            if (klen == LOGTAIL_JSON_MAX_KEY) {
                snprintf (err, errlen, "\"%s\": a key longer than %d bytes", path,
                          LOGTAIL_JSON_MAX_KEY);
                return VG_EINVAL;
            }
            key[klen++] = *p++;
        }
        if (klen == 0) {
            snprintf (err, errlen, "\"%s\": empty key at offset %zu (write keys as a.b[0].c)", path,
                      (size_t)(p - path));
            return VG_EINVAL;
        }
        if (++segments > LOGTAIL_JSON_MAX_SEGMENTS) {
            snprintf (err, errlen, "\"%s\": more than %d segments", path,
                      LOGTAIL_JSON_MAX_SEGMENTS);
            return VG_EINVAL;
        }
        int32_t next = s_find_key (self, node, key, klen);
        node = next >= 0 ? next : s_node_add (self, node, key, klen, -1);
        /* Array elements: [N][M]... */
        while (*p == '[') {
            char *end = NULL;
            p++;
            if (*p < '0' || *p > '9') {
                snprintf (err, errlen, "\"%s\": expected an array index at offset %zu", path,
                          (size_t)(p - path));
                return VG_EINVAL;
            }
            long index = strtol (p, &end, 10);
            if (*end != ']' || index > 1000000) {
                snprintf (err, errlen, "\"%s\": bad array index at offset %zu", path,
                          (size_t)(p - path));
                return VG_EINVAL;
            }
            p = end + 1;
            if (++segments > LOGTAIL_JSON_MAX_SEGMENTS) {
                snprintf (err, errlen, "\"%s\": more than %d segments", path,
                          LOGTAIL_JSON_MAX_SEGMENTS);
                return VG_EINVAL;
            }
            next = s_find_index (self, node, (int32_t)index);
            node = next >= 0 ? next : s_node_add (self, node, NULL, 0, (int32_t)index);
        }
        if (*p == '.') {
            p++;
            if (!*p) {
                snprintf (err, errlen, "\"%s\": ends with '.'", path);
                return VG_EINVAL;
            }
        } else if (*p) {
            snprintf (err, errlen, "\"%s\": unexpected '%c' at offset %zu", path, *p,
                      (size_t)(p - path));
            return VG_EINVAL;
        }
    }
    if (self->nodes[node].slot < 0)
        self->nodes[node].slot = (int32_t)self->nslots++;
    return self->nodes[node].slot;
}

size_t
logtail_json_nslots (const logtail_json_t *self)
{
    return self->nslots;
}

/* ---- scanning --------------------------------------------------------- */

typedef struct {
    const char *p;
    const char *end;
    const s_node_t *nodes;
    logtail_json_val_t *slots;
} s_scan_t;

static inline void
s_ws (s_scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static inline int
s_hex (char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* s->p is at the opening quote; leaves it after the closing one. */
static int
s_string (s_scan_t *s, int *escaped)
{
    const char *p = s->p + 1, *end = s->end;
    int esc = 0;
    for (;;) {
        while (p < end && *p != '"' && *p != '\\')
            p++;
        if (p >= end)
            return -1;
        if (*p == '"')
            break;
        esc = 1;
        if (++p >= end)
            return -1;
        switch (*p) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            p++;
            break;
        case 'u':
            if (end - p < 5 || !s_hex (p[1]) || !s_hex (p[2]) || !s_hex (p[3]) || !s_hex (p[4]))
                return -1;
            p += 5;
            break;
        default:
            return -1;
        }
    }
    s->p = p + 1;
    *escaped = esc;
    return 0;
}

static inline int
s_digit (const s_scan_t *s)
{
    return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

/* JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
s_number (s_scan_t *s)
{
    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (!s_digit (s))
        return -1;
    if (*s->p++ != '0')
        while (s_digit (s))
            s->p++;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!s_digit (s))
            return -1;
        while (s_digit (s))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!s_digit (s))
            return -1;
        while (s_digit (s))
            s->p++;
    }
    return 0;
}

static int
s_literal (s_scan_t *s, const char *word, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp (s->p, word, n) != 0)
        return -1;
    s->p += n;
    return 0;
}

static int s_value (s_scan_t *s, int32_t node, int depth);

/* The child of node named by the key at [k, k + klen) (escaped or not). */
static int32_t
s_child_key (const s_scan_t *s, int32_t node, const char *k, size_t klen, int escaped)
{
    if (node < 0 || s->nodes[node].child < 0)
        return -1;
    char buf[LOGTAIL_JSON_MAX_KEY + 4];
    if (escaped) {
        /* A key longer than any path's key cannot match: no need to decode it. */
        if (klen > 6 * (LOGTAIL_JSON_MAX_KEY + 1))
            return -1;
        klen = logtail_json_unescape (k, klen, buf, sizeof buf);
        k = buf;
    }
    for (int32_t c = s->nodes[node].child; c >= 0; c = s->nodes[c].next) {
        const s_node_t *n = &s->nodes[c];
        if (n->key && n->keylen == klen && memcmp (n->key, k, klen) == 0)
            return c;
    }
    return -1;
}

static int
s_object (s_scan_t *s, int32_t node, int depth)
{
    s->p++; /* '{' */
    s_ws (s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (s->p >= s->end || *s->p != '"')
            return -1;
        const char *k = s->p + 1;
        int escaped = 0;
        if (s_string (s, &escaped) != 0)
            return -1;
        int32_t child = s_child_key (s, node, k, (size_t)(s->p - 1 - k), escaped);
        s_ws (s);
        if (s->p >= s->end || *s->p != ':')
            return -1;
        s->p++;
        s_ws (s);
        if (s_value (s, child, depth) != 0)
            return -1;
        s_ws (s);
        if (s->p >= s->end)
            return -1;
        if (*s->p == '}') {
            s->p++;
            return 0;
        }
        if (*s->p != ',')
            return -1;
        s->p++;
        s_ws (s);
    }
}

static int
s_array (s_scan_t *s, int32_t node, int depth)
{
    s->p++; /* '[' */
    s_ws (s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    int has_children = node >= 0 && s->nodes[node].child >= 0;
    for (int32_t i = 0;; i++) {
        int32_t child = -1;
        if (has_children)
            for (int32_t c = s->nodes[node].child; c >= 0; c = s->nodes[c].next)
                if (!s->nodes[c].key && s->nodes[c].index == i)
                    child = c;
        if (s_value (s, child, depth) != 0)
            return -1;
        s_ws (s);
        if (s->p >= s->end)
            return -1;
        if (*s->p == ']') {
            s->p++;
            return 0;
        }
        if (*s->p != ',')
            return -1;
        s->p++;
        s_ws (s);
    }
}

/* A value at s->p, reported to node's slot if it has one (node -1: none). */
static int
s_value (s_scan_t *s, int32_t node, int depth)
{
    if (s->p >= s->end)
        return -1;
    const char *start = s->p;
    int escaped = 0, rc;
    uint8_t type;
    switch (*s->p) {
    case '{':
        if (depth >= LOGTAIL_JSON_MAX_DEPTH)
            return -1;
        rc = s_object (s, node, depth + 1);
        type = LOGTAIL_JSON_OBJECT;
        break;
    case '[':
        if (depth >= LOGTAIL_JSON_MAX_DEPTH)
            return -1;
        rc = s_array (s, node, depth + 1);
        type = LOGTAIL_JSON_ARRAY;
        break;
    case '"':
        rc = s_string (s, &escaped);
        type = LOGTAIL_JSON_STRING;
        break;
    case 't':
        rc = s_literal (s, "true", 4);
        type = LOGTAIL_JSON_TRUE;
        break;
    case 'f':
        rc = s_literal (s, "false", 5);
        type = LOGTAIL_JSON_FALSE;
        break;
    case 'n':
        rc = s_literal (s, "null", 4);
        type = LOGTAIL_JSON_NULL;
        break;
    default:
        rc = s_number (s);
        type = LOGTAIL_JSON_NUMBER;
        break;
    }
    if (rc != 0)
        return -1;
    if (node >= 0 && s->nodes[node].slot >= 0) {
        logtail_json_val_t *v = &s->slots[s->nodes[node].slot];
        if (type == LOGTAIL_JSON_STRING) {
            v->ptr = start + 1;
            v->len = (uint32_t)(s->p - start - 2);
        } else {
            v->ptr = start;
            v->len = (uint32_t)(s->p - start);
        }
        v->type = type;
        v->escaped = (uint8_t)escaped;
    }
    return 0;
}

int
logtail_json_scan (const logtail_json_t *self, const char *line, size_t len,
                   logtail_json_val_t *slots)
{
    if (self->nslots)
        memset (slots, 0, self->nslots * sizeof *slots);
    /* Spans are 32-bit; no log line comes near that. */
    if (len > UINT32_MAX)
        return VG_EINVAL;
    s_scan_t s = {.p = line, .end = line + len, .nodes = self->nodes, .slots = slots};
    s_ws (&s);
    if (s.p >= s.end || *s.p != '{')
        return VG_EINVAL;
    if (s_value (&s, 0, 0) != 0)
        return VG_EINVAL;
    s_ws (&s);
    return s.p == s.end ? VG_OK : VG_EINVAL;
}

/* ---- strings and numbers ---------------------------------------------- */

static int
s_hexval (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The code unit of \uXXXX at p (len bytes left from the backslash), or -1. */
static long
s_u16 (const char *p, size_t len)
{
    if (len < 6 || p[0] != '\\' || p[1] != 'u')
        return -1;
    long v = 0;
    for (int i = 2; i < 6; i++) {
        int h = s_hexval (p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

size_t
logtail_json_unescape (const char *p, size_t len, char *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < len) {
        if (p[i] != '\\') {
            if (o == cap)
                break;
            out[o++] = p[i++];
            continue;
        }
        char tmp[4];
        size_t n = 1, adv = 2;
        if (i + 1 >= len) {
            tmp[0] = '?';
            adv = 1;
        } else {
            switch (p[i + 1]) {
            case 'b':
                tmp[0] = '\b';
                break;
            case 'f':
                tmp[0] = '\f';
                break;
            case 'n':
                tmp[0] = '\n';
                break;
            case 'r':
                tmp[0] = '\r';
                break;
            case 't':
                tmp[0] = '\t';
                break;
            case 'u': {
                long hi = s_u16 (p + i, len - i);
                if (hi < 0) {
                    tmp[0] = '?';
                    break;
                }
                adv = 6;
                unsigned long cp = (unsigned long)hi;
                if (hi >= 0xD800 && hi <= 0xDBFF) {
                    long lo = s_u16 (p + i + 6, len - i - 6);
                    if (lo >= 0xDC00 && lo <= 0xDFFF) {
                        cp = 0x10000 + (((unsigned long)hi - 0xD800) << 10) +
                             ((unsigned long)lo - 0xDC00);
                        adv = 12;
                    } else
                        cp = '?';
                } else if (hi >= 0xDC00 && hi <= 0xDFFF)
                    cp = '?';
                n = vg_utf8_encode (cp, tmp);
                break;
            }
            default: /* \" \\ \/, and anything else taken literally */
                tmp[0] = p[i + 1];
                break;
            }
        }
        if (o + n > cap)
            break;
        memcpy (out + o, tmp, n);
        o += n;
        i += adv;
    }
    return o;
}

static const double s_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

int
logtail_json_parse_number (const char *p, size_t len, double *out)
{
    const char *s = p, *end = p + len;
    int neg = 0;
    if (s < end && (*s == '+' || *s == '-'))
        neg = *s++ == '-';
    uint64_t mant = 0;
    int ndigits = 0, any = 0, exp10 = 0;
    while (s < end && *s >= '0' && *s <= '9') {
        any = 1;
        if (ndigits < 19) {
            mant = mant * 10 + (uint64_t)(*s - '0');
            if (mant)
                ndigits++;
        } else
            exp10++;
        s++;
    }
    if (s < end && *s == '.') {
        s++;
        while (s < end && *s >= '0' && *s <= '9') {
            any = 1;
            if (ndigits < 19) {
                mant = mant * 10 + (uint64_t)(*s - '0');
                if (mant)
                    ndigits++;
                exp10--;
            }
            s++;
        }
    }
    if (!any)
        return VG_EINVAL;
    if (s < end && (*s == 'e' || *s == 'E')) {
        s++;
        int eneg = 0, e = 0, edigits = 0;
        if (s < end && (*s == '+' || *s == '-'))
            eneg = *s++ == '-';
        while (s < end && *s >= '0' && *s <= '9') {
            if (e < 100000)
                e = e * 10 + (*s - '0');
            s++;
            edigits++;
        }
        if (!edigits)
            return VG_EINVAL;
        exp10 += eneg ? -e : e;
    }
    if (s != end)
        return VG_EINVAL;
    double v;
    if (mant == 0)
        v = 0.0;
    else if (ndigits <= 15 && exp10 >= -22 && exp10 <= 22)
        /* Exact: both operands are exact doubles, one rounding. */
        v = exp10 < 0 ? (double)mant / s_pow10[-exp10] : (double)mant * s_pow10[exp10];
    else {
        /* Rare (long mantissas, big exponents): let strtod round it right. */
        char buf[128];
        if (len >= sizeof buf)
            return VG_EINVAL;
        memcpy (buf, p, len);
        buf[len] = '\0';
        v = strtod (buf, NULL);
        neg = 0;
    }
    if (neg)
        v = -v;
    if (!(v - v == 0.0)) /* infinity (1e999) */
        return VG_EINVAL;
    *out = v;
    return VG_OK;
}
