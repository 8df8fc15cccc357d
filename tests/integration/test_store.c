/*  test_store.c - coll_store against a real PostgreSQL: what is sent is what
 *  is stored, to the millisecond and the bit; a batch is stored once however
 *  often it comes; day partitions, and one dropped under the store; the
 *  accepted time window; many new series and strings PostgreSQL would
 *  refuse. The newest values: test_latest.c; failures and the statement
 *  bound: test_store_failures.c. */
#include "coll_store.h"
#include "test_assert.h"
#include "test_pg.h"
#include "vg_batch.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_sketch.h"
#include "vg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

static char *s_url;
static PGconn *s_db;

/* ---- helpers ---- */

/* "{1,2,3}" for the non-empty buckets of a store, as PostgreSQL prints arrays. */
static void
s_buckets_text (const vg_sketch_store_t *st, int counts, vg_buf_t *out)
{
    vg_buf_reset (out);
    vg_buf_puts (out, "{");
    int first = 1;
    for (uint32_t k = 0; k < st->len; k++) {
        if (!st->counts[k])
            continue;
        if (counts)
            vg_buf_printf (out, "%s%llu", first ? "" : ",", (unsigned long long)st->counts[k]);
        else
            vg_buf_printf (out, "%s%d", first ? "" : ",", st->offset + (int)k);
        first = 0;
    }
    vg_buf_puts (out, "}");
}

/* ---- one batch, stored as sent ---- */

typedef struct {
    const char *metric;
    const char *labels; /* JSON */
    int64_t ts;
    double value;
} s_expect_t;

static void
s_check_sample (const s_expect_t *e)
{
    char ts[32];
    snprintf (ts, sizeof ts, "%lld", (long long)e->ts);
    const char *p[] = {e->metric, e->labels, ts};
    PGresult *res =
        test_pg_query (s_db,
                       "SELECT x.value FROM vigil.samples x"
                       "  JOIN vigil.series s USING (host_id, series_id)"
                       " WHERE s.metric = $1 AND s.labels = $2::jsonb"
                       "   AND x.ts = 'epoch'::timestamptz + $3::bigint * interval '1 ms'",
                       3, p);
    if (PQntuples (res) != 1)
        TEST_FAIL ("sample %s %s @%s: %d rows", e->metric, e->labels, ts, PQntuples (res));
    double v = strtod (PQgetvalue (res, 0, 0), NULL);
    if (v != e->value)
        TEST_FAIL ("sample %s %s: stored %.17g, sent %.17g", e->metric, e->labels, v, e->value);
    PQclear (res);
}

