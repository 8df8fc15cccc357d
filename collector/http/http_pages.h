/*  http_pages.h - the report stage on the collector's HTTP server:
 *
 *      GET  /[?where=SELECTOR]       the status page (report_status_render): hosts,
 *                                    open alerts, the last 24 hours' charts. Read-only:
 *                                    open when the server listens on loopback, the
 *                                    bearer token required when it listens elsewhere
 *      POST /api/v1/events/deploy    records a deploy (report_event_add_deploy)   token
 *                                    {"service": "chat-api", "version": "1.4.2",
 *                                     "at": "2025-06-15T10:30:00+09:00",
 *                                     "note": "faster personas", "labels": {"env": "prod"}}
 *
 *  "at" is optional (default: now): a time PostgreSQL reads (without a zone,
 *  UTC), "now", "-2h", or a number of seconds since the epoch. Answers 201
 *  with {"deployID", "service", "version", "at"}; 400 with the reason for a
 *  body that is not such an object. Both go through one PostgreSQL
 *  connection of their own, on the server's thread, made again when lost.
 */
#ifndef HTTP_PAGES_H
#define HTTP_PAGES_H

#include "http_server.h"
#include "report_def.h"

typedef struct http_pages_t http_pages_t;

/* def (the report definition the page's charts read) must outlive the pages. */
http_pages_t *http_pages_new (const char *db_url, const report_def_t *def);
void http_pages_destroy (http_pages_t **self_p);

/* Registers the routes above with server, started with opts: its listen
 * address decides whether the status page needs the token. */
void http_pages_register (http_pages_t *self, http_server_t *server,
                          const http_server_options_t *opts);

/* 1 when listen ("127.0.0.1:9467", "[::1]:9467", "localhost:9467") is a
 * loopback address, which only this machine reaches. */
int http_pages_loopback (const char *listen);

#endif
