/*  vg_error.h - error codes shared by every Vigil module.
 *
 *  Fallible functions return 0 or one of these negative codes. Where a person
 *  must read the reason, the function also fills a caller-supplied
 *  (char *err, size_t errlen) buffer.
 */
#ifndef VG_ERROR_H
#define VG_ERROR_H

enum {
    VG_OK = 0,
    VG_EINVAL = -1,    /* bad input: config, frame, argument */
    VG_EIO = -2,       /* file or socket I/O failed */
    VG_ERETRY = -3,    /* transient: try again later (database down, would block) */
    VG_EPROTO = -4,    /* malformed wire data */
    VG_ETOOBIG = -5,   /* over a configured limit */
    VG_ENOTFOUND = -6, /* no such file, key or entry */
    VG_EDB = -7,       /* database refused the request (not transient) */
};

/* A short English name for a code, for log lines. */
const char *vg_strerror (int code);

#endif
