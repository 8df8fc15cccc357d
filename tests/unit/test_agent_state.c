/*  test_agent_state.c - the agent id persists, and sequence numbers only ever
 *  increase: across clean restarts, across block boundaries, and after a
 *  process dies in the middle of a block. */
#include "agent_state.h"
#include "test_assert.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t
s_next (agent_state_t *st)
{
    char err[512] = "";
    uint64_t seq = 0;
    if (agent_state_next_seq (st, &seq, err, sizeof err) != VG_OK)
        TEST_FAIL ("next_seq: %s", err);
    return seq;
}

static agent_state_t *
s_open (const char *dir, const char *id, uint64_t block)
{
    char err[512] = "";
    agent_state_t *st = agent_state_new_block (dir, id, block, err, sizeof err);
    if (!st)
        TEST_FAIL ("agent_state_new %s: %s", dir, err);
    return st;
}

static void
test_id_persists (const char *base)
{
    char dir[4096];
    snprintf (dir, sizeof dir, "%s/id/deeper/state", base); /* parents are made too */
    agent_state_t *st = s_open (dir, NULL, 0);
    char *first = strdup (agent_state_id (st));
    ASSERT (strlen (first) >= 32);
    ASSERT_STR_EQ (agent_state_dir (st), dir);
    agent_state_destroy (&st);
    ASSERT (st == NULL);

    struct stat sb;
    ASSERT_EQ (stat (dir, &sb), 0);
    ASSERT_EQ (sb.st_mode & 0777, 0750);
    /* Both files exist from the first start, before any number is used. */
    char file[4200];
    snprintf (file, sizeof file, "%s/seq", dir);
    ASSERT_EQ (stat (file, &sb), 0);
    snprintf (file, sizeof file, "%s/agent_id", dir);
    ASSERT_EQ (stat (file, &sb), 0);

    st = s_open (dir, "", 0);
    ASSERT_STR_EQ (agent_state_id (st), first);
    agent_state_destroy (&st);

    /* A configured id wins and leaves the stored one alone. */
    st = s_open (dir, "web-01", 0);
    ASSERT_STR_EQ (agent_state_id (st), "web-01");
    agent_state_destroy (&st);
    st = s_open (dir, NULL, 0);
    ASSERT_STR_EQ (agent_state_id (st), first);
    agent_state_destroy (&st);

    /* Another directory is another agent. */
    char other[4096];
    snprintf (other, sizeof other, "%s/id/other", base);
    st = s_open (other, NULL, 0);
    ASSERT (strcmp (agent_state_id (st), first) != 0);
    agent_state_destroy (&st);
    free (first);
}

static void
test_restart (const char *base)
{
    char dir[4096];
    snprintf (dir, sizeof dir, "%s/restart", base);
    agent_state_t *st = s_open (dir, NULL, 10);
    ASSERT_EQ (agent_state_last_seq (st), 0);
    uint64_t prev = 0;
    for (int i = 0; i < 25; i++) { /* crosses two block boundaries */
        uint64_t seq = s_next (st);
        ASSERT_GT (seq, prev);
        prev = seq;
    }
    ASSERT_EQ (agent_state_last_seq (st), prev);
    agent_state_destroy (&st);

    for (int round = 0; round < 3; round++) {
        st = s_open (dir, NULL, 10);
        uint64_t seq = s_next (st);
        ASSERT_GT (seq, prev);
        prev = seq;
        agent_state_destroy (&st);
    }
}

/* A child hands out numbers, tells the parent the last one, and dies by
 * SIGKILL in the middle of a block: no clean shutdown of any kind. */
