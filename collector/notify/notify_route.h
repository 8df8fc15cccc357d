/*  notify_route.h - which routes an alert takes, and its group there:
 *  Alertmanager's semantics.
 *
 *  Depth first from the root (which matches every alert): a route that
 *  matches tries its children in order and stops at the first that matches
 *  unless that child has continue: true; a route none of whose children
 *  match takes the alert itself. The group key is Alertmanager's:
 *  route key ":" group labels ({}/{severity="critical"}:{alertname="X"}).
 */
#ifndef NOTIFY_ROUTE_H
#define NOTIFY_ROUTE_H

#include "notify_config.h"
#include "vg_batch.h"
#include "vg_buf.h"

#include <stddef.h>

/* At most this many routes take one alert. */
#define NOTIFY_ROUTE_MAX_MATCHES 32

/* Fills out with the routes that take the alert; returns how many (>= 1). */
size_t notify_route_match (const notify_route_t *root, const vg_label_t *labels, size_t n,
                           const notify_route_t **out, size_t max);

/* The labels of a group: those of the alert named in group_by (all of them
 * for '...'), sorted by name; labels the alert lacks are left out. Fills out
 * (capacity n) and returns how many. The strings are the alert's. */
size_t notify_route_group_labels (const notify_route_t *route, const vg_label_t *labels, size_t n,
                                  vg_label_t *out);

/* Appends Alertmanager's LabelSet.String(): {a="x", b="y"}, sorted. */
void notify_route_labelset_string (vg_buf_t *out, const vg_label_t *labels, size_t n);

/* Appends the group key: route key, ':', the group labels' string. */
void notify_route_group_key (vg_buf_t *out, const notify_route_t *route, const vg_label_t *labels,
                             size_t n);

/* Sorts labels by name in place. */
void notify_route_sort_labels (vg_label_t *labels, size_t n);
/* A sorted copy of the array (the strings are not copied); caller frees it. */
vg_label_t *notify_route_sorted_labels (const vg_label_t *labels, size_t n);

#endif
