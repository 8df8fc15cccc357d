/*  logtail_follow.c - following log files by (device, inode) across
 *  rename-rotation and copytruncate, with positions kept in a state file.
 *
 *  Files are read with pread at the position the follower keeps, which is
 *  always at a line start (or inside a line being cut): an incomplete last
 *  line is left in the file and read again, whole, at a later poll, so no
 *  per-file buffer is needed. One read buffer serves every file.
 */
#include "logtail_follow.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"
#include "vg_log.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_HEAD_MAX    64 /* bytes of a file's start kept as its fingerprint */
#define S_BUF_MIN     (64 * 1024)
#define S_COMPLAIN_MS 60000
#define S_STATE_MAGIC "vigil-logtail-state 1"
#define S_MAX_MARKS   64 /* positions waiting for their batch to be safe */

typedef struct {
    char *path; /* where it was last matched; owned */
    int fd;
    dev_t dev;
    ino_t ino;
    uint64_t offset;   /* the next byte to hand out */
    uint64_t size;     /* at the last poll */
    uint32_t head_len; /* fingerprint: a hash of the first head_len bytes */
    uint64_t head_hash;
    int skipping; /* inside a line longer than max_line: drop up to its end */
    int gone;     /* no pattern matches it any more: finish it, then close */
    int closed;
    uint64_t seen; /* the poll that last matched it */
} s_file_t;

/* A position from the state file, waiting for its file to be seen. */
typedef struct {
    dev_t dev;
    ino_t ino;
    uint64_t offset;
    uint32_t head_len;
    uint64_t head_hash;
} s_saved_t;

struct logtail_follow_t {
    char *name;
    char **patterns;
    size_t npatterns;
    int from_beginning;
    size_t max_line;
    size_t read_budget;
    size_t max_files;
    char *state_path;

    s_file_t *files;
    size_t nfiles;
    size_t files_cap;
    s_saved_t *saved;
    size_t nsaved;
    unsigned char *pattern_known; /* per pattern: in the state file */
    uint64_t polls;
    size_t next_first;  /* round-robin start, so one busy file cannot starve the rest */
    int dirty;          /* positions changed since the last save */
    uint64_t state_seq; /* the batch the positions loaded belong to (0: unknown) */

    /* The state file's text as of each sealed batch, oldest first. */
    struct {
        uint64_t seq;
        vg_buf_t text;
    } marks[S_MAX_MARKS];
    size_t nmarks;

    char *buf;
    size_t buf_cap;
    logtail_follow_stats_t st;
    vg_complain_t open_complaint;
    vg_complain_t read_complaint;
};

/* FNV-1a: the fingerprint is at most 64 bytes, read once per file and poll. */
static uint64_t
s_fnv (const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ---- the state file --------------------------------------------------- */

static void
s_escape (vg_buf_t *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            vg_buf_puts (out, "\\\\");
        else if (*s == '\n')
            vg_buf_puts (out, "\\n");
        else
            vg_buf_append (out, s, 1);
    }
}

/* Undoes s_escape in place. */
static void
s_unescape (char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (*s == '\\' && (s[1] == '\\' || s[1] == 'n')) {
            *o++ = s[1] == 'n' ? '\n' : '\\';
            s++;
        } else
            *o++ = *s;
    }
    *o = '\0';
}

/* Reads positions from f (the state file, or the text a spool kept): what
 * names it in a warning. Replaces what was read before. */
static void
s_state_parse (logtail_follow_t *self, FILE *f, const char *what)
{
    free (self->saved);
    self->saved = NULL;
    self->nsaved = 0;
    memset (self->pattern_known, 0, self->npatterns);
    self->state_seq = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0, ok = 1;
    while ((n = getline (&line, &cap, f)) >= 0) {
        lineno++;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (lineno == 1) {
            ok = strcmp (line, S_STATE_MAGIC) == 0;
            if (!ok)
                break;
            continue;
        }
        if (strncmp (line, "pattern ", 8) == 0) {
            s_unescape (line + 8);
            for (size_t i = 0; i < self->npatterns; i++)
                if (strcmp (self->patterns[i], line + 8) == 0)
                    self->pattern_known[i] = 1;
            continue;
        }
        if (strncmp (line, "counter ", 8) == 0)
            continue; /* the rules' totals, read by the input (logtail_rules.h) */
        uintmax_t seq;
        if (sscanf (line, "seq %ju", &seq) == 1) {
            self->state_seq = (uint64_t)seq;
            continue;
        }
        uintmax_t dev, ino, offset, head_hash;
        unsigned head_len;
        int used = 0;
        if (sscanf (line, "file %ju %ju %ju %u %jx %n", &dev, &ino, &offset, &head_len, &head_hash,
                    &used) < 5 ||
            used == 0 || head_len > S_HEAD_MAX) {
            ok = 0;
            break;
        }
        /* More than max_files entries cannot come from this agent's saves. */
        if (self->nsaved >= self->max_files)
            continue;
        self->saved = vg_realloc (self->saved, (self->nsaved + 1) * sizeof *self->saved);
        self->saved[self->nsaved++] = (s_saved_t){.dev = (dev_t)dev,
                                                  .ino = (ino_t)ino,
                                                  .offset = offset,
                                                  .head_len = head_len,
                                                  .head_hash = head_hash};
    }
    free (line);
    if (!ok) {
        vg_warn ("%s: %s:%d: not a logtail state file; following from the ends of files",
                 self->name, what, lineno);
        free (self->saved);
        self->saved = NULL;
        self->nsaved = 0;
        memset (self->pattern_known, 0, self->npatterns);
        self->state_seq = 0;
    }
}

