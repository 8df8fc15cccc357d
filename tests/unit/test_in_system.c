/*  test_in_system.c - the system input on captured /proc trees.
 *
 *  tests/fixtures/proc-a and proc-b were captured from a real host five
 *  seconds apart (tests/fixtures/capture-proc.sh --pair). The expected values
 *  below are worked out by hand from the numbers in those files, not by
 *  parsing them again.
 */
#include "agent_input.h"
#include "in_system_parse.h"
#include "test_assert.h"
#include "test_batch.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_config.h"
#include "vg_error.h"

#include <stdarg.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>

extern const agent_input_plugin_t in_system_plugin;

/* ---- looking samples up in a batch ------------------------------------ */

/* The number of samples of metric name carrying every label of the
 * NULL-terminated key, value, ... list (and, when exact, no other label);
 * *value receives the last one's value. */
static size_t
s_lookup (const vg_batch_t *b, const char *name, int exact, double *value, ...)
{
    va_list ap;
    va_start (ap, value);
    size_t n = test_batch_vfind (b, name, TEST_KIND_ANY, exact, value, ap);
    va_end (ap);
    return n;
}

/* The value of the one sample of name with exactly these labels; fails the
 * test when there is none or more than one. */
#define GET(b, name, ...) s_get (__FILE__, __LINE__, (b), (name), __VA_ARGS__)
static double
s_get (const char *file, int line, const vg_batch_t *b, const char *name, const char *k1,
       const char *v1, const char *k2, const char *v2)
{
    double v = NAN;
    size_t n = s_lookup (b, name, 1, &v, k1, v1, k2, v2, NULL);
    if (n != 1) {
        fprintf (stderr, "%s:%d: %s{%s=%s,%s=%s}: %zu samples, want 1\n", file, line, name,
                 k1 ? k1 : "", v1 ? v1 : "", k2 ? k2 : "", v2 ? v2 : "", n);
        exit (1);
    }
    return v;
}
#define GET0(b, name)         GET (b, name, NULL, NULL, NULL, NULL)
#define GET1(b, name, k, v)   GET (b, name, k, v, NULL, NULL)
#define COUNT(b, name)        s_lookup ((b), (name), 0, NULL, NULL)
#define COUNT1(b, name, k, v) s_lookup ((b), (name), 0, NULL, (k), (v), NULL)

/* How many samples have a metric name ending in suffix. */
static size_t
s_count_suffix (const vg_batch_t *b, const char *suffix)
{
    size_t n = 0, sl = strlen (suffix);
    for (size_t i = 0; i < b->nsamples; i++) {
        const char *name = b->strings[b->series[b->sample_series[i]].name];
        size_t nl = strlen (name);
        if (nl >= sl && strcmp (name + nl - sl, suffix) == 0)
            n++;
    }
    return n;
}

/* The sum of the values of samples whose metric name ends in suffix. */
static double
s_sum_suffix (const vg_batch_t *b, const char *suffix)
{
    double sum = 0;
    size_t sl = strlen (suffix);
    for (size_t i = 0; i < b->nsamples; i++) {
        const char *name = b->strings[b->series[b->sample_series[i]].name];
        size_t nl = strlen (name);
        if (nl >= sl && strcmp (name + nl - sl, suffix) == 0)
            sum += b->sample_value[i];
    }
    return sum;
}

/* ---- an input instance the way the core runs one ---------------------- */

static const vg_option_t *
s_option (const char *name)
{
    for (const vg_option_t *o = in_system_plugin.options; o->name; o++)
        if (strcmp (o->name, name) == 0)
            return o;
    TEST_FAIL ("no option %s", name);
}

static void
s_set_root (test_input_t *h, const char *root)
{
    char **field = (char **)((char *)h->ctx + s_option ("root")->offset);
    free (*field);
    *field = vg_strdup (root);
}

/* Starts an instance configured by yaml (the keys of its agent.yaml entry
 * other than type/name/interval/labels), through the real option parser;
 * yaml may be NULL for the defaults. root overrides the root option. */
static void
s_start_yaml (test_input_t *h, const char *root, const char *yaml)
{
    if (test_input_configure (h, &in_system_plugin, yaml) != VG_OK)
        TEST_FAIL ("options: %s", h->err);
    s_set_root (h, root);
    agent_input_env_t env = {.instance = "test", .state_dir = NULL, .interval_ms = 5000};
    if (test_input_init (h, &env) != VG_OK)
        TEST_FAIL ("init: %s", h->err);
}

static void
s_start (test_input_t *h, const char *root)
{
    s_start_yaml (h, root, NULL);
}

/* Collects into a fresh batch at now_ms; returns the collect's code. */
static int
s_collect (test_input_t *h, int64_t now_ms)
{
    return test_input_try_collect (h, now_ms);
}

static char *
s_fixture (const char *name)
{
    const char *dir = getenv ("VIGIL_FIXTURES");
    if (!dir)
        TEST_FAIL ("VIGIL_FIXTURES is not set (run through ctest)");
    return vg_asprintf ("%s/%s", dir, name);
}

/* ---- parsers on text written here ------------------------------------- */

