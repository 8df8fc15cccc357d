/*  test_sink.h - the notify tests' HTTP sink (notify_sink.py) as a child
 *  process: start it on a free port, read back what it received. */
#ifndef TEST_SINK_H
#define TEST_SINK_H

#include <stddef.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    int port;
    char *record; /* its JSON-lines record */
} test_sink_t;

typedef struct {
    double t;       /* arrival, Unix time */
    char path[128]; /* the URL's path */
    int status;     /* what it answered */
    char key[64];   /* the Idempotency-Key header, "" if none */
    char *body;     /* the request body, unescaped enough for strstr */
} test_sink_req_t;

/* Starts the HTTP sink with its files in dir; waits until it listens. */
void test_sink_start (test_sink_t *self, const char *dir);
/* Starts the SMTP sink (smtp_sink.py) likewise; cert and key (may be NULL)
 * make it require STARTTLS; its first fail_first messages get 451. Its
 * record is read with test_read_file (self->record). */
void test_sink_start_smtp (test_sink_t *self, const char *dir, const char *cert, const char *key,
                           int fail_first);
void test_sink_stop (test_sink_t *self);
/* Makes a self-signed certificate for 127.0.0.1 in dir (openssl); *cert and
 * *key get the PEM files' paths (caller frees them). */
void test_sink_make_cert (const char *dir, char **cert, char **key);
/* Every request so far, in arrival order; caller frees with
 * test_sink_free_requests. */
size_t test_sink_requests (const test_sink_t *self, test_sink_req_t **out);
void test_sink_free_requests (test_sink_req_t *reqs, size_t n);

#endif
