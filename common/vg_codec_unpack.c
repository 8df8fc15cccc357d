/*  vg_codec_unpack.c - a Batch read from its bytes in one pass
 *  (vg_codec_unpack.h). The wire rules are protobuf-c's, as its
 *  protobuf_c_message_unpack applies them: a tag of at most 5 bytes whose
 *  first byte names a field, varints of at most 10 bytes, length prefixes of
 *  at most 5 bytes and INT_MAX, wire types 0, 1, 2 and 5 only, and a known
 *  field only with the wire type of its type (a repeated number also packed).
 */
#include "vg_codec_unpack.h"

#include <limits.h>
#include <string.h>

/* The Batch's fields (proto/vigil.proto). */
enum {
    F_AGENT_ID = 1,
    F_HOSTNAME = 2,
    F_SEQ = 3,
    F_SENT_MS = 4,
    F_BASE_TS_MS = 5,
    F_ACCURACY = 6,
    F_INCARNATION = 7,
    F_INTERVAL_MS = 8,
    F_STRINGS = 10,
    F_SERIES = 11,
    F_SAMPLE_SERIES = 12,
    F_SAMPLE_TS = 13,
    F_SAMPLE_VALUE = 14,
    F_DISTRIBUTIONS = 15,
    F_EVENTS = 16,
    F_CRC32C = 17,
};

enum { W_VARINT = 0, W_64BIT = 1, W_LEN = 2, W_32BIT = 5 };

/* One field as read: its number, wire type, and value (v for varints and
 * fixed numbers, p and n for the bytes of a length-prefixed one). */
typedef struct {
    uint32_t field;
    unsigned wire;
    uint64_t v;
    const uint8_t *p;
    size_t n;
} s_field_t;

/* The next field of [*at, end): 1, 0 at the end, -1 if malformed. */
static int
s_next (const uint8_t **at, const uint8_t *end, s_field_t *f)
{
    const uint8_t *p = *at;
    size_t rem = (size_t)(end - p);
    if (rem == 0)
        return 0;
    /* The tag: the first byte must hold some of the field number. */
    if ((p[0] & 0xf8) == 0)
        return -1;
    f->wire = p[0] & 7;
    uint32_t tag = (p[0] & 0x7f) >> 3;
    size_t used = 1;
    if (p[0] & 0x80) {
        unsigned shift = 4;
        size_t max = rem < 5 ? rem : 5;
        for (;;) {
            if (used == max)
                return -1;
            uint8_t b = p[used++];
            tag |= (uint32_t)(b & 0x7f) << shift;
            if (!(b & 0x80))
                break;
            shift += 7;
        }
    }
    f->field = tag;
    p += used;
    rem -= used;
    switch (f->wire) {
    case W_VARINT:
        used = vg_codec_varint (p, rem, &f->v);
        if (!used)
            return -1;
        break;
    case W_64BIT:
        if (rem < 8)
            return -1;
        memcpy (&f->v, p, 8);
        used = 8;
        break;
    case W_32BIT: {
        if (rem < 4)
            return -1;
        uint32_t v32;
        memcpy (&v32, p, 4);
        f->v = v32;
        used = 4;
        break;
    }
    case W_LEN: {
        uint64_t n = 0;
        size_t k = vg_codec_varint (p, rem < 5 ? rem : 5, &n);
        if (!k || n > INT_MAX || n > rem - k)
            return -1;
        f->p = p + k;
        f->n = (size_t)n;
        used = k + (size_t)n;
        break;
    }
    default:
        return -1;
    }
    *at = p + used;
    return 1;
}

/* Elements of a packed run of varints: bytes without the continuation bit
 * (an upper bound when the run is malformed, which parsing then finds). */
static size_t
s_terminators (const uint8_t *p, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += p[i] < 0x80;
    return c;
}

/* ---- repeated numbers, packed or not, appended to their array ---- */

typedef enum { K_UINT32, K_SINT64, K_DOUBLE } s_kind_t;

