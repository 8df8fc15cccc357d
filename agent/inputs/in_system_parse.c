/*  in_system_parse.c - parsers for the /proc files the system input reads.
 *
 *  These run on every host every interval, so they walk the text once with
 *  hand-written number parsing instead of sscanf.
 */
#include "in_system_parse.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <stdlib.h>
#include <string.h>

const char *const in_system_cpu_mode_names[IN_SYSTEM_CPU_NMODES] = {
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
};

static int
s_is_space (char c)
{
    return c == ' ' || c == '\t';
}

static const char *
s_skip_spaces (const char *p)
{
    while (s_is_space (*p))
        p++;
    return p;
}

/* Parses an unsigned decimal at *p after blanks; advances *p past it.
 * Returns 1, or 0 when there is no number there (*p unchanged). */
static int
s_next_u64 (const char **p, uint64_t *value)
{
    const char *s = s_skip_spaces (*p);
    if (*s < '0' || *s > '9')
        return 0;
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    *value = v;
    *p = s;
    return 1;
}

/* Does line start with word followed by a blank? */
static int
s_starts_word (const char *line, const char *word, size_t len)
{
    return strncmp (line, word, len) == 0 && s_is_space (line[len]);
}

char *
in_system_parse_next_line (char **cursor)
{
    char *line = *cursor;
    if (!line || !*line)
        return NULL;
    char *nl = strchr (line, '\n');
    if (nl) {
        *nl = '\0';
        *cursor = nl + 1;
    } else
        *cursor = line + strlen (line);
    return line;
}

static void
s_parse_cpu (const char *p, in_system_cpu_t *cpu)
{
    memset (cpu, 0, sizeof *cpu);
    for (int m = 0; m < IN_SYSTEM_CPU_NMODES; m++)
        if (!s_next_u64 (&p, &cpu->v[m]))
            break;
}

uint64_t
in_system_parse_cpu_total (const in_system_cpu_t *cpu)
{
    uint64_t total = 0;
    for (int m = 0; m < IN_SYSTEM_CPU_NMODES; m++)
        total += cpu->v[m];
    return total;
}

