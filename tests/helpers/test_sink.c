/*  test_sink.c - start notify_sink.py and parse its record. */
#include "test_sink.h"
#include "test_assert.h"
#include "test_proc.h"
#include "vg_alloc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs script (in tests/helpers) with --port-file, --record and extra
 * arguments, files named after name in dir, and waits for its port. */
static void
s_start (test_sink_t *self, const char *dir, const char *name, const char *script,
         char *const *extra)
{
    const char *src = getenv ("VIGIL_SOURCE_DIR");
    if (!src)
        TEST_FAIL ("VIGIL_SOURCE_DIR is not set: run the tests with ctest");
    char *path = vg_asprintf ("%s/tests/helpers/%s", src, script);
    char *portfile = vg_asprintf ("%s/%s.port", dir, name);
    char *log = vg_asprintf ("%s/%s.log", dir, name);
    self->record = vg_asprintf ("%s/%s.jsonl", dir, name);
    remove (portfile);
    remove (self->record);
    char *argv[16] = {"/usr/bin/python3", path, "--port-file", portfile, "--record", self->record};
    for (int i = 0; extra && extra[i] && i < 9; i++)
        argv[6 + i] = extra[i];
    self->pid = test_spawn (argv, log);
    self->port = 0;
    for (int i = 0; i < 500 && !self->port; i++) {
        char *text = test_read_file (portfile);
        if (text)
            self->port = atoi (text);
        free (text);
        if (!self->port)
            test_sleep_ms (20);
    }
    if (!self->port)
        TEST_FAIL ("the sink did not start; its log is %s", log);
    free (path);
    free (portfile);
    free (log);
}

void
test_sink_start (test_sink_t *self, const char *dir)
{
    s_start (self, dir, "sink", "notify_sink.py", NULL);
}

void
test_sink_start_smtp (test_sink_t *self, const char *dir, const char *cert, const char *key,
                      int fail_first)
{
    char n[16];
    snprintf (n, sizeof n, "%d", fail_first);
    char *extra[] = {"--fail-first", n,   cert ? "--tls-cert" : NULL, (char *)cert, "--tls-key",
                     (char *)key,    NULL};
    s_start (self, dir, "smtp", "smtp_sink.py", extra);
}

void
test_sink_make_cert (const char *dir, char **cert, char **key)
{
    *cert = vg_asprintf ("%s/cert.pem", dir);
    *key = vg_asprintf ("%s/key.pem", dir);
    char *cmd = vg_asprintf ("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
                             " -addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s"
                             " >/dev/null 2>&1",
                             *key, *cert);
    if (system (cmd) != 0)
        TEST_FAIL ("cannot make a certificate with: %s", cmd);
    free (cmd);
}

void
test_sink_stop (test_sink_t *self)
{
    if (self->pid > 0)
        test_kill_wait (self->pid, SIGTERM);
    self->pid = 0;
    free (self->record);
    self->record = NULL;
}

/* The JSON string after "name": in line (json.dumps' default separators),
 * with \" and \\ undone; "" when absent. */
static void
s_str (const char *line, const char *name, char *out, size_t outlen)
{
    char pat[96];
    snprintf (pat, sizeof pat, "\"%s\": \"", name);
    const char *p = strstr (line, pat);
    size_t n = 0;
    if (p)
        for (p += strlen (pat); *p && *p != '"' && n + 1 < outlen; p++) {
            if (*p == '\\' && p[1])
                p++;
            out[n++] = *p;
        }
    out[n] = '\0';
}

size_t
test_sink_requests (const test_sink_t *self, test_sink_req_t **out)
{
    char *text = test_read_file (self->record);
    size_t n = 0, cap = 0;
    *out = NULL;
    for (char *line = text ? strtok (text, "\n") : NULL; line; line = strtok (NULL, "\n")) {
        VG_GROW (*out, cap, n + 1);
        test_sink_req_t *r = &(*out)[n++];
        memset (r, 0, sizeof *r);
        const char *t = strstr (line, "\"t\": ");
        r->t = t ? strtod (t + 5, NULL) : 0;
        const char *st = strstr (line, "\"status\": ");
        r->status = st ? atoi (st + 10) : 0;
        s_str (line, "path", r->path, sizeof r->path);
        s_str (line, "idempotency-key", r->key, sizeof r->key);
        size_t blen = strlen (line) + 1;
        r->body = vg_malloc (blen);
        s_str (line, "body", r->body, blen);
    }
    free (text);
    return n;
}

void
test_sink_free_requests (test_sink_req_t *reqs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free (reqs[i].body);
    free (reqs);
}
