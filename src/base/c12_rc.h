/* c12_rc.h - the one error enum of C12, and the message buffer that goes with it.
 *
 * Every fallible function returns a c12_rc and, when it fails, writes a
 * human-readable reason into a caller-owned c12_err. Out-parameters are set
 * only on success. Nothing below main() exits the process. */
#ifndef C12_RC_H
#define C12_RC_H

#include <stddef.h>

typedef enum {
    C12_OK = 0,
    C12_ERR_NOMEM,       /* an allocation failed */
    C12_ERR_IO,          /* a file or socket operation failed */
    C12_ERR_FORMAT,      /* outside bytes are malformed (GGUF, JSON, CSV...) */
    C12_ERR_INVALID,     /* a caller passed a bad argument */
    C12_ERR_UNSUPPORTED, /* well-formed but not something C12 handles */
    C12_ERR_NOT_FOUND,   /* a named thing does not exist */
    C12_ERR_RANGE,       /* a value is out of range (e.g. prompt > context) */
    C12_ERR_NETWORK,     /* a remote peer could not be reached */
    C12_ERR_TIMEOUT,     /* a deadline passed */
    C12_ERR_AUTH,        /* credentials refused */
    C12_ERR_INTEGRITY,   /* a checksum or size did not match */
    C12_ERR_CANCELLED,   /* the caller asked to stop */
    C12_ERR_BUSY,        /* a bounded resource is full */
    C12_ERR_INTERNAL,    /* a bug: an invariant did not hold */
    C12_RC_COUNT
} c12_rc;

#define C12_ERR_MSG_MAX 512

typedef struct c12_err {
    c12_rc rc;
    char msg[C12_ERR_MSG_MAX];
} c12_err;

/* Short stable name of a code, e.g. "format". */
const char *c12_rc_name(c12_rc rc);

/* Record rc and a printf-style message in err (which may be NULL); returns rc
 * so that callers can write `return c12_fail(err, C12_ERR_IO, "...", ...)`. */
c12_rc c12_fail(c12_err *err, c12_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clear err to C12_OK with an empty message. */
void c12_err_clear(c12_err *err);

/* Replace every occurrence of `secret` (if non-empty) in err's message with
 * "[redacted]", so that no credential (an API key, a database password)
 * leaves through an error. */
void c12_err_redact(c12_err *err, const char *secret);

#endif