static void
test_parse_stat (void)
{
    /* guest (9th) and guest_nice (10th) are inside user and nice already */
    const char *text = "cpu  100 5 50 1000 20 3 7 2 40 1\n"
                       "cpu0 60 5 30 500 10 2 4 1 40 1\n"
                       "cpu3 40 0 20 500 10 1 3 1 0 0\n"
                       "intr 1 2 3\nctxt 99\nbtime 1\n"
                       "processes 4242\nprocs_running 3\nprocs_blocked 1\n";
    in_system_stat_t st = {0};
    ASSERT_EQ (in_system_parse_stat (&st, text), VG_OK);
    ASSERT_EQ (st.total.v[IN_SYSTEM_CPU_USER], 100);
    ASSERT_EQ (st.total.v[IN_SYSTEM_CPU_STEAL], 2);
    /* 100+5+50+1000+20+3+7+2: guest is not added again */
    ASSERT_EQ (in_system_parse_cpu_total (&st.total), 1187);
    ASSERT_EQ (st.ncpus, 2);
    ASSERT_EQ (st.cpu_ids[0], 0);
    ASSERT_EQ (st.cpu_ids[1], 3);
    ASSERT_EQ (st.cpus[1].v[IN_SYSTEM_CPU_SOFTIRQ], 3);
    ASSERT (st.has_forks && st.has_running && st.has_blocked);
    ASSERT_EQ (st.forks, 4242);
    ASSERT_EQ (st.procs_running, 3);
    ASSERT_EQ (st.procs_blocked, 1);

    /* A 2.6.x kernel: four modes only, the rest read as 0; no trailing newline. */
    ASSERT_EQ (in_system_parse_stat (&st, "cpu 1 2 3 4\ncpu0 1 2 3 4"), VG_OK);
    ASSERT_EQ (st.total.v[IN_SYSTEM_CPU_IDLE], 4);
    ASSERT_EQ (st.total.v[IN_SYSTEM_CPU_IOWAIT], 0);
    ASSERT_EQ (st.ncpus, 1);
    ASSERT (!st.has_forks);

    in_system_stat_t copy = {0};
    in_system_parse_stat_copy (&copy, &st);
    ASSERT_EQ (copy.ncpus, 1);
    ASSERT_EQ (copy.cpus[0].v[IN_SYSTEM_CPU_IDLE], 4);
    ASSERT (copy.cpus != st.cpus);

    ASSERT_EQ (in_system_parse_stat (&st, "intr 1\n"), VG_EINVAL);
    ASSERT_EQ (in_system_parse_stat (&st, ""), VG_EINVAL);
    in_system_parse_stat_free (&st);
    in_system_parse_stat_free (&copy);
}

static void
test_parse_meminfo (void)
{
    in_system_mem_t mem;
    ASSERT_EQ (in_system_parse_meminfo (&mem, "MemTotal:  1000 kB\nMemFree:  100 kB\n"
                                              "MemAvailable:  600 kB\nBuffers: 10 kB\n"
                                              "Cached: 20 kB\nSwapCached: 5 kB\n"
                                              "SwapTotal:  400 kB\nSwapFree:  300 kB\n"),
               VG_OK);
    ASSERT_EQ (mem.total, 1000 * 1024);
    ASSERT_EQ (mem.available, 600 * 1024);
    ASSERT (mem.has_swap);
    ASSERT_EQ (mem.swap_total, 400 * 1024);
    ASSERT_EQ (mem.swap_free, 300 * 1024);

    /* Before 3.14 there is no MemAvailable: MemFree + Buffers + Cached. */
    ASSERT_EQ (in_system_parse_meminfo (&mem, "MemTotal: 1000 kB\nMemFree: 100 kB\n"
                                              "Buffers: 10 kB\nCached: 20 kB\n"),
               VG_OK);
    ASSERT_EQ (mem.available, 130 * 1024);
    ASSERT (!mem.has_swap);

    ASSERT_EQ (in_system_parse_meminfo (&mem, "MemFree: 100 kB\n"), VG_EINVAL);
}

static void
test_parse_loadavg (void)
{
    in_system_load_t load;
    ASSERT_EQ (in_system_parse_loadavg (&load, "0.56 0.21 12.08 4/124 12669\n"), VG_OK);
    ASSERT_NEAR (load.load1, 0.56, 1e-12);
    ASSERT_NEAR (load.load5, 0.21, 1e-12);
    ASSERT_NEAR (load.load15, 12.08, 1e-12);
    ASSERT (load.has_threads);
    ASSERT_EQ (load.threads, 124);
    ASSERT_EQ (in_system_parse_loadavg (&load, "0.5 0.2\n"), VG_EINVAL);
    ASSERT_EQ (in_system_parse_loadavg (&load, "junk"), VG_EINVAL);
}

static void
test_parse_mounts (void)
{
    char line[] = "/dev/sda1 /mnt/my\\040disk\\134x ext4 rw,relatime 0 0";
    in_system_mount_t m;
    ASSERT_EQ (in_system_parse_mount_line (line, &m), VG_OK);
    ASSERT_STR_EQ (m.device, "/dev/sda1");
    ASSERT_STR_EQ (m.mountpoint, "/mnt/my disk\\x");
    ASSERT_STR_EQ (m.fstype, "ext4");

    char short_line[] = "/dev/sda1 /mnt";
    ASSERT_EQ (in_system_parse_mount_line (short_line, &m), VG_EINVAL);

    /* A backslash not followed by three octal digits stays as it is. */
    char odd[] = "a\\09b\\";
    in_system_parse_unescape (odd);
    ASSERT_STR_EQ (odd, "a\\09b\\");
}

