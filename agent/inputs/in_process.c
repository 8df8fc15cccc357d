/*  in_process.c - the process input: is a watched process up, and what does
 *  it use.
 *
 *  One instance watches the processes that match one rule: `comm` (the
 *  process name, exactly; `name` is already the instance's name in
 *  agent.yaml), `cmdline` (a PCRE2 regex over the command line) or `pidfile`.
 *  Several processes may match (a pre-forking server's workers); the instance
 *  emits sums over them with a count, labelled process=<instance name>.
 *
 *  Everything comes from ROOT/proc, read with plain read(2) and getdents64(2)
 *  into buffers the context keeps. The pids seen are kept in two tables, for
 *  CPU deltas and to notice restarts; they grow with the matches (a collect
 *  allocates only when more match than ever before) up to max_processes, and
 *  matches over the cap are dropped and counted.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "agent_input.h"
#include "input_util.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcre2.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROCESS_COMM_MAX    15    /* TASK_COMM_LEN - 1: the kernel truncates comm */
#define PROCESS_CMDLINE_MAX 4096  /* the regex sees this much of a command line */
#define PROCESS_DENTS_SIZE  16384 /* getdents64 buffer */

/* A matching process as seen by one collect. (pid, start) names it: a pid
 * reused by another process has another start time. */
typedef struct {
    int pid;
    uint64_t start; /* starttime: clock ticks after boot */
    uint64_t ticks; /* utime + stime */
} process_seen_t;

typedef struct {
    /* options, filled by the core from agent.yaml */
    char *root;
    char *comm;
    char *cmdline;
    char *pidfile;
    int64_t max_processes;

    /* state */
    char *instance;
    const char *root_dir; /* root without its trailing slashes: "" for "/" */
    int root_len;
    pcre2_code *re;
    pcre2_match_data *md;
    char *buf;   /* a command line, PROCESS_CMDLINE_MAX + 1 */
    char *scan;  /* ROOT/proc's entries, PROCESS_DENTS_SIZE */
    char *dents; /* a process's fd entries, PROCESS_DENTS_SIZE */
    process_seen_t *prev, *cur;
    size_t nprev, ncur, prev_cap, cur_cap; /* the tables grow to max_processes at most */
    int have_prev;
    int64_t prev_ms;
    uint64_t pending_gone; /* pids gone and not yet replaced by a new one */
    uint64_t restarts;
    uint64_t dropped;
    double btime; /* boot time, seconds since the epoch; 0 if unknown */
    int btime_read;
    long clk_tck;
    long page_size;
    int self_pid; /* left out of cmdline matches; 0 when root is not "/" */
} process_ctx_t;

/* The fields of ROOT/proc/PID/stat this input uses. */
typedef struct {
    const char *comm; /* points into the text read */
    size_t comm_len;
    char state;
    uint64_t utime, stime, threads, start, rss_pages;
} process_stat_t;

/* What one collect adds up over the matches. */
typedef struct {
    uint64_t count, rss_pages, threads, fds, fd_unreadable, fd_read;
    uint64_t oldest_start;
} process_sum_t;

/* ---- options ---------------------------------------------------------- */

/* comm, cmdline and pidfile exclude each other. Each is parsed by its own
 * function, which finds its siblings from its field's place in the context,
 * so the second one set is reported at its own line. */
static int
s_parse_rule (vg_config_t *cfg, vg_cnode_t *node, const char *key, process_ctx_t *self,
              char **field, char *err, size_t errlen)
{
    char *text = vg_cnode_strdup (node);
    if (!text)
        return vg_config_error (cfg, node, key, err, errlen, "expected a string");
    const char *other = NULL;
    if (self->comm && field != &self->comm)
        other = "comm";
    else if (self->cmdline && field != &self->cmdline)
        other = "cmdline";
    else if (self->pidfile && field != &self->pidfile)
        other = "pidfile";
    int rc = VG_OK;
    if (!*text)
        rc = vg_config_error (cfg, node, key, err, errlen, "must not be empty");
    else if (other)
        rc = vg_config_error (cfg, node, key, err, errlen,
                              "set only one of comm, cmdline and pidfile (%s is set too); "
                              "watch each in an instance of its own",
                              other);
    else if (field == &self->cmdline)
        rc = input_util_check_regex (cfg, node, key, text, err, errlen);
    if (rc != VG_OK) {
        free (text);
        return rc;
    }
    *field = text;
    return VG_OK;
}

