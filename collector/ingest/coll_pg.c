/*  coll_pg.c - libpq helpers: connect, classify failures, parameters, binary
 *  arrays and binary COPY framing. */
#include "coll_pg.h"
#include "vg_error.h"
#include "vg_utf8.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Milliseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
#define S_PG_EPOCH_MS 946684800000LL

static void
s_quiet (void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Copies msg into out on one line: newlines and tabs become spaces, the
 * trailing ones are dropped. */
static void
s_one_line (char *out, size_t outlen, const char *msg)
{
    size_t k = 0;
    int space = 0;
    for (const char *p = msg ? msg : ""; *p && k + 1 < outlen; p++) {
        if (*p == '\n' || *p == '\t' || *p == '\r' || *p == ' ') {
            space = 1;
            continue;
        }
        if (space && k > 0 && k + 2 < outlen)
            out[k++] = ' ';
        space = 0;
        out[k++] = *p;
    }
    if (outlen)
        out[k] = '\0';
}

/* A connection attempt the server itself refused for good: bad password, no
 * such role or database. libpq gives no SQLSTATE for connection failures, so
 * this reads the server's FATAL message; everything else (refused, timed out,
 * starting up, too many clients) may pass. */
static int
s_connect_refused (const char *msg)
{
    if (!msg || !strstr (msg, "FATAL:"))
        return 0;
    static const char *const transient[] = {
        "starting up", "shutting down",    "in recovery mode", "not yet accepting",
        "too many",    "connection slots", "not accepting",    NULL,
    };
    for (int i = 0; transient[i]; i++)
        if (strstr (msg, transient[i]))
            return 0;
    return 1;
}

PGconn *
coll_pg_connect (const char *url, const char *appname, int *rc, char *err, size_t errlen)
{
    /* Entries before dbname are defaults that the URL's own settings
     * override. Keepalives notice a dead server or network within a minute. */
    const char *keys[] = {
        "application_name",    "connect_timeout",  "keepalives", "keepalives_idle",
        "keepalives_interval", "keepalives_count", "dbname",     NULL};
    const char *vals[] = {appname ? appname : "vigil", "10", "1", "30", "10", "3", url, NULL};
    PGconn *conn = PQconnectdbParams (keys, vals, 1);
    if (conn && PQstatus (conn) == CONNECTION_OK) {
        PQsetNoticeProcessor (conn, s_quiet, NULL);
        *rc = 0;
        return conn;
    }
    const char *msg = conn ? PQerrorMessage (conn) : "out of memory";
    char where[256], line[1024];
    coll_pg_where (NULL, url, where, sizeof where);
    s_one_line (line, sizeof line, msg);
    if (s_connect_refused (msg)) {
        *rc = VG_EDB;
        snprintf (err, errlen, "database at %s refused the connection: %s", where, line);
    } else {
        *rc = VG_ERETRY;
        snprintf (err, errlen, "database at %s unreachable: %s", where, line);
    }
    PQfinish (conn);
    return NULL;
}

PGconn *
coll_pg_keep (PGconn **conn, const char *url, const char *appname, const char *who,
              vg_complain_t *down)
{
    if (*conn && PQstatus (*conn) != CONNECTION_OK) {
        PQfinish (*conn);
        *conn = NULL;
    }
    if (!*conn) {
        char err[1024];
        int rc;
        *conn = coll_pg_connect (url, appname, &rc, err, sizeof err);
        if (!*conn) {
            vg_complain (down, 60000, VG_LOG_WARN, "%s: %s", who, err);
            return NULL;
        }
        vg_complain_clear (down, "%s: connected to the database again", who);
    }
    return *conn;
}

void
coll_pg_where (PGconn *conn, const char *url, char *out, size_t outlen)
{
    if (conn && PQhost (conn) && *PQhost (conn)) {
        const char *host = PQhost (conn);
        snprintf (out, outlen, "%s:%s", host,
                  PQport (conn) && *PQport (conn) ? PQport (conn) : "5432");
        return;
    }
    const char *host = NULL, *port = NULL;
    PQconninfoOption *opts = url ? PQconninfoParse (url, NULL) : NULL;
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (strcmp (o->keyword, "hostaddr") == 0 || (strcmp (o->keyword, "host") == 0 && !host))
            host = o->val;
        else if (strcmp (o->keyword, "port") == 0)
            port = o->val;
    }
    if (!host)
        host = getenv ("PGHOST");
    if (!port)
        port = getenv ("PGPORT");
    snprintf (out, outlen, "%s:%s", host && *host ? host : "localhost",
              port && *port ? port : "5432");
    PQconninfoFree (opts);
}

