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
 *  the ids they return are cached at once. Steps 1 and 2, and the newest
 *  values written by coll_store_flush_latest, are the registry's
 *  (coll_registry.c); the COPY data of step 4 is coll_store_copy.c's; this
 *  file keeps partitions and the data transaction.
 */
#include "coll_store.h"
#include "coll_store_int.h"
#include "coll_migrate.h"
#include "coll_pg.h"
#include "coll_registry.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PAST_MS     (35 * COLL_STORE_DAY_MS) /* samples older than this are dropped */
#define S_FUTURE_MS   COLL_STORE_DAY_MS        /* and so are those this far ahead */
#define S_COMPLAIN_MS 60000

/* The group's keys into the ledger (s_begin_with_keys). Prepared once per
 * connection, so that PostgreSQL parses and analyses it, a statement over
 * every partition of the ledger, once instead of at every group. */
#define S_KEYS_STATEMENT "vigil_batch_keys"
static const char s_keys_sql[] = "INSERT INTO vigil.batches"
                                 " (host_id, incarnation, seq, received_at, sent_at, samples)"
                                 " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[],"
                                 "                      $4::timestamptz[], $5::timestamptz[],"
                                 "                      $6::integer[]) AS u(h, i, s, r, t, n)"
                                 " WHERE NOT EXISTS (SELECT 1 FROM vigil.batches b"
                                 "                    WHERE b.host_id = u.h AND b.incarnation = u.i"
                                 "                      AND b.seq = u.s)"
                                 " ON CONFLICT DO NOTHING RETURNING host_id, incarnation, seq";

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
    coll_pg_last_t last = coll_pg_last ();
    self->lost = rc == VG_ERETRY && self->conn && last.connection_lost && !last.sqlstate[0];
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
    self->registry = coll_registry_new ();
    self->max_statement_bytes = COLL_REGISTRY_STATEMENT_BYTES;
    self->sample_parts = 1;
    return self;
}

void
coll_store_set_sample_parts (coll_store_t *self, int parts)
{
    self->sample_parts = parts < 1                      ? 1
                         : parts > COLL_STORE_MAX_PARTS ? COLL_STORE_MAX_PARTS
                                                        : parts;
}

void
coll_store_set_limits (coll_store_t *self, coll_limits_t *limits)
{
    coll_registry_set_limits (self->registry, limits);
}

void
coll_store_set_statement_bytes (coll_store_t *self, size_t bytes)
{
    self->max_statement_bytes = bytes < 4096 ? 4096 : bytes;
    coll_registry_set_statement_bytes (self->registry, self->max_statement_bytes);
}

int
coll_store_connection_lost (const coll_store_t *self)
{
    return self->lost;
}

void
coll_store_destroy (coll_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_store_t *self = *self_p;
    s_disconnect (self);
    coll_registry_destroy (&self->registry);
    free (self->days);
    free (self->day_parts);
    free (self->want);
    free (self->reg);
    free (self->work);
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
    if (rc == 0)
        rc = coll_pg_prepare (conn, "preparing to record batches", S_KEYS_STATEMENT, s_keys_sql,
                              err, errlen);
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
    coll_store_stats_t stats = self->stats;
    stats.incarnation_changes = coll_registry_incarnation_changes (self->registry);
    stats.statements += coll_registry_statements (self->registry);
    return stats;
}

/* ---- step 3: partitions ---- */

static int
s_day_known (const coll_store_t *self, int32_t day)
{
    for (size_t k = 0; k < self->ndays; k++)
        if (self->days[k] == day)
            return 1;
    return 0;
}

int
coll_store_day_parts (const coll_store_t *self, int64_t day)
{
    for (size_t k = 0; k < self->ndays; k++)
        if (self->days[k] == day)
            return self->day_parts[k];
    return 1;
}

/* Counts each item's samples inside and outside its window and makes sure
 * the partitions of the days inside exist (and of the day after, so midnight
 * finds its partition ready). */
