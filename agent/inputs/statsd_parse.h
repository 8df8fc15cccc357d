/*  statsd_parse.h - StatsD and DogStatsD lines, parsed in place.
 *
 *      name:value|type[|@rate][|#tag:v,tag2][|c:container][|T1700000000]
 *
 *  type is c (counter), g (gauge), ms (timer), h (histogram), d
 *  (distribution) or s (set). Numeric types take several values separated
 *  by ':' (DogStatsD 1.1: "latency:12:15:9|ms"); a set's value is one string.
 *  A gauge value with an explicit sign (+N, -N) is a delta. A tag without a
 *  value gets the value "true". Container ids and timestamps are accepted
 *  and ignored. The parser never allocates: a parsed line points into the
 *  text it was given.
 */
#ifndef STATSD_PARSE_H
#define STATSD_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define STATSD_MAX_NAME   255 /* bytes of a metric name, as sent */
#define STATSD_MAX_TAG    255 /* bytes of a tag key or of a tag value */
#define STATSD_MAX_TAGS   32
#define STATSD_MAX_VALUES 64

typedef enum {
    STATSD_COUNTER = 0,
    STATSD_GAUGE,
    STATSD_TIMER,
    STATSD_HISTOGRAM,
    STATSD_DISTRIBUTION,
    STATSD_SET,
} statsd_type_t;

typedef struct {
    const char *ptr; /* not NUL-terminated */
    size_t len;
} statsd_str_t;

typedef struct {
    statsd_str_t key;
    statsd_str_t value; /* "true" for a tag sent without one */
} statsd_tag_t;

typedef struct {
    statsd_str_t name;
    statsd_type_t type;
    double values[STATSD_MAX_VALUES]; /* every type but sets; all finite */
    uint8_t delta[STATSD_MAX_VALUES]; /* gauges: the value had an explicit sign */
    size_t nvalues;
    statsd_str_t set_value; /* sets */
    double rate;            /* the sample rate, in (0, 1]; 1 when not sent */
    statsd_tag_t tags[STATSD_MAX_TAGS];
    size_t ntags;
} statsd_line_t;

/* Parses one line (len bytes, no newline) into out. Returns 0, or VG_EINVAL
 * with the reason in err ("unknown type 'x'"). */
int statsd_parse_line (const char *line, size_t len, statsd_line_t *out, char *err, size_t errlen);

/* The next line of a packet of several separated by '\n' (a '\r' before it
 * is dropped): returns its start and sets *len, advancing *cursor; NULL when
 * the packet is used up. Empty lines are returned too (with *len 0). */
const char *statsd_parse_next (const char **cursor, const char *end, size_t *len);

/* Writes the series form of a metric name or tag key into dst, which has
 * room for len + 2 bytes: every byte outside [a-zA-Z0-9_:] becomes '_' (so
 * dots become underscores) and a leading digit gets a '_' before it. Returns
 * the length written; dst is NUL-terminated. */
size_t statsd_parse_sanitize (const char *s, size_t len, char *dst);

/* "c", "g", "ms", "h", "d" or "s". */
const char *statsd_parse_type_name (statsd_type_t type);

#endif