static void
s_state_load (logtail_follow_t *self)
{
    FILE *f = fopen (self->state_path, "re");
    if (!f) {
        if (errno != ENOENT)
            vg_warn ("%s: cannot read %s: %s; following from the ends of files", self->name,
                     self->state_path, strerror (errno));
        return;
    }
    s_state_parse (self, f, self->state_path);
    fclose (f);
}

int
logtail_follow_restore (logtail_follow_t *self, const char *text, size_t len, uint64_t seq)
{
    if (self->polls || seq <= self->state_seq || len == 0)
        return 0;
    FILE *f = fmemopen ((void *)text, len, "r");
    if (!f)
        return 0;
    s_state_parse (self, f, "the positions kept in the spool");
    fclose (f);
    return 1;
}

/* The state file's text for the positions held now. */
static void
s_state_text (logtail_follow_t *self, uint64_t seq, vg_buf_t *text)
{
    vg_buf_reset (text);
    vg_buf_printf (text, "%s\n", S_STATE_MAGIC);
    if (seq)
        vg_buf_printf (text, "seq %ju\n", (uintmax_t)seq);
    for (size_t i = 0; i < self->npatterns; i++) {
        vg_buf_puts (text, "pattern ");
        s_escape (text, self->patterns[i]);
        vg_buf_puts (text, "\n");
    }
    for (size_t i = 0; i < self->nfiles; i++) {
        const s_file_t *f = &self->files[i];
        vg_buf_printf (text, "file %ju %ju %ju %u %jx ", (uintmax_t)f->dev, (uintmax_t)f->ino,
                       (uintmax_t)f->offset, f->head_len, (uintmax_t)f->head_hash);
        s_escape (text, f->path);
        vg_buf_puts (text, "\n");
    }
}

/* Writes text as the state file: a temporary file, fsync, rename. */
static int
s_state_write (logtail_follow_t *self, const vg_buf_t *text, char *err, size_t errlen)
{
    char *tmp = vg_asprintf ("%s.tmp", self->state_path);
    int rc = VG_EIO;
    const char *what = "open";
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd >= 0) {
        size_t done = 0;
        what = "write";
        while (done < text->len) {
            ssize_t n = write (fd, text->data + done, text->len - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            done += (size_t)n;
        }
        /* fsync before rename: after a crash the file is the old or the new one, whole. */
        if (done == text->len && (what = "fsync", fsync (fd) == 0) &&
            (what = "rename", rename (tmp, self->state_path) == 0))
            rc = VG_OK;
        int saved = errno;
        close (fd);
        errno = saved;
    }
    if (rc != VG_OK) {
        snprintf (err, errlen, "%s: %s %s: %s", self->name, what, tmp, strerror (errno));
        unlink (tmp);
    }
    free (tmp);
    return rc;
}

int
logtail_follow_save (logtail_follow_t *self, char *err, size_t errlen)
{
    if (!self->state_path || !self->dirty)
        return VG_OK;
    vg_buf_t text = {0};
    s_state_text (self, 0, &text);
    int rc = s_state_write (self, &text, err, errlen);
    if (rc == VG_OK)
        self->dirty = 0;
    vg_buf_free (&text);
    return rc;
}

