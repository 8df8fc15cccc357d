/*  agent_spool.h - batches not yet acknowledged, kept on disk.
 *
 *  STATE_DIR/spool/ holds segment files (0000000000000001.seg, ...), each
 *  written from start to end and never changed after (agent_spool_reader.h
 *  has the format): a record per batch as it is sealed, and a small record
 *  per acknowledgement. A segment whose batches are all acknowledged is
 *  deleted. Every start writes a new segment; what the old ones hold is read
 *  back first, and the batches found without an acknowledgement are handed to
 *  the sender to send again, in order, under their own sequence numbers.
 *
 *  Durability (agent.spool_fsync): a record is in the page cache once written,
 *  so a killed agent loses nothing; what a power failure can lose depends on
 *  when the segment is synced:
 *      always      fdatasync after every batch: nothing is lost;
 *      <duration>  at most that often, grouping what was written meanwhile
 *                  (default 1s): at most that much;
 *      never       when the kernel writes it back (commonly within 30 s).
 *  Acknowledgement records are never synced on their own: losing one only
 *  sends a batch again, which the collector answers DUPLICATE.
 *
 *  Bounds: the segments together hold at most max_bytes, and a segment whose
 *  newest batch is older than max_age goes. Past a bound the oldest segment is
 *  dropped whole; the caller learns which batches went (they are counted and
 *  logged with their sequence numbers). A segment is a sixteenth of
 *  max_bytes (64 KiB to 16 MiB), so a bound drops a little at a time.
 */
#ifndef AGENT_SPOOL_H
#define AGENT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_SPOOL_FSYNC_ALWAYS 0
#define AGENT_SPOOL_FSYNC_NEVER  (-1)

typedef struct {
    int64_t max_bytes;     /* <= 0: 256 MiB */
    int64_t max_age_ms;    /* <= 0: no age bound */
    int64_t fsync_ms;      /* AGENT_SPOOL_FSYNC_ALWAYS, _NEVER, or an interval */
    int64_t segment_bytes; /* 0: max_bytes / 16, within 64 KiB .. 16 MiB */
} agent_spool_opts_t;

/* Where one batch is: its segment and the offset of its record. */
typedef struct {
    uint64_t seq;
    int64_t made_ms; /* wall clock, when sealed */
    uint32_t seg;    /* 0: not in the spool */
    uint32_t len;    /* of the encoded batch */
    uint64_t off;
} agent_spool_loc_t;

typedef struct {
    uint64_t bytes; /* of every segment file */
    uint64_t segments;
    uint64_t batches;      /* not acknowledged */
    uint64_t corrupt;      /* damaged records or segments skipped (since start) */
    uint64_t torn;         /* segments that ended in an incomplete record */
    uint64_t write_errors; /* appends that failed (a full disk...) */
    uint64_t sync_errors;
    uint64_t syncs;
} agent_spool_stats_t;

/* An input's position as of a batch, written with it (agent_input.h). */
typedef struct {
    const char *name; /* the input instance */
    const uint8_t *text;
    size_t len;
} agent_spool_ckpt_t;

typedef struct agent_spool_t agent_spool_t;

/* Opens (creating it) dir, reads every segment and starts a new one. On
 * failure returns NULL and fills err; nothing found is a success. */
agent_spool_t *agent_spool_open (const char *dir, const agent_spool_opts_t *opts, char *err,
                                 size_t errlen);
/* Syncs what is written, then closes. */
void agent_spool_close (agent_spool_t **self_p);
/* Changes the bounds and the fsync policy (a reload). */
void agent_spool_configure (agent_spool_t *self, const agent_spool_opts_t *opts);

/* The batches found without an acknowledgement at open, by ascending seq.
 * Valid until agent_spool_forget_recovered. */
size_t agent_spool_recovered (const agent_spool_t *self, const agent_spool_loc_t **locs);
void agent_spool_forget_recovered (agent_spool_t *self);

/* Appends a batch (seq must be higher than any appended before) and, in the
 * same write, the inputs' positions as of it (ckpts, n of them; may be 0),
 * and fills *loc. Syncs when the policy says so. On failure (VG_EIO, with
 * the reason) the segment is left as it was before the call and loc->seg is
 * 0. */
int agent_spool_append (agent_spool_t *self, uint64_t seq, int64_t made_ms, const uint8_t *data,
                        size_t len, const agent_spool_ckpt_t *ckpts, size_t n, int64_t now_mono_ms,
                        agent_spool_loc_t *loc, char *err, size_t errlen);
/* The newest position of input name found at open: 1 and its text and the
 * seq of its batch, or 0. Valid until agent_spool_forget_recovered. */
int agent_spool_checkpoint (const agent_spool_t *self, const char *name, const uint8_t **text,
                            size_t *len, uint64_t *seq);
/* Reads a batch back; caller owns *data. VG_EPROTO when the record no longer
 * checks out or its segment file is gone (counted as corrupt: it never will
 * be readable), VG_EIO when it cannot be read now. */
int agent_spool_read (agent_spool_t *self, const agent_spool_loc_t *loc, uint8_t **data,
                      size_t *len, char *err, size_t errlen);
/* The batch needs no more sending (acknowledged, kept aside, or dropped):
 * records it and deletes its segment once nothing there is left to send. */
void agent_spool_done (agent_spool_t *self, const agent_spool_loc_t *loc, int64_t now_ms);

/* Past a bound: AGENT_SPOOL_OVER_BYTES or _AGE and the id of the oldest
 * segment, whose batches the caller must take out of its queue before
 * agent_spool_drop; 0 when within bounds. */
#define AGENT_SPOOL_OVER_BYTES 1
#define AGENT_SPOOL_OVER_AGE   2
int agent_spool_over_bound (const agent_spool_t *self, int64_t now_ms, uint32_t *seg);
void agent_spool_drop (agent_spool_t *self, uint32_t seg);

/* Syncs the open segment if the policy wants it now (force: whenever
 * something is unsynced). Returns 0, or VG_EIO (counted, with the reason). */
int agent_spool_sync (agent_spool_t *self, int64_t now_mono_ms, int force, char *err,
                      size_t errlen);
/* Monotonic time of the next sync due, INT64_MAX when none is. */
int64_t agent_spool_next_sync (const agent_spool_t *self);
/* Every batch with a seq up to this one is on stable storage, as far as the
 * policy promises (0: none yet). */
uint64_t agent_spool_synced_seq (const agent_spool_t *self);

void agent_spool_stats (const agent_spool_t *self, agent_spool_stats_t *out);
const char *agent_spool_dir (const agent_spool_t *self);

#endif
