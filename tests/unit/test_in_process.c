/*  test_in_process.c - the process input on a hand-made /proc tree, where
 *  every value is known, and on real child processes this test starts.
 */
#include "agent_input.h"
#include "test_assert.h"
#include "test_batch.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_batch.h"
#include "vg_error.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern const agent_input_plugin_t in_process_plugin;

/* ---- an instance the way the core runs one ---------------------------- */

/* An instance called name, run every 10 s. */
#define ENV(name) (&(agent_input_env_t){.instance = (name), .interval_ms = 10000})

/* Parses yaml (an input's own keys) through the real option parser; returns
 * the code and leaves the message in h->err. */
static int
s_configure (test_input_t *h, const char *yaml)
{
    return test_input_configure (h, &in_process_plugin, yaml);
}

/* The number of samples named name in the last collect; *value gets the
 * last one's value and *kind its series' kind. Every sample of this input
 * carries process=<instance>; that is checked here too. */
static size_t
s_lookup (const test_input_t *h, const char *name, double *value, vg_kind_t *kind)
{
    const vg_batch_t *b = h->batch;
    size_t found = 0;
    for (size_t i = 0; i < b->nsamples; i++) {
        const vg_series_t *s = &b->series[b->sample_series[i]];
        if (strcmp (b->strings[s->name], name) != 0)
            continue;
        ASSERT (s->nlabels >= 1);
        ASSERT_STR_EQ (b->strings[s->labels[0]], "process");
        found++;
        if (value)
            *value = b->sample_value[i];
        if (kind)
            *kind = s->kind;
    }
    return found;
}

#define GET(h, name) s_get (__LINE__, (h), (name))
static double
s_get (int line, const test_input_t *h, const char *name)
{
    double v = NAN;
    size_t n = s_lookup (h, name, &v, NULL);
    if (n != 1)
        TEST_FAIL ("line %d: %s: %zu samples, want 1", line, name, n);
    return v;
}

#define HAS(h, name) s_lookup ((h), (name), NULL, NULL)

/* ---- a hand-made /proc tree ------------------------------------------- */

static long s_clk_tck, s_page;

/* Writes ROOT/proc/pid/stat for a process with these fields (see proc(5));
 * the fields the input does not read hold values that would fool a parser
 * counting from the wrong place. */
static void
s_fake_proc (const char *root, int pid, const char *comm, char state, int utime, int stime,
             int threads, int start, int rss_pages)
{
    char *dir = vg_asprintf ("%s/proc/%d", root, pid);
    mkdir (dir, 0755);
    char *path = vg_asprintf ("%s/stat", dir);
    char *text = vg_asprintf ("%d (%s) %c 1 %d %d 0 -1 4194560 77 0 3 0 %d %d 9 8 20 -5 %d 0 %d "
                              "11223344 %d 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 "
                              "0 0 0\n",
                              pid, comm, state, pid, pid, utime, stime, threads, start, rss_pages);
    test_write_file (path, text);
    free (text);
    free (path);
    free (dir);
}

/* ROOT/proc/pid/fd as a directory of n entries. */
static void
s_fake_fds (const char *root, int pid, int n)
{
    char *dir = vg_asprintf ("%s/proc/%d/fd", root, pid);
    mkdir (dir, 0755);
    for (int i = 0; i < n; i++) {
        char *path = vg_asprintf ("%s/%d", dir, i);
        test_write_file (path, "");
        free (path);
    }
    free (dir);
}

static void
s_fake_cmdline (const char *root, int pid, const char *args, size_t len)
{
    char *path = vg_asprintf ("%s/proc/%d/cmdline", root, pid);
    FILE *f = fopen (path, "wb");
    ASSERT (f);
    ASSERT_EQ (fwrite (args, 1, len, f), len);
    fclose (f);
    free (path);
}

/* A command line as the kernel shows it: arguments ending in NULs. */
#define S_ARGS(lit) (lit), sizeof (lit)

