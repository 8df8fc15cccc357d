/*  notify_outbox.h - vigil.notifications: every notification is a row,
 *  written in the transaction of the change that caused it, before anything
 *  is sent; the sender claims due rows, and records every attempt.
 */
#ifndef NOTIFY_OUTBOX_H
#define NOTIFY_OUTBOX_H

#include "notify_config.h"
#include "notify_message.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

/* Renders m for every integration of receiver and adds one row for each
 * (an integration with send_resolved off skips resolved alerts, and a
 * message left with nothing firing). force_resolved: send resolved alerts
 * whatever send_resolved says (an escalation's resolution). *added counts
 * the rows. Each row wakes the sender when the transaction commits (NOTIFY
 * vigil_notify). */
int notify_outbox_add (PGconn *conn, const notify_config_t *cfg, notify_message_t *m,
                       int force_resolved, int *added, char *err, size_t errlen);

/* A claimed row: what the sender needs to attempt it. */
typedef struct {
    int64_t id;
    char key[40]; /* idempotency key */
    char *receiver;
    notify_kind_t kind;
    int integration;
    char *body;
    int attempts; /* before this one */
    int64_t created_ms, give_up_ms;
} notify_outbox_item_t;

void notify_outbox_item_free (notify_outbox_item_t *item);

/* Claims up to max rows due at now_ms and not leased, leasing them for
 * lease_ms. Returns how many (>= 0) or a negative code. */
int notify_outbox_claim (PGconn *conn, int64_t now_ms, int64_t lease_ms, notify_outbox_item_t *out,
                         int max, char *err, size_t errlen);

typedef enum {
    NOTIFY_OUTCOME_DELIVERED = 0,
    NOTIFY_OUTCOME_RETRY,
    NOTIFY_OUTCOME_FAILED,
} notify_outcome_t;

/* What one attempt gave. */
typedef struct {
    notify_outcome_t outcome;
    int status;             /* HTTP status or SMTP reply code; 0 when none */
    int64_t retry_after_ms; /* from Retry-After; -1 when absent */
    char error[512];        /* why it was not delivered */
    int64_t started_ms, duration_ms;
} notify_attempt_t;

/* Records the attempt and settles the row: delivered; failed; or pending
 * again at next_ms (failed instead when next_ms is past give_up_at, with the
 * reason). */
int notify_outbox_record (PGconn *conn, const notify_outbox_item_t *item,
                          const notify_attempt_t *attempt, int64_t next_ms, char *err,
                          size_t errlen);

/* Gives a row back without an attempt, due at next_ms (rate limit). */
int notify_outbox_defer (PGconn *conn, int64_t id, int64_t next_ms, char *err, size_t errlen);

/* When things fall due next: *outbox_ms, a pending notification;
 * *schedule_ms, what the scheduler's tick does (a group flush, an
 * escalation level, an ack's expiry). INT64_MAX when none. */
int notify_outbox_next_due (PGconn *conn, int64_t *outbox_ms, int64_t *schedule_ms, char *err,
                            size_t errlen);

/* The payload of the NOTIFY on vigil_notify that a new notification sends
 * (others, such as a silence's, have payloads of their own). */
#define NOTIFY_OUTBOX_WAKE "outbox"

#endif
