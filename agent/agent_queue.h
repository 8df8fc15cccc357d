/*  agent_queue.h - the batches the collector has not acknowledged yet, by
 *  sequence number: in the spool (agent_spool.h), or in memory when the
 *  spool cannot take them (a full disk, a broken state directory).
 *
 *  A batch is written to the spool when it is added; its bytes stay in
 *  memory only until its first transmission, and are read back from the
 *  spool for any later one. What is kept only in memory is bounded in bytes
 *  (max_memory); the spool by its own bounds; and, if set, the whole queue by
 *  a count (max_batches). Past a bound the oldest go first: counted by
 *  reason, and logged with the sequence numbers that went.
 *
 *  Entries carry the sender's transmission state; the queue itself does no
 *  network I/O.
 */
#ifndef AGENT_QUEUE_H
#define AGENT_QUEUE_H

#include "agent_spool.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    agent_spool_loc_t loc; /* loc.seg 0: in memory only */
    uint8_t *data;         /* the encoded batch while in memory; NULL once only spooled */
    int64_t sent_mono;     /* last transmission; -1 when none is outstanding */
    int64_t due_mono;      /* in flight: when to give up waiting; else: not before */
    uint32_t sends;        /* transmissions so far */
    uint8_t live;          /* 0: removed (a tombstone) */
    uint8_t in_window;     /* the sender is dealing with it */
} agent_queue_entry_t;

typedef enum {
    AGENT_QUEUE_DROP_SPOOL_BYTES = 0,
    AGENT_QUEUE_DROP_SPOOL_AGE,
    AGENT_QUEUE_DROP_MEMORY,
    AGENT_QUEUE_DROP_COUNT,
    AGENT_QUEUE_DROP_CORRUPT, /* a spooled record that no longer checks out */
    AGENT_QUEUE_DROP_REASONS
} agent_queue_drop_t;

typedef struct {
    size_t batches;        /* in the queue */
    size_t memory_batches; /* of which held only in memory */
    uint64_t memory_bytes;
    int64_t oldest_ms; /* made_ms of the oldest batch; 0 when empty */
    uint64_t dropped[AGENT_QUEUE_DROP_REASONS];
    uint64_t spool_failures; /* batches the spool could not take */
} agent_queue_stats_t;

typedef struct agent_queue_t agent_queue_t;

/* spool may be NULL (batches are then kept in memory only); it is not owned.
 * max_batches 0: no count bound. */
agent_queue_t *agent_queue_new (agent_spool_t *spool, uint64_t max_memory, size_t max_batches);
void agent_queue_destroy (agent_queue_t **self_p);
void agent_queue_configure (agent_queue_t *self, uint64_t max_memory, size_t max_batches);

/* Takes ownership of *data_p (malloc'd) and nulls it. Writes the batch to the
 * spool with the inputs' positions as of it (ckpts; on failure, logged at a
 * limited rate and kept in memory), then
 * applies the bounds. Returns the entry, valid until the next add, remove or
 * bound. seq must be higher than any added before. */
agent_queue_entry_t *agent_queue_add (agent_queue_t *self, uint64_t seq, int64_t made_ms,
                                      uint8_t **data_p, size_t len, const agent_spool_ckpt_t *ckpts,
                                      size_t nckpts, int64_t now_mono_ms);
/* A batch found in the spool at start. */
void agent_queue_add_spooled (agent_queue_t *self, const agent_spool_loc_t *loc);

agent_queue_entry_t *agent_queue_find (agent_queue_t *self, uint64_t seq);
/* The first live entry with a seq >= seq, or NULL. */
agent_queue_entry_t *agent_queue_from (agent_queue_t *self, uint64_t seq);
/* In seq order: for (e = agent_queue_next (q, NULL); e; e = agent_queue_next (q, e)). */
agent_queue_entry_t *agent_queue_next (agent_queue_t *self, agent_queue_entry_t *e);

/* The encoded batch, in *data (caller frees). VG_EPROTO when its spool
 * record is damaged: the entry is then dropped and counted; VG_EIO when it
 * cannot be read now. */
int agent_queue_payload (agent_queue_t *self, agent_queue_entry_t *e, uint8_t **data, size_t *len);
/* Frees the memory copy of a spooled batch (after its first transmission). */
void agent_queue_release_copy (agent_queue_t *self, agent_queue_entry_t *e);
/* Done with: acknowledged or kept aside. Also recorded in the spool. */
void agent_queue_remove (agent_queue_t *self, agent_queue_entry_t *e, int64_t now_ms);

/* Drops what is past a bound (the spool's, by age too). Call now and then. */
void agent_queue_enforce (agent_queue_t *self, int64_t now_ms);
/* On shutdown: writes what is only in memory to the spool, if it takes it.
 * Returns how many are still only in memory. */
size_t agent_queue_spool_memory (agent_queue_t *self, int64_t now_mono_ms);

/* Called with each entry the queue drops (bound, damage), before it goes. */
typedef void (agent_queue_drop_fn) (void *arg, agent_queue_entry_t *e);
void agent_queue_on_drop (agent_queue_t *self, agent_queue_drop_fn *fn, void *arg);

size_t agent_queue_len (const agent_queue_t *self);
void agent_queue_stats (const agent_queue_t *self, agent_queue_stats_t *out);

#endif
