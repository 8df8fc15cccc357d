/*  coll_store.c - writes groups of batches to PostgreSQL, exactly once.
 *
 *  A write goes in four steps, so the transaction that holds the data is
 *  short and does nothing but write:
 *    1. hosts new to this collector: one upsert, committed on its own;
 *    2. series new to it: a SELECT of those the database has, one INSERT
 *       ... ON CONFLICT DO NOTHING RETURNING from arrays for the others,
 *       committed on its own - a few statements for any number of series;
 *    3. UTC days new to it: vigil.ensure_partitions, committed on its own;
 *    4. BEGIN; the group's (host, seq) keys into vigil.batches, whose
 *       conflicts are the duplicates; binary COPY of the rest's samples,
 *       distributions and events; COMMIT.
 *  Steps 1-3 only ever add rows that are right whatever happens to step 4, so
 *  the ids they return are cached at once. The newest value of each series
 *  and the newest contact of each host are kept in memory and written by
 *  coll_store_flush_latest, so ingest never updates a row per sample.
 */
#include "coll_store.h"
#include "coll_migrate.h"
#include "coll_pg.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_log.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DAY_MS       86400000LL
#define S_PAST_MS      (35 * S_DAY_MS) /* samples older than this are dropped */
#define S_FUTURE_MS    S_DAY_MS        /* and so are those this far ahead */
#define S_CHUNK        (1024 * 1024)   /* COPY data is sent in pieces this big */
#define S_ARRAY_CHUNK  20000           /* rows per statement from arrays */
#define S_COMPLAIN_MS  60000
#define S_SAMPLE_HEAD  14 /* field count, host_id */
#define S_SAMPLE_TUPLE (S_SAMPLE_HEAD + 3 * 12)
#define S_SERIES_ARRAYS                                                                            \
    " FROM unnest($1::integer[], $2::bigint[], $3::smallint[], $4::text[], $5::jsonb[])"           \
    " AS u(ord, host_id, kind, metric, labels)"
#define S_MAX_PLAUSIBLE_MS 4102444800000LL /* 2100-01-01: a sent_ms past it is junk */

typedef struct {
    int64_t host_id;
    char *agent_id;
    char *hostname;
    int64_t seen_ms; /* collector clock at the newest batch (stored or duplicate) */
    int64_t seq;     /* the highest seq stored, as stored */
    int64_t skew_ms; /* sent_ms - received_ms of that batch */
    int have_seq;
    int have_skew;
    int dirty;
    int fresh; /* the database had no series of it: registration need not look first */
} s_host_t;

/* A series. The key (host, kind, metric and labels, each string
 * length-prefixed) follows the struct. */
