#include "c12_rc.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const rc_names[C12_RC_COUNT] = {
    [C12_OK] = "ok",
    [C12_ERR_NOMEM] = "out of memory",
    [C12_ERR_IO] = "i/o error",
    [C12_ERR_FORMAT] = "format error",
    [C12_ERR_INVALID] = "invalid argument",
    [C12_ERR_UNSUPPORTED] = "unsupported",
    [C12_ERR_NOT_FOUND] = "not found",
    [C12_ERR_RANGE] = "out of range",
    [C12_ERR_NETWORK] = "network error",
    [C12_ERR_TIMEOUT] = "timeout",
    [C12_ERR_AUTH] = "authentication failed",
    [C12_ERR_INTEGRITY] = "integrity check failed",
    [C12_ERR_CANCELLED] = "cancelled",
    [C12_ERR_BUSY] = "busy",
    [C12_ERR_INTERNAL] = "internal error",
};

const char *c12_rc_name(c12_rc rc)
{
    if ((int)rc < 0 || rc >= C12_RC_COUNT) return "unknown error";
    return rc_names[rc];
}

c12_rc c12_fail(c12_err *err, c12_rc rc, const char *fmt, ...)
{
    if (!err) return rc;
    err->rc = rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return rc;
}

void c12_err_clear(c12_err *err)
{
    if (!err) return;
    err->rc = C12_OK;
    err->msg[0] = '\0';
}
