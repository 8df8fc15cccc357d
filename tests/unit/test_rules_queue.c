/*  test_rules_queue.c - what the commit observer hands the rule engine: only
 *  the samples of series some rule reads (names and labels only while a
 *  series is new), bounded in bytes, and a record of what did not fit. */
#include "rules_queue.h"
#include "test_assert.h"
#include "vg_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The filter: series ids below 100 are read by some rule, 100..199 by
 * none, 200 and up are new to the engine. */
static int
s_filter (void *arg, int64_t host_id, const int64_t *ids, uint32_t n, uint8_t *keep)
{
    (void)host_id;
    int *calls = arg;
    (*calls)++;
    int unknown = 0;
    for (uint32_t i = 0; i < n; i++) {
        keep[i] = ids[i] < 100 || ids[i] >= 200;
        unknown |= ids[i] >= 200;
    }
    return unknown;
}

static coll_committed_t
s_committed (const vg_batch_t *b, const int64_t *ids)
{
    return (coll_committed_t){.host_id = 7,
                              .hostname = "web1",
                              .batch = b,
                              .series_ids = ids,
                              .received_ms = 1000,
                              .committed_ms = 1001,
                              .min_ts_ms = 0,
                              .max_ts_ms = 1000000};
}

int
main (void)
{
    int calls = 0;
    rules_queue_t *q = rules_queue_new (1 << 20, s_filter, &calls);
    vg_batch_t *b = vg_batch_new ("agent", "web1");
    b->interval_ms = 5000;
    vg_label_t l = {"mode", "user"};
    uint32_t read = vg_batch_series (b, "cpu", VG_KIND_GAUGE, &l, 1);
    uint32_t unread = vg_batch_series (b, "mem", VG_KIND_GAUGE, NULL, 0);
    uint32_t dist = vg_batch_series (b, "lat", VG_KIND_DISTRIBUTION, NULL, 0);
    for (int i = 0; i < 10; i++) {
        vg_batch_add_sample (b, read, 100 + i, i);
        vg_batch_add_sample (b, unread, 100 + i, 100 + i);
    }
    vg_sketch_t *sk = vg_sketch_new ();
    vg_sketch_add (sk, 0.25);
    vg_batch_add_dist (b, dist, 500, sk);
    vg_sketch_destroy (&sk);

    /* Known series: cpu is read (id 5), mem is not (id 150), lat is read. */
    int64_t known[] = {5, 150, 6};
    coll_committed_t c = s_committed (b, known);
    ASSERT_EQ (rules_queue_push (q, &c, 1), 0);
    size_t n;
    int overflowed;
    rules_queue_batch_t **items = rules_queue_drain (q, &n, &overflowed);
    ASSERT_EQ (n, 1);
    ASSERT (!overflowed);
    rules_queue_batch_t *qb = items[0];
    ASSERT_EQ (qb->host_id, 7);
    ASSERT_STR_EQ (qb->hostname, "web1");
    ASSERT_EQ (qb->interval_ms, 5000);
    ASSERT_EQ (qb->received_ms, 1000);
    ASSERT (qb->strings == NULL); /* nothing new: no names or labels */
    ASSERT_EQ (qb->nseries, 2);   /* mem's samples and series left out */
    ASSERT_EQ (qb->series_ids[0], 5);
    ASSERT_EQ (qb->series_ids[1], 6);
    ASSERT_EQ (qb->nsamples, 10);
    for (size_t i = 0; i < qb->nsamples; i++) {
        ASSERT_EQ (qb->sample_series[i], 0);
        ASSERT_EQ (qb->sample_value[i], (double)i);
    }
    ASSERT_EQ (qb->ndists, 1);
    ASSERT_EQ (qb->dist_series[0], 1);
    ASSERT_EQ (qb->dist_sketch[0]->count, 1);
    rules_queue_batch_free (&items[0]);
    free (items);

    /* A new series: names and labels come along, for every series kept. */
    int64_t fresh[] = {205, 150, 206};
    c = s_committed (b, fresh);
    rules_queue_push (q, &c, 1);
    items = rules_queue_drain (q, &n, &overflowed);
    ASSERT_EQ (n, 1);
    qb = items[0];
    ASSERT (qb->strings != NULL);
    ASSERT_EQ (qb->nseries, 2);
    ASSERT_STR_EQ (qb->strings[qb->names[0]], "cpu");
    ASSERT_EQ (qb->nlabels[0], 1);
    ASSERT_STR_EQ (qb->strings[qb->labels[qb->label_at[0]]], "mode");
    ASSERT_STR_EQ (qb->strings[qb->labels[qb->label_at[0] + 1]], "user");
    ASSERT_STR_EQ (qb->strings[qb->names[1]], "lat");
    ASSERT_EQ (qb->kinds[1], VG_KIND_DISTRIBUTION);
    rules_queue_batch_free (&items[0]);
    free (items);
    ASSERT_EQ (calls, 2);
    rules_queue_destroy (&q);

    /* Bounded in bytes: what does not fit is counted and remembered. */
    q = rules_queue_new (64, NULL, NULL);
    ASSERT_EQ (rules_queue_push (q, &c, 1), 1);
    ASSERT_EQ (rules_queue_push (q, &c, 1), 1);
    rules_queue_stats_t st = rules_queue_stats (q);
    ASSERT_EQ (st.dropped, 2);
    ASSERT_EQ (st.batches, 0);
    items = rules_queue_drain (q, &n, &overflowed);
    ASSERT_EQ (n, 0);
    ASSERT (overflowed);
    free (items);
    items = rules_queue_drain (q, &n, &overflowed);
    ASSERT (!overflowed); /* said once */
    free (items);
    rules_queue_destroy (&q);
    vg_batch_destroy (&b);
    printf ("test_rules_queue: ok\n");
    return 0;
}