static void
test_parse_devices (void)
{
    in_system_dev_t dev;
    char disk[] = " 254       0 vda 34950 8539 3449290 15726 23420 9506 4212952 11537 0 9296 "
                  "28542 10340 34 884096 895 7072 383";
    ASSERT_EQ (in_system_parse_diskstats_line (disk, &dev), VG_OK);
    ASSERT_STR_EQ (dev.name, "vda");
    ASSERT_EQ (dev.v[IN_SYSTEM_DISK_READS], 34950);
    ASSERT_EQ (dev.v[IN_SYSTEM_DISK_READ_SECTORS], 3449290);
    ASSERT_EQ (dev.v[IN_SYSTEM_DISK_WRITES], 23420);
    ASSERT_EQ (dev.v[IN_SYSTEM_DISK_WRITE_SECTORS], 4212952);
    ASSERT_EQ (dev.v[IN_SYSTEM_DISK_IO_TICKS], 9296);
    /* Kernels before 2.6.25 gave partitions four fields only. */
    char old_part[] = "   8    1 sda1 100 200 300 400";
    ASSERT_EQ (in_system_parse_diskstats_line (old_part, &dev), VG_EINVAL);

    char header1[] = "Inter-|   Receive                            |  Transmit";
    char header2[] = " face |bytes    packets errs drop fifo frame compressed multicast|bytes";
    ASSERT_EQ (in_system_parse_netdev_line (header1, &dev), VG_EINVAL);
    ASSERT_EQ (in_system_parse_netdev_line (header2, &dev), VG_EINVAL);
    /* Old kernels let a large counter touch the colon. */
    char eth[] = "  eth0:4294967296 10 1 2 0 0 0 0 500 20 3 4 0 0 0 0";
    ASSERT_EQ (in_system_parse_netdev_line (eth, &dev), VG_OK);
    ASSERT_STR_EQ (dev.name, "eth0");
    ASSERT_EQ (dev.v[IN_SYSTEM_NET_RX_BYTES], 4294967296LL);
    ASSERT_EQ (dev.v[IN_SYSTEM_NET_RX_PACKETS], 10);
    ASSERT_EQ (dev.v[IN_SYSTEM_NET_RX_ERRORS], 1);
    ASSERT_EQ (dev.v[IN_SYSTEM_NET_RX_DROPS], 2);
    ASSERT_EQ (dev.v[IN_SYSTEM_NET_TX_BYTES], 500);
    ASSERT_EQ (dev.v[IN_SYSTEM_NET_TX_PACKETS], 20);
    ASSERT_EQ (dev.v[IN_SYSTEM_NET_TX_ERRORS], 3);
    ASSERT_EQ (dev.v[IN_SYSTEM_NET_TX_DROPS], 4);
    char truncated[] = "  eth0: 1 2 3";
    ASSERT_EQ (in_system_parse_netdev_line (truncated, &dev), VG_EINVAL);
}

/* ---- the captured trees ----------------------------------------------- */

/* Metrics that need two readings. */
static size_t
s_count_rates (const vg_batch_t *b)
{
    return s_count_suffix (b, "_per_second") + COUNT (b, "system_cpu_percent") +
           COUNT (b, "system_cpu_mode_percent") + COUNT (b, "system_diskio_busy_percent");
}

/* A disk metric of "/" in the trees: "/dev/vda / ext4" in proc/mounts. */
static double
s_root_disk (const vg_batch_t *b, const char *name)
{
    double v = NAN;
    size_t n =
        s_lookup (b, name, 1, &v, "mount", "/", "device", "/dev/vda", "fstype", "ext4", NULL);
    if (n != 1)
        TEST_FAIL ("%s{mount=/}: %zu samples, want 1", name, n);
    return v;
}

/* Disk usage of "/" in the tree, against statvfs taken here around the
 * collect (the filesystem is live, so free space may move a little). */
static void
s_check_root_usage (const vg_batch_t *b, const struct statvfs *before, const struct statvfs *after)
{
    double frsize = (double)before->f_frsize;
    double total = (double)before->f_blocks * frsize;
    ASSERT_NEAR (s_root_disk (b, "system_disk_total_bytes"), total, 0.5);
    /* Allow what other processes wrote between the readings, plus 64 MiB. */
    double drift =
        fabs ((double)before->f_bavail - (double)after->f_bavail) * frsize + 64.0 * 1024 * 1024;
    double used = (double)(before->f_blocks - before->f_bfree) * frsize;
    double avail = (double)before->f_bavail * frsize;
    ASSERT_NEAR (s_root_disk (b, "system_disk_used_bytes"), used, drift);
    ASSERT_NEAR (s_root_disk (b, "system_disk_free_bytes"), avail, drift);
    /* used / (used + avail), as df shows it */
    ASSERT_NEAR (s_root_disk (b, "system_disk_used_percent"), 100.0 * used / (used + avail),
                 100.0 * drift / (used + avail) + 1e-9);
    if (before->f_files > 0) {
        double ipct = 100.0 * (double)(before->f_files - before->f_ffree) / (double)before->f_files;
        ASSERT_NEAR (s_root_disk (b, "system_disk_inodes_used_percent"), ipct, 1.0);
    }
}

