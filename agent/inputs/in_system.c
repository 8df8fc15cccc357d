/*  in_system.c - the system input: CPU, memory, swap, load, processes, disk
 *  usage per mount, disk I/O per device and network traffic per interface.
 *
 *  Everything comes from ROOT/proc and statvfs, so tests point root at a
 *  captured tree. Counters become rates between two collects; the first
 *  collect after start emits only what needs one reading. Rates use the time
 *  between the now_ms values the core passes in, never the clock.
 */
#include "agent_input.h"
#include "in_system_parse.h"
#include "in_system_statvfs.h"
#include "input_util.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* A device or interface seen in the previous collect. */
typedef struct {
    char *name; /* owned */
    uint64_t v[IN_SYSTEM_MAX_COUNTERS];
    uint64_t gen; /* the collect that last saw it */
} system_dev_t;

typedef struct {
    system_dev_t *items;
    size_t n;
    size_t cap;
} system_devtab_t;

typedef struct {
    /* options, filled by the core from agent.yaml */
    char *root;
    vg_strlist_t mounts_exclude_fstypes;
    vg_strlist_t mounts_exclude;
    vg_strlist_t devices_exclude;
    int percpu;

    /* state */
    char *instance;
    char *buf; /* the file being parsed */
    size_t buf_cap;
    in_system_stat_t stat, prev_stat;
    in_system_mount_t *mounts;
    size_t mounts_cap;
    system_devtab_t disks;
    system_devtab_t nets;
    uint64_t gen;
    int have_prev;
    int64_t prev_ms;
    in_system_statvfs_t *statvfs; /* statvfs off the loop, with a timeout */
} system_ctx_t;

/* One collect's view of time and root. */
typedef struct {
    system_ctx_t *self;
    agent_sink_t *sink;
    const char *root; /* without its trailing slash: "" for "/" */
    int root_len;
    int rates;      /* a previous reading exists and time moved forward */
    double elapsed; /* seconds since the previous collect */
} system_run_t;

#define S_OPT(field) offsetof (system_ctx_t, field)

static const vg_option_t s_options[] = {
    {.name = "root",
     .type = VG_OPT_STRING,
     .def = "/",
     .offset = S_OPT (root),
     .help = "directory holding proc/ (a host's root mounted in a container, or a test tree)"},
    {.name = "mounts_exclude_fstypes",
     .type = VG_OPT_STRING_LIST,
     .def = "[proc, sysfs, devtmpfs, devpts, tmpfs, cgroup, cgroup2, securityfs, pstore, "
            "debugfs, tracefs, configfs, fusectl, mqueue, hugetlbfs, bpf, autofs, binfmt_misc, "
            "rpc_pipefs, nsfs, squashfs, ramfs, efivarfs, selinuxfs]",
     .offset = S_OPT (mounts_exclude_fstypes),
     .help = "filesystem types (globs) left out of disk usage"},
    {.name = "mounts_exclude",
     .type = VG_OPT_STRING_LIST,
     .def = "[]",
     .offset = S_OPT (mounts_exclude),
     .help = "mount points (globs, * crosses /) left out of disk usage"},
    {.name = "devices_exclude",
     .type = VG_OPT_STRING_LIST,
     .def = "[\"loop*\", \"ram*\", \"zram*\"]",
     .offset = S_OPT (devices_exclude),
     .help = "block devices and network interfaces (globs) left out of I/O and traffic rates"},
    {.name = "percpu",
     .type = VG_OPT_BOOL,
     .def = "false",
     .offset = S_OPT (percpu),
     .help = "also emit CPU percentages per CPU, with a cpu label"},
    {.name = NULL},
};

/* ---- reading files ---------------------------------------------------- */

/* Reads ROOT/rel into self->buf, NUL-terminated. Returns 0, VG_ENOTFOUND or
 * VG_EIO; path receives the full path for messages. */
