/*  rules_budget.h - how much time the rule engine may spend evaluating rules
 *  because their series got data: a bucket of evaluation time.
 *
 *  It fills with `share` of the wall-clock time that passes, up to `burst`;
 *  each evaluation on data spends what it took (measured). While it holds
 *  time, a rule whose series got data is evaluated at once, so a threshold
 *  crossing is seen as its batch lands; once it is empty, such rules wait
 *  until it holds time again. A trickle of data (a few rules, or cheap ones)
 *  never waits; a flood of it costs at most `share` of one core, however many
 *  rules it touches. Time is a parameter: the bucket is tested without
 *  sleeping.
 */
#ifndef RULES_BUDGET_H
#define RULES_BUDGET_H

#include <stdint.h>

typedef struct {
    double share;      /* of the time that passes, 0 < share <= 1 */
    int64_t burst_ns;  /* the most it holds */
    int64_t tokens_ns; /* what it holds; negative after an overrun */
    int64_t at_ms;     /* when it was last filled */
    int filled;        /* at_ms is set */
} rules_budget_t;

/* Full. */
void rules_budget_init (rules_budget_t *self, double share, int64_t burst_ns);
/* Adds what the time since the last fill earned (a clock that went back
 * earns nothing). */
void rules_budget_fill (rules_budget_t *self, int64_t now_ms);
/* 1 while it holds time. */
int rules_budget_allows (const rules_budget_t *self);
/* Spends an evaluation's duration. */
void rules_budget_spend (rules_budget_t *self, int64_t ns);
/* How long from its last fill until it holds time again: 0 while it does. */
int64_t rules_budget_wait_ms (const rules_budget_t *self);

#endif
