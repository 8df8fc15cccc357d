/*  coll_auth.c - CURVE through czmq's zauth, an allow-list of agents' keys
 *  mapped to the hosts each may write for. */
#include "coll_auth.h"
#include "vg_alloc.h"
#include "vg_endpoint.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* czmq's log, where zauth says which keys it refused. */
#define S_LOG_ENDPOINT "inproc://vigil-zauth-log"
/* Unknown keys remembered (to log each once), at most. */
#define S_MAX_UNKNOWN 10000
/* ZAP domain of the collector's ROUTER. */
#define S_ZAP_DOMAIN "vigil"

struct coll_auth_t {
    char *dir;
    zcert_t *cert; /* the collector's own key pair */
    zactor_t *zauth;
    zsock_t *log;       /* SUB of czmq's log */
    zhashx_t *allowed;  /* Z85 public key -> "host,host" (or "*") */
    uint64_t signature; /* of the directory's files when last read */
    int64_t checked_ms;
    zhashx_t *unknown; /* Z85 keys refused and logged */
    coll_auth_stats_t stats;
    vg_complain_t unknown_flood;
};

int
coll_auth_mode (const coll_config_t *config, char *err, size_t errlen)
{
    int has_secret = config->curve_secret_key && *config->curve_secret_key;
    int has_dir = config->curve_allow_dir && *config->curve_allow_dir;
    const char *t = config->transport ? config->transport : "curve";
    if (strcmp (t, "plain") == 0)
        return COLL_AUTH_PLAIN;
    if (strcmp (t, "curve") != 0) {
        snprintf (err, errlen, "transport: expected curve or plain, not \"%s\"", t);
        return VG_EINVAL;
    }
    if (has_secret != has_dir) {
        snprintf (err, errlen,
                  "%s is set but %s is not: CURVE needs both (the collector's secret key file "
                  "and the directory of agents' public keys; make keys with vigil keygen)",
                  has_secret ? "curve_secret_key" : "curve_allow_dir",
                  has_secret ? "curve_allow_dir" : "curve_secret_key");
        return VG_EINVAL;
    }
    if (has_secret)
        return COLL_AUTH_CURVE;
    if (vg_endpoint_is_local (config->listen))
        return COLL_AUTH_PLAIN;
    snprintf (err, errlen,
              "listen %s can be reached from other hosts and no CURVE keys are set: set "
              "curve_secret_key and curve_allow_dir (make keys with vigil keygen), or "
              "transport: plain to take batches from anyone who can connect",
              config->listen);
    return VG_EINVAL;
}

void
coll_auth_fingerprint (const char *z85, char *out, size_t outlen)
{
    uint8_t key[32];
    if (!z85 || strlen (z85) != 40 || !zmq_z85_decode (key, z85)) {
        snprintf (out, outlen, "(not a key)");
        return;
    }
    size_t n = 0;
    for (int i = 0; i < 8 && n + 3 <= outlen; i++)
        n += (size_t)snprintf (out + n, outlen - n, "%02x", key[i]);
}

static int
s_skip_name (const char *name)
{
    size_t n = strlen (name);
    return name[0] == '.' || (n > 7 && strcmp (name + n - 7, "_secret") == 0);
}

/* Calls fn for each regular file of dir that may hold a public key (not
 * hidden, not a *_secret file). Returns 0, or -1 if dir cannot be read. */
typedef void (s_file_fn) (const char *path, const char *name, const struct stat *st, void *arg);

static int
s_each_file (const char *dir, s_file_fn *fn, void *arg)
{
    DIR *d = opendir (dir);
    if (!d)
        return -1;
    struct dirent *e;
    char path[4096];
    while ((e = readdir (d))) {
        if (s_skip_name (e->d_name))
            continue;
        snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat (path, &st) == 0 && S_ISREG (st.st_mode))
            fn (path, e->d_name, &st, arg);
    }
    closedir (d);
    return 0;
}

