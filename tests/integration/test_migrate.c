/*  test_migrate.c - schema migrations against a real PostgreSQL: all of them
 *  on an empty database, nothing the second time (the catalog unchanged to
 *  the byte), and two collectors migrating one fresh database at once. */
#include "coll_migrate.h"
#include "test_assert.h"
#include "test_pg.h"
#include "vg_buf.h"
#include "vg_error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
s_migration_count (void)
{
    int n = 0;
    while (coll_migrations[n].version > 0)
        n++;
    return n;
}

static void
s_dump_query (PGconn *conn, vg_buf_t *out, const char *title, const char *sql)
{
    PGresult *res = PQexec (conn, sql);
    if (PQresultStatus (res) != PGRES_TUPLES_OK)
        TEST_FAIL ("catalog query failed: %s\n  %s", sql, PQerrorMessage (conn));
    vg_buf_printf (out, "== %s (%d)\n", title, PQntuples (res));
    for (int r = 0; r < PQntuples (res); r++) {
        for (int c = 0; c < PQnfields (res); c++)
            vg_buf_printf (out, "%s%s", c ? " | " : "",
                           PQgetisnull (res, r, c) ? "NULL" : PQgetvalue (res, r, c));
        vg_buf_puts (out, "\n");
    }
    PQclear (res);
}

