/*  test_pg.c - the integration tests' PostgreSQL helpers. */
#include "test_pg.h"
#include "test_assert.h"
#include "coll_migrate.h"
#include "vg_error.h"
#include "vg_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *
test_pg_cluster_url (void)
{
    const char *dir = getenv ("VIGIL_TEST_PG_DIR");
    if (!dir)
        TEST_FAIL ("VIGIL_TEST_PG_DIR is not set: run the tests with ctest");
    char path[4096];
    snprintf (path, sizeof path, "%s/url", dir);
    FILE *f = fopen (path, "r");
    if (!f)
        TEST_FAIL ("no PostgreSQL cluster: %s is missing (did the pg.start fixture fail?)", path);
    char line[512] = "";
    if (!fgets (line, sizeof line, f))
        line[0] = '\0';
    fclose (f);
    line[strcspn (line, "\r\n")] = '\0';
    if (!*line)
        TEST_FAIL ("%s is empty", path);
    return vg_strdup (line);
}

PGconn *
test_pg_connect (const char *url)
{
    PGconn *conn = PQconnectdb (url);
    if (PQstatus (conn) != CONNECTION_OK)
        TEST_FAIL ("cannot connect to %s: %s", url, PQerrorMessage (conn));
    PQsetNoticeProcessor (conn, NULL, NULL);
    return conn;
}

void
test_pg_exec (PGconn *conn, const char *sql)
{
    PGresult *res = PQexec (conn, sql);
    ExecStatusType st = PQresultStatus (res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        TEST_FAIL ("SQL failed: %s\n  %s", sql, PQerrorMessage (conn));
    PQclear (res);
}

char *
test_pg_fresh_db (const char *name)
{
    char *cluster = test_pg_cluster_url ();
    PGconn *conn = test_pg_connect (cluster);
    char sql[512];
    snprintf (sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
    test_pg_exec (conn, sql);
    snprintf (sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
    test_pg_exec (conn, sql);
    PQfinish (conn);
    /* Replace the database part of .../postgres with the new name. */
    char *slash = strrchr (cluster, '/');
    *slash = '\0';
    char *url = vg_asprintf ("%s/%s", cluster, name);
    free (cluster);
    return url;
}

char *
test_pg_scalar (PGconn *conn, const char *sql)
{
    PGresult *res = PQexec (conn, sql);
    if (PQresultStatus (res) != PGRES_TUPLES_OK)
        TEST_FAIL ("query failed: %s\n  %s", sql, PQerrorMessage (conn));
    char *out = NULL;
    if (PQntuples (res) > 0 && !PQgetisnull (res, 0, 0))
        out = vg_strdup (PQgetvalue (res, 0, 0));
    PQclear (res);
    return out;
}

long long
test_pg_count (PGconn *conn, const char *sql)
{
    char *v = test_pg_scalar (conn, sql);
    if (!v)
        TEST_FAIL ("query returned no value: %s", sql);
    long long n = atoll (v);
    free (v);
    return n;
}

PGresult *
test_pg_query (PGconn *conn, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams (conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK)
        TEST_FAIL ("query failed: %s\n  %s", sql, PQerrorMessage (conn));
    return res;
}

char *
test_pg_value (PGconn *conn, const char *sql, int n, const char *const *params)
{
    PGresult *res = test_pg_query (conn, sql, n, params);
    if (PQntuples (res) != 1)
        TEST_FAIL ("expected one row, got %d: %s", PQntuples (res), sql);
    char *v = vg_strdup (PQgetvalue (res, 0, 0));
    PQclear (res);
    return v;
}

PGconn *
test_pg_migrated (const char *name, char **url)
{
    *url = test_pg_fresh_db (name);
    PGconn *conn = test_pg_connect (*url);
    char err[1024];
    if (coll_migrate_apply (conn, NULL, err, sizeof err) != VG_OK)
        TEST_FAIL ("migrate %s: %s", name, err);
    return conn;
}

vg_batch_t *
test_pg_batch (const char *agent, const char *host, uint64_t seq, int64_t sent_ms)
{
    vg_batch_t *b = vg_batch_new (agent, host);
    b->seq = seq;
    b->sent_ms = sent_ms;
    return b;
}

void
test_pg_write_ok (coll_store_t *st, coll_store_item_t *items, size_t n)
{
    char err[1024] = "";
    int rc = coll_store_write (st, items, n, err, sizeof err);
    if (rc != 0)
        TEST_FAIL ("coll_store_write: %s (%s)", vg_strerror (rc), err);
}

long long
test_pg_count_params (PGconn *conn, const char *sql, int n, const char *const *params)
{
    char *v = test_pg_value (conn, sql, n, params);
    long long c = atoll (v);
    free (v);
    return c;
}

long long
test_pg_host_rows (PGconn *conn, const char *table, const char *agent)
{
    char sql[256];
    snprintf (sql, sizeof sql,
              "SELECT count(*) FROM vigil.%s WHERE host_id ="
              " (SELECT host_id FROM vigil.hosts WHERE agent_id = $1)",
              table);
    const char *p[] = {agent};
    return test_pg_count_params (conn, sql, 1, p);
}

void
test_pg_store_one (coll_store_t *st, vg_batch_t **batch, int64_t received_ms)
{
    coll_store_item_t item = {.batch = *batch, .received_ms = received_ms};
    test_pg_write_ok (st, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_STORED);
    vg_batch_destroy (batch);
}

void
test_pg_flush_latest_ok (coll_store_t *st)
{
    char err[1024] = "";
    int rc = coll_store_flush_latest (st, err, sizeof err);
    if (rc != 0)
        TEST_FAIL ("coll_store_flush_latest: %s (%s)", vg_strerror (rc), err);
}

void
test_pg_day (int64_t ms, char *out, size_t outlen)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (out, outlen, "%Y%m%d", &tm);
}
