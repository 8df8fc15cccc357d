/*  in_system_parse.h - parsers for the /proc files the system input reads.
 *
 *  They work on a NUL-terminated copy of the file in memory, without sscanf,
 *  and never allocate except for the per-CPU array. The line parsers modify
 *  the line in place (they cut names out of it) and the names they return
 *  point into it.
 */
#ifndef IN_SYSTEM_PARSE_H
#define IN_SYSTEM_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* The CPU modes of a /proc/stat "cpu" line, in the kernel's order. guest and
 * guest_nice follow steal there but are already counted in user and nice. */
enum {
    IN_SYSTEM_CPU_USER,
    IN_SYSTEM_CPU_NICE,
    IN_SYSTEM_CPU_SYSTEM,
    IN_SYSTEM_CPU_IDLE,
    IN_SYSTEM_CPU_IOWAIT,
    IN_SYSTEM_CPU_IRQ,
    IN_SYSTEM_CPU_SOFTIRQ,
    IN_SYSTEM_CPU_STEAL,
    IN_SYSTEM_CPU_NMODES
};

/* "user", "nice", ... by the index above. */
extern const char *const in_system_cpu_mode_names[IN_SYSTEM_CPU_NMODES];

typedef struct {
    uint64_t v[IN_SYSTEM_CPU_NMODES]; /* clock ticks; modes missing on old kernels are 0 */
} in_system_cpu_t;

typedef struct {
    in_system_cpu_t total; /* the "cpu" line */
    in_system_cpu_t *cpus; /* the "cpuN" lines, in file order; owned */
    unsigned *cpu_ids;     /* N of each; owned */
    size_t ncpus;
    size_t cpus_cap;
    uint64_t forks; /* "processes": forks since boot */
    uint64_t procs_running;
    uint64_t procs_blocked;
    int has_total, has_forks, has_running, has_blocked;
} in_system_stat_t;

/* Parses /proc/stat into self, reusing its arrays. Returns 0, or VG_EINVAL
 * when there is no "cpu" line. */
int in_system_parse_stat (in_system_stat_t *self, const char *text);
/* Frees the arrays and zeroes self. */
void in_system_parse_stat_free (in_system_stat_t *self);
/* Copies src into dst (arrays are copied into dst's own). */
void in_system_parse_stat_copy (in_system_stat_t *dst, const in_system_stat_t *src);

/* Sum of the modes: the ticks that passed. */
uint64_t in_system_parse_cpu_total (const in_system_cpu_t *cpu);

typedef struct {
    uint64_t total;     /* MemTotal, bytes */
    uint64_t available; /* MemAvailable, or MemFree + Buffers + Cached before 3.14 */
    uint64_t swap_total;
    uint64_t swap_free;
    int has_total, has_swap;
} in_system_mem_t;

/* Parses /proc/meminfo (kB values, returned in bytes). Returns 0, or
 * VG_EINVAL when MemTotal is missing. */
int in_system_parse_meminfo (in_system_mem_t *self, const char *text);

typedef struct {
    double load1, load5, load15;
    uint64_t threads; /* scheduling entities: the number after the slash */
    int has_threads;
} in_system_load_t;

/* Parses /proc/loadavg: "0.30 0.09 0.03 1/94 8750". Returns 0 or VG_EINVAL. */
int in_system_parse_loadavg (in_system_load_t *self, const char *text);

typedef struct {
    char *device;
    char *mountpoint; /* unescaped (\040 is a space) */
    char *fstype;
} in_system_mount_t;

/* Splits one line of /proc/self/mounts in place. Returns 0, or VG_EINVAL for
 * a line with fewer than three fields. */
int in_system_parse_mount_line (char *line, in_system_mount_t *out);
/* Replaces the kernel's octal escapes (\040 \011 \012 \134) in place. */
void in_system_parse_unescape (char *s);

/* Counters of one /proc/diskstats line. */
enum {
    IN_SYSTEM_DISK_READS,
    IN_SYSTEM_DISK_READ_SECTORS,
    IN_SYSTEM_DISK_WRITES,
    IN_SYSTEM_DISK_WRITE_SECTORS,
    IN_SYSTEM_DISK_IO_TICKS, /* ms spent doing I/O */
    IN_SYSTEM_DISK_NCOUNTERS
};

/* Counters of one /proc/net/dev line. */
enum {
    IN_SYSTEM_NET_RX_BYTES,
    IN_SYSTEM_NET_TX_BYTES,
    IN_SYSTEM_NET_RX_PACKETS,
    IN_SYSTEM_NET_TX_PACKETS,
    IN_SYSTEM_NET_RX_ERRORS,
    IN_SYSTEM_NET_TX_ERRORS,
    IN_SYSTEM_NET_RX_DROPS,
    IN_SYSTEM_NET_TX_DROPS,
    IN_SYSTEM_NET_NCOUNTERS
};

#define IN_SYSTEM_MAX_COUNTERS IN_SYSTEM_NET_NCOUNTERS

/* One device's name and counters, for diskstats and net/dev. */
typedef struct {
    char *name; /* points into the line */
    uint64_t v[IN_SYSTEM_MAX_COUNTERS];
} in_system_dev_t;

/* Parses one /proc/diskstats line ("   8  0 sda 1 2 3 ..."). Returns 0, or
 * VG_EINVAL for a line without the 11 fields every kernel since 2.6.25 has. */
int in_system_parse_diskstats_line (char *line, in_system_dev_t *out);
/* Parses one /proc/net/dev line (" eth0: 1 2 ..."). Returns 0, or VG_EINVAL
 * for a header or short line. */
int in_system_parse_netdev_line (char *line, in_system_dev_t *out);

/* Cuts the next line out of *cursor (NUL-terminating it) and returns it, or
 * NULL at the end of the text. */
char *in_system_parse_next_line (char **cursor);

#endif
