/*  notify_engine.c - the notify stage's two entry points: each transition,
 *  inside the rules stage's transaction, and the scheduler's tick. */
#include "notify_engine.h"
#include "coll_pg.h"
#include "notify_escalation.h"
#include "notify_group.h"
#include "notify_pass.h"
#include "notify_route.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Groups looked at per tick at most; the rest wait for the next one. */
#define TICK_GROUPS      200
#define TICK_ESCALATIONS 200

struct notify_engine_t {
    notify_config_t *cfg;
    notify_ack_signer_t signer;
};

notify_engine_t *
notify_engine_new (notify_config_t **cfg_p, const char *ack_key, const char *external_url,
                   int64_t ack_link_ttl_ms)
{
    notify_engine_t *self = vg_calloc (1, sizeof *self);
    self->cfg = *cfg_p;
    *cfg_p = NULL;
    notify_ack_signer_init (&self->signer, ack_key, external_url, ack_link_ttl_ms);
    return self;
}

void
notify_engine_destroy (notify_engine_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    notify_engine_t *self = *self_p;
    notify_config_destroy (&self->cfg);
    notify_ack_signer_free (&self->signer);
    free (self);
    *self_p = NULL;
}

const notify_config_t *
notify_engine_config (const notify_engine_t *self)
{
    return self->cfg;
}

const notify_ack_signer_t *
notify_engine_signer (const notify_engine_t *self)
{
    return &self->signer;
}

int
notify_engine_transition (PGconn *conn, const rules_alert_t *alert, rules_alert_state_t from,
                          int64_t now_ms, void *arg, char *err, size_t errlen)
{
    (void)from;
    notify_engine_t *self = arg;
    int rc = notify_alert_store (conn, alert, now_ms, err, errlen);
    if (rc != VG_OK)
        return rc;
    /* Only firing and resolved alerts are notified, as in Alertmanager. */
    if (alert->state != RULES_ALERT_FIRING && alert->state != RULES_ALERT_RESOLVED)
        return VG_OK;
    notify_pass_t pass;
    notify_pass_init (&pass, self->cfg, &self->signer, conn, now_ms);
    const notify_route_t *routes[NOTIFY_ROUTE_MAX_MATCHES];
    size_t n = notify_route_match (self->cfg->root, alert->labels, alert->nlabels, routes,
                                   NOTIFY_ROUTE_MAX_MATCHES);
    for (size_t i = 0; i < n && rc == VG_OK; i++) {
        rc = notify_group_on_alert (&pass, routes[i], alert, err, errlen);
        if (rc == VG_OK && routes[i]->escalation && alert->state == RULES_ALERT_FIRING)
            rc = notify_escalation_on_firing (&pass, routes[i], alert, err, errlen);
    }
    if (rc == VG_OK && alert->state == RULES_ALERT_RESOLVED)
        rc = notify_escalation_on_resolved (&pass, alert, err, errlen);
    notify_pass_free (&pass);
    return rc;
}

int
notify_engine_tick (notify_engine_t *self, PGconn *conn, int64_t now_ms, char *err, size_t errlen)
{
    int rc = coll_pg_command (conn, "starting the notify tick", "BEGIN", 0, NULL, err, errlen);
    if (rc != VG_OK)
        return rc;
    notify_pass_t pass;
    notify_pass_init (&pass, self->cfg, &self->signer, conn, now_ms);
    rc = notify_escalation_due (&pass, TICK_ESCALATIONS, err, errlen);
    if (rc >= 0)
        rc = notify_group_flush_due (&pass, TICK_GROUPS, err, errlen);
    int added = pass.added;
    notify_pass_free (&pass);
    if (rc < 0) {
        PQclear (PQexec (conn, "ROLLBACK"));
        return rc;
    }
    rc = coll_pg_command (conn, "committing the notify tick", "COMMIT", 0, NULL, err, errlen);
    return rc == VG_OK ? added : rc;
}