const vg_buf_t *
logtail_follow_checkpoint (logtail_follow_t *self, uint64_t seq, const vg_buf_t *extra)
{
    if (!self->state_path)
        return NULL;
    if (self->nmarks == S_MAX_MARKS) {
        /* Long unsafe (the spool failing, no acks): keep the newest; a
         * commit then waits for a later batch, which loses nothing. */
        vg_buf_free (&self->marks[0].text);
        memmove (&self->marks[0], &self->marks[1], (S_MAX_MARKS - 1) * sizeof self->marks[0]);
        self->nmarks--;
    }
    self->marks[self->nmarks].seq = seq;
    memset (&self->marks[self->nmarks].text, 0, sizeof self->marks[self->nmarks].text);
    s_state_text (self, seq, &self->marks[self->nmarks].text);
    if (extra && extra->len)
        vg_buf_append (&self->marks[self->nmarks].text, extra->data, extra->len);
    return &self->marks[self->nmarks++].text;
}

int
logtail_follow_commit (logtail_follow_t *self, uint64_t seq, char *err, size_t errlen)
{
    size_t k = 0;
    while (k < self->nmarks && self->marks[k].seq <= seq)
        k++;
    if (k == 0)
        return VG_OK;
    int rc = s_state_write (self, &self->marks[k - 1].text, err, errlen);
    if (rc != VG_OK)
        return rc; /* kept: the next commit tries again */
    for (size_t i = 0; i < k; i++)
        vg_buf_free (&self->marks[i].text);
    memmove (&self->marks[0], &self->marks[k], (self->nmarks - k) * sizeof self->marks[0]);
    self->nmarks -= k;
    return VG_OK;
}

int
logtail_follow_commit_all (logtail_follow_t *self, char *err, size_t errlen)
{
    return self->nmarks
               ? logtail_follow_commit (self, self->marks[self->nmarks - 1].seq, err, errlen)
               : VG_OK;
}

/* ---- lifecycle -------------------------------------------------------- */

logtail_follow_t *
logtail_follow_new (const logtail_follow_opts_t *opts)
{
    logtail_follow_t *self = vg_calloc (1, sizeof *self);
    self->name = vg_strdup (opts->name ? opts->name : "logtail");
    self->npatterns = opts->npatterns;
    self->patterns = vg_calloc (opts->npatterns + 1, sizeof *self->patterns);
    for (size_t i = 0; i < opts->npatterns; i++)
        self->patterns[i] = vg_strdup (opts->patterns[i]);
    self->pattern_known = vg_calloc (opts->npatterns + 1, 1);
    self->from_beginning = opts->from_beginning;
    self->max_line = opts->max_line ? opts->max_line : 16384;
    /* A read must be able to hold a whole cut line plus its newline, or a
     * long line would never move the position. */
    self->read_budget = opts->read_budget;
    if (self->read_budget < self->max_line + 2)
        self->read_budget = self->max_line + 2;
    self->max_files = opts->max_files ? opts->max_files : 100;
    self->buf_cap = S_BUF_MIN;
    if (self->buf_cap < 2 * self->max_line + 2)
        self->buf_cap = 2 * self->max_line + 2;
    self->buf = vg_malloc (self->buf_cap);
    if (opts->state_path) {
        self->state_path = vg_strdup (opts->state_path);
        s_state_load (self);
    }
    return self;
}

static void
s_close (s_file_t *f)
{
    if (f->fd >= 0)
        close (f->fd);
    f->fd = -1;
    f->closed = 1;
}

void
logtail_follow_destroy (logtail_follow_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    logtail_follow_t *self = *self_p;
    for (size_t i = 0; i < self->nfiles; i++) {
        s_close (&self->files[i]);
        free (self->files[i].path);
    }
    free (self->files);
    for (size_t i = 0; i < self->npatterns; i++)
        free (self->patterns[i]);
    free (self->patterns);
    free (self->pattern_known);
    free (self->saved);
    for (size_t i = 0; i < self->nmarks; i++)
        vg_buf_free (&self->marks[i].text);
    free (self->state_path);
    free (self->name);
    free (self->buf);
    free (self);
    *self_p = NULL;
}

void
logtail_follow_stats (const logtail_follow_t *self, logtail_follow_stats_t *st)
{
    *st = self->st;
    st->files = self->nfiles;
}

/* ---- finding files ---------------------------------------------------- */

static s_file_t *
s_find (logtail_follow_t *self, dev_t dev, ino_t ino)
{
    for (size_t i = 0; i < self->nfiles; i++)
        if (self->files[i].dev == dev && self->files[i].ino == ino && !self->files[i].closed)
            return &self->files[i];
    return NULL;
}

/* Reads the file's first bytes and checks them against its fingerprint,
 * growing the fingerprint while the file is shorter than S_HEAD_MAX.
 * Returns 0 when they differ (the file was rewritten from the start). */