/* Appends f's elements to arr (n used of cap); -1 if malformed. */
static int
s_append (const s_field_t *f, s_kind_t kind, void *arr, size_t *n, size_t cap)
{
    if (f->wire != W_LEN) {
        if (f->wire != (kind == K_DOUBLE ? W_64BIT : W_VARINT) || *n >= cap)
            return -1;
        if (kind == K_UINT32)
            ((uint32_t *)arr)[(*n)++] = (uint32_t)f->v;
        else if (kind == K_SINT64)
            ((int64_t *)arr)[(*n)++] = (int64_t)((f->v >> 1) ^ -(f->v & 1));
        else
            memcpy ((double *)arr + (*n)++, &f->v, 8);
        return 0;
    }
    const uint8_t *p = f->p, *end = f->p + f->n;
    if (kind == K_DOUBLE) {
        if (f->n % 8 || f->n / 8 > cap - *n)
            return -1;
        if (f->n) /* arr is NULL when the batch has no values */
            memcpy ((double *)arr + *n, p, f->n);
        *n += f->n / 8;
        return 0;
    }
    while (p < end) {
        uint64_t v;
        size_t k = vg_codec_varint (p, (size_t)(end - p), &v);
        if (!k || *n >= cap)
            return -1;
        p += k;
        if (kind == K_UINT32)
            ((uint32_t *)arr)[(*n)++] = (uint32_t)v;
        else
            ((int64_t *)arr)[(*n)++] = (int64_t)((v >> 1) ^ -(v & 1));
    }
    return 0;
}

/* Room a repeated field's occurrence needs: an upper bound. */
static size_t
s_room (const s_field_t *f, s_kind_t kind)
{
    if (f->wire != W_LEN)
        return 1;
    return kind == K_DOUBLE ? f->n / 8 : s_terminators (f->p, f->n);
}

/* ---- the allocator ---- */

static void *
s_arena_alloc (void *arena, size_t size)
{
    return vg_arena_alloc (arena, size);
}

static void
s_arena_free (void *arena, void *p)
{
    (void)arena;
    (void)p;
}

ProtobufCAllocator
vg_codec_arena_allocator (vg_arena_t *arena)
{
    return (ProtobufCAllocator){
        .alloc = s_arena_alloc, .free = s_arena_free, .allocator_data = arena};
}

/* ---- messages ---- */

static int
s_series (const uint8_t *p, size_t n, Vigil__Series *s, ProtobufCAllocator *alloc)
{
    vigil__series__init (s);
    const uint8_t *end = p + n, *at = p;
    s_field_t f;
    int r;
    size_t labels = 0;
    while ((r = s_next (&at, end, &f)) > 0)
        if (f.field == 3)
            labels += s_room (&f, K_UINT32);
    if (r < 0)
        return -1;
    if (labels) {
        s->labels = alloc->alloc (alloc->allocator_data, labels * sizeof *s->labels);
        if (!s->labels)
            return -1;
    }
    at = p;
    while (s_next (&at, end, &f) > 0) {
        switch (f.field) {
        case 1:
        case 2:
            if (f.wire != W_VARINT)
                return -1;
            if (f.field == 1)
                s->name = (uint32_t)f.v;
            else
                s->kind = (Vigil__Kind)(int32_t)(uint32_t)f.v;
            break;
        case 3:
            if (s_append (&f, K_UINT32, s->labels, &s->n_labels, labels))
                return -1;
            break;
        default:
            break;
        }
    }
    return 0;
}

/* A copy of f's bytes as a C string (the prescan refused NUL bytes). */
static char *
s_string (const s_field_t *f, ProtobufCAllocator *alloc)
{
    if (f->wire != W_LEN)
        return NULL;
    char *s = alloc->alloc (alloc->allocator_data, f->n + 1);
    if (s) {
        memcpy (s, f->p, f->n);
        s[f->n] = '\0';
    }
    return s;
}

/* An array of n elements of size, or NULL (and *ok = 0) if it fails. */
static void *
s_array (ProtobufCAllocator *alloc, size_t n, size_t size, int *ok)
{
    if (n == 0)
        return NULL;
    void *a = alloc->alloc (alloc->allocator_data, n * size);
    if (!a)
        *ok = 0;
    return a;
}

/* Appends f, a distribution or an event, to arr (n used of cap). They are
 * rare: protobuf-c's own reader, from the same allocator. */
static int
s_message (const s_field_t *f, const ProtobufCMessageDescriptor *desc, ProtobufCAllocator *alloc,
           ProtobufCMessage **arr, size_t *n, size_t cap)
{
    if (f->wire != W_LEN || *n >= cap)
        return -1;
    ProtobufCMessage *msg = protobuf_c_message_unpack (desc, alloc, f->n, f->p);
    if (!msg)
        return -1;
    arr[(*n)++] = msg;
    return 0;
}

