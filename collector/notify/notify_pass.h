/*  notify_pass.h - one pass of the notify stage over the database at one
 *  instant, inside one transaction: what the groups and escalations share
 *  (the silences and firing alerts, loaded once, on first need). Internal to
 *  collector/notify. */
#ifndef NOTIFY_PASS_H
#define NOTIFY_PASS_H

#include "notify_ack.h"
#include "notify_alert.h"
#include "notify_config.h"
#include "notify_inhibit.h"
#include "notify_silence.h"

#include <libpq-fe.h>
#include <stdint.h>

typedef struct {
    const notify_config_t *cfg;
    const notify_ack_signer_t *signer;
    PGconn *conn;
    int64_t now_ms;
    int added; /* notifications written */
    notify_silences_t silences;
    int have_silences;
    notify_alerts_t firing;
    notify_lset_t *lsets;
    int have_firing;
} notify_pass_t;

void notify_pass_init (notify_pass_t *self, const notify_config_t *cfg,
                       const notify_ack_signer_t *signer, PGconn *conn, int64_t now_ms);
void notify_pass_free (notify_pass_t *self);

/* 1 if a silence or an inhibit rule mutes the alert now (why says which),
 * 0 if not, or a negative code. */
int notify_pass_muted (notify_pass_t *self, const notify_alert_t *a, char *why, size_t whylen,
                       char *err, size_t errlen);

/* The route whose key is key, or NULL (gone from routes.yaml). */
const notify_route_t *notify_pass_route (const notify_pass_t *self, const char *key);

#endif
