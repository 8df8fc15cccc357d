/*  http_server.c - libmicrohttpd underneath, routes, /metrics and /health. */
#include "http_server.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_json.h"
#include "vg_log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_ROUTES  32
#define MAX_METRICS 16
#define MAX_HEALTH  8

typedef struct {
    char *method, *prefix;
    int protected_;
    http_handler_fn *fn;
    void *arg;
} s_route_t;

struct http_server_t {
    struct MHD_Daemon *daemon;
    char *listen, *token, *cert, *key;
    s_route_t routes[MAX_ROUTES];
    size_t nroutes;
    struct {
        http_metrics_fn *fn;
        void *arg;
    } metrics[MAX_METRICS];
    size_t nmetrics;
    struct {
        http_health_fn *fn;
        void *arg;
    } health[MAX_HEALTH];
    size_t nhealth;
    int port;
};

/* What one request accumulates while its body arrives. */
typedef struct {
    vg_buf_t body;
    int too_big;
} s_upload_t;

static char *
s_read_file (const char *path, char *err, size_t errlen)
{
    FILE *f = fopen (path, "rb");
    if (!f) {
        snprintf (err, errlen, "cannot read %s", path);
        return NULL;
    }
    vg_buf_t b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread (chunk, 1, sizeof chunk, f)) > 0 && b.len < (1 << 20))
        vg_buf_append (&b, chunk, n);
    fclose (f);
    vg_buf_append (&b, "", 1);
    return b.data;
}

http_server_t *
http_server_new (const http_server_options_t *opts)
{
    http_server_t *self = vg_calloc (1, sizeof *self);
    self->listen = vg_strdup (opts->listen);
    self->token = opts->token && *opts->token ? vg_strdup (opts->token) : NULL;
    self->cert = vg_strdup (opts->tls_cert);
    self->key = vg_strdup (opts->tls_key);
    return self;
}

void
http_server_destroy (http_server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    http_server_t *self = *self_p;
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    for (size_t i = 0; i < self->nroutes; i++) {
        free (self->routes[i].method);
        free (self->routes[i].prefix);
    }
    if (self->token)
        sodium_memzero (self->token, strlen (self->token));
    free (self->token);
    free (self->listen);
    free (self->cert);
    free (self->key);
    free (self);
    *self_p = NULL;
}

void
http_server_route (http_server_t *self, const char *method, const char *prefix, int protected_,
                   http_handler_fn *fn, void *arg)
{
    if (self->nroutes == MAX_ROUTES) {
        vg_error ("http: too many routes; %s is not served", prefix);
        return;
    }
    s_route_t *r = &self->routes[self->nroutes++];
    r->method = vg_strdup (method);
    r->prefix = vg_strdup (prefix);
    r->protected_ = protected_;
    r->fn = fn;
    r->arg = arg;
}

void
http_server_metrics (http_server_t *self, http_metrics_fn *fn, void *arg)
{
    if (self->nmetrics < MAX_METRICS) {
        self->metrics[self->nmetrics].fn = fn;
        self->metrics[self->nmetrics++].arg = arg;
    }
}

void
http_server_health (http_server_t *self, http_health_fn *fn, void *arg)
{
    if (self->nhealth < MAX_HEALTH) {
        self->health[self->nhealth].fn = fn;
        self->health[self->nhealth++].arg = arg;
    }
}

const char *
http_request_query (const http_request_t *req, const char *name)
{
    return MHD_lookup_connection_value (req->conn, MHD_GET_ARGUMENT_KIND, name);
}

void
http_response_error (http_response_t *resp, int status, const char *message)
{
    resp->status = status;
    resp->content_type = "application/json";
    vg_buf_reset (&resp->body);
    vg_buf_puts (&resp->body, "{\"error\":");
    vg_json_string (&resp->body, message, strlen (message));
    vg_buf_puts (&resp->body, "}\n");
}

/* The bearer token, compared in constant time. */
static int
s_authorized (http_server_t *self, struct MHD_Connection *conn)
{
    if (!self->token)
        return 0;
    const char *h = MHD_lookup_connection_value (conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncmp (h, "Bearer ", 7) != 0)
        return 0;
    const char *got = h + 7;
    size_t n = strlen (self->token);
    return strlen (got) == n && sodium_memcmp (got, self->token, n) == 0;
}

static void
s_metrics (http_server_t *self, http_response_t *resp)
{
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    for (size_t i = 0; i < self->nmetrics; i++)
        self->metrics[i].fn (&resp->body, self->metrics[i].arg);
}

static void
s_health (http_server_t *self, http_response_t *resp)
{
    resp->content_type = "text/plain; charset=utf-8";
    int bad = 0;
    for (size_t i = 0; i < self->nhealth; i++) {
        char reason[512] = "";
        if (self->health[i].fn (reason, sizeof reason, self->health[i].arg) != 0) {
            vg_buf_printf (&resp->body, "%s\n", reason);
            bad = 1;
        }
    }
    if (bad)
        resp->status = MHD_HTTP_SERVICE_UNAVAILABLE;
    else
        vg_buf_puts (&resp->body, "ok\n");
}

