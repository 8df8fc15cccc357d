/*  coll_registry.c - the host and series registries of the store.
 *
 *  Hosts: a zhashx by agent_id. Series: an open-addressing table keyed by
 *  (host, kind, metric, labels), filled with the ids the database returned -
 *  one SELECT for those it has, one INSERT ... ON CONFLICT DO NOTHING
 *  RETURNING from arrays for the others, whatever their number. Only ids the
 *  database returned are ever used. The newest values are kept per series
 *  and host and written in coll_registry_latest.c. Hosts are registered in
 *  coll_registry_hosts.c.
 */
#include "coll_registry.h"
#include "coll_limits.h"
#include "coll_pg.h"
#include "vg_json.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_hash.h"
#include "vg_log.h"
#include "vg_time.h"

#include <czmq.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SERIES_ARRAYS                                                                            \
    " FROM unnest($1::integer[], $2::bigint[], $3::smallint[], $4::text[], $5::jsonb[])"           \
    " AS u(ord, host_id, kind, metric, labels)"
#define S_MAX_PLAUSIBLE_MS 4102444800000LL /* 2100-01-01: a sent_ms past it is junk */

#include "coll_registry_int.h"

/* ---- caches ---- */

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
        free (h->refused);
        free (h->last_series);
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
/* ---- life ---- */

coll_registry_t *
coll_registry_new (void)
{
    coll_registry_t *self = vg_calloc (1, sizeof *self);
    self->max_statement_bytes = COLL_REGISTRY_STATEMENT_BYTES;
    self->hosts = zhashx_new ();
    zhashx_set_destructor (self->hosts, s_host_free);
    return self;
}

void
coll_registry_destroy (coll_registry_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_registry_t *self = *self_p;
    zhashx_destroy (&self->hosts);
    s_table_free (&self->series);
    free (self->ents);
    free (self->ids);
    free (self->hpend);
    free (self->koff);
    free (self->khash);
    free (self->pending);
    free (self->dirty_series);
    free (self->dirty_hosts);
    vg_buf_free (&self->key);
    vg_buf_free (&self->text);
    coll_pg_params_free (&self->params);
    free (self);
    *self_p = NULL;
}

void
coll_registry_set_statement_bytes (coll_registry_t *self, size_t bytes)
{
    self->max_statement_bytes = bytes;
}

void
coll_registry_set_limits (coll_registry_t *self, coll_limits_t *limits)
{
    self->limits = limits;
}

uint64_t
coll_registry_statements (const coll_registry_t *self)
{
    return self->statements;
}

int
coll_registry_sent_plausible (int64_t sent_ms)
{
    return sent_ms > 0 && sent_ms < S_MAX_PLAUSIBLE_MS;
}

/* ---- step 2: series ---- */

static const char *
s_str (const vg_batch_t *b, uint32_t index)
{
    return index < b->nstrings && b->strings[index] ? b->strings[index] : "";
}

static unsigned char
s_series_kind (const vg_series_t *s)
{
    return (unsigned)s->kind <= VG_KIND_DISTRIBUTION ? (unsigned char)s->kind : 0;
}

/* Appends the cache key of series s of batch b on host host_id to key. */
static void
s_series_key (vg_buf_t *key, int64_t host_id, const vg_batch_t *b, const vg_series_t *s)
{
    unsigned char kind = s_series_kind (s);
    vg_buf_append (key, &host_id, sizeof host_id);
    vg_buf_append (key, &kind, 1);
    s_key_str (key, s_str (b, s->name));
    for (uint32_t l = 0; l < s->nlabels; l++) {
        s_key_str (key, s_str (b, s->labels[2 * l]));
        s_key_str (key, s_str (b, s->labels[2 * l + 1]));
    }
}

/* Whether the next string of a key, at *p, is str; moves *p past it if so.
 * strncmp stops at str's end, so str is never read past it. */
static int
s_key_next_is (const char **p, const char *end, const char *str)
{
    uint32_t n;
    if ((size_t)(end - *p) < sizeof n)
        return 0;
    memcpy (&n, *p, sizeof n);
    const char *k = *p + sizeof n;
    if ((size_t)(end - k) < n || strncmp (k, str, n) != 0 || str[n] != '\0')
        return 0;
    *p = k + n;
    return 1;
}