static char *
s_fake_tree (void)
{
    char *root = test_tmpdir ("in_process_tree");
    char *proc = vg_asprintf ("%s/proc", root);
    mkdir (proc, 0755);
    char *stat = vg_asprintf ("%s/stat", proc);
    test_write_file (stat, "cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n"
                           "intr 12345 1 2 3\nctxt 99\nbtime 1700000000\nprocesses 4242\n");
    /* two live matches, a zombie of the same name and another process */
    s_fake_proc (root, 100, "myd", 'S', 50, 25, 3, 1000, 250);
    s_fake_fds (root, 100, 3);
    s_fake_cmdline (root, 100, S_ARGS ("/usr/sbin/myd\0--port\0008080"));
    s_fake_proc (root, 101, "myd", 'R', 10, 10, 2, 500, 100);
    /* an fd "directory" that cannot be listed: the fds are not counted */
    char *fd = vg_asprintf ("%s/proc/101/fd", root);
    test_write_file (fd, "");
    s_fake_cmdline (root, 101, S_ARGS ("myd\0--port\0009090"));
    s_fake_proc (root, 102, "myd", 'Z', 1, 1, 1, 1, 0);
    s_fake_proc (root, 103, "my) (d", 'S', 1, 1, 1, 2000, 1);
    s_fake_fds (root, 103, 1);
    /* not processes */
    char *self = vg_asprintf ("%s/proc/self", root);
    mkdir (self, 0755);
    free (self);
    free (fd);
    free (stat);
    free (proc);
    return root;
}

