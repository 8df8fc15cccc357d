/*  scrape_family.c - the metric families of one exposition. */
#include "scrape_family.h"
#include "vg_alloc.h"
#include "vg_hash.h"

#include <stdlib.h>
#include <string.h>

void
scrape_families_reset (scrape_families_t *self)
{
    self->n = 0;
    self->names_len = 0;
    if (self->nslots)
        memset (self->slots, 0, self->nslots * sizeof *self->slots);
}

void
scrape_families_free (scrape_families_t *self)
{
    free (self->items);
    free (self->slots);
    free (self->names);
    free (self->probe);
    memset (self, 0, sizeof *self);
}

size_t
scrape_families_find (const scrape_families_t *self, const char *name, size_t n)
{
    if (!self->nslots)
        return SCRAPE_NONE;
    uint64_t h = vg_hash_bytes (name, n);
    size_t mask = self->nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint32_t slot = self->slots[i];
        if (!slot)
            return SCRAPE_NONE;
        const scrape_family_t *f = &self->items[slot - 1];
        if (f->hash == h && f->name_len == n && memcmp (self->names + f->name_off, name, n) == 0)
            return slot - 1;
    }
}

static void
s_slot (scrape_families_t *self, size_t idx)
{
    size_t mask = self->nslots - 1;
    size_t i = (size_t)self->items[idx].hash & mask;
    while (self->slots[i])
        i = (i + 1) & mask;
    self->slots[i] = (uint32_t)(idx + 1);
}

size_t
scrape_families_add (scrape_families_t *self, const char *name, size_t n, size_t line)
{
    if (2 * (self->n + 1) > self->nslots) {
        size_t nslots = self->nslots ? self->nslots * 2 : 64;
        free (self->slots);
        self->slots = vg_calloc (nslots, sizeof *self->slots);
        self->nslots = nslots;
        for (size_t i = 0; i < self->n; i++)
            s_slot (self, i);
    }
    VG_GROW (self->items, self->cap, self->n + 1);
    VG_GROW (self->names, self->names_cap, self->names_len + n + 1);
    scrape_family_t *f = &self->items[self->n];
    memset (f, 0, sizeof *f);
    f->name_off = self->names_len;
    f->name_len = n;
    f->hash = vg_hash_bytes (name, n);
    f->line = line;
    memcpy (self->names + self->names_len, name, n);
    self->names[self->names_len + n] = '\0';
    self->names_len += n + 1;
    s_slot (self, self->n);
    return self->n++;
}

int
scrape_family_role (const scrape_family_t *f, scrape_format_t format, const char *suffix, size_t n)
{
    int om = format == SCRAPE_FORMAT_OPENMETRICS;
#define S_IS(s) (n == sizeof (s) - 1 && memcmp (suffix, s, n) == 0)
    switch (f->type) {
    case SCRAPE_TYPE_UNTYPED:
    case SCRAPE_TYPE_STATESET:
        return n == 0 ? SCRAPE_ROLE_VALUE : -1;
    case SCRAPE_TYPE_GAUGE:
        return n == 0 ? (f->created ? SCRAPE_ROLE_CREATED : SCRAPE_ROLE_VALUE) : -1;
    case SCRAPE_TYPE_COUNTER:
        if (!om)
            return n == 0 ? SCRAPE_ROLE_VALUE : -1;
        return S_IS ("_total") ? SCRAPE_ROLE_VALUE : S_IS ("_created") ? SCRAPE_ROLE_CREATED : -1;
    case SCRAPE_TYPE_INFO:
        return S_IS ("_info") ? SCRAPE_ROLE_VALUE : -1;
    case SCRAPE_TYPE_HISTOGRAM:
    case SCRAPE_TYPE_SUMMARY:
        if (S_IS ("_sum"))
            return SCRAPE_ROLE_SUM;
        if (S_IS ("_count"))
            return SCRAPE_ROLE_COUNT;
        if (om && S_IS ("_created"))
            return SCRAPE_ROLE_CREATED;
        if (f->type == SCRAPE_TYPE_HISTOGRAM)
            return S_IS ("_bucket") ? SCRAPE_ROLE_BUCKET : -1;
        return n == 0 ? SCRAPE_ROLE_QUANTILE : -1;
    case SCRAPE_TYPE_GAUGEHISTOGRAM:
        return S_IS ("_bucket")   ? SCRAPE_ROLE_BUCKET
               : S_IS ("_gsum")   ? SCRAPE_ROLE_SUM
               : S_IS ("_gcount") ? SCRAPE_ROLE_COUNT
                                  : -1;
    }
#undef S_IS
    return -1;
}