/* What both trees have in common: mounts, their exclusions, counts. */
static void
s_check_mounts (const vg_batch_t *b)
{
    /* "/" is listed twice in the mounts file; it is reported once. */
    ASSERT_EQ (COUNT1 (b, "system_disk_total_bytes", "mount", "/"), 1);
    double v;
    ASSERT_EQ (s_lookup (b, "system_disk_total_bytes", 1, &v, "mount", "/data", "device",
                         "/dev/vdb", "fstype", "ext4", NULL),
               1);
    /* \040 in the mounts file is a space */
    ASSERT_EQ (COUNT1 (b, "system_disk_total_bytes", "mount", "/with space"), 1);
    ASSERT_EQ (COUNT1 (b, "system_disk_used_percent", "mount", "/with space"), 1);
    /* the directory /missing does not exist in the tree: statvfs fails */
    ASSERT_EQ (COUNT1 (b, "system_disk_total_bytes", "mount", "/missing"), 0);
    /* pseudo filesystems whose mount points do exist in the tree */
    static const char *const pseudo[] = {"proc", "sysfs", "devpts", "tmpfs", "cgroup2"};
    for (size_t i = 0; i < sizeof pseudo / sizeof pseudo[0]; i++)
        ASSERT_EQ (COUNT1 (b, "system_disk_total_bytes", "fstype", pseudo[i]), 0);
    ASSERT_EQ (COUNT (b, "system_disk_total_bytes"), 3);
    ASSERT_EQ (COUNT (b, "system_disk_free_bytes"), 3);

    /* two "cpuN" lines in both files */
    ASSERT_NEAR (GET0 (b, "system_cpu_count"), 2, 0);
    /* five numbered directories under proc/ in both trees */
    ASSERT_NEAR (GET0 (b, "system_processes_total"), 5, 0);
    /* no swap on the captured host: all zero, not missing */
    ASSERT_NEAR (GET0 (b, "system_swap_total_bytes"), 0, 0);
    ASSERT_NEAR (GET0 (b, "system_swap_used_bytes"), 0, 0);
    ASSERT_NEAR (GET0 (b, "system_swap_used_percent"), 0, 0);
    ASSERT_NEAR (GET0 (b, "system_memory_total_bytes"), 24684096.0 * 1024, 0);
}

