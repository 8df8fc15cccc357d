/*  report_alerts.h - a report's alerts section: the alerts that fired in the
 *  period, how many were acknowledged and how long that took, how many
 *  resolved without anyone acknowledging them and how many still fire; by
 *  severity and by alert. Read through vigil.alert_stats
 *  (collector/sql/054_alert_history.sql) with the report's selector. */
#ifndef REPORT_ALERTS_H
#define REPORT_ALERTS_H

#include "report_query.h"

/* Adds the section to c's report; on a database error sets c->failed. */
void report_alerts_section (report_ctx_t *c);

#endif
