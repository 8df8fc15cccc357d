/*  agent_spool_reader.c - the spool's record format and a reader that
 *  skips what is damaged. */
#include "agent_spool_reader.h"
#include "vg_crc32c.h"
#include "vg_error.h"

#include <string.h>

static void
s_put32 (uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void
s_put64 (uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
s_get32 (const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
s_get64 (const uint8_t *p)
{
    return (uint64_t)s_get32 (p) | (uint64_t)s_get32 (p + 4) << 32;
}

void
agent_spool_reader_header (uint8_t *out)
{
    memcpy (out, AGENT_SPOOL_MAGIC, 8);
    s_put32 (out + 8, AGENT_SPOOL_VERSION);
    s_put32 (out + 12, AGENT_SPOOL_HEADER_SIZE);
}

int
agent_spool_reader_check_header (const uint8_t *data, size_t len, uint32_t *version)
{
    *version = 0;
    if (len < AGENT_SPOOL_HEADER_SIZE || memcmp (data, AGENT_SPOOL_MAGIC, 8) != 0)
        return VG_EPROTO;
    *version = s_get32 (data + 8);
    if (*version == 0)
        return VG_EPROTO;
    if (*version > AGENT_SPOOL_VERSION)
        return VG_ETOOBIG;
    return s_get32 (data + 12) == AGENT_SPOOL_HEADER_SIZE ? VG_OK : VG_EPROTO;
}

void
agent_spool_reader_record (uint8_t *out, int type, uint64_t seq, int64_t time_ms,
                           const uint8_t *payload, uint32_t len)
{
    s_put32 (out, AGENT_SPOOL_RECORD_MAGIC);
    out[8] = (uint8_t)type;
    out[9] = out[10] = out[11] = 0;
    s_put32 (out + 12, len);
    s_put64 (out + 16, seq);
    s_put64 (out + 24, (uint64_t)time_ms);
    uint32_t crc = vg_crc32c (0, out + 8, AGENT_SPOOL_RECORD_SIZE - 8);
    if (len)
        crc = vg_crc32c (crc, payload, len);
    s_put32 (out + 4, crc);
}

/* The length of the record at rec if it checks out, else 0. */
static size_t
s_check (const uint8_t *rec, size_t avail, int *incomplete)
{
    *incomplete = 0;
    if (avail < AGENT_SPOOL_RECORD_SIZE) {
        *incomplete = 1;
        return 0;
    }
    if (s_get32 (rec) != AGENT_SPOOL_RECORD_MAGIC)
        return 0;
    int type = rec[8];
    uint32_t len = s_get32 (rec + 12);
    if (type < AGENT_SPOOL_BATCH || type > AGENT_SPOOL_CHECKPOINT || rec[9] || rec[10] || rec[11] ||
        len > AGENT_SPOOL_MAX_PAYLOAD || (type == AGENT_SPOOL_ACK && len != 0))
        return 0;
    if (len > avail - AGENT_SPOOL_RECORD_SIZE) {
        *incomplete = 1;
        return 0;
    }
    uint32_t crc = vg_crc32c (0, rec + 8, AGENT_SPOOL_RECORD_SIZE - 8 + (size_t)len);
    return crc == s_get32 (rec + 4) ? AGENT_SPOOL_RECORD_SIZE + (size_t)len : 0;
}

int
agent_spool_reader_valid (const uint8_t *rec, size_t len)
{
    int incomplete;
    return s_check (rec, len, &incomplete) == len;
}

void
agent_spool_reader_init (agent_spool_reader_t *self, const uint8_t *data, size_t len)
{
    memset (self, 0, sizeof *self);
    self->data = data;
    self->len = len;
    self->pos = len < AGENT_SPOOL_HEADER_SIZE ? len : AGENT_SPOOL_HEADER_SIZE;
}

int
agent_spool_reader_next (agent_spool_reader_t *self, agent_spool_record_t *rec)
{
    int damaged = 0;
    while (self->pos < self->len) {
        const uint8_t *p = self->data + self->pos;
        size_t avail = self->len - self->pos;
        int incomplete;
        size_t n = s_check (p, avail, &incomplete);
        if (n) {
            if (damaged)
                self->corrupt++;
            rec->type = p[8];
            rec->len = s_get32 (p + 12);
            rec->seq = s_get64 (p + 16);
            rec->time_ms = (int64_t)s_get64 (p + 24);
            rec->offset = self->pos;
            rec->payload = p + AGENT_SPOOL_RECORD_SIZE;
            self->pos += n;
            return 1;
        }
        if (incomplete && !damaged) {
            /* Either the last record was cut short, or a damaged length
             * points past the end: a good record further on decides. */
            size_t at = self->pos + 1;
            int later = 0;
            for (; at + AGENT_SPOOL_RECORD_SIZE <= self->len && !later; at++) {
                int inc;
                later = s_check (self->data + at, self->len - at, &inc) != 0;
            }
            if (!later) {
                self->torn = 1;
                self->pos = self->len;
                return 0;
            }
        }
        damaged = 1;
        /* Resynchronise at the next record magic. */
        size_t at = self->pos + 1;
        while (at + 4 <= self->len && s_get32 (self->data + at) != AGENT_SPOOL_RECORD_MAGIC)
            at++;
        self->pos = at + 4 <= self->len ? at : self->len;
    }
    if (damaged)
        self->corrupt++;
    return 0;
}
