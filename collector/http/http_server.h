/*  http_server.h - the collector's HTTP server, on libmicrohttpd.
 *
 *  It serves what the stages register: handlers under a path prefix (the
 *  longest registered prefix wins), figures for /metrics (each stage
 *  registers a function that writes its own, in Prometheus's text format),
 *  and checks for /health (200 "ok" while all pass; 503 with every failing
 *  check's reason otherwise). Handlers marked protected need the bearer
 *  token ("Authorization: Bearer TOKEN"); without a configured token they
 *  refuse every request. Requests are served one at a time on the server's
 *  own thread; bodies are limited to HTTP_SERVER_MAX_BODY bytes.
 *  TLS when a certificate and key are given. */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include "vg_buf.h"

#include <stddef.h>

#define HTTP_SERVER_MAX_BODY (64 * 1024)

typedef struct http_server_t http_server_t;

typedef struct {
    const char *method; /* GET, POST, DELETE... */
    const char *path;   /* without the query */
    const char *rest;   /* the path after the handler's prefix */
    const char *body;   /* NUL-terminated; "" when none */
    size_t body_len;
    void *conn; /* for http_request_query */
} http_request_t;

typedef struct {
    int status;               /* default 200 */
    const char *content_type; /* default application/json */
    vg_buf_t body;
} http_response_t;

/* The value of query parameter name, or NULL. */
const char *http_request_query (const http_request_t *req, const char *name);

/* Fills resp. */
typedef void (http_handler_fn) (const http_request_t *req, http_response_t *resp, void *arg);
/* Appends the stage's figures in Prometheus's text format. */
typedef void (http_metrics_fn) (vg_buf_t *out, void *arg);
/* 0 when healthy; otherwise fills reason and returns non-zero. */
typedef int (http_health_fn) (char *reason, size_t reasonlen, void *arg);

typedef struct {
    const char *listen;   /* "127.0.0.1:9467", "[::1]:9467"; port 0: any free one */
    const char *token;    /* bearer token for protected handlers; NULL: none */
    const char *tls_cert; /* PEM files; both or neither */
    const char *tls_key;
} http_server_options_t;

/* Makes a server (not yet listening). */
http_server_t *http_server_new (const http_server_options_t *opts);
void http_server_destroy (http_server_t **self_p);

/* Registers a handler for method (NULL: any) under prefix ("/api/v1/silences");
 * protected: the bearer token is required. Register before http_server_start. */
void http_server_route (http_server_t *self, const char *method, const char *prefix, int protected_,
                        http_handler_fn *fn, void *arg);
void http_server_metrics (http_server_t *self, http_metrics_fn *fn, void *arg);
void http_server_health (http_server_t *self, http_health_fn *fn, void *arg);

/* Starts listening. Returns 0, or VG_EINVAL/VG_EIO with the reason. */
int http_server_start (http_server_t *self, char *err, size_t errlen);
/* The port it listens on (after start). */
int http_server_port (const http_server_t *self);

/* Helpers for handlers: a JSON body {"error": message} with status. */
void http_response_error (http_response_t *resp, int status, const char *message);

#endif