static void
s_test_one_batch (coll_store_t *st, int64_t now)
{
    int64_t t0 = now - 60000;
    vg_batch_t *b = test_pg_batch ("agent-a", "host-a", 1, now - 250);
    vg_label_t user[] = {{"mode", "user"}};
    vg_label_t tricky[] = {
        {"path", "/say \"hi\"\n"}, {"city", "Zürich ☃ 東京"}, {"tab", "a\tb\\c"}};
    vg_label_t chat[] = {{"endpoint", "/chat"}};
    uint32_t cpu_user = vg_batch_series (b, "cpu_percent", VG_KIND_GAUGE, user, 1);
    uint32_t cpu = vg_batch_series (b, "cpu_percent", VG_KIND_GAUGE, NULL, 0);
    uint32_t req = vg_batch_series (b, "http_requests_total", VG_KIND_COUNTER, tricky, 3);
    uint32_t lat = vg_batch_series (b, "http_latency_ms", VG_KIND_DISTRIBUTION, chat, 1);
    vg_batch_add_sample (b, cpu_user, t0, 12.5);
    vg_batch_add_sample (b, cpu_user, t0 + 10001, 13.250000000000002);
    vg_batch_add_sample (b, cpu, t0, 42.0);
    vg_batch_add_sample (b, req, t0 + 1, 1e15 + 1);
    vg_batch_add_sample (b, req, t0 + 2, 1e-300);
    vg_sketch_t *sk = vg_sketch_new ();
    for (int i = 1; i <= 1000; i++)
        vg_sketch_add (sk, i * 1.5);
    vg_sketch_add (sk, 0.0);
    vg_sketch_add (sk, -5.0);
    vg_sketch_add (sk, -7.5);
    vg_batch_add_dist (b, lat, t0 + 3, sk);
    vg_label_t ev[] = {{"version", "1.2.3"}, {"who", "ops \"team\""}};
    vg_batch_add_event (b, t0 + 4, "deploy", ev, 2, "done ✓\nall good");

    coll_store_item_t item = {.batch = b, .received_ms = now, .status = VG_ACK_RETRY};
    test_pg_write_ok (st, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_STORED);
    coll_store_stats_t stats = coll_store_stats (st);
    ASSERT_EQ (stats.batches_stored, 1);
    ASSERT_EQ (stats.samples_stored, 6);
    ASSERT_EQ (stats.samples_dropped, 0);
    ASSERT_EQ (stats.transactions, 1);

    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.hosts"), 1);
    ASSERT_PG_SCALAR (s_db, "SELECT hostname FROM vigil.hosts WHERE agent_id = 'agent-a'",
                      "host-a");
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.series"), 4);
    static const char tricky_json[] =
        "{\"path\": \"/say \\\"hi\\\"\\n\", \"city\": \"Zürich ☃ 東京\", \"tab\": \"a\\tb\\\\c\"}";
    const char *p1[] = {tricky_json};
    ASSERT_EQ (test_pg_count_params (
                   s_db,
                   "SELECT count(*) FROM vigil.series WHERE metric = 'http_requests_total'"
                   " AND kind = 1 AND labels = $1::jsonb",
                   1, p1),
               1);
    /* The label values come back exactly as sent. */
    ASSERT_PG_SCALAR (s_db,
                      "SELECT labels->>'path' FROM vigil.series"
                      " WHERE metric = 'http_requests_total'",
                      "/say \"hi\"\n");
    ASSERT_PG_SCALAR (s_db,
                      "SELECT labels->>'city' FROM vigil.series"
                      " WHERE metric = 'http_requests_total'",
                      "Zürich ☃ 東京");
    ASSERT_PG_SCALAR (s_db,
                      "SELECT labels->>'tab' FROM vigil.series"
                      " WHERE metric = 'http_requests_total'",
                      "a\tb\\c");
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.series WHERE metric = 'cpu_percent'"
                                    " AND kind = 0 AND labels = '{}'"),
               1);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.series"
                                    " WHERE metric = 'http_latency_ms' AND kind = 2"
                                    " AND labels = '{\"endpoint\": \"/chat\"}'"),
               1);

    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.samples"), 5);
    s_expect_t expect[] = {
        {"cpu_percent", "{\"mode\": \"user\"}", t0, 12.5},
        {"cpu_percent", "{\"mode\": \"user\"}", t0 + 10001, 13.250000000000002},
        {"cpu_percent", "{}", t0, 42.0},
        {"http_requests_total", tricky_json, t0 + 1, 1e15 + 1},
        {"http_requests_total", tricky_json, t0 + 2, 1e-300},
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        s_check_sample (&expect[i]);

    /* The distribution, bucket for bucket. */
    PGresult *res =
        test_pg_query (s_db,
                       "SELECT (extract(epoch FROM ts) * 1000)::bigint, count, sum, min, max,"
                       " zero_count, bucket_index, bucket_count, neg_bucket_index,"
                       " neg_bucket_count FROM vigil.distributions",
                       0, NULL);
    ASSERT_EQ (PQntuples (res), 1);
    ASSERT_EQ (atoll (PQgetvalue (res, 0, 0)), t0 + 3);
    ASSERT_EQ (atoll (PQgetvalue (res, 0, 1)), (long long)sk->count);
    ASSERT (strtod (PQgetvalue (res, 0, 2), NULL) == sk->sum);
    ASSERT (strtod (PQgetvalue (res, 0, 3), NULL) == sk->min);
    ASSERT (strtod (PQgetvalue (res, 0, 4), NULL) == sk->max);
    ASSERT_EQ (atoll (PQgetvalue (res, 0, 5)), (long long)sk->zero_count);
    vg_buf_t text = {0};
    s_buckets_text (&sk->pos, 0, &text);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 6), text.data);
    s_buckets_text (&sk->pos, 1, &text);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 7), text.data);
    s_buckets_text (&sk->neg, 0, &text);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 8), text.data);
    s_buckets_text (&sk->neg, 1, &text);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 9), text.data);
    PQclear (res);
    vg_buf_free (&text);

    /* vigil.dist_quantile answers what the sketch answers in C. */
    static const char *const qs[] = {"0",   "0.001", "0.002", "0.01", "0.5",
                                     "0.9", "0.95",  "0.99",  "1"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        const char *p[] = {qs[i]};
        char *v = test_pg_value (s_db,
                                 "SELECT vigil.dist_quantile($1::float8, array_agg(d))"
                                 "  FROM vigil.distributions d",
                                 1, p);
        double want = vg_sketch_quantile (sk, atof (qs[i]));
        ASSERT_NEAR (strtod (v, NULL), want, 1e-9 * (1 + fabs (want)));
        free (v);
    }
    ASSERT_PG_SCALAR (s_db,
                      "SELECT coalesce(vigil.dist_quantile(0.5, array_agg(d))::text, 'null')"
                      "  FROM vigil.distributions d WHERE false",
                      "null");
    vg_sketch_destroy (&sk);

    res = test_pg_query (s_db,
                         "SELECT name, labels::text, text, (extract(epoch FROM ts) * 1000)::bigint"
                         "  FROM vigil.events",
                         0, NULL);
    ASSERT_EQ (PQntuples (res), 1);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 0), "deploy");
    ASSERT_STR_EQ (PQgetvalue (res, 0, 1),
                   "{\"who\": \"ops \\\"team\\\"\", \"version\": \"1.2.3\"}");
    ASSERT_STR_EQ (PQgetvalue (res, 0, 2), "done ✓\nall good");
    ASSERT_EQ (atoll (PQgetvalue (res, 0, 3)), t0 + 4);
    PQclear (res);

    const char *pa[] = {"agent-a"};
    ASSERT_EQ (test_pg_count_params (
                   s_db,
                   "SELECT samples FROM vigil.batches b JOIN vigil.hosts h USING (host_id)"
                   " WHERE h.agent_id = $1 AND b.seq = 1",
                   1, pa),
               6);

    /* The same batch again: acknowledged as a duplicate, nothing added. */
    item.status = VG_ACK_RETRY;
    test_pg_write_ok (st, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_DUPLICATE);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.samples"), 5);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.distributions"), 1);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.events"), 1);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.batches"), 1);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.series"), 4);
    stats = coll_store_stats (st);
    ASSERT_EQ (stats.batches_duplicate, 1);
    ASSERT_EQ (stats.samples_stored, 6);

    /* A fresh store (a restarted collector) knows nothing and still sees it. */
    coll_store_t *fresh = coll_store_new (s_url);
    item.status = VG_ACK_RETRY;
    test_pg_write_ok (fresh, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_DUPLICATE);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.samples"), 5);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.series"), 4);
    coll_store_destroy (&fresh);
    vg_batch_destroy (&b);
}

