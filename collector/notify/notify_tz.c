/*  notify_tz.c - a TZif (RFC 8536) reader and the POSIX TZ rule of its footer. */
#include "notify_tz.h"
#include "vg_alloc.h"
#include "vg_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Larger zone files do not exist; this bounds what a bad file can make us read. */
#define TZ_MAX_FILE (1 << 20)

typedef struct {
    int32_t utoff;
    int isdst;
} s_type_t;

/* A POSIX TZ date rule: Jn (1..365, no Feb 29), n (0..365) or Mm.w.d. */
typedef struct {
    char kind; /* 'J', 'D' or 'M' */
    int n, m, w, d;
    int32_t time; /* seconds after local midnight; may be negative or past 24h */
} s_rule_t;

typedef struct {
    int valid;
    int32_t std_off, dst_off; /* seconds east of UTC */
    int has_dst;
    s_rule_t start, end;
} s_posix_t;

struct notify_tz_t {
    char *name;
    int64_t *trans; /* transition instants, ascending */
    uint8_t *idx;   /* the type in force from each transition */
    size_t ntrans;
    s_type_t *types;
    size_t ntypes;
    s_posix_t footer;
};

/* ---- POSIX TZ strings ---------------------------------------------------- */

static const char *
s_posix_name (const char *p)
{
    if (*p == '<') {
        while (*p && *p != '>')
            p++;
        return *p ? p + 1 : NULL;
    }
    const char *s = p;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
        p++;
    return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] into seconds. */
static const char *
s_posix_hms (const char *p, int32_t *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (*p < '0' || *p > '9')
        return NULL;
    int32_t v[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (*p < '0' || *p > '9')
            return NULL;
        while (*p >= '0' && *p <= '9')
            v[i] = v[i] * 10 + (*p++ - '0');
        if (*p != ':' || i == 2)
            break;
        p++;
    }
    *out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
    return p;
}

static const char *
s_posix_int (const char *p, int *out)
{
    if (*p < '0' || *p > '9')
        return NULL;
    int v = 0;
    while (*p >= '0' && *p <= '9' && v < 10000)
        v = v * 10 + (*p++ - '0');
    *out = v;
    return p;
}

static const char *
s_posix_rule (const char *p, s_rule_t *r)
{
    if (*p == 'M') {
        r->kind = 'M';
        if (!(p = s_posix_int (p + 1, &r->m)) || *p++ != '.' || !(p = s_posix_int (p, &r->w)) ||
            *p++ != '.' || !(p = s_posix_int (p, &r->d)))
            return NULL;
        if (r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d > 6)
            return NULL;
    } else if (*p == 'J') {
        r->kind = 'J';
        if (!(p = s_posix_int (p + 1, &r->n)) || r->n < 1 || r->n > 365)
            return NULL;
    } else {
        r->kind = 'D';
        if (!(p = s_posix_int (p, &r->n)) || r->n > 365)
            return NULL;
    }
    r->time = 7200;
    if (*p == '/' && !(p = s_posix_hms (p + 1, &r->time)))
        return NULL;
    return p;
}

static int
s_posix_parse (const char *s, s_posix_t *out)
{
    memset (out, 0, sizeof *out);
    const char *p = s_posix_name (s);
    int32_t off;
    if (!p || !(p = s_posix_hms (p, &off)))
        return VG_EINVAL;
    out->std_off = -off; /* POSIX offsets count west */
    out->dst_off = out->std_off;
    if (*p) {
        if (!(p = s_posix_name (p)))
            return VG_EINVAL;
        out->has_dst = 1;
        out->dst_off = out->std_off + 3600;
        if (*p && *p != ',') {
            if (!(p = s_posix_hms (p, &off)))
                return VG_EINVAL;
            out->dst_off = -off;
        }
        if (*p++ != ',' || !(p = s_posix_rule (p, &out->start)) || *p++ != ',' ||
            !(p = s_posix_rule (p, &out->end)) || *p)
            return VG_EINVAL;
    }
    out->valid = 1;
    return VG_OK;
}