/* The fields of m one by one; -1 if one is malformed or of the wrong type. */
static int
s_fill (Vigil__Batch *m, const uint8_t *data, size_t len, const vg_codec_counts_t *c,
        ProtobufCAllocator *alloc)
{
    const uint8_t *at = data, *end = data + len;
    s_field_t f;
    int r;
    while ((r = s_next (&at, end, &f)) > 0) {
        switch (f.field) {
        case F_AGENT_ID:
        case F_HOSTNAME: {
            char *s = s_string (&f, alloc);
            if (!s)
                return -1;
            *(f.field == F_AGENT_ID ? &m->agent_id : &m->hostname) = s;
            break;
        }
        case F_SEQ:
        case F_SENT_MS:
        case F_BASE_TS_MS:
        case F_ACCURACY:
        case F_INCARNATION:
        case F_INTERVAL_MS:
            if (f.wire != W_VARINT)
                return -1;
            if (f.field == F_SEQ)
                m->seq = f.v;
            else if (f.field == F_SENT_MS)
                m->sent_ms = (int64_t)f.v;
            else if (f.field == F_BASE_TS_MS)
                m->base_ts_ms = (int64_t)f.v;
            else if (f.field == F_ACCURACY)
                m->relative_accuracy_ppm = (uint32_t)f.v;
            else if (f.field == F_INCARNATION)
                m->incarnation = f.v;
            else
                m->interval_ms = (uint32_t)f.v;
            break;
        case F_STRINGS: {
            char *s = m->n_strings < c->strings ? s_string (&f, alloc) : NULL;
            if (!s)
                return -1;
            m->strings[m->n_strings++] = s;
            break;
        }
        case F_SERIES:
            if (f.wire != W_LEN || m->n_series >= c->series)
                return -1;
            if (s_series (f.p, f.n, m->series[m->n_series], alloc))
                return -1;
            m->n_series++;
            break;
        case F_SAMPLE_SERIES:
            if (s_append (&f, K_UINT32, m->sample_series, &m->n_sample_series, c->col[0]))
                return -1;
            break;
        case F_SAMPLE_TS:
            if (s_append (&f, K_SINT64, m->sample_ts_delta_ms, &m->n_sample_ts_delta_ms, c->col[1]))
                return -1;
            break;
        case F_SAMPLE_VALUE:
            if (s_append (&f, K_DOUBLE, m->sample_value, &m->n_sample_value, c->col[2]))
                return -1;
            break;
        case F_DISTRIBUTIONS:
            if (s_message (&f, &vigil__distribution__descriptor, alloc,
                           (ProtobufCMessage **)m->distributions, &m->n_distributions, c->dists))
                return -1;
            break;
        case F_EVENTS:
            if (s_message (&f, &vigil__event__descriptor, alloc, (ProtobufCMessage **)m->events,
                           &m->n_events, c->events))
                return -1;
            break;
        case F_CRC32C:
            if (f.wire != W_32BIT)
                return -1;
            m->crc32c = (uint32_t)f.v;
            break;
        default:
            break; /* unknown: skipped */
        }
    }
    return r;
}

Vigil__Batch *
vg_codec_unpack_batch (const uint8_t *data, size_t len, const vg_codec_counts_t *c,
                       ProtobufCAllocator *alloc)
{
    Vigil__Batch *m = alloc->alloc (alloc->allocator_data, sizeof *m);
    if (!m)
        return NULL;
    vigil__batch__init (m);
    int ok = 1;
    /* Known names are not read: nothing is allocated for them. */
    vg_codec_counts_t own = *c;
    if (c->names_known)
        own.strings = own.series = 0;
    c = &own;
    m->strings = s_array (alloc, c->strings, sizeof *m->strings, &ok);
    m->series = s_array (alloc, c->series, sizeof *m->series, &ok);
    Vigil__Series *series = s_array (alloc, c->series, sizeof *series, &ok);
    m->sample_series = s_array (alloc, c->col[0], sizeof *m->sample_series, &ok);
    m->sample_ts_delta_ms = s_array (alloc, c->col[1], sizeof *m->sample_ts_delta_ms, &ok);
    m->sample_value = s_array (alloc, c->col[2], sizeof *m->sample_value, &ok);
    m->distributions = s_array (alloc, c->dists, sizeof *m->distributions, &ok);
    m->events = s_array (alloc, c->events, sizeof *m->events, &ok);
    if (!ok)
        return NULL;
    for (size_t i = 0; i < c->series; i++)
        m->series[i] = &series[i];
    if (!c->names_known)
        return s_fill (m, data, len, c, alloc) == 0 ? m : NULL;
    if (s_fill (m, data, c->names_at, c, alloc) != 0 ||
        s_fill (m, data + c->names_end, len - c->names_end, c, alloc) != 0)
        return NULL;
    return m;
}