static _Thread_local coll_pg_last_t s_last;

coll_pg_last_t
coll_pg_last (void)
{
    return s_last;
}

int
coll_pg_sqlstate_class (const char *st)
{
    /* No SQLSTATE: libpq made the error itself, which means the connection. */
    if (!st || strlen (st) != 5)
        return VG_ERETRY;
    if (strncmp (st, "08", 2) == 0 || strncmp (st, "53", 2) == 0 || (strncmp (st, "57P", 3) == 0) ||
        strcmp (st, "40001") == 0 || strcmp (st, "40P01") == 0 || strcmp (st, "55P03") == 0)
        return VG_ERETRY;
    if (strncmp (st, "22", 2) == 0 || strncmp (st, "23", 2) == 0 || strncmp (st, "54", 2) == 0 ||
        strcmp (st, "57014") == 0 || strncmp (st, "P0", 2) == 0)
        return VG_EINVAL;
    return VG_EDB;
}

int
coll_pg_sqlstate_transient (const char *st)
{
    return coll_pg_sqlstate_class (st) == VG_ERETRY;
}

int
coll_pg_classify (PGconn *conn, const PGresult *res)
{
    if (!conn || PQstatus (conn) != CONNECTION_OK || !res)
        return VG_ERETRY;
    return coll_pg_sqlstate_class (PQresultErrorField (res, PG_DIAG_SQLSTATE));
}

int
coll_pg_fail (PGconn *conn, const PGresult *res, const char *what, char *err, size_t errlen)
{
    int rc = coll_pg_classify (conn, res);
    const char *msg = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *st = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
    snprintf (s_last.sqlstate, sizeof s_last.sqlstate, "%s", st ? st : "");
    s_last.constraint = res && PQresultErrorField (res, PG_DIAG_CONSTRAINT_NAME) != NULL;
    s_last.connection_lost = !conn || PQstatus (conn) != CONNECTION_OK;
    if (!msg)
        msg = conn ? PQerrorMessage (conn) : "no connection";
    char where[256], line[1024];
    coll_pg_where (conn, NULL, where, sizeof where);
    s_one_line (line, sizeof line, msg);
    if (!conn || PQstatus (conn) != CONNECTION_OK || !st)
        snprintf (err, errlen, "%s: database at %s unreachable: %s", what, where, line);
    else
        snprintf (err, errlen, "%s: database at %s: %s (SQLSTATE %s)", what, where, line,
                  st ? st : "none");
    return rc;
}

