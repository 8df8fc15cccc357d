/*  vg_crc32c.h - CRC-32C (Castagnoli), the checksum of iSCSI, ext4 and
 *  LevelDB's log records: the agent's spool records and batch integrity.
 *
 *  Slicing-by-8 over tables built once; about 1-2 GB/s on one core, enough for
 *  batches of at most a few MiB. Not a MAC: it detects torn writes and flipped
 *  bits, not forgery.
 */
#ifndef VG_CRC32C_H
#define VG_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32C of data, continuing from crc (0 to start). Thread-safe.
 * vg_crc32c (0, "123456789", 9) == 0xe3069283. */
uint32_t vg_crc32c (uint32_t crc, const void *data, size_t len);

#endif
