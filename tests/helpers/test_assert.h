/*  test_assert.h - assertions that print both operands (after libuv's test/task.h).
 *  A failed assertion prints where and what, and exits 1. */
#ifndef TEST_ASSERT_H
#define TEST_ASSERT_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_FAIL(...)                                                                             \
    do {                                                                                           \
        fprintf (stderr, "%s:%d: ", __FILE__, __LINE__);                                           \
        fprintf (stderr, __VA_ARGS__);                                                             \
        fprintf (stderr, "\n");                                                                    \
        exit (1);                                                                                  \
    } while (0)

#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond))                                                                               \
            TEST_FAIL ("assertion failed: %s", #cond);                                             \
    } while (0)

#define ASSERT_INT_OP(a, op, b)                                                                    \
    do {                                                                                           \
        int64_t a_ = (int64_t) (a), b_ = (int64_t) (b);                                            \
        if (!(a_ op b_))                                                                           \
            TEST_FAIL ("%s %s %s: %" PRId64 " vs %" PRId64, #a, #op, #b, a_, b_);                  \
    } while (0)

#define ASSERT_EQ(a, b) ASSERT_INT_OP (a, ==, b)
#define ASSERT_NE(a, b) ASSERT_INT_OP (a, !=, b)
#define ASSERT_LT(a, b) ASSERT_INT_OP (a, <, b)
#define ASSERT_LE(a, b) ASSERT_INT_OP (a, <=, b)
#define ASSERT_GT(a, b) ASSERT_INT_OP (a, >, b)
#define ASSERT_GE(a, b) ASSERT_INT_OP (a, >=, b)

#define ASSERT_STR_EQ(a, b)                                                                        \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (!a_ || !b_ || strcmp (a_, b_) != 0)                                                    \
            TEST_FAIL ("%s == %s: \"%s\" vs \"%s\"", #a, #b, a_ ? a_ : "(null)",                   \
                       b_ ? b_ : "(null)");                                                        \
    } while (0)

#define ASSERT_STR_CONTAINS(hay, needle)                                                           \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (!h_ || !strstr (h_, n_))                                                               \
            TEST_FAIL ("%s contains %s: \"%s\" lacks \"%s\"", #hay, #needle, h_ ? h_ : "(null)",   \
                       n_);                                                                        \
    } while (0)

/* |a - b| <= tol */
#define ASSERT_NEAR(a, b, tol)                                                                     \
    do {                                                                                           \
        double a_ = (double) (a), b_ = (double) (b), t_ = (double) (tol);                          \
        if (!(fabs (a_ - b_) <= t_))                                                               \
            TEST_FAIL ("%s ~ %s (tol %g): %.17g vs %.17g", #a, #b, t_, a_, b_);                    \
    } while (0)

#endif