static void
s_sign_file (const char *path, const char *name, const struct stat *st, void *arg)
{
    (void)path;
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    h ^= (uint64_t)st->st_size * 0x9e3779b97f4a7c15ULL;
    h ^= (uint64_t)st->st_mtim.tv_sec * 0xbf58476d1ce4e5b9ULL + (uint64_t)st->st_mtim.tv_nsec;
    h ^= (uint64_t)st->st_ino * 0x94d049bb133111ebULL;
    *(uint64_t *)arg += h * 0x100000001b3ULL; /* order-free: readdir's order may change */
}

/* A digest of the directory's file names, sizes and times: changes when a
 * file is added, removed, replaced or edited. 0 if it cannot be read. */
static uint64_t
s_signature (const char *dir)
{
    uint64_t sig = 1469598103934665603ULL;
    if (s_each_file (dir, s_sign_file, &sig) != 0)
        return 0;
    return sig ? sig : 1;
}

/* Key files are small: a larger file is not one. */
#define S_MAX_CERT_BYTES (64 * 1024)

/* Reads a public zcert file with czmq's zconfig parser (zcert_load leaks
 * when a file does not parse): its key, valid Z85, and the hosts it may
 * write for (metadata hosts, else name, else the file name). */
static int
s_read_cert (const char *path, const char *file, char key[41], char *hosts, size_t hostslen)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return -1;
    char *text = vg_malloc (S_MAX_CERT_BYTES + 1);
    size_t n = fread (text, 1, S_MAX_CERT_BYTES + 1, f);
    fclose (f);
    int rc = -1;
    zconfig_t *root = NULL;
    if (n <= S_MAX_CERT_BYTES && !memchr (text, 0, n)) {
        text[n] = '\0';
        root = zconfig_str_load (text);
    }
    const char *pub = root ? zconfig_get (root, "curve/public-key", NULL) : NULL;
    uint8_t bin[32];
    if (pub && strlen (pub) == 40 && zmq_z85_decode (bin, pub)) {
        const char *h = zconfig_get (root, "metadata/hosts", NULL);
        if (!h || !*h)
            h = zconfig_get (root, "metadata/name", NULL);
        snprintf (hosts, hostslen, "%s", h && *h ? h : file);
        memcpy (key, pub, 41);
        rc = 0;
    }
    zconfig_destroy (&root);
    free (text);
    return rc;
}

typedef struct {
    coll_auth_key_fn *fn;
    void *arg;
    int n;
} s_reading_t;

static void
s_read_file (const char *path, const char *name, const struct stat *st, void *arg)
{
    (void)st;
    s_reading_t *r = arg;
    char key[41], hosts[1024];
    if (s_read_cert (path, name, key, hosts, sizeof hosts) != 0) {
        vg_warn ("allow-list: %s is not a public key file (zcert); skipped it - make keys with "
                 "vigil keygen",
                 path);
        return;
    }
    r->fn (key, hosts, r->arg);
    r->n++;
}

int
coll_auth_read_dir (const char *dir, coll_auth_key_fn *fn, void *arg, char *err, size_t errlen)
{
    s_reading_t r = {fn, arg, 0};
    if (s_each_file (dir, s_read_file, &r) != 0) {
        snprintf (err, errlen, "cannot read curve_allow_dir %s: %s", dir, strerror (errno));
        return VG_EIO;
    }
    return r.n;
}

static void
s_add_key (const char *key, const char *hosts, void *arg)
{
    zhashx_update ((zhashx_t *)arg, key, vg_strdup (hosts));
}

/* Reads every public certificate in dir into a new table. */
static zhashx_t *
s_load_dir (const char *dir, char *err, size_t errlen)
{
    zhashx_t *table = zhashx_new ();
    zhashx_set_destructor (table, (zhashx_destructor_fn *)zstr_free);
    if (coll_auth_read_dir (dir, s_add_key, table, err, errlen) < 0)
        zhashx_destroy (&table);
    return table;
}

