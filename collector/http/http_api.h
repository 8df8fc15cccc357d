/*  http_api.h - the notify stage's JSON API and signed ack links, served by
 *  http_server:
 *
 *      GET    /api/v1/alerts[?state=firing|resolved]   alerts notify knows, with acks
 *      GET    /api/v1/alerts/ID
 *      GET    /api/v1/silences[?all=1]
 *      POST   /api/v1/silences        {"matchers": "service=\"api\"", "duration": "2h",
 *                                      "createdBy": "ann", "comment": "deploy"}   token
 *      DELETE /api/v1/silences/ID                                                 token
 *      POST   /api/v1/ack/ID          {"comment": "...", "expires": "2h", "by": "ann"} token
 *      GET    /ack/ID?exp=...&sig=...  a page that asks to confirm (changes nothing)
 *      POST   /ack/ID?exp=...&sig=...  acknowledges: the signature is the credential
 *
 *  It also writes the notify stage's figures for /metrics (outbox depth by
 *  receiver, notifications by status, alerts and escalations by state).
 *  Everything goes through one PostgreSQL connection of its own, on the
 *  server's thread, reconnected when lost.
 */
#ifndef HTTP_API_H
#define HTTP_API_H

#include "http_server.h"
#include "notify_ack.h"
#include "notify_sender.h"

typedef struct http_api_t http_api_t;

/* signer may be NULL (no ack links); sender may be NULL (no sender figures).
 * Both must outlive the API. */
http_api_t *http_api_new (const char *db_url, const notify_ack_signer_t *signer,
                          notify_sender_t *sender);
void http_api_destroy (http_api_t **self_p);

/* Registers the routes above and the figures with server. */
void http_api_register (http_api_t *self, http_server_t *server);

#endif