/* ---- a group: a known duplicate, and one batch twice ---- */

static void
s_test_group (coll_store_t *st, int64_t now)
{
    vg_batch_t *a1 = test_pg_batch ("agent-a", "host-a", 1, now);
    uint32_t s = vg_batch_series (a1, "cpu_percent", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (a1, s, now - 60000, 42.0); /* agent-a's seq 1 is stored already */
    vg_batch_t *b7 = test_pg_batch ("agent-b", "host-b", 7, now);
    vg_label_t l[] = {{"mount", "/"}};
    uint32_t d = vg_batch_series (b7, "disk_used_percent", VG_KIND_GAUGE, l, 1);
    vg_batch_add_sample (b7, d, now - 5000, 61.5);
    vg_batch_add_sample (b7, d, now - 4000, 61.75);
    vg_batch_add_event (b7, now - 4000, "backup_done", NULL, 0, "");

    coll_store_stats_t before = coll_store_stats (st);
    coll_store_item_t items[3] = {
        {.batch = a1, .received_ms = now, .status = VG_ACK_RETRY},
        {.batch = b7, .received_ms = now, .status = VG_ACK_RETRY},
        {.batch = b7, .received_ms = now + 5, .status = VG_ACK_RETRY},
    };
    test_pg_write_ok (st, items, 3);
    ASSERT_EQ (items[0].status, VG_ACK_DUPLICATE);
    ASSERT_EQ (items[1].status, VG_ACK_STORED);
    ASSERT_EQ (items[2].status, VG_ACK_DUPLICATE);
    coll_store_stats_t after = coll_store_stats (st);
    ASSERT_EQ (after.batches_stored - before.batches_stored, 1);
    ASSERT_EQ (after.batches_duplicate - before.batches_duplicate, 2);
    ASSERT_EQ (after.samples_stored - before.samples_stored, 2);
    ASSERT_EQ (after.transactions - before.transactions, 1);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "agent-a"), 5);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "agent-b"), 2);
    ASSERT_EQ (test_pg_host_rows (s_db, "events", "agent-b"), 1);
    ASSERT_EQ (test_pg_host_rows (s_db, "batches", "agent-b"), 1);
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM vigil.hosts"), 2);
    vg_batch_destroy (&a1);
    vg_batch_destroy (&b7);
}