typedef struct {
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

/* What a write works out about one item of the group. */
typedef struct {
    s_host_t *host;
    int skip;      /* repeats an earlier item of the group */
    int stored;    /* its key went into vigil.batches: not a duplicate */
    size_t first;  /* its series' slots in self->ents / self->ids */
    int64_t lo_ms; /* the accepted window of timestamps */
    int64_t hi_ms;
    size_t nkeep; /* samples + distributions inside the window */
    size_t ndrop;
    size_t ndrop_events; /* events outside the window, dropped too */
} s_work_t;

struct coll_store_t {
    char *url;
    PGconn *conn;
    zhashx_t *hosts;  /* agent_id -> s_host_t */
    s_table_t series; /* key -> s_series_t */
    int32_t *days;    /* UTC days (since the epoch) whose partitions exist */
    size_t ndays, days_cap;
    int32_t *want; /* days a write needs that are not known yet */
    size_t want_cap;

    s_work_t *work;
    size_t work_cap;
    s_series_t **ents; /* per item, per batch series */
    int64_t *ids;
    size_t ents_cap;
    size_t *hpend; /* items bringing a new agent */
    size_t hpend_cap;
    s_series_t **pending; /* series being registered */
    s_series_t **missing; /* those the database did not have */
    size_t missing_cap;
    size_t npending, pending_cap;
    s_series_t **dirty_series;
    size_t ndirty_series, dirty_series_cap;
    s_host_t **dirty_hosts;
    size_t ndirty_hosts, dirty_hosts_cap;

    vg_buf_t key; /* the keys of one batch's series */
    size_t *koff; /* where each starts */
    size_t koff_cap;
    uint64_t *khash;
    size_t khash_cap;
    vg_buf_t copy; /* COPY data */
    vg_buf_t text;
    coll_pg_params_t params;
    vg_complain_t range_complaint;
    coll_store_stats_t stats;
};

/* ---- caches ---- */

static uint64_t
s_hash_bytes (const char *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy (&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy (&w, p, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
    return h;
}

static s_series_t *
s_table_find (const s_table_t *t, uint64_t hash, const char *key, size_t keylen)
{
    if (t->cap == 0)
        return NULL;
    for (size_t k = hash & (t->cap - 1);; k = (k + 1) & (t->cap - 1)) {
        s_series_t *e = t->slots[k];
        if (!e)
            return NULL;
        if (e->hash == hash && e->keylen == keylen && memcmp (e->key, key, keylen) == 0)
            return e;
    }
}

static void
s_table_put (s_table_t *t, s_series_t *e)
{
    if ((t->n + 1) * 4 > t->cap * 3) { /* keep the load under 3/4 */
        size_t cap = t->cap ? t->cap * 2 : 1024;
        s_series_t **slots = vg_calloc (cap, sizeof *slots);
        for (size_t k = 0; k < t->cap; k++) {
            s_series_t *x = t->slots[k];
            if (!x)
                continue;
            size_t at = x->hash & (cap - 1);
            while (slots[at])
                at = (at + 1) & (cap - 1);
            slots[at] = x;
        }
        free (t->slots);
        t->slots = slots;
        t->cap = cap;
    }
    size_t at = e->hash & (t->cap - 1);
    while (t->slots[at])
        at = (at + 1) & (t->cap - 1);
    t->slots[at] = e;
    t->n++;
}

static void
s_table_free (s_table_t *t)
{
    for (size_t k = 0; k < t->cap; k++)
        free (t->slots[k]);
    free (t->slots);
    memset (t, 0, sizeof *t);
}

static void
s_host_free (void **item)
{
    s_host_t *h = *item;
    if (h) {
        free (h->agent_id);
        free (h->hostname);
        free (h);
    }
    *item = NULL;
}

static void
s_key_str (vg_buf_t *key, const char *s)
{
    uint32_t len = (uint32_t)strlen (s);
    vg_buf_append (key, &len, sizeof len);
    vg_buf_append (key, s, len);
}

/* Reads the next length-prefixed string of a key. */
static const char *
s_key_next (const char **p, size_t *len)
{
    uint32_t n;
    memcpy (&n, *p, sizeof n);
    const char *s = *p + sizeof n;
    *p = s + n;
    *len = n;
    return s;
}

/* ---- connection ---- */

static void
s_disconnect (coll_store_t *self)
{
    if (self->conn)
        PQfinish (self->conn);
    self->conn = NULL;
}

/* After a failure: a transient one drops the connection, so the next call
 * starts afresh; any other leaves it usable. Days are learnt again, in case
 * a partition went away under us. */
static int
s_after_failure (coll_store_t *self, int rc)
{
    self->stats.failures++;
    self->ndays = 0;
    if (rc == VG_ERETRY)
        s_disconnect (self);
    else if (self->conn && PQtransactionStatus (self->conn) != PQTRANS_IDLE) {
        PGresult *res = PQexec (self->conn, "ROLLBACK");
        PQclear (res);
    }
    return rc;
}

coll_store_t *
coll_store_new (const char *dburl)
{
    coll_store_t *self = vg_calloc (1, sizeof *self);
    self->url = vg_strdup (dburl ? dburl : "");
    self->hosts = zhashx_new ();
    zhashx_set_destructor (self->hosts, s_host_free);
    return self;
}

void
coll_store_destroy (coll_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_store_t *self = *self_p;
    s_disconnect (self);
    zhashx_destroy (&self->hosts);
    s_table_free (&self->series);
    free (self->days);
    free (self->want);
    free (self->work);
    free (self->ents);
    free (self->ids);
    free (self->hpend);
    free (self->koff);
    free (self->khash);
    free (self->pending);
    free (self->missing);
    free (self->dirty_series);
    free (self->dirty_hosts);
    vg_buf_free (&self->key);
    vg_buf_free (&self->copy);
    vg_buf_free (&self->text);
    coll_pg_params_free (&self->params);
    free (self->url);
    free (self);
    *self_p = NULL;
}

int
coll_store_connect (coll_store_t *self, char *err, size_t errlen)
{
    if (self->conn && PQstatus (self->conn) == CONNECTION_OK)
        return 0;
    s_disconnect (self);
    int rc;
    PGconn *conn = coll_pg_connect (self->url, "vigil-collector", &rc, err, errlen);
    if (!conn)
        return rc;
    int applied = 0;
    rc = coll_migrate_apply (conn, &applied, err, errlen);
    if (rc) {
        PQfinish (conn);
        return rc;
    }
    char where[256];
    coll_pg_where (conn, self->url, where, sizeof where);
    vg_debug ("store: connected to the database at %s", where);
    self->conn = conn;
    self->ndays = 0;
    return 0;
}

coll_store_stats_t
coll_store_stats (const coll_store_t *self)
{
    return self->stats;
}

/* ---- step 1: hosts ---- */

static int
s_hosts_resolve (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    /* The items that bring an agent new to the cache (or a new hostname),
     * each agent once. */
    s_work_t *w = self->work;
    VG_GROW (self->hpend, self->hpend_cap, n);
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i].skip)
            continue;
        const vg_batch_t *b = items[i].batch;
        s_host_t *h = zhashx_lookup (self->hosts, b->agent_id);
        w[i].host = h && strcmp (h->hostname, b->hostname ? b->hostname : "") == 0 ? h : NULL;
        if (w[i].host)
            continue;
        int again = 0;
        for (size_t k = 0; k < np && !again; k++)
            again = strcmp (items[self->hpend[k]].batch->agent_id, b->agent_id) == 0;
        if (!again)
            self->hpend[np++] = i;
    }
    if (np == 0)
        return 0;

    coll_pg_params_reset (&self->params);
    vg_buf_t *agents = coll_pg_params_next (&self->params);
    vg_buf_t *names = coll_pg_params_next (&self->params);
    vg_buf_t *seen = coll_pg_params_next (&self->params);
    coll_pg_array_begin (agents, COLL_PG_TEXTOID, (uint32_t)np);
    coll_pg_array_begin (names, COLL_PG_TEXTOID, (uint32_t)np);
    coll_pg_array_begin (seen, COLL_PG_TIMESTAMPTZOID, (uint32_t)np);
    for (size_t k = 0; k < np; k++) {
        const vg_batch_t *b = items[self->hpend[k]].batch;
        const char *hostname = b->hostname ? b->hostname : "";
        vg_buf_reset (&self->text);
        coll_pg_utf8_clean (&self->text, b->agent_id, strlen (b->agent_id));
        coll_pg_array_text (agents, self->text.data, self->text.len);
        vg_buf_reset (&self->text);
        coll_pg_utf8_clean (&self->text, hostname, strlen (hostname));
        coll_pg_array_text (names, self->text.data, self->text.len);
        coll_pg_array_int8 (seen, coll_pg_ts_from_ms (items[self->hpend[k]].received_ms));
    }
    int rc;
    PGresult *res = coll_pg_exec_bin (
        self->conn, "registering hosts",
        "WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])"
        "             WITH ORDINALITY AS u(agent_id, hostname, seen, ord)),"
        " h AS (INSERT INTO vigil.hosts (agent_id, hostname, last_seen)"
        "        SELECT agent_id, hostname, seen FROM u ORDER BY agent_id"
        "       ON CONFLICT (agent_id) DO UPDATE SET hostname = EXCLUDED.hostname"
        "       RETURNING agent_id, host_id, xmax = 0 AS inserted)"
        " SELECT u.ord, h.host_id, h.inserted FROM u JOIN h USING (agent_id)",
        &self->params, &rc, err, errlen);
    if (!res)
        return rc;
    if ((size_t)PQntuples (res) != np) {
        snprintf (err, errlen, "registering hosts: %zu agents sent, %d came back", np,
                  PQntuples (res));
        PQclear (res);
        return VG_EDB;
    }
    /* Committed: safe to cache. */
    for (int r = 0; r < PQntuples (res); r++) {
        size_t k = (size_t)strtoull (PQgetvalue (res, r, 0), NULL, 10) - 1;
        if (k >= np)
            continue;
        const vg_batch_t *b = items[self->hpend[k]].batch;
        s_host_t *h = zhashx_lookup (self->hosts, b->agent_id);
        if (!h) {
            h = vg_calloc (1, sizeof *h);
            h->agent_id = vg_strdup (b->agent_id);
            zhashx_insert (self->hosts, b->agent_id, h);
        }
        free (h->hostname);
        h->hostname = vg_strdup (b->hostname ? b->hostname : "");
        h->host_id = strtoll (PQgetvalue (res, r, 1), NULL, 10);
        /* Only a hint: registration selects what an insert did not return. */
        h->fresh = strcmp (PQgetvalue (res, r, 2), "t") == 0;
    }
    PQclear (res);
    for (size_t i = 0; i < n; i++) {
        if (w[i].skip || w[i].host)
            continue;
        w[i].host = zhashx_lookup (self->hosts, items[i].batch->agent_id);
        if (!w[i].host) {
            snprintf (err, errlen, "registering hosts: agent %s got no host id",
                      items[i].batch->agent_id);
            return VG_EDB;
        }
    }
    return 0;
}

