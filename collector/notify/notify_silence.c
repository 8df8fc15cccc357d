/*  notify_silence.c - silences: stored, loaded, matched, expired. */
#include "notify_silence.h"
#include "coll_pg.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
notify_silences_load (PGconn *conn, int64_t now_ms, notify_silences_t *out, char *err,
                      size_t errlen)
{
    char now[32];
    snprintf (now, sizeof now, "%" PRId64, now_ms);
    const char *params[] = {now};
    int rc;
    PGresult *res =
        coll_pg_exec (conn, "loading silences",
                      "SELECT silence_id, matchers, (extract (epoch FROM ends_at) * 1000)::bigint"
                      "  FROM vigil.silences"
                      " WHERE starts_at <= to_timestamp ($1::bigint / 1000.0)"
                      "   AND ends_at > to_timestamp ($1::bigint / 1000.0)",
                      1, params, &rc, err, errlen);
    if (!res)
        return rc;
    int n = PQntuples (res);
    out->items = vg_calloc ((size_t)n + 1, sizeof *out->items);
    out->n = 0;
    for (int r = 0; r < n; r++) {
        notify_silence_t *s = &out->items[out->n];
        char why[256];
        if (notify_matchers_parse (&s->matchers, PQgetvalue (res, r, 1), why, sizeof why) !=
            VG_OK) {
            vg_warn ("silence %s: its matchers no longer parse (%s); it is ignored",
                     PQgetvalue (res, r, 0), why);
            continue;
        }
        snprintf (s->id, sizeof s->id, "%s", PQgetvalue (res, r, 0));
        s->ends_ms = strtoll (PQgetvalue (res, r, 2), NULL, 10);
        out->n++;
    }
    PQclear (res);
    return VG_OK;
}

void
notify_silences_free (notify_silences_t *self)
{
    for (size_t i = 0; i < self->n; i++)
        notify_matchers_free (&self->items[i].matchers);
    free (self->items);
    memset (self, 0, sizeof *self);
}

const notify_silence_t *
notify_silences_match (const notify_silences_t *self, const vg_label_t *labels, size_t n)
{
    for (size_t i = 0; i < self->n; i++)
        if (notify_matchers_match (&self->items[i].matchers, labels, n))
            return &self->items[i];
    return NULL;
}

int
notify_silence_add (PGconn *conn, const char *matchers, int64_t starts_ms, int64_t ends_ms,
                    const char *by, const char *comment, char *id_out, size_t idlen, char *err,
                    size_t errlen)
{
    notify_matchers_t m = {0};
    if (notify_matchers_parse (&m, matchers, err, errlen) != VG_OK)
        return VG_EINVAL;
    notify_matchers_free (&m);
    if (ends_ms <= starts_ms) {
        snprintf (err, errlen, "the silence would end before it starts");
        return VG_EINVAL;
    }
    char starts[32], ends[32];
    snprintf (starts, sizeof starts, "%" PRId64, starts_ms);
    snprintf (ends, sizeof ends, "%" PRId64, ends_ms);
    const char *params[] = {matchers, starts, ends, by, comment ? comment : ""};
    int rc;
    PGresult *res = coll_pg_exec (
        conn, "storing the silence",
        "WITH s AS (INSERT INTO vigil.silences (matchers, starts_at, ends_at, created_by, comment)"
        "  VALUES ($1, to_timestamp ($2::bigint / 1000.0), to_timestamp ($3::bigint / 1000.0),"
        "          $4, $5) RETURNING silence_id)"
        "SELECT s.silence_id, pg_notify ('vigil_notify', 'silence') FROM s",
        5, params, &rc, err, errlen);
    if (!res)
        return rc;
    snprintf (id_out, idlen, "%s", PQgetvalue (res, 0, 0));
    PQclear (res);
    return VG_OK;
}

int
notify_silence_expire (PGconn *conn, const char *id, int64_t now_ms, char *id_out, size_t idlen,
                       char *err, size_t errlen)
{
    size_t len = strlen (id);
    if (len < 8 || len > 36 || strspn (id, "0123456789abcdefABCDEF-") != len) {
        snprintf (err, errlen, "\"%s\" is not a silence id (vigil silence list shows them)", id);
        return VG_EINVAL;
    }
    char now[32];
    snprintf (now, sizeof now, "%" PRId64, now_ms);
    const char *params[] = {id, now};
    int rc;
    PGresult *res = coll_pg_exec (
        conn, "expiring the silence",
        "WITH hit AS (SELECT silence_id FROM vigil.silences"
        "              WHERE silence_id::text LIKE lower ($1) || '%'"
        "                AND ends_at > to_timestamp ($2::bigint / 1000.0)),"
        " upd AS (UPDATE vigil.silences s"
        "            SET ends_at = greatest (s.starts_at, to_timestamp ($2::bigint / 1000.0)),"
        "                updated_at = now ()"
        "          WHERE s.silence_id IN (SELECT silence_id FROM hit)"
        "            AND (SELECT count (*) FROM hit) = 1"
        "      RETURNING s.silence_id)"
        "SELECT (SELECT count (*) FROM hit), (SELECT silence_id FROM upd),"
        "       pg_notify ('vigil_notify', 'silence')",
        2, params, &rc, err, errlen);
    if (!res)
        return rc;
    long hits = atol (PQgetvalue (res, 0, 0));
    if (hits == 1)
        snprintf (id_out, idlen, "%s", PQgetvalue (res, 0, 1));
    PQclear (res);
    if (hits == 0) {
        snprintf (err, errlen, "no active silence with id %s (vigil silence list shows them)", id);
        return VG_ENOTFOUND;
    }
    if (hits > 1) {
        snprintf (err, errlen, "%ld active silences start with %s: give more of the id", hits, id);
        return VG_ENOTFOUND;
    }
    return VG_OK;
}