/* ---- an agent's list of series, changing from batch to batch ---- */

/* One batch of agent-list: cpu_seconds{core=core} (a gauge, or with a second
 * label x="y" when extra), then mem_bytes of kind mem_kind, or the two the
 * other way round when swapped; each sample at ts, valued v and v + 1. */
static vg_batch_t *
s_list_batch (uint64_t seq, int64_t ts, double v, const char *core, int extra, int mem_kind,
              int swapped)
{
    vg_batch_t *b = test_pg_batch ("agent-list", "host-list", seq, ts);
    vg_label_t l[] = {{"core", core}, {"x", "y"}};
    uint32_t cpu = 0, mem = 0;
    if (swapped)
        mem = vg_batch_series (b, "mem_bytes", mem_kind, NULL, 0);
    cpu = vg_batch_series (b, "cpu_seconds", VG_KIND_GAUGE, l, extra ? 2 : 1);
    if (!swapped)
        mem = vg_batch_series (b, "mem_bytes", mem_kind, NULL, 0);
    vg_batch_add_sample (b, cpu, ts, v);
    vg_batch_add_sample (b, mem, ts, v + 1);
    return b;
}

/* What s_list_batch sent is stored under the series it named, and mem_bytes
 * under the kind it had. */
static void
s_check_list (int64_t ts, double v, const char *cpu_labels, int mem_kind)
{
    s_check_sample (&(s_expect_t){"cpu_seconds", cpu_labels, ts, v});
    s_check_sample (&(s_expect_t){"mem_bytes", "{}", ts, v + 1});
    char t[32];
    snprintf (t, sizeof t, "%lld", (long long)ts);
    const char *p[] = {t};
    char *kind = test_pg_value (s_db,
                                "SELECT s.kind FROM vigil.samples x"
                                "  JOIN vigil.series s USING (host_id, series_id)"
                                " WHERE s.metric = 'mem_bytes'"
                                "   AND x.ts = 'epoch'::timestamptz + $1::bigint * interval '1 ms'",
                                1, p);
    ASSERT_EQ (atoi (kind), mem_kind);
    free (kind);
}

/* Batches that name nearly the same series as the agent's batch before -
 * the same count, a label value longer, shorter or empty, another kind, one
 * label more, another order - are each stored under their own series. */
static void
s_test_series_list (coll_store_t *st, int64_t now)
{
    struct {
        const char *core;
        int extra, mem_kind, swapped;
        const char *cpu_labels;
    } c[] = {
        {"1", 0, VG_KIND_GAUGE, 0, "{\"core\": \"1\"}"},
        {"1", 0, VG_KIND_GAUGE, 0, "{\"core\": \"1\"}"}, /* the same list again */
        {"12", 0, VG_KIND_GAUGE, 0, "{\"core\": \"12\"}"},
        {"", 0, VG_KIND_GAUGE, 0, "{\"core\": \"\"}"},
        {"1", 0, VG_KIND_COUNTER, 0, "{\"core\": \"1\"}"},
        {"1", 1, VG_KIND_GAUGE, 0, "{\"core\": \"1\", \"x\": \"y\"}"},
        {"1", 0, VG_KIND_GAUGE, 1, "{\"core\": \"1\"}"},
        {"12", 0, VG_KIND_GAUGE, 1, "{\"core\": \"12\"}"}, /* in one group with the one before */
        {"1", 0, VG_KIND_GAUGE, 0, "{\"core\": \"1\"}"},
    };
    size_t n = sizeof c / sizeof c[0];
    vg_batch_t *b[sizeof c / sizeof c[0]];
    for (size_t i = 0; i < n; i++)
        b[i] = s_list_batch (i + 1, now - 50000 + (int64_t)i * 1000, 10.0 * (double)i, c[i].core,
                             c[i].extra, c[i].mem_kind, c[i].swapped);
    for (size_t i = 0; i < n; i++) {
        coll_store_item_t items[2] = {{.batch = b[i], .received_ms = now},
                                      {.batch = i + 1 < n ? b[i + 1] : NULL, .received_ms = now}};
        size_t k = i == 6 ? 2 : 1; /* the 7th and 8th batches go in one group */
        test_pg_write_ok (st, items, k);
        for (size_t j = 0; j < k; j++)
            ASSERT_EQ (items[j].status, VG_ACK_STORED);
        i += k - 1;
    }
    for (size_t i = 0; i < n; i++)
        s_check_list (now - 50000 + (int64_t)i * 1000, 10.0 * (double)i, c[i].cpu_labels,
                      c[i].mem_kind);
    /* cpu_seconds with core 1, 12 and "", and with x="y"; mem_bytes as a
     * gauge and as a counter */
    ASSERT_EQ (test_pg_host_rows (s_db, "series", "agent-list"), 6);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "agent-list"), 2 * (long long)n);
    for (size_t i = 0; i < n; i++)
        vg_batch_destroy (&b[i]);
}

