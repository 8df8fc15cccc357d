/*  vg_endpoint.c - loopback or not, by the endpoint's text. */
#include "vg_endpoint.h"

#include <ctype.h>
#include <string.h>

/* "127.d.d.d" with nothing else: not a host name that starts so. */
static int
s_loopback_v4 (const char *host, size_t len)
{
    if (len < 9 || strncmp (host, "127.", 4) != 0)
        return 0;
    int dots = 0;
    for (size_t i = 0; i < len; i++) {
        if (host[i] == '.')
            dots++;
        else if (!isdigit ((unsigned char)host[i]))
            return 0;
    }
    return dots == 3;
}

int
vg_endpoint_is_local (const char *endpoint)
{
    if (!endpoint)
        return 0;
    if (strncmp (endpoint, "ipc://", 6) == 0 || strncmp (endpoint, "inproc://", 9) == 0)
        return 1;
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return 0;
    const char *host = endpoint + 6;
    const char *colon = strrchr (host, ':');
    if (!colon)
        return 0;
    size_t len = (size_t)(colon - host);
    /* A connect endpoint may name its source first: "tcp://SRC;DEST:PORT". */
    if (memchr (host, ';', len))
        return 0;
    return (len == 9 && strncmp (host, "localhost", 9) == 0) ||
           (len == 5 && strncmp (host, "[::1]", 5) == 0) || s_loopback_v4 (host, len);
}
