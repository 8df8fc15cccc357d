/*  rules_labels.c - sorted label sets, signatures and fingerprints. */
#include "rules_labels.h"
#include "vg_alloc.h"
#include "vg_hash.h"
#include "vg_utf8.h"

#include <stdlib.h>
#include <string.h>

static const rules_labels_t s_empty = {0};

const rules_labels_t *
rules_labels_empty (void)
{
    return &s_empty;
}

static int
s_item_cmp (const void *a, const void *b)
{
    return strcmp (((const vg_label_t *)a)->key, ((const vg_label_t *)b)->key);
}

/* Sorts items in place (stable for equal names, so the later one can win),
 * drops empty values and keeps the last of each name; returns the new count. */
static size_t
s_normalise (vg_label_t *items, size_t n)
{
    /* Insertion sort: sets are small, and it is stable. */
    for (size_t i = 1; i < n; i++) {
        vg_label_t x = items[i];
        size_t j = i;
        while (j > 0 && s_item_cmp (&items[j - 1], &x) > 0) {
            items[j] = items[j - 1];
            j--;
        }
        items[j] = x;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && strcmp (items[i].key, items[i + 1].key) == 0)
            continue; /* a later one of the same name wins */
        if (!items[i].value || !items[i].value[0])
            continue;
        items[m++] = items[i];
    }
    return m;
}

rules_labels_t *
rules_labels_make (rules_arena_t *a, const vg_label_t *items, size_t n)
{
    rules_labels_t *self = rules_arena_alloc (a, sizeof *self + n * sizeof (vg_label_t));
    if (n)
        memcpy (self->items, items, n * sizeof (vg_label_t));
    self->n = (uint32_t)s_normalise (self->items, n);
    return self;
}

rules_labels_t *
rules_labels_dup (const vg_label_t *items, size_t n)
{
    vg_label_t *tmp = vg_malloc ((n ? n : 1) * sizeof *tmp);
    if (n)
        memcpy (tmp, items, n * sizeof *tmp);
    n = s_normalise (tmp, n);
    size_t bytes = sizeof (rules_labels_t) + n * sizeof (vg_label_t);
    for (size_t i = 0; i < n; i++)
        bytes += strlen (tmp[i].key) + strlen (tmp[i].value) + 2;
    rules_labels_t *self = vg_malloc (bytes);
    char *p = (char *)self + sizeof (rules_labels_t) + n * sizeof (vg_label_t);
    for (size_t i = 0; i < n; i++) {
        size_t kl = strlen (tmp[i].key) + 1, vl = strlen (tmp[i].value) + 1;
        memcpy (p, tmp[i].key, kl);
        self->items[i].key = p;
        p += kl;
        memcpy (p, tmp[i].value, vl);
        self->items[i].value = p;
        p += vl;
    }
    self->n = (uint32_t)n;
    free (tmp);
    return self;
}

const char *
rules_labels_get (const rules_labels_t *self, const char *name)
{
    size_t lo = 0, hi = self->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp (self->items[mid].key, name);
        if (c == 0)
            return self->items[mid].value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int
rules_labels_cmp (const rules_labels_t *a, const rules_labels_t *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++) {
        int c = strcmp (a->items[i].key, b->items[i].key);
        if (c)
            return c;
        c = strcmp (a->items[i].value, b->items[i].value);
        if (c)
            return c;
    }
    return (a->n > b->n) - (a->n < b->n);
}

int
rules_labels_equal (const rules_labels_t *a, const rules_labels_t *b)
{
    return a == b || (a->n == b->n && rules_labels_cmp (a, b) == 0);
}

uint64_t
rules_labels_hash (const rules_labels_t *self)
{
    uint64_t h = 0x84222325cbf29ce4ULL ^ self->n;
    for (size_t i = 0; i < self->n; i++) {
        h = vg_hash_mix (h ^ vg_hash_bytes (self->items[i].key, strlen (self->items[i].key)));
        h = vg_hash_mix (h ^ vg_hash_bytes (self->items[i].value, strlen (self->items[i].value)));
    }
    return h;
}

