/*  agent_curve.c - zcert files read by hand, keys set on the DEALER. */
#include "agent_curve.h"
#include "vg_alloc.h"
#include "vg_endpoint.h"
#include "vg_error.h"
#include "vg_log.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

/* What the last configuration decided; the agent has one. */
static struct {
    int curve;
    int plain_asked; /* transport: plain, rather than no keys on loopback */
    char public_key[41];
    char secret_key[41];
    char server_key[41];
    char collector[256];
} s_state;

int
agent_curve_read_key (const char *path, const char *field, char out[41], char *err, size_t errlen)
{
    FILE *f = fopen (path, "r");
    if (!f) {
        snprintf (err, errlen, "cannot read %s: %s", path, strerror (errno));
        return VG_EIO;
    }
    char line[512];
    int found = 0, lineno = 0;
    size_t flen = strlen (field);
    while (!found && fgets (line, sizeof line, f)) {
        lineno++;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp (p, field, flen) != 0)
            continue;
        p += flen;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '=')
            continue;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '"' || strlen (p) < 42 || p[41] != '"') {
            snprintf (err, errlen, "%s:%d: %s is not a quoted key of 40 characters", path, lineno,
                      field);
            fclose (f);
            return VG_EINVAL;
        }
        memcpy (out, p + 1, 40);
        out[40] = '\0';
        found = 1;
    }
    fclose (f);
    uint8_t bin[32];
    if (!found) {
        snprintf (err, errlen, "%s has no %s (is it a key file written by vigil keygen?)", path,
                  field);
        return VG_EINVAL;
    }
    if (!zmq_z85_decode (bin, out)) {
        snprintf (err, errlen, "%s: %s is not a Z85 key", path, field);
        return VG_EINVAL;
    }
    return VG_OK;
}

static char *
s_path (const char *base_dir, const char *path)
{
    if (path[0] == '/' || !base_dir || !*base_dir)
        return vg_strdup (path);
    return vg_asprintf ("%s/%s", base_dir, path);
}

int
agent_curve_configure (const char *transport, const char *secret_key, const char *server_key,
                       const char *const *collectors, size_t ncollectors, const char *base_dir,
                       char *err, size_t errlen)
{
    memset (&s_state, 0, sizeof s_state);
    snprintf (s_state.collector, sizeof s_state.collector, "%s",
              ncollectors == 1 ? collectors[0] : "the collectors");
    const char *t = transport && *transport ? transport : "curve";
    int has_secret = secret_key && *secret_key, has_server = server_key && *server_key;
    if (strcmp (t, "plain") == 0) {
        s_state.plain_asked = 1;
        return VG_OK;
    }
    if (strcmp (t, "curve") != 0) {
        snprintf (err, errlen, "expected curve or plain, not \"%s\"", t);
        return VG_EINVAL;
    }
    if (has_secret != has_server) {
        snprintf (err, errlen,
                  "agent.%s is set but agent.%s is not: CURVE needs the agent's secret key file "
                  "and the collector's public key file (vigil keygen makes them)",
                  has_secret ? "curve_secret_key" : "curve_server_key",
                  has_secret ? "curve_server_key" : "curve_secret_key");
        return VG_EINVAL;
    }
    if (!has_secret) {
        for (size_t i = 0; i < ncollectors; i++)
            if (!vg_endpoint_is_local (collectors[i])) {
                snprintf (err, errlen,
                          "the collector %s is not on this host and no CURVE keys are set: set "
                          "agent.curve_secret_key and agent.curve_server_key (vigil keygen "
                          "makes them), or agent.transport: plain to send without "
                          "authentication",
                          collectors[i]);
                return VG_EINVAL;
            }
        return VG_OK;
    }
    char *secret = s_path (base_dir, secret_key), *server = s_path (base_dir, server_key);
    int rc = agent_curve_read_key (secret, "public-key", s_state.public_key, err, errlen);
    if (rc == VG_OK)
        rc = agent_curve_read_key (secret, "secret-key", s_state.secret_key, err, errlen);
    if (rc == VG_OK)
        rc = agent_curve_read_key (server, "public-key", s_state.server_key, err, errlen);
    struct stat st;
    if (rc == VG_OK && stat (secret, &st) == 0 && (st.st_mode & 077))
        vg_warn ("%s can be read by other users: chmod 600 it (it holds the agent's secret key)",
                 secret);
    free (secret);
    free (server);
    if (rc != VG_OK) {
        memset (&s_state, 0, sizeof s_state);
        return rc;
    }
    s_state.curve = 1;
    return VG_OK;
}

int
agent_curve_apply (void *dealer, char *err, size_t errlen)
{
    if (!s_state.curve) {
        vg_warn ("sending to %s without authentication or encryption (%s): anyone on the way "
                 "can read or forge batches; set agent.curve_secret_key and "
                 "agent.curve_server_key (see docs/security.md)",
                 s_state.collector,
                 s_state.plain_asked ? "agent.transport: plain" : "no CURVE keys, loopback only");
        return VG_OK;
    }
    if (zmq_setsockopt (dealer, ZMQ_CURVE_SERVERKEY, s_state.server_key, 40) != 0 ||
        zmq_setsockopt (dealer, ZMQ_CURVE_PUBLICKEY, s_state.public_key, 40) != 0 ||
        zmq_setsockopt (dealer, ZMQ_CURVE_SECRETKEY, s_state.secret_key, 40) != 0) {
        snprintf (err, errlen, "cannot set the CURVE keys: %s (is libzmq built with CURVE?)",
                  zmq_strerror (zmq_errno ()));
        return VG_EIO;
    }
    return VG_OK;
}

int
agent_curve_enabled (void)
{
    return s_state.curve;
}

int
agent_curve_socket_hook (void *arg, void *socket, const char *endpoint, char *err, size_t errlen)
{
    (void)arg, (void)endpoint;
    return agent_curve_apply (socket, err, errlen);
}
