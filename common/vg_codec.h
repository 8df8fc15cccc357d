/*  vg_codec.h - protobuf encoding and validated decoding of batches and acks.
 *  The only module that includes the generated vigil.pb-c.h.
 */
#ifndef VG_CODEC_H
#define VG_CODEC_H

#include "vg_batch.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    VG_ACK_STORED = 0,
    VG_ACK_DUPLICATE = 1,
    VG_ACK_REJECTED = 2,
    VG_ACK_RETRY = 3,
} vg_ack_status_t;

typedef struct {
    size_t max_samples; /* gauge/counter samples + distributions */
    size_t max_strings;
    size_t max_strlen;
    size_t max_labels;      /* per series or event */
    size_t max_buckets;     /* per distribution store */
    size_t max_label_bytes; /* label keys and values, as series and events name them */
    size_t max_event_bytes; /* events' names, labels and texts */
} vg_codec_limits_t;

/* The VG_WIRE_* defaults. */
vg_codec_limits_t vg_codec_default_limits (void);

/* Serializes a batch, ending with its checksum trailer. Caller owns *out
 * (free with free ()). */
int vg_codec_encode_batch (const vg_batch_t *batch, uint8_t **out, size_t *len);

/* Appends the checksum trailer (VG_WIRE_CRC_TRAILER bytes) to a serialized
 * Batch that has none; *data is reallocated. For hand-made batches (tests). */
void vg_codec_seal_batch (uint8_t **data, size_t *len);

/* Unpacks and validates: the checksum trailer present and matching (else
 * "truncated or corrupted"), agent id present and printable, seq and counts
 * within int64, timestamps within PostgreSQL's range, no NUL in any text,
 * every string index in range, label lists even and within limits, sample columns of equal length
 * and pointing at gauge/counter series, distributions at distribution series with consistent
 * buckets and finite numbers, all within limits (the decoded label and event bytes included). On
 * failure returns VG_EPROTO (or VG_ETOOBIG) and fills err with the reason; *out is NULL. On success
 * caller owns *out. */
int vg_codec_decode_batch (const uint8_t *data, size_t len, const vg_codec_limits_t *limits,
                           vg_batch_t **out, char *err, size_t errlen);

/* vg_codec_decode_batch for a sender that names the same series batch after
 * batch. Where the batch's strings and series are, byte for byte, those
 * known (may be NULL) was decoded from, under the same limits, they are not
 * read again: the batch shares known's (its names). Otherwise they are
 * decoded, and when they are one run of fields in a batch without events
 * they are made shareable: (*out)->names, for the sender's next batch. */
int vg_codec_decode_batch_named (const uint8_t *data, size_t len, const vg_codec_limits_t *limits,
                                 vg_batch_names_t *known, vg_batch_t **out, char *err,
                                 size_t errlen);

/* Reads only the top-level seq (field 3) and agent_id (field 1) of a Batch,
 * to answer a batch that failed vg_codec_decode_batch: a bounds-checked
 * varint walk over every top-level field, with no allocation and nothing
 * decoded below the top level. Returns 0 when the whole top level is
 * well-formed and holds a seq; VG_EPROTO otherwise (truncated, garbage, or
 * no seq), with *seq 0. agent_id (may be NULL when agent_id_len is 0)
 * receives the agent id, NUL-terminated, "" when absent, made safe to quote
 * in a log line: bytes outside printable ASCII, '"' and '\\' become '?', and
 * an id cut to fit ends in "...". Where a field repeats, the last one counts
 * (for agent_id, the last non-empty one). */
int vg_codec_peek_batch (const uint8_t *data, size_t len, uint64_t *seq, char *agent_id,
                         size_t agent_id_len);

/* Caller owns *out (free ()). reason may be NULL. */
int vg_codec_encode_ack (uint64_t seq, vg_ack_status_t status, const char *reason, uint8_t **out,
                         size_t *len);
/* reason (may be NULL) receives the ack's reason text. */
int vg_codec_decode_ack (const uint8_t *data, size_t len, uint64_t *seq, vg_ack_status_t *status,
                         char *reason, size_t reasonlen);

#endif