static int
s_read (system_run_t *run, const char *rel, char *path, size_t pathlen)
{
    system_ctx_t *self = run->self;
    snprintf (path, pathlen, "%.*s/%s", run->root_len, run->root, rel);
    if (self->buf_cap < 4096) {
        self->buf_cap = 16384;
        self->buf = vg_realloc (self->buf, self->buf_cap);
    }
    /* the buffer grows for the large files (/proc/stat on a many-core host) */
    if (input_util_read_file_all (path, &self->buf, &self->buf_cap) < 0)
        return errno == ENOENT || errno == ENOTDIR ? VG_ENOTFOUND : VG_EIO;
    return VG_OK;
}

/* Reads an optional file; a missing one is common (containers) and only
 * worth a debug line. Returns 1 if self->buf holds it. */
static int
s_read_optional (system_run_t *run, const char *rel)
{
    char path[PATH_MAX];
    int rc = s_read (run, rel, path, sizeof path);
    if (rc != VG_OK) {
        vg_debug ("system[%s]: skipping %s: %s", run->self->instance, path, strerror (errno));
        return 0;
    }
    return 1;
}

static int
s_excluded (const vg_strlist_t *globs, const char *name)
{
    for (size_t i = 0; i < globs->n; i++)
        if (fnmatch (globs->items[i], name, 0) == 0)
            return 1;
    return 0;
}

static void
s_gauge (system_run_t *run, const char *name, const vg_label_t *labels, size_t nlabels,
         double value)
{
    agent_sink_gauge (run->sink, name, labels, nlabels, value);
}

/* The per-second rate of a counter, or 0 when it went backwards (a wrap or a
 * reset says nothing about the interval). */
static int
s_rate (const system_run_t *run, uint64_t prev, uint64_t cur, double scale, double *rate)
{
    if (!run->rates || cur < prev)
        return 0;
    *rate = (double)(cur - prev) * scale / run->elapsed;
    return 1;
}

/* ---- CPU, processes --------------------------------------------------- */

/* Emits the busy and per-mode percentages between two readings of one CPU
 * (or of all). labels[0] is free for the mode; cpu labels follow it. */
static void
s_emit_cpu (system_run_t *run, const in_system_cpu_t *prev, const in_system_cpu_t *cur,
            vg_label_t *labels, size_t nlabels)
{
    /* A total that went backwards is a reset; one mode going backwards alone
     * is the kernel's iowait accounting, which may dip: count it as 0. */
    if (in_system_parse_cpu_total (cur) < in_system_parse_cpu_total (prev))
        return;
    uint64_t d[IN_SYSTEM_CPU_NMODES];
    uint64_t total = 0;
    for (int m = 0; m < IN_SYSTEM_CPU_NMODES; m++) {
        d[m] = cur->v[m] >= prev->v[m] ? cur->v[m] - prev->v[m] : 0;
        total += d[m];
    }
    if (total == 0)
        return;
    double idle = (double)(d[IN_SYSTEM_CPU_IDLE] + d[IN_SYSTEM_CPU_IOWAIT]);
    s_gauge (run, "system_cpu_percent", labels + 1, nlabels - 1,
             100.0 * (1.0 - idle / (double)total));
    labels[0].key = "mode";
    for (int m = 0; m < IN_SYSTEM_CPU_NMODES; m++) {
        labels[0].value = in_system_cpu_mode_names[m];
        s_gauge (run, "system_cpu_mode_percent", labels, nlabels,
                 100.0 * (double)d[m] / (double)total);
    }
}

static void
s_collect_cpu (system_run_t *run)
{
    system_ctx_t *self = run->self;
    const in_system_stat_t *cur = &self->stat, *prev = &self->prev_stat;

    s_gauge (run, "system_cpu_count", NULL, 0, (double)(cur->ncpus ? cur->ncpus : 1));
    if (cur->has_running)
        s_gauge (run, "system_processes_running", NULL, 0, (double)cur->procs_running);
    if (cur->has_blocked)
        s_gauge (run, "system_processes_blocked", NULL, 0, (double)cur->procs_blocked);
    if (!run->rates || !prev->has_total)
        return;

    vg_label_t labels[2];
    s_emit_cpu (run, &prev->total, &cur->total, labels, 1);
    double rate;
    if (cur->has_forks && prev->has_forks && s_rate (run, prev->forks, cur->forks, 1.0, &rate))
        s_gauge (run, "system_forks_per_second", NULL, 0, rate);

    if (!self->percpu)
        return;
    /* CPUs come and go with hotplug; match them by number. */
    size_t hint = 0;
    for (size_t i = 0; i < cur->ncpus; i++) {
        size_t j = hint < prev->ncpus && prev->cpu_ids[hint] == cur->cpu_ids[i] ? hint : 0;
        while (j < prev->ncpus && prev->cpu_ids[j] != cur->cpu_ids[i])
            j++;
        if (j == prev->ncpus)
            continue;
        hint = j + 1;
        char id[16];
        snprintf (id, sizeof id, "%u", cur->cpu_ids[i]);
        labels[1] = (vg_label_t){.key = "cpu", .value = id};
        s_emit_cpu (run, &prev->cpus[j], &cur->cpus[i], labels, 2);
    }
}