static int
s_ref_cmp (const void *a, const void *b)
{
    const rules_labels_ref_t *x = a, *y = b;
    return x->hash < y->hash ? -1 : x->hash > y->hash;
}

void
rules_labels_refs_sort (rules_labels_ref_t *refs, size_t n)
{
    if (n > 1)
        qsort (refs, n, sizeof *refs, s_ref_cmp);
}

size_t
rules_labels_refs_lower (const rules_labels_ref_t *refs, size_t n, uint64_t hash)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (refs[mid].hash < hash)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void
rules_labels_index (rules_labels_t *const *sets, size_t n, rules_labels_ref_t *refs)
{
    for (size_t i = 0; i < n; i++)
        refs[i] = (rules_labels_ref_t){rules_labels_hash (sets[i]), i};
    rules_labels_refs_sort (refs, n);
}

ptrdiff_t
rules_labels_index_find (const rules_labels_ref_t *refs, size_t n, rules_labels_t *const *sets,
                         const rules_labels_t *want)
{
    uint64_t h = rules_labels_hash (want);
    for (size_t lo = rules_labels_refs_lower (refs, n, h); lo < n && refs[lo].hash == h; lo++)
        if (rules_labels_equal (sets[refs[lo].at], want))
            return (ptrdiff_t)refs[lo].at;
    return -1;
}

int
rules_labels_index_has_equal (const rules_labels_ref_t *refs, size_t n, rules_labels_t *const *sets)
{
    for (size_t i = 0; i + 1 < n; i++)
        for (size_t k = i + 1; k < n && refs[k].hash == refs[i].hash; k++)
            if (rules_labels_equal (sets[refs[i].at], sets[refs[k].at]))
                return 1;
    return 0;
}

static int
s_listed (const char *name, char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (names[i], name) == 0)
            return 1;
    return 0;
}

/* A copy keeping the items for which keep() says so; items stay sorted. */
static rules_labels_t *
s_filter (rules_arena_t *a, const rules_labels_t *self, char *const *names, size_t n, int only,
          int drop_name)
{
    rules_labels_t *out = rules_arena_alloc (a, sizeof *out + self->n * sizeof (vg_label_t));
    uint32_t m = 0;
    for (size_t i = 0; i < self->n; i++) {
        const char *key = self->items[i].key;
        int listed = s_listed (key, names, n);
        if (only ? !listed : listed)
            continue;
        if (!only && drop_name && strcmp (key, RULES_NAME_LABEL) == 0)
            continue;
        out->items[m++] = self->items[i];
    }
    out->n = m;
    return out;
}

rules_labels_t *
rules_labels_drop_name (rules_arena_t *a, const rules_labels_t *self)
{
    return s_filter (a, self, NULL, 0, 0, 1);
}

rules_labels_t *
rules_labels_without (rules_arena_t *a, const rules_labels_t *self, char *const *names, size_t n,
                      int drop_name)
{
    return s_filter (a, self, names, n, 0, drop_name);
}

rules_labels_t *
rules_labels_only (rules_arena_t *a, const rules_labels_t *self, char *const *names, size_t n)
{
    return s_filter (a, self, names, n, 1, 0);
}

rules_labels_t *
rules_labels_set (rules_arena_t *a, const rules_labels_t *self, const char *name, const char *value)
{
    rules_labels_t *out = rules_arena_alloc (a, sizeof *out + (self->n + 1) * sizeof (vg_label_t));
    uint32_t m = 0;
    int placed = !value || !*value;
    for (size_t i = 0; i < self->n; i++) {
        int c = strcmp (self->items[i].key, name);
        if (c == 0)
            continue;
        if (c > 0 && !placed) {
            out->items[m++] = (vg_label_t){name, value};
            placed = 1;
        }
        out->items[m++] = self->items[i];
    }
    if (!placed)
        out->items[m++] = (vg_label_t){name, value};
    out->n = m;
    return out;
}