/* ---- step 2: series ---- */

static const char *
s_str (const vg_batch_t *b, uint32_t index)
{
    return index < b->nstrings && b->strings[index] ? b->strings[index] : "";
}

/* Appends the cache key of series s of batch b on host host_id to key. */
static void
s_series_key (vg_buf_t *key, int64_t host_id, const vg_batch_t *b, const vg_series_t *s)
{
    unsigned char kind = (unsigned)s->kind <= VG_KIND_DISTRIBUTION ? (unsigned char)s->kind : 0;
    vg_buf_append (key, &host_id, sizeof host_id);
    vg_buf_append (key, &kind, 1);
    s_key_str (key, s_str (b, s->name));
    for (uint32_t l = 0; l < s->nlabels; l++) {
        s_key_str (key, s_str (b, s->labels[2 * l]));
        s_key_str (key, s_str (b, s->labels[2 * l + 1]));
    }
}

/* The parameters $1..$5 of S_SERIES_ARRAYS for list[0, count). */
static void
s_series_params (coll_store_t *self, s_series_t *const *list, size_t count)
{
    coll_pg_params_reset (&self->params);
    vg_buf_t *ord = coll_pg_params_next (&self->params);
    vg_buf_t *host = coll_pg_params_next (&self->params);
    vg_buf_t *kind = coll_pg_params_next (&self->params);
    vg_buf_t *metric = coll_pg_params_next (&self->params);
    vg_buf_t *labels = coll_pg_params_next (&self->params);
    coll_pg_array_begin (ord, COLL_PG_INT4OID, (uint32_t)count);
    coll_pg_array_begin (host, COLL_PG_INT8OID, (uint32_t)count);
    coll_pg_array_begin (kind, COLL_PG_INT2OID, (uint32_t)count);
    coll_pg_array_begin (metric, COLL_PG_TEXTOID, (uint32_t)count);
    coll_pg_array_begin (labels, COLL_PG_JSONBOID, (uint32_t)count);
    for (size_t k = 0; k < count; k++) {
        const s_series_t *e = list[k];
        const char *p = e->key + sizeof (int64_t) + 1, *end = e->key + e->keylen;
        size_t len;
        const char *name = s_key_next (&p, &len);
        coll_pg_array_int4 (ord, (int32_t)k);
        coll_pg_array_int8 (host, e->host_id);
        coll_pg_array_int2 (kind, (int16_t)e->kind);
        vg_buf_reset (&self->text);
        coll_pg_utf8_clean (&self->text, name, len);
        coll_pg_array_text (metric, self->text.data, self->text.len);
        /* Labels as a JSON object, keys ascending as the batch has them. */
        vg_buf_reset (&self->text);
        vg_buf_append (&self->text, "{", 1);
        for (int first = 1; p < end; first = 0) {
            const char *lk = s_key_next (&p, &len);
            if (!first)
                vg_buf_append (&self->text, ",", 1);
            coll_pg_json_string (&self->text, lk, len);
            vg_buf_append (&self->text, ":", 1);
            const char *lv = s_key_next (&p, &len);
            coll_pg_json_string (&self->text, lv, len);
        }
        vg_buf_append (&self->text, "}", 1);
        coll_pg_array_jsonb (labels, self->text.data, self->text.len);
    }
}

/* Looks up the ids of list[0, count) (the parameters are set); fills those
 * found. The digest finds the row; the full comparison guards against a
 * collision. */
static int
s_series_select (coll_store_t *self, s_series_t *const *list, size_t count, char *err,
                 size_t errlen)
{
    int rc;
    PGresult *res = coll_pg_exec_bin (
        self->conn, "looking up series",
        "SELECT u.ord, s.series_id" S_SERIES_ARRAYS " JOIN vigil.series s ON s.host_id = u.host_id"
        "  AND s.series_key = vigil.series_key(u.metric, u.kind, u.labels)"
        "  AND s.metric = u.metric AND s.kind = u.kind AND s.labels = u.labels",
        &self->params, &rc, err, errlen);
    if (!res)
        return rc;
    for (int r = 0; r < PQntuples (res); r++) {
        size_t k = (size_t)strtoull (PQgetvalue (res, r, 0), NULL, 10);
        if (k < count)
            list[k]->series_id = strtoll (PQgetvalue (res, r, 1), NULL, 10);
    }
    PQclear (res);
    return 0;
}

/* Moves the entries of list[0, count) that have no id yet to self->missing;
 * returns how many. */
static size_t
s_series_missing (coll_store_t *self, s_series_t *const *list, size_t count)
{
    size_t n = 0;
    VG_GROW (self->missing, self->missing_cap, count + 1);
    for (size_t k = 0; k < count; k++)
        if (list[k]->series_id < 0)
            self->missing[n++] = list[k];
    return n;
}

/* Learns the ids of self->pending[from, to). One SELECT finds those the
 * database has (all of them after a restart; skipped for hosts it has just
 * met); one INSERT from arrays, committed by itself, adds the others and
 * returns their ids; a last SELECT finds any that another collector added
 * meanwhile. A handful of statements whatever the count. */
