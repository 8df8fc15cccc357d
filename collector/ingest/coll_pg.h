/*  coll_pg.h - libpq helpers for the collector: connecting, telling transient
 *  failures from real ones, parameterised statements, binary arrays and
 *  binary COPY framing.
 *
 *  Every failure is classified once, here, by its SQLSTATE alone (never by
 *  the text of a message), into three codes:
 *    VG_ERETRY  transient: the connection failed or was lost (class 08, or
 *               no SQLSTATE at all), the server is shutting down or starting
 *               (57P01-57P05), out of resources (53), a serialization failure
 *               (40001), a deadlock (40P01) or a lock timeout (55P03): the
 *               same work will succeed later;
 *    VG_EINVAL  permanent, and caused by what was sent: a data exception
 *               (22), a constraint violation (23), a program limit (54), a
 *               cancelled statement (57014: statement_timeout), or an error
 *               raised by a trigger or function (P0): the work must be
 *               narrowed down to what fails;
 *    VG_EDB     permanent, and not caused by the data: rights, a missing
 *               object, an internal or I/O error - nothing sent can fix it.
 *  Messages name the database ("database at 127.0.0.1:5432 unreachable: ...").
 */
#ifndef COLL_PG_H
#define COLL_PG_H

#include "vg_buf.h"
#include "vg_log.h"
#include "vg_sketch.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

/* Binary COPY and binary arrays want these type oids. */
#define COLL_PG_INT2OID        21
#define COLL_PG_INT4OID        23
#define COLL_PG_INT8OID        20
#define COLL_PG_TEXTOID        25
#define COLL_PG_FLOAT8OID      701
#define COLL_PG_TIMESTAMPTZOID 1184
#define COLL_PG_JSONBOID       3802

/* Connects with TCP keepalives, a connect timeout and application_name
 * (settings in url win). Returns the connection, or NULL with the reason in
 * err and *rc set to VG_ERETRY (unreachable) or VG_EDB (refused: bad
 * password, no such database). Notices are discarded. */
PGconn *coll_pg_connect (const char *url, const char *appname, int *rc, char *err, size_t errlen);

/* A connection kept across calls (a server's handlers, a thread): *conn is
 * made when NULL and made again when lost. Returns it, or NULL when the
 * database does not answer; that is logged as "who: reason" at most once a
 * minute through down, and the recovery once. */
PGconn *coll_pg_keep (PGconn **conn, const char *url, const char *appname, const char *who,
                      vg_complain_t *down);
/* "host:port" of the database url or conn points at (conn may be NULL),
 * for messages. */
void coll_pg_where (PGconn *conn, const char *url, char *out, size_t outlen);

/* VG_ERETRY, VG_EINVAL or VG_EDB for a failed result (res may be NULL) on
 * conn, as above. */
int coll_pg_classify (PGconn *conn, const PGresult *res);
/* The code for a SQLSTATE (NULL: no SQLSTATE, a failure of the connection). */
int coll_pg_sqlstate_class (const char *sqlstate);
/* 1 if the SQLSTATE is one whose cause may pass (see above). */
int coll_pg_sqlstate_transient (const char *sqlstate);

/* What the last coll_pg_fail on this thread saw: its SQLSTATE ("" for none),
 * and whether the failed result named a constraint (a CHECK violation does;
 * a row that no partition takes, 23514 too, does not). */
typedef struct {
    char sqlstate[6];
    int constraint;
    int connection_lost; /* the connection was not usable after the failure */
} coll_pg_last_t;
coll_pg_last_t coll_pg_last (void);

/* Classifies a failure and writes "what: database at HOST:PORT unreachable:
 * message" (connection lost) or "what: database at HOST:PORT: message
 * (SQLSTATE XXXXX)" into err. Returns the code. */
int coll_pg_fail (PGconn *conn, const PGresult *res, const char *what, char *err, size_t errlen);

/* Runs sql with text parameters (nparams may be 0) and expects a command or
 * rows. Returns the result (caller PQclear()s it), or NULL after coll_pg_fail
 * with its code in *rc. */
PGresult *coll_pg_exec (PGconn *conn, const char *what, const char *sql, int nparams,
                        const char *const *values, int *rc, char *err, size_t errlen);
/* The same for a command whose result is not needed; returns 0 or the code. */
int coll_pg_command (PGconn *conn, const char *what, const char *sql, int nparams,
                     const char *const *values, char *err, size_t errlen);

/* A parameter list for coll_pg_exec_bin: every value a vg_buf_t, sent in
 * binary (the SQL casts each, "$1::bigint[]"). */
