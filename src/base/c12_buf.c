#include "c12_buf.h"

#include <stdio.h>
#include <string.h>

#include "c12_alloc.h"

void c12_buf_init(c12_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit;
}

void c12_buf_free(c12_buf *b)
{
    c12_free(b->data);
    c12_buf_init(b, b->limit);
}

void c12_buf_reset(c12_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

static c12_rc reserve(c12_buf *b, size_t extra)
{
    if (b->limit && (extra > b->limit || b->len > b->limit - extra)) return C12_ERR_RANGE;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return C12_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    char *d = c12_realloc(b->data, cap);
    if (!d) return C12_ERR_NOMEM;
    b->data = d;
    b->cap = cap;
    return C12_OK;
}

c12_rc c12_buf_append(c12_buf *b, const void *p, size_t n)
{
    c12_rc rc = reserve(b, n);
    if (rc) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return C12_OK;
}

c12_rc c12_buf_puts(c12_buf *b, const char *s) { return c12_buf_append(b, s, strlen(s)); }

c12_rc c12_buf_vprintf(c12_buf *b, const char *fmt, va_list ap)
{
    /* written where it fits (one formatting, the usual case); else measured,
     * room made, and written again */
    size_t room = b->cap - (b->data ? b->len : 0);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? room : 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return C12_ERR_INVALID;
    c12_rc rc = reserve(b, (size_t)n); /* the limit, and (when it did not fit) the room */
    if (rc) {
        if (b->data) b->data[b->len] = '\0'; /* what did fit is not kept */
        return rc;
    }
    if ((size_t)n >= room || !b->data) vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return C12_OK;
}

c12_rc c12_buf_printf(c12_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    c12_rc rc = c12_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *c12_buf_take(c12_buf *b)
{
    char *d = b->data;
    if (!d) d = c12_strdup("");
    c12_buf_init(b, b->limit);
    return d;
}
