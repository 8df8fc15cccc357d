/*  coll_sockstat.h - what the kernel knows of a TCP connection libzmq owns. */
#ifndef COLL_SOCKSTAT_H
#define COLL_SOCKSTAT_H

#include <stdint.h>

/* Bytes of the connection on fd that its reader (libzmq) has taken from the
 * kernel so far: received by TCP (TCP_INFO) less those still queued
 * (FIONREAD). Returns 0, or -1 when fd is not a TCP socket or the kernel
 * does not say. */
int coll_sockstat_taken (int fd, uint64_t *bytes);

#endif
