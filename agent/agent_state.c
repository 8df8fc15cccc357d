/*  agent_state.c - the agent id and a sequence that never repeats. */
#include "agent_state.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

struct agent_state_t {
    char *dir;
    char *id;
    uint64_t block;
    uint64_t next;     /* the next number to hand out */
    uint64_t reserved; /* numbers below this are reserved on disk */
    uint64_t last;
    uint64_t incarnation;
    int id_generated; /* the id lives in dir/agent_id, not in the configuration */
};

/* mkdir -p, 0750 for what it creates. */
/* A random (version 4) UUID and a newline, as the agent's id. */
static void
s_new_uuid (char *out, size_t outlen)
{
    unsigned char b[16] = {0};
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom (b + got, sizeof b - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (errno != EINTR)
            break;
    }
    if (got < sizeof b) {
        /* No entropy source: time and pid still make a clash unlikely. */
        uint64_t t = (uint64_t)vg_now_ms () ^ ((uint64_t)getpid () << 40);
        for (size_t i = 0; i < sizeof b; i++)
            b[i] ^= (unsigned char)(t >> (8 * (i % 8)));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf (out, outlen, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n",
              b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
              b[13], b[14], b[15]);
}

static int
s_mkdirs (const char *dir)
{
    struct stat st;
    if (stat (dir, &st) == 0) {
        if (!S_ISDIR (st.st_mode)) {
            errno = ENOTDIR;
            return -1;
        }
        return 0;
    }
    char *copy = vg_strdup (dir);
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir (copy, 0750) != 0 && errno != EEXIST) {
            free (copy);
            return -1;
        }
        *p = '/';
    }
    int rc = mkdir (copy, 0750);
    free (copy);
    if (rc != 0 && errno != EEXIST)
        return -1;
    if (stat (dir, &st) != 0)
        return -1;
    if (!S_ISDIR (st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static int
s_write_all (int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write (fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Replaces dir/name with text so that a crash leaves the old or the new
 * content, never a torn one, and the new one survives power loss. */
static int
s_write_atomic (const char *dir, const char *name, const char *text, char *err, size_t errlen)
{
    char *path = vg_asprintf ("%s/%s", dir, name);
    char *tmp = vg_asprintf ("%s/.%s.tmp", dir, name);
    const char *what = "write";
    int rc = VG_EIO;
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        what = "create";
        goto out;
    }
    if (s_write_all (fd, text, strlen (text)) != 0 || fsync (fd) != 0) {
        int e = errno;
        close (fd);
        errno = e;
        goto out;
    }
    if (close (fd) != 0)
        goto out;
    what = "rename";
    if (rename (tmp, path) != 0)
        goto out;
    what = "sync the directory of";
    int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync (dfd) != 0) {
        int e = errno;
        if (dfd >= 0)
            close (dfd);
        errno = e;
        goto out;
    }
    close (dfd);
    rc = VG_OK;
out:
    if (rc != VG_OK) {
        snprintf (err, errlen, "cannot %s %s: %s; check the free space and permissions of %s", what,
                  path, strerror (errno), dir);
        unlink (tmp);
    }
    free (tmp);
    free (path);
    return rc;
}

/* Reads a small file into buf, trimming trailing white space. 0, or
 * VG_ENOTFOUND if it does not exist, or VG_EIO. */
static int
s_read_small (const char *path, char *buf, size_t buflen)
{
    FILE *f = fopen (path, "re");
    if (!f)
        return errno == ENOENT ? VG_ENOTFOUND : VG_EIO;
    size_t n = fread (buf, 1, buflen - 1, f);
    int bad = ferror (f);
    fclose (f);
    if (bad)
        return VG_EIO;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return VG_OK;
}

static int
s_load_id (agent_state_t *self, char *err, size_t errlen)
{
    char *path = vg_asprintf ("%s/agent_id", self->dir);
    char buf[256];
    int rc = s_read_small (path, buf, sizeof buf);
    if (rc == VG_OK) {
        int ok = buf[0] != '\0' && strlen (buf) <= 128;
        for (const char *p = buf; *p; p++)
            if (*p <= ' ' || *p > '~')
                ok = 0;
        if (ok)
            self->id = vg_strdup (buf);
        else {
            snprintf (err, errlen,
                      "%s does not hold an agent id; restore it, or delete it and the seq file "
                      "beside it to start as a new agent",
                      path);
            rc = VG_EINVAL;
        }
    } else if (rc == VG_ENOTFOUND) {
        char text[64];
        s_new_uuid (text, sizeof text);
        /* The reservation file exists before the id does, so that an id
         * without one means it was lost (see s_load_seq). */
        char seq[32];
        snprintf (seq, sizeof seq, "%llu\n", (unsigned long long)self->reserved);
        rc = s_write_atomic (self->dir, "seq", seq, err, errlen);
        if (rc == VG_OK)
            rc = s_write_atomic (self->dir, "agent_id", text, err, errlen);
        if (rc == VG_OK) {
            text[strcspn (text, "\n")] = '\0';
            self->id = vg_strdup (text);
            vg_info ("new agent id %s, kept in %s", self->id, path);
        }
    } else
        snprintf (err, errlen, "cannot read %s: %s; check the permissions of %s", path,
                  strerror (errno), self->dir);
    free (path);
    return rc;
}

static int
s_load_seq (agent_state_t *self, char *err, size_t errlen)
{
    char *path = vg_asprintf ("%s/seq", self->dir);
    char buf[64];
    int rc = s_read_small (path, buf, sizeof buf);
    if (rc == VG_OK) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull (buf, &end, 10);
        if (buf[0] < '0' || buf[0] > '9' || errno || *end || v == 0 || v > UINT64_MAX / 2) {
            snprintf (err, errlen,
                      "%s does not hold a sequence reservation (\"%s\"); restore it, or delete "
                      "it and agent_id beside it to start as a new agent (reusing the id with a "
                      "lower sequence would make the collector drop batches as duplicates)",
                      path, buf);
            rc = VG_EINVAL;
        } else
            self->next = (uint64_t)v;
    } else if (rc == VG_ENOTFOUND) {
        char *idpath = vg_asprintf ("%s/agent_id", self->dir);
        if (access (idpath, F_OK) == 0) {
            /* Starting again at 1 under the same id would make the collector
             * drop every new batch as a duplicate of an old one. */
            snprintf (err, errlen,
                      "%s is missing but %s is there; restore seq, or delete agent_id too to "
                      "start as a new agent (the old id with restarted sequence numbers would "
                      "make the collector drop batches as duplicates)",
                      path, idpath);
            rc = VG_EINVAL;
        } else {
            self->next = 1;
            rc = VG_OK;
        }
        free (idpath);
    } else
        snprintf (err, errlen, "cannot read %s: %s; check the permissions of %s", path,
                  strerror (errno), self->dir);
    self->reserved = self->next;
    free (path);
    return rc;
}

static uint64_t
s_random_u64 (void)
{
    uint64_t v = 0;
    size_t got = 0;
    while (got < sizeof v) {
        ssize_t n = getrandom ((char *)&v + got, sizeof v - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (errno != EINTR)
            break;
    }
    if (got < sizeof v) /* no entropy source: time and pid still make a clash unlikely */
        v ^= (uint64_t)vg_now_ms () * 0x9E3779B97F4A7C15ULL ^ ((uint64_t)getpid () << 32);
    return v ? v : 1;
}

/* dir/incarnation: drawn when the directory gets its state, kept after. A
 * directory from before incarnations existed gets one now; its sequence
 * goes on, so nothing is taken for a duplicate either way. */
static int
s_load_incarnation (agent_state_t *self, char *err, size_t errlen)
{
    char *path = vg_asprintf ("%s/incarnation", self->dir);
    char buf[64];
    int rc = s_read_small (path, buf, sizeof buf);
    if (rc == VG_OK) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull (buf, &end, 16);
        if (!buf[0] || errno || *end || v == 0) {
            snprintf (err, errlen,
                      "%s does not hold an incarnation (\"%s\"); delete it to draw a new one", path,
                      buf);
            rc = VG_EINVAL;
        } else
            self->incarnation = (uint64_t)v;
    } else if (rc == VG_ENOTFOUND) {
        self->incarnation = s_random_u64 ();
        char text[32];
        snprintf (text, sizeof text, "%016llx\n", (unsigned long long)self->incarnation);
        rc = s_write_atomic (self->dir, "incarnation", text, err, errlen);
        if (rc == VG_OK)
            vg_info ("state directory %s: incarnation %016llx", self->dir,
                     (unsigned long long)self->incarnation);
    } else
        snprintf (err, errlen, "cannot read %s: %s; check the permissions of %s", path,
                  strerror (errno), self->dir);
    free (path);
    return rc;
}

agent_state_t *
agent_state_new_block (const char *dir, const char *configured_id, uint64_t block, char *err,
                       size_t errlen)
{
    if (s_mkdirs (dir) != 0) {
        snprintf (err, errlen,
                  "cannot create state directory %s: %s; set agent.state_dir or run as a user "
                  "who can create it",
                  dir, strerror (errno));
        return NULL;
    }
    if (access (dir, W_OK | X_OK) != 0) {
        snprintf (err, errlen,
                  "cannot write to state directory %s: %s; set agent.state_dir or run as a user "
                  "who can write there",
                  dir, strerror (errno));
        return NULL;
    }
    agent_state_t *self = vg_calloc (1, sizeof *self);
    self->dir = vg_strdup (dir);
    self->block = block ? block : AGENT_STATE_SEQ_BLOCK;
    int rc = s_load_seq (self, err, errlen);
    if (rc == VG_OK) {
        if (configured_id && *configured_id)
            self->id = vg_strdup (configured_id);
        else {
            self->id_generated = 1;
            rc = s_load_id (self, err, errlen);
        }
    }
    if (rc == VG_OK)
        rc = s_load_incarnation (self, err, errlen);
    if (rc != VG_OK)
        agent_state_destroy (&self);
    return self;
}

agent_state_t *
agent_state_new (const char *dir, const char *configured_id, char *err, size_t errlen)
{
    return agent_state_new_block (dir, configured_id, AGENT_STATE_SEQ_BLOCK, err, errlen);
}

void
agent_state_destroy (agent_state_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->dir);
    free ((*self_p)->id);
    free (*self_p);
    *self_p = NULL;
}

