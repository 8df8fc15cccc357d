/*  coll_registry_hosts.c - step 1 of a write: every agent of a group gets its
 *  host, those new to the cache (or with a new hostname) registered in one
 *  upsert per piece of at most max_statement_bytes, committed by itself. */
#include "coll_registry_int.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upserts the agents self->hpend[from, to) in one statement, committed by
 * itself, and caches what comes back. */
static int
s_hosts_piece (coll_registry_t *self, PGconn *conn, const coll_registry_item_t *items, size_t from,
               size_t to, char *err, size_t errlen)
{
    coll_pg_params_reset (&self->params);
    vg_buf_t *agents = coll_pg_params_next (&self->params);
    vg_buf_t *names = coll_pg_params_next (&self->params);
    vg_buf_t *seen = coll_pg_params_next (&self->params);
    coll_pg_array_begin (agents, COLL_PG_TEXTOID, (uint32_t)(to - from));
    coll_pg_array_begin (names, COLL_PG_TEXTOID, (uint32_t)(to - from));
    coll_pg_array_begin (seen, COLL_PG_TIMESTAMPTZOID, (uint32_t)(to - from));
    for (size_t k = from; k < to; k++) {
        const vg_batch_t *b = items[self->hpend[k]].batch;
        const char *hostname = b->hostname ? b->hostname : "";
        vg_buf_reset (&self->text);
        coll_pg_utf8_clean (&self->text, b->agent_id, strlen (b->agent_id));
        coll_pg_bin_text (agents, self->text.data, self->text.len);
        vg_buf_reset (&self->text);
        coll_pg_utf8_clean (&self->text, hostname, strlen (hostname));
        coll_pg_bin_text (names, self->text.data, self->text.len);
        coll_pg_bin_int8 (seen, coll_pg_ts_from_ms (items[self->hpend[k]].received_ms));
    }
    int rc;
    PGresult *res = coll_pg_exec_bin (
        conn, "registering hosts",
        "WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])"
        "             WITH ORDINALITY AS u(agent_id, hostname, seen, ord)),"
        " h AS (INSERT INTO vigil.hosts (agent_id, hostname, last_seen)"
        "        SELECT agent_id, hostname, seen FROM u ORDER BY agent_id"
        "       ON CONFLICT (agent_id) DO UPDATE SET hostname = EXCLUDED.hostname"
        "       RETURNING agent_id, host_id, xmax = 0 AS inserted, incarnation, last_seq)"
        " SELECT u.ord, h.host_id, h.inserted, h.incarnation, h.last_seq,"
        "        CASE WHEN h.inserted THEN 0 ELSE (SELECT count(*) FROM vigil.series s"
        "                                           WHERE s.host_id = h.host_id) END"
        "   FROM u JOIN h USING (agent_id)",
        &self->params, &rc, err, errlen);
    if (!res)
        return rc;
    if ((size_t)PQntuples (res) != to - from) {
        snprintf (err, errlen, "registering hosts: %zu agents sent, %d came back", to - from,
                  PQntuples (res));
        PQclear (res);
        return VG_EDB;
    }
    /* Committed: safe to cache. */
    for (int r = 0; r < PQntuples (res); r++) {
        size_t k = from + (size_t)strtoull (PQgetvalue (res, r, 0), NULL, 10) - 1;
        if (k >= to)
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
        /* What the database knows, so that a new incarnation is seen across
         * a restart of the collector too. */
        int64_t last_seq = strtoll (PQgetvalue (res, r, 4), NULL, 10);
        if (!h->have_seq && last_seq > 0) {
            h->incarnation = strtoll (PQgetvalue (res, r, 3), NULL, 10);
            h->seq = last_seq;
            h->have_seq = 1;
        }
        if (self->limits)
            coll_limits_known (self->limits, h->agent_id,
                               strtoll (PQgetvalue (res, r, 5), NULL, 10));
    }
    PQclear (res);
    self->statements++;
    return 0;
}

static int
s_hosts_resolve (coll_registry_t *self, PGconn *conn, coll_registry_item_t *items, size_t n,
                 char *err, size_t errlen)
{
    /* The items that bring an agent new to the cache (or a new hostname),
     * each agent once. */
    coll_registry_item_t *w = items;
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

    /* In pieces of at most max_statement_bytes. */
    for (size_t from = 0, to; from < np; from = to) {
        size_t bytes = 0;
        for (to = from; to < np; to++) {
            const vg_batch_t *b = items[self->hpend[to]].batch;
            size_t row = strlen (b->agent_id) + strlen (b->hostname ? b->hostname : "") + 64;
            if (to > from && bytes + row > self->max_statement_bytes)
                break;
            bytes += row;
        }
        int rc = s_hosts_piece (self, conn, items, from, to, err, errlen);
        if (rc)
            return rc;
    }
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

int
coll_registry_hosts (coll_registry_t *self, PGconn *conn, coll_registry_item_t *items, size_t n,
                     char *err, size_t errlen)
{
    int rc = s_hosts_resolve (self, conn, items, n, err, errlen);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (items[i].skip)
            continue;
        items[i].host_id = items[i].host->host_id;
        items[i].hostname = items[i].host->hostname;
    }
    return 0;
}
