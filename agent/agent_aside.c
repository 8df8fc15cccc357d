/*  agent_aside.c - refused batches kept for a person, bounded. */
#include "agent_aside.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    uint64_t seq;
    uint64_t bytes;
} s_kept_t;

static int
s_cmp (const void *a, const void *b)
{
    uint64_t x = ((const s_kept_t *)a)->seq, y = ((const s_kept_t *)b)->seq;
    return x < y ? -1 : x > y;
}

/* The batches in dir, by ascending seq. */
static s_kept_t *
s_list (const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir (dir);
    if (!d)
        return NULL;
    s_kept_t *items = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        char *end = NULL;
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        unsigned long long seq = strtoull (e->d_name, &end, 10);
        if (!end || strcmp (end, ".batch") != 0)
            continue;
        struct stat st;
        char *path = vg_asprintf ("%s/%s", dir, e->d_name);
        uint64_t bytes = stat (path, &st) == 0 ? (uint64_t)st.st_size : 0;
        free (path);
        VG_GROW (items, cap, *n + 1);
        items[(*n)++] = (s_kept_t){seq, bytes};
    }
    closedir (d);
    if (*n > 1)
        qsort (items, *n, sizeof *items, s_cmp);
    return items;
}

static int
s_write (const char *path, const void *data, size_t len)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t w = write (fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            close (fd);
            errno = e;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return close (fd);
}

static void
s_remove (const char *dir, uint64_t seq)
{
    char *path = vg_asprintf ("%s/%" PRIu64 ".batch", dir, seq);
    unlink (path);
    free (path);
    path = vg_asprintf ("%s/%" PRIu64 ".reason", dir, seq);
    unlink (path);
    free (path);
}

int
agent_aside_keep (const char *dir, uint64_t seq, const uint8_t *data, size_t len,
                  const char *reason, char *err, size_t errlen)
{
    if (mkdir (dir, 0750) != 0 && errno != EEXIST) {
        snprintf (err, errlen, "cannot create %s: %s", dir, strerror (errno));
        return VG_EIO;
    }
    char *path = vg_asprintf ("%s/%" PRIu64 ".batch", dir, seq);
    char *why = vg_asprintf ("%s/%" PRIu64 ".reason", dir, seq);
    char *text = vg_asprintf ("%s\n", reason && *reason ? reason : "no reason given");
    int rc = VG_OK;
    if (s_write (path, data, len) != 0 || s_write (why, text, strlen (text)) != 0) {
        snprintf (err, errlen, "cannot write %s: %s", path, strerror (errno));
        unlink (path);
        unlink (why);
        rc = VG_EIO;
    }
    free (text);
    free (why);
    free (path);
    size_t n = 0;
    s_kept_t *kept = s_list (dir, &n);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += kept[i].bytes;
    for (size_t i = 0;
         i + 1 < n && (n - i > AGENT_ASIDE_MAX_BATCHES || total > AGENT_ASIDE_MAX_BYTES); i++) {
        s_remove (dir, kept[i].seq);
        total -= kept[i].bytes;
    }
    free (kept);
    return rc;
}

size_t
agent_aside_count (const char *dir)
{
    size_t n = 0;
    free (s_list (dir, &n));
    return n;
}