/* Logs what differs between the old table and the new one. */
static void
s_log_changes (zhashx_t *old, zhashx_t *fresh)
{
    char fp[24];
    for (const char *hosts = zhashx_first (fresh); hosts; hosts = zhashx_next (fresh)) {
        const char *key = zhashx_cursor (fresh);
        const char *was = old ? zhashx_lookup (old, key) : NULL;
        coll_auth_fingerprint (key, fp, sizeof fp);
        if (!was)
            vg_info ("allow-list: key %s (%s) may now write for %s", fp, key, hosts);
        else if (strcmp (was, hosts) != 0)
            vg_info ("allow-list: key %s now writes for %s instead of %s", fp, hosts, was);
    }
    if (old)
        for (const char *hosts = zhashx_first (old); hosts; hosts = zhashx_next (old)) {
            const char *key = zhashx_cursor (old);
            if (!zhashx_lookup (fresh, key)) {
                coll_auth_fingerprint (key, fp, sizeof fp);
                vg_info ("allow-list: key %s (%s, for %s) removed: refused from now on", fp, key,
                         hosts);
            }
        }
}

int
coll_auth_refresh (coll_auth_t *self, int force)
{
    int64_t now = vg_mono_ms ();
    if (!force && now - self->checked_ms < 1000)
        return 0;
    self->checked_ms = now;
    uint64_t sig = s_signature (self->dir);
    if (!force && sig == self->signature)
        return 0;
    char err[512];
    zhashx_t *fresh = s_load_dir (self->dir, err, sizeof err);
    if (!fresh) {
        vg_error ("allow-list: %s; keeping the %zu keys read before", err,
                  self->allowed ? zhashx_size (self->allowed) : 0);
        return VG_EIO;
    }
    s_log_changes (self->allowed, fresh);
    zhashx_destroy (&self->allowed);
    self->allowed = fresh;
    self->signature = sig;
    self->stats.keys = zhashx_size (fresh);
    self->stats.reloads++;
    return 1;
}

/* path as written, or next to the configuration file when relative. */
static char *
s_beside (const coll_config_t *config, const char *path)
{
    if (path[0] == '/' || !config->path || !strchr (config->path, '/'))
        return vg_strdup (path);
    int dirlen = (int)(strrchr (config->path, '/') - config->path);
    return vg_asprintf ("%.*s/%s", dirlen, config->path, path);
}

coll_auth_t *
coll_auth_new (const coll_config_t *config, char *err, size_t errlen)
{
    coll_auth_t *self = vg_calloc (1, sizeof *self);
    self->dir = s_beside (config, config->curve_allow_dir);
    char *secret = s_beside (config, config->curve_secret_key);
    self->unknown = zhashx_new ();
    /* czmq must not take SIGINT and SIGTERM from the collector's loop, nor
     * write its own log lines: zauth's go to a socket read here. */
    zsys_handler_set (NULL);
    zsys_set_logstream (NULL);
    zsys_set_logsender (S_LOG_ENDPOINT);
    self->cert = zcert_load (secret);
    if (!self->cert || !*zcert_secret_txt (self->cert) ||
        strcmp (zcert_secret_txt (self->cert), "0000000000000000000000000000000000000000") == 0) {
        snprintf (err, errlen,
                  "curve_secret_key %s is not a secret key file (zcert with secret-key); make "
                  "one with: vigil keygen collector",
                  secret);
        goto fail;
    }
    free (secret);
    secret = NULL;
    if (coll_auth_refresh (self, 1) < 0) {
        snprintf (err, errlen, "cannot read curve_allow_dir %s: %s", self->dir, strerror (errno));
        goto fail;
    }
    self->log = zsock_new_sub (S_LOG_ENDPOINT, "");
    self->zauth = zactor_new (zauth, NULL);
    if (!self->log || !self->zauth) {
        snprintf (err, errlen, "cannot start ZeroMQ authentication (zauth)");
        goto fail;
    }
    zstr_sendx (self->zauth, "VERBOSE", NULL);
    zsock_wait (self->zauth);
    /* zcertstore reads the directory again whenever it changes. */
    zstr_sendx (self->zauth, "CURVE", self->dir, NULL);
    zsock_wait (self->zauth);
    vg_info ("CURVE: collector key %s; %llu agent keys allowed from %s",
             zcert_public_txt (self->cert), (unsigned long long)self->stats.keys, self->dir);
    return self;
fail:
    free (secret);
    coll_auth_destroy (&self);
    return NULL;
}