/* An agent whose state directory was lost starts again at seq 1 under a new
 * incarnation: those batches are stored, not taken for duplicates of the old
 * incarnation's; within one incarnation a repeat is still a duplicate, and
 * the host's last_seq follows the new incarnation. A collector made anew
 * (learning the host from the database) sees the change too. */
static void
s_test_incarnation (coll_store_t *st, int64_t now)
{
    coll_store_stats_t before = coll_store_stats (st);
    for (int round = 0; round < 2; round++)
        for (uint64_t seq = 1; seq <= 3; seq++) {
            vg_batch_t *b = test_pg_batch ("agent-inc", "host-inc", seq, now);
            b->incarnation = round == 0 ? 0x1111 : 0xfedcba9876543210ULL; /* > INT64_MAX */
            uint32_t s = vg_batch_series (b, "up", VG_KIND_GAUGE, NULL, 0);
            vg_batch_add_sample (b, s, now - 1000 * (int64_t)(round * 10 + seq), 1.0);
            coll_store_item_t items[2] = {{.batch = b, .received_ms = now},
                                          {.batch = b, .received_ms = now}};
            test_pg_write_ok (st, items, 2);
            ASSERT_EQ (items[0].status, VG_ACK_STORED);
            ASSERT_EQ (items[1].status, VG_ACK_DUPLICATE);
            test_pg_write_ok (st, items, 1);
            ASSERT_EQ (items[0].status, VG_ACK_DUPLICATE);
            vg_batch_destroy (&b);
        }
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "agent-inc"), 6);
    ASSERT_EQ (test_pg_host_rows (s_db, "batches", "agent-inc"), 6);
    ASSERT_EQ (coll_store_stats (st).incarnation_changes - before.incarnation_changes, 1);
    test_pg_flush_latest_ok (st);
    const char *p[] = {"agent-inc"};
    ASSERT_PG_VALUE (s_db,
                     "SELECT last_seq || ' ' || incarnation FROM vigil.hosts WHERE agent_id = $1",
                     1, p, "3 -81985529216486896");

    /* A new store knows the host's incarnation from the database. */
    coll_store_t *fresh = coll_store_new (s_url);
    vg_batch_t *b = test_pg_batch ("agent-inc", "host-inc", 1, now);
    b->incarnation = 0x2222;
    coll_store_item_t item = {.batch = b, .received_ms = now};
    test_pg_write_ok (fresh, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_STORED);
    ASSERT_EQ (coll_store_stats (fresh).incarnation_changes, 1);
    test_pg_flush_latest_ok (fresh);
    ASSERT_PG_VALUE (s_db,
                     "SELECT last_seq || ' ' || incarnation FROM vigil.hosts WHERE agent_id = $1",
                     1, p, "1 8738");
    vg_batch_destroy (&b);
    coll_store_destroy (&fresh);
}

/* ---- partitions by UTC day ---- */

static void
s_partition_name (int64_t ms, char *out, size_t outlen)
{
    char day[16];
    test_pg_day (ms, day, sizeof day);
    snprintf (out, outlen, "vigil.samples_%s", day);
}

