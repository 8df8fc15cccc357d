/*  notify_silence.h - silences stored in PostgreSQL (vigil.silences): an
 *  alert whose labels match a silence's matchers is not notified while the
 *  silence is active (starts_at <= now < ends_at). Expiring sets ends_at. */
#ifndef NOTIFY_SILENCE_H
#define NOTIFY_SILENCE_H

#include "notify_matcher.h"
#include "vg_batch.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char id[40]; /* uuid */
    notify_matchers_t matchers;
    int64_t ends_ms;
} notify_silence_t;

typedef struct {
    notify_silence_t *items;
    size_t n;
} notify_silences_t;

/* Loads the silences active at now_ms. A stored silence whose matchers no
 * longer parse is skipped and logged. */
int notify_silences_load (PGconn *conn, int64_t now_ms, notify_silences_t *out, char *err,
                          size_t errlen);
void notify_silences_free (notify_silences_t *self);
/* The first silence that mutes labels, or NULL. */
const notify_silence_t *notify_silences_match (const notify_silences_t *self,
                                               const vg_label_t *labels, size_t n);

/* Stores a silence of matchers (checked first) from starts_ms to ends_ms and
 * wakes the collector; its id goes to id_out. */
int notify_silence_add (PGconn *conn, const char *matchers, int64_t starts_ms, int64_t ends_ms,
                        const char *by, const char *comment, char *id_out, size_t idlen, char *err,
                        size_t errlen);
/* Ends the silence whose id is id or starts with it (8 characters at least)
 * at now_ms. VG_ENOTFOUND when none or several match, or it has already
 * ended. */
int notify_silence_expire (PGconn *conn, const char *id, int64_t now_ms, char *id_out, size_t idlen,
                           char *err, size_t errlen);

#endif
