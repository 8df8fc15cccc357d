/*  notify_sender.h - the notify stage's thread: it runs the scheduler's tick
 *  and delivers the outbox through libcurl's multi interface.
 *
 *  It owns a database connection of its own and LISTENs on vigil_notify, so
 *  a transition that writes notifications (or an ack, or a silence) wakes it
 *  when its transaction commits; otherwise it sleeps until the next thing
 *  falls due. Each due notification is claimed (leased), sent with its
 *  idempotency key (HTTP header Idempotency-Key; the e-mail's Message-ID),
 *  and the attempt recorded: 2xx delivers; 429, 503 and other 5xx, 408,
 *  timeouts and network errors retry after an exponential backoff with
 *  jitter, never before a Retry-After (seconds or an HTTP date); other 4xx
 *  fail at once. A notification still undelivered at its give_up_at fails.
 *  Requests to one target are spaced by its min_interval (Slack: 1 s).
 *  After a restart the outbox resumes where it was: leases expire, and what
 *  was delivered is never claimed again.
 */
#ifndef NOTIFY_SENDER_H
#define NOTIFY_SENDER_H

#include "notify_engine.h"

#include <stdint.h>

typedef struct notify_sender_t notify_sender_t;

typedef struct {
    uint64_t delivered, retried, failed, ticks;
} notify_sender_stats_t;

/* Starts the thread; db_url is copied; the engine must outlive the sender. */
notify_sender_t *notify_sender_new (notify_engine_t *engine, const char *db_url);
/* Stops the thread (transfers under way are abandoned: their leases expire
 * and they are sent again with the same key) and frees it. */
void notify_sender_destroy (notify_sender_t **self_p);

notify_sender_stats_t notify_sender_stats (notify_sender_t *self);
/* 1 while the sender has a working database connection. */
int notify_sender_connected (notify_sender_t *self);

#endif
