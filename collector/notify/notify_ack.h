/*  notify_ack.h - signed ack links: /ack/ID?exp=UNIX&sig=HEX
 *
 *  sig is HMAC-SHA-256 (libsodium) over "vigil-ack:ID:EXP" with a key from
 *  the collector's configuration. A link is good until exp; a link for one
 *  alert cannot be turned into one for another, nor made to live longer.
 */
#ifndef NOTIFY_ACK_H
#define NOTIFY_ACK_H

#include "vg_buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    unsigned char key[32]; /* SHA-256 of the configured secret */
    int have_key;          /* 0: no links are made and none is accepted */
    int64_t ttl_ms;        /* how long a link is good */
    char *external_url;    /* where people reach the collector's HTTP server */
} notify_ack_signer_t;

/* secret may be NULL or empty (no links). external_url is copied. */
void notify_ack_signer_init (notify_ack_signer_t *self, const char *secret,
                             const char *external_url, int64_t ttl_ms);
void notify_ack_signer_free (notify_ack_signer_t *self);

/* Appends EXTERNAL_URL/ack/ID?exp=...&sig=... for a link made at now_ms;
 * nothing when there is no key. */
void notify_ack_link (const notify_ack_signer_t *self, int64_t alert_id, int64_t now_ms,
                      vg_buf_t *out);

/* 0 when sig (hex) signs alert_id and exp_s and exp_s is after now_ms;
 * VG_EINVAL with the reason ("the link has expired", "the signature does
 * not match") otherwise. */
int notify_ack_verify (const notify_ack_signer_t *self, int64_t alert_id, int64_t exp_s,
                       const char *sig, int64_t now_ms, char *err, size_t errlen);

#endif
