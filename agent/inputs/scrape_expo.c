/*  scrape_expo.c - a fetched exposition: format, verdict, log, counters. */
#include "scrape_expo.h"
#include "scrape_format.h"
#include "scrape_lex.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_COMPLAIN_MS 60000

struct scrape_expo_t {
    char *instance;
    scrape_expo_settings_t set;
    scrape_parse_t *parser;

    /* the read under way */
    int64_t now_ms;
    size_t ts_replaced; /* this read's samples stored at the scrape's time */
    size_t ts_line;     /* the first of them */
    int64_t ts_value;

    /* since start */
    uint64_t rule_errors;                /* rules broken, all of them */
    uint64_t invalid[SCRAPE_RULE_COUNT]; /* expositions, by their first rule broken */
    uint64_t drop_body, drop_samples, drop_labels, drop_histograms, drop_duplicates;
    uint64_t adjust_timestamp, adjust_nul;
    vg_complain_t invalid_complain, ts_complain, nul_complain;
};

scrape_expo_t *
scrape_expo_new (const char *instance, const scrape_expo_settings_t *settings)
{
    scrape_expo_t *self = vg_calloc (1, sizeof *self);
    self->instance = vg_strdup (instance);
    self->set = *settings;
    self->parser = scrape_parse_new ();
    return self;
}

void
scrape_expo_destroy (scrape_expo_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    scrape_expo_t *self = *self_p;
    free (self->instance);
    scrape_parse_destroy (&self->parser);
    free (self);
    *self_p = NULL;
}

static const char *
s_format_name (scrape_format_t format)
{
    return format == SCRAPE_FORMAT_OPENMETRICS ? "OpenMetrics" : "Prometheus 0.0.4";
}

/* Refuses the exposition for rule: counted, logged at a limited rate, and
 * said in verdict->message. */
static int
s_refuse (scrape_expo_t *self, scrape_verdict_t *v, scrape_rule_t rule, const char *what,
          const char *detail, const char *advice)
{
    v->rule = rule;
    v->stored = 0;
    v->up = 0;
    self->invalid[rule]++;
    snprintf (v->message, sizeof v->message, "%s, nothing stored: %s [%s]", what, detail,
              scrape_rule_name (rule));
    vg_complain (&self->invalid_complain, S_COMPLAIN_MS, VG_LOG_WARN, "scrape[%s]: %s; %s",
                 self->instance, v->message, advice);
    return 0;
}

/* The format to read the body in; -1 when the Content-Type names none. */
static int
s_format (scrape_expo_t *self, const char *body, size_t len, const char *ct, int is_file,
          scrape_format_t *format)
{
    if (self->set.format == SCRAPE_EXPO_PROMETHEUS) {
        *format = SCRAPE_FORMAT_PROMETHEUS;
        return 0;
    }
    if (self->set.format == SCRAPE_EXPO_OPENMETRICS) {
        *format = SCRAPE_FORMAT_OPENMETRICS;
        return 0;
    }
    if (scrape_format_from_content_type (ct, format) == VG_OK)
        return 0;
    if ((is_file && !ct) || self->set.on_invalid == SCRAPE_EXPO_KEEP_VALID_LINES) {
        *format = scrape_format_guess (body, len);
        return 0;
    }
    return -1;
}

/* The warnings about values stored otherwise than written. */
static void
s_warn_adjusted (scrape_expo_t *self, const scrape_result_t *res)
{
    if (self->ts_replaced) {
        self->adjust_timestamp += self->ts_replaced;
        vg_complain (&self->ts_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                     "scrape[%s]: %zu sample%s carry a timestamp the store cannot hold (more than "
                     "34 days old or 1 day ahead; the first, line %zu, at %" PRId64
                     " ms); stored at the scrape's time instead",
                     self->instance, self->ts_replaced, self->ts_replaced == 1 ? "" : "s",
                     self->ts_line, self->ts_value);
    }
    if (res->nul_replaced) {
        self->adjust_nul += res->nul_replaced;
        vg_complain (&self->nul_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                     "scrape[%s]: %zu NUL byte%s in label values stored as U+FFFD: the store's "
                     "strings cannot hold NUL",
                     self->instance, res->nul_replaced, res->nul_replaced == 1 ? "" : "s");
    }
}

