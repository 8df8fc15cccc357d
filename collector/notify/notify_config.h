/*  notify_config.h - routes.yaml: Alertmanager's route tree, receivers and
 *  inhibition rules, plus Vigil's modes and escalation policies.
 *
 *      global: {give_up_after: 24h, retry_min: 1s, retry_max: 5m, timeout: 10s}
 *      route:
 *        receiver: alerts
 *        group_by: [alertname, service]
 *        routes:
 *          - matchers: ['severity="critical"']
 *            group_by: ['...']
 *            group_wait: 0s
 *            escalation: incident
 *          - matchers: ['severity="warning"']
 *            mode: digest 1h Asia/Seoul
 *      receivers:
 *        - name: alerts
 *          slack_configs: [{api_url: env:SLACK_ALERTS_URL}]
 *      inhibit_rules:
 *        - {source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'],
 *           equal: [service]}
 *      escalation_policies:
 *        - name: incident
 *          levels: [{delay: 0s, receivers: [support]}, {delay: 15m, receivers: [developers]}]
 *
 *  Unset route options are inherited from the parent route; the root's
 *  defaults are Alertmanager's (group_wait 30s, group_interval 5m,
 *  repeat_interval 4h) and mode immediate.
 */
#ifndef NOTIFY_CONFIG_H
#define NOTIFY_CONFIG_H

#include "notify_matcher.h"
#include "notify_mode.h"
#include "vg_config.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    NOTIFY_KIND_WEBHOOK = 0,
    NOTIFY_KIND_SLACK,
    NOTIFY_KIND_ALERTMANAGER,
    NOTIFY_KIND_EMAIL,
    NOTIFY_KIND_COUNT,
} notify_kind_t;

/* One delivery target of a receiver (Alertmanager's "integration"). */
typedef struct {
    notify_kind_t kind;
    int index; /* position within the receiver's list of this kind */
    char *url; /* webhook url, Slack api_url, Alertmanager base url */
    int send_resolved;
    int64_t max_alerts;                    /* webhook: 0 = all */
    int64_t timeout_ms;                    /* per request */
    int64_t min_interval_ms;               /* between two requests to this target (Slack: 1s) */
    char *channel, *username, *icon_emoji; /* Slack, optional */
    /* E-mail. */
    vg_strlist_t to;
    char *from, *smarthost, *auth_username, *auth_password, *hello, *ca_file;
    int require_tls; /* STARTTLS required (default) or used when offered */
} notify_integration_t;

typedef struct {
    char *name;
    notify_integration_t *items;
    size_t n;
} notify_receiver_t;

typedef struct notify_route_t notify_route_t;
struct notify_route_t {
    notify_matchers_t matchers; /* sorted as Alertmanager sorts them */
    char *receiver;
    vg_strlist_t group_by;
    int group_by_all; /* group_by: ['...'] */
    int64_t group_wait_ms, group_interval_ms, repeat_interval_ms;
    notify_mode_t mode;
    char *escalation; /* a policy's name, or NULL */
    int cont;         /* continue */
    char *key;        /* Alertmanager's route key: {}/{severity="critical"} */
    notify_route_t **children;
    size_t nchildren;
};

typedef struct {
    notify_matchers_t source, target;
    vg_strlist_t equal;
} notify_inhibit_t;

typedef struct {
    int64_t delay_ms; /* after the alert starts firing */
    vg_strlist_t receivers;
} notify_level_t;

typedef struct {
    char *name;
    notify_level_t *levels;
    size_t n;
} notify_policy_t;

typedef struct {
    notify_route_t *root;
    notify_receiver_t *receivers;
    size_t nreceivers;
    notify_inhibit_t *inhibits;
    size_t ninhibits;
    notify_policy_t *policies;
    size_t npolicies;
    int64_t give_up_after_ms; /* a notification not delivered by then has failed */
    int64_t retry_min_ms, retry_max_ms;
    char *path;
} notify_config_t;

/* Loads and checks routes.yaml. Returns NULL with "file:line: key: reason"
 * in err. Caller owns the result. */
notify_config_t *notify_config_load (const char *path, char *err, size_t errlen);
/* The same from text (name stands for the file in messages). */
notify_config_t *notify_config_parse (const char *name, const char *yaml, char *err, size_t errlen);
void notify_config_destroy (notify_config_t **self_p);

const notify_receiver_t *notify_config_receiver (const notify_config_t *self, const char *name);
const notify_policy_t *notify_config_policy (const notify_config_t *self, const char *name);
/* The integration kind's name in routes.yaml ("slack") and in its list key
 * ("slack_configs"). */
const char *notify_config_kind_name (notify_kind_t kind);
/* The integration of receiver name with this kind and index, or NULL. */
const notify_integration_t *notify_config_integration (const notify_config_t *self,
                                                       const char *receiver, notify_kind_t kind,
                                                       int index);
int notify_config_kind_parse (const char *name, notify_kind_t *kind);

#endif