#define S_CTX_OF(field, member)                                                                    \
    ((process_ctx_t *)((char *)(field)-offsetof (process_ctx_t, member)))

static int
s_parse_comm (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
              size_t errlen)
{
    return s_parse_rule (cfg, node, key, S_CTX_OF (field, comm), field, err, errlen);
}

static int
s_parse_cmdline (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
                 size_t errlen)
{
    return s_parse_rule (cfg, node, key, S_CTX_OF (field, cmdline), field, err, errlen);
}

static int
s_parse_pidfile (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
                 size_t errlen)
{
    return s_parse_rule (cfg, node, key, S_CTX_OF (field, pidfile), field, err, errlen);
}

#define S_OPT(field) offsetof (process_ctx_t, field)

static const vg_option_t s_options[] = {
    {.name = "root",
     .type = VG_OPT_STRING,
     .def = "/",
     .offset = S_OPT (root),
     .help = "directory holding proc/ (a host's root mounted in a container, or a test tree)"},
    {.name = "comm",
     .type = VG_OPT_CUSTOM,
     .offset = S_OPT (comm),
     .parse = s_parse_comm,
     .free = input_util_free_string,
     .help = "string; one of comm, cmdline, pidfile: processes named exactly this (ps -o comm)"},
    {.name = "cmdline",
     .type = VG_OPT_CUSTOM,
     .offset = S_OPT (cmdline),
     .parse = s_parse_cmdline,
     .free = input_util_free_string,
     .help =
         "string; one of comm, cmdline, pidfile: processes whose command line matches this regex"},
    {.name = "pidfile",
     .type = VG_OPT_CUSTOM,
     .offset = S_OPT (pidfile),
     .parse = s_parse_pidfile,
     .free = input_util_free_string,
     .help = "string; one of comm, cmdline, pidfile: the process whose pid this file holds"},
    {.name = "max_processes",
     .type = VG_OPT_INT,
     .def = "1000",
     .min = 1,
     .max = 100000,
     .offset = S_OPT (max_processes),
     .help = "matches looked at per collect; more are dropped and counted"},
    {.name = NULL},
};

/* ---- reading /proc ---------------------------------------------------- */

/* Parses a /proc/PID/stat line. comm sits in parentheses and may hold
 * spaces and parentheses itself, so the fields start after the last ')'. */
static int
s_parse_stat (const char *text, process_stat_t *st)
{
    const char *lp = strchr (text, '(');
    const char *rp = strrchr (text, ')');
    if (!lp || !rp || rp < lp)
        return VG_EINVAL;
    memset (st, 0, sizeof *st);
    st->comm = lp + 1;
    st->comm_len = (size_t)(rp - lp - 1);
    /* After comm, field k (0-based) is stat field k + 3 of proc(5). */
    const char *p = rp + 1;
    for (int k = 0; k <= 21; k++) {
        while (*p == ' ')
            p++;
        if (*p == '\0' || *p == '\n')
            return VG_EINVAL;
        if (k == 0)
            st->state = *p;
        else if (k == 11 || k == 12 || k == 17 || k == 19 || k == 21) {
            /* rss and num_threads are printed signed; a negative one reads as 0 */
            uint64_t v = 0;
            int neg = *p == '-';
            const char *q = p + neg;
            if (*q < '0' || *q > '9')
                return VG_EINVAL;
            while (*q >= '0' && *q <= '9')
                v = v * 10 + (uint64_t)(*q++ - '0');
            if (neg)
                v = 0;
            switch (k) {
            case 11:
                st->utime = v;
                break;
            case 12:
                st->stime = v;
                break;
            case 17:
                st->threads = v;
                break;
            case 19:
                st->start = v;
                break;
            default:
                st->rss_pages = v;
                break;
            }
        }
        while (*p && *p != ' ' && *p != '\n')
            p++;
    }
    return VG_OK;
}

