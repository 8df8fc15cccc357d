/*  vg_wire.h - how Vigil messages travel over ZeroMQ.
 *
 *  Agent (DEALER) -> collector (ROUTER):  [VG_WIRE_BATCH][Batch protobuf]
 *  Collector -> agent:                    [VG_WIRE_ACK][Ack protobuf]
 *  (the ROUTER also sees and sends the routing-id frame first).
 */
#ifndef VG_WIRE_H
#define VG_WIRE_H

#define VG_WIRE_BATCH "vigil.batch.v1"
#define VG_WIRE_ACK   "vigil.ack.v1"

/* Default limits the collector applies before decoding anything. */
#define VG_WIRE_MAX_FRAME    (16 * 1024 * 1024)
#define VG_WIRE_MAX_SAMPLES  1000000
#define VG_WIRE_MAX_STRINGS  200000
#define VG_WIRE_MAX_STRLEN   4096
#define VG_WIRE_MAX_LABELS   64
#define VG_WIRE_MAX_BUCKETS  4096
#define VG_WIRE_MAX_AGENT_ID 128

#endif
