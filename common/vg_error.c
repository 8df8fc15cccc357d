/*  vg_error.c - names of the error codes. */
#include "vg_error.h"

const char *
vg_strerror (int code)
{
    switch (code) {
    case VG_OK:
        return "ok";
    case VG_EINVAL:
        return "invalid input";
    case VG_EIO:
        return "I/O error";
    case VG_ERETRY:
        return "temporarily unavailable";
    case VG_EPROTO:
        return "malformed message";
    case VG_ETOOBIG:
        return "over the limit";
    case VG_ENOTFOUND:
        return "not found";
    case VG_EDB:
        return "database error";
    default:
        return "unknown error";
    }
}