static void
s_dispatch (http_server_t *self, struct MHD_Connection *conn, const char *url, const char *method,
            const s_upload_t *up, http_response_t *resp)
{
    if (strcmp (url, "/metrics") == 0 && strcmp (method, "GET") == 0) {
        s_metrics (self, resp);
        return;
    }
    if (strcmp (url, "/health") == 0 && strcmp (method, "GET") == 0) {
        s_health (self, resp);
        return;
    }
    const s_route_t *best = NULL;
    int method_mismatch = 0;
    for (size_t i = 0; i < self->nroutes; i++) {
        const s_route_t *r = &self->routes[i];
        size_t n = strlen (r->prefix);
        if (strncmp (url, r->prefix, n) != 0 ||
            (url[n] && url[n] != '/' && r->prefix[n - 1] != '/'))
            continue;
        if (r->method && strcmp (r->method, method) != 0) {
            method_mismatch = 1;
            continue;
        }
        if (!best || n > strlen (best->prefix))
            best = r;
    }
    if (!best) {
        http_response_error (resp, method_mismatch ? 405 : 404,
                             method_mismatch ? "method not allowed here" : "no such page");
        return;
    }
    if (best->protected_ && !s_authorized (self, conn)) {
        http_response_error (resp, 401,
                             self->token ? "a valid bearer token is required (Authorization: "
                                           "Bearer TOKEN)"
                                         : "changes through the API are off: the collector has no "
                                           "http_token");
        return;
    }
    if (up->too_big) {
        http_response_error (resp, 413, "the request body is too large");
        return;
    }
    const char *rest = url + strlen (best->prefix);
    if (*rest == '/')
        rest++;
    http_request_t req = {.method = method,
                          .path = url,
                          .rest = rest,
                          .body = up->body.data ? up->body.data : "",
                          .body_len = up->body.len,
                          .conn = conn};
    best->fn (&req, resp, best->arg);
}

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_size, void **state)
{
    (void)version;
    http_server_t *self = cls;
    s_upload_t *up = *state;
    if (!up) {
        *state = vg_calloc (1, sizeof *up);
        return MHD_YES;
    }
    if (*upload_size) {
        if (up->body.len + *upload_size > HTTP_SERVER_MAX_BODY)
            up->too_big = 1;
        else
            vg_buf_append (&up->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    vg_buf_append (&up->body, "", 1);
    up->body.len--;
    http_response_t resp = {.status = 200, .content_type = "application/json"};
    s_dispatch (self, conn, url, method, up, &resp);
    struct MHD_Response *r =
        MHD_create_response_from_buffer (resp.body.len, resp.body.data, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header (r, "Content-Type", resp.content_type);
    MHD_add_response_header (r, "Cache-Control", "no-store");
    if (resp.status == 401)
        MHD_add_response_header (r, "WWW-Authenticate", "Bearer");
    enum MHD_Result rc = MHD_queue_response (conn, (unsigned)resp.status, r);
    MHD_destroy_response (r);
    vg_buf_free (&resp.body);
    return rc;
}

static void
s_completed (void *cls, struct MHD_Connection *conn, void **state,
             enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    s_upload_t *up = *state;
    if (up) {
        vg_buf_free (&up->body);
        free (up);
    }
    *state = NULL;
}

/* "host:port" or "[v6]:port" into a socket address. */
static int
s_parse_listen (const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[256];
    const char *colon = strrchr (text, ':');
    if (!colon || colon == text || (size_t)(colon - text) >= sizeof host)
        return VG_EINVAL;
    char *end;
    long port = strtol (colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return VG_EINVAL;
    memcpy (host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    memset (ss, 0, sizeof *ss);
    if (host[0] == '[') {
        size_t n = strlen (host);
        if (n < 3 || host[n - 1] != ']')
            return VG_EINVAL;
        host[n - 1] = '\0';
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons ((uint16_t)port);
        if (inet_pton (AF_INET6, host + 1, &a->sin6_addr) != 1)
            return VG_EINVAL;
        *len = sizeof *a;
        return VG_OK;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons ((uint16_t)port);
    if (inet_pton (AF_INET, host, &a->sin_addr) != 1)
        return VG_EINVAL;
    *len = sizeof *a;
    return VG_OK;
}

int
http_server_start (http_server_t *self, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (s_parse_listen (self->listen, &ss, &sslen) != VG_OK) {
        snprintf (err, errlen,
                  "http_listen: expected HOST:PORT like 127.0.0.1:9467 or [::1]:9467, "
                  "not \"%s\"",
                  self->listen);
        return VG_EINVAL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    char *cert = NULL, *key = NULL;
    if ((self->cert != NULL) != (self->key != NULL)) {
        snprintf (err, errlen, "http_tls_cert and http_tls_key go together: give both or neither");
        return VG_EINVAL;
    }
    if (self->cert) {
        if (!(cert = s_read_file (self->cert, err, errlen)) ||
            !(key = s_read_file (self->key, err, errlen))) {
            free (cert);
            return VG_EINVAL;
        }
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, key},
        {MHD_OPTION_END, 0, NULL},
    };
    self->daemon = MHD_start_daemon (
        flags, 0, NULL, NULL, s_access, self, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, NULL, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)10, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024), MHD_OPTION_ARRAY,
        cert ? tls : tls + 2, MHD_OPTION_END);
    if (key)
        sodium_memzero (key, strlen (key));
    free (cert);
    free (key);
    if (!self->daemon) {
        snprintf (err, errlen,
                  "cannot serve HTTP on %s%s: the address is in use or not this host's, or the "
                  "certificate and key do not load; check http_listen%s",
                  self->listen, self->cert ? " with TLS" : "",
                  self->cert ? ", http_tls_cert and http_tls_key" : "");
        return VG_EIO;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : 0;
    vg_info ("http: serving /health, /metrics and the API on %s://%.*s:%d",
             self->cert ? "https" : "http", (int)(strrchr (self->listen, ':') - self->listen),
             self->listen, self->port);
    return VG_OK;
}

int
http_server_port (const http_server_t *self)
{
    return self->port;
}
