/*  scrape_expo.h - what the scrape input does with a fetched body: picks the
 *  format, checks the whole exposition, decides what is stored, logs and
 *  counts why an exposition was refused, and writes the input's own metrics.
 *
 *  The format comes from the Content-Type as Prometheus reads it
 *  (application/openmetrics-text or text/plain; anything else, or none, fails
 *  the scrape), unless the format option forces one; a file:// body, which
 *  has no Content-Type, is guessed from its last line. With on_invalid:
 *  reject (the default) an exposition that breaks a rule of its format, or a
 *  limit, is not stored at all and the scrape's up is 0, as Prometheus does;
 *  keep_valid_lines keeps every line that breaks nothing and says so in the
 *  log once per scrape.
 *
 *      scrape_expo_t *x = scrape_expo_new ("api", &settings);
 *      scrape_verdict_t v;
 *      scrape_expo_read (x, body, len, content_type, is_file, truncated, now_ms,
 *                        on_sample, arg, &v);   // on_sample stores each sample
 *      scrape_expo_emit (x, sink, &v, seconds, body_len);
 */
#ifndef SCRAPE_EXPO_H
#define SCRAPE_EXPO_H

#include "agent_sink.h"
#include "scrape_parse.h"
#include "vg_config.h"

#include <stddef.h>
#include <stdint.h>

/* The format option. */
#define SCRAPE_EXPO_AUTO        0
#define SCRAPE_EXPO_PROMETHEUS  1
#define SCRAPE_EXPO_OPENMETRICS 2

/* The on_invalid option. */
#define SCRAPE_EXPO_REJECT           0
#define SCRAPE_EXPO_KEEP_VALID_LINES 1

/* How far from the scrape's time a sample's own timestamp may be and still be
 * stored with it: the collector keeps samples from 35 days before to 1 day
 * after a batch arrives (collector/ingest/coll_store.c), and a day of the
 * past is left for the batch to get there. */
#define SCRAPE_EXPO_PAST_MS   (34 * 86400000LL)
#define SCRAPE_EXPO_FUTURE_MS (1 * 86400000LL)

typedef struct {
    int format;     /* SCRAPE_EXPO_AUTO, _PROMETHEUS, _OPENMETRICS */
    int on_invalid; /* SCRAPE_EXPO_REJECT, _KEEP_VALID_LINES */
    size_t max_samples, max_label_count, max_label_length;
    int64_t max_body;
} scrape_expo_settings_t;

/* What became of one exposition. */
typedef struct {
    int stored;         /* its samples went to the callback (all, or the valid lines') */
    int up;             /* scrape_up */
    size_t samples;     /* handed to the callback */
    scrape_rule_t rule; /* the first rule broken; SCRAPE_RULE_NONE */
    char message[480];  /* why nothing was stored, for vigil-agent --once */
} scrape_verdict_t;

/* What the input drops on its own, counted beside the parser's drops. */
typedef enum {
    SCRAPE_DROP_LABELS = 0, /* over the wire's labels per series */
    SCRAPE_DROP_HISTOGRAMS, /* no sketch: over max_histograms or 256 buckets */
} scrape_drop_t;

typedef struct scrape_expo_t scrape_expo_t;

/* instance names the input in messages and labels; both are copied. */
scrape_expo_t *scrape_expo_new (const char *instance, const scrape_expo_settings_t *settings);
void scrape_expo_destroy (scrape_expo_t **self_p);

/* Reads body[0..len) as fetched: content_type may be NULL; is_file says the
 * body came from a file:// URL; truncated that max_body cut it. Samples go
 * to fn as scrape_parse_run hands them over. Returns 1 when samples were
 * stored, 0 when the exposition was refused (verdict->message says why). */
int scrape_expo_read (scrape_expo_t *self, const char *body, size_t len, const char *content_type,
                      int is_file, int truncated, int64_t now_ms, scrape_sample_fn fn, void *arg,
                      scrape_verdict_t *verdict);

/* The time to store sample s at, during scrape_expo_read: its own timestamp
 * when it has one the store can hold, else the scrape's (counted, and a
 * warning says so). */
int64_t scrape_expo_time (scrape_expo_t *self, const scrape_sample_t *s);

void scrape_expo_drop (scrape_expo_t *self, scrape_drop_t reason);

/* The input's own metrics: scrape_up, _duration_seconds, _samples,
 * _body_bytes, and the counters of errors, refusals, drops and adjustments. */
void scrape_expo_emit (scrape_expo_t *self, agent_sink_t *sink, const scrape_verdict_t *verdict,
                       double seconds, size_t body_bytes);

/* A parse function for the on_invalid option (VG_OPT_CUSTOM, an int field). */
int scrape_expo_parse_on_invalid (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field,
                                  char *err, size_t errlen);

#endif