/* Days since the epoch of a civil date (Howard Hinnant's algorithm). */
static int64_t
s_days_from_civil (int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int64_t
s_year_of (int64_t days)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    return yoe + era * 400 + (m <= 2);
}

static int
s_leap (int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Local seconds since the epoch at which rule r happens in year y. */
static int64_t
s_rule_local (const s_rule_t *r, int64_t y)
{
    int64_t day;
    if (r->kind == 'J') {
        int n = r->n;
        day = s_days_from_civil (y, 1, 1) + n - 1 + (s_leap (y) && n >= 60);
    } else if (r->kind == 'D') {
        day = s_days_from_civil (y, 1, 1) + r->n;
    } else {
        static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int64_t first = s_days_from_civil (y, r->m, 1);
        int wday = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
        int dd = (r->d - wday + 7) % 7 + 1 + (r->w - 1) * 7;
        int len = mdays[r->m - 1] + (r->m == 2 && s_leap (y));
        while (dd > len)
            dd -= 7;
        day = first + dd - 1;
    }
    return day * 86400 + r->time;
}

static int32_t
s_posix_offset (const s_posix_t *p, int64_t t)
{
    if (!p->has_dst)
        return p->std_off;
    int64_t y = s_year_of ((t + p->std_off) / 86400 - ((t + p->std_off) % 86400 < 0));
    int64_t start = s_rule_local (&p->start, y) - p->std_off;
    int64_t end = s_rule_local (&p->end, y) - p->dst_off;
    int dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? p->dst_off : p->std_off;
}

/* ---- TZif ---------------------------------------------------------------- */

static uint32_t
s_be32 (const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
s_be64 (const unsigned char *p)
{
    return (int64_t)((uint64_t)s_be32 (p) << 32 | s_be32 (p + 4));
}

/* Counts of a header: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt. */
static int
s_header (const unsigned char *p, size_t len, uint32_t c[6])
{
    if (len < 44 || memcmp (p, "TZif", 4) != 0)
        return VG_EINVAL;
    for (int i = 0; i < 6; i++)
        c[i] = s_be32 (p + 20 + 4 * i);
    if (c[4] == 0 || c[4] > 256 || c[3] > 100000 || c[2] > 10000 || c[5] > 10000)
        return VG_EINVAL;
    return VG_OK;
}

static size_t
s_block_len (const uint32_t c[6], size_t tsize)
{
    return c[3] * tsize + c[3] + c[4] * 6 + c[5] + c[2] * (tsize + 4) + c[1] + c[0];
}

static int
s_parse (notify_tz_t *self, const unsigned char *p, size_t len)
{
    uint32_t c[6];
    if (s_header (p, len, c) != VG_OK)
        return VG_EINVAL;
    int version = p[4] ? p[4] - '0' : 1;
    size_t tsize = 4, off = 44;
    if (version >= 2) {
        /* Skip the 32-bit block: the 64-bit one follows with its own header. */
        off += s_block_len (c, 4);
        if (off > len || s_header (p + off, len - off, c) != VG_OK)
            return VG_EINVAL;
        off += 44;
        tsize = 8;
    }
    if (off + s_block_len (c, tsize) > len)
        return VG_EINVAL;
    self->ntrans = c[3];
    self->ntypes = c[4];
    self->trans = vg_calloc (c[3] + 1, sizeof *self->trans);
    self->idx = vg_calloc (c[3] + 1, 1);
    self->types = vg_calloc (c[4], sizeof *self->types);
    for (size_t i = 0; i < c[3]; i++, off += tsize)
        self->trans[i] = tsize == 8 ? s_be64 (p + off) : (int32_t)s_be32 (p + off);
    for (size_t i = 0; i < c[3]; i++, off++) {
        self->idx[i] = p[off];
        if (p[off] >= c[4])
            return VG_EINVAL;
    }
    for (size_t i = 0; i < c[4]; i++, off += 6) {
        self->types[i].utoff = (int32_t)s_be32 (p + off);
        self->types[i].isdst = p[off + 4];
    }
    off += c[5] + c[2] * (tsize + 4) + c[1] + c[0];
    /* The footer: "\nTZ\n". */
    if (version >= 2 && off < len && p[off] == '\n') {
        const unsigned char *end = memchr (p + off + 1, '\n', len - off - 1);
        if (end && end > p + off + 1) {
            char *rule = vg_strndup ((const char *)p + off + 1, (size_t)(end - p - off - 1));
            if (s_posix_parse (rule, &self->footer) != VG_OK)
                self->footer.valid = 0; /* unusable: the last type stays in force */
            free (rule);
        }
    }
    return VG_OK;
}

/* A zone name is a relative path of letters, digits, '_', '-', '+' and '/'
 * parts, never "..": it must not read outside the zoneinfo directory. */
static int
s_safe_name (const char *name)
{
    if (!*name || *name == '/' || strlen (name) > 255 || strstr (name, ".."))
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '+' || *p == '/'))
            return 0;
    return 1;
}