/* Numbered directories of ROOT/proc: one per process (threads are hidden). */
static void
s_collect_process_count (system_run_t *run)
{
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%.*s/proc", run->root_len, run->root);
    DIR *dir = opendir (path);
    if (!dir) {
        vg_debug ("system[%s]: skipping %s: %s", run->self->instance, path, strerror (errno));
        return;
    }
    uint64_t count = 0;
    struct dirent *de;
    while ((de = readdir (dir))) {
        if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
            continue;
        const char *s = de->d_name;
        while (*s >= '0' && *s <= '9')
            s++;
        if (*s == '\0' && s != de->d_name)
            count++;
    }
    closedir (dir);
    s_gauge (run, "system_processes_total", NULL, 0, (double)count);
}

/* ---- memory, load ----------------------------------------------------- */

static void
s_collect_memory (system_run_t *run)
{
    if (!s_read_optional (run, "proc/meminfo"))
        return;
    in_system_mem_t mem;
    if (in_system_parse_meminfo (&mem, run->self->buf) != VG_OK) {
        vg_debug ("system[%s]: no MemTotal in meminfo", run->self->instance);
        return;
    }
    uint64_t used = mem.total - mem.available;
    s_gauge (run, "system_memory_total_bytes", NULL, 0, (double)mem.total);
    s_gauge (run, "system_memory_available_bytes", NULL, 0, (double)mem.available);
    s_gauge (run, "system_memory_used_bytes", NULL, 0, (double)used);
    if (mem.total)
        s_gauge (run, "system_memory_used_percent", NULL, 0,
                 100.0 * (double)used / (double)mem.total);
    if (mem.has_swap) {
        uint64_t swap_used = mem.swap_total - mem.swap_free;
        s_gauge (run, "system_swap_total_bytes", NULL, 0, (double)mem.swap_total);
        s_gauge (run, "system_swap_used_bytes", NULL, 0, (double)swap_used);
        s_gauge (run, "system_swap_used_percent", NULL, 0,
                 mem.swap_total ? 100.0 * (double)swap_used / (double)mem.swap_total : 0.0);
    }
}

static void
s_collect_load (system_run_t *run)
{
    if (!s_read_optional (run, "proc/loadavg"))
        return;
    in_system_load_t load;
    if (in_system_parse_loadavg (&load, run->self->buf) != VG_OK) {
        vg_debug ("system[%s]: unreadable loadavg", run->self->instance);
        return;
    }
    s_gauge (run, "system_load1", NULL, 0, load.load1);
    s_gauge (run, "system_load5", NULL, 0, load.load5);
    s_gauge (run, "system_load15", NULL, 0, load.load15);
    if (load.has_threads)
        s_gauge (run, "system_threads_total", NULL, 0, (double)load.threads);
}

/* ---- disk usage ------------------------------------------------------- */