static void
test_fake_tree (void)
{
    char *root = s_fake_tree ();
    test_input_t h;
    test_input_startf (&h, &in_process_plugin, ENV ("myd"), "root: %s\ncomm: myd\n", root);
    test_input_collect (&h, 1000000);
    ASSERT_EQ (GET (&h, "process_up"), 1);
    ASSERT_EQ (GET (&h, "process_count"), 2);
    ASSERT_EQ (GET (&h, "process_threads"), 3 + 2);
    ASSERT_NEAR (GET (&h, "process_rss_bytes"), (250.0 + 100.0) * (double)s_page, 0);
    ASSERT_EQ (GET (&h, "process_open_fds"), 3);
    ASSERT_EQ (GET (&h, "process_fd_unreadable"), 1);
    /* the oldest of the two started 500 ticks after boot */
    ASSERT_NEAR (GET (&h, "process_start_time_seconds"), 1700000000.0 + 500.0 / (double)s_clk_tck,
                 1e-6);
    ASSERT_EQ (GET (&h, "process_restarts_total"), 0);
    ASSERT_EQ (GET (&h, "process_dropped_total"), 0);
    ASSERT_EQ (HAS (&h, "process_cpu_percent"), 0); /* needs two readings */
    vg_kind_t kind;
    ASSERT_EQ (s_lookup (&h, "process_restarts_total", NULL, &kind), 1);
    ASSERT_EQ (kind, VG_KIND_COUNTER);

    /* 2 s later pid 100 used 80 + 20 more ticks, pid 101 none */
    s_fake_proc (root, 100, "myd", 'S', 130, 45, 3, 1000, 250);
    test_input_collect (&h, 1002000);
    ASSERT_NEAR (GET (&h, "process_cpu_percent"), 100.0 * 100.0 / (double)s_clk_tck / 2.0, 1e-9);
    ASSERT_EQ (GET (&h, "process_restarts_total"), 0);

    /* 101 is gone and 104 came: one restart. 104 has one reading: the CPU
     * it used is unknown, so there is no process_cpu_percent this time
     * rather than one that leaves it out. */
    char *cmd = vg_asprintf ("rm -rf '%s/proc/101'", root);
    ASSERT_EQ (system (cmd), 0);
    free (cmd);
    s_fake_proc (root, 104, "myd", 'S', 500, 500, 1, 3000, 10);
    s_fake_fds (root, 104, 2);
    test_input_collect (&h, 1004000);
    ASSERT_EQ (GET (&h, "process_count"), 2);
    ASSERT_EQ (GET (&h, "process_restarts_total"), 1);
    ASSERT_EQ (HAS (&h, "process_cpu_percent"), 0);
    ASSERT_EQ (GET (&h, "process_open_fds"), 3 + 2);
    ASSERT_EQ (GET (&h, "process_fd_unreadable"), 0);
    ASSERT_NEAR (GET (&h, "process_start_time_seconds"), 1700000000.0 + 1000.0 / (double)s_clk_tck,
                 1e-6);

    /* pid 100 reused by another process (another start time): a restart,
     * and again no CPU figure */
    s_fake_proc (root, 100, "myd", 'S', 0, 0, 1, 4000, 250);
    test_input_collect (&h, 1006000);
    ASSERT_EQ (GET (&h, "process_count"), 2);
    ASSERT_EQ (GET (&h, "process_restarts_total"), 2);
    ASSERT_EQ (HAS (&h, "process_cpu_percent"), 0);

    /* both seen twice now: 104 used 10 more ticks in 2 s, the new 100 none */
    s_fake_proc (root, 104, "myd", 'S', 505, 505, 1, 3000, 10);
    test_input_collect (&h, 1008000);
    ASSERT_NEAR (GET (&h, "process_cpu_percent"), 100.0 * 10.0 / (double)s_clk_tck / 2.0, 1e-9);

    /* time that did not move forward gives no rate */
    test_input_collect (&h, 1008000);
    ASSERT_EQ (HAS (&h, "process_cpu_percent"), 0);
    test_input_stop (&h);

    /* comm is whatever sits between the first '(' and the last ')' */
    test_input_startf (&h, &in_process_plugin, ENV ("odd"), "root: %s\ncomm: \"my) (d\"\n", root);
    test_input_collect (&h, 1000000);
    ASSERT_EQ (GET (&h, "process_count"), 1);
    ASSERT_EQ (GET (&h, "process_open_fds"), 1);
    test_input_stop (&h);

    /* the regex sees the arguments joined by spaces */
    test_input_startf (&h, &in_process_plugin, ENV ("port"),
                       "root: %s\ncmdline: \"myd --port 80\"\n", root);
    test_input_collect (&h, 1000000);
    ASSERT_EQ (GET (&h, "process_count"), 1);
    ASSERT_EQ (GET (&h, "process_threads"), 1); /* pid 100 as reused above */
    test_input_stop (&h);

    /* a command line longer than 4096 bytes: the regex sees its first 4096 */
    {
        char args[5000];
        memset (args, 'a', sizeof args);
        memcpy (args, "longd\0", 6);
        memcpy (args + 4090, "HEAD", 4);
        memcpy (args + sizeof args - 5, "TAIL", 5);
        s_fake_proc (root, 105, "longd", 'S', 1, 1, 1, 5000, 1);
        s_fake_cmdline (root, 105, args, sizeof args);
        test_input_startf (&h, &in_process_plugin, ENV ("head"),
                           "root: %s\ncmdline: \"^longd a+HEAD\"\n", root);
        test_input_collect (&h, 1000000);
        ASSERT_EQ (GET (&h, "process_count"), 1);
        test_input_stop (&h);
        test_input_startf (&h, &in_process_plugin, ENV ("tail"), "root: %s\ncmdline: TAIL\n", root);
        test_input_collect (&h, 1000000);
        ASSERT_EQ (GET (&h, "process_count"), 0);
        test_input_stop (&h);
        char *rm = vg_asprintf ("rm -rf '%s/proc/105'", root);
        ASSERT_EQ (system (rm), 0);
        free (rm);
    }

    /* the cap: one match looked at, one dropped and counted, every collect */
    test_input_startf (&h, &in_process_plugin, ENV ("capped"),
                       "root: %s\ncomm: myd\nmax_processes: 1\n", root);
    test_input_collect (&h, 1000000);
    ASSERT_EQ (GET (&h, "process_count"), 1);
    ASSERT_EQ (GET (&h, "process_dropped_total"), 1);
    test_input_collect (&h, 1002000);
    ASSERT_EQ (GET (&h, "process_dropped_total"), 2);
    test_input_stop (&h);

    /* every sample of an instance carries process=<instance> and nothing else */
    test_input_startf (&h, &in_process_plugin, ENV ("none"), "root: %s\ncomm: nosuchproc\n", root);
    test_input_collect (&h, 1000000);
    ASSERT_EQ (GET (&h, "process_up"), 0);
    ASSERT_EQ (GET (&h, "process_count"), 0);
    ASSERT_EQ (GET (&h, "process_rss_bytes"), 0);
    ASSERT_EQ (HAS (&h, "process_start_time_seconds"), 0);
    for (size_t i = 0; i < h.batch->nsamples; i++) {
        const vg_series_t *s = &h.batch->series[h.batch->sample_series[i]];
        ASSERT_STR_EQ (h.batch->strings[s->labels[1]], "none");
    }
    test_input_stop (&h);
    free (root);
}

