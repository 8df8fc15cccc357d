/*  coll_auth.h - who may send to the collector: CURVE with an allow-list.
 *
 *  transport: curve (the default) with curve_secret_key (the collector's
 *  zcert secret file) and curve_allow_dir (a directory of agents' public
 *  zcert files, as `vigil keygen` writes them): the ROUTER is a CURVE server
 *  and czmq's zauth answers ZAP for it from the directory, so a key not in it
 *  is refused during the handshake, before any frame. Each public file's
 *  metadata "hosts" lists the host names its key may write for ("*": any;
 *  absent: the file's "name", else the file name). The directory is read
 *  again when it changes (checked every second) and on coll_auth_reload.
 *
 *  Without keys, or with transport: plain, the ROUTER takes anyone: allowed
 *  only on a loopback endpoint unless transport: plain says so, and warned
 *  about at every start.
 *
 *  The server thread owns this; zauth runs in a thread of its own and tells
 *  of every key it refuses through czmq's log, which coll_auth reads to log
 *  each unknown key once, with its fingerprint, and count them.
 */
#ifndef COLL_AUTH_H
#define COLL_AUTH_H

#include "coll_config.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    COLL_AUTH_PLAIN = 0,
    COLL_AUTH_CURVE = 1,
} coll_auth_mode_t;

/* What the configuration asks for: COLL_AUTH_CURVE or COLL_AUTH_PLAIN, or
 * VG_EINVAL with err saying what to set (keys half given; transport neither
 * curve nor plain; no keys for an endpoint other hosts can reach). */
int coll_auth_mode (const coll_config_t *config, char *err, size_t errlen);

typedef struct {
    uint64_t keys;         /* keys in the allow-list now */
    uint64_t unknown_keys; /* distinct keys refused at the handshake */
    uint64_t handshakes_refused;
    uint64_t hosts_refused; /* batches for a host the key may not write */
    uint64_t reloads;       /* times the allow-list was read again */
} coll_auth_stats_t;

typedef struct coll_auth_t coll_auth_t;

/* Starts zauth, reads the collector's key and the allow-list. The ROUTER
 * must be made in zsys_init ()'s context, where zauth answers ZAP. NULL with
 * err on failure (a key file unreadable, no such directory). */
coll_auth_t *coll_auth_new (const coll_config_t *config, char *err, size_t errlen);
void coll_auth_destroy (coll_auth_t **self_p);

/* Makes router a CURVE server with the collector's key; before bind. */
int coll_auth_apply (coll_auth_t *self, void *router, char *err, size_t errlen);

/* zauth's log lines, for polling (ZMQ_POLLIN); coll_auth_on_log reads them. */
void *coll_auth_log_socket (coll_auth_t *self);
void coll_auth_on_log (coll_auth_t *self);

/* Whether a message from the key user_id (the ZAP User-Id, Z85) may carry a
 * batch for hostname. 0 if so; VG_ENOTFOUND with why when the key is not in
 * the allow-list (any more: the connection should be closed), VG_EINVAL
 * when it may not write for that host. */
int coll_auth_check (coll_auth_t *self, const char *user_id, const char *hostname, char *why,
                     size_t whylen);

/* Reads the allow-list again if it changed since (force: in any case); logs
 * the keys added, removed and changed. Returns 1 if it changed, 0 if not,
 * VG_EIO (logged) if the directory cannot be read: the old list stays. */
int coll_auth_refresh (coll_auth_t *self, int force);

/* The collector's public key (Z85), for log lines and agents. */
const char *coll_auth_public_key (const coll_auth_t *self);

coll_auth_stats_t coll_auth_stats (const coll_auth_t *self);

/* Reads the allow-list directory dir: calls fn for every public key file
 * with its key (Z85) and the hosts it may write for; files that are not
 * key files are skipped with a warning. Returns how many keys, or VG_EIO
 * with err when dir cannot be read. */
typedef void (coll_auth_key_fn) (const char *key, const char *hosts, void *arg);
int coll_auth_read_dir (const char *dir, coll_auth_key_fn *fn, void *arg, char *err, size_t errlen);

/* 1 if host is one of hosts ("web-1,web-2", or "*" for any). */
int coll_auth_host_listed (const char *hosts, const char *host);

/* "a1b2c3d4e5f60718": the first 8 bytes of a Z85 key, in hex. */
void coll_auth_fingerprint (const char *z85, char *out, size_t outlen);

#endif