static void
s_test_midnight (coll_store_t *st, int64_t now)
{
    int64_t midnight = now / DAY_MS * DAY_MS;
    vg_batch_t *b = test_pg_batch ("agent-c", "host-c", 1, now);
    uint32_t s = vg_batch_series (b, "load1", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b, s, midnight - 1, 0.5);
    vg_batch_add_sample (b, s, midnight, 0.75);
    vg_batch_add_sample (b, s, midnight + 1000, 1.0);
    coll_store_item_t item = {.batch = b, .received_ms = now};
    test_pg_write_ok (st, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_STORED);
    const char *p[] = {"agent-c"};
    PGresult *res =
        test_pg_query (s_db,
                       "SELECT x.tableoid::regclass::text, count(*) FROM vigil.samples x"
                       "  JOIN vigil.hosts h USING (host_id) WHERE h.agent_id = $1"
                       " GROUP BY 1 ORDER BY 1",
                       1, p);
    ASSERT_EQ (PQntuples (res), 2);
    char yesterday[64], today[64];
    s_partition_name (midnight - 1, yesterday, sizeof yesterday);
    s_partition_name (midnight, today, sizeof today);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 0), yesterday);
    ASSERT_STR_EQ (PQgetvalue (res, 0, 1), "1");
    ASSERT_STR_EQ (PQgetvalue (res, 1, 0), today);
    ASSERT_STR_EQ (PQgetvalue (res, 1, 1), "2");
    PQclear (res);
    /* Tomorrow's is made ahead, so midnight never waits for it. */
    char tomorrow[64];
    s_partition_name (midnight + DAY_MS, tomorrow, sizeof tomorrow);
    const char *pt[] = {tomorrow};
    ASSERT_PG_VALUE (s_db, "SELECT to_regclass($1) IS NOT NULL", 1, pt, "t");
    /* Bounds are UTC midnights whatever the session's time zone. */
    char *bounds = test_pg_scalar (
        s_db,
        "SELECT format('FOR VALUES FROM (%L) TO (%L)',"
        " date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',"
        " (date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day') AT TIME ZONE 'UTC')");
    ASSERT_PG_VALUE (s_db,
                     "SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c"
                     " WHERE c.oid = to_regclass($1)",
                     1, (const char *const[]){today}, bounds);
    free (bounds);
    /* Partitions are bare; a maintenance call indexes the days that are over. */
    ASSERT_EQ (test_pg_count (s_db, "SELECT count(*) FROM pg_index x JOIN pg_inherits i"
                                    " ON i.inhrelid = x.indrelid"
                                    " WHERE i.inhparent IN ('vigil.samples'::regclass,"
                                    "                       'vigil.distributions'::regclass)"),
               0);
    ASSERT_EQ (test_pg_count (s_db, "SELECT vigil.index_partitions("
                                    "(now() AT TIME ZONE 'UTC')::date)"),
               2);
    ASSERT_EQ (test_pg_count_params (
                   s_db, "SELECT count(*) FROM pg_index WHERE indrelid = to_regclass($1)", 1,
                   (const char *const[]){yesterday}),
               1);
    ASSERT_EQ (test_pg_count_params (
                   s_db, "SELECT count(*) FROM pg_index WHERE indrelid = to_regclass($1)", 1,
                   (const char *const[]){today}),
               0);
    ASSERT_EQ (test_pg_count (s_db, "SELECT vigil.index_partitions("
                                    "(now() AT TIME ZONE 'UTC')::date)"),
               0);
    /* Late rows for an indexed day still go in. */
    b->seq = 2;
    test_pg_write_ok (st, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_STORED);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "agent-c"), 6);
    vg_batch_destroy (&b);
}

/* ---- the accepted window ---- */

static void
s_test_window (coll_store_t *st, int64_t now)
{
    vg_batch_t *b = test_pg_batch ("agent-d", "host-d", 1, now);
    uint32_t s = vg_batch_series (b, "mem_used_percent", VG_KIND_GAUGE, NULL, 0);
    uint32_t ds = vg_batch_series (b, "latency_ms", VG_KIND_DISTRIBUTION, NULL, 0);
    vg_batch_add_sample (b, s, now - 36 * DAY_MS, 1); /* too old */
    vg_batch_add_sample (b, s, now + 2 * DAY_MS, 2);  /* too far ahead */
    vg_batch_add_sample (b, s, now - 34 * DAY_MS, 3); /* kept */
    vg_batch_add_sample (b, s, now + DAY_MS / 2, 4);  /* kept */
    vg_batch_add_sample (b, s, now - 35 * DAY_MS, 5); /* the edge: kept */
    vg_batch_add_sample (b, s, INT64_MAX / 2, 6);     /* junk */
    vg_sketch_t *sk = vg_sketch_new ();
    vg_sketch_add (sk, 3.0);
    vg_batch_add_dist (b, ds, now - 40 * DAY_MS, sk); /* too old */
    vg_batch_add_event (b, INT64_MIN / 2, "junk", NULL, 0, "dropped, not stored");
    vg_sketch_destroy (&sk);
    coll_store_stats_t before = coll_store_stats (st);
    coll_store_item_t item = {.batch = b, .received_ms = now};
    test_pg_write_ok (st, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_STORED);
    coll_store_stats_t after = coll_store_stats (st);
    ASSERT_EQ (after.samples_dropped - before.samples_dropped, 4);
    ASSERT_EQ (after.samples_stored - before.samples_stored, 3);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "agent-d"), 3);
    ASSERT_EQ (test_pg_host_rows (s_db, "distributions", "agent-d"), 0);
    ASSERT_EQ (test_pg_host_rows (s_db, "events", "agent-d"), 0);
    const char *p[] = {"agent-d"};
    ASSERT_EQ (test_pg_count_params (s_db,
                                     "SELECT sum(x.value) FROM vigil.samples x JOIN vigil.hosts h"
                                     " USING (host_id) WHERE h.agent_id = $1",
                                     1, p),
               12);
    ASSERT_EQ (
        test_pg_count_params (s_db,
                              "SELECT samples FROM vigil.batches JOIN vigil.hosts USING (host_id)"
                              " WHERE agent_id = $1",
                              1, p),
        3);
    vg_batch_destroy (&b);
}

