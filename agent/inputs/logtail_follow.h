/*  logtail_follow.h - following log files: globs, rotation, positions.
 *
 *  A file is known by (device, inode), not by name. Every poll re-expands the
 *  glob patterns; a file that no pattern matches any more (renamed away by
 *  rotation, or deleted) is read to its end from the descriptor kept open,
 *  and closed once a poll finds nothing new in it, so the lines an
 *  application writes just after the rename are not lost. A new file at a
 *  path is read from its start. A file shorter than the position reached, or
 *  whose first bytes changed, was truncated in place (copytruncate) and is
 *  read again from 0.
 *
 *  Where a file starts when first seen: its remembered position if the state
 *  file has it (and its first bytes are unchanged); else, in the first poll,
 *  at its end - unless from_beginning, or unless the state file shows the
 *  same pattern was followed before (the file appeared while the agent was
 *  down); any file that appears later is read from its start.
 *
 *  Positions are saved in the state file (written to a temporary file and
 *  renamed over it) and always sit at a line boundary: a line is handed out
 *  once, complete. The agent saves a position only once the batch carrying
 *  the lines before it is safe: logtail_follow_checkpoint notes the
 *  positions as a batch is sealed, logtail_follow_commit writes the latest
 *  noted for a batch known safe. A crash then reads again only lines whose
 *  batch was not safe yet, so each line reaches the collector once. A per-poll read budget bounds
 * the work of one poll; what is left is read at the next.
 */
#ifndef LOGTAIL_FOLLOW_H
#define LOGTAIL_FOLLOW_H

#include "vg_buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;            /* for log lines ("logtail[api]") */
    const char *const *patterns; /* absolute globs (*, ?, [..], {a,b}) */
    size_t npatterns;
    int from_beginning;
    size_t max_line;        /* longer lines are cut to this many bytes */
    size_t read_budget;     /* bytes read per poll, at least max_line + 1 */
    size_t max_files;       /* files followed at once */
    const char *state_path; /* NULL: positions are not kept */
} logtail_follow_opts_t;

typedef struct {
    uint64_t files;           /* followed now */
    uint64_t lines;           /* handed out */
    uint64_t bytes;           /* consumed (lines and their newlines) */
    uint64_t truncated_lines; /* cut at max_line */
    uint64_t rotations;       /* files that went away from their path and were finished */
    uint64_t truncations;     /* copytruncate seen */
    uint64_t backlog;         /* bytes written but not read yet, after the last poll */
    uint64_t dropped_files;   /* matches left out because of max_files (per poll) */
    uint64_t open_errors;     /* matches that could not be opened */
    uint64_t read_errors;
    uint64_t budget_exhausted; /* polls that stopped at the read budget */
} logtail_follow_stats_t;

/* Called for each complete line, without its newline (nor a '\r' before
 * it). The line is not NUL-terminated and is valid only during the call. */
typedef void (logtail_follow_line_fn) (void *arg, const char *line, size_t len);

typedef struct logtail_follow_t logtail_follow_t;

/* Copies the options and loads the state file if there is one (a damaged
 * one is logged and ignored). */
logtail_follow_t *logtail_follow_new (const logtail_follow_opts_t *opts);
/* Closes every file. Does not save: call logtail_follow_save first. */
void logtail_follow_destroy (logtail_follow_t **self_p);

/* Expands the patterns and opens what they match, taking each file's
 * starting position, without reading: a first collect that only sets up. */
void logtail_follow_scan (logtail_follow_t *self);

/* Re-expands the patterns and reads what is new, up to the read budget,
 * calling fn for every line. Problems with single files are counted (and
 * logged at a limited rate), not returned. */
void logtail_follow_poll (logtail_follow_t *self, logtail_follow_line_fn *fn, void *arg);

/* Writes the state file if positions changed. Returns 0, or VG_EIO with the
 * reason in err. */
int logtail_follow_save (logtail_follow_t *self, char *err, size_t errlen);

/* Notes the positions held now as those of batch seq (the newest 64 are
 * kept), with extra lines of the input's own (its counters' totals; may be
 * NULL), and returns their text (valid until the next call), which the agent
 * writes into its spool with the batch; NULL without a state file. Lines
 * starting "counter " are the input's: this file skips them when reading. */
const vg_buf_t *logtail_follow_checkpoint (logtail_follow_t *self, uint64_t seq,
                                           const vg_buf_t *extra);
/* Before the first scan: positions of batch seq as the spool kept them
 * (text from logtail_follow_checkpoint). Taken instead of the state file's
 * when they are newer; returns 1 then. */
int logtail_follow_restore (logtail_follow_t *self, const char *text, size_t len, uint64_t seq);
/* Every batch up to seq is safe: writes the positions noted for the highest
 * seq <= it and forgets those up to it. 0, or VG_EIO with the reason (the
 * positions stay noted, for the next commit). */
int logtail_follow_commit (logtail_follow_t *self, uint64_t seq, char *err, size_t errlen);
/* Writes the newest positions noted, whatever their batch (an input being
 * stopped: its last batch is as safe as it will get). */
int logtail_follow_commit_all (logtail_follow_t *self, char *err, size_t errlen);

void logtail_follow_stats (const logtail_follow_t *self, logtail_follow_stats_t *st);

#endif