static void
s_emit_mount (system_run_t *run, const in_system_mount_t *m)
{
    system_ctx_t *self = run->self;
    if (s_excluded (&self->mounts_exclude_fstypes, m->fstype) ||
        s_excluded (&self->mounts_exclude, m->mountpoint))
        return;
    char path[PATH_MAX];
    int n = snprintf (path, sizeof path, "%.*s%s", run->root_len, run->root, m->mountpoint);
    if (n < 0 || (size_t)n >= sizeof path)
        return;
    struct statvfs vfs;
    int err = 0;
    uint64_t timeouts = 0;
    int got = in_system_statvfs_get (self->statvfs, path, &vfs, &err, &timeouts);
    vg_label_t mount_label = {.key = "mount", .value = m->mountpoint};
    if (timeouts)
        agent_sink_counter (run->sink, "system_disk_stat_timeouts_total", &mount_label, 1,
                            (double)timeouts);
    if (got == IN_SYSTEM_STATVFS_HUNG) {
        s_gauge (run, "system_disk_responding", &mount_label, 1, 0);
        return;
    }
    if (got != IN_SYSTEM_STATVFS_OK) {
        if (got == IN_SYSTEM_STATVFS_FAILED)
            vg_debug ("system[%s]: skipping mount %s: %s", self->instance, path, strerror (err));
        return;
    }
    if (timeouts)
        s_gauge (run, "system_disk_responding", &mount_label, 1, 1);
    if (vfs.f_blocks == 0) /* a pseudo filesystem nobody listed */
        return;
    double frsize = (double)(vfs.f_frsize ? vfs.f_frsize : vfs.f_bsize);
    uint64_t free_blocks = vfs.f_bfree < vfs.f_blocks ? vfs.f_bfree : vfs.f_blocks;
    double total = (double)vfs.f_blocks * frsize;
    double used = (double)(vfs.f_blocks - free_blocks) * frsize;
    double avail = (double)vfs.f_bavail * frsize;
    vg_label_t labels[3] = {
        {.key = "mount", .value = m->mountpoint},
        {.key = "device", .value = m->device},
        {.key = "fstype", .value = m->fstype},
    };
    s_gauge (run, "system_disk_total_bytes", labels, 3, total);
    s_gauge (run, "system_disk_used_bytes", labels, 3, used);
    s_gauge (run, "system_disk_free_bytes", labels, 3, avail);
    /* as df shows it: the root-reserved blocks count neither way */
    if (used + avail > 0)
        s_gauge (run, "system_disk_used_percent", labels, 3, 100.0 * used / (used + avail));
    if (vfs.f_files > 0) { /* btrfs and some others report no inode limit */
        uint64_t ifree = vfs.f_ffree < vfs.f_files ? vfs.f_ffree : vfs.f_files;
        s_gauge (run, "system_disk_inodes_used_percent", labels, 3,
                 100.0 * (double)(vfs.f_files - ifree) / (double)vfs.f_files);
    }
}

static void
s_collect_mounts (system_run_t *run)
{
    system_ctx_t *self = run->self;
    if (!s_read_optional (run, "proc/self/mounts") && !s_read_optional (run, "proc/mounts"))
        return;
    /* A mount point mounted over shows twice; statvfs sees the later (top)
     * one, so it replaces the earlier - whether or not its type is excluded. */
    size_t n = 0;
    char *cursor = self->buf, *line;
    while ((line = in_system_parse_next_line (&cursor))) {
        in_system_mount_t m;
        if (in_system_parse_mount_line (line, &m) != VG_OK)
            continue;
        size_t i = 0;
        while (i < n && strcmp (self->mounts[i].mountpoint, m.mountpoint) != 0)
            i++;
        if (i == n) {
            VG_GROW (self->mounts, self->mounts_cap, n + 1);
            n++;
        }
        self->mounts[i] = m;
    }
    for (size_t i = 0; i < n; i++)
        s_emit_mount (run, &self->mounts[i]);
}

/* ---- devices: disk I/O and network ------------------------------------ */

/* Records dev's counters as seen in collect gen. If it was seen before,
 * copies its previous counters into prev and returns 1; a new device returns
 * 0. *hint is where to look first: files list devices in a stable order. */
