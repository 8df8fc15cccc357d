/*  rules_budget.c - a token bucket of evaluation time. */
#include "rules_budget.h"

void
rules_budget_init (rules_budget_t *self, double share, int64_t burst_ns)
{
    *self = (rules_budget_t){.share = share, .burst_ns = burst_ns, .tokens_ns = burst_ns};
}

void
rules_budget_fill (rules_budget_t *self, int64_t now_ms)
{
    if (self->filled && now_ms > self->at_ms) {
        double earned = (double)(now_ms - self->at_ms) * 1e6 * self->share;
        double tokens = (double)self->tokens_ns + earned;
        self->tokens_ns = tokens >= (double)self->burst_ns ? self->burst_ns : (int64_t)tokens;
    }
    self->at_ms = now_ms;
    self->filled = 1;
}

int
rules_budget_allows (const rules_budget_t *self)
{
    return self->tokens_ns > 0;
}

void
rules_budget_spend (rules_budget_t *self, int64_t ns)
{
    if (ns > 0)
        self->tokens_ns -= ns;
}

int64_t
rules_budget_wait_ms (const rules_budget_t *self)
{
    if (self->tokens_ns > 0)
        return 0;
    /* The first whole millisecond after which it holds more than nothing. */
    return (int64_t)((double)-self->tokens_ns / (1e6 * self->share)) + 1;
}