static int
s_series_register (coll_store_t *self, size_t from, size_t to, char *err, size_t errlen)
{
    s_series_t **list = self->pending + from;
    size_t count = to - from, nold = 0;
    VG_GROW (self->missing, self->missing_cap, count + 1);
    for (size_t k = 0; k < count; k++) {
        if (!list[k]->host->fresh)
            self->missing[nold++] = list[k];
    }
    int rc = 0;
    if (nold) {
        s_series_params (self, self->missing, nold);
        rc = s_series_select (self, self->missing, nold, err, errlen);
    }
    size_t nmissing = rc ? 0 : s_series_missing (self, list, count);
    if (nmissing) {
        s_series_params (self, self->missing, nmissing);
        /* In the unique index's order, so two collectors registering the
         * same series wait for each other instead of deadlocking. */
        PGresult *res = coll_pg_exec_bin (
            self->conn, "registering series",
            "WITH u AS (SELECT *, vigil.series_key(metric, kind, labels) AS series_key"
            "             " S_SERIES_ARRAYS "),"
            " s AS (INSERT INTO vigil.series (host_id, metric, labels, kind)"
            "        SELECT host_id, metric, labels, kind FROM u ORDER BY host_id, series_key"
            "       ON CONFLICT (host_id, series_key) DO NOTHING"
            "       RETURNING host_id, series_key, series_id)"
            " SELECT u.ord, s.series_id FROM u JOIN s USING (host_id, series_key)",
            &self->params, &rc, err, errlen);
        for (int r = 0; res && r < PQntuples (res); r++) {
            size_t k = (size_t)strtoull (PQgetvalue (res, r, 0), NULL, 10);
            if (k < nmissing)
                self->missing[k]->series_id = strtoll (PQgetvalue (res, r, 1), NULL, 10);
        }
        PQclear (res);
    }
    nmissing = rc ? 0 : s_series_missing (self, list, count);
    if (nmissing) { /* a new snapshot: sees rows another collector added too */
        s_series_params (self, self->missing, nmissing);
        rc = s_series_select (self, self->missing, nmissing, err, errlen);
    }
    nmissing = rc ? 0 : s_series_missing (self, list, count);
    if (nmissing) {
        const char *p = self->missing[0]->key + sizeof (int64_t) + 1;
        size_t len;
        const char *name = s_key_next (&p, &len);
        snprintf (err, errlen, "registering series: %.*s on host %" PRId64 " got no id",
                  (int)(len > 200 ? 200 : len), name, self->missing[0]->host_id);
        rc = VG_EDB;
    }
    return rc;
}

/* Points self->ents / self->ids at every series of every item, registering
 * the new ones. Only ids the database returned are ever used. */
static int
s_series_resolve (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    s_work_t *w = self->work;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (!w[i].skip)
            total += items[i].batch->nseries;
    VG_GROW (self->ents, self->ents_cap, total + 1);
    self->ids = vg_realloc (self->ids, self->ents_cap * sizeof *self->ids);
    self->npending = 0;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i].skip)
            continue;
        const vg_batch_t *b = items[i].batch;
        w[i].first = off;
        /* All keys of the batch first, hashed, their slots fetched ahead; by
         * the time they are looked up the memory is on its way. A batch's
         * series are scattered over a table far bigger than the caches. */
        uint32_t ns = b->nseries;
        VG_GROW (self->koff, self->koff_cap, (size_t)ns + 1);
        VG_GROW (self->khash, self->khash_cap, (size_t)ns + 1);
        vg_buf_reset (&self->key);
        size_t mask = self->series.cap ? self->series.cap - 1 : 0;
        for (uint32_t j = 0; j < ns; j++) {
            self->koff[j] = self->key.len;
            s_series_key (&self->key, w[i].host->host_id, b, &b->series[j]);
            self->khash[j] =
                s_hash_bytes (self->key.data + self->koff[j], self->key.len - self->koff[j]);
            if (mask)
                __builtin_prefetch (&self->series.slots[self->khash[j] & mask]);
        }
        self->koff[ns] = self->key.len;
        for (uint32_t j = 0; j < ns && mask; j++) {
            s_series_t *e = self->series.slots[self->khash[j] & mask];
            if (e)
                __builtin_prefetch (e);
        }
        for (uint32_t j = 0; j < ns; j++) {
            const char *key = self->key.data + self->koff[j];
            size_t keylen = self->koff[j + 1] - self->koff[j];
            uint64_t hash = self->khash[j];
            s_series_t *e = s_table_find (&self->series, hash, key, keylen);
            if (!e) {
                e = vg_calloc (1, sizeof *e + keylen);
                memcpy (e + 1, key, keylen);
                e->hash = hash;
                e->keylen = keylen;
                e->key = (const char *)(e + 1);
                e->host = w[i].host;
                e->host_id = w[i].host->host_id;
                e->series_id = -1;
                e->last_ts_ms = INT64_MIN;
                e->kind = (unsigned char)key[sizeof (int64_t)];
                s_table_put (&self->series, e);
            }
            if (e->series_id < 0 && !e->pending) {
                e->pending = 1;
                VG_GROW (self->pending, self->pending_cap, self->npending + 1);
                self->pending[self->npending++] = e;
            }
            self->ents[off + j] = e;
        }
        off += b->nseries;
    }
    int rc = 0;
    for (size_t from = 0; from < self->npending && rc == 0; from += S_ARRAY_CHUNK) {
        size_t to = from + S_ARRAY_CHUNK < self->npending ? from + S_ARRAY_CHUNK : self->npending;
        rc = s_series_register (self, from, to, err, errlen);
    }
    /* On failure what was learnt is committed and stays; the rest keeps id -1
     * and is registered again next time. */
    for (size_t k = 0; k < self->npending; k++)
        self->pending[k]->pending = 0;
    self->npending = 0;
    for (size_t i = 0; i < n; i++)
        if (!w[i].skip)
            w[i].host->fresh = 0;
    if (rc)
        return rc;
    for (size_t k = 0; k < off; k++)
        self->ids[k] = self->ents[k]->series_id;
    return 0;
}

/* ---- step 3: partitions ---- */

static int64_t
s_day (int64_t ms)
{
    return ms >= 0 ? ms / S_DAY_MS : -((-ms + S_DAY_MS - 1) / S_DAY_MS);
}

static int
s_day_known (const coll_store_t *self, int32_t day)
{
    for (size_t k = 0; k < self->ndays; k++)
        if (self->days[k] == day)
            return 1;
    return 0;
}

/* Counts each item's samples inside and outside its window and makes sure
 * the partitions of the days inside exist (and of the day after, so midnight
 * finds its partition ready). */