static void
test_pidfile_tree (void)
{
    char *root = s_fake_tree ();
    char *pidfile = vg_asprintf ("%s/myd.pid", root);
    char yaml[2048];
    snprintf (yaml, sizeof yaml, "root: %s\npidfile: %s\n", root, pidfile);
    test_input_t h;
    test_input_start (&h, &in_process_plugin, ENV ("myd"), yaml);

    test_input_collect (&h, 1000000); /* no pidfile: down, not an error */
    ASSERT_EQ (GET (&h, "process_up"), 0);
    test_write_file (pidfile, "101\n");
    test_input_collect (&h, 1002000);
    ASSERT_EQ (GET (&h, "process_up"), 1);
    ASSERT_EQ (GET (&h, "process_threads"), 2);
    ASSERT_EQ (GET (&h, "process_fd_unreadable"), 1);
    ASSERT_EQ (HAS (&h, "process_open_fds"), 0); /* none could be counted */
    test_write_file (pidfile, "  100");
    test_input_collect (&h, 1004000);
    ASSERT_EQ (GET (&h, "process_count"), 1);
    ASSERT_EQ (GET (&h, "process_threads"), 3);
    /* 101 was gone (not in the file), 100 came */
    ASSERT_EQ (GET (&h, "process_restarts_total"), 1);
    test_write_file (pidfile, "102\n"); /* a zombie is dead */
    test_input_collect (&h, 1006000);
    ASSERT_EQ (GET (&h, "process_up"), 0);
    test_write_file (pidfile, "10x1\n");
    test_input_collect (&h, 1008000);
    ASSERT_EQ (GET (&h, "process_up"), 0);
    test_write_file (pidfile, "-100\n");
    test_input_collect (&h, 1010000);
    ASSERT_EQ (GET (&h, "process_up"), 0);
    test_write_file (pidfile, "999999\n");
    test_input_collect (&h, 1012000);
    ASSERT_EQ (GET (&h, "process_up"), 0);
    test_input_stop (&h);

    /* a root without proc/stat is the input's own error, and says where */
    snprintf (yaml, sizeof yaml, "root: %s/nowhere\npidfile: %s\n", root, pidfile);
    test_input_start (&h, &in_process_plugin, ENV ("lost"), yaml);
    vg_batch_clear (h.batch);
    int rc = in_process_plugin.collect (h.ctx, h.sink, 1000000, h.err, sizeof h.err);
    ASSERT_EQ (rc, VG_EIO);
    ASSERT_STR_CONTAINS (h.err, "nowhere/proc/stat");
    test_input_stop (&h);
    free (pidfile);
    free (root);
}

/* ---- configuration ---------------------------------------------------- */

static void
test_config (void)
{
    test_input_t h;
    ASSERT_EQ (s_configure (&h, "comm: myd\ncmdline: \"x\"\n"), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "agent.yaml:2: inputs[0].cmdline: set only one of comm");
    test_input_stop (&h);
    ASSERT_EQ (s_configure (&h, "pidfile: /run/x.pid\ncomm: myd\n"), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "agent.yaml:2: inputs[0].comm:");
    ASSERT_STR_CONTAINS (h.err, "pidfile is set too");
    test_input_stop (&h);
    ASSERT_EQ (s_configure (&h, "cmdline: \"uvicorn (app\"\n"), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "agent.yaml:1: inputs[0].cmdline: bad regex at offset");
    test_input_stop (&h);
    ASSERT_EQ (s_configure (&h, "comm: \"\"\n"), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "must not be empty");
    test_input_stop (&h);
    ASSERT_EQ (s_configure (&h, "comm: [a, b]\n"), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "inputs[0].comm: expected a string");
    test_input_stop (&h);
    ASSERT_EQ (s_configure (&h, "comm: x\nmax_processes: 0\n"), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "inputs[0].max_processes");
    test_input_stop (&h);

    /* no rule at all: init says what is missing */
    ASSERT_EQ (s_configure (&h, "root: /\n"), VG_OK);
    agent_input_env_t env = {.instance = "x"};
    ASSERT_EQ (in_process_plugin.init (h.ctx, &env, h.err, sizeof h.err), VG_EINVAL);
    ASSERT_STR_CONTAINS (h.err, "exactly one of comm, cmdline and pidfile");
    test_input_stop (&h);

    /* the plugin is registered under its type */
    ASSERT (agent_input_find ("process") == &in_process_plugin);
}

