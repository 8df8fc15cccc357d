/*  test_agent_spool.c - the spool on a real directory: batches read back in
 *  order after a reopen, acknowledged ones not; a flipped byte and a torn
 *  last record skipped and counted with the records around them kept; a
 *  damaged header set aside; a newer version left alone; the byte and age
 *  bounds; the queue in front of it (memory bound, drops counted with their
 *  seqs); fsync policies. */
#include "agent_queue.h"
#include "agent_spool.h"
#include "agent_spool_reader.h"
#include "test_assert.h"
#include "test_proc.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_time.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static agent_spool_t *
s_open (const char *dir, int64_t max_bytes, int64_t max_age_ms, int64_t fsync_ms)
{
    char err[512] = "";
    agent_spool_opts_t o = {.max_bytes = max_bytes, .max_age_ms = max_age_ms, .fsync_ms = fsync_ms};
    agent_spool_t *sp = agent_spool_open (dir, &o, err, sizeof err);
    if (!sp)
        TEST_FAIL ("agent_spool_open: %s", err);
    return sp;
}

/* A payload whose bytes say its seq, len bytes long. */
static uint8_t *
s_payload (uint64_t seq, size_t len)
{
    uint8_t *p = vg_malloc (len);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(seq * 31 + i);
    return p;
}

static void
s_append (agent_spool_t *sp, uint64_t seq, size_t len, int64_t made_ms, agent_spool_loc_t *loc)
{
    uint8_t *p = s_payload (seq, len);
    char err[512] = "";
    if (agent_spool_append (sp, seq, made_ms, p, len, NULL, 0, vg_mono_ms (), loc, err,
                            sizeof err) != VG_OK)
        TEST_FAIL ("append %llu: %s", (unsigned long long)seq, err);
    free (p);
}

static void
s_check_payload (agent_spool_t *sp, const agent_spool_loc_t *loc, size_t len)
{
    uint8_t *data = NULL;
    size_t got = 0;
    char err[512] = "";
    if (agent_spool_read (sp, loc, &data, &got, err, sizeof err) != VG_OK)
        TEST_FAIL ("read %llu: %s", (unsigned long long)loc->seq, err);
    ASSERT_EQ (got, len);
    uint8_t *want = s_payload (loc->seq, len);
    ASSERT (memcmp (data, want, len) == 0);
    free (want);
    free (data);
}

/* The only .seg file in dir with the lowest id. */
static char *
s_first_segment (const char *dir)
{
    DIR *d = opendir (dir);
    ASSERT (d != NULL);
    struct dirent *e;
    char *best = NULL;
    while ((e = readdir (d)))
        if (strlen (e->d_name) == 20 && strcmp (e->d_name + 16, ".seg") == 0 &&
            (!best || strcmp (e->d_name, best) < 0)) {
            free (best);
            best = vg_strdup (e->d_name);
        }
    closedir (d);
    ASSERT (best != NULL);
    char *path = vg_asprintf ("%s/%s", dir, best);
    free (best);
    return path;
}