/* Whether e, a series of the batch's host, is series s of batch b: the key
 * s_series_key would build, compared without building it. */
static int
s_series_is (const s_series_t *e, const vg_batch_t *b, const vg_series_t *s)
{
    const char *p = e->key + sizeof (int64_t), *end = e->key + e->keylen;
    if (p >= end || (unsigned char)*p++ != s_series_kind (s) ||
        !s_key_next_is (&p, end, s_str (b, s->name)))
        return 0;
    for (uint32_t l = 0; l < 2 * s->nlabels; l++)
        if (!s_key_next_is (&p, end, s_str (b, s->labels[l])))
            return 0;
    return p == end;
}

/* Whether batch b names the same series, in the same order, as the last
 * batch of its host h. */
static int
s_same_as_last (const s_host_t *h, const vg_batch_t *b)
{
    if (h->nlast_series != b->nseries || b->nseries == 0)
        return 0;
    if (b->names && b->names->serial == h->last_names)
        return 1;
    for (uint32_t j = 0; j < b->nseries; j++) {
        if (j + 4 < b->nseries) /* the entries are scattered: fetch ahead */
            __builtin_prefetch ((const char *)h->last_series[j + 4] + sizeof (s_series_t));
        if (!s_series_is (h->last_series[j], b, &b->series[j]))
            return 0;
    }
    return 1;
}

/* The parameters $1..$5 of S_SERIES_ARRAYS for list[0, count). */
static void
s_series_params (coll_registry_t *self, s_series_t *const *list, size_t count)
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
        coll_pg_bin_int4 (ord, (int32_t)k);
        coll_pg_bin_int8 (host, e->host_id);
        coll_pg_bin_int2 (kind, (int16_t)e->kind);
        vg_buf_reset (&self->text);
        coll_pg_utf8_clean (&self->text, name, len);
        coll_pg_bin_text (metric, self->text.data, self->text.len);
        /* Labels as a JSON object, keys ascending as the batch has them. */
        vg_buf_reset (&self->text);
        vg_buf_append (&self->text, "{", 1);
        for (int first = 1; p < end; first = 0) {
            const char *lk = s_key_next (&p, &len);
            if (!first)
                vg_buf_append (&self->text, ",", 1);
            vg_json_string (&self->text, lk, len);
            vg_buf_append (&self->text, ":", 1);
            const char *lv = s_key_next (&p, &len);
            vg_json_string (&self->text, lv, len);
        }
        vg_buf_append (&self->text, "}", 1);
        coll_pg_bin_jsonb (labels, self->text.data, self->text.len);
    }
}

/* Runs a statement over list[0, count) (the parameters are set) that returns
 * (ord, series_id) rows, and fills the ids it returns. */