static int
s_days_ensure (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    const coll_registry_item_t *r = self->reg;
    coll_store_work_t *w = self->work;
    size_t nwant = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[i].skip)
            continue;
        const vg_batch_t *b = items[i].batch;
        int64_t lo = r[i].lo_ms, hi = r[i].hi_ms;
        int64_t smin = INT64_MAX, smax = INT64_MIN, dmin = INT64_MAX, dmax = INT64_MIN;
        size_t keep = 0;
        for (size_t k = 0; k < b->nsamples; k++) {
            int64_t ts = b->sample_ts_ms[k];
            if (ts < lo || ts > hi || b->sample_series[k] >= b->nseries)
                continue;
            keep++;
            smin = ts < smin ? ts : smin;
            smax = ts > smax ? ts : smax;
        }
        for (size_t k = 0; k < b->ndists; k++) {
            int64_t ts = b->dists[k].ts_ms;
            if (ts < lo || ts > hi || b->dists[k].series >= b->nseries || !b->dists[k].sketch)
                continue;
            keep++;
            dmin = ts < dmin ? ts : dmin;
            dmax = ts > dmax ? ts : dmax;
        }
        w[i].smin = smin, w[i].smax = smax, w[i].dmin = dmin, w[i].dmax = dmax;
        int64_t min = smin < dmin ? smin : dmin, max = smax > dmax ? smax : dmax;
        w[i].nkeep = keep;
        w[i].ndrop = b->nsamples + b->ndists - keep;
        w[i].ndrop_events = 0;
        for (size_t k = 0; k < b->nevents; k++)
            w[i].ndrop_events += b->events[k].ts_ms < lo || b->events[k].ts_ms > hi;
        /* The window bounds an item's span: 37 days at most, plus one ahead.
         * Items received days apart (queued through an outage) add theirs. */
        for (int64_t d = keep ? coll_store_day (min) : 1, end = keep ? coll_store_day (max) + 1 : 0;
             d <= end; d++) {
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
        coll_pg_bin_int4 (days, want[k]);
    vg_buf_be32 (coll_pg_params_next (&self->params), (uint32_t)self->sample_parts);
    int rc;
    PGresult *res = coll_pg_exec_bin (self->conn, "creating partitions",
                                      "SELECT d, vigil.ensure_partitions(date '1970-01-01' + d,"
                                      "                                  $2::integer)"
                                      "  FROM unnest($1::integer[]) AS d",
                                      &self->params, &rc, err, errlen);
    if (!res)
        return rc;
    VG_GROW (self->days, self->days_cap, self->ndays + nwant);
    VG_GROW (self->day_parts, self->day_parts_cap, self->ndays + nwant);
    for (int k = 0; k < PQntuples (res); k++) {
        int parts = atoi (PQgetvalue (res, k, 1));
        self->days[self->ndays] = atoi (PQgetvalue (res, k, 0));
        self->day_parts[self->ndays++] = parts < 1 ? 1 : parts;
    }
    PQclear (res);
    return 0;
}

/* ---- step 4: the data transaction ---- */

typedef struct {
    int64_t host_id;
    int64_t incarnation;
    int64_t seq;
    size_t item;
} s_key_t;

