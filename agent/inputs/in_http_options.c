/*  in_http_options.c - the http input's options: the table that drives
 *  parsing, --help and the docs, and parsers that check each value where it
 *  is written, so --check names the file and line of a bad URL, method,
 *  header, status list or regex.
 */
#include "in_http.h"
#include "input_util.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- options ---------------------------------------------------------- */

static int
s_parse_url (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
             size_t errlen)
{
    char *text;
    int rc = input_util_scalar (cfg, node, key, &text, err, errlen);
    if (rc != VG_OK)
        return rc;
    CURLU *u = curl_url ();
    char *scheme = NULL;
    CURLUcode uc = curl_url_set (u, CURLUPART_URL, text, 0);
    if (uc != CURLUE_OK)
        rc = vg_config_error (cfg, node, key, err, errlen, "not a URL: %s", curl_url_strerror (uc));
    else if (curl_url_get (u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
             (strcmp (scheme, "http") != 0 && strcmp (scheme, "https") != 0))
        rc = vg_config_error (cfg, node, key, err, errlen,
                              "only http:// and https:// URLs can be checked");
    curl_free (scheme);
    curl_url_cleanup (u);
    if (rc != VG_OK) {
        free (text);
        return rc;
    }
    *(char **)field = text;
    return VG_OK;
}

static int
s_parse_method (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
                size_t errlen)
{
    char *text;
    int rc = input_util_scalar (cfg, node, key, &text, err, errlen);
    if (rc != VG_OK)
        return rc;
    size_t len = strlen (text);
    if (len == 0 || len > 32 || strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != len) {
        free (text);
        return vg_config_error (cfg, node, key, err, errlen,
                                "expected an HTTP method in capitals (GET, POST, HEAD...)");
    }
    *(char **)field = text;
    return VG_OK;
}

/* A header name is an HTTP token. */
static int
s_is_token (const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr (extra, *s)))
            return 0;
    return 1;
}

/* A map of header name to value; each value is a secret (env:NAME, file:PATH
 * or the text itself), resolved here so errors name its line. */
static int
s_parse_headers (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
                 size_t errlen)
{
    static const vg_option_t map_opt = {.name = "headers", .type = VG_OPT_LABELS};
    static const vg_option_t secret_opt = {.name = "header", .type = VG_OPT_SECRET};
    vg_labels_t raw = {0};
    int rc = vg_config_parse_value (cfg, node, &map_opt, key, &raw, err, errlen);
    if (rc != VG_OK)
        return rc;
    vg_labels_t out = {.items = vg_calloc (raw.n + 1, sizeof *out.items), .n = 0};
    for (size_t i = 0; i < raw.n && rc == VG_OK; i++) {
        const char *name = raw.items[i].key;
        vg_cnode_t *vnode = vg_cnode_get (node, name);
        char sub[256];
        snprintf (sub, sizeof sub, "%s.%s", key, name);
        char *value = NULL;
        if (!s_is_token (name))
            rc = vg_config_error (cfg, vnode, sub, err, errlen, "not a valid header name");
        else if (strcasecmp (name, "Content-Length") == 0)
            rc = vg_config_error (cfg, vnode, sub, err, errlen,
                                  "set by libcurl from body; leave it out");
        else
            rc = vg_config_parse_value (cfg, vnode, &secret_opt, sub, &value, err, errlen);
        if (rc == VG_OK && !value)
            rc = vg_config_error (cfg, vnode, sub, err, errlen, "needs a value");
        if (rc == VG_OK && strpbrk (value, "\r\n"))
            rc = vg_config_error (cfg, vnode, sub, err, errlen, "a header value must be one line");
        if (rc != VG_OK) {
            free (value);
            break;
        }
        out.items[out.n].key = vg_strdup (name);
        out.items[out.n].value = value;
        out.n++;
    }
    vg_labels_free (&raw);
    if (rc != VG_OK) {
        vg_labels_free (&out);
        return rc;
    }
    *(vg_labels_t *)field = out;
    return VG_OK;
}

static void
s_free_headers (void *field)
{
    vg_labels_free (field);
}

/* "200", "2xx" or "200-299" */
static int
s_parse_range (const char *text, http_range_t *r)
{
    int a, b, used = 0;
    char x1, x2;
    if (sscanf (text, "%1d%c%c%n", &a, &x1, &x2, &used) == 3 && used == 3 && !text[3] &&
        (x1 == 'x' || x1 == 'X') && (x2 == 'x' || x2 == 'X'))
        *r = (http_range_t){a * 100, a * 100 + 99};
    else if (sscanf (text, "%3d-%3d%n", &a, &b, &used) == 2 && text[used] == '\0')
        *r = (http_range_t){a, b};
    else if (sscanf (text, "%3d%n", &a, &used) == 1 && text[used] == '\0')
        *r = (http_range_t){a, a};
    else
        return VG_EINVAL;
    return r->lo >= 100 && r->hi <= 599 && r->lo <= r->hi ? VG_OK : VG_EINVAL;
}

