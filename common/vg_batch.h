/*  vg_batch.h - the in-memory batch: what an agent sends and a collector stores.
 *
 *  A batch holds a string table, series (metric name + sorted labels, by
 *  string index), gauge/counter samples by column, distributions and events.
 *  The agent builds one with the vg_batch_series/add_* calls, which intern
 *  strings and series; the codec turns it into protobuf and back. Fields are
 *  public for reading; change them only through the functions.
 */
#ifndef VG_BATCH_H
#define VG_BATCH_H

#include "vg_sketch.h"

#include <stdatomic.h>

#include <stddef.h>
#include <stdint.h>

typedef enum {
    VG_KIND_GAUGE = 0,
    VG_KIND_COUNTER = 1,
    VG_KIND_DISTRIBUTION = 2,
} vg_kind_t;

typedef struct {
    const char *key;
    const char *value;
} vg_label_t;

typedef struct {
    uint32_t name; /* string index */
    vg_kind_t kind;
    uint32_t nlabels;
    uint32_t *labels; /* 2 * nlabels string indexes: key, value, ...; keys ascending */
} vg_series_t;

typedef struct {
    uint32_t series;
    int64_t ts_ms;
    vg_sketch_t *sketch; /* owned by the batch */
} vg_dist_t;

typedef struct {
    int64_t ts_ms;
    uint32_t name;
    uint32_t nlabels;
    uint32_t *labels; /* like vg_series_t.labels */
    char *text;
} vg_event_t;

typedef struct vg_batch_index_t vg_batch_index_t; /* the builder's intern tables */

/* A string table and series list that batches share: a sender names the same
 * series batch after batch, and what decoded them once serves every batch
 * that names them so (vg_codec_decode_batch_named). Read-only once made;
 * counted references, taken and dropped from any thread. */
typedef struct {
    _Atomic unsigned refs;
    uint64_t serial; /* unique in the process: equal serials, equal names */
    char **strings;
    uint32_t nstrings;
    vg_series_t *series;
    uint32_t nseries;
    uint8_t *key; /* what they were read from, for the decoder to compare */
    size_t key_len;
    size_t bytes; /* all of it: one block, strings, series and key in it */
} vg_batch_names_t;

typedef struct {
    char *agent_id;
    char *hostname;
    uint64_t incarnation; /* with seq, the batch's identity (see proto/vigil.proto) */
    uint64_t seq;
    int64_t sent_ms;
    uint32_t interval_ms; /* how often the agent sends; 0 if unknown */

    char **strings;
    uint32_t nstrings;
    size_t strings_cap;

    vg_series_t *series;
    uint32_t nseries;
    size_t series_cap;

    /* gauge and counter samples, by column */
    uint32_t *sample_series;
    int64_t *sample_ts_ms;
    double *sample_value;
    size_t nsamples;
    size_t samples_cap;

    vg_dist_t *dists;
    size_t ndists;
    size_t dists_cap;

    vg_event_t *events;
    size_t nevents;
    size_t events_cap;

    vg_batch_index_t *index;
    /* When set, strings and series are these names' (a reference held), not
     * the batch's own; a call that adds to them copies them first. */
    vg_batch_names_t *names;
} vg_batch_t;

/* Both strings are copied. */
vg_batch_t *vg_batch_new (const char *agent_id, const char *hostname);
void vg_batch_destroy (vg_batch_t **self_p);
/* Drops strings, series, samples, distributions and events; keeps identity. */
void vg_batch_clear (vg_batch_t *self);

/* The index of s in the string table, adding it if new. */
uint32_t vg_batch_intern (vg_batch_t *self, const char *s);
/* The index of the series (name, kind, labels), adding it if new. Labels may
 * come in any order; they are sorted by key. A kind differing from an existing
 * series of the same name and labels makes a separate series. */
uint32_t vg_batch_series (vg_batch_t *self, const char *name, vg_kind_t kind,
                          const vg_label_t *labels, size_t nlabels);
/* Drops a value that is not finite: a computed value (a rate, a ratio) that
 * came out NaN or infinite is a mistake, not data. */
void vg_batch_add_sample (vg_batch_t *self, uint32_t series, int64_t ts_ms, double value);
/* Keeps any value, NaN and infinities included: for sources that report them
 * (an exposition's NaN, +Inf, -Inf), stored as such. */
void vg_batch_add_value (vg_batch_t *self, uint32_t series, int64_t ts_ms, double value);
/* Copies the sketch. */
void vg_batch_add_dist (vg_batch_t *self, uint32_t series, int64_t ts_ms,
                        const vg_sketch_t *sketch);
/* Takes ownership of *sketch_p and nulls it. */
void vg_batch_take_dist (vg_batch_t *self, uint32_t series, int64_t ts_ms, vg_sketch_t **sketch_p);
void vg_batch_add_event (vg_batch_t *self, int64_t ts_ms, const char *name,
                         const vg_label_t *labels, size_t nlabels, const char *text);

/* Low-level appends for the decoder: no interning, indexes are trusted. */
void vg_batch_push_string (vg_batch_t *self, const char *s, size_t len);
void vg_batch_push_series (vg_batch_t *self, uint32_t name, vg_kind_t kind, const uint32_t *labels,
                           uint32_t nlabels);

/* Makes the batch's strings and series shareable: copied into new names,
 * with key (key_len bytes), which the batch then uses in place of its own
 * (a reference held). For a batch whose strings and series were only pushed
 * (a decoded one): what else its arena held goes. */
vg_batch_names_t *vg_batch_share_names (vg_batch_t *self, const void *key, size_t key_len);
/* Makes self use names' strings and series (a reference taken); it must
 * have none of its own yet. */
void vg_batch_use_names (vg_batch_t *self, vg_batch_names_t *names);
/* Another reference to names (NULL gives NULL). */
vg_batch_names_t *vg_batch_names_ref (vg_batch_names_t *names);
/* Drops a reference; the last one frees them. Accepts NULL; nulls *names_p. */
void vg_batch_names_unref (vg_batch_names_t **names_p);

/* Samples plus distributions. */
size_t vg_batch_count (const vg_batch_t *self);

#endif