/* Reads ROOT/proc/pid/rel into buf. */
static ssize_t
s_read_pid_file (process_ctx_t *self, int pid, const char *rel, char *buf, size_t cap)
{
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%.*s/proc/%d/%s", self->root_len, self->root_dir, pid, rel);
    return input_util_read_file (path, buf, cap);
}

/* The command line with its NUL separators turned into spaces, in
 * self->buf; 0 for a kernel thread or a process that is gone. procfd is
 * ROOT/proc, open. One read: the kernel hands out a command line whole up to
 * the size asked for (and a plain file, under a test root, reads whole too),
 * so a read shorter than the buffer is the end, and the read returning 0
 * that would say so is left out - a syscall per process and collect. */
static size_t
s_read_cmdline (process_ctx_t *self, int procfd, int pid)
{
    char rel[32];
    snprintf (rel, sizeof rel, "%d/cmdline", pid);
    int fd = openat (procfd, rel, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n;
    do
        n = read (fd, self->buf, PROCESS_CMDLINE_MAX);
    while (n < 0 && errno == EINTR);
    close (fd);
    if (n <= 0)
        return 0;
    size_t len = (size_t)n;
    while (len > 0 && self->buf[len - 1] == '\0')
        len--;
    for (size_t i = 0; i < len; i++)
        if (self->buf[i] == '\0')
            self->buf[i] = ' ';
    self->buf[len] = '\0';
    return len;
}

/* Does the process's comm (and, for a name longer than the kernel keeps,
 * its argv[0]'s base name) equal the configured name? */
static int
s_name_matches (process_ctx_t *self, int pid, const process_stat_t *st)
{
    size_t len = strlen (self->comm);
    if (len <= PROCESS_COMM_MAX)
        return st->comm_len == len && memcmp (st->comm, self->comm, len) == 0;
    if (st->comm_len != PROCESS_COMM_MAX || memcmp (st->comm, self->comm, PROCESS_COMM_MAX) != 0)
        return 0;
    ssize_t n = s_read_pid_file (self, pid, "cmdline", self->buf, PROCESS_CMDLINE_MAX + 1);
    if (n <= 0)
        return 0;
    const char *argv0 = self->buf; /* NUL-terminated by the kernel or by s_read_file */
    const char *slash = strrchr (argv0, '/');
    return strcmp (slash ? slash + 1 : argv0, self->comm) == 0;
}

/* Counts the entries of a directory; -1 with errno when it cannot be read. */
static int64_t
s_count_dir (process_ctx_t *self, const char *path)
{
    int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int64_t count = 0;
    for (;;) {
        ssize_t n = getdents64 (fd, self->dents, PROCESS_DENTS_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t off = 0; off < n;) {
            struct dirent64 *de = (struct dirent64 *)(self->dents + off);
            off += de->d_reclen;
            if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
                count++;
        }
    }
    close (fd);
    return count;
}

/* Adds a matching process to the sums and the table of this collect. */
static void
s_add (process_ctx_t *self, process_sum_t *sum, int pid, const process_stat_t *st)
{
    if (self->ncur >= (size_t)self->max_processes) {
        self->dropped++;
        return;
    }
    VG_GROW (self->cur, self->cur_cap, self->ncur + 1);
    self->cur[self->ncur++] =
        (process_seen_t){.pid = pid, .start = st->start, .ticks = st->utime + st->stime};
    if (sum->count == 0 || st->start < sum->oldest_start)
        sum->oldest_start = st->start;
    sum->count++;
    sum->rss_pages += st->rss_pages;
    sum->threads += st->threads;

    char path[PATH_MAX];
    snprintf (path, sizeof path, "%.*s/proc/%d/fd", self->root_len, self->root_dir, pid);
    int64_t fds = s_count_dir (self, path);
    if (fds >= 0) {
        sum->fds += (uint64_t)fds;
        sum->fd_read++;
    } else if (errno != ENOENT) /* gone since its stat was read: nothing to say */
        sum->fd_unreadable++;
}

/* Reads pid's stat and adds it if it is alive (zombies are dead) and, when
 * want_name, has the configured name. */
static void
s_consider (process_ctx_t *self, process_sum_t *sum, int pid, int want_name)
{
    char text[1024];
    process_stat_t st;
    if (s_read_pid_file (self, pid, "stat", text, sizeof text) <= 0 ||
        s_parse_stat (text, &st) != VG_OK || st.state == 'Z' || st.state == 'X')
        return;
    if (want_name && !s_name_matches (self, pid, &st))
        return;
    s_add (self, sum, pid, &st);
}

static int
s_pid_of (const char *s)
{
    if (*s < '1' || *s > '9')
        return 0;
    long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > INT_MAX / 10)
            return 0;
        v = v * 10 + (*s - '0');
    }
    return v <= INT_MAX ? (int)v : 0;
}

