#include "c12_rc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

void c12_err_redact(c12_err *err, const char *secret)
{
    if (!err || !secret || !*secret) return;
    /* Rebuild the message into a scratch buffer, so that a mark containing
     * the secret cannot loop and truncation stays in bounds. */
    char out[sizeof err->msg];
    size_t n = strlen(secret), o = 0;
    const char *p = err->msg;
    while (*p && o + 1 < sizeof out) {
        if (!strncmp(p, secret, n)) {
            const char *mark = "[redacted]";
            while (*mark && o + 1 < sizeof out) out[o++] = *mark++;
            p += n;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    memcpy(err->msg, out, o + 1);
}
