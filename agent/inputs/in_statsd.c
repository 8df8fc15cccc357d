/*  in_statsd.c - the statsd input: a UDP listener for StatsD and DogStatsD
 *  lines, aggregated over the interval.
 *
 *  The agent's loop polls the socket (poll_fd) and calls on_readable, which
 *  drains a bounded number of packets with recvmmsg and folds every line into
 *  a table of series keyed by kind, sanitised name and sorted tags. collect
 *  drains what is left, then emits and resets the interval:
 *
 *      c         a counter, cumulative since start (each value / rate added)
 *      g         the last value (+N / -N move it), kept until the series expires
 *      ms, h, d  a distribution of the interval's values (count weighted by 1 / rate)
 *      s         a gauge: how many unique members the interval saw
 *
 *  Memory is bounded everywhere: max_series series (what is new past that is
 *  dropped and counted), max_set_size members per set, max_packet_size bytes
 *  per packet, and series not updated for expire_after are forgotten. A line
 *  is folded in without allocating unless it makes a new series.
 */
#include "agent_input.h"
#include "input_util.h"
#include "statsd_parse.h"
#include "vg_alloc.h"
#include "vg_error.h"
#include "vg_hash.h"
#include "vg_log.h"
#include "vg_sketch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_BATCH         16    /* packets per recvmmsg */
#define S_MAX_ROUNDS    64    /* recvmmsg calls per on_readable: the loop polls again */
#define S_BAD_LOG_FIRST 5     /* bad lines logged before rate limiting starts */
#define S_COMPLAIN_MS   60000 /* then at most one line a minute */
#define S_TAG_STRIDE    (STATSD_MAX_TAG + 2)
#define S_KEY_MAX       (1 + STATSD_MAX_NAME + 2 + STATSD_MAX_TAGS * (2 * STATSD_MAX_TAG + 3))
#define S_MAX_SAMPLE_N  1000000000.0 /* cap on the weight 1 / rate of one timer value */

enum { S_COUNTER, S_GAUGE, S_DIST, S_SET };
enum { S_DROP_MAX_SERIES, S_DROP_MAX_SET_SIZE, S_DROP_TRUNCATED, S_NDROP };
static const char *const s_drop_reasons[S_NDROP] = {"max_series", "max_set_size", "truncated"};

/* The unique members of a set this interval, as 64-bit hashes (0 = empty slot). */
typedef struct {
    uint64_t *slots;
    size_t cap; /* a power of two, or 0 */
    size_t n;
} statsd_set_t;

/* One series, allocated in one block: the struct, its labels, then its key
 * (kind byte, name, then key and value of each tag, each NUL-terminated),
 * into which name and labels point. */
typedef struct {
    uint64_t hash;
    size_t key_len;
    char *key;
    const char *name;
    vg_label_t *labels;
    size_t nlabels;
    int kind;
    int64_t last_ms; /* the last line that updated it */
    double value;    /* counter total, gauge value */
    vg_sketch_t *sketch;
    statsd_set_t set;
} statsd_series_t;

typedef struct {
    /* options, filled by the core from agent.yaml */
    char *listen;
    int64_t max_series;
    int64_t max_set_size;
    int64_t max_packet_size;
    int64_t socket_buffer;
    int64_t expire_after_ms;

    /* state */
    char *instance;
    int fd; /* valid while open */
    int open;
    statsd_series_t **series;
    size_t nseries;
    size_t series_cap;
    uint32_t *index; /* position in series + 1, 0 empty; linear probing */
    size_t index_cap;
    char *bufs; /* S_BATCH packet buffers of max_packet_size */
    struct mmsghdr *msgs;
    struct iovec *iovs;
    statsd_line_t line;
    char key[S_KEY_MAX];                          /* the line's series key */
    char tagkeys[STATSD_MAX_TAGS * S_TAG_STRIDE]; /* the line's sanitised tag keys */
    uint64_t packets, lines, bad_lines, dropped[S_NDROP];
    vg_complain_t bad_complain, drop_complain, recv_complain;
} statsd_ctx_t;

/* ---- options ---------------------------------------------------------- */