int
in_system_parse_stat (in_system_stat_t *self, const char *text)
{
    self->ncpus = 0;
    self->has_total = self->has_forks = self->has_running = self->has_blocked = 0;
    const char *line = text;
    while (*line) {
        const char *eol = strchr (line, '\n');
        if (line[0] == 'c' && line[1] == 'p' && line[2] == 'u') {
            const char *p = line + 3;
            if (s_is_space (*p)) {
                s_parse_cpu (p, &self->total);
                self->has_total = 1;
            } else {
                uint64_t id;
                if (s_next_u64 (&p, &id) && id <= UINT32_MAX) {
                    if (self->ncpus == self->cpus_cap) {
                        /* both arrays share cpus_cap */
                        VG_GROW (self->cpus, self->cpus_cap, self->ncpus + 1);
                        self->cpu_ids =
                            vg_realloc (self->cpu_ids, self->cpus_cap * sizeof *self->cpu_ids);
                    }
                    self->cpu_ids[self->ncpus] = (unsigned)id;
                    s_parse_cpu (p, &self->cpus[self->ncpus]);
                    self->ncpus++;
                }
            }
        } else if (s_starts_word (line, "processes", 9)) {
            const char *p = line + 9;
            self->has_forks = s_next_u64 (&p, &self->forks);
        } else if (s_starts_word (line, "procs_running", 13)) {
            const char *p = line + 13;
            self->has_running = s_next_u64 (&p, &self->procs_running);
        } else if (s_starts_word (line, "procs_blocked", 13)) {
            const char *p = line + 13;
            self->has_blocked = s_next_u64 (&p, &self->procs_blocked);
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    return self->has_total ? VG_OK : VG_EINVAL;
}

void
in_system_parse_stat_free (in_system_stat_t *self)
{
    free (self->cpus);
    free (self->cpu_ids);
    memset (self, 0, sizeof *self);
}

void
in_system_parse_stat_copy (in_system_stat_t *dst, const in_system_stat_t *src)
{
    in_system_cpu_t *cpus = dst->cpus;
    unsigned *ids = dst->cpu_ids;
    size_t cap = dst->cpus_cap;
    if (cap < src->ncpus) {
        cap = src->ncpus;
        cpus = vg_realloc (cpus, cap * sizeof *cpus);
        ids = vg_realloc (ids, cap * sizeof *ids);
    }
    *dst = *src;
    dst->cpus = cpus;
    dst->cpu_ids = ids;
    dst->cpus_cap = cap;
    if (src->ncpus) {
        memcpy (cpus, src->cpus, src->ncpus * sizeof *cpus);
        memcpy (ids, src->cpu_ids, src->ncpus * sizeof *ids);
    }
}

int
in_system_parse_meminfo (in_system_mem_t *self, const char *text)
{
    static const struct {
        const char *key;
        size_t len;
    } keys[] = {
        {"MemTotal:", 9}, {"MemFree:", 8},    {"MemAvailable:", 13}, {"Buffers:", 8},
        {"Cached:", 7},   {"SwapTotal:", 10}, {"SwapFree:", 9},
    };
    enum { K_TOTAL, K_FREE, K_AVAILABLE, K_BUFFERS, K_CACHED, K_SWAP_TOTAL, K_SWAP_FREE, K_N };
    uint64_t v[K_N] = {0};
    int seen[K_N] = {0};
    const char *line = text;
    while (*line) {
        const char *eol = strchr (line, '\n');
        for (int k = 0; k < K_N; k++) {
            if (!seen[k] && strncmp (line, keys[k].key, keys[k].len) == 0) {
                const char *p = line + keys[k].len;
                seen[k] = s_next_u64 (&p, &v[k]);
                v[k] *= 1024; /* the kernel's "kB" are KiB */
                break;
            }
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    memset (self, 0, sizeof *self);
    if (!seen[K_TOTAL])
        return VG_EINVAL;
    self->has_total = 1;
    self->total = v[K_TOTAL];
    if (seen[K_AVAILABLE])
        self->available = v[K_AVAILABLE];
    else /* kernels before 3.14: the classic estimate */
        self->available = v[K_FREE] + v[K_BUFFERS] + v[K_CACHED];
    if (self->available > self->total)
        self->available = self->total;
    if (seen[K_SWAP_TOTAL] && seen[K_SWAP_FREE]) {
        self->has_swap = 1;
        self->swap_total = v[K_SWAP_TOTAL];
        self->swap_free = v[K_SWAP_FREE] < v[K_SWAP_TOTAL] ? v[K_SWAP_FREE] : v[K_SWAP_TOTAL];
    }
    return VG_OK;
}

int
in_system_parse_loadavg (in_system_load_t *self, const char *text)
{
    memset (self, 0, sizeof *self);
    double *loads[3] = {&self->load1, &self->load5, &self->load15};
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        char *end;
        *loads[i] = strtod (p, &end);
        if (end == p)
            return VG_EINVAL;
        p = end;
    }
    /* "running/total" */
    uint64_t running;
    if (s_next_u64 (&p, &running) && *p == '/') {
        p++;
        self->has_threads = s_next_u64 (&p, &self->threads);
    }
    return VG_OK;
}

static int
s_is_octal (char c)
{
    return c >= '0' && c <= '7';
}

void
in_system_parse_unescape (char *s)
{
    char *out = s;
    while (*s) {
        if (s[0] == '\\' && s_is_octal (s[1]) && s_is_octal (s[2]) && s_is_octal (s[3])) {
            *out++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
            s += 4;
        } else
            *out++ = *s++;
    }
    *out = '\0';
}

/* Cuts the next blank-separated field out of *p, NUL-terminating it. */
static char *
s_next_field (char **p)
{
    char *s = *p;
    while (s_is_space (*s))
        s++;
    if (!*s)
        return NULL;
    char *start = s;
    while (*s && !s_is_space (*s))
        s++;
    if (*s)
        *s++ = '\0';
    *p = s;
    return start;
}

int
in_system_parse_mount_line (char *line, in_system_mount_t *out)
{
    char *p = line;
    out->device = s_next_field (&p);
    out->mountpoint = s_next_field (&p);
    out->fstype = s_next_field (&p);
    if (!out->device || !out->mountpoint || !out->fstype)
        return VG_EINVAL;
    in_system_parse_unescape (out->device);
    in_system_parse_unescape (out->mountpoint);
    return VG_OK;
}

int
in_system_parse_diskstats_line (char *line, in_system_dev_t *out)
{
    /* major minor name, then: reads merged sectors ms, writes merged sectors
     * ms, in-flight, io_ticks, weighted ms, (discards and flushes since 4.18) */
    char *p = line;
    uint64_t major, minor;
    const char *cp = p;
    if (!s_next_u64 (&cp, &major) || !s_next_u64 (&cp, &minor))
        return VG_EINVAL;
    p = (char *)cp;
    out->name = s_next_field (&p);
    if (!out->name)
        return VG_EINVAL;
    uint64_t f[11];
    cp = p;
    for (int i = 0; i < 11; i++)
        if (!s_next_u64 (&cp, &f[i]))
            return VG_EINVAL;
    memset (out->v, 0, sizeof out->v);
    out->v[IN_SYSTEM_DISK_READS] = f[0];
    out->v[IN_SYSTEM_DISK_READ_SECTORS] = f[2];
    out->v[IN_SYSTEM_DISK_WRITES] = f[4];
    out->v[IN_SYSTEM_DISK_WRITE_SECTORS] = f[6];
    out->v[IN_SYSTEM_DISK_IO_TICKS] = f[9];
    return VG_OK;
}

int
in_system_parse_netdev_line (char *line, in_system_dev_t *out)
{
    /* Numbers never hold a colon, and large counters may touch it
     * ("eth0:123456"), so the last colon ends the name. */
    char *colon = strrchr (line, ':');
    if (!colon)
        return VG_EINVAL;
    *colon = '\0';
    char *name = line;
    while (s_is_space (*name))
        name++;
    if (!*name)
        return VG_EINVAL;
    out->name = name;
    /* rx: bytes packets errs drop fifo frame compressed multicast,
     * tx: bytes packets errs drop fifo colls carrier compressed */
    uint64_t f[16];
    const char *p = colon + 1;
    for (int i = 0; i < 16; i++)
        if (!s_next_u64 (&p, &f[i]))
            return VG_EINVAL;
    memset (out->v, 0, sizeof out->v);
    out->v[IN_SYSTEM_NET_RX_BYTES] = f[0];
    out->v[IN_SYSTEM_NET_RX_PACKETS] = f[1];
    out->v[IN_SYSTEM_NET_RX_ERRORS] = f[2];
    out->v[IN_SYSTEM_NET_RX_DROPS] = f[3];
    out->v[IN_SYSTEM_NET_TX_BYTES] = f[8];
    out->v[IN_SYSTEM_NET_TX_PACKETS] = f[9];
    out->v[IN_SYSTEM_NET_TX_ERRORS] = f[10];
    out->v[IN_SYSTEM_NET_TX_DROPS] = f[11];
    return VG_OK;
}