static int
s_head_check (logtail_follow_t *self, s_file_t *f, uint64_t size)
{
    char head[S_HEAD_MAX];
    size_t want = size < S_HEAD_MAX ? (size_t)size : S_HEAD_MAX;
    if (want < f->head_len)
        return 0; /* now shorter than its fingerprint */
    if (want == 0)
        return 1;
    ssize_t n = pread (f->fd, head, want, 0);
    if (n < 0)
        return 1; /* a read error is counted when the data is read */
    if ((size_t)n < f->head_len)
        return 0;
    if (f->head_len && s_fnv (head, f->head_len) != f->head_hash)
        return 0;
    if ((size_t)n > f->head_len) {
        f->head_len = (uint32_t)n;
        f->head_hash = s_fnv (head, (size_t)n);
        self->dirty = 1;
    }
    return 1;
}

static void
s_open (logtail_follow_t *self, const char *path, size_t pattern)
{
    if (self->nfiles >= self->max_files) {
        self->st.dropped_files++;
        return;
    }
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        self->st.open_errors++;
        vg_complain (&self->open_complaint, S_COMPLAIN_MS, VG_LOG_WARN, "%s: cannot open %s: %s",
                     self->name, path, strerror (errno));
        return;
    }
    struct stat st;
    /* The path may have been replaced between glob and open: trust the descriptor. */
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        close (fd);
        return;
    }
    s_file_t *known = s_find (self, st.st_dev, st.st_ino);
    if (known) {
        known->seen = self->polls; /* renamed here just now: still matched */
        known->gone = 0;
        close (fd);
        return;
    }
    VG_GROW (self->files, self->files_cap, self->nfiles + 1);
    s_file_t *f = &self->files[self->nfiles++];
    memset (f, 0, sizeof *f);
    f->path = vg_strdup (path);
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->seen = self->polls;
    uint64_t size = (uint64_t)st.st_size;
    f->size = size;
    self->dirty = 1;

    s_saved_t *sv = NULL;
    for (size_t i = 0; i < self->nsaved && !sv; i++)
        if (self->saved[i].dev == f->dev && self->saved[i].ino == f->ino)
            sv = &self->saved[i];
    if (sv) {
        f->head_len = sv->head_len;
        f->head_hash = sv->head_hash;
        if (sv->offset <= size && s_head_check (self, f, size))
            f->offset = sv->offset;
        else {
            /* Truncated, or a new file that got the inode of a deleted one. */
            self->st.truncations++;
            f->head_len = 0;
            f->offset = 0;
        }
        sv->dev = 0;
        sv->ino = 0;
    } else if (self->polls == 1 && !self->from_beginning && !self->pattern_known[pattern])
        f->offset = size;
    else
        f->offset = 0;
    s_head_check (self, f, size);
}

/* Expands every pattern: known files are marked seen (and renamed if their
 * path changed), new ones opened, and files no pattern matched are gone. */
static void
s_scan (logtail_follow_t *self)
{
    for (size_t p = 0; p < self->npatterns; p++) {
        glob_t g;
        memset (&g, 0, sizeof g);
        int rc = glob (self->patterns[p], GLOB_BRACE, NULL, &g);
        for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++) {
            const char *path = g.gl_pathv[i];
            struct stat st;
            if (stat (path, &st) != 0 || !S_ISREG (st.st_mode))
                continue;
            s_file_t *f = s_find (self, st.st_dev, st.st_ino);
            if (!f) {
                s_open (self, path, p);
                continue;
            }
            if (f->seen != self->polls && strcmp (f->path, path) != 0) {
                /* Renamed to a path the patterns still match (app.log -> app.log.1
                 * under app.log*): the same file, read on as before. */
                free (f->path);
                f->path = vg_strdup (path);
                self->dirty = 1;
            }
            f->seen = self->polls;
            f->gone = 0;
        }
        globfree (&g);
    }
    for (size_t i = 0; i < self->nfiles; i++) {
        s_file_t *f = &self->files[i];
        if (f->seen != self->polls && !f->gone) {
            f->gone = 1;
            self->st.rotations++;
        }
    }
    /* Saved positions are for the files present when the agent starts. */
    if (self->polls == 1) {
        free (self->saved);
        self->saved = NULL;
        self->nsaved = 0;
    }
}

/* ---- reading ---------------------------------------------------------- */

static void
s_line (logtail_follow_t *self, const char *p, size_t len, logtail_follow_line_fn *fn, void *arg)
{
    if (len > self->max_line) {
        len = self->max_line;
        self->st.truncated_lines++;
    } else if (len > 0 && p[len - 1] == '\r')
        len--;
    self->st.lines++;
    fn (arg, p, len);
}

