/*  notify_engine.h - the notify stage: what the rules stage calls for every
 *  alert transition, and the scheduler's tick.
 *
 *  notify_engine_transition is a rules_transition_fn (rules_alert.h): on the
 *  rules stage's connection, inside the transaction that stores the
 *  transition, it records the alert, puts it into its routes' groups,
 *  starts or ends its escalations, and writes the notifications that are
 *  due at once into the outbox. notify_engine_tick does the rest when it
 *  falls due: group_wait and group_interval ticks, digests, escalation
 *  levels and expired acks. Both take the time as a parameter.
 */
#ifndef NOTIFY_ENGINE_H
#define NOTIFY_ENGINE_H

#include "notify_ack.h"
#include "notify_config.h"
#include "rules_alert.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

typedef struct notify_engine_t notify_engine_t;

/* Takes the configuration (nulls *cfg_p). ack_key (may be NULL: no links)
 * signs ack links that point at external_url and last ack_link_ttl_ms. */
notify_engine_t *notify_engine_new (notify_config_t **cfg_p, const char *ack_key,
                                    const char *external_url, int64_t ack_link_ttl_ms);
void notify_engine_destroy (notify_engine_t **self_p);

const notify_config_t *notify_engine_config (const notify_engine_t *self);
const notify_ack_signer_t *notify_engine_signer (const notify_engine_t *self);

/* A rules_transition_fn; arg is the engine. */
int notify_engine_transition (PGconn *conn, const rules_alert_t *alert, rules_alert_state_t from,
                              int64_t now_ms, void *arg, char *err, size_t errlen);

/* Does everything due at now_ms, in one transaction, and returns how many notifications it added
 * (>= 0), or a negative code with err. */
int notify_engine_tick (notify_engine_t *self, PGconn *conn, int64_t now_ms, char *err,
                        size_t errlen);

#endif
