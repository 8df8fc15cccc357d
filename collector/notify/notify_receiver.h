/*  notify_receiver.h - the receivers of routes.yaml and their integrations'
 *  options (the tables --help and docs/alerting.md list). Internal to
 *  collector/notify: notify_config uses it. */
#ifndef NOTIFY_RECEIVER_H
#define NOTIFY_RECEIVER_H

#include "notify_config.h"
#include "vg_config.h"

/* Parses the receivers list into cfg->receivers (names unique). Returns 0 or
 * VG_EINVAL with "file:line: key: reason" in err. */
int notify_receiver_parse (vg_config_t *doc, vg_cnode_t *list, notify_config_t *cfg, char *err,
                           size_t errlen);
/* Frees what one receiver owns. */
void notify_receiver_free (notify_receiver_t *r);

#endif