/* Walks ROOT/proc for the comm and cmdline rules. */
static int
s_scan (process_ctx_t *self, process_sum_t *sum, char *err, size_t errlen)
{
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%.*s/proc", self->root_len, self->root_dir);
    int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf (err, errlen, "%s: %s", path, strerror (errno));
        return VG_EIO;
    }
    for (;;) {
        ssize_t n = getdents64 (fd, self->scan, PROCESS_DENTS_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t off = 0; off < n;) {
            struct dirent64 *de = (struct dirent64 *)(self->scan + off);
            off += de->d_reclen;
            if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
                continue;
            int pid = s_pid_of (de->d_name);
            if (pid == 0)
                continue;
            if (self->comm)
                s_consider (self, sum, pid, 1);
            else if (pid != self->self_pid) {
                size_t len = s_read_cmdline (self, fd, pid);
                if (len > 0 &&
                    pcre2_match (self->re, (PCRE2_SPTR)self->buf, len, 0, 0, self->md, NULL) >= 0)
                    s_consider (self, sum, pid, 0);
            }
        }
    }
    close (fd);
    return VG_OK;
}

/* The pid a pidfile names; 0 when it is missing or holds no pid. */
static int
s_read_pidfile (process_ctx_t *self)
{
    char text[64];
    if (input_util_read_file (self->pidfile, text, sizeof text) <= 0)
        return 0;
    char *s = text;
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s;
    while (*e >= '0' && *e <= '9')
        e++;
    if (*e != '\0' && *e != '\n' && *e != ' ' && *e != '\t' && *e != '\r')
        return 0;
    *e = '\0';
    return s_pid_of (s);
}

/* Boot time from ROOT/proc/stat, read until found (it never changes). The
 * file's absence means root is wrong: that is the input's error. */
static int
s_read_btime (process_ctx_t *self, char *err, size_t errlen)
{
    if (self->btime_read)
        return VG_OK;
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%.*s/proc/stat", self->root_len, self->root_dir);
    FILE *f = fopen (path, "re");
    if (!f) {
        snprintf (err, errlen, "%s: %s", path, strerror (errno));
        return VG_EIO;
    }
    /* Lines such as intr run to kilobytes; only a piece that starts a line
     * can be the btime line. */
    char line[256];
    int at_start = 1;
    while (fgets (line, sizeof line, f)) {
        if (at_start && strncmp (line, "btime ", 6) == 0) {
            self->btime = strtod (line + 6, NULL);
            break;
        }
        size_t len = strlen (line);
        at_start = len > 0 && line[len - 1] == '\n';
    }
    fclose (f);
    self->btime_read = 1;
    return VG_OK;
}