int
scrape_expo_read (scrape_expo_t *self, const char *body, size_t len, const char *content_type,
                  int is_file, int truncated, int64_t now_ms, scrape_sample_fn fn, void *arg,
                  scrape_verdict_t *v)
{
    memset (v, 0, sizeof *v);
    int keep = self->set.on_invalid == SCRAPE_EXPO_KEEP_VALID_LINES;
    char detail[400];
    scrape_format_t format;
    if (s_format (self, body, len, content_type, is_file, &format) != 0) {
        char shown[48];
        if (content_type && *content_type)
            snprintf (detail, sizeof detail,
                      "the Content-Type \"%s\" names no text exposition format "
                      "(application/openmetrics-text or text/plain)",
                      scrape_lex_show (shown, sizeof shown, content_type, strlen (content_type)));
        else
            snprintf (detail, sizeof detail, "the response has no Content-Type");
        return s_refuse (self, v, SCRAPE_RULE_CONTENT_TYPE, "unreadable response", detail,
                         "set format: prometheus or openmetrics to read it anyway");
    }
    if (truncated) {
        self->drop_body++;
        if (!keep) {
            snprintf (detail, sizeof detail, "the response is larger than max_body (%lld bytes)",
                      (long long)self->set.max_body);
            return s_refuse (self, v, SCRAPE_RULE_BODY_LIMIT, "exposition too large", detail,
                             "raise max_body");
        }
        while (len > 0 && body[len - 1] != '\n') /* whole lines only */
            len--;
    }
    scrape_options_t opts = {
        .max_samples = self->set.max_samples,
        .max_label_count = self->set.max_label_count,
        .max_label_length = self->set.max_label_length,
        .keep_valid_lines = keep,
    };
    scrape_result_t res;
    self->now_ms = now_ms;
    self->ts_replaced = 0;
    scrape_parse_run (self->parser, body, len, format, &opts, fn, arg, &res);
    size_t errors = res.errors;
    if (truncated && format == SCRAPE_FORMAT_OPENMETRICS && !res.eof && errors > 0)
        errors--; /* a cut body has no # EOF: that is counted as body */
    self->rule_errors += errors;
    self->drop_samples += res.dropped_samples;
    self->drop_labels += res.dropped_labels;
    self->drop_duplicates += res.duplicates;
    v->samples = res.samples;
    s_warn_adjusted (self, &res);
    if (errors == 0) {
        v->stored = 1;
        v->up = 1;
        vg_complain_clear (&self->invalid_complain, "scrape[%s]: the exposition is valid again",
                           self->instance);
        return 1;
    }
    const char *fname = s_format_name (format);
    if (!keep) {
        char what[64];
        int limit =
            res.first_rule == SCRAPE_RULE_SAMPLE_LIMIT || res.first_rule == SCRAPE_RULE_LABEL_LIMIT;
        snprintf (what, sizeof what, limit ? "%s exposition over a limit" : "invalid %s exposition",
                  fname);
        return s_refuse (self, v, res.first_rule, what, res.first_error,
                         limit ? "raise the limit, or set on_invalid: keep_valid_lines to drop "
                                 "what is over it"
                               : "fix the target, or set on_invalid: keep_valid_lines to keep "
                                 "its valid lines");
    }
    /* keep_valid_lines: said once per scrape, as it happens every scrape */
    self->invalid[res.first_rule]++;
    v->rule = res.first_rule;
    v->stored = 1;
    /* a 200 with nothing readable in it (an HTML page) is no working target */
    v->up = res.samples + res.dropped_samples + res.dropped_labels > 0;
    vg_warn ("scrape[%s]: the %s exposition breaks %zu rule%s; on_invalid: keep_valid_lines "
             "keeps the %zu samples of the other lines; the first: %s [%s]",
             self->instance, fname, errors, errors == 1 ? "" : "s", res.samples, res.first_error,
             scrape_rule_name (res.first_rule));
    return 1;
}

int64_t
scrape_expo_time (scrape_expo_t *self, const scrape_sample_t *s)
{
    if (!s->has_timestamp)
        return self->now_ms;
    int64_t ts = s->timestamp_ms;
    if (ts >= self->now_ms - SCRAPE_EXPO_PAST_MS && ts <= self->now_ms + SCRAPE_EXPO_FUTURE_MS)
        return ts;
    if (self->ts_replaced++ == 0) {
        self->ts_line = s->line;
        self->ts_value = ts;
    }
    return self->now_ms;
}

void
scrape_expo_drop (scrape_expo_t *self, scrape_drop_t reason)
{
    if (reason == SCRAPE_DROP_LABELS)
        self->drop_labels++;
    else
        self->drop_histograms++;
}

void
scrape_expo_emit (scrape_expo_t *self, agent_sink_t *sink, const scrape_verdict_t *v,
                  double seconds, size_t body_bytes)
{
    vg_label_t l[2] = {{.key = "instance", .value = self->instance}, {.key = "reason"}};
    agent_sink_gauge (sink, "scrape_up", l, 1, v->up);
    agent_sink_gauge (sink, "scrape_duration_seconds", l, 1, seconds);
    agent_sink_gauge (sink, "scrape_samples", l, 1, (double)v->samples);
    agent_sink_gauge (sink, "scrape_body_bytes", l, 1, (double)body_bytes);
    agent_sink_counter (sink, "scrape_parse_errors_total", l, 1, (double)self->rule_errors);
    /* refusals by rule: only the rules that happened, not fifty series of 0 */
    for (int r = 1; r < SCRAPE_RULE_COUNT; r++) {
        if (!self->invalid[r])
            continue;
        l[1].value = scrape_rule_name ((scrape_rule_t)r);
        agent_sink_counter (sink, "scrape_invalid_total", l, 2, (double)self->invalid[r]);
    }
    static const char *const dropped[] = {"body", "samples", "labels", "histograms", "duplicate"};
    const uint64_t drops[] = {self->drop_body, self->drop_samples, self->drop_labels,
                              self->drop_histograms, self->drop_duplicates};
    for (size_t i = 0; i < sizeof drops / sizeof drops[0]; i++) {
        l[1].value = dropped[i];
        agent_sink_counter (sink, "scrape_dropped_total", l, 2, (double)drops[i]);
    }
    l[1].value = "timestamp";
    agent_sink_counter (sink, "scrape_adjusted_total", l, 2, (double)self->adjust_timestamp);
    l[1].value = "label_nul";
    agent_sink_counter (sink, "scrape_adjusted_total", l, 2, (double)self->adjust_nul);
}

int
scrape_expo_parse_on_invalid (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field,
                              char *err, size_t errlen)
{
    static const char *const names[] = {"reject", "keep_valid_lines"};
    size_t len;
    const char *text = vg_cnode_scalar (node, &len);
    for (int i = 0; text && i < 2; i++)
        if (len == strlen (names[i]) && strncasecmp (text, names[i], len) == 0) {
            *(int *)field = i;
            return VG_OK;
        }
    return vg_config_error (cfg, node, key, err, errlen, "expected reject or keep_valid_lines");
}
