/*  notify_pass.c - silences and inhibition, loaded once per pass. */
#include "notify_pass.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
notify_pass_init (notify_pass_t *self, const notify_config_t *cfg,
                  const notify_ack_signer_t *signer, PGconn *conn, int64_t now_ms)
{
    memset (self, 0, sizeof *self);
    self->cfg = cfg;
    self->signer = signer;
    self->conn = conn;
    self->now_ms = now_ms;
}

void
notify_pass_free (notify_pass_t *self)
{
    notify_silences_free (&self->silences);
    notify_alerts_free (&self->firing);
    free (self->lsets);
    memset (self, 0, sizeof *self);
}

int
notify_pass_muted (notify_pass_t *self, const notify_alert_t *a, char *why, size_t whylen,
                   char *err, size_t errlen)
{
    int rc;
    if (!self->have_silences) {
        if ((rc = notify_silences_load (self->conn, self->now_ms, &self->silences, err, errlen)) !=
            VG_OK)
            return rc;
        self->have_silences = 1;
    }
    const notify_silence_t *s = notify_silences_match (&self->silences, a->labels, a->nlabels);
    if (s) {
        snprintf (why, whylen, "silenced by %s", s->id);
        return 1;
    }
    if (self->cfg->ninhibits == 0)
        return 0;
    if (!self->have_firing) {
        if ((rc = notify_alerts_load (self->conn, 0, NULL, 0, &self->firing, err, errlen)) != VG_OK)
            return rc;
        self->lsets = vg_calloc (self->firing.n + 1, sizeof *self->lsets);
        for (size_t i = 0; i < self->firing.n; i++)
            self->lsets[i] =
                (notify_lset_t){self->firing.items[i].labels, self->firing.items[i].nlabels};
        self->have_firing = 1;
    }
    int rule = notify_inhibit_muted (self->cfg, a->labels, a->nlabels, self->lsets, self->firing.n);
    if (rule >= 0) {
        snprintf (why, whylen, "inhibited by inhibit_rules[%d]", rule);
        return 1;
    }
    return 0;
}

static const notify_route_t *
s_find (const notify_route_t *r, const char *key)
{
    if (strcmp (r->key, key) == 0)
        return r;
    for (size_t i = 0; i < r->nchildren; i++) {
        const notify_route_t *hit = s_find (r->children[i], key);
        if (hit)
            return hit;
    }
    return NULL;
}

const notify_route_t *
notify_pass_route (const notify_pass_t *self, const char *key)
{
    return s_find (self->cfg->root, key);
}