/* A group of batches received weeks apart (queued through an outage): every
 * day they need gets its partition. */
static void
s_test_spread (coll_store_t *st, int64_t now)
{
    vg_batch_t *b[3];
    coll_store_item_t items[3];
    for (int i = 0; i < 3; i++) {
        int64_t received = now - (int64_t)i * 30 * DAY_MS;
        b[i] = test_pg_batch ("agent-k", "host-k", (uint64_t)(10 - i), received);
        uint32_t s = vg_batch_series (b[i], "up", VG_KIND_GAUGE, NULL, 0);
        vg_batch_add_sample (b[i], s, received - 34 * DAY_MS, 1.0);
        vg_batch_add_sample (b[i], s, received, 1.0);
        items[i] = (coll_store_item_t){.batch = b[i], .received_ms = received};
    }
    test_pg_write_ok (st, items, 3);
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ (items[i].status, VG_ACK_STORED);
        vg_batch_destroy (&b[i]);
    }
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "agent-k"), 6);
}

/* ---- a partition dropped under the store ---- */

/* A partition this store knows of is dropped (retention): the write fails
 * transiently, and the next one makes the partition again. */
static void
s_test_dropped_partition (coll_store_t *st, int64_t now)
{
    int64_t old = now - 20 * DAY_MS;
    vg_batch_t *b1 = test_pg_batch ("agent-h", "host-h", 1, now);
    uint32_t s = vg_batch_series (b1, "up", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b1, s, old, 1.0);
    coll_store_item_t item = {.batch = b1, .received_ms = now};
    test_pg_write_ok (st, &item, 1);
    char part[64];
    s_partition_name (old, part, sizeof part);
    const char *p[] = {part};
    ASSERT_PG_VALUE (s_db, "SELECT to_regclass($1) IS NOT NULL", 1, p, "t");
    PGresult *res = PQexecParams (s_db, "SELECT format('DROP TABLE %s', to_regclass($1))", 1, NULL,
                                  p, NULL, NULL, 0);
    test_pg_exec (s_db, PQgetvalue (res, 0, 0));
    PQclear (res);

    vg_batch_t *b2 = test_pg_batch ("agent-h", "host-h", 2, now);
    s = vg_batch_series (b2, "up", VG_KIND_GAUGE, NULL, 0);
    vg_batch_add_sample (b2, s, old + 1, 2.0);
    item = (coll_store_item_t){.batch = b2, .received_ms = now};
    char err[1024] = "";
    ASSERT_EQ (coll_store_write (st, &item, 1, err, sizeof err), VG_ERETRY);
    ASSERT_EQ (test_pg_host_rows (s_db, "batches", "agent-h"), 1);
    test_pg_write_ok (st, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_STORED);
    ASSERT_EQ (test_pg_host_rows (s_db, "batches", "agent-h"), 2);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "agent-h"), 1);
    vg_batch_destroy (&b1);
    vg_batch_destroy (&b2);
}

/* ---- many new series at once, and strings PostgreSQL would refuse ---- */

