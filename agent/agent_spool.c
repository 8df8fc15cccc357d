/*  agent_spool.c - batches not yet acknowledged, in segment files. */
#include "agent_spool.h"
#include "agent_spool_reader.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"
#include "vg_time.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_DEFAULT_MAX (256LL * 1024 * 1024)
#define S_SEG_MIN     (64LL * 1024)
#define S_SEG_MAX     (16LL * 1024 * 1024)

typedef struct {
    uint32_t id;
    uint64_t bytes;
    uint64_t live; /* batches in it not done yet */
    int64_t newest_ms;
} s_seg_t;

struct agent_spool_t {
    char *dir;
    agent_spool_opts_t opts;
    int64_t seg_bytes;
    s_seg_t *segs; /* ascending id; the last is the open one */
    size_t nsegs, segs_cap;
    int fd;           /* the open segment, -1 when it could not be made */
    uint64_t wpos;    /* its size */
    uint32_t next_id; /* for the next segment */
    agent_spool_loc_t *recovered;
    size_t nrecovered, recovered_cap;
    struct s_ckpt {
        char *name;
        uint64_t seq;
        uint8_t *text;
        size_t len;
    } * ckpts; /* the newest per input, found at open */
    size_t nckpts;
    uint32_t ckpt_seg;   /* holds the newest positions written: kept while it does */
    uint64_t last_seq;   /* highest seq appended */
    uint64_t synced_seq; /* every batch up to it synced */
    int dirty;           /* written since the last sync */
    int64_t dirty_since; /* monotonic */
    agent_spool_stats_t st;
    vg_complain_t write_complain;
    vg_complain_t sync_complain;
};

static char *
s_seg_path (const agent_spool_t *self, uint32_t id)
{
    return vg_asprintf ("%s/%016" PRIx32 ".seg", self->dir, id);
}

static s_seg_t *
s_seg_find (agent_spool_t *self, uint32_t id)
{
    size_t lo = 0, hi = self->nsegs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->segs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < self->nsegs && self->segs[lo].id == id ? &self->segs[lo] : NULL;
}

static int
s_is_open_seg (const agent_spool_t *self, const s_seg_t *s)
{
    return self->fd >= 0 && self->nsegs && s == &self->segs[self->nsegs - 1];
}

static void
s_seg_remove (agent_spool_t *self, s_seg_t *s)
{
    char *path = s_seg_path (self, s->id);
    if (unlink (path) != 0 && errno != ENOENT)
        vg_warn ("spool: cannot delete %s: %s", path, strerror (errno));
    free (path);
    self->st.bytes -= s->bytes;
    size_t i = (size_t)(s - self->segs);
    memmove (s, s + 1, (self->nsegs - i - 1) * sizeof *s);
    self->nsegs--;
}

