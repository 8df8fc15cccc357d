/*  notify_group.h - aggregation groups (vigil.notify_groups): Alertmanager's
 *  group_wait, group_interval and repeat_interval, or a digest's instants.
 *
 *  A group is looked at when its next_flush_at falls due: first group_wait
 *  after it is made (at once for an alert that started group_wait ago or
 *  more), then every group_interval while it holds alerts; a digest or daily
 *  group at each of its mode's instants. At each look it notifies when an
 *  alert fires that the last notification did not carry, when alerts it
 *  carried as firing have resolved, or (immediate mode only) when
 *  repeat_interval has passed; a digest with nothing new is not sent.
 *  Silenced and inhibited alerts are left out. Resolved alerts leave the
 *  group after the look; an empty group is deleted. Internal to
 *  collector/notify. */
#ifndef NOTIFY_GROUP_H
#define NOTIFY_GROUP_H

#include "notify_pass.h"
#include "notify_route.h"
#include "rules_alert.h"

#include <stddef.h>
#include <stdint.h>

/* Puts a firing alert into its group on route (making the group), or notes
 * that one resolved; the group is looked at now if that is due. */
int notify_group_on_alert (notify_pass_t *pass, const notify_route_t *route,
                           const rules_alert_t *alert, char *err, size_t errlen);

/* Looks at every group due at the pass's instant (at most limit). Returns
 * how many, or a negative code. */
int notify_group_flush_due (notify_pass_t *pass, int limit, char *err, size_t errlen);

#endif
