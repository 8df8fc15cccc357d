/*  report_send.h - the daily report, sent by the collector at a time of day
 *  through the notify outbox (collector.yaml: daily_report_receiver,
 *  daily_report_at, daily_report_where, report_definition).
 *
 *  At each day's instant (daily_report_at: "09:00 Asia/Seoul", read from the
 *  system's zoneinfo as routes' daily mode is) the report of the local day
 *  before is rendered and written into vigil.notifications for every
 *  integration of the receiver: markdown for Slack and webhooks, HTML (with
 *  the text as its alternative) for e-mail. The day is recorded in
 *  vigil.report_sends in the same transaction, so a report goes out once per
 *  day, across restarts and with several collectors. A collector that was
 *  not running at the instant sends that day's report when it starts (late,
 *  once); only the newest instant counts, so a long outage sends one report,
 *  not one per day missed.
 *
 *  report_send_due does the work at a time given as a parameter; the thread
 *  (report_send_start) calls it when the instant comes.
 */
#ifndef REPORT_SEND_H
#define REPORT_SEND_H

#include "notify_config.h"
#include "report_def.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

typedef struct report_send_t report_send_t;

typedef struct {
    const char *receiver;       /* a receiver of routes.yaml */
    const char *at;             /* "HH:MM [ZONE]": the time of day, and the report's zone */
    const char *selector;       /* the series the report covers; NULL or "": all */
    const report_def_t *def;    /* must outlive the sender */
    const notify_config_t *cfg; /* routes.yaml; must outlive the sender */
} report_send_config_t;

/* Checks the configuration (the receiver exists in routes.yaml and can take
 * text; the time and zone read). Returns NULL with the reason, naming the
 * collector.yaml key, in err. */
report_send_t *report_send_new (const report_send_config_t *config, char *err, size_t errlen);
/* Stops the thread, if started. */
void report_send_destroy (report_send_t **self_p);

/* The first instant strictly after now_ms. */
int64_t report_send_next (const report_send_t *self, int64_t now_ms);

/* Sends the report of the newest instant at or before now_ms unless
 * vigil.report_sends has it. Returns 1 when it queued it, 0 when nothing
 * was due, or a negative code (VG_ERETRY: the database; try again) with
 * err. */
int report_send_due (report_send_t *self, PGconn *conn, int64_t now_ms, char *err, size_t errlen);

/* Starts the thread, with a connection of its own to db_url (copied).
 * Returns 0, or VG_EIO when the thread cannot start (logged). */
int report_send_start (report_send_t *self, const char *db_url);

#endif
