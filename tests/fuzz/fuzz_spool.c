/*  fuzz_spool.c - the spool reader on any bytes: what a damaged disk, a
 *  kill mid-write or a stray file can leave in a segment. Every record it
 *  returns must lie inside the input and check out; it must end. */
#include "agent_spool_reader.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    uint32_t version;
    agent_spool_reader_check_header (data, size, &version);
    agent_spool_reader_t r;
    agent_spool_reader_init (&r, data, size);
    agent_spool_record_t rec;
    uint64_t last_end = 0;
    size_t n = 0;
    while (agent_spool_reader_next (&r, &rec)) {
        size_t total = AGENT_SPOOL_RECORD_SIZE + (size_t)rec.len;
        if (rec.offset < last_end || rec.offset + total > size ||
            rec.payload != data + rec.offset + AGENT_SPOOL_RECORD_SIZE ||
            !agent_spool_reader_valid (data + rec.offset, total))
            abort ();
        last_end = rec.offset + total;
        if (++n > size)
            abort (); /* no progress */
    }
    return 0;
}
