/*  notify_transfer.h - one delivery attempt as a libcurl easy handle: an
 *  HTTP POST (webhook, Slack, Alertmanager) or an SMTP submission (e-mail),
 *  and what its answer means. Internal to collector/notify. */
#ifndef NOTIFY_TRANSFER_H
#define NOTIFY_TRANSFER_H

#include "notify_config.h"
#include "notify_outbox.h"
#include "vg_buf.h"

#include <curl/curl.h>
#include <stdint.h>

typedef struct {
    notify_outbox_item_t item;
    const notify_integration_t *it;
    CURL *easy;
    struct curl_slist *headers, *rcpt;
    vg_buf_t response;      /* the first bytes of the answer */
    int64_t retry_after_ms; /* -1 when absent */
    size_t read_pos;        /* SMTP upload position */
    int64_t started_ms;
    char errbuf[CURL_ERROR_SIZE];
} notify_transfer_t;

/* Makes the easy handle for item going to it, at now_ms. Takes the item. */
notify_transfer_t *notify_transfer_new (notify_outbox_item_t *item, const notify_integration_t *it,
                                        int64_t now_ms);
void notify_transfer_destroy (notify_transfer_t **self_p);

/* What the finished transfer (curl result code) means. */
void notify_transfer_outcome (notify_transfer_t *self, CURLcode code, int64_t now_ms,
                              notify_attempt_t *out);

/* Milliseconds from now_ms until a Retry-After value (seconds or an HTTP
 * date); -1 when it is neither. */
int64_t notify_transfer_retry_after (const char *value, int64_t now_ms);

#endif