/* Splits "host:port" or "[v6 address]:port". Returns 0 or VG_EINVAL. */
static int
s_split_listen (const char *text, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *h = text, *colon;
    size_t hl;
    if (*text == '[') {
        const char *bracket = strchr (text, ']');
        if (!bracket || bracket[1] != ':')
            return VG_EINVAL;
        h = text + 1;
        hl = (size_t)(bracket - h);
        colon = bracket + 1;
    } else {
        colon = strrchr (text, ':');
        if (!colon)
            return VG_EINVAL;
        hl = (size_t)(colon - text);
        if (memchr (text, ':', hl)) /* an IPv6 address needs brackets */
            return VG_EINVAL;
    }
    const char *p = colon + 1;
    size_t pl = strlen (p);
    if (hl == 0 || hl >= hostlen || pl == 0 || pl > 5 || pl >= portlen ||
        strspn (p, "0123456789") != pl || atoi (p) > 65535)
        return VG_EINVAL;
    memcpy (host, h, hl);
    host[hl] = '\0';
    memcpy (port, p, pl + 1);
    return VG_OK;
}

static int
s_parse_listen (vg_config_t *cfg, vg_cnode_t *node, const char *key, void *field, char *err,
                size_t errlen)
{
    char *text = vg_cnode_strdup (node);
    char host[256], port[8];
    if (!text || s_split_listen (text, host, sizeof host, port, sizeof port) != VG_OK) {
        int rc = vg_config_error (cfg, node, key, err, errlen,
                                  "expected host:port such as 127.0.0.1:8125 or [::1]:8125%s%s%s",
                                  text ? ", got '" : "", text ? text : "", text ? "'" : "");
        free (text);
        return rc;
    }
    *(char **)field = text;
    return VG_OK;
}

#define S_OPT(field) offsetof (statsd_ctx_t, field)

static const vg_option_t s_options[] = {
    {.name = "listen",
     .type = VG_OPT_CUSTOM,
     .def = "\"127.0.0.1:8125\"",
     .offset = S_OPT (listen),
     .parse = s_parse_listen,
     .free = input_util_free_string,
     .help = "string; UDP address to listen on, host:port or [v6]:port (port 0: any free port)"},
    {.name = "max_series",
     .type = VG_OPT_INT,
     .def = "10000",
     .min = 1,
     .max = 1000000,
     .offset = S_OPT (max_series),
     .help = "series kept at once; lines for new series past this are dropped and counted"},
    {.name = "max_set_size",
     .type = VG_OPT_INT,
     .def = "1000",
     .min = 1,
     .max = 1000000,
     .offset = S_OPT (max_set_size),
     .help = "unique members a set counts per interval; more are dropped and counted"},
    {.name = "max_packet_size",
     .type = VG_OPT_SIZE,
     .def = "8KiB",
     .min = 512,
     .max = 65535,
     .offset = S_OPT (max_packet_size),
     .help = "largest packet read whole; the lines past it in a larger packet are dropped"},
    {.name = "socket_buffer",
     .type = VG_OPT_SIZE,
     .def = "0",
     .min = 0,
     .max = 64 * 1024 * 1024,
     .offset = S_OPT (socket_buffer),
     .help = "the socket's receive buffer (SO_RCVBUF) for bursts; 0 keeps the system's"},
    {.name = "expire_after",
     .type = VG_OPT_DURATION,
     .def = "1h",
     .min = 0,
     .max = 7 * 24 * 3600 * 1000.0,
     .offset = S_OPT (expire_after_ms),
     .help = "forget a series not updated for this long (its slot is freed); 0: never"},
    {.name = NULL},
};

/* ---- the series table ------------------------------------------------- */

static int
s_kind (statsd_type_t type)
{
    switch (type) {
    case STATSD_COUNTER:
        return S_COUNTER;
    case STATSD_GAUGE:
        return S_GAUGE;
    case STATSD_SET:
        return S_SET;
    default:
        return S_DIST;
    }
}

/* Writes the series key of the parsed line into self->key: the kind, the
 * sanitised name, and the tags sorted by sanitised key (the first of two
 * tags with the same key wins). Returns its length and the tag count. */
