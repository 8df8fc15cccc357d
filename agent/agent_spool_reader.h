/*  agent_spool_reader.h - the spool's on-disk format, and a reader that
 *  walks one segment held in memory.
 *
 *  A segment file is a header and records, appended one after the other:
 *
 *      header  "VIGILSPL"  u32 version (1)  u32 header length (16)
 *      record  u32 magic "VSR1"  u32 CRC-32C of the bytes after it
 *              u8 type  u8[3] zero  u32 payload length  u64 seq  i64 time_ms
 *              payload
 *
 *  All integers little-endian. A batch record (type 1) carries one encoded
 *  batch, time_ms being when it was sealed; an ack record (type 2) has no
 *  payload and says the batch seq needs no more sending; a checkpoint record
 *  (type 3) follows a batch record in the same write and holds an input's
 *  position as of that batch: its name, a NUL, and its state text. A kill
 *  at any moment leaves both or neither. The CRC covers type,
 *  length, seq, time and payload, so a torn write (the process killed in the
 *  middle of one) or a flipped bit is found, skipped and counted: the reader
 *  looks for the next record that checks out and goes on from there.
 *
 *  The reader trusts nothing in the bytes: lengths are checked against what
 *  is left and against AGENT_SPOOL_MAX_PAYLOAD before anything is read.
 */
#ifndef AGENT_SPOOL_READER_H
#define AGENT_SPOOL_READER_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_SPOOL_MAGIC        "VIGILSPL"
#define AGENT_SPOOL_VERSION      1
#define AGENT_SPOOL_HEADER_SIZE  16
#define AGENT_SPOOL_RECORD_MAGIC 0x31525356u /* "VSR1" read little-endian */
#define AGENT_SPOOL_RECORD_SIZE  32          /* the record header */
#define AGENT_SPOOL_MAX_PAYLOAD  (64u * 1024 * 1024)

enum { AGENT_SPOOL_BATCH = 1, AGENT_SPOOL_ACK = 2, AGENT_SPOOL_CHECKPOINT = 3 };

typedef struct {
    int type;
    uint64_t seq;
    int64_t time_ms;
    uint64_t offset; /* of the record header in the segment */
    uint32_t len;    /* of the payload, which starts at offset + AGENT_SPOOL_RECORD_SIZE */
    const uint8_t *payload;
} agent_spool_record_t;

typedef struct {
    const uint8_t *data;
    size_t len;
    size_t pos;
    uint64_t corrupt; /* damaged stretches skipped (each counts once) */
    uint64_t torn;    /* 1 when the segment ends in an incomplete record */
} agent_spool_reader_t;

/* Fills the header of a new segment (AGENT_SPOOL_HEADER_SIZE bytes). */
void agent_spool_reader_header (uint8_t *out);
/* Checks a segment's header. Returns 0, VG_EPROTO when it is not a spool
 * segment, or VG_ETOOBIG when it is one of a newer version; *version gets
 * the version found (0 when there is none). */
int agent_spool_reader_check_header (const uint8_t *data, size_t len, uint32_t *version);

/* Fills a record header (AGENT_SPOOL_RECORD_SIZE bytes) for a payload. */
void agent_spool_reader_record (uint8_t *out, int type, uint64_t seq, int64_t time_ms,
                                const uint8_t *payload, uint32_t len);
/* Does a record (header and payload, len bytes in all) check out? */
int agent_spool_reader_valid (const uint8_t *rec, size_t len);

/* Starts reading a segment of len bytes (header included; the header is
 * checked by the caller). */
void agent_spool_reader_init (agent_spool_reader_t *self, const uint8_t *data, size_t len);
/* The next good record: 1 and *rec filled, or 0 at the end. Damaged bytes
 * are skipped and counted in self->corrupt, an incomplete last record in
 * self->torn. */
int agent_spool_reader_next (agent_spool_reader_t *self, agent_spool_record_t *rec);

#endif