const char *
agent_state_id (const agent_state_t *self)
{
    return self->id;
}

const char *
agent_state_dir (const agent_state_t *self)
{
    return self->dir;
}

/* The directory was removed under the running agent (a clean-up, a wiped
 * volume): it is made again with what this process knows, so that a restart
 * continues the same incarnation and sequence instead of starting afresh. */
static int
s_restore_dir (agent_state_t *self, char *err, size_t errlen)
{
    if (access (self->dir, F_OK) == 0 || errno != ENOENT)
        return VG_ENOTFOUND;
    if (s_mkdirs (self->dir) != 0) {
        snprintf (err, errlen, "the state directory %s is gone and cannot be made again: %s",
                  self->dir, strerror (errno));
        return VG_EIO;
    }
    char text[160];
    snprintf (text, sizeof text, "%016llx\n", (unsigned long long)self->incarnation);
    int rc = s_write_atomic (self->dir, "incarnation", text, err, errlen);
    if (rc == VG_OK && self->id_generated) {
        snprintf (text, sizeof text, "%s\n", self->id);
        rc = s_write_atomic (self->dir, "agent_id", text, err, errlen);
    }
    if (rc == VG_OK)
        vg_warn ("the state directory %s was removed while the agent ran; made it again with "
                 "the same id, incarnation and sequence",
                 self->dir);
    return rc;
}

int
agent_state_next_seq (agent_state_t *self, uint64_t *seq, char *err, size_t errlen)
{
    if (self->next >= self->reserved) {
        /* Reserve [next, next + block) on disk before handing out any of it. */
        uint64_t end = self->next + self->block;
        char text[32];
        snprintf (text, sizeof text, "%llu\n", (unsigned long long)end);
        int rc = s_write_atomic (self->dir, "seq", text, err, errlen);
        if (rc != VG_OK && s_restore_dir (self, err, errlen) == VG_OK)
            rc = s_write_atomic (self->dir, "seq", text, err, errlen);
        if (rc != VG_OK)
            return rc;
        self->reserved = end;
    }
    *seq = self->next++;
    self->last = *seq;
    return VG_OK;
}

uint64_t
agent_state_last_seq (const agent_state_t *self)
{
    return self->last;
}

uint64_t
agent_state_incarnation (const agent_state_t *self)
{
    return self->incarnation;
}

void
agent_state_skip_to (agent_state_t *self, uint64_t seq)
{
    if (self->next <= seq)
        self->next = seq + 1;
}