/* Hands out the complete lines of buf[0 .. n); returns the bytes consumed. */
static size_t
s_lines (logtail_follow_t *self, s_file_t *f, const char *buf, size_t n, logtail_follow_line_fn *fn,
         void *arg)
{
    const char *p = buf, *end = buf + n;
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t)(end - p));
        if (f->skipping) {
            if (!nl)
                return n;
            f->skipping = 0;
            p = nl + 1;
            continue;
        }
        if (nl) {
            s_line (self, p, (size_t)(nl - p), fn, arg);
            p = nl + 1;
            continue;
        }
        if ((size_t)(end - p) > self->max_line) {
            /* Too long to ever fit: hand out its start, drop the rest. */
            s_line (self, p, (size_t)(end - p), fn, arg);
            f->skipping = 1;
            return n;
        }
        break; /* an incomplete line: read again, whole, later */
    }
    return (size_t)(p - buf);
}

/* Reads what is new in one file, within *budget. */
static void
s_read (logtail_follow_t *self, s_file_t *f, size_t *budget, logtail_follow_line_fn *fn, void *arg)
{
    struct stat st;
    if (fstat (f->fd, &st) != 0) {
        self->st.read_errors++;
        return;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size < f->offset || !s_head_check (self, f, size)) {
        /* copytruncate (or the file was rewritten): start again from 0. */
        self->st.truncations++;
        f->offset = 0;
        f->skipping = 0;
        f->head_len = 0;
        s_head_check (self, f, size);
        self->dirty = 1;
    }
    int grew = size != f->size;
    f->size = size;
    int partial = 0;
    while (f->offset<size && * budget> 0) {
        size_t want = self->buf_cap;
        if (want > *budget)
            want = *budget;
        if (want > size - f->offset)
            want = (size_t)(size - f->offset);
        ssize_t n = pread (f->fd, self->buf, want, (off_t)f->offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            self->st.read_errors++;
            vg_complain (&self->read_complaint, S_COMPLAIN_MS, VG_LOG_WARN, "%s: reading %s: %s",
                         self->name, f->path, strerror (errno));
            return;
        }
        if (n == 0)
            break;
        *budget -= (size_t)n;
        size_t used = s_lines (self, f, self->buf, (size_t)n, fn, arg);
        f->offset += used;
        self->st.bytes += used;
        if (used)
            self->dirty = 1;
        if (used == 0) {
            partial = (size_t)n == size - f->offset;
            break;
        }
    }
    if (!f->gone || grew || (f->offset < size && !partial))
        return;
    /* Gone, quiet since the last poll, and read to its end: its last line
     * will never get a newline now, so it is handed out as it is. */
    if (partial) {
        ssize_t n = pread (f->fd, self->buf, (size_t)(size - f->offset), (off_t)f->offset);
        if (n > 0 && !f->skipping)
            s_line (self, self->buf, (size_t)n, fn, arg);
        if (n > 0)
            self->st.bytes += (uint64_t)n;
    }
    s_close (f);
    self->dirty = 1;
}

static void
s_sweep (logtail_follow_t *self)
{
    size_t kept = 0;
    self->st.backlog = 0;
    for (size_t i = 0; i < self->nfiles; i++) {
        s_file_t *f = &self->files[i];
        if (f->closed) {
            free (f->path);
            continue;
        }
        if (f->size > f->offset)
            self->st.backlog += f->size - f->offset;
        self->files[kept++] = *f;
    }
    self->nfiles = kept;
}

void
logtail_follow_scan (logtail_follow_t *self)
{
    self->polls++;
    s_scan (self);
    s_sweep (self);
}

void
logtail_follow_poll (logtail_follow_t *self, logtail_follow_line_fn *fn, void *arg)
{
    self->polls++;
    s_scan (self);
    size_t budget = self->read_budget;
    /* Rotated files first, so lines come out in the order they were written. */
    for (size_t i = 0; i < self->nfiles; i++)
        if (self->files[i].gone)
            s_read (self, &self->files[i], &budget, fn, arg);
    size_t n = self->nfiles;
    for (size_t k = 0; k < n; k++) {
        s_file_t *f = &self->files[(self->next_first + k) % n];
        if (!f->gone)
            s_read (self, f, &budget, fn, arg);
    }
    if (n)
        self->next_first = (self->next_first + 1) % n;
    if (budget == 0)
        self->st.budget_exhausted++;
    s_sweep (self);
}
