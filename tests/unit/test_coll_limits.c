/*  test_coll_limits.c - per-agent cardinality limits: the total, the bucket
 *  of new series per minute and its refill, a batch larger than the bucket,
 *  counts per agent, and agents kept apart. Time is passed in. */
#include "coll_limits.h"
#include "test_assert.h"
#include "vg_error.h"

int
main (void)
{
    char why[512];
    coll_limits_t *l = coll_limits_new (1000, 600);

    /* A burst up to the bucket at once, then nothing until it refills. */
    ASSERT_EQ (coll_limits_admit (l, "a", 600, 1000, why, sizeof why), 0);
    ASSERT_EQ (coll_limits_admit (l, "a", 1, 1000, why, sizeof why), VG_ETOOBIG);
    ASSERT_STR_CONTAINS (why, "max_new_series_per_minute");
    ASSERT_EQ (coll_limits_refused (l, "a"), 1);
    /* 600 per minute: 10 a second. */
    ASSERT_EQ (coll_limits_admit (l, "a", 10, 2000, why, sizeof why), 0);
    ASSERT_EQ (coll_limits_admit (l, "a", 1, 2000, why, sizeof why), VG_ETOOBIG);
    /* Another agent has its own bucket and count. */
    ASSERT_EQ (coll_limits_admit (l, "b", 500, 2000, why, sizeof why), 0);
    ASSERT_EQ (coll_limits_refused (l, "b"), 0);

    /* The total: "a" has 610; 390 more after a long wait, then no more. */
    ASSERT_EQ (coll_limits_admit (l, "a", 391, 3600000, why, sizeof why), VG_ETOOBIG);
    ASSERT_STR_CONTAINS (why, "max_series_per_agent");
    ASSERT_STR_CONTAINS (why, "1001 series");
    ASSERT_EQ (coll_limits_admit (l, "a", 390, 3600000, why, sizeof why), 0);
    ASSERT_EQ (coll_limits_admit (l, "a", 1, 7200000, why, sizeof why), VG_ETOOBIG);

    /* More new series in one batch than the bucket ever holds. */
    ASSERT_EQ (coll_limits_admit (l, "c", 601, 1000, why, sizeof why), VG_ETOOBIG);
    ASSERT_STR_CONTAINS (why, "allows at once");

    /* What the database already holds counts towards the total. */
    coll_limits_known (l, "d", 900);
    ASSERT_EQ (coll_limits_admit (l, "d", 101, 1000, why, sizeof why), VG_ETOOBIG);
    ASSERT_EQ (coll_limits_admit (l, "d", 100, 1000, why, sizeof why), 0);
    coll_limits_known (l, "d", 10); /* an older, smaller count changes nothing */
    ASSERT_EQ (coll_limits_admit (l, "d", 1, 100000, why, sizeof why), VG_ETOOBIG);
    ASSERT_EQ (coll_limits_admit (l, "d", 0, 100000, why, sizeof why), 0);
    ASSERT_EQ (coll_limits_refused_total (l), 7);
    coll_limits_destroy (&l);

    /* 0: no limit. */
    l = coll_limits_new (0, 0);
    ASSERT_EQ (coll_limits_admit (l, "a", 10000000, 1, why, sizeof why), 0);
    coll_limits_destroy (&l);
    coll_limits_destroy (&l);
    return 0;
}
