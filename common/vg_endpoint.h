/*  vg_endpoint.h - what a ZeroMQ endpoint string says about who can reach it. */
#ifndef VG_ENDPOINT_H
#define VG_ENDPOINT_H

/* 1 when only this host can reach endpoint: tcp:// on 127.0.0.0/8,
 * localhost or [::1], and ipc:// or inproc://; 0 otherwise (any other
 * address, a host name, "*"). */
int vg_endpoint_is_local (const char *endpoint);

#endif
