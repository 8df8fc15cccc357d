/*  agent_state.h - what the agent must remember across restarts: its id and
 *  the batch sequence number.
 *
 *  The collector stores a batch once per (agent id, seq), so a sequence
 *  number handed out twice would make it drop new data as a duplicate. The
 *  state reserves numbers in blocks: before the first number of a block is
 *  handed out, the block's end is written to STATE_DIR/seq (temp file, fsync,
 *  rename, fsync of the directory). A restart - clean or after a crash -
 *  continues after the stored reservation, so numbers only ever increase,
 *  at the cost of skipping the unused rest of a block.
 *
 *  If the directory is removed while the agent runs, the next reservation
 *  makes it again with the id, incarnation and sequence the process holds.
 */
#ifndef AGENT_STATE_H
#define AGENT_STATE_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_STATE_SEQ_BLOCK 1000

typedef struct agent_state_t agent_state_t;

/* Opens (creating it 0750 if missing) the state directory dir. configured_id,
 * if not NULL or empty, is the agent's id; otherwise the id kept in
 * dir/agent_id is used, generated the first time. On failure returns NULL and
 * fills err with what happened and what to do. */
agent_state_t *agent_state_new (const char *dir, const char *configured_id, char *err,
                                size_t errlen);
/* The same with another reservation block size (tests). */
agent_state_t *agent_state_new_block (const char *dir, const char *configured_id, uint64_t block,
                                      char *err, size_t errlen);
void agent_state_destroy (agent_state_t **self_p);

const char *agent_state_id (const agent_state_t *self);
const char *agent_state_dir (const agent_state_t *self);

/* The next sequence number (the first is 1). Fails with VG_EIO and a reason
 * when a new block cannot be reserved on disk; no number is handed out then. */
int agent_state_next_seq (agent_state_t *self, uint64_t *seq, char *err, size_t errlen);
/* The last number handed out by this object, 0 if none. */
uint64_t agent_state_last_seq (const agent_state_t *self);

/* Drawn at random when the directory got its state (dir/incarnation) and
 * kept: with seq, a batch's identity. A wiped directory makes a new one, so
 * the collector never takes the new batches for the old ones. */
uint64_t agent_state_incarnation (const agent_state_t *self);
/* Makes sure the next number is above seq (batches found in the spool). */
void agent_state_skip_to (agent_state_t *self, uint64_t seq);

#endif