static void
s_test_many_series (coll_store_t *st, int64_t now)
{
    enum { N = 5000 };
    for (uint64_t seq = 1; seq <= 2; seq++) {
        vg_batch_t *b = test_pg_batch ("agent-i", "host-i", seq, now);
        for (int i = 0; i < N; i++) {
            char name[32], value[32];
            snprintf (name, sizeof name, "m_%d", i % 50);
            snprintf (value, sizeof value, "%d", i);
            vg_label_t l[] = {{"i", value}};
            uint32_t s = vg_batch_series (b, name, VG_KIND_GAUGE, l, 1);
            vg_batch_add_sample (b, s, now - 1000 * (int64_t)seq, i);
        }
        coll_store_item_t item = {.batch = b, .received_ms = now};
        test_pg_write_ok (st, &item, 1);
        ASSERT_EQ (item.status, VG_ACK_STORED);
        vg_batch_destroy (&b);
    }
    ASSERT_EQ (test_pg_host_rows (s_db, "series", "agent-i"), N);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "agent-i"), 2 * N);
    const char *p[] = {"agent-i"};
    ASSERT_EQ (
        test_pg_count_params (s_db,
                              "SELECT count(*) FROM vigil.samples x JOIN vigil.series s"
                              " USING (host_id, series_id) JOIN vigil.hosts h USING (host_id)"
                              " WHERE h.agent_id = $1 AND x.value = (s.labels->>'i')::float8"
                              "   AND s.metric = 'm_' || ((s.labels->>'i')::int % 50)",
                              1, p),
        2 * N);
}

static void
s_test_bad_utf8 (coll_store_t *st, int64_t now)
{
    vg_batch_t *b = test_pg_batch ("agent-j", "host-\xff", 1, now);
    vg_batch_push_string (b, "up\xc3", 3);
    vg_batch_push_string (b, "k", 1);
    vg_batch_push_string (b,
                          "bad\xff\xfe"
                          "end\x01",
                          9);
    uint32_t labels[] = {1, 2};
    vg_batch_push_series (b, 0, VG_KIND_GAUGE, labels, 1);
    vg_batch_add_sample (b, 0, now - 1, 1.0);
    coll_store_item_t item = {.batch = b, .received_ms = now};
    test_pg_write_ok (st, &item, 1);
    ASSERT_EQ (item.status, VG_ACK_STORED);
    const char *p[] = {"agent-j"};
    ASSERT_PG_VALUE (s_db,
                     "SELECT s.metric || ' ' || (s.labels->>'k') || ' ' || h.hostname"
                     "  FROM vigil.series s JOIN vigil.hosts h USING (host_id)"
                     " WHERE h.agent_id = $1",
                     1, p,
                     "up\xef\xbf\xbd bad\xef\xbf\xbd\xef\xbf\xbd"
                     "end\x01 host-\xef\xbf\xbd");
    /* The same strings again find the same series. */
    b->seq = 2;
    test_pg_write_ok (st, &item, 1);
    ASSERT_EQ (test_pg_host_rows (s_db, "series", "agent-j"), 1);
    ASSERT_EQ (test_pg_host_rows (s_db, "samples", "agent-j"), 2);
    vg_batch_destroy (&b);
}

int
main (void)
{
    s_url = test_pg_fresh_db ("vigil_test_store");
    s_db = test_pg_connect (s_url);
    int64_t now = vg_now_ms ();
    coll_store_t *st = coll_store_new (s_url);
    char err[1024] = "";
    if (coll_store_connect (st, err, sizeof err) != 0)
        TEST_FAIL ("connect: %s", err);
    ASSERT_EQ (coll_store_connect (st, err, sizeof err), 0); /* connected already */
    ASSERT_GE (test_pg_count (s_db, "SELECT count(*) FROM vigil.schema_migrations"), 1);

    s_test_one_batch (st, now);
    s_test_group (st, now);
    s_test_series_list (st, now);
    s_test_incarnation (st, now);
    s_test_midnight (st, now);
    s_test_window (st, now);
    s_test_spread (st, now);
    s_test_dropped_partition (st, now);
    s_test_many_series (st, now);
    s_test_bad_utf8 (st, now);
    test_pg_flush_latest_ok (st);
    ASSERT_EQ (coll_store_write (st, NULL, 0, err, sizeof err), 0);

    coll_store_stats_t stats = coll_store_stats (st);
    printf ("test_store: ok (%llu batches stored, %llu duplicates, %llu samples, %llu dropped,"
            " %llu failures)\n",
            (unsigned long long)stats.batches_stored, (unsigned long long)stats.batches_duplicate,
            (unsigned long long)stats.samples_stored, (unsigned long long)stats.samples_dropped,
            (unsigned long long)stats.failures);
    coll_store_destroy (&st);
    coll_store_destroy (&st); /* NULL is fine */
    PQfinish (s_db);
    free (s_url);
    return 0;
}