static void
test_reopen (const char *base)
{
    char *dir = vg_asprintf ("%s/reopen", base);
    agent_spool_t *sp = s_open (dir, 0, 0, AGENT_SPOOL_FSYNC_ALWAYS);
    const agent_spool_loc_t *locs;
    ASSERT_EQ (agent_spool_recovered (sp, &locs), 0);
    agent_spool_loc_t l[6];
    for (uint64_t seq = 1; seq <= 6; seq++)
        s_append (sp, seq, 100 + seq, 1000 + (int64_t)seq, &l[seq - 1]);
    ASSERT_EQ (agent_spool_synced_seq (sp), 6);
    s_check_payload (sp, &l[3], 104);
    agent_spool_done (sp, &l[1], 5000); /* seq 2 acknowledged */
    agent_spool_done (sp, &l[4], 5000); /* seq 5 */
    agent_spool_stats_t st;
    agent_spool_stats (sp, &st);
    ASSERT_EQ (st.batches, 4);
    ASSERT_GE (st.syncs, 6);
    agent_spool_close (&sp);

    sp = s_open (dir, 0, 0, AGENT_SPOOL_FSYNC_ALWAYS);
    size_t n = agent_spool_recovered (sp, &locs);
    ASSERT_EQ (n, 4);
    uint64_t want[] = {1, 3, 4, 6};
    for (size_t i = 0; i < n; i++) {
        ASSERT_EQ (locs[i].seq, want[i]);
        ASSERT_EQ (locs[i].made_ms, 1000 + (int64_t)want[i]);
        s_check_payload (sp, &locs[i], 100 + want[i]);
    }
    agent_spool_stats (sp, &st);
    ASSERT_EQ (st.corrupt, 0);
    ASSERT_EQ (st.torn, 0);
    /* Done with all of them: the old segment goes. */
    agent_spool_loc_t copy[4];
    memcpy (copy, locs, sizeof copy);
    agent_spool_forget_recovered (sp);
    for (size_t i = 0; i < 4; i++)
        agent_spool_done (sp, &copy[i], 6000);
    agent_spool_stats (sp, &st);
    ASSERT_EQ (st.segments, 1); /* only the open one */
    ASSERT_EQ (st.batches, 0);
    agent_spool_close (&sp);
    sp = s_open (dir, 0, 0, AGENT_SPOOL_FSYNC_ALWAYS);
    ASSERT_EQ (agent_spool_recovered (sp, &locs), 0);
    agent_spool_close (&sp);
    free (dir);
}