PGresult *
coll_pg_exec (PGconn *conn, const char *what, const char *sql, int nparams,
              const char *const *values, int *rc, char *err, size_t errlen)
{
    PGresult *res = PQexecParams (conn, sql, nparams, NULL, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus (res);
    *rc = 0;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    *rc = coll_pg_fail (conn, res, what, err, errlen);
    PQclear (res);
    return NULL;
}

int
coll_pg_command (PGconn *conn, const char *what, const char *sql, int nparams,
                 const char *const *values, char *err, size_t errlen)
{
    PGresult *res = PQexecParams (conn, sql, nparams, NULL, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus (res);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = coll_pg_fail (conn, res, what, err, errlen);
    PQclear (res);
    return rc;
}

int
coll_pg_prepare (PGconn *conn, const char *what, const char *name, const char *sql, char *err,
                 size_t errlen)
{
    PGresult *res = PQprepare (conn, name, sql, 0, NULL);
    int rc =
        PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : coll_pg_fail (conn, res, what, err, errlen);
    PQclear (res);
    return rc;
}

void
coll_pg_params_reset (coll_pg_params_t *self)
{
    for (size_t i = 0; i < sizeof self->bufs / sizeof self->bufs[0]; i++)
        vg_buf_reset (&self->bufs[i]);
    self->n = 0;
}

void
coll_pg_params_free (coll_pg_params_t *self)
{
    for (size_t i = 0; i < sizeof self->bufs / sizeof self->bufs[0]; i++)
        vg_buf_free (&self->bufs[i]);
    self->n = 0;
}

vg_buf_t *
coll_pg_params_next (coll_pg_params_t *self)
{
    if ((size_t)self->n >= sizeof self->bufs / sizeof self->bufs[0])
        abort (); /* a programmer error: more parameters than slots */
    vg_buf_t *buf = &self->bufs[self->n++];
    vg_buf_reset (buf);
    vg_buf_reserve (buf, 64); /* never NULL data: NULL would mean SQL NULL */
    return buf;
}

PGresult *
coll_pg_exec_bin (PGconn *conn, const char *what, const char *sql, const coll_pg_params_t *params,
                  int *rc, char *err, size_t errlen)
{
    const char *values[16];
    int lengths[16], formats[16];
    for (int i = 0; i < params->n; i++) {
        values[i] = params->bufs[i].data;
        lengths[i] = (int)params->bufs[i].len;
        formats[i] = 1;
    }
    PGresult *res = PQexecParams (conn, sql, params->n, NULL, values, lengths, formats, 0);
    ExecStatusType st = PQresultStatus (res);
    *rc = 0;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    *rc = coll_pg_fail (conn, res, what, err, errlen);
    PQclear (res);
    return NULL;
}

int
coll_pg_pipeline (PGconn *conn, const char *what, size_t n, const char *const *sqls,
                  const coll_pg_params_t *const *params, PGresult **res, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        res[i] = NULL;
    if (PQenterPipelineMode (conn) != 1)
        return coll_pg_fail (conn, NULL, what, err, errlen);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *values[16];
        int lengths[16], formats[16], np = params[i] ? params[i]->n : 0;
        for (int k = 0; k < np; k++) {
            values[k] = params[i]->bufs[k].data;
            lengths[k] = (int)params[i]->bufs[k].len;
            formats[k] = 1;
        }
        const char *prepared = params[i] ? params[i]->prepared : NULL;
        if ((prepared
                 ? PQsendQueryPrepared (conn, prepared, np, values, lengths, formats, 0)
                 : PQsendQueryParams (conn, sqls[i], np, NULL, values, lengths, formats, 0)) != 1)
            rc = coll_pg_fail (conn, NULL, what, err, errlen);
    }
    if (rc == 0 && PQpipelineSync (conn) != 1)
        rc = coll_pg_fail (conn, NULL, what, err, errlen);
    /* Each statement's result, then NULL; after the first failure the rest
     * are PGRES_PIPELINE_ABORTED; then the sync point. */
    for (size_t i = 0; i < n && rc == 0; i++) {
        PGresult *r;
        while ((r = PQgetResult (conn)) != NULL) {
            if (!res[i])
                res[i] = r;
            else
                PQclear (r);
        }
        ExecStatusType st = res[i] ? PQresultStatus (res[i]) : PGRES_FATAL_ERROR;
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            rc = coll_pg_fail (conn, res[i], what, err, errlen);
        if (PQstatus (conn) != CONNECTION_OK && rc == 0)
            rc = coll_pg_fail (conn, NULL, what, err, errlen);
    }
    if (PQstatus (conn) == CONNECTION_OK) {
        /* What is left up to the sync point, whatever happened. */
        size_t nulls = 0;
        while (nulls <= n + 1 && PQstatus (conn) == CONNECTION_OK) {
            PGresult *r = PQgetResult (conn);
            if (!r) {
                nulls++; /* the end of one statement's results */
                continue;
            }
            ExecStatusType st = PQresultStatus (r);
            PQclear (r);
            if (st == PGRES_PIPELINE_SYNC)
                break;
        }
        PQexitPipelineMode (conn);
    }
    if (rc)
        for (size_t i = 0; i < n; i++) {
            PQclear (res[i]);
            res[i] = NULL;
        }
    return rc;
}

int
coll_pg_command_bin (PGconn *conn, const char *what, const char *sql,
                     const coll_pg_params_t *params, char *err, size_t errlen)
{
    int rc;
    PGresult *res = coll_pg_exec_bin (conn, what, sql, params, &rc, err, errlen);
    PQclear (res);
    return res ? 0 : rc;
}

void
coll_pg_array_begin (vg_buf_t *buf, uint32_t elem_oid, uint32_t n)
{
    /* ndim, a has-nulls flag (array_recv works it out itself), the element
     * type, then each dimension's size and lower bound. An empty array has
     * ndim 0 and no dimensions. */
    if (n == 0) {
        vg_buf_be32 (buf, 0);
        vg_buf_be32 (buf, 0);
        vg_buf_be32 (buf, elem_oid);
        return;
    }
    vg_buf_be32 (buf, 1);
    vg_buf_be32 (buf, 0);
    vg_buf_be32 (buf, elem_oid);
    vg_buf_be32 (buf, n);
    vg_buf_be32 (buf, 1);
}

void
coll_pg_bin_null (vg_buf_t *buf)
{
    vg_buf_be32 (buf, UINT32_MAX);
}

void
coll_pg_bin_buckets (vg_buf_t *buf, const vg_sketch_store_t *st)
{
    uint32_t nz = 0;
    for (uint32_t k = 0; k < st->len; k++)
        nz += st->counts[k] != 0;
    uint32_t head = nz ? 20 : 12;
    vg_buf_be32 (buf, head + nz * 8);
    coll_pg_array_begin (buf, COLL_PG_INT4OID, nz);
    for (uint32_t k = 0; k < st->len; k++)
        if (st->counts[k])
            coll_pg_bin_int4 (buf, st->offset + (int32_t)k);
    vg_buf_be32 (buf, head + nz * 12);
    coll_pg_array_begin (buf, COLL_PG_INT8OID, nz);
    for (uint32_t k = 0; k < st->len; k++)
        if (st->counts[k])
            coll_pg_bin_int8 (buf, (int64_t)st->counts[k]);
}

void
coll_pg_copy_header (vg_buf_t *buf)
{
    static const char sig[] = "PGCOPY\n\377\r\n";
    vg_buf_append (buf, sig, sizeof sig); /* the signature ends with its NUL */
    vg_buf_be32 (buf, 0);                 /* flags: no OIDs */
    vg_buf_be32 (buf, 0);                 /* header extension length */
}

void
coll_pg_copy_trailer (vg_buf_t *buf)
{
    vg_buf_be16 (buf, 0xffff);
}

void
coll_pg_bin_int2 (vg_buf_t *buf, int16_t v)
{
    vg_buf_be32 (buf, 2);
    vg_buf_be16 (buf, (uint16_t)v);
}

void
coll_pg_bin_int4 (vg_buf_t *buf, int32_t v)
{
    vg_buf_be32 (buf, 4);
    vg_buf_be32 (buf, (uint32_t)v);
}

void
coll_pg_bin_int8 (vg_buf_t *buf, int64_t v)
{
    vg_buf_be32 (buf, 8);
    vg_buf_be64 (buf, (uint64_t)v);
}

void
coll_pg_bin_float8 (vg_buf_t *buf, double v)
{
    vg_buf_be32 (buf, 8);
    vg_buf_bedouble (buf, v);
}

int64_t
coll_pg_ts_from_ms (int64_t ms)
{
    return (ms - S_PG_EPOCH_MS) * 1000;
}

void
coll_pg_bin_ts_ms (vg_buf_t *buf, int64_t ms)
{
    vg_buf_be32 (buf, 8);
    vg_buf_be64 (buf, (uint64_t)coll_pg_ts_from_ms (ms));
}

void
coll_pg_bin_text (vg_buf_t *buf, const char *s, size_t len)
{
    vg_buf_be32 (buf, (uint32_t)len);
    vg_buf_append (buf, s, len);
}

void
coll_pg_bin_jsonb (vg_buf_t *buf, const char *json, size_t len)
{
    vg_buf_be32 (buf, (uint32_t)(len + 1));
    static const char version = 1;
    vg_buf_append (buf, &version, 1);
    vg_buf_append (buf, json, len);
}

int
coll_pg_copy_begin (PGconn *conn, const char *what, const char *sql, char *err, size_t errlen)
{
    PGresult *res = PQexec (conn, sql);
    int rc = 0;
    if (PQresultStatus (res) != PGRES_COPY_IN)
        rc = coll_pg_fail (conn, res, what, err, errlen);
    PQclear (res);
    return rc;
}

int
coll_pg_copy_send (PGconn *conn, const char *what, const char *data, size_t len, char *err,
                   size_t errlen)
{
    while (len > 0) {
        int n = len > (size_t)INT_MAX ? INT_MAX : (int)len;
        if (PQputCopyData (conn, data, n) != 1)
            return coll_pg_fail (conn, NULL, what, err, errlen);
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads results until libpq has none left; returns the first failed one's
 * classified code (0 if none failed). */
static int
s_drain (PGconn *conn, const char *what, char *err, size_t errlen)
{
    int rc = 0;
    PGresult *res;
    while ((res = PQgetResult (conn)) != NULL) {
        ExecStatusType st = PQresultStatus (res);
        if (rc == 0 && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            rc = coll_pg_fail (conn, res, what, err, errlen);
        PQclear (res);
        /* A lost connection can keep answering PGRES_FATAL_ERROR. */
        if (PQstatus (conn) != CONNECTION_OK)
            break;
    }
    return rc;
}

int
coll_pg_copy_end (PGconn *conn, const char *what, char *err, size_t errlen)
{
    if (PQputCopyEnd (conn, NULL) != 1) {
        int rc = coll_pg_fail (conn, NULL, what, err, errlen);
        s_drain (conn, what, NULL, 0);
        return rc;
    }
    return s_drain (conn, what, err, errlen);
}

void
coll_pg_copy_abort (PGconn *conn, const char *reason)
{
    if (PQputCopyEnd (conn, reason) == 1)
        s_drain (conn, "abort", NULL, 0);
}

/* The length of the valid UTF-8 sequence at p, or 0; NUL counts as invalid,
 * since PostgreSQL's text refuses it. */
static size_t
s_utf8_seq (const unsigned char *p, size_t left)
{
    return p[0] ? vg_utf8_seq (p, left) : 0;
}

int
coll_pg_utf8_valid (const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (p[i] >= 0x20 && p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = s_utf8_seq (p + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

static const char s_replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

int
coll_pg_utf8_clean (vg_buf_t *buf, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    int replaced = 0;
    size_t i = 0, run = 0; /* run: start of the valid bytes not yet copied */
    while (i < len) {
        size_t n = p[i] && p[i] < 0x80 ? 1 : s_utf8_seq (p + i, len - i);
        if (n) {
            i += n;
            continue;
        }
        vg_buf_append (buf, s + run, i - run);
        vg_buf_append (buf, s_replacement, 3);
        replaced = 1;
        run = ++i;
    }
    vg_buf_append (buf, s + run, i - run);
    return replaced;
}