/* ---- real processes --------------------------------------------------- */

/* Starts path (a link to sleep) for 30 s and waits until it runs as name and
 * sleeps. Waiting for the sleep matters: just after exec the kernel's
 * per-CPU page counts may not yet have reached the rss that stat shows. */
static pid_t
s_spawn_sleep (const char *path, const char *name, const char *log)
{
    char *argv[] = {(char *)path, "30", NULL};
    pid_t pid = test_spawn (argv, log);
    char *stat_path = vg_asprintf ("/proc/%d/stat", (int)pid);
    char want[32];
    snprintf (want, sizeof want, "(%.15s) S ", name);
    for (int i = 0; i < 1000; i++) {
        char *stat = test_read_file (stat_path);
        int ready = stat && strstr (stat, want) != NULL;
        free (stat);
        if (ready)
            break;
        test_sleep_ms (10);
    }
    char *stat = test_read_file (stat_path);
    ASSERT (stat && strstr (stat, want) != NULL);
    free (stat);
    free (stat_path);
    return pid;
}

static void
s_write_pid (const char *path, pid_t pid)
{
    char text[32];
    snprintf (text, sizeof text, "%d\n", (int)pid);
    test_write_file (path, text);
}

static void
s_check_one_sleep (test_input_t *h)
{
    ASSERT_EQ (GET (h, "process_up"), 1);
    ASSERT_EQ (GET (h, "process_count"), 1);
    ASSERT_EQ (GET (h, "process_threads"), 1);
    ASSERT_GT (GET (h, "process_rss_bytes"), 0);
    ASSERT_GE (GET (h, "process_open_fds"), 2); /* stdout and stderr: the log */
    ASSERT_EQ (GET (h, "process_fd_unreadable"), 0);
    ASSERT_GT (GET (h, "process_start_time_seconds"), 1000000000.0);
}