static int
s_days_ensure (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    s_work_t *w = self->work;
    size_t nwant = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i].skip)
            continue;
        const vg_batch_t *b = items[i].batch;
        int64_t lo = w[i].lo_ms, hi = w[i].hi_ms, min = INT64_MAX, max = INT64_MIN;
        size_t keep = 0;
        for (size_t k = 0; k < b->nsamples; k++) {
            int64_t ts = b->sample_ts_ms[k];
            if (ts < lo || ts > hi || b->sample_series[k] >= b->nseries)
                continue;
            keep++;
            min = ts < min ? ts : min;
            max = ts > max ? ts : max;
        }
        for (size_t k = 0; k < b->ndists; k++) {
            int64_t ts = b->dists[k].ts_ms;
            if (ts < lo || ts > hi || b->dists[k].series >= b->nseries || !b->dists[k].sketch)
                continue;
            keep++;
            min = ts < min ? ts : min;
            max = ts > max ? ts : max;
        }
        w[i].nkeep = keep;
        w[i].ndrop = b->nsamples + b->ndists - keep;
        w[i].ndrop_events = 0;
        for (size_t k = 0; k < b->nevents; k++)
            w[i].ndrop_events += b->events[k].ts_ms < lo || b->events[k].ts_ms > hi;
        /* The window bounds an item's span: 37 days at most, plus one ahead.
         * Items received days apart (queued through an outage) add theirs. */
        for (int64_t d = keep ? s_day (min) : 1, end = keep ? s_day (max) + 1 : 0; d <= end; d++) {
            int known = s_day_known (self, (int32_t)d);
            for (size_t k = 0; k < nwant && !known; k++)
                known = self->want[k] == (int32_t)d;
            if (known)
                continue;
            VG_GROW (self->want, self->want_cap, nwant + 1);
            self->want[nwant++] = (int32_t)d;
        }
    }
    if (nwant == 0)
        return 0;
    int32_t *want = self->want;
    coll_pg_params_reset (&self->params);
    vg_buf_t *days = coll_pg_params_next (&self->params);
    coll_pg_array_begin (days, COLL_PG_INT4OID, (uint32_t)nwant);
    for (size_t k = 0; k < nwant; k++)
        coll_pg_array_int4 (days, want[k]);
    int rc;
    PGresult *res = coll_pg_exec_bin (self->conn, "creating partitions",
                                      "SELECT vigil.ensure_partitions(date '1970-01-01' + d)"
                                      "  FROM unnest($1::integer[]) AS d",
                                      &self->params, &rc, err, errlen);
    if (!res)
        return rc;
    PQclear (res);
    VG_GROW (self->days, self->days_cap, self->ndays + nwant);
    memcpy (self->days + self->ndays, want, nwant * sizeof *want);
    self->ndays += nwant;
    return 0;
}

/* ---- step 4: the data transaction ---- */

static int
s_send_if_full (coll_store_t *self, const char *what, char *err, size_t errlen)
{
    if (self->copy.len < S_CHUNK)
        return 0;
    int rc = coll_pg_copy_send (self->conn, what, self->copy.data, self->copy.len, err, errlen);
    vg_buf_reset (&self->copy);
    return rc;
}

static int
s_copy_finish (coll_store_t *self, const char *what, char *err, size_t errlen)
{
    coll_pg_copy_trailer (&self->copy);
    int rc = coll_pg_copy_send (self->conn, what, self->copy.data, self->copy.len, err, errlen);
    vg_buf_reset (&self->copy);
    if (rc == 0)
        rc = coll_pg_copy_end (self->conn, what, err, errlen);
    return rc;
}

/* An 8-byte field of a binary COPY tuple: length 8, then v big-endian. */
static inline void
s_put_field8 (char *p, uint64_t v)
{
    unsigned char *u = (unsigned char *)p;
    u[0] = u[1] = u[2] = 0;
    u[3] = 8;
    for (int k = 0; k < 8; k++)
        u[4 + k] = (unsigned char)(v >> (56 - 8 * k));
}

/* The hot loop: four fields per sample, series ids looked up per batch. */
static int
s_copy_samples (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    static const char what[] = "writing samples";
    int rc = coll_pg_copy_begin (self->conn, what,
                                 "COPY vigil.samples (host_id, ts, series_id, value)"
                                 " FROM STDIN (FORMAT binary)",
                                 err, errlen);
    if (rc)
        return rc;
    vg_buf_t *buf = &self->copy;
    vg_buf_reset (buf);
    coll_pg_copy_header (buf);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const s_work_t *w = &self->work[i];
        if (w->skip || !w->stored)
            continue;
        const vg_batch_t *b = items[i].batch;
        const int64_t *ids = self->ids + w->first;
        /* The tuple's constant head: 4 fields, then host_id (8 bytes). */
        vg_buf_t head = {0};
        vg_buf_be16 (&head, 4);
        coll_pg_copy_int8 (&head, w->host->host_id);
        char tuple[S_SAMPLE_TUPLE];
        memcpy (tuple, head.data, S_SAMPLE_HEAD);
        vg_buf_free (&head);
        for (size_t k = 0; k < b->nsamples && rc == 0; k++) {
            int64_t ts = b->sample_ts_ms[k];
            uint32_t s = b->sample_series[k];
            if (ts < w->lo_ms || ts > w->hi_ms || s >= b->nseries)
                continue;
            /* One append per tuple: a call per field costs a third more of
             * the collector's time in this loop. */
            uint64_t value;
            memcpy (&value, &b->sample_value[k], sizeof value);
            s_put_field8 (tuple + S_SAMPLE_HEAD, (uint64_t)coll_pg_ts_from_ms (ts));
            s_put_field8 (tuple + S_SAMPLE_HEAD + 12, (uint64_t)ids[s]);
            s_put_field8 (tuple + S_SAMPLE_HEAD + 24, value);
            vg_buf_append (buf, tuple, sizeof tuple);
            rc = s_send_if_full (self, what, err, errlen);
        }
    }
    if (rc) {
        coll_pg_copy_abort (self->conn, "the collector gave up");
        return rc;
    }
    return s_copy_finish (self, what, err, errlen);
}

/* A bucket store as int4[] of indexes and int8[] of counts, empty buckets
 * left out. */
