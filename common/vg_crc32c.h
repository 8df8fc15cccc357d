/*  vg_crc32c.h - CRC-32C (Castagnoli), the checksum of iSCSI, ext4 and
 *  LevelDB's log records: the agent's spool records and batch integrity.
 *
 *  The CPU's crc32 instruction where there is one (x86-64 with SSE4.2), else
 *  slicing-by-8 over tables built once (about 1-2 GB/s on one core). Not a
 *  MAC: it detects torn writes and flipped bits, not forgery.
 */
#ifndef VG_CRC32C_H
#define VG_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32C of data, continuing from crc (0 to start). Thread-safe.
 * vg_crc32c (0, "123456789", 9) == 0xe3069283. */
uint32_t vg_crc32c (uint32_t crc, const void *data, size_t len);

/* The same by tables alone, whatever the CPU (for tests). */
uint32_t vg_crc32c_portable (uint32_t crc, const void *data, size_t len);

#endif
