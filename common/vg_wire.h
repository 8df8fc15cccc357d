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
/* Decoded size a batch may expand to: label keys and values as every series
 * and event names them (a string is sent once but may be named by thousands
 * of labels), and events' names, labels and texts. */
#define VG_WIRE_MAX_LABEL_BYTES (8 * 1024 * 1024)
#define VG_WIRE_MAX_EVENT_BYTES (1024 * 1024)

/* Timestamps PostgreSQL's timestamptz can hold, in ms since 1970 (from
 * 4714-11-24 BC up to, not including, 294277-01-01): a batch with any other
 * is refused rather than stored wrong. */
#define VG_WIRE_MIN_TS_MS (-210866803200000LL)
#define VG_WIRE_END_TS_MS 9224318016000000LL

/* Every Batch ends with this trailer: the tag of field 17 (fixed32) and the
 * CRC-32C, little-endian, of all the bytes before it (proto/vigil.proto). */
#define VG_WIRE_CRC_TAG0    0x8d
#define VG_WIRE_CRC_TAG1    0x01
#define VG_WIRE_CRC_TRAILER 6

#endif