static size_t
s_build_key (statsd_ctx_t *self, const statsd_line_t *line, int kind, size_t *ntags)
{
    char *key = self->key;
    size_t o = 0;
    key[o++] = (char)('0' + kind);
    o += statsd_parse_sanitize (line->name.ptr, line->name.len, key + o) + 1;

    uint8_t order[STATSD_MAX_TAGS];
    for (size_t i = 0; i < line->ntags; i++) {
        char *tk = self->tagkeys + i * S_TAG_STRIDE;
        statsd_parse_sanitize (line->tags[i].key.ptr, line->tags[i].key.len, tk);
        /* insertion sort, stable: equal keys keep their order */
        size_t j = i;
        while (j > 0 && strcmp (self->tagkeys + order[j - 1] * S_TAG_STRIDE, tk) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = (uint8_t)i;
    }
    const char *prev = NULL;
    *ntags = 0;
    for (size_t k = 0; k < line->ntags; k++) {
        const char *tk = self->tagkeys + order[k] * S_TAG_STRIDE;
        if (prev && strcmp (prev, tk) == 0)
            continue;
        prev = tk;
        size_t kl = strlen (tk);
        memcpy (key + o, tk, kl + 1);
        o += kl + 1;
        const statsd_str_t *v = &line->tags[order[k]].value;
        memcpy (key + o, v->ptr, v->len);
        o += v->len;
        key[o++] = '\0';
        (*ntags)++;
    }
    return o;
}

static void
s_index_insert (statsd_ctx_t *self, size_t pos)
{
    size_t mask = self->index_cap - 1;
    size_t i = self->series[pos]->hash & mask;
    while (self->index[i])
        i = (i + 1) & mask;
    self->index[i] = (uint32_t)(pos + 1);
}

static void
s_index_rebuild (statsd_ctx_t *self, size_t cap)
{
    if (cap != self->index_cap) {
        free (self->index);
        self->index = vg_calloc (cap, sizeof *self->index);
        self->index_cap = cap;
    } else if (cap)
        memset (self->index, 0, cap * sizeof *self->index);
    for (size_t pos = 0; pos < self->nseries; pos++)
        s_index_insert (self, pos);
}

static statsd_series_t *
s_lookup (statsd_ctx_t *self, uint64_t hash, size_t key_len)
{
    if (!self->index_cap)
        return NULL;
    size_t mask = self->index_cap - 1;
    for (size_t i = hash & mask; self->index[i]; i = (i + 1) & mask) {
        statsd_series_t *s = self->series[self->index[i] - 1];
        if (s->hash == hash && s->key_len == key_len && memcmp (s->key, self->key, key_len) == 0)
            return s;
    }
    return NULL;
}

/* A new series for self->key; the caller checked max_series. */
static statsd_series_t *
s_add (statsd_ctx_t *self, uint64_t hash, size_t key_len, int kind, size_t ntags)
{
    statsd_series_t *s = vg_calloc (1, sizeof *s + ntags * sizeof (vg_label_t) + key_len);
    s->labels = (vg_label_t *)(s + 1);
    s->key = (char *)(s->labels + ntags);
    memcpy (s->key, self->key, key_len);
    s->key_len = key_len;
    s->hash = hash;
    s->kind = kind;
    s->name = s->key + 1;
    const char *p = s->name + strlen (s->name) + 1;
    for (size_t i = 0; i < ntags; i++) {
        s->labels[i].key = p;
        p += strlen (p) + 1;
        s->labels[i].value = p;
        p += strlen (p) + 1;
    }
    s->nlabels = ntags;

    VG_GROW (self->series, self->series_cap, self->nseries + 1);
    self->series[self->nseries++] = s;
    if (self->nseries * 2 > self->index_cap)
        s_index_rebuild (self, self->index_cap ? self->index_cap * 2 : 64);
    else
        s_index_insert (self, self->nseries - 1);
    return s;
}

static void
s_series_free (statsd_series_t *s)
{
    vg_sketch_destroy (&s->sketch);
    free (s->set.slots);
    free (s);
}

/* Forgets the series not updated for expire_after. */
static void
s_expire (statsd_ctx_t *self, int64_t now_ms)
{
    if (self->expire_after_ms <= 0)
        return;
    size_t kept = 0;
    for (size_t i = 0; i < self->nseries; i++) {
        statsd_series_t *s = self->series[i];
        if (now_ms - s->last_ms >= self->expire_after_ms)
            s_series_free (s);
        else
            self->series[kept++] = s;
    }
    if (kept == self->nseries)
        return;
    self->nseries = kept;
    s_index_rebuild (self, self->index_cap);
}

/* ---- folding lines in ------------------------------------------------- */

/* Adds a member; 1 if it was new, 0 if seen, -1 if the set is full. */
static int
s_set_add (statsd_set_t *set, uint64_t h, size_t max)
{
    if (h == 0)
        h = 1;
    if (set->cap == 0) {
        set->cap = 16;
        set->slots = vg_calloc (set->cap, sizeof *set->slots);
    }
    size_t mask = set->cap - 1, i = h & mask;
    for (; set->slots[i]; i = (i + 1) & mask)
        if (set->slots[i] == h)
            return 0;
    if (set->n >= max)
        return -1;
    set->slots[i] = h;
    set->n++;
    if (set->n * 2 > set->cap) {
        statsd_set_t grown = {vg_calloc (set->cap * 2, sizeof *set->slots), set->cap * 2, 0};
        for (size_t k = 0; k < set->cap; k++)
            if (set->slots[k])
                s_set_add (&grown, set->slots[k], max);
        free (set->slots);
        *set = grown;
    }
    return 1;
}

/* A printable copy of a line for the log, cut at 120 bytes. */
static const char *
s_printable (char *dst, size_t cap, const char *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < cap && i < 120; i++) {
        unsigned char c = (unsigned char)p[i];
        dst[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (n > 120 && o + 4 < cap) {
        memcpy (dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
    return dst;
}

static void
s_bad (statsd_ctx_t *self, const char *p, size_t n, const char *why)
{
    self->bad_lines++;
    char show[160];
    s_printable (show, sizeof show, p, n);
    if (self->bad_lines <= S_BAD_LOG_FIRST)
        vg_warn ("statsd[%s]: bad line \"%s\": %s", self->instance, show, why);
    else
        vg_complain (&self->bad_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                     "statsd[%s]: bad line \"%s\": %s", self->instance, show, why);
}

static void
s_line (statsd_ctx_t *self, const char *p, size_t n, int64_t now_ms)
{
    if (n == 0)
        return;
    self->lines++;
    char why[160];
    statsd_line_t *line = &self->line;
    if (statsd_parse_line (p, n, line, why, sizeof why) != VG_OK) {
        s_bad (self, p, n, why);
        return;
    }
    int kind = s_kind (line->type);
    size_t ntags;
    size_t key_len = s_build_key (self, line, kind, &ntags);
    uint64_t hash = vg_hash_bytes (self->key, key_len);
    statsd_series_t *s = s_lookup (self, hash, key_len);
    if (!s) {
        if (self->nseries >= (size_t)self->max_series) {
            self->dropped[S_DROP_MAX_SERIES]++;
            vg_complain (&self->drop_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                         "statsd[%s]: %zu series, max_series reached: dropping new series "
                         "such as %s",
                         self->instance, self->nseries, self->key + 1);
            return;
        }
        s = s_add (self, hash, key_len, kind, ntags);
    }
    s->last_ms = now_ms;

    double v = s->value;
    switch (kind) {
    case S_COUNTER:
        for (size_t i = 0; i < line->nvalues; i++)
            v += line->values[i] / line->rate;
        break;
    case S_GAUGE:
        for (size_t i = 0; i < line->nvalues; i++)
            v = line->delta[i] ? v + line->values[i] : line->values[i];
        break;
    case S_DIST: {
        if (!s->sketch)
            s->sketch = vg_sketch_new ();
        double w = 1.0 / line->rate;
        uint64_t times = w >= S_MAX_SAMPLE_N ? (uint64_t)S_MAX_SAMPLE_N : (uint64_t)llround (w);
        for (size_t i = 0; i < line->nvalues; i++)
            vg_sketch_add_n (s->sketch, line->values[i], times);
        return;
    }
    case S_SET:
        if (s_set_add (&s->set, vg_hash_bytes (line->set_value.ptr, line->set_value.len),
                       (size_t)self->max_set_size) < 0)
            self->dropped[S_DROP_MAX_SET_SIZE]++;
        return;
    }
    /* 1e308 + 1e308: keep the last finite value rather than store infinity. */
    if (!isfinite (v)) {
        s_bad (self, p, n, "value out of range");
        return;
    }
    s->value = v;
}

static void
s_packet (statsd_ctx_t *self, const char *data, size_t len, int truncated, int64_t now_ms)
{
    self->packets++;
    if (truncated) {
        /* Keep the whole lines that fit; the one cut in two and the rest are lost. */
        self->dropped[S_DROP_TRUNCATED]++;
        vg_complain (&self->recv_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                     "statsd[%s]: a packet over max_packet_size (%lld bytes) was cut",
                     self->instance, (long long)self->max_packet_size);
        while (len > 0 && data[len - 1] != '\n')
            len--;
    }
    const char *cursor = data, *end = data + len, *line;
    size_t n;
    while ((line = statsd_parse_next (&cursor, end, &n)))
        s_line (self, line, n, now_ms);
}

/* Reads what is waiting, at most S_MAX_ROUNDS * S_BATCH packets. */
static void
s_drain (statsd_ctx_t *self, int64_t now_ms)
{
    if (!self->open)
        return;
    size_t psize = (size_t)self->max_packet_size;
    for (int round = 0; round < S_MAX_ROUNDS; round++) {
        for (size_t i = 0; i < S_BATCH; i++) {
            self->iovs[i] = (struct iovec){self->bufs + i * psize, psize};
            memset (&self->msgs[i], 0, sizeof self->msgs[i]);
            self->msgs[i].msg_hdr.msg_iov = &self->iovs[i];
            self->msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg (self->fd, self->msgs, S_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                vg_complain (&self->recv_complain, S_COMPLAIN_MS, VG_LOG_WARN,
                             "statsd[%s]: recvmmsg: %s", self->instance, strerror (errno));
            return;
        }
        for (int k = 0; k < n; k++)
            s_packet (self, self->bufs + (size_t)k * psize, self->msgs[k].msg_len,
                      (self->msgs[k].msg_hdr.msg_flags & MSG_TRUNC) != 0, now_ms);
        if (n < S_BATCH)
            return;
    }
}

/* ---- the plugin ------------------------------------------------------- */

static void
s_fini (void *ctx)
{
    statsd_ctx_t *self = ctx;
    if (self->open)
        close (self->fd);
    self->open = 0;
    self->fd = -1;
    for (size_t i = 0; i < self->nseries; i++)
        s_series_free (self->series[i]);
    free (self->series);
    free (self->index);
    free (self->bufs);
    free (self->msgs);
    free (self->iovs);
    free (self->instance);
    self->series = NULL;
    self->index = NULL;
    self->bufs = NULL;
    self->msgs = NULL;
    self->iovs = NULL;
    self->instance = NULL;
    self->nseries = self->series_cap = self->index_cap = 0;
}

/* Opens and binds the socket; on failure fills err. */
static int
s_open (statsd_ctx_t *self, char *err, size_t errlen)
{
    char host[256], port[8];
    if (!self->listen || s_split_listen (self->listen, host, sizeof host, port, sizeof port)) {
        snprintf (err, errlen, "listen: expected host:port, got '%s'",
                  self->listen ? self->listen : "");
        return VG_EINVAL;
    }
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int grc = getaddrinfo (host, port, &hints, &res);
    if (grc != 0) {
        snprintf (err, errlen, "listen %s: %s", self->listen, gai_strerror (grc));
        return VG_EINVAL;
    }
    int saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket (ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int size = (int)self->socket_buffer;
        if (size > 0 && setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0)
            vg_warn ("statsd[%s]: SO_RCVBUF %d: %s", self->instance, size, strerror (errno));
        if (bind (fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            self->fd = fd;
            self->open = 1;
            break;
        }
        saved = errno;
        close (fd);
    }
    freeaddrinfo (res);
    if (!self->open) {
        snprintf (err, errlen, "listen %s: %s", self->listen, strerror (saved ? saved : EINVAL));
        return VG_EIO;
    }
    return VG_OK;
}

static int
s_init (void *ctx, const agent_input_env_t *env, char *err, size_t errlen)
{
    statsd_ctx_t *self = ctx;
    self->fd = -1;
    self->instance = vg_strdup (env && env->instance ? env->instance : "statsd");
    int rc = s_open (self, err, errlen);
    if (rc != VG_OK) {
        s_fini (self);
        return rc;
    }
    self->bufs = vg_malloc (S_BATCH * (size_t)self->max_packet_size);
    self->msgs = vg_calloc (S_BATCH, sizeof *self->msgs);
    self->iovs = vg_calloc (S_BATCH, sizeof *self->iovs);

    struct sockaddr_storage sa;
    socklen_t salen = sizeof sa;
    char addr[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (getsockname (self->fd, (struct sockaddr *)&sa, &salen) == 0) {
        if (sa.ss_family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
            inet_ntop (AF_INET6, &in6->sin6_addr, addr, sizeof addr);
            port = ntohs (in6->sin6_port);
        } else {
            struct sockaddr_in *in4 = (struct sockaddr_in *)&sa;
            inet_ntop (AF_INET, &in4->sin_addr, addr, sizeof addr);
            port = ntohs (in4->sin_port);
        }
    }
    vg_info ("statsd[%s]: listening on udp %s port %d", self->instance, addr, port);
    return VG_OK;
}

static int
s_poll_fd (void *ctx)
{
    statsd_ctx_t *self = ctx;
    return self->open ? self->fd : -1;
}

static void
s_on_readable (void *ctx, int64_t now_ms)
{
    s_drain (ctx, now_ms);
}

static int
s_collect (void *ctx, agent_sink_t *sink, int64_t now_ms, char *err, size_t errlen)
{
    statsd_ctx_t *self = ctx;
    if (!self->open) {
        snprintf (err, errlen, "not listening");
        return VG_EIO;
    }
    s_drain (self, now_ms);
    s_expire (self, now_ms);
    for (size_t i = 0; i < self->nseries; i++) {
        statsd_series_t *s = self->series[i];
        switch (s->kind) {
        case S_COUNTER:
            agent_sink_counter (sink, s->name, s->labels, s->nlabels, s->value);
            break;
        case S_GAUGE:
            agent_sink_gauge (sink, s->name, s->labels, s->nlabels, s->value);
            break;
        case S_DIST:
            /* Quiet for an interval: give its buckets back. */
            if (s->sketch && s->sketch->count == 0)
                vg_sketch_destroy (&s->sketch);
            if (s->sketch) {
                agent_sink_dist (sink, s->name, s->labels, s->nlabels, s->sketch);
                vg_sketch_reset (s->sketch);
            }
            break;
        case S_SET:
            agent_sink_gauge (sink, s->name, s->labels, s->nlabels, (double)s->set.n);
            if (s->set.n == 0) {
                free (s->set.slots);
                s->set = (statsd_set_t){NULL, 0, 0};
            } else {
                memset (s->set.slots, 0, s->set.cap * sizeof *s->set.slots);
                s->set.n = 0;
            }
            break;
        }
    }

    vg_label_t labels[2] = {{"input", self->instance}, {"reason", NULL}};
    agent_sink_counter (sink, "statsd_packets_total", labels, 1, (double)self->packets);
    agent_sink_counter (sink, "statsd_lines_total", labels, 1, (double)self->lines);
    agent_sink_counter (sink, "statsd_bad_lines_total", labels, 1, (double)self->bad_lines);
    for (int r = 0; r < S_NDROP; r++) {
        labels[1].value = s_drop_reasons[r];
        agent_sink_counter (sink, "statsd_dropped_total", labels, 2, (double)self->dropped[r]);
    }
    agent_sink_gauge (sink, "statsd_series", labels, 1, (double)self->nseries);
    return VG_OK;
}

const agent_input_plugin_t in_statsd_plugin = {
    .name = "statsd",
    .description = "a UDP listener for StatsD and DogStatsD lines (counters, gauges, timers, sets)",
    .options = s_options,
    .ctx_size = sizeof (statsd_ctx_t),
    .init = s_init,
    .collect = s_collect,
    .fini = s_fini,
    .poll_fd = s_poll_fd,
    .on_readable = s_on_readable,
};