static int
s_devtab_update (system_devtab_t *tab, const in_system_dev_t *dev, uint64_t gen, size_t *hint,
                 uint64_t *prev)
{
    size_t i = *hint < tab->n && strcmp (tab->items[*hint].name, dev->name) == 0 ? *hint : 0;
    while (i < tab->n && strcmp (tab->items[i].name, dev->name) != 0)
        i++;
    int known = i < tab->n;
    if (!known) {
        VG_GROW (tab->items, tab->cap, tab->n + 1);
        tab->items[i].name = vg_strdup (dev->name);
        tab->n++;
    } else
        memcpy (prev, tab->items[i].v, sizeof tab->items[i].v);
    memcpy (tab->items[i].v, dev->v, sizeof dev->v);
    tab->items[i].gen = gen;
    *hint = i + 1;
    return known;
}

/* Forgets devices the last collect did not see. */
static void
s_devtab_sweep (system_devtab_t *tab, uint64_t gen)
{
    size_t kept = 0;
    for (size_t i = 0; i < tab->n; i++) {
        if (tab->items[i].gen == gen)
            tab->items[kept++] = tab->items[i];
        else
            free (tab->items[i].name);
    }
    tab->n = kept;
}

static void
s_devtab_free (system_devtab_t *tab)
{
    for (size_t i = 0; i < tab->n; i++)
        free (tab->items[i].name);
    free (tab->items);
    memset (tab, 0, sizeof *tab);
}

typedef struct {
    const char *metric;
    int counter;  /* index into in_system_dev_t.v */
    double scale; /* per unit of the counter */
} system_rate_t;

static void
s_emit_rates (system_run_t *run, const system_rate_t *rates, size_t nrates, const uint64_t *prev,
              const uint64_t *cur, const vg_label_t *label)
{
    for (size_t k = 0; k < nrates; k++) {
        double rate;
        if (s_rate (run, prev[rates[k].counter], cur[rates[k].counter], rates[k].scale, &rate))
            s_gauge (run, rates[k].metric, label, 1, rate);
    }
}

static void
s_collect_diskio (system_run_t *run)
{
    static const system_rate_t rates[] = {
        {"system_diskio_read_bytes_per_second", IN_SYSTEM_DISK_READ_SECTORS, 512.0},
        {"system_diskio_write_bytes_per_second", IN_SYSTEM_DISK_WRITE_SECTORS, 512.0},
        {"system_diskio_reads_per_second", IN_SYSTEM_DISK_READS, 1.0},
        {"system_diskio_writes_per_second", IN_SYSTEM_DISK_WRITES, 1.0},
    };
    system_ctx_t *self = run->self;
    if (!s_read_optional (run, "proc/diskstats"))
        return;
    size_t hint = 0;
    char *cursor = self->buf, *line;
    while ((line = in_system_parse_next_line (&cursor))) {
        in_system_dev_t dev;
        if (in_system_parse_diskstats_line (line, &dev) != VG_OK ||
            s_excluded (&self->devices_exclude, dev.name))
            continue;
        uint64_t prev[IN_SYSTEM_MAX_COUNTERS];
        if (!s_devtab_update (&self->disks, &dev, self->gen, &hint, prev) || !run->rates)
            continue;
        vg_label_t label = {.key = "device", .value = dev.name};
        s_emit_rates (run, rates, sizeof rates / sizeof rates[0], prev, dev.v, &label);
        /* io_ticks is ms with requests in flight; * 100 / elapsed ms */
        double busy;
        if (s_rate (run, prev[IN_SYSTEM_DISK_IO_TICKS], dev.v[IN_SYSTEM_DISK_IO_TICKS], 0.1, &busy))
            s_gauge (run, "system_diskio_busy_percent", &label, 1, busy > 100.0 ? 100.0 : busy);
    }
}