typedef struct {
    int n;
    vg_buf_t bufs[16];
    /* Set: coll_pg_pipeline runs the statement prepared under this name on
     * the connection (coll_pg_prepare) instead of the SQL text it is given,
     * which PostgreSQL would otherwise parse again at every call. */
    const char *prepared;
} coll_pg_params_t;

/* Resets every buffer (keeping memory) and n. */
void coll_pg_params_reset (coll_pg_params_t *self);
void coll_pg_params_free (coll_pg_params_t *self);
/* The next parameter's buffer, empty. */
vg_buf_t *coll_pg_params_next (coll_pg_params_t *self);
/* Runs sql with the binary parameters; results in text. Like coll_pg_exec. */
PGresult *coll_pg_exec_bin (PGconn *conn, const char *what, const char *sql,
                            const coll_pg_params_t *params, int *rc, char *err, size_t errlen);

/* Prepares sql under name on conn, for coll_pg_params_t.prepared. Like
 * coll_pg_command. */
int coll_pg_prepare (PGconn *conn, const char *what, const char *name, const char *sql, char *err,
                     size_t errlen);

/* Sends n statements (params[i] may be NULL: none) in pipeline mode, so that
 * they cost one round trip, and reads their results into res[i] (caller
 * PQclear()s each). They run in one implicit transaction unless they say
 * otherwise (BEGIN first: the caller's). Returns 0, or the classified code of
 * the first failure with err (and every res[i] NULL). */
int coll_pg_pipeline (PGconn *conn, const char *what, size_t n, const char *const *sqls,
                      const coll_pg_params_t *const *params, PGresult **res, char *err,
                      size_t errlen);

/* The same for a command whose result is not needed; returns 0 or the code. */
int coll_pg_command_bin (PGconn *conn, const char *what, const char *sql,
                         const coll_pg_params_t *params, char *err, size_t errlen);

/* One-dimensional binary arrays, the format array_recv reads: call begin with
 * the element type and count, then put that many elements with the
 * coll_pg_bin_* calls below. */
void coll_pg_array_begin (vg_buf_t *buf, uint32_t elem_oid, uint32_t n);

/* Binary COPY framing: the file header, and the trailer (-1 field count). */
void coll_pg_copy_header (vg_buf_t *buf);
void coll_pg_copy_trailer (vg_buf_t *buf);
/* A binary value with its length in front: a field of a COPY tuple (the tuple
 * starts with vg_buf_be16 (buf, nfields)) or an element of an array, which
 * have the same layout. */
void coll_pg_bin_int2 (vg_buf_t *buf, int16_t v);
void coll_pg_bin_int4 (vg_buf_t *buf, int32_t v);
void coll_pg_bin_int8 (vg_buf_t *buf, int64_t v);
void coll_pg_bin_float8 (vg_buf_t *buf, double v);
/* Milliseconds since the Unix epoch as a timestamptz; within PostgreSQL's
 * range (the caller checks). */
void coll_pg_bin_ts_ms (vg_buf_t *buf, int64_t ms);
void coll_pg_bin_text (vg_buf_t *buf, const char *s, size_t len);
/* jsonb: a version byte, then the JSON text. */
void coll_pg_bin_jsonb (vg_buf_t *buf, const char *json, size_t len);
void coll_pg_bin_null (vg_buf_t *buf);
/* A sketch's bucket store as two fields: int4[] of bucket indexes and int8[]
 * of counts, empty buckets left out. */
void coll_pg_bin_buckets (vg_buf_t *buf, const vg_sketch_store_t *st);

/* Microseconds since 2000-01-01 UTC for ms since the Unix epoch. */
int64_t coll_pg_ts_from_ms (int64_t ms);

/* COPY ... FROM STDIN: starts it, sends data (whole buffers, any size), ends
 * it. On failure the COPY is abandoned and the connection is usable again
 * (unless it was lost); the return is the classified code. */
int coll_pg_copy_begin (PGconn *conn, const char *what, const char *sql, char *err, size_t errlen);
int coll_pg_copy_send (PGconn *conn, const char *what, const char *data, size_t len, char *err,
                       size_t errlen);
int coll_pg_copy_end (PGconn *conn, const char *what, char *err, size_t errlen);
/* Abandons a COPY in progress after a local failure. */
void coll_pg_copy_abort (PGconn *conn, const char *reason);

/* Appends s with every byte sequence that is not valid UTF-8 replaced by
 * U+FFFD; returns 1 if anything was replaced. */
int coll_pg_utf8_clean (vg_buf_t *buf, const char *s, size_t len);
/* 1 if s (len bytes) is valid UTF-8 without NUL. */
int coll_pg_utf8_valid (const char *s, size_t len);

#endif
