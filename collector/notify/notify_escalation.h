/*  notify_escalation.h - escalation policies: levels climbed while an alert
 *  fires and nobody acknowledges it (vigil.escalations, every step in
 *  vigil.escalation_steps).
 *
 *  Level k falls due its delay after the alert started firing, minus nothing
 *  and plus the time acks held the climb: an ack holds it, and when the ack
 *  expires while the alert still fires, the climb resumes with the time that
 *  was left to the next level. A level that fell due while the collector
 *  was down is sent when it comes back, late and once; the next one is still
 *  counted from when the late one was due. A muted alert (silence,
 *  inhibition) holds its climb until it is not. The resolution goes to every
 *  level that was notified, whatever their send_resolved. Internal to
 *  collector/notify. */
#ifndef NOTIFY_ESCALATION_H
#define NOTIFY_ESCALATION_H

#include "notify_pass.h"
#include "notify_route.h"
#include "rules_alert.h"

/* A firing alert on a route with a policy: starts its climb (level 1 goes at
 * once when its delay is 0). */
int notify_escalation_on_firing (notify_pass_t *pass, const notify_route_t *route,
                                 const rules_alert_t *alert, char *err, size_t errlen);
/* A resolved alert: ends its climbs, tells every level notified, ends its
 * acks. */
int notify_escalation_on_resolved (notify_pass_t *pass, const rules_alert_t *alert, char *err,
                                   size_t errlen);
/* Acks that expired resume their climbs; levels due are sent. Returns how
 * many climbs moved, or a negative code. */
int notify_escalation_due (notify_pass_t *pass, int limit, char *err, size_t errlen);

#endif
