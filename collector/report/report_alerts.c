/*  report_alerts.c - the alerts section, from vigil.alert_stats. */
#include "report_alerts.h"
#include "report_db.h"

#include <string.h>

/* Columns of vigil.alert_stats. */
enum { C_GRP, C_FIRED, C_ACKED, C_UNACKED, C_FIRING, C_ACK_AVG, C_ACK_P50, C_ACK_MAX, C_RES_AVG };

static PGresult *
s_stats (report_ctx_t *c, const char *by)
{
    if (c->failed)
        return NULL;
    const char *p[] = {c->since, c->until, c->sel, by};
    PGresult *res = report_db_exec (
        c->conn, "alerts",
        "SELECT coalesce (grp, ''), fired, acknowledged, resolved_unacked, firing, ack_avg_s,"
        " ack_p50_s, ack_max_s, resolve_avg_s"
        "  FROM vigil.alert_stats (to_timestamp ($1::float8), to_timestamp ($2::float8), $3, $4)",
        4, p, c->err, c->errlen);
    if (!res)
        c->failed = 1;
    return res;
}

/* A table of the alerts per value of by, most fired first. */
static void
s_table (report_ctx_t *c, report_section_t *s, const char *by, const char *id, const char *title,
         size_t top)
{
    PGresult *res = s_stats (c, by);
    if (!res)
        return;
    report_table_t *t = report_model_table (s, id, title, by);
    report_model_col (t, "fired", "Fired", REPORT_UNIT_COUNT);
    report_model_col (t, "acknowledged", "Acked", REPORT_UNIT_COUNT);
    report_model_col (t, "ack_avg", "Time to ack (avg)", REPORT_UNIT_DURATION);
    report_model_col (t, "ack_max", "Time to ack (max)", REPORT_UNIT_DURATION);
    report_model_col (t, "still_firing", "Still firing", REPORT_UNIT_COUNT);
    static const int cols[] = {C_FIRED, C_ACKED, C_ACK_AVG, C_ACK_MAX, C_FIRING};
    for (int i = 0; i < PQntuples (res); i++) {
        const char *key = PQgetvalue (res, i, C_GRP);
        report_row_t *row = report_model_row (t, *key ? key : "(none)");
        for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++)
            row->vals[k] = report_db_val (res, i, cols[k]);
    }
    report_model_sort_desc (t, 0);
    report_model_truncate (t, top);
    PQclear (res);
}

void
report_alerts_section (report_ctx_t *c)
{
    report_section_t *s = report_model_section (c->r, "alerts", "Alerts");
    PGresult *all = s_stats (c, NULL);
    if (!all)
        return;
    if (PQntuples (all) == 0) {
        report_model_none (s, "no alerts fired%s%s from %s to %s", *c->sel ? " for " : "", c->sel,
                           c->r->first_day, c->r->last_day);
        PQclear (all);
        return;
    }
    static const struct {
        const char *id, *label;
        int col; /* -1: the acknowledged share */
        report_unit_t unit;
    } figs[] = {
        {"fired", "Fired", C_FIRED, REPORT_UNIT_COUNT},
        {"acknowledged", "Acknowledged", C_ACKED, REPORT_UNIT_COUNT},
        {"ack_rate", "Acknowledged share", -1, REPORT_UNIT_PERCENT},
        {"ack_avg", "Time to acknowledge (average)", C_ACK_AVG, REPORT_UNIT_DURATION},
        {"ack_p50", "Time to acknowledge (median)", C_ACK_P50, REPORT_UNIT_DURATION},
        {"ack_max", "Time to acknowledge (longest)", C_ACK_MAX, REPORT_UNIT_DURATION},
        {"resolved_unacked", "Resolved without an ack", C_UNACKED, REPORT_UNIT_COUNT},
        {"still_firing", "Still firing", C_FIRING, REPORT_UNIT_COUNT},
        {"resolve_avg", "Time to resolve (average)", C_RES_AVG, REPORT_UNIT_DURATION},
    };
    double fired = report_db_double (all, 0, C_FIRED, NULL);
    double acked = report_db_double (all, 0, C_ACKED, NULL);
    for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++)
        report_model_fig (s, figs[i].id, figs[i].label,
                          figs[i].col < 0 ? report_val (acked / fired)
                                          : report_db_val (all, 0, figs[i].col),
                          figs[i].unit, NULL);
    PQclear (all);
    s_table (c, s, "severity", "by_severity", "By severity", 10);
    s_table (c, s, "alertname", "by_alert", "By alert", 10);
}