static void
s_copy_buckets (vg_buf_t *buf, const vg_sketch_store_t *st)
{
    uint32_t nz = 0;
    for (uint32_t k = 0; k < st->len; k++)
        nz += st->counts[k] != 0;
    uint32_t head = nz ? 20 : 12;
    vg_buf_be32 (buf, head + nz * 8);
    coll_pg_array_begin (buf, COLL_PG_INT4OID, nz);
    for (uint32_t k = 0; k < st->len; k++)
        if (st->counts[k])
            coll_pg_array_int4 (buf, st->offset + (int32_t)k);
    vg_buf_be32 (buf, head + nz * 12);
    coll_pg_array_begin (buf, COLL_PG_INT8OID, nz);
    for (uint32_t k = 0; k < st->len; k++)
        if (st->counts[k])
            coll_pg_array_int8 (buf, (int64_t)st->counts[k]);
}

static int
s_copy_dists (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    static const char what[] = "writing distributions";
    int rc = coll_pg_copy_begin (self->conn, what,
                                 "COPY vigil.distributions (host_id, ts, series_id, count, sum,"
                                 " min, max, zero_count, bucket_index, bucket_count,"
                                 " neg_bucket_index, neg_bucket_count) FROM STDIN (FORMAT binary)",
                                 err, errlen);
    if (rc)
        return rc;
    vg_buf_t *buf = &self->copy;
    vg_buf_reset (buf);
    coll_pg_copy_header (buf);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const s_work_t *w = &self->work[i];
        if (w->skip || !w->stored)
            continue;
        const vg_batch_t *b = items[i].batch;
        for (size_t k = 0; k < b->ndists && rc == 0; k++) {
            const vg_dist_t *d = &b->dists[k];
            if (d->ts_ms < w->lo_ms || d->ts_ms > w->hi_ms || d->series >= b->nseries || !d->sketch)
                continue;
            const vg_sketch_t *sk = d->sketch;
            vg_buf_be16 (buf, 12);
            coll_pg_copy_int8 (buf, w->host->host_id);
            coll_pg_copy_ts_ms (buf, d->ts_ms);
            coll_pg_copy_int8 (buf, self->ids[w->first + d->series]);
            coll_pg_copy_int8 (buf, (int64_t)sk->count);
            coll_pg_copy_float8 (buf, sk->sum);
            coll_pg_copy_float8 (buf, sk->count ? sk->min : 0.0);
            coll_pg_copy_float8 (buf, sk->count ? sk->max : 0.0);
            coll_pg_copy_int8 (buf, (int64_t)sk->zero_count);
            s_copy_buckets (buf, &sk->pos);
            s_copy_buckets (buf, &sk->neg);
            rc = s_send_if_full (self, what, err, errlen);
        }
    }
    if (rc) {
        coll_pg_copy_abort (self->conn, "the collector gave up");
        return rc;
    }
    return s_copy_finish (self, what, err, errlen);
}

static int
s_copy_events (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    static const char what[] = "writing events";
    int rc = coll_pg_copy_begin (self->conn, what,
                                 "COPY vigil.events (host_id, ts, name, labels, text)"
                                 " FROM STDIN (FORMAT binary)",
                                 err, errlen);
    if (rc)
        return rc;
    vg_buf_t *buf = &self->copy, *t = &self->text;
    vg_buf_reset (buf);
    coll_pg_copy_header (buf);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const s_work_t *w = &self->work[i];
        if (w->skip || !w->stored)
            continue;
        const vg_batch_t *b = items[i].batch;
        for (size_t k = 0; k < b->nevents && rc == 0; k++) {
            const vg_event_t *e = &b->events[k];
            if (e->ts_ms < w->lo_ms || e->ts_ms > w->hi_ms)
                continue;
            vg_buf_be16 (buf, 5);
            coll_pg_copy_int8 (buf, w->host->host_id);
            coll_pg_copy_ts_ms (buf, e->ts_ms);
            const char *name = s_str (b, e->name);
            vg_buf_reset (t);
            coll_pg_utf8_clean (t, name, strlen (name));
            coll_pg_copy_text (buf, t->data, t->len);
            vg_buf_reset (t);
            vg_buf_append (t, "{", 1);
            for (uint32_t l = 0; l < e->nlabels; l++) {
                const char *key = s_str (b, e->labels[2 * l]);
                const char *val = s_str (b, e->labels[2 * l + 1]);
                if (l)
                    vg_buf_append (t, ",", 1);
                coll_pg_json_string (t, key, strlen (key));
                vg_buf_append (t, ":", 1);
                coll_pg_json_string (t, val, strlen (val));
            }
            vg_buf_append (t, "}", 1);
            coll_pg_copy_jsonb (buf, t->data, t->len);
            const char *text = e->text ? e->text : "";
            vg_buf_reset (t);
            coll_pg_utf8_clean (t, text, strlen (text));
            coll_pg_copy_text (buf, t->data, t->len);
            rc = s_send_if_full (self, what, err, errlen);
        }
    }
    if (rc) {
        coll_pg_copy_abort (self->conn, "the collector gave up");
        return rc;
    }
    return s_copy_finish (self, what, err, errlen);
}

typedef struct {
    int64_t host_id;
    int64_t seq;
    size_t item;
} s_key_t;