void
rules_labels_signature (const rules_labels_t *self, int on, char *const *names, size_t n,
                        vg_buf_t *out)
{
    vg_buf_reset (out);
    for (size_t i = 0; i < self->n; i++) {
        const char *key = self->items[i].key;
        int listed = s_listed (key, names, n);
        if (on ? !listed : (listed || strcmp (key, RULES_NAME_LABEL) == 0))
            continue;
        vg_buf_puts (out, key);
        vg_buf_append (out, "\xff", 1);
        vg_buf_puts (out, self->items[i].value);
        vg_buf_append (out, "\xff", 1);
    }
    vg_buf_append (out, "", 1); /* NUL-terminated, even when empty */
    out->len--;
}

uint64_t
rules_labels_fingerprint (const vg_label_t *items, size_t n)
{
    const vg_label_t **sorted = vg_malloc ((n ? n : 1) * sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        sorted[i] = &items[i];
    for (size_t i = 1; i < n; i++) {
        const vg_label_t *x = sorted[i];
        size_t j = i;
        while (j > 0 && strcmp (sorted[j - 1]->key, x->key) > 0) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = x;
    }
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++) {
        const char *parts[2] = {sorted[i]->key, sorted[i]->value};
        for (int k = 0; k < 2; k++) {
            for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++) {
                h ^= *p;
                h *= 1099511628211ULL;
            }
            h ^= 0xff;
            h *= 1099511628211ULL;
        }
    }
    free (sorted);
    return h;
}

void
rules_labels_quote (const char *s, vg_buf_t *out)
{
    static const char hex[] = "0123456789abcdef";
    vg_buf_append (out, "\"", 1);
    size_t len = strlen (s);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            vg_buf_append (out, e, 2);
            i++;
        } else if (c == '\n') {
            vg_buf_puts (out, "\\n");
            i++;
        } else if (c == '\t') {
            vg_buf_puts (out, "\\t");
            i++;
        } else if (c == '\r') {
            vg_buf_puts (out, "\\r");
            i++;
        } else if (c == 7 || c == 8 || c == 11 || c == 12) {
            char e[2] = {'\\', "ab  vf"[c - 7]};
            vg_buf_append (out, e, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            vg_buf_append (out, e, 4);
            i++;
        } else if (c < 0x80) {
            vg_buf_append (out, s + i, 1);
            i++;
        } else {
            size_t n = vg_utf8_seq ((const unsigned char *)s + i, len - i);
            if (n == 0) {
                char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
                vg_buf_append (out, e, 4);
                i++;
            } else {
                vg_buf_append (out, s + i, n);
                i += n;
            }
        }
    }
    vg_buf_append (out, "\"", 1);
}

void
rules_labels_format (const rules_labels_t *self, vg_buf_t *out)
{
    const char *name = rules_labels_get (self, RULES_NAME_LABEL);
    if (name)
        vg_buf_puts (out, name);
    if (name && self->n == 1) {
        vg_buf_append (out, "", 1); /* NUL-terminated */
        out->len--;
        return;
    }
    vg_buf_append (out, "{", 1);
    int first = 1;
    for (size_t i = 0; i < self->n; i++) {
        if (strcmp (self->items[i].key, RULES_NAME_LABEL) == 0)
            continue;
        if (!first)
            vg_buf_puts (out, ", ");
        first = 0;
        vg_buf_puts (out, self->items[i].key);
        vg_buf_append (out, "=", 1);
        rules_labels_quote (self->items[i].value, out);
    }
    vg_buf_append (out, "}", 2); /* with the NUL */
    out->len--;
}

static int
s_valid (const char *s, int colon)
{
    if (!s || !*s)
        return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                 (colon && c == ':') || (p > s && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

int
rules_labels_valid_name (const char *s)
{
    return s_valid (s, 0);
}

int
rules_labels_valid_metric (const char *s)
{
    return s_valid (s, 1);
}
