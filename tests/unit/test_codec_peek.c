/*  test_codec_peek.c - what the collector learns from a batch that failed to
 *  decode (vg_codec_peek_batch: its seq and agent id, for the log line and the
 *  REJECTED answer), and acks through protobuf and back.
 */
#include "test_assert.h"
#include "test_codec_ref.h"
#include "test_pb.h"
#include "test_rng.h"
#include "vg_alloc.h"
#include "vg_buf.h"
#include "vg_codec.h"
#include "vg_error.h"
#include "vg_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t s_rng = 12345;

#define PEEK_AGENT_LEN (VG_WIRE_MAX_AGENT_ID + 8)

/* Peeks at data; the agent buffer is always a NUL-terminated string of
 * printable ASCII without quotes or backslashes, whatever came in. */
static int
s_peek (const void *data, size_t len, uint64_t *seq, char *agent)
{
    memset (agent, 'X', PEEK_AGENT_LEN);
    *seq = 777;
    int rc = vg_codec_peek_batch (data, len, seq, agent, PEEK_AGENT_LEN);
    ASSERT (rc == 0 || rc == VG_EPROTO);
    size_t n = strnlen (agent, PEEK_AGENT_LEN);
    ASSERT_LT (n, PEEK_AGENT_LEN);
    for (size_t i = 0; i < n; i++)
        ASSERT (agent[i] >= 0x20 && agent[i] < 0x7f && agent[i] != '"' && agent[i] != '\\');
    if (rc != 0)
        ASSERT_EQ (*seq, 0);
    return rc;
}