static int
s_series_exec (coll_registry_t *self, PGconn *conn, const char *what, const char *sql,
               s_series_t *const *list, size_t count, char *err, size_t errlen)
{
    int rc;
    PGresult *res = coll_pg_exec_bin (conn, what, sql, &self->params, &rc, err, errlen);
    self->statements++;
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

/* Looks up the ids of list[0, count) (the parameters are set); fills those
 * found. The digest finds the row; the full comparison guards against a
 * collision. It is made after the join (OFFSET 0 keeps the planner from
 * moving it in): offered "metric = ...", the planner may take the index on
 * metric, and one metric on 10,000 hosts then has every probe read them all
 * (a group of new series took 70 s with a million series stored). */
static int
s_series_select (coll_registry_t *self, PGconn *conn, s_series_t *const *list, size_t count,
                 char *err, size_t errlen)
{
    return s_series_exec (
        self, conn, "looking up series",
        "SELECT ord, series_id FROM (SELECT u.*, s.series_id, s.metric AS s_metric,"
        "   s.kind AS s_kind, s.labels AS s_labels" S_SERIES_ARRAYS
        "  JOIN vigil.series s ON s.host_id = u.host_id"
        "   AND s.series_key = vigil.series_key(u.metric, u.kind, u.labels)"
        "  OFFSET 0) x"
        " WHERE s_metric = metric AND s_kind = kind AND s_labels = labels",
        list, count, err, errlen);
}

/* Keeps in list[0, n) only the series of hosts whose new series were not
 * refused; returns how many. */
static size_t
s_series_unrefused (s_series_t **list, size_t n)
{
    size_t keep = 0;
    for (size_t k = 0; k < n; k++)
        if (!list[k]->host->refused)
            list[keep++] = list[k];
    return keep;
}

/* Asks the limits whether each host may register all its new series among
 * list[0, n) at once; the series of a host refused are left out (and the host
 * keeps the reason). Returns how many are left. */
static size_t
s_series_admit (coll_registry_t *self, s_series_t **list, size_t n)
{
    for (size_t k = 0; k < n; k++)
        list[k]->host->pending_new++;
    int64_t now = vg_mono_ms ();
    for (size_t k = 0; k < n; k++) {
        s_host_t *h = list[k]->host;
        if (h->pending_new == 0)
            continue;
        char why[512];
        if (!h->refused &&
            coll_limits_admit (self->limits, h->agent_id, h->pending_new, now, why, sizeof why))
            h->refused = vg_strdup (why);
        h->pending_new = 0;
    }
    return s_series_unrefused (list, n);
}

/* Inserts list[0, count) (the parameters are set), committed by itself, and
 * fills the ids of those it added. In the unique index's order, so two
 * collectors registering the same series wait for each other instead of
 * deadlocking. */
static int
s_series_insert (coll_registry_t *self, PGconn *conn, s_series_t *const *list, size_t count,
                 char *err, size_t errlen)
{
    return s_series_exec (
        self, conn, "registering series",
        "WITH u AS (SELECT *, vigil.series_key(metric, kind, labels) AS series_key"
        "             " S_SERIES_ARRAYS "),"
        " s AS (INSERT INTO vigil.series (host_id, metric, labels, kind)"
        "        SELECT host_id, metric, labels, kind FROM u ORDER BY host_id, series_key"
        "       ON CONFLICT (host_id, series_key) DO NOTHING"
        "       RETURNING host_id, series_key, series_id)"
        " SELECT u.ord, s.series_id FROM u JOIN s USING (host_id, series_key)",
        list, count, err, errlen);
}

/* Looks up (insert 0) or registers (insert 1) list[0, n), in pieces of at
 * most COLL_REGISTRY_ARRAY_CHUNK series and max_statement_bytes: JSON escapes a byte into
 * six at most, so that bounds a series' row. */
static int
s_series_pieces (coll_registry_t *self, PGconn *conn, s_series_t **list, size_t n, int insert,
                 char *err, size_t errlen)
{
    for (size_t from = 0, to; from < n; from = to) {
        size_t bytes = 0;
        for (to = from; to < n && to - from < COLL_REGISTRY_ARRAY_CHUNK; to++) {
            size_t row = list[to]->keylen * 6 + 64;
            if (row > self->max_statement_bytes) {
                const char *p = list[to]->key + sizeof (int64_t) + 1;
                size_t len;
                const char *name = s_key_next (&p, &len);
                snprintf (err, errlen,
                          "registering series: %.*s has %zu bytes of name and labels, too many"
                          " for one statement of at most %zu bytes (max_statement_bytes)",
                          (int)(len > 200 ? 200 : len), name, list[to]->keylen,
                          self->max_statement_bytes);
                return VG_EINVAL;
            }
            if (to > from && bytes + row > self->max_statement_bytes)
                break;
            bytes += row;
        }
        s_series_params (self, list + from, to - from);
        int rc = insert ? s_series_insert (self, conn, list + from, to - from, err, errlen)
                        : s_series_select (self, conn, list + from, to - from, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

/* The series of self->pending that have no id yet, into list; how many. */
static size_t
s_series_without_id (coll_registry_t *self, s_series_t **list)
{
    size_t m = 0;
    for (size_t k = 0; k < self->npending; k++)
        if (self->pending[k]->series_id < 0 && !self->pending[k]->host->refused)
            list[m++] = self->pending[k];
    return m;
}

/* Learns the ids of self->pending: those the database has (all of them after
 * a restart; not looked for on hosts it has just met), then, once the limits
 * have admitted each host's new series as a whole, adds the others; a last
 * look finds any that another collector added meanwhile. Every step in
 * pieces, each committed by itself. */
static int
s_series_register (coll_registry_t *self, PGconn *conn, char *err, size_t errlen)
{
    s_series_t **list = vg_malloc ((self->npending + 1) * sizeof *list);
    size_t m = 0;
    for (size_t k = 0; k < self->npending; k++)
        if (!self->pending[k]->host->fresh)
            list[m++] = self->pending[k];
    int rc = s_series_pieces (self, conn, list, m, 0, err, errlen);
    if (rc == 0) {
        m = s_series_without_id (self, list);
        if (m && self->limits)
            m = s_series_admit (self, list, m);
        rc = s_series_pieces (self, conn, list, m, 1, err, errlen);
    }
    if (rc == 0) {
        m = s_series_without_id (self, list);
        rc = s_series_pieces (self, conn, list, m, 0, err, errlen);
    }
    if (rc == 0 && (m = s_series_without_id (self, list)) > 0) {
        const char *p = list[0]->key + sizeof (int64_t) + 1;
        size_t len;
        const char *name = s_key_next (&p, &len);
        snprintf (err, errlen, "registering series: %.*s on host %" PRId64 " got no id",
                  (int)(len > 200 ? 200 : len), name, list[0]->host_id);
        rc = VG_EDB;
    }
    free (list);
    return rc;
}

/* Series e stands at ents[at]; one without an id yet is to be registered. */
static void
s_series_use (coll_registry_t *self, s_series_t *e, size_t at)
{
    if (e->series_id < 0 && !e->pending) {
        e->pending = 1;
        VG_GROW (self->pending, self->pending_cap, self->npending + 1);
        self->pending[self->npending++] = e;
    }
    self->ents[at] = e;
}

/* Points self->ents / self->ids at every series of every item, registering
 * the new ones. Only ids the database returned are ever used. */
int
coll_registry_series (coll_registry_t *self, PGconn *conn, coll_registry_item_t *items, size_t n,
                      char *err, size_t errlen)
{
    coll_registry_item_t *w = items;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        w[i].refused = NULL;
        if (w[i].skip)
            continue;
        total += items[i].batch->nseries;
        free (w[i].host->refused);
        w[i].host->refused = NULL;
    }
    VG_GROW (self->ents, self->ents_cap, total + 1);
    self->ids = vg_realloc (self->ids, self->ents_cap * sizeof *self->ids);
    self->npending = 0;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i].skip)
            continue;
        const vg_batch_t *b = items[i].batch;
        s_host_t *h = w[i].host;
        w[i].first = off;
        if (s_same_as_last (h, b)) {
            h->last_names = b->names ? b->names->serial : 0;
            for (uint32_t j = 0; j < b->nseries; j++)
                s_series_use (self, h->last_series[j], off + j);
            off += b->nseries;
            continue;
        }
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
                vg_hash_bytes (self->key.data + self->koff[j], self->key.len - self->koff[j]);
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
            s_series_use (self, e, off + j);
        }
        if (ns > 0) {
            VG_GROW (h->last_series, h->last_series_cap, (size_t)ns);
            memcpy (h->last_series, self->ents + off, ns * sizeof *h->last_series);
        }
        h->nlast_series = ns;
        h->last_names = b->names ? b->names->serial : 0;
        off += b->nseries;
    }
    int rc = self->npending ? s_series_register (self, conn, err, errlen) : 0;
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
    /* A batch of an agent refused more series is refused whole. */
    for (size_t i = 0; i < n; i++) {
        if (w[i].skip || !w[i].host->refused)
            continue;
        for (uint32_t j = 0; j < items[i].batch->nseries && !w[i].refused; j++)
            if (self->ids[w[i].first + j] < 0)
                w[i].refused = w[i].host->refused;
    }
    return 0;
}

const int64_t *
coll_registry_ids (const coll_registry_t *self)
{
    return self->ids;
}