static int
s_key_cmp (const void *a, const void *b)
{
    const s_key_t *x = a, *y = b;
    if (x->host_id != y->host_id)
        return x->host_id < y->host_id ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
s_sent_plausible (int64_t sent_ms)
{
    return sent_ms > 0 && sent_ms < S_MAX_PLAUSIBLE_MS;
}

/* Records the group's keys; marks the items whose key was new as stored. */
static int
s_insert_keys (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    s_work_t *w = self->work;
    s_key_t *keys = vg_malloc ((n + 1) * sizeof *keys);
    size_t nkeys = 0;
    for (size_t i = 0; i < n; i++)
        if (!w[i].skip)
            keys[nkeys++] = (s_key_t){w[i].host->host_id, (int64_t)items[i].batch->seq, i};
    coll_pg_params_reset (&self->params);
    vg_buf_t *host = coll_pg_params_next (&self->params);
    vg_buf_t *seq = coll_pg_params_next (&self->params);
    vg_buf_t *received = coll_pg_params_next (&self->params);
    vg_buf_t *sent = coll_pg_params_next (&self->params);
    vg_buf_t *count = coll_pg_params_next (&self->params);
    coll_pg_array_begin (host, COLL_PG_INT8OID, (uint32_t)nkeys);
    coll_pg_array_begin (seq, COLL_PG_INT8OID, (uint32_t)nkeys);
    coll_pg_array_begin (received, COLL_PG_TIMESTAMPTZOID, (uint32_t)nkeys);
    coll_pg_array_begin (sent, COLL_PG_TIMESTAMPTZOID, (uint32_t)nkeys);
    coll_pg_array_begin (count, COLL_PG_INT4OID, (uint32_t)nkeys);
    for (size_t k = 0; k < nkeys; k++) {
        const coll_store_item_t *it = &items[keys[k].item];
        coll_pg_array_int8 (host, keys[k].host_id);
        coll_pg_array_int8 (seq, keys[k].seq);
        coll_pg_array_int8 (received, coll_pg_ts_from_ms (it->received_ms));
        if (s_sent_plausible (it->batch->sent_ms))
            coll_pg_array_int8 (sent, coll_pg_ts_from_ms (it->batch->sent_ms));
        else
            coll_pg_array_null (sent);
        coll_pg_array_int4 (count, (int32_t)w[keys[k].item].nkeep);
    }
    int rc;
    PGresult *res =
        coll_pg_exec_bin (self->conn, "recording batches",
                          "INSERT INTO vigil.batches (host_id, seq, received_at, sent_at, samples)"
                          " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[],"
                          "                      $4::timestamptz[], $5::integer[])"
                          " ON CONFLICT DO NOTHING RETURNING host_id, seq",
                          &self->params, &rc, err, errlen);
    if (res) {
        qsort (keys, nkeys, sizeof *keys, s_key_cmp);
        for (int r = 0; r < PQntuples (res); r++) {
            s_key_t probe = {strtoll (PQgetvalue (res, r, 0), NULL, 10),
                             strtoll (PQgetvalue (res, r, 1), NULL, 10), 0};
            s_key_t *hit = bsearch (&probe, keys, nkeys, sizeof *keys, s_key_cmp);
            if (hit)
                w[hit->item].stored = 1;
        }
        PQclear (res);
    }
    free (keys);
    return res ? 0 : rc;
}

/* After the commit: what the group changed in the newest values. */
static void
s_note_latest (coll_store_t *self, coll_store_item_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s_work_t *w = &self->work[i];
        if (w->skip)
            continue;
        const vg_batch_t *b = items[i].batch;
        s_host_t *h = w->host;
        if (items[i].received_ms > h->seen_ms)
            h->seen_ms = items[i].received_ms;
        if (w->stored && (!h->have_seq || (uint64_t)h->seq < b->seq)) {
            h->seq = (int64_t)b->seq;
            h->have_seq = 1;
            h->have_skew = s_sent_plausible (b->sent_ms);
            h->skew_ms = h->have_skew ? b->sent_ms - items[i].received_ms : 0;
        }
        if (!h->dirty) {
            h->dirty = 1;
            VG_GROW (self->dirty_hosts, self->dirty_hosts_cap, self->ndirty_hosts + 1);
            self->dirty_hosts[self->ndirty_hosts++] = h;
        }
        if (!w->stored)
            continue;
        s_series_t **ents = self->ents + w->first;
        for (size_t k = 0; k < b->nsamples + b->ndists; k++) {
            int64_t ts;
            uint32_t s;
            double v;
            if (k < b->nsamples) {
                ts = b->sample_ts_ms[k];
                s = b->sample_series[k];
                v = b->sample_value[k];
            } else {
                const vg_dist_t *d = &b->dists[k - b->nsamples];
                if (!d->sketch || d->sketch->count == 0)
                    continue;
                ts = d->ts_ms;
                s = d->series;
                v = d->sketch->sum / (double)d->sketch->count; /* the mean */
            }
            if (ts < w->lo_ms || ts > w->hi_ms || s >= b->nseries)
                continue;
            s_series_t *e = ents[s];
            if (ts < e->last_ts_ms)
                continue;
            e->last_ts_ms = ts;
            e->last_value = v;
            if (!e->dirty) {
                e->dirty = 1;
                VG_GROW (self->dirty_series, self->dirty_series_cap, self->ndirty_series + 1);
                self->dirty_series[self->ndirty_series++] = e;
            }
        }
    }
}

int
coll_store_write (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    int rc = coll_store_connect (self, err, errlen);
    if (rc)
        return s_after_failure (self, rc);

    /* The same (agent, seq) twice in the group is stored once. */
    VG_GROW (self->work, self->work_cap, n);
    memset (self->work, 0, n * sizeof *self->work);
    s_work_t *w = self->work;
    for (size_t i = 0; i < n; i++) {
        const vg_batch_t *b = items[i].batch;
        w[i].lo_ms = items[i].received_ms - S_PAST_MS;
        w[i].hi_ms = items[i].received_ms + S_FUTURE_MS;
        for (size_t j = 0; j < i && !w[i].skip; j++)
            w[i].skip = !w[j].skip && items[j].batch->seq == b->seq &&
                        strcmp (items[j].batch->agent_id, b->agent_id) == 0;
    }

    rc = s_hosts_resolve (self, items, n, err, errlen);
    if (rc == 0)
        rc = s_series_resolve (self, items, n, err, errlen);
    if (rc == 0)
        rc = s_days_ensure (self, items, n, err, errlen);
    if (rc)
        return s_after_failure (self, rc);

    rc = coll_pg_command (self->conn, "writing batches", "BEGIN", 0, NULL, err, errlen);
    if (rc == 0)
        rc = s_insert_keys (self, items, n, err, errlen);
    int any_samples = 0, any_dists = 0, any_events = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!w[i].stored)
            continue;
        any_samples |= items[i].batch->nsamples > 0;
        any_dists |= items[i].batch->ndists > 0;
        any_events |= items[i].batch->nevents > 0;
    }
    if (rc == 0 && any_samples)
        rc = s_copy_samples (self, items, n, err, errlen);
    if (rc == 0 && any_dists)
        rc = s_copy_dists (self, items, n, err, errlen);
    if (rc == 0 && any_events)
        rc = s_copy_events (self, items, n, err, errlen);
    if (rc == 0)
        rc = coll_pg_command (self->conn, "writing batches", "COMMIT", 0, NULL, err, errlen);
    if (rc) {
        /* A row outside every partition: one was dropped (retention) while
         * cached here. The days are learnt again, so the retry will work. */
        if (rc == VG_EDB && strstr (err, "SQLSTATE 23514"))
            rc = VG_ERETRY;
        return s_after_failure (self, rc);
    }

    self->stats.transactions++;
    for (size_t i = 0; i < n; i++) {
        if (!w[i].stored) {
            items[i].status = VG_ACK_DUPLICATE;
            self->stats.batches_duplicate++;
            continue;
        }
        items[i].status = VG_ACK_STORED;
        self->stats.batches_stored++;
        self->stats.samples_stored += w[i].nkeep;
        self->stats.samples_dropped += w[i].ndrop;
        if (w[i].ndrop || w[i].ndrop_events)
            vg_complain (&self->range_complaint, S_COMPLAIN_MS, VG_LOG_WARN,
                         "store: agent %s (%s): %zu samples and %zu events dropped, their"
                         " timestamps are outside [received - 35 days, received + 1 day]",
                         items[i].batch->agent_id, w[i].host->hostname, w[i].ndrop,
                         w[i].ndrop_events);
    }
    s_note_latest (self, items, n);
    return 0;
}

