/*  coll_store_int.h - what coll_store.c and coll_store_copy.c share: the
 *  store's state and what a write works out about each item of its group.
 *  Not for other files. */
#ifndef COLL_STORE_INT_H
#define COLL_STORE_INT_H

#include "coll_pg.h"
#include "coll_registry.h"
#include "coll_store.h"
#include "vg_buf.h"
#include "vg_log.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#define COLL_STORE_DAY_MS 86400000LL

/* What a write works out about one item of the group, beyond what the
 * registry keeps in self->reg (host, series, skip, stored, window). */
typedef struct {
    size_t nkeep; /* samples + distributions inside the window */
    size_t ndrop;
    size_t ndrop_events; /* events outside the window, dropped too */
    int64_t smin, smax;  /* the samples' span inside the window */
    int64_t dmin, dmax;  /* and the distributions' */
} coll_store_work_t;

struct coll_store_t {
    char *url;
    PGconn *conn;
    coll_registry_t *registry;
    int32_t *days;      /* UTC days (since the epoch) whose partitions exist */
    int32_t *day_parts; /* the parts each of those days' samples have */
    size_t ndays, days_cap, day_parts_cap;
    int sample_parts; /* the parts a new day's samples are made with */
    int32_t *want;    /* days a write needs that are not known yet */
    size_t want_cap;

    coll_registry_item_t *reg; /* per item of the group */
    size_t reg_cap;
    coll_store_work_t *work;
    size_t work_cap;

    vg_buf_t copy; /* COPY data */
    vg_buf_t text;
    coll_pg_params_t params;
    vg_complain_t range_complaint;
    coll_store_stats_t stats;
    size_t max_statement_bytes;
    size_t copy_sent; /* bytes of the COPY statement in progress */
    int lost;         /* the last failure lost an established connection */
};

/* The UTC day (since the epoch) of a time in ms. */
static inline int64_t
coll_store_day (int64_t ms)
{
    return ms >= 0 ? ms / COLL_STORE_DAY_MS : -((-ms + COLL_STORE_DAY_MS - 1) / COLL_STORE_DAY_MS);
}

/* The parts of the UTC day's samples (vigil.ensure_partitions): 1 for a
 * whole day or one not known. */
int coll_store_day_parts (const coll_store_t *self, int64_t day);

/* Inside the group's open transaction: binary COPY of the samples,
 * distributions and events of the items stored (reg[i].stored), in pieces
 * of at most max_statement_bytes. Returns 0 or the classified code. */
int coll_store_copy_rows (coll_store_t *self, coll_store_item_t *items, size_t n, char *err,
                          size_t errlen);

#endif
