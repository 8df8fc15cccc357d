/*  agent_aside.h - batches the collector refused (REJECTED: malformed, over
 *  a limit), kept for a person to look at instead of being sent for ever.
 *
 *  Each goes to DIR/<seq>.batch (the encoded batch, as sent) with the
 *  collector's reason in DIR/<seq>.reason. At most AGENT_ASIDE_MAX_BATCHES
 *  are kept, and AGENT_ASIDE_MAX_BYTES in all: the oldest (lowest seq) go
 *  first. `protoc --decode=vigil.Batch proto/vigil.proto < FILE` shows one.
 */
#ifndef AGENT_ASIDE_H
#define AGENT_ASIDE_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_ASIDE_MAX_BATCHES 100
#define AGENT_ASIDE_MAX_BYTES   (16 * 1024 * 1024)

/* Keeps one batch (creating dir if needed), then trims the oldest. Returns 0,
 * or VG_EIO with the reason in err. */
int agent_aside_keep (const char *dir, uint64_t seq, const uint8_t *data, size_t len,
                      const char *reason, char *err, size_t errlen);
/* How many batches dir holds now. */
size_t agent_aside_count (const char *dir);

#endif