notify_tz_t *
notify_tz_load (const char *name, char *err, size_t errlen)
{
    if (!s_safe_name (name)) {
        snprintf (err, errlen, "\"%s\" is not a time zone name like Europe/Berlin or UTC", name);
        return NULL;
    }
    const char *dir = getenv ("TZDIR");
    char *path = vg_asprintf ("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    FILE *f = fopen (path, "rb");
    if (!f) {
        snprintf (err, errlen, "time zone %s: cannot read %s: %s (is tzdata installed?)", name,
                  path, strerror (errno));
        free (path);
        return NULL;
    }
    unsigned char *buf = vg_malloc (TZ_MAX_FILE);
    size_t len = fread (buf, 1, TZ_MAX_FILE, f);
    fclose (f);
    notify_tz_t *self = vg_calloc (1, sizeof *self);
    self->name = vg_strdup (name);
    if (s_parse (self, buf, len) != VG_OK) {
        snprintf (err, errlen, "time zone %s: %s is not a TZif zone file", name, path);
        notify_tz_destroy (&self);
    }
    free (buf);
    free (path);
    return self;
}

void
notify_tz_destroy (notify_tz_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    notify_tz_t *self = *self_p;
    free (self->name);
    free (self->trans);
    free (self->idx);
    free (self->types);
    free (self);
    *self_p = NULL;
}

const char *
notify_tz_name (const notify_tz_t *self)
{
    return self->name;
}

int32_t
notify_tz_offset (const notify_tz_t *self, int64_t t)
{
    if (self->ntrans == 0 || t < self->trans[0]) {
        if (self->ntrans == 0 && self->footer.valid)
            return s_posix_offset (&self->footer, t);
        /* Before the first transition: the first standard-time type. */
        for (size_t i = 0; i < self->ntypes; i++)
            if (!self->types[i].isdst)
                return self->types[i].utoff;
        return self->types[0].utoff;
    }
    if (t >= self->trans[self->ntrans - 1] && self->footer.valid)
        return s_posix_offset (&self->footer, t);
    size_t lo = 0, hi = self->ntrans; /* the last transition <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return self->types[self->idx[lo]].utoff;
}

int64_t
notify_tz_resolve (const notify_tz_t *self, int64_t local_s)
{
    /* Offsets a day either side cover every real change (none is closer
     * than that to another). */
    int32_t before = notify_tz_offset (self, local_s - 86400);
    int32_t after = notify_tz_offset (self, local_s + 86400);
    int64_t a = local_s - before, b = local_s - after;
    int ok_a = notify_tz_offset (self, a) == before;
    int ok_b = notify_tz_offset (self, b) == after;
    if (ok_a && ok_b)
        return a < b ? a : b;
    if (ok_a)
        return a;
    if (ok_b)
        return b;
    /* Skipped: the change happened in (b, a]; find its instant. */
    int64_t lo = b < a ? b : a, hi = b < a ? a : b;
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (notify_tz_offset (self, mid) == before)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}
