/*  agent_curve.h - the agent's side of CURVE: its key pair and the
 *  collector's public key, read from czmq zcert files (as `vigil keygen`
 *  writes them) without linking czmq, and applied to the DEALER before it
 *  connects.
 *
 *      agent:
 *        transport: curve                          # the default
 *        curve_secret_key: /etc/vigil/keys/web-1_secret
 *        curve_server_key: /etc/vigil/keys/collector
 *
 *  With transport: curve and no keys, a loopback collector endpoint is used
 *  in plain mode with a warning at every start; any other endpoint needs the
 *  keys, or transport: plain (also warned about at every start).
 */
#ifndef AGENT_CURVE_H
#define AGENT_CURVE_H

#include <stddef.h>

/* Reads field ("public-key" or "secret-key") from a zcert file into out
 * (Z85, 40 characters and a NUL). 0, or VG_EINVAL / VG_EIO with err. */
int agent_curve_read_key (const char *path, const char *field, char out[41], char *err,
                          size_t errlen);

/* Checks the settings against the collector endpoints (one, or several to
 * fail over along) and reads the keys; what it decides is applied to every
 * DEALER made after (agent_curve_apply). Without keys every endpoint must be
 * on this host, unless transport is plain. A relative path is taken from
 * base_dir (the configuration file's directory; NULL: as it is). Returns 0,
 * or VG_EINVAL with err naming the key to set. */
int agent_curve_configure (const char *transport, const char *secret_key, const char *server_key,
                           const char *const *collectors, size_t ncollectors, const char *base_dir,
                           char *err, size_t errlen);

/* Sets the CURVE options on dealer (nothing in plain mode, with a warning).
 * Call before zmq_connect. 0, or VG_EIO with err. */
int agent_curve_apply (void *dealer, char *err, size_t errlen);

/* agent_curve_apply as the sender's socket hook (agent_sender_socket_fn),
 * before every connect, on failover too; arg is unused. */
int agent_curve_socket_hook (void *arg, void *socket, const char *endpoint, char *err,
                             size_t errlen);

/* 1 if the last configuration uses CURVE. */
int agent_curve_enabled (void);

#endif
