/*  test_logtail_follow.c - following real files that the test appends to,
 *  renames (rotation), truncates (copytruncate) and replaces, with positions
 *  kept in a state file across new followers, and a read budget.
 */
#include "logtail_follow.h"
#include "test_assert.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_error.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a poll handed out: the lines, each followed by '\n'. */
typedef struct {
    vg_buf_t text;
    size_t lines;
} got_t;

static void
s_got_line (void *arg, const char *line, size_t len)
{
    got_t *got = arg;
    ASSERT (memchr (line, '\n', len) == NULL);
    vg_buf_append (&got->text, line, len);
    vg_buf_append (&got->text, "\n", 1);
    got->lines++;
}

/* Polls once and checks what came out, exactly. */
#define POLL(f, want) s_poll (__LINE__, (f), (want))
static void
s_poll (int line, logtail_follow_t *f, const char *want)
{
    got_t got = {{0}, 0};
    vg_buf_puts (&got.text, ""); /* NUL-terminated even when empty */
    logtail_follow_poll (f, s_got_line, &got);
    if (strcmp (got.text.data, want) != 0)
        TEST_FAIL ("line %d: poll gave \"%s\", want \"%s\"", line, got.text.data, want);
    vg_buf_free (&got.text);
}

static void s_append (const char *path, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_append (const char *path, const char *fmt, ...)
{
    char *text;
    va_list ap;
    va_start (ap, fmt);
    ASSERT (vasprintf (&text, fmt, ap) >= 0);
    va_end (ap);
    int fd = open (path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    ASSERT (fd >= 0);
    ASSERT_EQ (write (fd, text, strlen (text)), (ssize_t)strlen (text));
    close (fd);
    free (text);
}

static logtail_follow_t *
s_follow (const char *pattern, int from_beginning, const char *state)
{
    const char *patterns[] = {pattern};
    logtail_follow_opts_t opts = {.name = "logtail[test]",
                                  .patterns = patterns,
                                  .npatterns = 1,
                                  .from_beginning = from_beginning,
                                  .max_line = 16384,
                                  .read_budget = 8 << 20,
                                  .max_files = 100,
                                  .state_path = state};
    return logtail_follow_new (&opts);
}

static logtail_follow_stats_t
s_stats (logtail_follow_t *f)
{
    logtail_follow_stats_t st;
    logtail_follow_stats (f, &st);
    return st;
}

static void
test_start_at_end (void)
{
    char *dir = test_tmpdir ("logtail_end");
    char *log = vg_asprintf ("%s/app.log", dir);
    char *glob = vg_asprintf ("%s/*.log", dir);
    s_append (log, "old1\nold2\n");

    logtail_follow_t *f = s_follow (glob, 0, NULL);
    POLL (f, "");
    s_append (log, "new1\nnew2\n");
    POLL (f, "new1\nnew2\n");
    POLL (f, "");
    ASSERT_EQ (s_stats (f).lines, 2);
    ASSERT_EQ (s_stats (f).bytes, 10);
    ASSERT_EQ (s_stats (f).files, 1);

    /* A file that appears later is new: read from its start. */
    char *later = vg_asprintf ("%s/worker.log", dir);
    s_append (later, "w1\n");
    POLL (f, "w1\n");
    ASSERT_EQ (s_stats (f).files, 2);

    /* An incomplete last line waits for its newline; CRLF loses the CR. */
    s_append (log, "abc");
    POLL (f, "");
    s_append (log, "def\r\nghi\n");
    POLL (f, "abcdef\nghi\n");
    logtail_follow_destroy (&f);

    /* from_beginning reads what is there at the first start. */
    f = s_follow (log, 1, NULL);
    POLL (f, "old1\nold2\nnew1\nnew2\nabcdef\nghi\n");
    logtail_follow_destroy (&f);
    free (later);
    free (glob);
    free (log);
    free (dir);
}

static void
test_rename_rotation (void)
{
    char *dir = test_tmpdir ("logtail_rotate");
    char *log = vg_asprintf ("%s/app.log", dir);
    char *old = vg_asprintf ("%s/app.log.1", dir);
    char *older = vg_asprintf ("%s/app.log.2", dir);
    s_append (log, "%s", "");

    logtail_follow_t *f = s_follow (log, 0, NULL);
    POLL (f, "");
    s_append (log, "a1\n");
    POLL (f, "a1\n");

    /* logrotate renames; the application writes on into the renamed file
     * until it reopens, then into a new file at the old path. */
    s_append (log, "a2\n");
    ASSERT_EQ (rename (log, old), 0);
    s_append (old, "a3\n");
    s_append (log, "b1\n");
    POLL (f, "a2\na3\nb1\n");
    ASSERT_EQ (s_stats (f).rotations, 1);
    ASSERT_EQ (s_stats (f).files, 2); /* the old one stays open a while */
    s_append (old, "a4\n");
    POLL (f, "a4\n");
    POLL (f, ""); /* quiet since the last poll: closed */
    ASSERT_EQ (s_stats (f).files, 1);
    s_append (old, "a5\n");
    POLL (f, "");

    /* A rotated file's last line without a newline is handed out when the
     * file is finished. */
    s_append (log, "b2\nb3-partial");
    POLL (f, "b2\n");
    ASSERT_EQ (rename (log, older), 0);
    s_append (log, "c1\n");
    POLL (f, "b3-partial\nc1\n");
    ASSERT_EQ (s_stats (f).rotations, 2);
    ASSERT_EQ (s_stats (f).files, 1);
    ASSERT_EQ (s_stats (f).truncations, 0);

    /* Deleted and created again: the same as a rotation. */
    s_append (log, "c2\n");
    ASSERT_EQ (unlink (log), 0);
    s_append (log, "d1\n");
    POLL (f, "c2\nd1\n");
    POLL (f, "");
    ASSERT_EQ (s_stats (f).files, 1);
    logtail_follow_destroy (&f);
    free (older);
    free (old);
    free (log);
    free (dir);
}

/* app.log renamed to app.log.1 under a glob matching both: one file that
 * changed its name, followed on, not read twice. */
static void
test_rename_within_glob (void)
{
    char *dir = test_tmpdir ("logtail_rename_glob");
    char *log = vg_asprintf ("%s/app.log", dir);
    char *old = vg_asprintf ("%s/app.log.1", dir);
    char *glob = vg_asprintf ("%s/app.log*", dir);
    s_append (log, "%s", "");
    logtail_follow_t *f = s_follow (glob, 0, NULL);
    POLL (f, "");
    s_append (log, "a1\n");
    POLL (f, "a1\n");
    s_append (log, "a2\n");
    ASSERT_EQ (rename (log, old), 0);
    s_append (log, "b1\n");
    got_t got = {{0}, 0};
    logtail_follow_poll (f, s_got_line, &got);
    vg_buf_puts (&got.text, "");
    ASSERT_EQ (got.lines, 2);
    ASSERT_STR_CONTAINS (got.text.data, "a2\n");
    ASSERT_STR_CONTAINS (got.text.data, "b1\n");
    vg_buf_free (&got.text);
    ASSERT_EQ (s_stats (f).rotations, 0);
    ASSERT_EQ (s_stats (f).files, 2);
    s_append (old, "a3\n");
    POLL (f, "a3\n");
    POLL (f, "");
    logtail_follow_destroy (&f);
    free (glob);
    free (old);
    free (log);
    free (dir);
}

static void
test_copytruncate (void)
{
    char *dir = test_tmpdir ("logtail_truncate");
    char *log = vg_asprintf ("%s/app.log", dir);
    s_append (log, "l1\nl2\nl3\n");
    logtail_follow_t *f = s_follow (log, 1, NULL);
    POLL (f, "l1\nl2\nl3\n");

    /* copytruncate: copied elsewhere, then cut to 0 in place. */
    ASSERT_EQ (truncate (log, 0), 0);
    s_append (log, "m1\n");
    POLL (f, "m1\n");
    ASSERT_EQ (s_stats (f).truncations, 1);

    /* Truncated and written past the old position before the next poll: the
     * first bytes changed, so it is still read again from the start. */
    ASSERT_EQ (truncate (log, 0), 0);
    s_append (log, "n1-longer-line\nn2\n");
    POLL (f, "n1-longer-line\nn2\n");
    ASSERT_EQ (s_stats (f).truncations, 2);
    s_append (log, "n3\n");
    POLL (f, "n3\n");
    ASSERT_EQ (s_stats (f).truncations, 2);
    ASSERT_EQ (s_stats (f).rotations, 0);
    logtail_follow_destroy (&f);
    free (log);
    free (dir);
}

static void
test_state (void)
{
    char *dir = test_tmpdir ("logtail_state");
    char *log = vg_asprintf ("%s/app.log", dir);
    char *old = vg_asprintf ("%s/app.log.1", dir);
    char *glob = vg_asprintf ("%s/app.log*", dir);
    char *state = vg_asprintf ("%s/logtail-test.state", dir);
    char err[512];
    s_append (log, "before\n");

    logtail_follow_t *f = s_follow (glob, 0, state);
    POLL (f, "");
    s_append (log, "x1\nx2\n");
    POLL (f, "x1\nx2\n");
    ASSERT_EQ (logtail_follow_save (f, err, sizeof err), VG_OK);
    logtail_follow_destroy (&f);
    struct stat st;
    ASSERT_EQ (stat (state, &st), 0);
    char *tmp = vg_asprintf ("%s.tmp", state);
    ASSERT (stat (tmp, &st) != 0); /* renamed into place */

    /* Written while the agent was down: read by the next one, and only that. */
    s_append (log, "x3\n");
    f = s_follow (glob, 0, state);
    POLL (f, "x3\n");
    ASSERT_EQ (logtail_follow_save (f, err, sizeof err), VG_OK);
    logtail_follow_destroy (&f);

    /* Rotated while down: the old file goes on from its position (the glob
     * still matches it), the new one is read from its start. */
    s_append (log, "x4\n");
    ASSERT_EQ (rename (log, old), 0);
    s_append (log, "y1\n");
    f = s_follow (glob, 0, state);
    got_t got = {{0}, 0};
    logtail_follow_poll (f, s_got_line, &got);
    vg_buf_puts (&got.text, "");
    ASSERT_EQ (got.lines, 2);
    ASSERT_STR_CONTAINS (got.text.data, "x4\n");
    ASSERT_STR_CONTAINS (got.text.data, "y1\n");
    vg_buf_free (&got.text);
    ASSERT_EQ (logtail_follow_save (f, err, sizeof err), VG_OK);
    logtail_follow_destroy (&f);

    /* Truncated while down, to the same length: the first bytes tell. */
    ASSERT_EQ (truncate (log, 0), 0);
    s_append (log, "z1\n");
    f = s_follow (glob, 0, state);
    POLL (f, "z1\n");
    ASSERT_EQ (s_stats (f).truncations, 1);
    ASSERT_EQ (logtail_follow_save (f, err, sizeof err), VG_OK);
    logtail_follow_destroy (&f);

    /* A state file that cannot be written is an error for the caller to
     * report; following goes on. */
    char *nowhere = vg_asprintf ("%s/missing/logtail-test.state", dir);
    f = s_follow (glob, 0, nowhere);
    POLL (f, "");
    s_append (log, "z2\n");
    POLL (f, "z2\n");
    ASSERT_EQ (logtail_follow_save (f, err, sizeof err), VG_EIO);
    ASSERT_STR_CONTAINS (err, "missing/logtail-test.state.tmp");
    logtail_follow_destroy (&f);
    free (nowhere);

    /* A damaged state file is ignored: following starts at the ends. */
    test_write_file (state, "garbage\n");
    s_append (log, "z3\n");
    f = s_follow (glob, 0, state);
    POLL (f, "");
    s_append (log, "z4\n");
    POLL (f, "z4\n");
    logtail_follow_destroy (&f);
    free (tmp);
    free (state);
    free (glob);
    free (old);
    free (log);
    free (dir);
}

/* Each line's number, checked to come in order, once. */
typedef struct {
    long next;
    size_t bytes;
} seq_t;

static void
s_seq_line (void *arg, const char *line, size_t len)
{
    seq_t *seq = arg;
    char want[64];
    snprintf (want, sizeof want, "line-%06ld-", seq->next);
    if (len < strlen (want) || memcmp (line, want, strlen (want)) != 0)
        TEST_FAIL ("got \"%.*s\", want line %ld", (int)len, line, seq->next);
    seq->next++;
    seq->bytes += len + 1;
}

static void
test_budget (void)
{
    char *dir = test_tmpdir ("logtail_budget");
    char *log = vg_asprintf ("%s/big.log", dir);
    FILE *out = fopen (log, "w");
    ASSERT (out);
    const long nlines = 20000;
    for (long i = 0; i < nlines; i++)
        fprintf (out, "line-%06ld-%.*s\n", i, (int)(i % 61),
                 "abcdefghijklmnopqrstuvwxyz"
                 "abcdefghijklmnopqrstuvwxyz0123456789");
    fclose (out);
    struct stat st;
    ASSERT_EQ (stat (log, &st), 0);

    const char *patterns[] = {log};
    logtail_follow_opts_t opts = {.patterns = patterns,
                                  .npatterns = 1,
                                  .from_beginning = 1,
                                  .max_line = 1024,
                                  .read_budget = 64 * 1024,
                                  .max_files = 10};
    logtail_follow_t *f = logtail_follow_new (&opts);
    seq_t seq = {0, 0};
    int polls = 0;
    uint64_t prev_backlog = (uint64_t)st.st_size + 1;
    while (seq.next < nlines && polls < 1000) {
        size_t before = seq.bytes;
        logtail_follow_poll (f, s_seq_line, &seq);
        polls++;
        /* Never more than the budget in one poll. */
        ASSERT_LE (seq.bytes - before, 64 * 1024);
        ASSERT (seq.bytes > before);
        logtail_follow_stats_t fs = s_stats (f);
        ASSERT_EQ (fs.backlog, (uint64_t)st.st_size - seq.bytes);
        ASSERT_LT (fs.backlog, prev_backlog);
        prev_backlog = fs.backlog;
    }
    ASSERT_EQ (seq.next, nlines);
    ASSERT_EQ (seq.bytes, (size_t)st.st_size);
    ASSERT_GE (polls, (int)((size_t)st.st_size / (64 * 1024)));
    logtail_follow_stats_t fs = s_stats (f);
    ASSERT_EQ (fs.lines, (uint64_t)nlines);
    ASSERT_GE (fs.budget_exhausted, (uint64_t)polls - 1);
    logtail_follow_poll (f, s_seq_line, &seq);
    ASSERT_EQ (seq.next, nlines);
    logtail_follow_destroy (&f);
    free (log);
    free (dir);
}

static void
test_max_line (void)
{
    char *dir = test_tmpdir ("logtail_max_line");
    char *log = vg_asprintf ("%s/app.log", dir);
    s_append (log, "%s", "");
    const char *patterns[] = {log};
    logtail_follow_opts_t opts = {
        .patterns = patterns, .npatterns = 1, .max_line = 256, .read_budget = 1 << 20};
    logtail_follow_t *f = logtail_follow_new (&opts);
    POLL (f, "");

    char l300[301], e256[257], huge[200001], want[2048];
    memset (l300, 'L', 300);
    l300[300] = '\0';
    memset (e256, 'E', 256);
    e256[256] = '\0';
    memset (huge, 'H', 200000);
    huge[200000] = '\0';
    s_append (log, "short\n%s\n%s\n%s\nafter\n", l300, e256, huge);
    snprintf (want, sizeof want, "short\n%.256s\n%s\n%.256s\nafter\n", l300, e256, huge);
    POLL (f, want);
    ASSERT_EQ (s_stats (f).truncated_lines, 2);
    ASSERT_EQ (s_stats (f).lines, 5);

    /* A long line written in pieces across polls. */
    s_append (log, "%.100s", huge);
    POLL (f, "");
    s_append (log, "%.400s", huge);
    snprintf (want, sizeof want, "%.256s\n", huge);
    POLL (f, want);
    s_append (log, "%.100s\nnext\n", huge);
    POLL (f, "next\n");
    ASSERT_EQ (s_stats (f).truncated_lines, 3);
    logtail_follow_destroy (&f);
    free (log);
    free (dir);
}

static void
test_max_files (void)
{
    char *dir = test_tmpdir ("logtail_max_files");
    for (int i = 0; i < 5; i++) {
        char *path = vg_asprintf ("%s/f%d.log", dir, i);
        s_append (path, "line %d\n", i);
        free (path);
    }
    char *glob = vg_asprintf ("%s/*.log", dir);
    const char *patterns[] = {glob};
    logtail_follow_opts_t opts = {.patterns = patterns,
                                  .npatterns = 1,
                                  .from_beginning = 1,
                                  .max_line = 1024,
                                  .read_budget = 1 << 20,
                                  .max_files = 3};
    logtail_follow_t *f = logtail_follow_new (&opts);
    got_t got = {{0}, 0};
    logtail_follow_poll (f, s_got_line, &got);
    ASSERT_EQ (got.lines, 3);
    ASSERT_EQ (s_stats (f).files, 3);
    ASSERT_EQ (s_stats (f).dropped_files, 2);
    logtail_follow_poll (f, s_got_line, &got);
    ASSERT_EQ (got.lines, 3);
    ASSERT_EQ (s_stats (f).dropped_files, 4);
    vg_buf_free (&got.text);
    logtail_follow_destroy (&f);
    free (glob);
    free (dir);
}

int
main (void)
{
    test_start_at_end ();
    test_rename_rotation ();
    test_rename_within_glob ();
    test_copytruncate ();
    test_state ();
    test_budget ();
    test_max_line ();
    test_max_files ();
    printf ("test_logtail_follow: OK\n");
    return 0;
}