static int
s_key_cmp (const void *a, const void *b)
{
    const s_key_t *x = a, *y = b;
    if (x->host_id != y->host_id)
        return x->host_id < y->host_id ? -1 : 1;
    if (x->incarnation != y->incarnation)
        return x->incarnation < y->incarnation ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The parameters of keys[from, to) into params. */
static void
s_keys_params (coll_store_t *self, const coll_store_item_t *items, const s_key_t *keys, size_t from,
               size_t to, coll_pg_params_t *params)
{
    const coll_store_work_t *w = self->work;
    uint32_t n = (uint32_t)(to - from);
    coll_pg_params_reset (params);
    vg_buf_t *host = coll_pg_params_next (params);
    vg_buf_t *incarnation = coll_pg_params_next (params);
    vg_buf_t *seq = coll_pg_params_next (params);
    vg_buf_t *received = coll_pg_params_next (params);
    vg_buf_t *sent = coll_pg_params_next (params);
    vg_buf_t *count = coll_pg_params_next (params);
    coll_pg_array_begin (host, COLL_PG_INT8OID, n);
    coll_pg_array_begin (incarnation, COLL_PG_INT8OID, n);
    coll_pg_array_begin (seq, COLL_PG_INT8OID, n);
    coll_pg_array_begin (received, COLL_PG_TIMESTAMPTZOID, n);
    coll_pg_array_begin (sent, COLL_PG_TIMESTAMPTZOID, n);
    coll_pg_array_begin (count, COLL_PG_INT4OID, n);
    params->prepared = S_KEYS_STATEMENT;
    for (size_t k = from; k < to; k++) {
        const coll_store_item_t *it = &items[keys[k].item];
        coll_pg_bin_int8 (host, keys[k].host_id);
        coll_pg_bin_int8 (incarnation, keys[k].incarnation);
        coll_pg_bin_int8 (seq, keys[k].seq);
        coll_pg_bin_int8 (received, coll_pg_ts_from_ms (it->received_ms));
        /* The ledger's partition key: what a replay of the batch repeats. */
        int64_t sent_ms = it->batch->sent_ms;
        coll_pg_bin_int8 (
            sent, coll_pg_ts_from_ms (coll_registry_sent_plausible (sent_ms) ? sent_ms : 0));
        coll_pg_bin_int4 (count, (int32_t)w[keys[k].item].nkeep);
    }
}

/* Opens the data transaction and records the group's keys, in pieces of at
 * most max_statement_bytes, all in one pipeline: one round trip. Keys go in
 * their order, so two writers recording overlapping keys wait for each other
 * instead of deadlocking. A key is a duplicate when the ledger holds it in
 * any partition (a copy whose sent time differs, NOT EXISTS), or when one in
 * its own partition commits first (the primary key: two collectors storing
 * the same replay at once). Marks the items whose key was new as stored. */
static int
s_begin_with_keys (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    coll_registry_item_t *reg = self->reg;
    s_key_t *keys = vg_malloc ((n + 1) * sizeof *keys);
    size_t nkeys = 0;
    for (size_t i = 0; i < n; i++)
        if (!reg[i].skip)
            keys[nkeys++] = (s_key_t){reg[i].host_id, (int64_t)items[i].batch->incarnation,
                                      (int64_t)items[i].batch->seq, i};
    qsort (keys, nkeys, sizeof *keys, s_key_cmp);
    /* Six array elements of at most 12 bytes each. */
    size_t per_piece = self->max_statement_bytes / 72;
    size_t npieces = (nkeys + per_piece - 1) / per_piece;
    const char **sqls = vg_calloc (npieces + 1, sizeof *sqls);
    const coll_pg_params_t **params = vg_calloc (npieces + 1, sizeof *params);
    coll_pg_params_t *bufs = vg_calloc (npieces + 1, sizeof *bufs);
    PGresult **res = vg_calloc (npieces + 1, sizeof *res);
    sqls[0] = "BEGIN";
    for (size_t p = 0; p < npieces; p++) {
        size_t from = p * per_piece, to = from + per_piece < nkeys ? from + per_piece : nkeys;
        s_keys_params (self, items, keys, from, to, &bufs[p + 1]);
        sqls[p + 1] = s_keys_sql;
        params[p + 1] = &bufs[p + 1];
    }
    int rc = coll_pg_pipeline (self->conn, "recording batches", npieces + 1, sqls, params, res, err,
                               errlen);
    self->stats.statements += npieces;
    for (size_t p = 0; p < npieces && rc == 0; p++) {
        size_t from = p * per_piece, to = from + per_piece < nkeys ? from + per_piece : nkeys;
        for (int r = 0; r < PQntuples (res[p + 1]); r++) {
            s_key_t probe = {strtoll (PQgetvalue (res[p + 1], r, 0), NULL, 10),
                             strtoll (PQgetvalue (res[p + 1], r, 1), NULL, 10),
                             strtoll (PQgetvalue (res[p + 1], r, 2), NULL, 10), 0};
            s_key_t *hit = bsearch (&probe, keys + from, to - from, sizeof *keys, s_key_cmp);
            if (hit)
                reg[hit->item].stored = 1;
        }
    }
    for (size_t p = 0; p <= npieces; p++) {
        PQclear (res[p]);
        coll_pg_params_free (&bufs[p]);
    }
    free (res);
    free (bufs);
    free (params);
    free (sqls);
    free (keys);
    return rc;
}

int
coll_store_write (coll_store_t *self, coll_store_item_t *items, size_t n, char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    int rc = coll_store_connect (self, err, errlen);
    if (rc)
        return s_after_failure (self, rc);

    /* The same (agent, incarnation, seq) twice in the group is stored once. */
    VG_GROW (self->reg, self->reg_cap, n);
    memset (self->reg, 0, n * sizeof *self->reg);
    VG_GROW (self->work, self->work_cap, n);
    memset (self->work, 0, n * sizeof *self->work);
    coll_registry_item_t *r = self->reg;
    coll_store_work_t *w = self->work;
    for (size_t i = 0; i < n; i++) {
        const vg_batch_t *b = items[i].batch;
        r[i].batch = b;
        r[i].received_ms = items[i].received_ms;
        r[i].lo_ms = items[i].received_ms - S_PAST_MS;
        r[i].hi_ms = items[i].received_ms + S_FUTURE_MS;
        for (size_t j = 0; j < i && !r[i].skip; j++)
            r[i].skip = !r[j].skip && items[j].batch->seq == b->seq &&
                        items[j].batch->incarnation == b->incarnation &&
                        strcmp (items[j].batch->agent_id, b->agent_id) == 0;
    }

    rc = coll_registry_hosts (self->registry, self->conn, r, n, err, errlen);
    if (rc == 0)
        rc = coll_registry_series (self->registry, self->conn, r, n, err, errlen);
    for (size_t i = 0; i < n && rc == 0; i++) {
        items[i].reason = NULL;
        if (!r[i].refused)
            continue;
        items[i].status = VG_ACK_REJECTED;
        items[i].reason = r[i].refused;
        r[i].skip = 1;
    }
    if (rc == 0)
        rc = s_days_ensure (self, items, n, err, errlen);
    if (rc)
        return s_after_failure (self, rc);

    rc = s_begin_with_keys (self, items, n, err, errlen);
    if (rc == 0)
        rc = coll_store_copy_rows (self, items, n, err, errlen);
    if (rc == 0)
        rc = coll_pg_command (self->conn, "writing batches", "COMMIT", 0, NULL, err, errlen);
    if (rc) {
        /* A row outside every partition: one was dropped (retention) while
         * cached here. The days are learnt again, so the retry will work. */
        coll_pg_last_t last = coll_pg_last ();
        if (rc == VG_EINVAL && strcmp (last.sqlstate, "23514") == 0 && !last.constraint)
            rc = VG_ERETRY;
        return s_after_failure (self, rc);
    }

    self->stats.transactions++;
    for (size_t i = 0; i < n; i++) {
        if (r[i].refused)
            continue;
        if (!r[i].stored) {
            items[i].status = VG_ACK_DUPLICATE;
            self->stats.batches_duplicate++;
            continue;
        }
        items[i].status = VG_ACK_STORED;
        items[i].host_id = r[i].host_id;
        items[i].hostname = r[i].hostname;
        items[i].series_ids = coll_registry_ids (self->registry) + r[i].first;
        items[i].min_ts_ms = r[i].lo_ms;
        items[i].max_ts_ms = r[i].hi_ms;
        self->stats.batches_stored++;
        self->stats.samples_stored += w[i].nkeep;
        self->stats.samples_dropped += w[i].ndrop;
        if (w[i].ndrop || w[i].ndrop_events)
            vg_complain (&self->range_complaint, S_COMPLAIN_MS, VG_LOG_WARN,
                         "store: agent %s (%s): %zu samples and %zu events dropped, their"
                         " timestamps are outside [received - 35 days, received + 1 day]",
                         items[i].batch->agent_id, r[i].hostname, w[i].ndrop, w[i].ndrop_events);
    }
    coll_registry_note (self->registry, r, n);
    return 0;
}

/* ---- the ledger over time ---- */

int
coll_store_maintain_ledger (coll_store_t *self, int64_t now_ms, int keep_days, int ahead_days,
                            int *dropped, char *err, size_t errlen)
{
    *dropped = 0;
    int rc = coll_store_connect (self, err, errlen);
    if (rc)
        return s_after_failure (self, rc);
    char today[16], keep[16], ahead[16];
    snprintf (today, sizeof today, "%lld", (long long)coll_store_day (now_ms));
    snprintf (keep, sizeof keep, "%d", keep_days);
    snprintf (ahead, sizeof ahead, "%d", ahead_days);
    const char *params[] = {today, keep, ahead};
    PGresult *res = coll_pg_exec (self->conn, "trimming the batch ledger",
                                  "SELECT vigil.ledger_maintain(date '1970-01-01' + $1::integer,"
                                  " $2::integer, $3::integer)",
                                  3, params, &rc, err, errlen);
    self->stats.statements++;
    if (!res)
        return s_after_failure (self, rc);
    *dropped = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return 0;
}

/* ---- newest values ---- */

int
coll_store_flush_latest_piece (coll_store_t *self, size_t max_rows, int *more, char *err,
                               size_t errlen)
{
    *more = 0;
    if (!coll_registry_dirty (self->registry))
        return 0;
    int rc = coll_store_connect (self, err, errlen);
    if (rc == 0)
        rc = coll_registry_flush (self->registry, self->conn, max_rows, more, err, errlen);
    return rc ? s_after_failure (self, rc) : 0;
}

int
coll_store_flush_latest (coll_store_t *self, char *err, size_t errlen)
{
    /* Rounds until nothing is left: a round in progress covers only what
     * was noted when it began. */
    int more = 1, rc = 0;
    while ((more || coll_registry_dirty (self->registry)) && rc == 0)
        rc = coll_store_flush_latest_piece (self, 0, &more, err, errlen);
    return rc;
}
