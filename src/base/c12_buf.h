/* c12_buf.h - a growable byte buffer with an optional hard cap.
 *
 * Used wherever C12 builds text of unknown length (JSON, prompts, CSV). The
 * cap turns unbounded input into a clean C12_ERR_RANGE instead of unbounded
 * memory use. */
#ifndef C12_BUF_H
#define C12_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "c12_rc.h"

typedef struct c12_buf {
    char *data;   /* always NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
    size_t limit; /* 0 = no limit */
} c12_buf;

void c12_buf_init(c12_buf *b, size_t limit);
void c12_buf_free(c12_buf *b);
void c12_buf_reset(c12_buf *b);
c12_rc c12_buf_append(c12_buf *b, const void *p, size_t n);
c12_rc c12_buf_puts(c12_buf *b, const char *s);
c12_rc c12_buf_printf(c12_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
c12_rc c12_buf_vprintf(c12_buf *b, const char *fmt, va_list ap);
/* Give the bytes to the caller (who frees them with c12_free); b is emptied. */
char *c12_buf_take(c12_buf *b);

#endif
