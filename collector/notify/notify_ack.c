/*  notify_ack.c - HMAC-signed ack links through libsodium. */
#include "notify_ack.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
notify_ack_signer_init (notify_ack_signer_t *self, const char *secret, const char *external_url,
                        int64_t ttl_ms)
{
    memset (self, 0, sizeof *self);
    if (sodium_init () < 0)
        abort (); /* no usable randomness source: nothing here can work */
    if (secret && *secret) {
        crypto_hash_sha256 (self->key, (const unsigned char *)secret, strlen (secret));
        self->have_key = 1;
    }
    self->ttl_ms = ttl_ms;
    char *url = vg_strdup (external_url ? external_url : "");
    size_t n = strlen (url);
    while (n > 0 && url[n - 1] == '/')
        url[--n] = '\0';
    self->external_url = url;
}

void
notify_ack_signer_free (notify_ack_signer_t *self)
{
    sodium_memzero (self->key, sizeof self->key);
    free (self->external_url);
    self->external_url = NULL;
    self->have_key = 0;
}

static void
s_mac (const notify_ack_signer_t *self, int64_t alert_id, int64_t exp_s,
       unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    char msg[96];
    int n = snprintf (msg, sizeof msg, "vigil-ack:%" PRId64 ":%" PRId64, alert_id, exp_s);
    crypto_auth_hmacsha256 (mac, (const unsigned char *)msg, (unsigned long long)n, self->key);
}

void
notify_ack_link (const notify_ack_signer_t *self, int64_t alert_id, int64_t now_ms, vg_buf_t *out)
{
    if (!self->have_key)
        return;
    int64_t exp_s = (now_ms + self->ttl_ms) / 1000;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    s_mac (self, alert_id, exp_s, mac);
    char hex[2 * sizeof mac + 1];
    sodium_bin2hex (hex, sizeof hex, mac, sizeof mac);
    vg_buf_printf (out, "%s/ack/%" PRId64 "?exp=%" PRId64 "&sig=%s", self->external_url, alert_id,
                   exp_s, hex);
}

int
notify_ack_verify (const notify_ack_signer_t *self, int64_t alert_id, int64_t exp_s,
                   const char *sig, int64_t now_ms, char *err, size_t errlen)
{
    if (!self->have_key) {
        snprintf (err, errlen, "ack links are off: the collector has no ack_key");
        return VG_EINVAL;
    }
    unsigned char got[crypto_auth_hmacsha256_BYTES];
    size_t len = 0;
    if (!sig || strlen (sig) != 2 * sizeof got ||
        sodium_hex2bin (got, sizeof got, sig, strlen (sig), NULL, &len, NULL) != 0 ||
        len != sizeof got) {
        snprintf (err, errlen, "the link's signature is malformed");
        return VG_EINVAL;
    }
    unsigned char want[crypto_auth_hmacsha256_BYTES];
    s_mac (self, alert_id, exp_s, want);
    if (sodium_memcmp (got, want, sizeof got) != 0) {
        snprintf (err, errlen,
                  "the link's signature does not match: it was not made by this "
                  "collector, or it was changed");
        return VG_EINVAL;
    }
    if (exp_s * 1000 <= now_ms) {
        snprintf (err, errlen, "the link has expired; acknowledge with vigil ack %" PRId64,
                  alert_id);
        return VG_EINVAL;
    }
    return VG_OK;
}