static void
test_fixture_pair (void)
{
    char *proc_a = s_fixture ("proc-a");
    char *proc_b = s_fixture ("proc-b");
    test_input_t h;
    s_start (&h, proc_a);
    struct statvfs before, after;

    /* ---- first collect: proc-a at t = 0, no rates yet */
    ASSERT_EQ (statvfs (proc_a, &before), 0);
    ASSERT_EQ (s_collect (&h, 0), VG_OK);
    ASSERT_EQ (statvfs (proc_a, &after), 0);
    vg_batch_t *b = h.batch;
    ASSERT_EQ (s_count_rates (b), 0);
    s_check_mounts (b);
    s_check_root_usage (b, &before, &after);
    /* proc-a/proc/loadavg: "0.56 0.21 0.08 4/124 12669" */
    ASSERT_NEAR (GET0 (b, "system_load1"), 0.56, 1e-12);
    ASSERT_NEAR (GET0 (b, "system_threads_total"), 124, 0);
    /* proc-a/proc/stat: procs_running 4 */
    ASSERT_NEAR (GET0 (b, "system_processes_running"), 4, 0);
    /* proc-a/proc/meminfo: MemAvailable 24107940 kB */
    ASSERT_NEAR (GET0 (b, "system_memory_available_bytes"), 24107940.0 * 1024, 0);

    /* ---- second collect: proc-b at t = 5000 ms */
    s_set_root (&h, proc_b);
    ASSERT_EQ (statvfs (proc_b, &before), 0);
    ASSERT_EQ (s_collect (&h, 5000), VG_OK);
    ASSERT_EQ (statvfs (proc_b, &after), 0);
    s_check_mounts (b);
    s_check_root_usage (b, &before, &after);

    /* CPU, from the "cpu" lines (user nice system idle iowait irq softirq steal):
     *   a: 5028 0 4898 163267 629 0 120 523
     *   b: 5636 0 5081 163425 660 0 128 545
     *   d:  608 0  183    158  31 0   8  22   total 1010 ticks
     * busy = 100 * (1 - (158 + 31) / 1010) = 100 * 821 / 1010 = 81.2871... */
    const double dtotal = 1010;
    ASSERT_NEAR (GET0 (b, "system_cpu_percent"), 100.0 * 821 / dtotal, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_cpu_mode_percent", "mode", "user"), 100.0 * 608 / dtotal, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_cpu_mode_percent", "mode", "nice"), 0, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_cpu_mode_percent", "mode", "system"), 100.0 * 183 / dtotal, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_cpu_mode_percent", "mode", "idle"), 100.0 * 158 / dtotal, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_cpu_mode_percent", "mode", "iowait"), 100.0 * 31 / dtotal, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_cpu_mode_percent", "mode", "irq"), 0, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_cpu_mode_percent", "mode", "softirq"), 100.0 * 8 / dtotal, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_cpu_mode_percent", "mode", "steal"), 100.0 * 22 / dtotal, 1e-9);
    ASSERT_EQ (COUNT (b, "system_cpu_mode_percent"), 8);
    ASSERT_EQ (COUNT1 (b, "system_cpu_percent", "cpu", "0"), 0); /* percpu is off */

    /* Memory, proc-b/proc/meminfo: MemTotal 24684096 kB, MemAvailable 24099760 kB
     *   used = 24684096 - 24099760 = 584336 kB; used % = 584336 / 24684096 * 100 */
    ASSERT_NEAR (GET0 (b, "system_memory_available_bytes"), 24099760.0 * 1024, 0);
    ASSERT_NEAR (GET0 (b, "system_memory_used_bytes"), 584336.0 * 1024, 0);
    ASSERT_NEAR (GET0 (b, "system_memory_used_percent"), 100.0 * 584336 / 24684096, 1e-9);

    /* Load, proc-b/proc/loadavg: "0.67 0.24 0.09 3/112 13001" */
    ASSERT_NEAR (GET0 (b, "system_load1"), 0.67, 1e-12);
    ASSERT_NEAR (GET0 (b, "system_load5"), 0.24, 1e-12);
    ASSERT_NEAR (GET0 (b, "system_load15"), 0.09, 1e-12);
    ASSERT_NEAR (GET0 (b, "system_threads_total"), 112, 0);

    /* Processes, proc-b/proc/stat: procs_running 2, procs_blocked 0;
     * forks: processes 12668 -> 13000, (13000 - 12668) / 5 s = 66.4 /s */
    ASSERT_NEAR (GET0 (b, "system_processes_running"), 2, 0);
    ASSERT_NEAR (GET0 (b, "system_processes_blocked"), 0, 0);
    ASSERT_NEAR (GET0 (b, "system_forks_per_second"), 66.4, 1e-9);

    /* Network, "lo" in net/dev (rx bytes, packets; tx the same on loopback):
     *   a: 920726069 23857   b: 921872357 24479
     *   bytes (921872357 - 920726069) / 5 = 1146288 / 5 = 229257.6 /s
     *   packets (24479 - 23857) / 5 = 622 / 5 = 124.4 /s; no errors, no drops */
    ASSERT_NEAR (GET1 (b, "system_net_rx_bytes_per_second", "interface", "lo"), 229257.6, 1e-6);
    ASSERT_NEAR (GET1 (b, "system_net_tx_bytes_per_second", "interface", "lo"), 229257.6, 1e-6);
    ASSERT_NEAR (GET1 (b, "system_net_rx_packets_per_second", "interface", "lo"), 124.4, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_net_tx_packets_per_second", "interface", "lo"), 124.4, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_net_rx_errors_per_second", "interface", "lo"), 0, 0);
    ASSERT_NEAR (GET1 (b, "system_net_tx_drops_per_second", "interface", "lo"), 0, 0);
    /* eth0 did not move: rates of 0, not missing */
    ASSERT_NEAR (GET1 (b, "system_net_rx_bytes_per_second", "interface", "eth0"), 0, 0);
    /* lo ifb0 ifb1 eth0, none excluded by default */
    ASSERT_EQ (COUNT (b, "system_net_rx_bytes_per_second"), 4);

    /* Disk I/O, "vda" in diskstats (reads, read sectors, writes, write sectors, io_ticks):
     *   a: 34950 3449290 23420 4212952 9296
     *   b: 34975 3453858 26503 5444120 9860
     *   reads 25 / 5 = 5 /s; read bytes 4568 * 512 / 5 = 467763.2 /s
     *   writes 3083 / 5 = 616.6 /s; write bytes 1231168 * 512 / 5 = 126071603.2 /s
     *   busy 564 ms / 5000 ms * 100 = 11.28 % */
    ASSERT_NEAR (GET1 (b, "system_diskio_reads_per_second", "device", "vda"), 5, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_diskio_read_bytes_per_second", "device", "vda"), 467763.2, 1e-6);
    ASSERT_NEAR (GET1 (b, "system_diskio_writes_per_second", "device", "vda"), 616.6, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_diskio_write_bytes_per_second", "device", "vda"), 126071603.2,
                 1e-4);
    ASSERT_NEAR (GET1 (b, "system_diskio_busy_percent", "device", "vda"), 11.28, 1e-9);
    /* loop0..7 and zram0 are excluded by default; vda is the only device left */
    ASSERT_EQ (COUNT1 (b, "system_diskio_reads_per_second", "device", "loop0"), 0);
    ASSERT_EQ (COUNT1 (b, "system_diskio_reads_per_second", "device", "zram0"), 0);
    ASSERT_EQ (COUNT (b, "system_diskio_reads_per_second"), 1);

    /* ---- third collect: back to proc-a at t = 10000. Every counter that
     * moved went backwards, as after a reset: no rate for those, never a
     * negative one. Counters that stayed put (eth0, ifb*, lo's errors and
     * drops) still have a rate of 0. */
    s_set_root (&h, proc_a);
    ASSERT_EQ (s_collect (&h, 10000), VG_OK);
    ASSERT_EQ (COUNT (b, "system_cpu_percent"), 0);
    ASSERT_EQ (COUNT (b, "system_cpu_mode_percent"), 0);
    ASSERT_EQ (COUNT (b, "system_forks_per_second"), 0);
    ASSERT_EQ (COUNT1 (b, "system_net_rx_bytes_per_second", "interface", "lo"), 0);
    ASSERT_EQ (COUNT1 (b, "system_net_tx_packets_per_second", "interface", "lo"), 0);
    ASSERT_NEAR (GET1 (b, "system_net_rx_errors_per_second", "interface", "lo"), 0, 0);
    ASSERT_EQ (COUNT (b, "system_diskio_busy_percent"), 0);
    ASSERT_EQ (s_count_suffix (b, "_per_second"), 3 * 8 + 4);
    for (size_t i = 0; i < b->nsamples; i++)
        ASSERT (b->sample_value[i] >= 0);
    ASSERT_EQ (s_sum_suffix (b, "_per_second"), 0);
    ASSERT_NEAR (GET0 (b, "system_load1"), 0.56, 1e-12);

    /* ---- fourth: proc-b at t = 20000, 10 s after the third: rates are back,
     * over the new interval (1146288 bytes / 10 s) */
    s_set_root (&h, proc_b);
    ASSERT_EQ (s_collect (&h, 20000), VG_OK);
    ASSERT_NEAR (GET0 (b, "system_cpu_percent"), 100.0 * 821 / dtotal, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_net_rx_bytes_per_second", "interface", "lo"), 114628.8, 1e-6);
    ASSERT_NEAR (GET1 (b, "system_diskio_busy_percent", "device", "vda"), 5.64, 1e-9);

    /* ---- the same time twice: no rates (nothing to divide by) */
    ASSERT_EQ (s_collect (&h, 20000), VG_OK);
    ASSERT_EQ (s_count_rates (b), 0);

    test_input_stop (&h);
    free (proc_a);
    free (proc_b);
}

/* percpu on, a mount point glob, a device glob that also takes an interface. */
static void
test_fixture_options (void)
{
    char *proc_a = s_fixture ("proc-a");
    char *proc_b = s_fixture ("proc-b");
    test_input_t h;
    s_start_yaml (&h, proc_a,
                  "percpu: true\n"
                  "mounts_exclude: [\"/with*\"]\n"
                  "devices_exclude: [\"ifb*\", \"vd?\"]\n"
                  "mounts_exclude_fstypes: proc\n");

    ASSERT_EQ (s_collect (&h, 1000), VG_OK);
    s_set_root (&h, proc_b);
    ASSERT_EQ (s_collect (&h, 6000), VG_OK);
    vg_batch_t *b = h.batch;

    /* cpu1 lines: a 2842 0 2808 80616 589 0 88 270, b 3193 0 2904 80635 611 0 95 280
     *   d: 351 0 96 19 22 0 7 10, total 505; busy = 100 * (1 - 41 / 505) */
    ASSERT_NEAR (GET1 (b, "system_cpu_percent", "cpu", "1"), 100.0 * (1 - 41.0 / 505), 1e-9);
    ASSERT_NEAR (GET (b, "system_cpu_mode_percent", "cpu", "1", "mode", "user"), 100.0 * 351 / 505,
                 1e-9);
    /* cpu0: a 2185 0 2089 82650 39 0 32 252, b 2443 0 2176 82790 48 0 33 264
     *   d: 258 0 87 140 9 0 1 12, total 507; busy = 100 * (1 - 149 / 507) */
    ASSERT_NEAR (GET1 (b, "system_cpu_percent", "cpu", "0"), 100.0 * (1 - 149.0 / 507), 1e-9);
    /* the total series keeps no cpu label, beside the two per-CPU ones */
    ASSERT_NEAR (GET0 (b, "system_cpu_percent"), 100.0 * 821 / 1010, 1e-9);
    ASSERT_EQ (COUNT (b, "system_cpu_percent"), 3);
    ASSERT_EQ (COUNT (b, "system_cpu_mode_percent"), 24);

    /* "/with space" is excluded by mount glob; only proc by type now, so the
     * tmpfs, devpts, sysfs and cgroup2 mounts of the tree are reported */
    ASSERT_EQ (COUNT1 (b, "system_disk_total_bytes", "mount", "/with space"), 0);
    ASSERT_EQ (COUNT1 (b, "system_disk_total_bytes", "fstype", "proc"), 0);
    ASSERT_EQ (COUNT1 (b, "system_disk_total_bytes", "fstype", "tmpfs"), 1);
    ASSERT_EQ (COUNT1 (b, "system_disk_total_bytes", "mount", "/sys/fs/cgroup"), 1);
    /* / /data /dev/pts /dev/shm /sys /sys/fs/cgroup */
    ASSERT_EQ (COUNT (b, "system_disk_total_bytes"), 6);

    /* vda excluded by "vd?", loop devices no longer excluded (and idle) */
    ASSERT_EQ (COUNT1 (b, "system_diskio_reads_per_second", "device", "vda"), 0);
    ASSERT_NEAR (GET1 (b, "system_diskio_reads_per_second", "device", "loop0"), 0, 0);
    ASSERT_EQ (COUNT1 (b, "system_net_rx_bytes_per_second", "interface", "ifb0"), 0);
    ASSERT_EQ (COUNT (b, "system_net_rx_bytes_per_second"), 2); /* lo and eth0 */

    test_input_stop (&h);
    free (proc_a);
    free (proc_b);
}

/* ---- a tree written here: devices come and go, files go missing -------- */

static void
s_write (const char *dir, const char *rel, const char *text)
{
    char *path = vg_asprintf ("%s/%s", dir, rel);
    test_write_file (path, text);
    free (path);
}

static void
s_net (const char *dir, const char *eth0, const char *other)
{
    char *text = vg_asprintf ("Inter-|   Receive |  Transmit\n"
                              " face |bytes    packets|bytes\n"
                              "  eth0: %s 0 0 0 0 0 0 0 0 0 0 0\n"
                              "  %s: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n",
                              eth0, other);
    s_write (dir, "proc/net/dev", text);
    free (text);
}

static void
test_devices_come_and_go (void)
{
    char *dir = test_tmpdir ("in_system_devices");
    char *sub = vg_asprintf ("%s/proc", dir);
    ASSERT_EQ (mkdir (sub, 0755), 0);
    free (sub);
    sub = vg_asprintf ("%s/proc/net", dir);
    ASSERT_EQ (mkdir (sub, 0755), 0);
    free (sub);
    s_write (dir, "proc/stat", "cpu  10 0 10 80 0 0 0 0\ncpu0 10 0 10 80 0 0 0 0\n");

    test_input_t h;
    s_start (&h, dir);
    vg_batch_t *b = h.batch;
    /* eth0 rx bytes, rx packets, errs, drop | tx bytes, packets, errs, drop */
    s_net (dir, "1000 10 0 0 0 0 0 0 2000 20", "eth1");
    ASSERT_EQ (s_collect (&h, 0), VG_OK);
    ASSERT_EQ (s_count_rates (b), 0);

    /* eth1 is gone and eth2 is new: eth2 has no rate yet; eth0 moved
     * 1000 -> 3000 rx bytes, 10 -> 14 packets, 0 -> 2 errors, 0 -> 1 drop
     * in 2 s: 1000 B/s, 2 packets/s, 1 error/s, 0.5 drop/s; tx 2000 -> 2000 */
    s_net (dir, "3000 14 2 1 0 0 0 0 2000 20", "eth2");
    ASSERT_EQ (s_collect (&h, 2000), VG_OK);
    ASSERT_NEAR (GET1 (b, "system_net_rx_bytes_per_second", "interface", "eth0"), 1000, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_net_rx_packets_per_second", "interface", "eth0"), 2, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_net_rx_errors_per_second", "interface", "eth0"), 1, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_net_rx_drops_per_second", "interface", "eth0"), 0.5, 1e-9);
    ASSERT_NEAR (GET1 (b, "system_net_tx_bytes_per_second", "interface", "eth0"), 0, 0);
    ASSERT_EQ (COUNT1 (b, "system_net_rx_bytes_per_second", "interface", "eth2"), 0);
    ASSERT_EQ (COUNT1 (b, "system_net_rx_bytes_per_second", "interface", "eth1"), 0);

    /* eth1 is back: it was forgotten, so it starts over without a rate.
     * eth0's rx bytes wrapped (3000 -> 500): no rx byte rate this time, but
     * its other counters still have one. */
    s_net (dir, "500 16 2 1 0 0 0 0 2000 20", "eth1");
    ASSERT_EQ (s_collect (&h, 4000), VG_OK);
    ASSERT_EQ (COUNT1 (b, "system_net_rx_bytes_per_second", "interface", "eth1"), 0);
    ASSERT_EQ (COUNT1 (b, "system_net_rx_bytes_per_second", "interface", "eth0"), 0);
    ASSERT_NEAR (GET1 (b, "system_net_rx_packets_per_second", "interface", "eth0"), 1, 1e-9);

    /* diskstats, meminfo, loadavg, mounts missing (as in some containers):
     * skipped without an error */
    ASSERT_EQ (COUNT (b, "system_memory_total_bytes"), 0);
    ASSERT_EQ (COUNT (b, "system_load1"), 0);
    ASSERT_EQ (COUNT (b, "system_disk_total_bytes"), 0);
    ASSERT_EQ (COUNT (b, "system_diskio_reads_per_second"), 0);
    ASSERT_NEAR (GET0 (b, "system_cpu_count"), 1, 0);
    /* no numbered directories under proc/ */
    ASSERT_NEAR (GET0 (b, "system_processes_total"), 0, 0);

    /* A CPU total that went backwards: no CPU percentages this interval. */
    s_write (dir, "proc/stat", "cpu  5 0 5 40 0 0 0 0\ncpu0 5 0 5 40 0 0 0 0\n");
    ASSERT_EQ (s_collect (&h, 6000), VG_OK);
    ASSERT_EQ (COUNT (b, "system_cpu_percent"), 0);
    /* iowait alone dipping (the kernel's accounting can): counted as 0.
     * d: user 5, system 5, idle 40, iowait -2 -> 0: total 50; busy 20 % */
    s_write (dir, "proc/stat", "cpu  10 0 10 80 2 0 0 0\ncpu0 10 0 10 80 2 0 0 0\n");
    ASSERT_EQ (s_collect (&h, 8000), VG_OK);
    s_write (dir, "proc/stat", "cpu  15 0 15 120 0 0 0 0\ncpu0 15 0 15 120 0 0 0 0\n");
    ASSERT_EQ (s_collect (&h, 10000), VG_OK);
    ASSERT_NEAR (GET0 (b, "system_cpu_percent"), 20, 1e-9);

    /* Without proc/stat the root is wrong: an error naming the path. */
    char *stat_path = vg_asprintf ("%s/proc/stat", dir);
    ASSERT_EQ (unlink (stat_path), 0);
    ASSERT_EQ (s_collect (&h, 12000), VG_EIO);
    ASSERT_STR_CONTAINS (h.err, stat_path);
    free (stat_path);

    test_input_stop (&h);
    free (dir);
}

/* Mistakes in agent.yaml are reported with the line and key. */
static void
test_bad_options (void)
{
    char err[512];
    void *ctx = vg_calloc (1, in_system_plugin.ctx_size);
    vg_config_t *cfg = vg_config_load_string ("agent.yaml", "percpu: false\nmounts_exlude: [/a]\n",
                                              err, sizeof err);
    ASSERT (cfg);
    ASSERT_EQ (vg_config_apply (cfg, vg_config_root (cfg), in_system_plugin.options, NULL, ctx,
                                "inputs[0]", err, sizeof err),
               VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "agent.yaml:2");
    ASSERT_STR_CONTAINS (err, "mounts_exlude");
    vg_config_destroy (&cfg);
    vg_config_free_fields (in_system_plugin.options, ctx);
    free (ctx);

    /* An empty root would read /proc relative to the working directory. */
    ctx = vg_calloc (1, in_system_plugin.ctx_size);
    ASSERT_EQ (vg_config_defaults (in_system_plugin.options, ctx, err, sizeof err), VG_OK);
    char **root = (char **)((char *)ctx + s_option ("root")->offset);
    free (*root);
    *root = vg_strdup ("");
    agent_input_env_t env = {.instance = "test"};
    ASSERT_EQ (in_system_plugin.init (ctx, &env, err, sizeof err), VG_EINVAL);
    ASSERT_STR_CONTAINS (err, "root");
    vg_config_free_fields (in_system_plugin.options, ctx);
    free (ctx);
}

/* The real /proc of the machine running the test: sane values, and memory
 * as sysinfo(2) sees it. */
static void
test_live_host (void)
{
    test_input_t h;
    s_start (&h, "/");
    vg_batch_t *b = h.batch;
    ASSERT_EQ (s_collect (&h, 0), VG_OK);
    ASSERT_GE (GET0 (b, "system_cpu_count"), 1);
    ASSERT_GE (GET0 (b, "system_processes_total"), 1);
    ASSERT_GE (GET0 (b, "system_threads_total"), 1);
    ASSERT (GET0 (b, "system_load1") >= 0);
    struct sysinfo si;
    ASSERT_EQ (sysinfo (&si), 0);
    ASSERT_NEAR (GET0 (b, "system_memory_total_bytes"), (double)si.totalram * si.mem_unit, 1024.0);
    double used = GET0 (b, "system_memory_used_percent");
    ASSERT (used > 0 && used < 100);
    ASSERT_GE (COUNT (b, "system_disk_total_bytes"), 1);
    ASSERT_EQ (COUNT1 (b, "system_disk_total_bytes", "fstype", "proc"), 0);
    ASSERT_EQ (s_count_rates (b), 0);

    /* Collect until the kernel has counted some CPU ticks (a few ms). */
    int64_t t = 0;
    do {
        test_sleep_ms (20);
        t += 20;
        ASSERT_EQ (s_collect (&h, t), VG_OK);
    } while (COUNT (b, "system_cpu_percent") == 0 && t < 10000);
    double cpu = GET0 (b, "system_cpu_percent");
    ASSERT (cpu >= 0 && cpu <= 100);
    double sum = 0;
    for (int m = 0; m < IN_SYSTEM_CPU_NMODES; m++)
        sum += GET1 (b, "system_cpu_mode_percent", "mode", in_system_cpu_mode_names[m]);
    ASSERT_NEAR (sum, 100, 1e-6);
    for (size_t i = 0; i < b->nsamples; i++)
        ASSERT (b->sample_value[i] >= 0);
    ASSERT_GE (COUNT (b, "system_net_rx_bytes_per_second"), 1);
    test_input_stop (&h);
}

int
main (void)
{
    test_parse_stat ();
    test_parse_meminfo ();
    test_parse_loadavg ();
    test_parse_mounts ();
    test_parse_devices ();
    test_fixture_pair ();
    test_fixture_options ();
    test_devices_come_and_go ();
    test_bad_options ();
    test_live_host ();
    printf ("test_in_system: ok\n");
    return 0;
}
