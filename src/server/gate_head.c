/* gate_head.c - a request's head (request line and header fields) as its
 * bytes arrive at the gate (gate.c): is it whole yet, and is it one C12
 * serves? What libmicrohttpd would refuse with an HTML page of its own (a
 * bad Content-Length, a target or head too long, another HTTP version) is
 * refused here with OpenAI's JSON error, and what it would let through but
 * a proxy in front might read differently (two Content-Lengths, both
 * Content-Length and Transfer-Encoding: request smuggling) is refused too. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "server/gate.h"

static c12_head_result refuse(c12_head_verdict *v, unsigned status, const char *code, const char *msg)
{
    *v = (c12_head_verdict){.status = status, .code = code, .msg = msg};
    return C12_HEAD_BAD;
}

static c12_head_result bad_request(c12_head_verdict *v, const char *msg)
{
    return refuse(v, 400, "invalid_request", msg);
}

/* The header fields that decide where the body ends. */
typedef struct framing {
    int n_length;            /* Content-Length fields */
    char length[24];         /* the first one's digits */
    int chunked, other_coding;
} framing;

static int all_digits(const char *s, size_t n)
{
    if (n == 0 || n > 19) return 0; /* 19 digits: always fits in 64 bits */
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

static c12_head_result on_length(framing *f, const char *v, size_t n, c12_head_verdict *out)
{
    if (!all_digits(v, n)) return bad_request(out, "The Content-Length header is not a whole number of bytes.");
    if (f->n_length++ && (strlen(f->length) != n || memcmp(f->length, v, n)))
        return bad_request(out, "The request has two Content-Length headers that differ.");
    memcpy(f->length, v, n);
    f->length[n] = '\0';
    return C12_HEAD_OK;
}

static c12_head_result on_coding(framing *f, const char *v, size_t n, c12_head_verdict *out)
{
    if (n == 7 && !strncasecmp(v, "chunked", 7) && !f->chunked) f->chunked = 1;
    else f->other_coding = 1;
    return C12_HEAD_OK;
}

static const struct {
    const char *name;
    c12_head_result (*check)(framing *f, const char *v, size_t n, c12_head_verdict *out);
} FIELDS[] = {
    {"content-length", on_length},
    {"transfer-encoding", on_coding},
};

static int is_tchar(unsigned char c) { return c > ' ' && c < 127 && !strchr("\"(),/:;<=>?@[\\]{}", c); }

/* "METHOD SP TARGET SP HTTP/1.x" */
static c12_head_result request_line(const char *p, size_t n, c12_head_verdict *v)
{
    size_t m = 0;
    while (m < n && is_tchar((unsigned char)p[m])) m++;
    if (m == 0 || m == n || p[m] != ' ') return bad_request(v, "The request line is malformed.");
    size_t t = m + 1, e = t;
    while (e < n && (unsigned char)p[e] > ' ' && p[e] != 127) e++;
    if (e == t || e == n || p[e] != ' ') return bad_request(v, "The request line is malformed.");
    const char *ver = p + e + 1;
    size_t vn = n - e - 1;
    if (vn < 6 || memcmp(ver, "HTTP/", 5)) return bad_request(v, "The request line is malformed.");
    if (vn != 8 || memcmp(ver, "HTTP/1.", 7) || !isdigit((unsigned char)ver[7]))
        return refuse(v, 505, "http_version_not_supported", "Only HTTP/1.0 and HTTP/1.1 are served.");
    return C12_HEAD_OK;
}

/* "name: value" with optional whitespace around the value. */
static c12_head_result field_line(const char *p, size_t n, framing *f, c12_head_verdict *v)
{
    const char *colon = memchr(p, ':', n);
    if (memchr(p, '\0', n)) return bad_request(v, "A header line contains a NUL byte.");
    if (p[0] == ' ' || p[0] == '\t') return bad_request(v, "Folded header lines are not accepted.");
    if (!colon || colon == p) return bad_request(v, "A header line has no name.");
    for (const char *q = p; q < colon; q++)
        if (!is_tchar((unsigned char)*q)) return bad_request(v, "A header name is malformed.");
    const char *val = colon + 1, *end = p + n;
    while (val < end && (*val == ' ' || *val == '\t')) val++;
    while (end > val && (end[-1] == ' ' || end[-1] == '\t')) end--;
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++)
        if ((size_t)(colon - p) == strlen(FIELDS[i].name) && !strncasecmp(p, FIELDS[i].name, (size_t)(colon - p)))
            return FIELDS[i].check(f, val, (size_t)(end - val), v);
    return C12_HEAD_OK;
}

static c12_head_result framing_ok(const framing *f, c12_head_verdict *v)
{
    if (f->other_coding)
        return refuse(v, 501, "not_implemented", "Only the chunked transfer coding is accepted.");
    if (f->chunked && f->n_length)
        return bad_request(v, "The request has both Content-Length and Transfer-Encoding.");
    return C12_HEAD_OK;
}

c12_head_result c12_head_check(const char *p, size_t n, c12_head_verdict *v)
{
    const char *eol = memchr(p, '\n', n);
    if (!eol) return n > C12_HEAD_LINE_MAX ? refuse(v, 414, "uri_too_long", "The request target is too long.")
                                             : C12_HEAD_MORE;
    size_t len = (size_t)(eol - p);
    if (len > C12_HEAD_LINE_MAX) return refuse(v, 414, "uri_too_long", "The request target is too long.");
    c12_head_result r = request_line(p, len && p[len - 1] == '\r' ? len - 1 : len, v);
    framing f = {0};
    for (const char *line = eol + 1; r == C12_HEAD_OK;) {
        if (line - p > C12_HEAD_MAX) break;
        eol = memchr(line, '\n', n - (size_t)(line - p));
        if (!eol) break;
        len = (size_t)(eol - line);
        if (len && line[len - 1] == '\r') len--;
        if (len == 0) return eol + 1 - p > C12_HEAD_MAX ? refuse(v, 431, "headers_too_large", "The request "
                                                                 "headers are too large.")
                                                          : framing_ok(&f, v);
        r = field_line(line, len, &f, v);
        line = eol + 1;
    }
    if (r != C12_HEAD_OK) return r;
    return n > C12_HEAD_MAX ? refuse(v, 431, "headers_too_large", "The request headers are too large.") : C12_HEAD_MORE;
}
