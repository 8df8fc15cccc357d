/*  coll_sockstat.c - TCP_INFO and FIONREAD; kept apart from czmq's headers,
 *  whose netinet/tcp.h lacks tcpi_bytes_received. */
#include "coll_sockstat.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

int
coll_sockstat_taken (int fd, uint64_t *bytes)
{
    struct tcp_info info;
    socklen_t len = sizeof info;
    memset (&info, 0, sizeof info);
    if (getsockopt (fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 ||
        len < offsetof (struct tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received)
        return -1;
    int unread = 0;
    if (ioctl (fd, FIONREAD, &unread) != 0 || unread < 0)
        unread = 0;
    /* The two are read at different moments: more may have arrived in
     * between, and then nothing is taken that we can tell. */
    *bytes = info.tcpi_bytes_received > (uint64_t)unread
                 ? info.tcpi_bytes_received - (uint64_t)unread
                 : 0;
    return 0;
}
