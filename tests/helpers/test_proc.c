/*  test_proc.c - run the real binaries from a test. */
#include "test_proc.h"
#include "test_assert.h"
#include "vg_alloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *
test_build_path (const char *relpath)
{
    const char *build = getenv ("VIGIL_BUILD_DIR");
    if (!build)
        TEST_FAIL ("VIGIL_BUILD_DIR is not set: run the tests with ctest");
    return vg_asprintf ("%s/%s", build, relpath);
}

char *
test_tmpdir (const char *name)
{
    char *dir = test_build_path ("tests/tmp");
    mkdir (dir, 0755);
    char *path = vg_asprintf ("%s/%s", dir, name);
    free (dir);
    char *cmd = vg_asprintf ("rm -rf '%s' && mkdir -p '%s'", path, path);
    if (system (cmd) != 0)
        TEST_FAIL ("cannot make %s", path);
    free (cmd);
    return path;
}

void
test_write_file (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    if (!f)
        TEST_FAIL ("cannot write %s: %s", path, strerror (errno));
    fputs (text, f);
    fclose (f);
}

char *
test_read_file (const char *path)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = vg_malloc (cap);
    size_t n;
    while ((n = fread (buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2)
            buf = vg_realloc (buf, cap *= 2);
    }
    buf[len] = '\0';
    fclose (f);
    return buf;
}

pid_t
test_spawn (char *const argv[], const char *logpath)
{
    pid_t pid = fork ();
    if (pid < 0)
        TEST_FAIL ("fork: %s", strerror (errno));
    if (pid == 0) {
        int fd = open (logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2 (fd, 1);
            dup2 (fd, 2);
            close (fd);
        }
        execv (argv[0], argv);
        fprintf (stderr, "exec %s: %s\n", argv[0], strerror (errno));
        _exit (127);
    }
    return pid;
}

int
test_kill_wait (pid_t pid, int sig)
{
    int status = 0;
    kill (pid, sig);
    while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status;
}

int
test_wait (pid_t pid, int timeout_ms)
{
    int status = 0;
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        pid_t r = waitpid (pid, &status, WNOHANG);
        if (r == pid)
            return status;
        test_sleep_ms (20);
    }
    return -1;
}

int
test_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (fd < 0 || bind (fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        TEST_FAIL ("cannot find a free port: %s", strerror (errno));
    socklen_t len = sizeof sa;
    getsockname (fd, (struct sockaddr *)&sa, &len);
    close (fd);
    return ntohs (sa.sin_port);
}

void
test_sleep_ms (int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep (&ts, &ts) != 0 && errno == EINTR)
        ;
}

char *
test_vigil (const char *dir, const char *db_url, const char *const *args, int expect_status)
{
    char *bin = test_build_path ("cli/vigil");
    char *out = vg_asprintf ("%s/vigil.out", dir);
    remove (out);
    char *argv[16];
    size_t n = 0;
    argv[n++] = bin;
    for (size_t i = 0; args[i]; i++) {
        if (n == 13)
            TEST_FAIL ("test_vigil: more than 12 arguments");
        argv[n++] = (char *)args[i];
    }
    argv[n++] = "--db";
    argv[n++] = (char *)db_url;
    argv[n] = NULL;
    pid_t pid = test_spawn (argv, out);
    int status = test_wait (pid, 30000);
    char *text = test_read_file (out);
    if (status == -1 || !WIFEXITED (status) || WEXITSTATUS (status) != expect_status)
        TEST_FAIL ("vigil %s: wait status %d, expected exit %d; output:\n%s", args[0], status,
                   expect_status, text ? text : "");
    free (out);
    free (bin);
    return text;
}