static int
s_write_all (int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write (fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = ENOSPC;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int
s_sync_dir (const char *dir)
{
    int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    int rc = fsync (dfd);
    close (dfd);
    return rc;
}

/* ---- reading what an earlier run left --------------------------------- */

/* Keeps the newest position of each input (name NUL text). */
static void
s_keep_ckpt (agent_spool_t *self, const agent_spool_record_t *rec)
{
    const uint8_t *nul = memchr (rec->payload, 0, rec->len);
    if (!nul || nul == rec->payload)
        return;
    const char *name = (const char *)rec->payload;
    size_t tlen = rec->len - (size_t)(nul + 1 - rec->payload);
    struct s_ckpt *c = NULL;
    for (size_t i = 0; i < self->nckpts && !c; i++)
        if (strcmp (self->ckpts[i].name, name) == 0)
            c = &self->ckpts[i];
    if (!c) {
        self->ckpts = vg_realloc (self->ckpts, (self->nckpts + 1) * sizeof *self->ckpts);
        c = &self->ckpts[self->nckpts++];
        memset (c, 0, sizeof *c);
        c->name = vg_strdup (name);
    } else if (c->seq > rec->seq)
        return;
    free (c->text);
    c->seq = rec->seq;
    c->len = tlen;
    c->text = vg_malloc (tlen + 1);
    memcpy (c->text, nul + 1, tlen);
    c->text[tlen] = 0;
}

typedef struct {
    uint64_t *acked;
    size_t nacked, acked_cap;
} s_scan_t;

static int
s_cmp_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int
s_cmp_u32 (const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int
s_cmp_loc (const void *a, const void *b)
{
    const agent_spool_loc_t *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A segment that is not one (or is damaged past its header) is renamed
 * aside, so it is neither read again nor deleted unseen. */
static void
s_set_aside (agent_spool_t *self, const char *path, const char *why)
{
    char *aside = vg_asprintf ("%s.damaged", path);
    self->st.corrupt++;
    if (rename (path, aside) == 0)
        vg_warn ("spool: %s %s; renamed it to %s and went on without it", path, why, aside);
    else
        vg_warn ("spool: %s %s, and it cannot be renamed aside (%s); went on without it", path, why,
                 strerror (errno));
    free (aside);
}

static void
s_scan_segment (agent_spool_t *self, uint32_t id, s_scan_t *scan)
{
    char *path = s_seg_path (self, id);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat (fd, &st) != 0) {
        vg_warn ("spool: cannot read %s: %s; left it as it is", path, strerror (errno));
        if (fd >= 0)
            close (fd);
        free (path);
        return;
    }
    size_t size = (size_t)st.st_size;
    const uint8_t *data = NULL;
    if (size > 0) {
        data = mmap (NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (data == MAP_FAILED) {
            vg_warn ("spool: cannot map %s: %s; left it as it is", path, strerror (errno));
            close (fd);
            free (path);
            return;
        }
    }
    close (fd);
    uint32_t version = 0;
    int hrc = agent_spool_reader_check_header (data, size, &version);
    if (hrc == VG_ETOOBIG) {
        vg_warn ("spool: %s is of format version %u, newer than this agent's (%d); left it for "
                 "a newer agent",
                 path, version, AGENT_SPOOL_VERSION);
        goto out;
    }
    if (hrc != VG_OK) {
        s_set_aside (self, path,
                     size < AGENT_SPOOL_HEADER_SIZE ? "is cut short before its header"
                                                    : "is not a spool segment");
        goto out;
    }
    VG_GROW (self->segs, self->segs_cap, self->nsegs + 1);
    s_seg_t *seg = &self->segs[self->nsegs++];
    memset (seg, 0, sizeof *seg);
    seg->id = id;
    seg->bytes = size;
    self->st.bytes += size;
    agent_spool_reader_t r;
    agent_spool_reader_init (&r, data, size);
    agent_spool_record_t rec;
    while (agent_spool_reader_next (&r, &rec)) {
        if (rec.type == AGENT_SPOOL_ACK) {
            VG_GROW (scan->acked, scan->acked_cap, scan->nacked + 1);
            scan->acked[scan->nacked++] = rec.seq;
            continue;
        }
        if (rec.type == AGENT_SPOOL_CHECKPOINT) {
            s_keep_ckpt (self, &rec);
            continue;
        }
        VG_GROW (self->recovered, self->recovered_cap, self->nrecovered + 1);
        self->recovered[self->nrecovered++] = (agent_spool_loc_t){
            .seq = rec.seq, .made_ms = rec.time_ms, .seg = id, .len = rec.len, .off = rec.offset};
        if (rec.time_ms > seg->newest_ms)
            seg->newest_ms = rec.time_ms;
    }
    if (r.corrupt || r.torn)
        vg_warn ("spool: %s: skipped %llu damaged stretch%s%s; the records around them are kept",
                 path, (unsigned long long)r.corrupt, r.corrupt == 1 ? "" : "es",
                 r.torn ? " and an incomplete last record (the agent stopped while writing it)"
                        : "");
    self->st.corrupt += r.corrupt;
    self->st.torn += r.torn;
out:
    if (data && data != MAP_FAILED)
        munmap ((void *)data, size);
    free (path);
}

/* Lists dir's segments by id. */
static uint32_t *
s_list (const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir (dir);
    if (!d)
        return NULL;
    uint32_t *ids = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        const char *name = e->d_name;
        size_t len = strlen (name);
        if (len != 20 || strcmp (name + 16, ".seg") != 0 || strspn (name, "0123456789abcdef") != 16)
            continue;
        unsigned long long id = strtoull (name, NULL, 16);
        if (id == 0 || id > UINT32_MAX)
            continue;
        VG_GROW (ids, cap, *n + 1);
        ids[(*n)++] = (uint32_t)id;
    }
    closedir (d);
    if (*n > 1)
        qsort (ids, *n, sizeof *ids, s_cmp_u32);
    return ids;
}

/* Keeps the batches no ack record covers, and counts them per segment. */
static void
s_settle (agent_spool_t *self, s_scan_t *scan)
{
    if (scan->nacked > 1)
        qsort (scan->acked, scan->nacked, sizeof *scan->acked, s_cmp_u64);
    if (self->nrecovered > 1)
        qsort (self->recovered, self->nrecovered, sizeof *self->recovered, s_cmp_loc);
    size_t kept = 0, a = 0;
    for (size_t i = 0; i < self->nrecovered; i++) {
        agent_spool_loc_t *loc = &self->recovered[i];
        while (a < scan->nacked && scan->acked[a] < loc->seq)
            a++;
        if (a < scan->nacked && scan->acked[a] == loc->seq)
            continue;
        if (kept && self->recovered[kept - 1].seq == loc->seq)
            continue; /* written twice: the first stands */
        self->recovered[kept++] = *loc;
        s_seg_find (self, loc->seg)->live++;
    }
    self->nrecovered = kept;
    self->st.batches = kept;
    /* Segments with nothing left to send are done. */
    for (size_t i = 0; i < self->nsegs;)
        if (self->segs[i].live == 0)
            s_seg_remove (self, &self->segs[i]);
        else
            i++;
    if (self->nrecovered)
        self->last_seq = self->synced_seq = self->recovered[self->nrecovered - 1].seq;
}

/* Starts a new segment: its header written and synced, and the directory
 * entry too, so that a sync of its records later is enough. */
static int
s_new_segment (agent_spool_t *self, char *err, size_t errlen)
{
    uint32_t id = self->next_id;
    char *path = s_seg_path (self, id);
    int fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640);
    uint8_t header[AGENT_SPOOL_HEADER_SIZE];
    agent_spool_reader_header (header);
    const char *what = "create";
    if (fd >= 0) {
        what = "write the header of";
        if (s_write_all (fd, header, sizeof header) == 0 &&
            (self->opts.fsync_ms == AGENT_SPOOL_FSYNC_NEVER ||
             ((what = "sync", fdatasync (fd) == 0) && s_sync_dir (self->dir) == 0))) {
            self->next_id++;
            self->fd = fd;
            self->wpos = sizeof header;
            VG_GROW (self->segs, self->segs_cap, self->nsegs + 1);
            self->segs[self->nsegs++] = (s_seg_t){.id = id, .bytes = sizeof header};
            self->st.bytes += sizeof header;
            free (path);
            return VG_OK;
        }
        int e = errno;
        close (fd);
        unlink (path);
        errno = e;
    }
    snprintf (err, errlen, "cannot %s spool segment %s: %s", what, path, strerror (errno));
    if (errno == EEXIST)
        self->next_id++; /* a file of that name is there: the next try takes the next id */
    free (path);
    return VG_EIO;
}

static int64_t
s_segment_bytes (const agent_spool_opts_t *o)
{
    if (o->segment_bytes > 0)
        return o->segment_bytes;
    int64_t b = o->max_bytes / 16;
    return b < S_SEG_MIN ? S_SEG_MIN : b > S_SEG_MAX ? S_SEG_MAX : b;
}

void
agent_spool_configure (agent_spool_t *self, const agent_spool_opts_t *opts)
{
    self->opts = *opts;
    if (self->opts.max_bytes <= 0)
        self->opts.max_bytes = S_DEFAULT_MAX;
    self->seg_bytes = s_segment_bytes (&self->opts);
}

static int
s_mkdir (const char *dir)
{
    if (mkdir (dir, 0750) == 0 || errno == EEXIST)
        return 0;
    return -1;
}

agent_spool_t *
agent_spool_open (const char *dir, const agent_spool_opts_t *opts, char *err, size_t errlen)
{
    if (s_mkdir (dir) != 0) {
        snprintf (err, errlen, "cannot create the spool directory %s: %s", dir, strerror (errno));
        return NULL;
    }
    agent_spool_t *self = vg_calloc (1, sizeof *self);
    self->dir = vg_strdup (dir);
    self->fd = -1;
    self->next_id = 1;
    agent_spool_configure (self, opts);
    size_t n = 0;
    uint32_t *ids = s_list (dir, &n);
    s_scan_t scan = {0};
    for (size_t i = 0; i < n; i++)
        s_scan_segment (self, ids[i], &scan);
    if (n)
        self->next_id = ids[n - 1] + 1;
    free (ids);
    s_settle (self, &scan);
    free (scan.acked);
    if (s_new_segment (self, err, errlen) != VG_OK) {
        agent_spool_close (&self);
        return NULL;
    }
    if (self->nrecovered)
        vg_info ("spool: %zu batches to send again from %s (seq %" PRIu64 "..%" PRIu64 ")",
                 self->nrecovered, dir, self->recovered[0].seq,
                 self->recovered[self->nrecovered - 1].seq);
    return self;
}

void
agent_spool_close (agent_spool_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    agent_spool_t *self = *self_p;
    if (self->fd >= 0) {
        char err[256];
        if (agent_spool_sync (self, vg_mono_ms (), 1, err, sizeof err) != VG_OK)
            vg_warn ("spool: %s", err);
        close (self->fd);
        /* A segment that holds nothing to send is not kept for the next run. */
        s_seg_t *open_seg = &self->segs[self->nsegs - 1];
        self->fd = -1;
        if (open_seg->live == 0)
            s_seg_remove (self, open_seg);
    }
    agent_spool_forget_recovered (self);
    free (self->segs);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

size_t
agent_spool_recovered (const agent_spool_t *self, const agent_spool_loc_t **locs)
{
    *locs = self->recovered;
    return self->nrecovered;
}

int
agent_spool_checkpoint (const agent_spool_t *self, const char *name, const uint8_t **text,
                        size_t *len, uint64_t *seq)
{
    for (size_t i = 0; i < self->nckpts; i++)
        if (strcmp (self->ckpts[i].name, name) == 0) {
            *text = self->ckpts[i].text;
            *len = self->ckpts[i].len;
            *seq = self->ckpts[i].seq;
            return 1;
        }
    return 0;
}

void
agent_spool_forget_recovered (agent_spool_t *self)
{
    for (size_t i = 0; i < self->nckpts; i++) {
        free (self->ckpts[i].name);
        free (self->ckpts[i].text);
    }
    free (self->ckpts);
    self->ckpts = NULL;
    self->nckpts = 0;
    free (self->recovered);
    self->recovered = NULL;
    self->nrecovered = self->recovered_cap = 0;
}

/* Closes the open segment (synced first unless the policy is never); a
 * segment with nothing to send goes at once. */
static void
s_roll (agent_spool_t *self)
{
    if (self->fd < 0)
        return;
    if (self->dirty && self->opts.fsync_ms != AGENT_SPOOL_FSYNC_NEVER) {
        char err[256];
        if (agent_spool_sync (self, vg_mono_ms (), 1, err, sizeof err) != VG_OK)
            vg_warn ("spool: %s", err);
    }
    close (self->fd);
    self->fd = -1;
    s_seg_t *s = &self->segs[self->nsegs - 1];
    if (s->live == 0 && s->id != self->ckpt_seg)
        s_seg_remove (self, s);
}

/* Appends records in one write (a kill leaves all or none of them whole):
 * the first is (type, seq, time, data), then a checkpoint record per ckpt.
 * On failure cuts the segment back to where it was. */
static int
s_append (agent_spool_t *self, int type, uint64_t seq, int64_t time_ms, const uint8_t *data,
          size_t len, const agent_spool_ckpt_t *ckpts, size_t nckpts, uint64_t *off, char *err,
          size_t errlen)
{
    size_t total = AGENT_SPOOL_RECORD_SIZE + len;
    for (size_t i = 0; i < nckpts; i++)
        total += AGENT_SPOOL_RECORD_SIZE + strlen (ckpts[i].name) + 1 + ckpts[i].len;
    if (self->fd >= 0 && self->wpos + total > (uint64_t)self->seg_bytes &&
        self->wpos > AGENT_SPOOL_HEADER_SIZE)
        s_roll (self);
    if (self->fd < 0 && s_new_segment (self, err, errlen) != VG_OK)
        return VG_EIO;
    uint8_t *buf = vg_malloc (total);
    agent_spool_reader_record (buf, type, seq, time_ms, data, (uint32_t)len);
    if (len)
        memcpy (buf + AGENT_SPOOL_RECORD_SIZE, data, len);
    size_t at = AGENT_SPOOL_RECORD_SIZE + len;
    for (size_t i = 0; i < nckpts; i++) {
        size_t nlen = strlen (ckpts[i].name) + 1, plen = nlen + ckpts[i].len;
        uint8_t *payload = buf + at + AGENT_SPOOL_RECORD_SIZE;
        memcpy (payload, ckpts[i].name, nlen);
        if (ckpts[i].len)
            memcpy (payload + nlen, ckpts[i].text, ckpts[i].len);
        agent_spool_reader_record (buf + at, AGENT_SPOOL_CHECKPOINT, seq, time_ms, payload,
                                   (uint32_t)plen);
        at += AGENT_SPOOL_RECORD_SIZE + plen;
    }
    int rc = s_write_all (self->fd, buf, total);
    free (buf);
    if (rc != 0) {
        int e = errno;
        char *path = s_seg_path (self, self->segs[self->nsegs - 1].id);
        snprintf (err, errlen, "cannot write to %s: %s", path, strerror (e));
        free (path);
        if (ftruncate (self->fd, (off_t)self->wpos) != 0)
            s_roll (self); /* the damaged end is skipped when read back */
        return VG_EIO;
    }
    *off = self->wpos;
    self->wpos += total;
    self->segs[self->nsegs - 1].bytes += total;
    self->st.bytes += total;
    if (!self->dirty) {
        self->dirty = 1;
        self->dirty_since = vg_mono_ms ();
    }
    return VG_OK;
}

int
agent_spool_append (agent_spool_t *self, uint64_t seq, int64_t made_ms, const uint8_t *data,
                    size_t len, const agent_spool_ckpt_t *ckpts, size_t nckpts, int64_t now_mono_ms,
                    agent_spool_loc_t *loc, char *err, size_t errlen)
{
    *loc = (agent_spool_loc_t){.seq = seq, .made_ms = made_ms, .len = (uint32_t)len};
    if (len > AGENT_SPOOL_MAX_PAYLOAD) {
        snprintf (err, errlen, "a batch of %zu bytes is larger than a spool record may be", len);
        self->st.write_errors++;
        return VG_EIO;
    }
    uint64_t off = 0;
    if (s_append (self, AGENT_SPOOL_BATCH, seq, made_ms, data, len, ckpts, nckpts, &off, err,
                  errlen) != VG_OK) {
        self->st.write_errors++;
        return VG_EIO;
    }
    s_seg_t *s = &self->segs[self->nsegs - 1];
    if (nckpts && self->ckpt_seg != s->id) {
        /* The segment that held the newest positions no longer does. */
        s_seg_t *old = self->ckpt_seg ? s_seg_find (self, self->ckpt_seg) : NULL;
        self->ckpt_seg = s->id;
        if (old && old->live == 0 && !s_is_open_seg (self, old))
            s_seg_remove (self, old);
        s = &self->segs[self->nsegs - 1];
    }
    s->live++;
    if (made_ms > s->newest_ms)
        s->newest_ms = made_ms;
    self->st.batches++;
    loc->seg = s->id;
    loc->off = off;
    if (seq > self->last_seq)
        self->last_seq = seq;
    if (self->opts.fsync_ms == AGENT_SPOOL_FSYNC_NEVER)
        self->synced_seq = self->last_seq;
    else if (self->opts.fsync_ms == AGENT_SPOOL_FSYNC_ALWAYS) {
        char why[256];
        if (agent_spool_sync (self, now_mono_ms, 1, why, sizeof why) != VG_OK)
            vg_complain (&self->sync_complain, 60000, VG_LOG_WARN, "spool: %s", why);
    }
    return VG_OK;
}

int
agent_spool_read (agent_spool_t *self, const agent_spool_loc_t *loc, uint8_t **data, size_t *len,
                  char *err, size_t errlen)
{
    *data = NULL;
    *len = 0;
    char *path = s_seg_path (self, loc->seg);
    int own = !(self->fd >= 0 && self->nsegs && self->segs[self->nsegs - 1].id == loc->seg);
    int fd = own ? open (path, O_RDONLY | O_CLOEXEC) : self->fd;
    int rc = VG_EIO;
    size_t total = AGENT_SPOOL_RECORD_SIZE + (size_t)loc->len;
    uint8_t *buf = NULL;
    if (fd < 0 && errno == ENOENT) {
        /* Removed from outside (a wiped state directory): it will never be
         * readable again, so it must not hold a place in the sender. */
        snprintf (err, errlen, "the spool segment %s holding batch seq %" PRIu64 " is gone", path,
                  loc->seq);
        self->st.corrupt++;
        rc = VG_EPROTO;
        goto out;
    }
    if (fd < 0) {
        snprintf (err, errlen, "cannot open %s: %s", path, strerror (errno));
        goto out;
    }
    buf = vg_malloc (total);
    ssize_t got = pread (fd, buf, total, (off_t)loc->off);
    if (got < 0) {
        snprintf (err, errlen, "cannot read %s: %s", path, strerror (errno));
        goto out;
    }
    if ((size_t)got != total || !agent_spool_reader_valid (buf, total)) {
        snprintf (err, errlen, "the record of batch seq %" PRIu64 " in %s no longer checks out",
                  loc->seq, path);
        self->st.corrupt++;
        rc = VG_EPROTO;
        goto out;
    }
    memmove (buf, buf + AGENT_SPOOL_RECORD_SIZE, loc->len);
    *data = buf;
    *len = loc->len;
    buf = NULL;
    rc = VG_OK;
out:
    if (own && fd >= 0)
        close (fd);
    free (buf);
    free (path);
    return rc;
}

void
agent_spool_done (agent_spool_t *self, const agent_spool_loc_t *loc, int64_t now_ms)
{
    s_seg_t *s = loc->seg ? s_seg_find (self, loc->seg) : NULL;
    if (!s || s->live == 0)
        return;
    s->live--;
    self->st.batches--;
    if (s->live == 0 && !s_is_open_seg (self, s) && s->id != self->ckpt_seg) {
        s_seg_remove (self, s);
        return;
    }
    uint64_t off;
    char err[256];
    if (s_append (self, AGENT_SPOOL_ACK, loc->seq, now_ms, NULL, 0, NULL, 0, &off, err,
                  sizeof err) != VG_OK)
        vg_complain (&self->write_complain, 60000, VG_LOG_WARN,
                     "spool: %s; the batch may be sent once more after a restart", err);
}

int
agent_spool_over_bound (const agent_spool_t *self, int64_t now_ms, uint32_t *seg)
{
    *seg = 0;
    if (self->nsegs < 2)
        return 0; /* the open segment stays */
    const s_seg_t *oldest = &self->segs[0];
    int over_bytes = self->st.bytes > (uint64_t)self->opts.max_bytes;
    int over_age = self->opts.max_age_ms > 0 && oldest->newest_ms > 0 &&
                   oldest->newest_ms < now_ms - self->opts.max_age_ms;
    if (!over_bytes && !over_age)
        return 0;
    *seg = oldest->id;
    return over_bytes ? AGENT_SPOOL_OVER_BYTES : AGENT_SPOOL_OVER_AGE;
}

void
agent_spool_drop (agent_spool_t *self, uint32_t seg)
{
    s_seg_t *s = s_seg_find (self, seg);
    if (!s)
        return;
    self->st.batches -= s->live;
    if (s_is_open_seg (self, s)) {
        close (self->fd);
        self->fd = -1;
    }
    s_seg_remove (self, s);
}

int
agent_spool_sync (agent_spool_t *self, int64_t now_mono_ms, int force, char *err, size_t errlen)
{
    if (!self->dirty || self->fd < 0)
        return VG_OK;
    if (!force && now_mono_ms < agent_spool_next_sync (self))
        return VG_OK;
    if (fdatasync (self->fd) != 0) {
        self->st.sync_errors++;
        snprintf (err, errlen, "cannot sync the spool segment in %s: %s", self->dir,
                  strerror (errno));
        return VG_EIO;
    }
    self->st.syncs++;
    self->dirty = 0;
    self->synced_seq = self->last_seq;
    return VG_OK;
}

int64_t
agent_spool_next_sync (const agent_spool_t *self)
{
    if (!self->dirty || self->opts.fsync_ms < 0)
        return INT64_MAX;
    return self->dirty_since + self->opts.fsync_ms;
}

uint64_t
agent_spool_synced_seq (const agent_spool_t *self)
{
    return self->synced_seq;
}

void
agent_spool_stats (const agent_spool_t *self, agent_spool_stats_t *out)
{
    *out = self->st;
    out->segments = self->nsegs;
}

const char *
agent_spool_dir (const agent_spool_t *self)
{
    return self->dir;
}
