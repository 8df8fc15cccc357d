/*  vg_codec_unpack.h - a Batch read from its bytes in one pass, into the
 *  structs protobuf-c generates, for vg_codec_decode.c alone.
 *
 *  What it accepts and refuses is what vigil__batch__unpack does, field by
 *  field: the same tags, wire types, varints, packed and unpacked repeated
 *  fields, last value wins for scalars, unknown fields skipped (without
 *  keeping them). tests/fuzz/fuzz_unpack.c and tests/unit/test_codec.c hold
 *  the two side by side. protobuf-c reads every series as a message of its
 *  own through its generic tables, which was most of the collector's main
 *  thread under load; distributions and events, rare, still go to it. */
#ifndef VG_CODEC_UNPACK_H
#define VG_CODEC_UNPACK_H

#include "vg_arena.h"
#include "vg_codec_wire.h"

#include "vigil.pb-c.h"

#include <stddef.h>
#include <stdint.h>

/* A protobuf-c allocator taking from arena: everything a read allocates goes
 * at once with vg_arena_free, nothing alone (its free does nothing). */
ProtobufCAllocator vg_codec_arena_allocator (vg_arena_t *arena);

/* The batch in data, allocated from alloc (which frees it all at once), or
 * NULL if the bytes are not a vigil.Batch. counts are vg_codec_prescan's
 * for the same bytes: they size the arrays. With counts->names_known, the
 * bytes [names_at, names_end) are skipped: the batch has no strings and no
 * series. */
Vigil__Batch *vg_codec_unpack_batch (const uint8_t *data, size_t len,
                                     const vg_codec_counts_t *counts, ProtobufCAllocator *alloc);

#endif
