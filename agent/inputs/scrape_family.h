/*  scrape_family.h - the metric families of one exposition, for the parser.
 *
 *  A family is remembered by name for the whole run (an open-addressing table
 *  over a name arena), with its type and what metadata and samples it has
 *  had, so a sample finds its family and role, a second TYPE is caught, and
 *  OpenMetrics' rules about families (no clashing names, units) can be
 *  checked. Internal to scrape_parse.c and scrape_check.c.
 */
#ifndef SCRAPE_FAMILY_H
#define SCRAPE_FAMILY_H

#include "scrape_parse.h"

#include <stddef.h>
#include <stdint.h>

#define SCRAPE_NONE ((size_t)-1)

typedef struct {
    size_t name_off; /* in the name arena, NUL-terminated */
    size_t name_len;
    uint64_t hash;
    scrape_type_t type;
    size_t line; /* where it began */
    unsigned has_type : 1;
    unsigned has_help : 1;
    unsigned has_unit : 1;
    unsigned has_samples : 1;
    unsigned unit_set : 1; /* a UNIT line with a non-empty unit */
    unsigned created : 1;  /* 0.0.4: a gauge foo_created beside a counter, histogram or
                              summary foo */
} scrape_family_t;

typedef struct {
    scrape_family_t *items;
    size_t n, cap;
    uint32_t *slots; /* index + 1; 0 is empty; a power of two long */
    size_t nslots;
    char *names;
    size_t names_len, names_cap;
    char *probe; /* a name and a suffix, for the clash check */
    size_t probe_cap;
} scrape_families_t;

/* Forgets every family; keeps the memory. */
void scrape_families_reset (scrape_families_t *self);
void scrape_families_free (scrape_families_t *self);

/* The family named name[0..n), or SCRAPE_NONE. */
size_t scrape_families_find (const scrape_families_t *self, const char *name, size_t n);
/* A new family (untyped, no metadata) begun on line. */
size_t scrape_families_add (scrape_families_t *self, const char *name, size_t n, size_t line);

static inline scrape_family_t *
scrape_families_at (scrape_families_t *self, size_t idx)
{
    return &self->items[idx];
}

static inline const char *
scrape_families_name (const scrape_families_t *self, size_t idx)
{
    return self->names + self->items[idx].name_off;
}

/* The role a sample named family+suffix[0..n) plays in a family of the
 * given type, or -1 when the type allows no such sample. */
int scrape_family_role (const scrape_family_t *family, scrape_format_t format, const char *suffix,
                        size_t n);

/* "_total or _created", ...: the suffixes a type's samples take, for messages. */
const char *scrape_family_suffixes (scrape_type_t type, scrape_format_t format);

/* 0.0.4: marks a gauge family foo_created that follows a counter foo or
 * foo_total, a histogram or a summary foo, so its samples read as CREATED
 * (how prometheus_client writes start times in 0.0.4). */
void scrape_families_mark_created (scrape_families_t *self, size_t idx);

/* OpenMetrics: another family whose sample names could clash with those of
 * family idx (a counter foo and a gauge foo_created), or SCRAPE_NONE. */
size_t scrape_families_clash (scrape_families_t *self, size_t idx);

#endif
