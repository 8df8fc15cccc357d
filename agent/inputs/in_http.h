/*  in_http.h - the http input's context, shared by in_http.c (requests,
 *  rounds, metrics) and in_http_options.c (the option table and its parsers).
 */
#ifndef IN_HTTP_H
#define IN_HTTP_H

#include "input_curl.h"
#include "vg_config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <curl/curl.h>
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int lo, hi;
} http_range_t;

/* expect_status, parsed */
typedef struct {
    http_range_t *items; /* owned */
    size_t n;
} http_status_set_t;

/* What the last request found. */
typedef struct {
    CURLcode code;
    long status;
    curl_off_t total_us, dns_us, connect_us, appconnect_us, first_byte_us;
    curl_off_t bytes;
    int body_truncated; /* more than max_body bytes came: the regex saw the first ones */
    int has_cert;
    double cert_days;
} http_result_t;

typedef struct http_ctx_t http_ctx_t;
struct http_ctx_t {
    /* options, filled by the core from agent.yaml */
    char *url;
    char *method;
    vg_labels_t headers; /* values resolved (env:NAME, file:PATH) */
    char *body;
    int64_t timeout_ms;
    http_status_set_t expect_status;
    char *body_regex;
    int follow_redirects;
    int tls_verify;
    char *ca_file;
    int64_t max_body;

    /* state */
    char *instance;
    char *url_label; /* url without user:password */
    int64_t interval_ms;
    int https;
    int certinfo; /* libcurl gathers the server's certificates */
    CURL *easy;
    struct curl_slist *header_list;
    pcre2_code *re;
    pcre2_match_data *md;
    char *bodybuf; /* the response body, up to max_body bytes, when body_regex is set */
    size_t bodylen, bodycap;
    char errbuf[CURL_ERROR_SIZE];

    input_curl_t *driver; /* libcurl's multi interface on the agent's loop */
    int in_flight;        /* a request is running */
    int64_t req_mono;     /* when the last request started */
    http_result_t result;
    uint64_t errors_total;
    uint64_t truncated_total;
};

/* The option table: fields of http_ctx_t. */
extern const vg_option_t in_http_options_table[];

/* Is status one of expect_status? */
int in_http_options_status_ok (const http_status_set_t *set, long status);

#endif