void
coll_auth_destroy (coll_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    coll_auth_t *self = *self_p;
    zactor_destroy (&self->zauth);
    zsock_destroy (&self->log);
    zcert_destroy (&self->cert);
    zhashx_destroy (&self->allowed);
    zhashx_destroy (&self->unknown);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

int
coll_auth_apply (coll_auth_t *self, void *router, char *err, size_t errlen)
{
    int one = 1;
    zcert_apply (self->cert, router);
    if (zmq_setsockopt (router, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt (router, ZMQ_ZAP_DOMAIN, S_ZAP_DOMAIN, strlen (S_ZAP_DOMAIN)) != 0) {
        snprintf (err, errlen, "cannot make the socket a CURVE server: %s",
                  zmq_strerror (zmq_errno ()));
        return VG_EIO;
    }
    return VG_OK;
}

void *
coll_auth_log_socket (coll_auth_t *self)
{
    return zsock_resolve (self->log);
}

/* One of zauth's lines: "denied (CURVE) client_key=KEY" is an unknown key. */
static void
s_on_line (coll_auth_t *self, const char *line)
{
    const char *p = strstr (line, "denied (CURVE) client_key=");
    if (!p) {
        if (strstr (line, "zauth:") == NULL && line[0] != 'I')
            vg_warn ("czmq: %s", line);
        return;
    }
    self->stats.handshakes_refused++;
    char key[41];
    snprintf (key, sizeof key, "%s", p + strlen ("denied (CURVE) client_key="));
    if (zhashx_lookup (self->unknown, key))
        return;
    self->stats.unknown_keys++;
    if (zhashx_size (self->unknown) >= S_MAX_UNKNOWN) {
        vg_complain (&self->unknown_flood, 60000, VG_LOG_WARN,
                     "more than %d unknown CURVE keys tried to connect: no longer logging each "
                     "(%llu refused handshakes in all)",
                     S_MAX_UNKNOWN, (unsigned long long)self->stats.handshakes_refused);
        return;
    }
    zhashx_insert (self->unknown, key, "");
    char fp[24];
    coll_auth_fingerprint (key, fp, sizeof fp);
    vg_warn ("refused a connection with an unknown CURVE key, fingerprint %s (%s): not in "
             "curve_allow_dir %s; if it is an agent of yours, copy its public key file there "
             "(logged once per key)",
             fp, key, self->dir);
}

void
coll_auth_on_log (coll_auth_t *self)
{
    void *sock = zsock_resolve (self->log);
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            return;
        }
        char line[512];
        size_t n = zmq_msg_size (&msg) < sizeof line - 1 ? zmq_msg_size (&msg) : sizeof line - 1;
        memcpy (line, zmq_msg_data (&msg), n);
        line[n] = '\0';
        zmq_msg_close (&msg);
        s_on_line (self, line);
    }
}

int
coll_auth_host_listed (const char *hosts, const char *host)
{
    if (strcmp (hosts, "*") == 0)
        return 1;
    size_t n = strlen (host);
    for (const char *p = hosts; *p;) {
        const char *comma = strchr (p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen (p);
        if (len == n && strncmp (p, host, n) == 0)
            return 1;
        p += len + (comma ? 1 : 0);
    }
    return 0;
}

int
coll_auth_check (coll_auth_t *self, const char *user_id, const char *hostname, char *why,
                 size_t whylen)
{
    coll_auth_refresh (self, 0);
    const char *hosts = user_id && *user_id ? zhashx_lookup (self->allowed, user_id) : NULL;
    char fp[24];
    coll_auth_fingerprint (user_id, fp, sizeof fp);
    if (!hosts) {
        snprintf (why, whylen, "CURVE key %s is not in the allow-list (any more)", fp);
        return VG_ENOTFOUND;
    }
    if (!coll_auth_host_listed (hosts, hostname)) {
        self->stats.hosts_refused++;
        snprintf (why, whylen,
                  "CURVE key %s may write for %s, not for host \"%s\"; add the host to the "
                  "key's hosts (vigil keygen --hosts) or fix agent.hostname",
                  fp, hosts, hostname);
        return VG_EINVAL;
    }
    return VG_OK;
}

const char *
coll_auth_public_key (const coll_auth_t *self)
{
    return zcert_public_txt (self->cert);
}

coll_auth_stats_t
coll_auth_stats (const coll_auth_t *self)
{
    return self->stats;
}