static void
s_collect_net (system_run_t *run)
{
    static const system_rate_t rates[] = {
        {"system_net_rx_bytes_per_second", IN_SYSTEM_NET_RX_BYTES, 1.0},
        {"system_net_tx_bytes_per_second", IN_SYSTEM_NET_TX_BYTES, 1.0},
        {"system_net_rx_packets_per_second", IN_SYSTEM_NET_RX_PACKETS, 1.0},
        {"system_net_tx_packets_per_second", IN_SYSTEM_NET_TX_PACKETS, 1.0},
        {"system_net_rx_errors_per_second", IN_SYSTEM_NET_RX_ERRORS, 1.0},
        {"system_net_tx_errors_per_second", IN_SYSTEM_NET_TX_ERRORS, 1.0},
        {"system_net_rx_drops_per_second", IN_SYSTEM_NET_RX_DROPS, 1.0},
        {"system_net_tx_drops_per_second", IN_SYSTEM_NET_TX_DROPS, 1.0},
    };
    system_ctx_t *self = run->self;
    if (!s_read_optional (run, "proc/net/dev"))
        return;
    size_t hint = 0;
    char *cursor = self->buf, *line;
    while ((line = in_system_parse_next_line (&cursor))) {
        in_system_dev_t dev;
        if (in_system_parse_netdev_line (line, &dev) != VG_OK ||
            s_excluded (&self->devices_exclude, dev.name))
            continue;
        uint64_t prev[IN_SYSTEM_MAX_COUNTERS];
        if (!s_devtab_update (&self->nets, &dev, self->gen, &hint, prev) || !run->rates)
            continue;
        vg_label_t label = {.key = "interface", .value = dev.name};
        s_emit_rates (run, rates, sizeof rates / sizeof rates[0], prev, dev.v, &label);
    }
}

/* ---- the plugin ------------------------------------------------------- */

static int
s_init (void *ctx, const agent_input_env_t *env, char *err, size_t errlen)
{
    system_ctx_t *self = ctx;
    if (self->root && self->root[0] == '\0') {
        snprintf (err, errlen, "root: must not be empty (use \"/\")");
        return VG_EINVAL;
    }
    self->instance = vg_strdup (env && env->instance ? env->instance : "system");
    self->statvfs = in_system_statvfs_new (IN_SYSTEM_STATVFS_TIMEOUT_MS);
    return VG_OK;
}

static int
s_collect (void *ctx, agent_sink_t *sink, int64_t now_ms, char *err, size_t errlen)
{
    system_ctx_t *self = ctx;
    system_run_t run = {.self = self, .sink = sink};
    run.root = self->root ? self->root : "/";
    run.root_len = input_util_root_len (run.root);
    run.rates = self->have_prev && now_ms > self->prev_ms;
    run.elapsed = run.rates ? (double)(now_ms - self->prev_ms) / 1000.0 : 0.0;
    self->gen++;

    /* /proc/stat is the one file every Linux has: without it, root is wrong. */
    char path[PATH_MAX];
    if (s_read (&run, "proc/stat", path, sizeof path) != VG_OK) {
        snprintf (err, errlen, "%s: %s", path, strerror (errno));
        return VG_EIO;
    }
    if (in_system_parse_stat (&self->stat, self->buf) != VG_OK) {
        snprintf (err, errlen, "%s: no cpu line", path);
        return VG_EIO;
    }
    s_collect_cpu (&run);
    in_system_parse_stat_copy (&self->prev_stat, &self->stat);

    s_collect_memory (&run);
    s_collect_load (&run);
    s_collect_process_count (&run);
    s_collect_mounts (&run);
    s_collect_diskio (&run);
    s_devtab_sweep (&self->disks, self->gen);
    s_collect_net (&run);
    s_devtab_sweep (&self->nets, self->gen);

    self->have_prev = 1;
    self->prev_ms = now_ms;
    return VG_OK;
}

static void
s_fini (void *ctx)
{
    system_ctx_t *self = ctx;
    in_system_statvfs_destroy (&self->statvfs);
    free (self->instance);
    free (self->buf);
    free (self->mounts);
    in_system_parse_stat_free (&self->stat);
    in_system_parse_stat_free (&self->prev_stat);
    s_devtab_free (&self->disks);
    s_devtab_free (&self->nets);
    self->instance = NULL;
    self->buf = NULL;
    self->mounts = NULL;
    self->buf_cap = self->mounts_cap = 0;
    self->have_prev = 0;
}

const agent_input_plugin_t in_system_plugin = {
    .name = "system",
    .description = "CPU, memory, swap, load, processes, disk usage and I/O, network",
    .options = s_options,
    .ctx_size = sizeof (system_ctx_t),
    .init = s_init,
    .collect = s_collect,
    .fini = s_fini,
};
