/*  test_rules_budget.c - the rule engine's bucket of evaluation time, with
 *  the time given: full at first, spent by evaluations, filled at its share
 *  of the time that passes up to its burst, and how long an empty one makes
 *  rules wait. */
#include "rules_budget.h"
#include "test_assert.h"

#define MS 1000000LL /* ns */

int
main (void)
{
    rules_budget_t b;
    /* A tenth of the time, at most 100 ms of evaluation at once. */
    rules_budget_init (&b, 0.1, 100 * MS);
    rules_budget_fill (&b, 5000);
    ASSERT (rules_budget_allows (&b));
    ASSERT_EQ (rules_budget_wait_ms (&b), 0);

    /* Cheap evaluations, one after another: never held. */
    for (int i = 0; i < 50; i++) {
        rules_budget_fill (&b, 5000 + i);
        ASSERT (rules_budget_allows (&b));
        rules_budget_spend (&b, 1 * MS);
    }
    ASSERT_EQ (b.tokens_ns, 100 * MS - 50 * MS + 49 * MS / 10);

    /* An expensive one overdraws it: 30 ms short. Rules wait 300 ms (the
     * tenth of 300 ms is what is missing), and not one millisecond less. */
    rules_budget_spend (&b, 84900000LL);
    ASSERT_EQ (b.tokens_ns, -30 * MS);
    ASSERT (!rules_budget_allows (&b));
    ASSERT_EQ (rules_budget_wait_ms (&b), 301);
    rules_budget_fill (&b, 5049 + 300);
    ASSERT_EQ (b.tokens_ns, 0);
    ASSERT (!rules_budget_allows (&b));
    rules_budget_fill (&b, 5049 + 301);
    ASSERT (rules_budget_allows (&b));

    /* It fills up to its burst, no further. */
    rules_budget_fill (&b, 3600000);
    ASSERT_EQ (b.tokens_ns, 100 * MS);

    /* A clock that goes back earns nothing, and counts again from there. */
    rules_budget_spend (&b, 100 * MS);
    rules_budget_fill (&b, 1000);
    ASSERT_EQ (b.tokens_ns, 0);
    rules_budget_fill (&b, 1010);
    ASSERT_EQ (b.tokens_ns, 1 * MS);

    /* Spending nothing (a clock that did not move) changes nothing. */
    rules_budget_spend (&b, 0);
    rules_budget_spend (&b, -5);
    ASSERT_EQ (b.tokens_ns, 1 * MS);
    printf ("test_rules_budget: ok\n");
    return 0;
}