/* ---- restarts and CPU ------------------------------------------------- */

static int
s_cmp_pid (const void *a, const void *b)
{
    const process_seen_t *x = a, *y = b;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

static const process_seen_t *
s_find (const process_seen_t *tab, size_t n, const process_seen_t *key)
{
    if (n == 0) /* tab may still be NULL */
        return NULL;
    const process_seen_t *hit = bsearch (key, tab, n, sizeof *tab, s_cmp_pid);
    return hit && hit->start == key->start ? hit : NULL;
}

/* A restart is a process that went away and another that came: a pid gone
 * in one collect is paired with a new one in the same or a later collect,
 * so a process down for a while and then back counts once. */
static void
s_count_restarts (process_ctx_t *self)
{
    uint64_t gone = 0, appeared = 0;
    for (size_t i = 0; i < self->nprev; i++)
        if (!s_find (self->cur, self->ncur, &self->prev[i]))
            gone++;
    for (size_t i = 0; i < self->ncur; i++)
        if (!s_find (self->prev, self->nprev, &self->cur[i]))
            appeared++;
    self->pending_gone += gone;
    if (self->pending_gone > (uint64_t)self->max_processes)
        self->pending_gone = (uint64_t)self->max_processes;
    uint64_t r = appeared < self->pending_gone ? appeared : self->pending_gone;
    self->restarts += r;
    self->pending_gone -= r;
}

/* CPU ticks the current processes used since the previous collect, into
 * *ticks. Returns -1 when one of them appeared since: with one reading of
 * it, its share is unknown, and a sum without it would be an invented low. */
static int
s_cpu_ticks (const process_ctx_t *self, uint64_t *ticks)
{
    *ticks = 0;
    for (size_t i = 0; i < self->ncur; i++) {
        const process_seen_t *p = s_find (self->prev, self->nprev, &self->cur[i]);
        if (!p)
            return -1;
        if (self->cur[i].ticks >= p->ticks)
            *ticks += self->cur[i].ticks - p->ticks;
    }
    return 0;
}

/* ---- the plugin ------------------------------------------------------- */

static int
s_init (void *ctx, const agent_input_env_t *env, char *err, size_t errlen)
{
    process_ctx_t *self = ctx;
    int rules = !!self->comm + !!self->cmdline + !!self->pidfile;
    if (rules != 1) {
        snprintf (err, errlen, "set exactly one of comm, cmdline and pidfile");
        return VG_EINVAL;
    }
    if (!self->root || !*self->root) {
        snprintf (err, errlen, "root: must not be empty (use \"/\")");
        return VG_EINVAL;
    }
    if (self->max_processes < 1)
        self->max_processes = 1;
    if (self->cmdline && input_util_regex_compile ("cmdline", self->cmdline, &self->re, &self->md,
                                                   err, errlen) != VG_OK)
        return VG_EINVAL;
    self->instance = vg_strdup (env && env->instance ? env->instance : "process");
    self->root_dir = self->root;
    self->root_len = input_util_root_len (self->root);
    self->self_pid = self->root_len == 0 ? (int)getpid () : 0;
    /* zeroed: PCRE2 may look at bytes past the subject (valgrind notices) */
    self->buf = vg_calloc (1, PROCESS_CMDLINE_MAX + 1);
    self->scan = vg_malloc (PROCESS_DENTS_SIZE);
    self->dents = vg_malloc (PROCESS_DENTS_SIZE);
    self->clk_tck = sysconf (_SC_CLK_TCK);
    if (self->clk_tck <= 0)
        self->clk_tck = 100;
    self->page_size = sysconf (_SC_PAGESIZE);
    if (self->page_size <= 0)
        self->page_size = 4096;
    return VG_OK;
}

static int
s_collect (void *ctx, agent_sink_t *sink, int64_t now_ms, char *err, size_t errlen)
{
    process_ctx_t *self = ctx;
    int rc = s_read_btime (self, err, errlen);
    if (rc != VG_OK)
        return rc;

    process_sum_t sum;
    memset (&sum, 0, sizeof sum);
    self->ncur = 0;
    if (self->pidfile) {
        int pid = s_read_pidfile (self);
        if (pid > 0)
            s_consider (self, &sum, pid, 0);
    } else if ((rc = s_scan (self, &sum, err, errlen)) != VG_OK)
        return rc;
    if (self->ncur > 1)
        qsort (self->cur, self->ncur, sizeof *self->cur, s_cmp_pid);

    vg_label_t label = {.key = "process", .value = self->instance};
    agent_sink_gauge (sink, "process_up", &label, 1, sum.count > 0 ? 1.0 : 0.0);
    agent_sink_gauge (sink, "process_count", &label, 1, (double)sum.count);
    agent_sink_gauge (sink, "process_rss_bytes", &label, 1,
                      (double)sum.rss_pages * (double)self->page_size);
    agent_sink_gauge (sink, "process_threads", &label, 1, (double)sum.threads);
    /* With every match's fds unreadable, a sum of 0 would be a lie. */
    if (sum.fd_read > 0 || sum.count == 0)
        agent_sink_gauge (sink, "process_open_fds", &label, 1, (double)sum.fds);
    agent_sink_gauge (sink, "process_fd_unreadable", &label, 1, (double)sum.fd_unreadable);
    if (sum.count > 0 && self->btime > 0)
        agent_sink_gauge (sink, "process_start_time_seconds", &label, 1,
                          self->btime + (double)sum.oldest_start / (double)self->clk_tck);
    uint64_t ticks;
    if (self->have_prev && now_ms > self->prev_ms && s_cpu_ticks (self, &ticks) == 0) {
        double elapsed = (double)(now_ms - self->prev_ms) / 1000.0;
        agent_sink_gauge (sink, "process_cpu_percent", &label, 1,
                          100.0 * (double)ticks / (double)self->clk_tck / elapsed);
    }
    if (self->have_prev)
        s_count_restarts (self);
    agent_sink_counter (sink, "process_restarts_total", &label, 1, (double)self->restarts);
    vg_label_t dropped[2] = {label, {.key = "reason", .value = "max_processes"}};
    agent_sink_counter (sink, "process_dropped_total", dropped, 2, (double)self->dropped);

    process_seen_t *t = self->prev;
    self->prev = self->cur;
    self->cur = t;
    size_t cap = self->prev_cap;
    self->prev_cap = self->cur_cap;
    self->cur_cap = cap;
    self->nprev = self->ncur;
    self->ncur = 0;
    self->have_prev = 1;
    self->prev_ms = now_ms;
    return VG_OK;
}

static void
s_fini (void *ctx)
{
    process_ctx_t *self = ctx;
    pcre2_match_data_free (self->md);
    pcre2_code_free (self->re);
    free (self->instance);
    free (self->buf);
    free (self->scan);
    free (self->dents);
    free (self->prev);
    free (self->cur);
    self->md = NULL;
    self->re = NULL;
    self->instance = self->buf = self->scan = self->dents = NULL;
    self->prev = self->cur = NULL;
    self->nprev = self->ncur = self->prev_cap = self->cur_cap = 0;
    self->have_prev = 0;
    self->btime = 0;
    self->btime_read = 0;
    self->restarts = self->pending_gone = self->dropped = 0;
}

const agent_input_plugin_t in_process_plugin = {
    .name = "process",
    .description = "processes by name, command line or pidfile: up, RSS, CPU, threads, fds, "
                   "restarts",
    .options = s_options,
    .ctx_size = sizeof (process_ctx_t),
    .init = s_init,
    .collect = s_collect,
    .fini = s_fini,
};