/* Everything schema vigil holds, as text, from pg_catalog. */
static char *
s_dump_catalog (PGconn *conn)
{
    vg_buf_t out = {0};
    s_dump_query (conn, &out, "relations",
                  "SELECT c.relname, c.relkind, c.relpersistence, c.relispartition,"
                  "       pg_get_expr(c.relpartbound, c.oid), pg_get_partkeydef(c.oid)"
                  "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                  " WHERE n.nspname = 'vigil' ORDER BY c.relname");
    s_dump_query (conn, &out, "columns",
                  "SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),"
                  "       a.attnotnull, a.attidentity, a.attgenerated,"
                  "       pg_get_expr(d.adbin, d.adrelid)"
                  "  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                  "  JOIN pg_namespace n ON n.oid = c.relnamespace"
                  "  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
                  " WHERE n.nspname = 'vigil' AND a.attnum > 0 AND NOT a.attisdropped"
                  "   AND c.relkind IN ('r', 'p', 'v', 'm')"
                  " ORDER BY c.relname, a.attnum");
    s_dump_query (conn, &out, "indexes",
                  "SELECT c.relname, pg_get_indexdef(i.indexrelid)"
                  "  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                  "  JOIN pg_namespace n ON n.oid = c.relnamespace"
                  " WHERE n.nspname = 'vigil' ORDER BY c.relname");
    s_dump_query (conn, &out, "constraints",
                  "SELECT c.conrelid::regclass::text, c.conname, c.contype,"
                  "       pg_get_constraintdef(c.oid)"
                  "  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
                  " WHERE n.nspname = 'vigil' ORDER BY 1, 2");
    s_dump_query (conn, &out, "functions",
                  "SELECT p.proname, pg_get_function_identity_arguments(p.oid),"
                  "       pg_get_function_result(p.oid), p.provolatile, pg_get_functiondef(p.oid)"
                  "  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                  " WHERE n.nspname = 'vigil' ORDER BY 1, 2");
    s_dump_query (conn, &out, "sequences",
                  "SELECT s.seqrelid::regclass::text, format_type(s.seqtypid, NULL),"
                  "       s.seqincrement, s.seqstart"
                  "  FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid"
                  "  JOIN pg_namespace n ON n.oid = c.relnamespace"
                  " WHERE n.nspname = 'vigil' ORDER BY 1");
    return out.data;
}

static void
s_check_ledger (PGconn *conn, int n)
{
    ASSERT_EQ (test_pg_count (conn, "SELECT count(*) FROM vigil.schema_migrations"), n);
    ASSERT_EQ (test_pg_count (conn, "SELECT count(DISTINCT version) FROM vigil.schema_migrations"),
               n);
    for (int i = 0; i < n; i++) {
        char version[16];
        snprintf (version, sizeof version, "%d", coll_migrations[i].version);
        const char *params[] = {version};
        PGresult *res = PQexecParams (conn,
                                      "SELECT name FROM vigil.schema_migrations"
                                      " WHERE version = $1::integer AND applied_at <= now()",
                                      1, NULL, params, NULL, NULL, 0);
        ASSERT_EQ (PQresultStatus (res), PGRES_TUPLES_OK);
        ASSERT_EQ (PQntuples (res), 1);
        ASSERT_STR_EQ (PQgetvalue (res, 0, 0), coll_migrations[i].name);
        PQclear (res);
    }
}

typedef struct {
    const char *url;
    int rc;
    int applied;
    char err[512];
} s_racer_t;

static void *
s_race (void *arg)
{
    s_racer_t *r = arg;
    PGconn *conn = test_pg_connect (r->url);
    r->rc = coll_migrate_apply (conn, &r->applied, r->err, sizeof r->err);
    PQfinish (conn);
    return NULL;
}

int
main (void)
{
    int n = s_migration_count ();
    ASSERT_GT (n, 0);
    int last = coll_migrations[n - 1].version;
    for (int i = 1; i < n; i++)
        ASSERT_GT (coll_migrations[i].version, coll_migrations[i - 1].version);
    ASSERT_EQ (coll_migrations[0].version, 1);
    ASSERT_STR_EQ (coll_migrations[0].name, "001_init");

    /* An empty database gets every migration. */
    char *url = test_pg_fresh_db ("vigil_test_migrate");
    PGconn *conn = test_pg_connect (url);
    ASSERT_EQ (coll_migrate_current (conn), 0);
    char err[512] = "";
    int applied = -1;
    int rc = coll_migrate_apply (conn, &applied, err, sizeof err);
    if (rc)
        TEST_FAIL ("first apply: %s", err);
    ASSERT_EQ (applied, n);
    ASSERT_EQ (coll_migrate_current (conn), last);
    s_check_ledger (conn, n);
    /* The lock is released: another session can take it at once. */
    char *locks =
        test_pg_scalar (conn, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'");
    ASSERT_STR_EQ (locks, "0");
    free (locks);

    /* The tables others read are there. */
    char *dump1 = s_dump_catalog (conn);
    static const char *const expect[] = {
        "hosts | r",
        "series | r",
        "samples | p",
        "distributions | p",
        "events | r",
        "batches | p",
        "schema_migrations | r",
        "hosts | 2 | agent_id | text",
        "series | 5 | kind | smallint",
        "samples | 3 | series_id | bigint",
        "ensure_partitions | day date",
        "dist_quantile",
        NULL,
    };
    for (int i = 0; expect[i]; i++)
        ASSERT_STR_CONTAINS (dump1, expect[i]);

    /* The second time: nothing to do, nothing changed. */
    applied = -1;
    rc = coll_migrate_apply (conn, &applied, err, sizeof err);
    if (rc)
        TEST_FAIL ("second apply: %s", err);
    ASSERT_EQ (applied, 0);
    char *dump2 = s_dump_catalog (conn);
    if (strcmp (dump1, dump2) != 0)
        TEST_FAIL ("the catalog changed on the second run:\n--- before\n%s\n--- after\n%s", dump1,
                   dump2);
    s_check_ledger (conn, n);
    /* applied may be NULL. */
    ASSERT_EQ (coll_migrate_apply (conn, NULL, err, sizeof err), 0);
    free (dump1);
    free (dump2);
    PQfinish (conn);
    free (url);

    /* Two collectors starting at once on a fresh database. */
    for (int round = 0; round < 3; round++) {
        url = test_pg_fresh_db ("vigil_test_migrate_race");
        s_racer_t racers[2] = {{.url = url, .rc = 1}, {.url = url, .rc = 1}};
        pthread_t threads[2];
        for (int i = 0; i < 2; i++)
            ASSERT_EQ (pthread_create (&threads[i], NULL, s_race, &racers[i]), 0);
        for (int i = 0; i < 2; i++)
            ASSERT_EQ (pthread_join (threads[i], NULL), 0);
        for (int i = 0; i < 2; i++)
            if (racers[i].rc != 0)
                TEST_FAIL ("racer %d: %s", i, racers[i].err);
        ASSERT_EQ (racers[0].applied + racers[1].applied, n);
        conn = test_pg_connect (url);
        s_check_ledger (conn, n);
        ASSERT_EQ (coll_migrate_current (conn), last);
        PQfinish (conn);
        free (url);
    }

    /* An unreachable database is a transient failure, named. */
    PGconn *bad = PQconnectdb ("postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=5");
    ASSERT (PQstatus (bad) != CONNECTION_OK);
    rc = coll_migrate_apply (bad, &applied, err, sizeof err);
    ASSERT_EQ (rc, VG_ERETRY);
    ASSERT_EQ (applied, 0);
    ASSERT_STR_CONTAINS (err, "unreachable");
    ASSERT (coll_migrate_current (bad) < 0);
    PQfinish (bad);

    printf ("test_migrate: ok (%d migrations)\n", n);
    return 0;
}
