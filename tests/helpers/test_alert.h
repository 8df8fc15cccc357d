/*  test_alert.h - alerts and transitions as the rules stage makes them, for
 *  the notify stage's tests: the rules stage is not part of these tests, so
 *  they make the transitions themselves, in real transactions. */
#ifndef TEST_ALERT_H
#define TEST_ALERT_H

#include "rules_alert.h"

#include <libpq-fe.h>
#include <stdint.h>

#define TEST_ALERT_MAX_LABELS 16

typedef struct {
    rules_alert_t alert;
    vg_label_t labels[TEST_ALERT_MAX_LABELS];
    vg_label_t annotations[TEST_ALERT_MAX_LABELS];
} test_alert_t;

/* Alertmanager's fingerprint: FNV-1a 64 over the labels sorted by name,
 * each name and value followed by 0xff. */
uint64_t test_alert_fingerprint (const vg_label_t *labels, size_t n);

/* An alert with id and labels "k1=v1,k2=v2" (strings must outlive it),
 * annotations likewise (may be NULL); state pending. */
void test_alert_init (test_alert_t *self, int64_t id, const char *const *labels,
                      const char *const *annotations);

/* Moves the alert to state at now_ms and calls fn (a rules_transition_fn)
 * inside BEGIN ... COMMIT on conn, as the rules stage does; fails the test
 * if it fails. */
void test_alert_transition (test_alert_t *self, PGconn *conn, rules_alert_state_t state,
                            int64_t now_ms, rules_transition_fn *fn, void *arg);

#endif