static void
test_peek (void)
{
    uint64_t seq;
    char agent[PEEK_AGENT_LEN];

    /* A valid batch. */
    vg_buf_t buf = test_codec_base ();
    size_t base_len = buf.len;
    ASSERT_EQ (s_peek (buf.data, buf.len, &seq, agent), 0);
    ASSERT_EQ (seq, 42);
    ASSERT_STR_EQ (agent, "agent-7f3a");
    /* No agent buffer; a short one cuts the id and says so. */
    seq = 0;
    ASSERT_EQ (vg_codec_peek_batch ((uint8_t *)buf.data, buf.len, &seq, NULL, 0), 0);
    ASSERT_EQ (seq, 42);
    char small[8];
    ASSERT_EQ (vg_codec_peek_batch ((uint8_t *)buf.data, buf.len, &seq, small, sizeof small), 0);
    ASSERT_STR_EQ (small, "agen...");

    /* Batches that fail validation still name themselves. */
    vg_buf_t series = {0};
    test_pb_uint (&series, 1, 99); /* a name past the string table */
    test_pb_msg (&buf, 11, &series);
    vg_batch_t *b = NULL;
    char err[256] = "";
    ASSERT_EQ (vg_codec_decode_batch ((uint8_t *)buf.data, buf.len, NULL, &b, err, sizeof err),
               VG_EPROTO);
    ASSERT_EQ (s_peek (buf.data, buf.len, &seq, agent), 0);
    ASSERT_EQ (seq, 42);
    ASSERT_STR_EQ (agent, "agent-7f3a");
    buf.len = base_len;

    /* An unprintable agent id and a later seq: the last of each counts; an
     * empty agent id does not replace a named one. */
    test_pb_bytes (&buf, 1, "bad\x01\"id\\", 8);
    test_pb_uint (&buf, 3, 43);
    test_pb_bytes (&buf, 1, "", 0);
    ASSERT_EQ (vg_codec_decode_batch ((uint8_t *)buf.data, buf.len, NULL, &b, err, sizeof err),
               VG_EPROTO);
    ASSERT_EQ (s_peek (buf.data, buf.len, &seq, agent), 0);
    ASSERT_EQ (seq, 43);
    ASSERT_STR_EQ (agent, "bad??id?");
    buf.len = base_len;

    /* Too long for the buffer: cut, with "...". */
    char big[300];
    memset (big, 'a', sizeof big);
    test_pb_bytes (&buf, 1, big, sizeof big);
    ASSERT_EQ (s_peek (buf.data, buf.len, &seq, agent), 0);
    ASSERT_EQ (strlen (agent), PEEK_AGENT_LEN - 1);
    ASSERT_STR_EQ (agent + PEEK_AGENT_LEN - 4, "...");
    ASSERT (agent[PEEK_AGENT_LEN - 5] == 'a');
    buf.len = base_len;

    /* seq 0 written out is found; fields of every wire type are stepped over. */
    vg_buf_t raw = {0};
    test_pb_bytes (&raw, 1, "a1", 2);
    test_pb_double (&raw, 20, 1.5);
    test_pb_tag (&raw, 21, 5);
    vg_buf_append (&raw, "\x01\x02\x03\x04", 4);
    test_pb_uint (&raw, 3, 0);
    test_pb_sint (&raw, 4, -5);
    ASSERT_EQ (s_peek (raw.data, raw.len, &seq, agent), 0);
    ASSERT_EQ (seq, 0);
    ASSERT_STR_EQ (agent, "a1");
    vg_buf_free (&raw);

    /* No seq: an agent id alone, an empty batch, nothing. */
    test_pb_bytes (&raw, 1, "a1", 2);
    test_pb_bytes (&raw, 2, "host", 4);
    ASSERT_EQ (s_peek (raw.data, raw.len, &seq, agent), VG_EPROTO);
    vg_buf_free (&raw);
    ASSERT_EQ (s_peek ("", 0, &seq, agent), VG_EPROTO);
    ASSERT_STR_EQ (agent, "");
    ASSERT_EQ (s_peek (NULL, 0, &seq, agent), VG_EPROTO);
    ASSERT_STR_EQ (agent, "");

    /* Truncated: the encoder writes agent_id, hostname and seq first, so no
     * prefix up to the end of seq has one; every cut inside a field is
     * malformed; whatever is accepted is the batch's own header. */
    test_pb_bytes (&raw, 1, "agent-7f3a", 10);
    test_pb_bytes (&raw, 2, "web-1.example.com", 17);
    test_pb_uint (&raw, 3, 42);
    ASSERT (memcmp (raw.data, buf.data, raw.len) == 0);
    size_t seq_end = raw.len;
    vg_buf_free (&raw);
    int accepted = 0;
    for (size_t n = 0; n < buf.len; n++) {
        /* A copy of exactly n bytes, so ASan sees any read past the prefix. */
        uint8_t *p = vg_malloc (n ? n : 1);
        memcpy (p, buf.data, n);
        int rc = s_peek (p, n, &seq, agent);
        free (p);
        if (n < seq_end || n == buf.len - 1)
            ASSERT_EQ (rc, VG_EPROTO);
        if (rc == 0) {
            ASSERT_EQ (seq, 42);
            ASSERT_STR_EQ (agent, "agent-7f3a");
            accepted++;
        }
    }
    ASSERT_GT (accepted, 0);
    ASSERT_LT (accepted, (int)(buf.len - seq_end));
    vg_buf_free (&buf);

    /* Garbage. */
    const uint8_t ones[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const uint8_t zeros[16] = {0};                             /* field number 0 */
    const uint8_t group[] = {0x18, 0x05, 0x0b};                /* seq, then wire type 3 */
    const uint8_t wire7[] = {0x18, 0x05, 0x0f};                /* seq, then wire type 7 */
    const uint8_t overrun[] = {0x18, 0x05, 0x0a, 0x05, 'a'};   /* agent_id past the end */
    const uint8_t fixed[] = {0x18, 0x05, 0xa1, 0x01, 1, 2, 3}; /* field 20 fixed64 cut short */
    const uint8_t cutseq[] = {0x0a, 0x01, 'a', 0x18, 0x80};    /* seq varint cut */
    ASSERT_EQ (s_peek (ones, sizeof ones, &seq, agent), VG_EPROTO);
    ASSERT_EQ (s_peek (zeros, sizeof zeros, &seq, agent), VG_EPROTO);
    ASSERT_EQ (s_peek (group, sizeof group, &seq, agent), VG_EPROTO);
    ASSERT_EQ (s_peek (wire7, sizeof wire7, &seq, agent), VG_EPROTO);
    ASSERT_EQ (s_peek (overrun, sizeof overrun, &seq, agent), VG_EPROTO);
    ASSERT_EQ (s_peek (fixed, sizeof fixed, &seq, agent), VG_EPROTO);
    ASSERT_EQ (s_peek (cutseq, sizeof cutseq, &seq, agent), VG_EPROTO);
    ASSERT_EQ (s_peek (group, 2, &seq, agent), 0); /* the part before the group */
    ASSERT_EQ (seq, 5);
    for (int round = 0; round < 20000; round++) {
        size_t n = 1 + test_rng_next (&s_rng) % 300;
        uint8_t *r = vg_malloc (n);
        for (size_t k = 0; k < n; k++)
            r[k] = (uint8_t)test_rng_next (&s_rng);
        s_peek (r, n, &seq, agent);
        free (r);
    }
}

static void
test_ack (void)
{
    const vg_ack_status_t statuses[] = {VG_ACK_STORED, VG_ACK_DUPLICATE, VG_ACK_REJECTED,
                                        VG_ACK_RETRY};
    for (int i = 0; i < 4; i++) {
        uint8_t *out = NULL;
        size_t len = 0;
        ASSERT_EQ (vg_codec_encode_ack (UINT64_MAX - (uint64_t)i, statuses[i],
                                        i == 2 ? "sample 17: series index 9 out of range" : NULL,
                                        &out, &len),
                   0);
        uint64_t seq = 0;
        vg_ack_status_t st = VG_ACK_RETRY;
        char reason[64];
        ASSERT_EQ (vg_codec_decode_ack (out, len, &seq, &st, reason, sizeof reason), 0);
        ASSERT_EQ (seq, UINT64_MAX - (uint64_t)i);
        ASSERT_EQ (st, statuses[i]);
        ASSERT_STR_EQ (reason, i == 2 ? "sample 17: series index 9 out of range" : "");
        /* reason may be NULL, and a short buffer truncates. */
        ASSERT_EQ (vg_codec_decode_ack (out, len, &seq, &st, NULL, 0), 0);
        char small[8];
        ASSERT_EQ (vg_codec_decode_ack (out, len, &seq, &st, small, sizeof small), 0);
        ASSERT_EQ (strlen (small), i == 2 ? 7 : 0);
        free (out);
    }
    /* An unknown status and garbage are errors. */
    vg_buf_t buf = {0};
    test_pb_uint (&buf, 1, 5);
    test_pb_uint (&buf, 2, 9);
    uint64_t seq;
    vg_ack_status_t st;
    ASSERT_EQ (vg_codec_decode_ack ((uint8_t *)buf.data, buf.len, &seq, &st, NULL, 0), VG_EPROTO);
    vg_buf_free (&buf);
    const uint8_t junk[] = {0x0a, 0x7f};
    ASSERT_EQ (vg_codec_decode_ack (junk, sizeof junk, &seq, &st, NULL, 0), VG_EPROTO);
}

int
main (void)
{
    test_peek ();
    test_ack ();
    printf ("test_codec_peek: ok\n");
    return 0;
}
