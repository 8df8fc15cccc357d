/*  test_pg.h - the integration tests' PostgreSQL: the cluster the "pg" ctest
 *  fixture started (deploy/pg-cluster.sh), one fresh database per test. */
#ifndef TEST_PG_H
#define TEST_PG_H

#include "coll_store.h"
#include "vg_batch.h"

#include <libpq-fe.h>
#include <stdint.h>

/* The cluster's URL (postgresql://postgres@127.0.0.1:PORT/postgres). Exits the
 * test with a failure if the fixture did not start one. Caller owns it. */
char *test_pg_cluster_url (void);
/* Drops and creates database name; returns its URL (caller owns it). */
char *test_pg_fresh_db (const char *name);
/* Connects or fails the test. */
PGconn *test_pg_connect (const char *url);
/* A fresh database name with the collector's schema applied, connected;
 * its URL in *url (caller owns it). Fails the test if any step fails. */
PGconn *test_pg_migrated (const char *name, char **url);
/* Runs a query that returns one value and returns it as text (caller owns
 * it), or NULL for SQL NULL / no row. Fails the test on error. */
char *test_pg_scalar (PGconn *conn, const char *sql);
/* The same, parsed as a number. */
long long test_pg_count (PGconn *conn, const char *sql);
/* Runs a query with n text parameters and returns its rows (caller clears
 * them), or fails the test. */
PGresult *test_pg_query (PGconn *conn, const char *sql, int n, const char *const *params);
/* The one value of a query with parameters, as text ("" for NULL; caller
 * owns it); fails the test unless there is exactly one row. */
char *test_pg_value (PGconn *conn, const char *sql, int n, const char *const *params);
/* The same, parsed as a number. */
long long test_pg_count_params (PGconn *conn, const char *sql, int n, const char *const *params);
/* How many rows of vigil.<table> belong to agent's host. */
long long test_pg_host_rows (PGconn *conn, const char *table, const char *agent);
/* Runs a command or fails the test. */
void test_pg_exec (PGconn *conn, const char *sql);
/* An empty batch of agent on host, with its sequence and sent time. */
vg_batch_t *test_pg_batch (const char *agent, const char *host, uint64_t seq, int64_t sent_ms);
/* coll_store_write, failing the test if it fails. */
void test_pg_write_ok (coll_store_t *st, coll_store_item_t *items, size_t n);
/* Writes *batch alone, received at received_ms, fails the test unless it is
 * STORED, and destroys it. */
void test_pg_store_one (coll_store_t *st, vg_batch_t **batch, int64_t received_ms);
/* coll_store_flush_latest, failing the test if it fails. */
void test_pg_flush_latest_ok (coll_store_t *st);
/* "YYYYMMDD" of a time in ms (UTC): the day in a partition's name. */
void test_pg_day (int64_t ms, char *out, size_t outlen);

/* The one value of a query (text) equals want (test_assert.h). */
#define ASSERT_PG_SCALAR(conn, sql, want)                                                          \
    do {                                                                                           \
        char *v_ = test_pg_scalar (conn, sql);                                                     \
        ASSERT_STR_EQ (v_, want);                                                                  \
        free (v_);                                                                                 \
    } while (0)
/* The same with n text parameters. */
#define ASSERT_PG_VALUE(conn, sql, n, params, want)                                                \
    do {                                                                                           \
        char *v_ = test_pg_value (conn, sql, n, params);                                           \
        ASSERT_STR_EQ (v_, want);                                                                  \
        free (v_);                                                                                 \
    } while (0)

#endif