static void
test_real_processes (void)
{
    char *dir = test_tmpdir ("in_process_real");
    char name[32], long_name[64];
    snprintf (name, sizeof name, "vgtp%d", (int)getpid ());
    snprintf (long_name, sizeof long_name, "vigiltestprocess%d", (int)getpid ());
    char *link = vg_asprintf ("%s/%s", dir, name);
    char *long_link = vg_asprintf ("%s/%s", dir, long_name);
    char *log = vg_asprintf ("%s/children.log", dir);
    char *pidfile = vg_asprintf ("%s/sleep.pid", dir);
    ASSERT_EQ (symlink ("/bin/sleep", link), 0);
    ASSERT_EQ (symlink ("/bin/sleep", long_link), 0);

    test_input_t by_comm, by_cmdline, by_pidfile, by_long;
    test_input_startf (&by_comm, &in_process_plugin, ENV ("sleeper"), "comm: %s\n", name);
    char yaml[512];
    snprintf (yaml, sizeof yaml, "cmdline: \"/%s 30$\"\n", name);
    test_input_start (&by_cmdline, &in_process_plugin, ENV ("sleeper-cmdline"), yaml);
    test_input_startf (&by_pidfile, &in_process_plugin, ENV ("sleeper-pidfile"), "pidfile: %s\n",
                       pidfile);
    /* longer than the kernel keeps of a name: argv[0] tells them apart */
    test_input_startf (&by_long, &in_process_plugin, ENV ("long"), "comm: %s\n", long_name);

    pid_t a = s_spawn_sleep (link, name, log);
    pid_t l = s_spawn_sleep (long_link, long_name, log);
    s_write_pid (pidfile, a);
    int64_t t = 1700000000000;
    test_input_t *all[] = {&by_comm, &by_cmdline, &by_pidfile, &by_long};
    for (size_t i = 0; i < 4; i++) {
        test_input_collect (all[i], t);
        s_check_one_sleep (all[i]);
        ASSERT_EQ (GET (all[i], "process_restarts_total"), 0);
    }

    /* killed and reaped: down, which is data */
    test_kill_wait (a, SIGKILL);
    t += 10000;
    for (size_t i = 0; i < 3; i++) {
        test_input_collect (all[i], t);
        ASSERT_EQ (GET (all[i], "process_up"), 0);
        ASSERT_EQ (GET (all[i], "process_count"), 0);
        ASSERT_EQ (HAS (all[i], "process_start_time_seconds"), 0);
        ASSERT_EQ (GET (all[i], "process_restarts_total"), 0);
    }

    /* started again under another pid: one restart */
    pid_t b = s_spawn_sleep (link, name, log);
    ASSERT_NE (a, b);
    s_write_pid (pidfile, b);
    t += 10000;
    for (size_t i = 0; i < 3; i++) {
        test_input_collect (all[i], t);
        s_check_one_sleep (all[i]);
        ASSERT_EQ (GET (all[i], "process_restarts_total"), 1);
    }
    /* and nothing more while it keeps running */
    t += 10000;
    test_input_collect (&by_comm, t);
    ASSERT_EQ (GET (&by_comm, "process_restarts_total"), 1);
    ASSERT_GE (GET (&by_comm, "process_cpu_percent"), 0);

    test_kill_wait (b, SIGKILL);
    test_kill_wait (l, SIGKILL);
    for (size_t i = 0; i < 4; i++)
        test_input_stop (all[i]);
    free (link);
    free (long_link);
    free (log);
    free (pidfile);
    free (dir);
}

static uint64_t
s_ticks_of (pid_t pid)
{
    char *path = vg_asprintf ("/proc/%d/stat", (int)pid);
    char *text = test_read_file (path);
    free (path);
    ASSERT (text);
    const char *p = strrchr (text, ')');
    ASSERT (p);
    /* utime and stime are the 12th and 13th fields after comm */
    unsigned long long f[13];
    ASSERT_EQ (
        sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &f[11], &f[12]), 2);
    free (text);
    return f[11] + f[12];
}

static void
test_cpu_percent (void)
{
    char *dir = test_tmpdir ("in_process_cpu");
    char *pidfile = vg_asprintf ("%s/busy.pid", dir);
    pid_t busy = fork ();
    ASSERT (busy >= 0);
    if (busy == 0) {
        volatile uint64_t x = 0;
        for (;;)
            x++;
    }
    s_write_pid (pidfile, busy);
    test_input_t h;
    test_input_startf (&h, &in_process_plugin, ENV ("busy"), "pidfile: %s\n", pidfile);
    int64_t t = 1700000000000;
    test_input_collect (&h, t);
    ASSERT_EQ (GET (&h, "process_up"), 1);
    /* wait for the child to be charged a tick or more, then read again as
     * if 10 s had passed */
    uint64_t before = s_ticks_of (busy);
    while (s_ticks_of (busy) == before)
        test_sleep_ms (5);
    test_input_collect (&h, t + 10000);
    double cpu = GET (&h, "process_cpu_percent");
    long ncpu = sysconf (_SC_NPROCESSORS_ONLN);
    ASSERT (cpu > 0.0 && cpu <= 100.0 * (double)ncpu);
    test_kill_wait (busy, SIGKILL);
    test_input_stop (&h);
    free (pidfile);
    free (dir);
}

int
main (void)
{
    s_clk_tck = sysconf (_SC_CLK_TCK);
    s_page = sysconf (_SC_PAGESIZE);
    test_config ();
    test_fake_tree ();
    test_pidfile_tree ();
    test_real_processes ();
    test_cpu_percent ();
    printf ("test_in_process: OK\n");
    return 0;
}