static void
test_damage (const char *base)
{
    char *dir = vg_asprintf ("%s/damage", base);
    agent_spool_t *sp = s_open (dir, 0, 0, AGENT_SPOOL_FSYNC_NEVER);
    agent_spool_loc_t l[5];
    for (uint64_t seq = 1; seq <= 5; seq++)
        s_append (sp, seq, 200, 1000, &l[seq - 1]);
    agent_spool_close (&sp);
    char *seg = s_first_segment (dir);
    /* Flip a byte inside the payload of seq 2, cut seq 5 in half (a kill
     * in the middle of a write). */
    int fd = open (seg, O_RDWR);
    ASSERT (fd >= 0);
    uint8_t b;
    off_t at = (off_t)l[1].off + AGENT_SPOOL_RECORD_SIZE + 50;
    ASSERT_EQ (pread (fd, &b, 1, at), 1);
    b ^= 0x40;
    ASSERT_EQ (pwrite (fd, &b, 1, at), 1);
    ASSERT_EQ (ftruncate (fd, (off_t)l[4].off + 100), 0);
    close (fd);

    sp = s_open (dir, 0, 0, AGENT_SPOOL_FSYNC_NEVER);
    const agent_spool_loc_t *locs;
    size_t n = agent_spool_recovered (sp, &locs);
    ASSERT_EQ (n, 3);
    ASSERT_EQ (locs[0].seq, 1);
    ASSERT_EQ (locs[1].seq, 3);
    ASSERT_EQ (locs[2].seq, 4);
    s_check_payload (sp, &locs[1], 200);
    agent_spool_stats_t st;
    agent_spool_stats (sp, &st);
    ASSERT_EQ (st.corrupt, 1);
    ASSERT_EQ (st.torn, 1);
    agent_spool_close (&sp);

    /* A segment that is not one: set aside, counted, the agent goes on. */
    char *junk = vg_asprintf ("%s/00000000000000f0.seg", dir);
    test_write_file (junk, "this is not a spool segment at all");
    char *newer = vg_asprintf ("%s/00000000000000f1.seg", dir);
    uint8_t head[AGENT_SPOOL_HEADER_SIZE];
    agent_spool_reader_header (head);
    head[8] = 9; /* version 9 */
    fd = open (newer, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    ASSERT_EQ (write (fd, head, sizeof head), (ssize_t)sizeof head);
    close (fd);
    sp = s_open (dir, 0, 0, AGENT_SPOOL_FSYNC_NEVER);
    ASSERT_EQ (agent_spool_recovered (sp, &locs), 3);
    agent_spool_stats (sp, &st);
    ASSERT_EQ (st.corrupt, 2); /* the flipped byte again, and the junk segment */
    agent_spool_close (&sp);
    char *aside = vg_asprintf ("%s.damaged", junk);
    struct stat sb;
    ASSERT_EQ (stat (aside, &sb), 0);
    ASSERT (stat (junk, &sb) != 0);
    ASSERT_EQ (stat (newer, &sb), 0); /* left for a newer agent */
    free (aside);
    free (newer);
    free (junk);
    free (seg);
    free (dir);
}

static void
test_bounds (const char *base)
{
    char *dir = vg_asprintf ("%s/bounds", base);
    /* 64 KiB segments (the least), at most 256 KiB: 10 KiB batches. */
    agent_spool_t *sp = s_open (dir, 256 * 1024, 0, AGENT_SPOOL_FSYNC_NEVER);
    agent_queue_t *q = agent_queue_new (sp, 1024 * 1024, 0);
    int64_t now = vg_now_ms ();
    for (uint64_t seq = 1; seq <= 60; seq++) {
        uint8_t *p = s_payload (seq, 10 * 1024);
        ASSERT (agent_queue_add (q, seq, now, &p, 10 * 1024, NULL, 0, vg_mono_ms ()) != NULL);
    }
    agent_queue_stats_t qs;
    agent_queue_stats (q, &qs);
    agent_spool_stats_t st;
    agent_spool_stats (sp, &st);
    ASSERT (st.bytes <= 256 * 1024 + 64 * 1024);
    uint64_t dropped = qs.dropped[AGENT_QUEUE_DROP_SPOOL_BYTES];
    ASSERT_GT (dropped, 0);
    /* Exactly what went is counted: the oldest, and nothing else. */
    ASSERT_EQ (qs.batches + dropped, 60);
    ASSERT_EQ (st.batches, qs.batches);
    agent_queue_entry_t *e = agent_queue_next (q, NULL);
    ASSERT_EQ (e->loc.seq, dropped + 1);
    agent_queue_destroy (&q);
    agent_spool_close (&sp);

    /* Age: batches made long ago go at the next check. */
    sp = s_open (dir, 256 * 1024, 60 * 1000, AGENT_SPOOL_FSYNC_NEVER);
    const agent_spool_loc_t *locs;
    size_t n = agent_spool_recovered (sp, &locs);
    ASSERT_EQ (n, 60 - dropped);
    q = agent_queue_new (sp, 1024 * 1024, 0);
    for (size_t i = 0; i < n; i++)
        agent_queue_add_spooled (q, &locs[i]);
    agent_spool_forget_recovered (sp);
    agent_queue_enforce (q, now + 3600 * 1000);
    agent_queue_stats (q, &qs);
    ASSERT_EQ (qs.batches, 0);
    ASSERT_EQ (qs.dropped[AGENT_QUEUE_DROP_SPOOL_AGE], n);
    agent_queue_destroy (&q);
    agent_spool_close (&sp);
    free (dir);
}

/* Without a spool (it could not be opened) batches wait in memory, bounded
 * in bytes: the oldest go, counted. */
static void
test_memory_bound (void)
{
    agent_queue_t *q = agent_queue_new (NULL, 64 * 1024, 0);
    for (uint64_t seq = 1; seq <= 20; seq++) {
        uint8_t *p = s_payload (seq, 8 * 1024);
        agent_queue_add (q, seq, vg_now_ms (), &p, 8 * 1024, NULL, 0, vg_mono_ms ());
    }
    agent_queue_stats_t qs;
    agent_queue_stats (q, &qs);
    ASSERT_EQ (qs.batches, 8);
    ASSERT_EQ (qs.memory_bytes, 8 * 8 * 1024);
    ASSERT_EQ (qs.dropped[AGENT_QUEUE_DROP_MEMORY], 12);
    ASSERT_EQ (agent_queue_next (q, NULL)->loc.seq, 13);
    uint8_t *data = NULL;
    size_t len = 0;
    agent_queue_entry_t *e = agent_queue_find (q, 15);
    ASSERT_EQ (agent_queue_payload (q, e, &data, &len), VG_OK);
    ASSERT_EQ (len, 8 * 1024);
    free (data);
    agent_queue_destroy (&q);
}

/* The grouped policy syncs when due, not at every append. */
static void
test_fsync_interval (const char *base)
{
    char *dir = vg_asprintf ("%s/interval", base);
    agent_spool_t *sp = s_open (dir, 0, 0, 1000);
    agent_spool_loc_t l;
    s_append (sp, 7, 10, 1, &l);
    ASSERT_EQ (agent_spool_synced_seq (sp), 0);
    int64_t due = agent_spool_next_sync (sp);
    ASSERT (due != INT64_MAX);
    char err[256];
    ASSERT_EQ (agent_spool_sync (sp, due - 1, 0, err, sizeof err), VG_OK);
    ASSERT_EQ (agent_spool_synced_seq (sp), 0);
    ASSERT_EQ (agent_spool_sync (sp, due, 0, err, sizeof err), VG_OK);
    ASSERT_EQ (agent_spool_synced_seq (sp), 7);
    ASSERT_EQ (agent_spool_next_sync (sp), INT64_MAX);
    agent_spool_close (&sp);
    free (dir);
}

/* A disk that takes no more (here: a file size limit, so write fails as on
 * a full disk): the append fails whole, the batch waits in memory, counted;
 * when the disk takes writes again, the next batches go to the spool, and
 * the segment holds no torn record. */
static void
test_disk_full (const char *base)
{
    char *dir = vg_asprintf ("%s/full", base);
    agent_spool_t *sp = s_open (dir, 0, 0, AGENT_SPOOL_FSYNC_NEVER);
    agent_queue_t *q = agent_queue_new (sp, 1024 * 1024, 0);
    uint8_t *p = s_payload (1, 1000);
    agent_queue_add (q, 1, vg_now_ms (), &p, 1000, NULL, 0, vg_mono_ms ());
    signal (SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    getrlimit (RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 1500; /* the segment holds ~1 KiB: the next batch does not fit */
    ASSERT_EQ (setrlimit (RLIMIT_FSIZE, &lim), 0);
    for (uint64_t seq = 2; seq <= 4; seq++) {
        p = s_payload (seq, 1000);
        ASSERT (agent_queue_add (q, seq, vg_now_ms (), &p, 1000, NULL, 0, vg_mono_ms ()) != NULL);
    }
    ASSERT_EQ (setrlimit (RLIMIT_FSIZE, &old), 0);
    agent_queue_stats_t qs;
    agent_queue_stats (q, &qs);
    ASSERT_EQ (qs.batches, 4);
    ASSERT_EQ (qs.memory_batches, 3);
    ASSERT_EQ (qs.spool_failures, 3);
    agent_spool_stats_t st;
    agent_spool_stats (sp, &st);
    ASSERT_EQ (st.write_errors, 3);
    ASSERT_EQ (st.batches, 1);
    /* Room again: the next one is spooled, and at a stop those held in memory too. */
    p = s_payload (5, 1000);
    agent_queue_add (q, 5, vg_now_ms (), &p, 1000, NULL, 0, vg_mono_ms ());
    agent_queue_stats (q, &qs);
    ASSERT_EQ (qs.memory_batches, 3);
    ASSERT_EQ (agent_queue_spool_memory (q, vg_mono_ms ()), 0);
    agent_queue_destroy (&q);
    agent_spool_close (&sp);
    sp = s_open (dir, 0, 0, AGENT_SPOOL_FSYNC_NEVER);
    const agent_spool_loc_t *locs;
    ASSERT_EQ (agent_spool_recovered (sp, &locs), 5);
    for (uint64_t seq = 1; seq <= 5; seq++)
        ASSERT_EQ (locs[seq - 1].seq, seq);
    agent_spool_stats (sp, &st);
    ASSERT_EQ (st.corrupt + st.torn, 0);
    agent_spool_close (&sp);
    free (dir);
}

/* Positions written with a batch come back at the next open, the newest per
 * input. */
static void
test_checkpoints (const char *base)
{
    char *dir = vg_asprintf ("%s/ckpt", base);
    agent_spool_t *sp = s_open (dir, 0, 0, AGENT_SPOOL_FSYNC_NEVER);
    char err[256];
    agent_spool_loc_t loc;
    for (uint64_t seq = 1; seq <= 3; seq++) {
        char text[64];
        snprintf (text, sizeof text, "position %llu", (unsigned long long)seq * 100);
        agent_spool_ckpt_t c[2] = {{"logs", (const uint8_t *)text, strlen (text)},
                                   {"other", (const uint8_t *)"x", 1}};
        uint8_t *p = s_payload (seq, 50);
        ASSERT_EQ (agent_spool_append (sp, seq, 1, p, 50, c, seq == 3 ? 1 : 2, vg_mono_ms (), &loc,
                                       err, sizeof err),
                   VG_OK);
        free (p);
    }
    agent_spool_close (&sp);
    sp = s_open (dir, 0, 0, AGENT_SPOOL_FSYNC_NEVER);
    const uint8_t *text;
    size_t len;
    uint64_t seq;
    ASSERT_EQ (agent_spool_checkpoint (sp, "logs", &text, &len, &seq), 1);
    ASSERT_EQ (seq, 3);
    ASSERT_EQ (len, strlen ("position 300"));
    ASSERT (memcmp (text, "position 300", len) == 0);
    ASSERT_EQ (agent_spool_checkpoint (sp, "other", &text, &len, &seq), 1);
    ASSERT_EQ (seq, 2);
    ASSERT_EQ (agent_spool_checkpoint (sp, "none", &text, &len, &seq), 0);
    const agent_spool_loc_t *locs;
    ASSERT_EQ (agent_spool_recovered (sp, &locs), 3); /* checkpoints are not batches */
    agent_spool_close (&sp);
    free (dir);
}

/* A segment removed from outside (a wiped state directory) while its
 * batches wait: reading one says so, the queue drops it and counts it,
 * rather than let it hold a place for ever. */
static void
test_segment_gone (const char *base)
{
    char *dir = vg_asprintf ("%s/gone", base);
    agent_spool_t *sp = s_open (dir, 0, 0, AGENT_SPOOL_FSYNC_NEVER);
    agent_spool_loc_t l;
    for (uint64_t seq = 1; seq <= 3; seq++)
        s_append (sp, seq, 100, 1, &l);
    agent_spool_close (&sp);
    sp = s_open (dir, 0, 0, AGENT_SPOOL_FSYNC_NEVER);
    const agent_spool_loc_t *locs;
    ASSERT_EQ (agent_spool_recovered (sp, &locs), 3);
    agent_queue_t *q = agent_queue_new (sp, 1024 * 1024, 0);
    for (size_t i = 0; i < 3; i++)
        agent_queue_add_spooled (q, &locs[i]);
    agent_spool_forget_recovered (sp);
    char *seg = s_first_segment (dir);
    ASSERT_EQ (unlink (seg), 0);
    uint8_t *data = NULL;
    size_t len = 0;
    ASSERT_EQ (agent_queue_payload (q, agent_queue_find (q, 2), &data, &len), VG_EPROTO);
    ASSERT (data == NULL);
    agent_queue_stats_t qs;
    agent_queue_stats (q, &qs);
    ASSERT_EQ (qs.batches, 2);
    ASSERT_EQ (qs.dropped[AGENT_QUEUE_DROP_CORRUPT], 1);
    agent_queue_destroy (&q);
    agent_spool_close (&sp);
    free (seg);
    free (dir);
}

int
main (void)
{
    char *base = test_tmpdir ("spool");
    test_reopen (base);
    test_damage (base);
    test_bounds (base);
    test_memory_bound ();
    test_fsync_interval (base);
    test_disk_full (base);
    test_checkpoints (base);
    test_segment_gone (base);
    free (base);
    printf ("test_agent_spool: OK\n");
    return 0;
}