/* ---- newest values ---- */

static int
s_dirty_cmp (const void *a, const void *b)
{
    const s_series_t *x = *(s_series_t *const *)a, *y = *(s_series_t *const *)b;
    if (x->host_id != y->host_id)
        return x->host_id < y->host_id ? -1 : 1;
    return x->series_id < y->series_id ? -1 : x->series_id > y->series_id;
}

int
coll_store_flush_latest (coll_store_t *self, char *err, size_t errlen)
{
    if (self->ndirty_series == 0 && self->ndirty_hosts == 0)
        return 0;
    int rc = coll_store_connect (self, err, errlen);
    if (rc)
        return s_after_failure (self, rc);
    /* One order for every collector: no deadlocks between them. */
    qsort (self->dirty_series, self->ndirty_series, sizeof *self->dirty_series, s_dirty_cmp);
    size_t from = 0;
    int hosts_done = 0;
    while (rc == 0 && (from < self->ndirty_series || !hosts_done)) {
        size_t to =
            self->ndirty_series - from > S_ARRAY_CHUNK ? from + S_ARRAY_CHUNK : self->ndirty_series;
        size_t nh = hosts_done ? 0 : self->ndirty_hosts;
        coll_pg_params_reset (&self->params);
        vg_buf_t *p[8];
        for (int k = 0; k < 8; k++)
            p[k] = coll_pg_params_next (&self->params);
        coll_pg_array_begin (p[0], COLL_PG_INT8OID, (uint32_t)(to - from));
        coll_pg_array_begin (p[1], COLL_PG_INT8OID, (uint32_t)(to - from));
        coll_pg_array_begin (p[2], COLL_PG_TIMESTAMPTZOID, (uint32_t)(to - from));
        coll_pg_array_begin (p[3], COLL_PG_FLOAT8OID, (uint32_t)(to - from));
        for (size_t k = from; k < to; k++) {
            const s_series_t *e = self->dirty_series[k];
            coll_pg_array_int8 (p[0], e->host_id);
            coll_pg_array_int8 (p[1], e->series_id);
            coll_pg_array_int8 (p[2], coll_pg_ts_from_ms (e->last_ts_ms));
            coll_pg_array_float8 (p[3], e->last_value);
        }
        coll_pg_array_begin (p[4], COLL_PG_INT8OID, (uint32_t)nh);
        coll_pg_array_begin (p[5], COLL_PG_TIMESTAMPTZOID, (uint32_t)nh);
        coll_pg_array_begin (p[6], COLL_PG_INT8OID, (uint32_t)nh);
        coll_pg_array_begin (p[7], COLL_PG_INT8OID, (uint32_t)nh);
        for (size_t k = 0; k < nh; k++) {
            const s_host_t *h = self->dirty_hosts[k];
            coll_pg_array_int8 (p[4], h->host_id);
            coll_pg_array_int8 (p[5], coll_pg_ts_from_ms (h->seen_ms));
            if (h->have_seq)
                coll_pg_array_int8 (p[6], h->seq);
            else
                coll_pg_array_null (p[6]);
            if (h->have_seq && h->have_skew)
                coll_pg_array_int8 (p[7], h->skew_ms);
            else
                coll_pg_array_null (p[7]);
        }
        /* Only forward: another collector may have written newer values. */
        PGresult *res = coll_pg_exec_bin (
            self->conn, "writing the newest values",
            "WITH s AS ("
            "  UPDATE vigil.series s SET last_ts = u.ts, last_value = u.v"
            "    FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[],"
            "                $4::float8[]) AS u(host_id, series_id, ts, v)"
            "   WHERE s.host_id = u.host_id AND s.series_id = u.series_id"
            "     AND (s.last_ts IS NULL OR s.last_ts <= u.ts)"
            "  RETURNING 1),"
            " h AS ("
            "  UPDATE vigil.hosts h SET last_seen = greatest(h.last_seen, u.seen),"
            "         last_seq = CASE WHEN u.seq >= h.last_seq THEN u.seq ELSE h.last_seq END,"
            "         clock_skew_ms = CASE WHEN u.seq >= h.last_seq"
            "                              THEN coalesce(u.skew, h.clock_skew_ms)"
            "                              ELSE h.clock_skew_ms END"
            "    FROM unnest($5::bigint[], $6::timestamptz[], $7::bigint[], $8::bigint[])"
            "         AS u(host_id, seen, seq, skew)"
            "   WHERE h.host_id = u.host_id"
            "  RETURNING 1)"
            " SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM h)",
            &self->params, &rc, err, errlen);
        if (!res)
            break;
        PQclear (res);
        for (size_t k = from; k < to; k++)
            self->dirty_series[k]->dirty = 0;
        for (size_t k = 0; k < nh; k++)
            self->dirty_hosts[k]->dirty = 0;
        from = to;
        hosts_done = 1;
    }
    if (rc) {
        /* What was written is written; keep the rest for the next call. */
        size_t keep = 0;
        for (size_t k = 0; k < self->ndirty_series; k++)
            if (self->dirty_series[k]->dirty)
                self->dirty_series[keep++] = self->dirty_series[k];
        self->ndirty_series = keep;
        if (hosts_done)
            self->ndirty_hosts = 0;
        return s_after_failure (self, rc);
    }
    self->ndirty_series = 0;
    self->ndirty_hosts = 0;
    return 0;
}