const char *
scrape_family_suffixes (scrape_type_t type, scrape_format_t format)
{
    int om = format == SCRAPE_FORMAT_OPENMETRICS;
    switch (type) {
    case SCRAPE_TYPE_COUNTER:
        return om ? "_total or _created" : "no suffix";
    case SCRAPE_TYPE_HISTOGRAM:
        return om ? "_bucket, _sum, _count or _created" : "_bucket, _sum or _count";
    case SCRAPE_TYPE_SUMMARY:
        return om ? "no suffix (quantiles), _sum, _count or _created"
                  : "no suffix (quantiles), _sum or _count";
    case SCRAPE_TYPE_GAUGEHISTOGRAM:
        return "_bucket, _gsum or _gcount";
    case SCRAPE_TYPE_INFO:
        return "_info";
    default:
        return "no suffix";
    }
}

void
scrape_families_mark_created (scrape_families_t *self, size_t idx)
{
    scrape_family_t *f = &self->items[idx];
    const char *name = self->names + f->name_off;
    static const char suffix[] = "_created";
    size_t sl = sizeof suffix - 1;
    if (f->type != SCRAPE_TYPE_GAUGE || f->name_len <= sl ||
        memcmp (name + f->name_len - sl, suffix, sl) != 0)
        return;
    size_t base = f->name_len - sl;
    size_t b = scrape_families_find (self, name, base);
    if (b != SCRAPE_NONE && (self->items[b].type == SCRAPE_TYPE_COUNTER ||
                             self->items[b].type == SCRAPE_TYPE_HISTOGRAM ||
                             self->items[b].type == SCRAPE_TYPE_SUMMARY)) {
        f->created = 1;
        return;
    }
    VG_GROW (self->probe, self->probe_cap, base + 7);
    memcpy (self->probe, self->names + f->name_off, base);
    memcpy (self->probe + base, "_total", 6);
    b = scrape_families_find (self, self->probe, base + 6);
    if (b != SCRAPE_NONE && self->items[b].type == SCRAPE_TYPE_COUNTER)
        self->items[idx].created = 1;
}

/* ---- clashing names (OpenMetrics) ------------------------------------- */

/* The sample names each type writes, as suffixes of the family's name. */
static const char *const s_all_suffixes[] = {"",        "_total",  "_created", "_count", "_sum",
                                             "_bucket", "_gcount", "_gsum",    "_info"};
#define S_NSUFFIXES (sizeof s_all_suffixes / sizeof s_all_suffixes[0])

/* Whether a family of type writes samples named name + s_all_suffixes[k].
 * "" counts for every type: the family's own name is taken either way. */
static int
s_writes (scrape_type_t type, size_t k)
{
    const char *s = s_all_suffixes[k];
    if (k == 0)
        return 1;
    switch (type) {
    case SCRAPE_TYPE_COUNTER:
        return strcmp (s, "_total") == 0 || strcmp (s, "_created") == 0;
    case SCRAPE_TYPE_SUMMARY:
        return strcmp (s, "_count") == 0 || strcmp (s, "_sum") == 0 || strcmp (s, "_created") == 0;
    case SCRAPE_TYPE_HISTOGRAM:
        return strcmp (s, "_count") == 0 || strcmp (s, "_sum") == 0 || strcmp (s, "_bucket") == 0 ||
               strcmp (s, "_created") == 0;
    case SCRAPE_TYPE_GAUGEHISTOGRAM:
        return strcmp (s, "_gcount") == 0 || strcmp (s, "_gsum") == 0 || strcmp (s, "_bucket") == 0;
    case SCRAPE_TYPE_INFO:
        return strcmp (s, "_info") == 0;
    default:
        return 0;
    }
}

size_t
scrape_families_clash (scrape_families_t *self, size_t idx)
{
    const scrape_family_t *f = &self->items[idx];
    size_t base = f->name_len;
    VG_GROW (self->probe, self->probe_cap, base + 16);
    memcpy (self->probe, self->names + f->name_off, base);
    /* each sample name this family writes, against each other family that
     * could write the same one */
    for (size_t k = 0; k < S_NSUFFIXES; k++) {
        if (!s_writes (f->type, k))
            continue;
        size_t kl = strlen (s_all_suffixes[k]);
        memcpy (self->probe + base, s_all_suffixes[k], kl);
        size_t n = base + kl;
        for (size_t j = 0; j < S_NSUFFIXES; j++) {
            size_t jl = strlen (s_all_suffixes[j]);
            if (jl >= n || memcmp (self->probe + n - jl, s_all_suffixes[j], jl) != 0)
                continue;
            size_t other = scrape_families_find (self, self->probe, n - jl);
            if (other != SCRAPE_NONE && other != idx && s_writes (self->items[other].type, j))
                return other;
        }
    }
    return SCRAPE_NONE;
}