static void
s_free_status (void *field)
{
    http_status_set_t *set = field;
    free (set->items);
    set->items = NULL;
    set->n = 0;
}

static int
s_parse_status (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
                size_t errlen)
{
    int seq = vg_cnode_is_seq (node);
    size_t n = seq ? vg_cnode_seq_len (node) : 1;
    if (n == 0)
        return vg_config_error (cfg, node, key, err, errlen, "give at least one status");
    http_status_set_t set = {.items = vg_calloc (n, sizeof *set.items), .n = n};
    for (size_t i = 0; i < n; i++) {
        vg_cnode_t *item = seq ? vg_cnode_seq_at (node, i) : node;
        size_t len = 0;
        const char *text = vg_cnode_scalar (item, &len);
        char buf[16] = "";
        if (text && len < sizeof buf)
            memcpy (buf, text, len);
        if (!text || len >= sizeof buf || s_parse_range (buf, &set.items[i]) != VG_OK) {
            s_free_status (&set);
            return vg_config_error (cfg, item, key, err, errlen,
                                    "expected status codes like 200, 2xx or 200-299 (100..599)");
        }
    }
    *(http_status_set_t *)field = set;
    return VG_OK;
}

#define S_OPT(field) offsetof (http_ctx_t, field)

const vg_option_t in_http_options_table[] = {
    {.name = "url",
     .type = VG_OPT_CUSTOM,
     .required = 1,
     .offset = S_OPT (url),
     .parse = s_parse_url,
     .free = input_util_free_string,
     .help = "string; the http:// or https:// URL to check"},
    {.name = "method",
     .type = VG_OPT_CUSTOM,
     .def = "GET",
     .offset = S_OPT (method),
     .parse = s_parse_method,
     .free = input_util_free_string,
     .help = "string; the request method (GET, POST, HEAD, PUT...)"},
    {.name = "headers",
     .type = VG_OPT_CUSTOM,
     .def = "{}",
     .offset = S_OPT (headers),
     .parse = s_parse_headers,
     .free = s_free_headers,
     .help = "map of request headers; a value may be env:NAME or file:PATH"},
    {.name = "body",
     .type = VG_OPT_STRING,
     .offset = S_OPT (body),
     .help = "the request body, sent as it is (set a Content-Type header)"},
    {.name = "timeout",
     .type = VG_OPT_DURATION,
     .def = "5s",
     .min = 10,
     .max = 300000,
     .offset = S_OPT (timeout_ms),
     .help = "the whole request, from name lookup to the last byte; at most the interval"},
    {.name = "expect_status",
     .type = VG_OPT_CUSTOM,
     .def = "[200-399]",
     .offset = S_OPT (expect_status),
     .parse = s_parse_status,
     .free = s_free_status,
     .help = "list; status codes that count as up: 200, 2xx, 200-299"},
    {.name = "body_regex",
     .type = VG_OPT_CUSTOM,
     .offset = S_OPT (body_regex),
     .parse = input_util_parse_regex,
     .free = input_util_free_string,
     .help = "string; a PCRE2 regex the body must match to count as up"},
    {.name = "follow_redirects",
     .type = VG_OPT_BOOL,
     .def = "false",
     .offset = S_OPT (follow_redirects),
     .help = "follow 3xx responses (up to 10); otherwise the 3xx is the answer"},
    {.name = "tls_verify",
     .type = VG_OPT_BOOL,
     .def = "true",
     .offset = S_OPT (tls_verify),
     .help = "verify the server's certificate and name"},
    {.name = "ca_file",
     .type = VG_OPT_STRING,
     .offset = S_OPT (ca_file),
     .help = "PEM file of CA certificates to verify against instead of the system's"},
    {.name = "max_body",
     .type = VG_OPT_SIZE,
     .def = "1MiB",
     .min = 1,
     .max = 64 * 1024 * 1024,
     .offset = S_OPT (max_body),
     .help = "body bytes body_regex looks at; the rest is read and counted, not kept"},
    {.name = NULL},
};

int
in_http_options_status_ok (const http_status_set_t *set, long status)
{
    for (size_t i = 0; i < set->n; i++)
        if (status >= set->items[i].lo && status <= set->items[i].hi)
            return 1;
    return 0;
}
