/*  input_curl.c - libcurl's multi socket interface behind one epoll fd. */
#include "input_curl.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

struct input_curl_t {
    CURLM *multi;
    int epfd;
    int tfd;
    int running;
};

/* curl says which sockets to watch for what. */
static int
s_on_socket (CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    input_curl_t *self = userp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl (self->epfd, EPOLL_CTL_DEL, s, NULL);
        curl_multi_assign (self->multi, s, NULL);
        return 0;
    }
    struct epoll_event ev = {0};
    ev.data.fd = s;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        ev.events |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        ev.events |= EPOLLOUT;
    if (socketp) {
        epoll_ctl (self->epfd, EPOLL_CTL_MOD, s, &ev);
        return 0;
    }
    if (epoll_ctl (self->epfd, EPOLL_CTL_ADD, s, &ev) != 0 && errno == EEXIST)
        epoll_ctl (self->epfd, EPOLL_CTL_MOD, s, &ev);
    curl_multi_assign (self->multi, s, self);
    return 0;
}

/* curl says when it next wants to be called whatever its sockets do. */
static int
s_on_timer (CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    input_curl_t *self = userp;
    struct itimerspec its = {0};
    if (timeout_ms >= 0) {
        /* 0 means at once: the smallest time that arms the timer. */
        its.it_value.tv_sec = timeout_ms / 1000;
        its.it_value.tv_nsec = (timeout_ms % 1000) * 1000000L;
        if (timeout_ms == 0)
            its.it_value.tv_nsec = 1;
    }
    timerfd_settime (self->tfd, 0, &its, NULL);
    return 0;
}

input_curl_t *
input_curl_new (char *err, size_t errlen)
{
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf (err, errlen, "libcurl could not start");
        return NULL;
    }
    input_curl_t *self = vg_calloc (1, sizeof *self);
    self->epfd = epoll_create1 (EPOLL_CLOEXEC);
    self->tfd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    self->multi = curl_multi_init ();
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = self->tfd};
    if (self->epfd < 0 || self->tfd < 0 || !self->multi ||
        epoll_ctl (self->epfd, EPOLL_CTL_ADD, self->tfd, &ev) != 0) {
        snprintf (err, errlen, "cannot set up libcurl's multi interface: %s",
                  self->multi ? strerror (errno) : "libcurl refused");
        input_curl_destroy (&self);
        return NULL;
    }
    curl_multi_setopt (self->multi, CURLMOPT_SOCKETFUNCTION, s_on_socket);
    curl_multi_setopt (self->multi, CURLMOPT_SOCKETDATA, self);
    curl_multi_setopt (self->multi, CURLMOPT_TIMERFUNCTION, s_on_timer);
    curl_multi_setopt (self->multi, CURLMOPT_TIMERDATA, self);
    return self;
}

void
input_curl_destroy (input_curl_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    input_curl_t *self = *self_p;
    /* The inputs take their transfers out first (input_curl_abort). */
    if (self->multi)
        curl_multi_cleanup (self->multi);
    if (self->epfd >= 0)
        close (self->epfd);
    if (self->tfd >= 0)
        close (self->tfd);
    free (self);
    curl_global_cleanup ();
    *self_p = NULL;
}

int
input_curl_fd (const input_curl_t *self)
{
    return self->epfd;
}

int
input_curl_running (const input_curl_t *self)
{
    return self->running;
}

void
input_curl_abort (input_curl_t *self, CURL *easy)
{
    if (curl_multi_remove_handle (self->multi, easy) == CURLM_OK && self->running > 0)
        self->running--;
}

int
input_curl_start (input_curl_t *self, CURL *easy, char *err, size_t errlen)
{
    CURLMcode mc = curl_multi_add_handle (self->multi, easy);
    if (mc != CURLM_OK) {
        snprintf (err, errlen, "libcurl: %s", curl_multi_strerror (mc));
        return VG_EIO;
    }
    self->running++;
    return VG_OK;
}

void
input_curl_run (input_curl_t *self, input_curl_done_fn *done, void *arg)
{
    struct epoll_event evs[16];
    int n, still = 0;
    while ((n = epoll_wait (self->epfd, evs, 16, 0)) > 0) {
        for (int i = 0; i < n; i++) {
            if (evs[i].data.fd == self->tfd) {
                uint64_t ticks;
                while (read (self->tfd, &ticks, sizeof ticks) > 0)
                    ;
                curl_multi_socket_action (self->multi, CURL_SOCKET_TIMEOUT, 0, &still);
                continue;
            }
            int flags = 0;
            if (evs[i].events & EPOLLIN)
                flags |= CURL_CSELECT_IN;
            if (evs[i].events & EPOLLOUT)
                flags |= CURL_CSELECT_OUT;
            if (evs[i].events & (EPOLLERR | EPOLLHUP))
                flags |= CURL_CSELECT_ERR;
            curl_multi_socket_action (self->multi, evs[i].data.fd, flags, &still);
        }
        if (n < 16)
            break;
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read (self->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        curl_multi_remove_handle (self->multi, easy);
        if (self->running > 0)
            self->running--;
        if (done)
            done (arg, easy, result);
    }
}