static void
test_crash (const char *base)
{
    char dir[4096];
    snprintf (dir, sizeof dir, "%s/crash", base);
    uint64_t prev = 0;
    for (int round = 0; round < 4; round++) {
        int fds[2];
        ASSERT_EQ (pipe (fds), 0);
        pid_t pid = fork ();
        ASSERT (pid >= 0);
        if (pid == 0) {
            close (fds[0]);
            agent_state_t *st = s_open (dir, NULL, 100);
            uint64_t last = 0;
            for (int i = 0; i < 37 * (round + 1); i++) /* ends mid-block each time */
                last = s_next (st);
            if (write (fds[1], &last, sizeof last) != (ssize_t)sizeof last)
                _exit (3);
            kill (getpid (), SIGKILL);
            _exit (4);
        }
        close (fds[1]);
        uint64_t last = 0;
        ASSERT_EQ (read (fds[0], &last, sizeof last), (ssize_t)sizeof last);
        close (fds[0]);
        int status = 0;
        ASSERT_EQ (waitpid (pid, &status, 0), pid);
        ASSERT (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
        ASSERT_GT (last, prev);

        agent_state_t *st = s_open (dir, NULL, 100);
        uint64_t seq = s_next (st);
        ASSERT_GT (seq, last);
        prev = seq;
        agent_state_destroy (&st);
    }
}

static void
test_errors (const char *base)
{
    char err[1024] = "";
    char file[4096], dir[4200];
    snprintf (file, sizeof file, "%s/a-file", base);
    test_write_file (file, "not a directory\n");
    snprintf (dir, sizeof dir, "%s/state", file);
    ASSERT (agent_state_new (dir, NULL, err, sizeof err) == NULL);
    ASSERT_STR_CONTAINS (err, "cannot create state directory");
    ASSERT_STR_CONTAINS (err, dir);
    ASSERT_STR_CONTAINS (err, "agent.state_dir");
    ASSERT (agent_state_new (file, NULL, err, sizeof err) == NULL);
    ASSERT_STR_CONTAINS (err, "cannot create state directory");

    /* A damaged reservation is an error, never a silent restart at 1. */
    snprintf (dir, sizeof dir, "%s/damaged", base);
    agent_state_t *st = s_open (dir, NULL, 0);
    s_next (st);
    agent_state_destroy (&st);
    char seqfile[4300];
    snprintf (seqfile, sizeof seqfile, "%s/seq", dir);
    test_write_file (seqfile, "12x\n");
    ASSERT (agent_state_new (dir, NULL, err, sizeof err) == NULL);
    ASSERT_STR_CONTAINS (err, seqfile);
    test_write_file (seqfile, "");
    ASSERT (agent_state_new (dir, NULL, err, sizeof err) == NULL);
    ASSERT_STR_CONTAINS (err, seqfile);
    unlink (seqfile); /* lost, while the id is still there */
    ASSERT (agent_state_new (dir, NULL, err, sizeof err) == NULL);
    ASSERT_STR_CONTAINS (err, "is missing");
    ASSERT_STR_CONTAINS (err, seqfile);
    test_write_file (seqfile, "5000\n");
    st = s_open (dir, NULL, 0);
    ASSERT_EQ (s_next (st), 5000);
    agent_state_destroy (&st);
}

/* The incarnation: drawn with the directory, kept across restarts, new when
 * the directory is wiped (so a configured id starting again at seq 1 is never
 * taken for its old batches); a directory removed under a running agent is
 * made again with the same incarnation and sequence. */
static void
test_incarnation (const char *base)
{
    char *dir = vg_asprintf ("%s/incarnation", base);
    agent_state_t *st = s_open (dir, "web-01", 10);
    uint64_t first = agent_state_incarnation (st);
    ASSERT (first != 0);
    ASSERT_EQ (s_next (st), 1);
    agent_state_destroy (&st);
    st = s_open (dir, "web-01", 10);
    ASSERT_EQ (agent_state_incarnation (st), first);
    ASSERT_EQ (s_next (st), 11); /* after the reserved block */
    agent_state_skip_to (st, 40);
    ASSERT_EQ (s_next (st), 41);
    agent_state_destroy (&st);

    char *cmd = vg_asprintf ("rm -rf '%s'", dir);
    ASSERT_EQ (system (cmd), 0);
    st = s_open (dir, "web-01", 10);
    ASSERT (agent_state_incarnation (st) != first);
    ASSERT_EQ (s_next (st), 1);
    uint64_t second = agent_state_incarnation (st);
    /* Removed while running: made again at the next reservation. */
    ASSERT_EQ (system (cmd), 0);
    for (int i = 0; i < 10; i++)
        s_next (st);
    agent_state_destroy (&st);
    st = s_open (dir, "web-01", 10);
    ASSERT_EQ (agent_state_incarnation (st), second);
    ASSERT_GE (s_next (st), 21);
    agent_state_destroy (&st);
    free (cmd);
    free (dir);
}

int
main (void)
{
    char *base = test_tmpdir ("agent_state");
    test_id_persists (base);
    test_restart (base);
    test_crash (base);
    test_errors (base);
    test_incarnation (base);
    free (base);
    printf ("test_agent_state: OK\n");
    return 0;
}
