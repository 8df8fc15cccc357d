/*  coll_registry_int.h - the registry's insides, shared by coll_registry.c
 *  (series), coll_registry_latest.c (newest values) and coll_registry_hosts.c.
 *  Not for other modules. */
#ifndef COLL_REGISTRY_INT_H
#define COLL_REGISTRY_INT_H

#include "coll_limits.h"
#include "coll_pg.h"
#include "coll_registry.h"
#include "vg_buf.h"

#include <czmq.h>

#define COLL_REGISTRY_ARRAY_CHUNK 20000 /* rows per statement from arrays */

struct coll_registry_host_t {
    int64_t host_id;
    char *agent_id;
    char *hostname;
    int64_t seen_ms;     /* collector clock at the newest batch (stored or duplicate) */
    int64_t incarnation; /* of the newest batch stored, as stored */
    int64_t seq;         /* the highest seq stored within it, as stored */
    int64_t skew_ms;     /* sent_ms - received_ms of that batch */
    int have_seq;
    int have_skew;
    int dirty;
    int fresh;          /* the database had no series of it: registration need not look first */
    size_t pending_new; /* its series about to be registered (in one piece) */
    char *refused;      /* why its new series were refused in this call, or NULL */
    /* The series of its last batch, in order: an agent sends the same list
     * batch after batch, and checking it against these costs less than a
     * lookup by key. */
    struct coll_registry_series_t **last_series;
    uint32_t nlast_series;
    size_t last_series_cap;
    /* The serial of the shared names (vg_batch_names_t) that list is of, 0
     * if none: a batch sharing them has the same list, unchecked. */
    uint64_t last_names;
};
typedef coll_registry_host_t s_host_t; /* the short name the code below uses */

/* A series. The key (host, kind, metric and labels, each string
 * length-prefixed) follows the struct. */
typedef struct coll_registry_series_t {
    uint64_t hash;
    size_t keylen;
    const char *key;
    s_host_t *host;
    int64_t host_id;
    int64_t series_id; /* -1 until the database has it */
    int64_t last_ts_ms;
    double last_value;
    int kind;
    int pending; /* in self->pending */
    int dirty;   /* in self->dirty_series */
} s_series_t;

/* Open addressing with linear probing; series are never removed. */
typedef struct {
    s_series_t **slots;
    size_t cap; /* a power of two */
    size_t n;
} s_table_t;

struct coll_registry_t {
    zhashx_t *hosts;  /* agent_id -> s_host_t */
    s_table_t series; /* key -> s_series_t */

    s_series_t **ents; /* per item, per batch series */
    int64_t *ids;
    size_t ents_cap;
    size_t *hpend; /* items bringing a new agent */
    size_t hpend_cap;
    s_series_t **pending; /* series being registered */
    size_t npending, pending_cap;
    s_series_t **dirty_series; /* [flush_from, ndirty_series) wait to be written */
    size_t ndirty_series, dirty_series_cap, flush_from;
    size_t round_end; /* the round in progress writes up to here; 0: none */
    s_host_t **dirty_hosts;
    size_t ndirty_hosts, dirty_hosts_cap;

    vg_buf_t key; /* the keys of one batch's series */
    size_t *koff; /* where each starts */
    size_t koff_cap;
    uint64_t *khash;
    size_t khash_cap;
    vg_buf_t text;
    coll_pg_params_t params;
    uint64_t incarnation_changes;
    size_t max_statement_bytes;
    uint64_t statements;   /* statements sent, every piece counted */
    coll_limits_t *limits; /* not owned; may be NULL */
};

#endif
