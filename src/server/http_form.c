/* http_form.c - multipart/form-data (see http_form.h).
 *
 *   --BOUNDARY CRLF
 *   Content-Disposition: form-data; name="purpose" CRLF
 *   CRLF
 *   batch CRLF
 *   --BOUNDARY CRLF
 *   Content-Disposition: form-data; name="file"; filename="in.jsonl" CRLF
 *   Content-Type: application/jsonl CRLF
 *   CRLF
 *   ...bytes... CRLF
 *   --BOUNDARY-- */
#include <string.h>
#include <strings.h>

#include "server/http_form.h"

/* memmem for a needle that is not empty */
static const char *find(const char *h, size_t hl, const char *n, size_t nl)
{
    for (size_t i = 0; nl && i + nl <= hl; i++)
        if (h[i] == n[0] && !memcmp(h + i, n, nl)) return h + i;
    return NULL;
}

static int token_char(char ch)
{
    return ch > 32 && ch < 127 && !strchr("()<>@,;:\\\"/[]?={} ", ch);
}

/* A parameter value after '=': a quoted string (with \" escapes) or a
 * token, into out (cut at cap). Returns the bytes consumed, 0 if none. */
static size_t param_value(const char *s, size_t n, char *out, size_t cap)
{
    size_t i = 0, o = 0;
    if (n && s[0] == '"') {
        for (i = 1; i < n && s[i] != '"'; i++) {
            if (s[i] == '\\' && i + 1 < n) i++;
            if (o + 1 < cap) out[o++] = s[i];
        }
        if (i >= n) return 0; /* no closing quote */
        i++;
    } else {
        while (i < n && token_char(s[i])) {
            if (o + 1 < cap) out[o++] = s[i];
            i++;
        }
    }
    out[o] = '\0';
    return i;
}

/* The value of parameter `key` in a header value "x; a=1; b="2"" into out
 * (1 when found). */
static int header_param(const char *v, size_t n, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < n; i++) {
        if (v[i] != ';') continue;
        size_t j = i + 1;
        while (j < n && (v[j] == ' ' || v[j] == '\t')) j++;
        if (j + kl < n && !strncasecmp(v + j, key, kl) && v[j + kl] == '=')
            return param_value(v + j + kl + 1, n - j - kl - 1, out, cap) > 0;
    }
    return 0;
}

c12_rc c12_form_boundary(const char *ct, char *out, c12_err *err)
{
    static const char type[] = "multipart/form-data";
    if (!ct || strncasecmp(ct, type, sizeof type - 1) || (ct[sizeof type - 1] && ct[sizeof type - 1] != ';'))
        return c12_fail(err, C12_ERR_INVALID, "expected Content-Type: multipart/form-data");
    char b[C12_FORM_BOUNDARY_MAX + 2];
    if (!header_param(ct, strlen(ct), "boundary", b, sizeof b) || !b[0] || strlen(b) > C12_FORM_BOUNDARY_MAX)
        return c12_fail(err, C12_ERR_INVALID, "multipart/form-data needs a boundary of 1 to 70 characters");
    memcpy(out, b, strlen(b) + 1);
    return C12_OK;
}

/* One header line of a part (no CRLF). */
static c12_rc part_header(const char *h, size_t n, c12_form_part *p, size_t idx, c12_err *err)
{
    const char *colon = memchr(h, ':', n);
    if (!colon) return c12_fail(err, C12_ERR_FORMAT, "multipart part %zu: a header line without ':'", idx + 1);
    size_t kl = (size_t)(colon - h), vo = kl + 1;
    while (vo < n && (h[vo] == ' ' || h[vo] == '\t')) vo++;
    const char *v = h + vo;
    size_t vl = n - vo;
    if (kl == 19 && !strncasecmp(h, "Content-Disposition", 19)) {
        if (vl < 9 || strncasecmp(v, "form-data", 9))
            return c12_fail(err, C12_ERR_FORMAT, "multipart part %zu: Content-Disposition is not form-data", idx + 1);
        if (!header_param(v, vl, "name", p->name, sizeof p->name) || !p->name[0])
            return c12_fail(err, C12_ERR_FORMAT, "multipart part %zu: no name", idx + 1);
        header_param(v, vl, "filename", p->filename, sizeof p->filename);
    } else if (kl == 12 && !strncasecmp(h, "Content-Type", 12)) {
        size_t c = vl < sizeof p->content_type - 1 ? vl : sizeof p->content_type - 1;
        memcpy(p->content_type, v, c);
        p->content_type[c] = '\0';
    }
    return C12_OK;
}

/* The headers of a part at [s, e): up to the blank line; *body after it. */
static c12_rc part_headers(const char *s, const char *e, c12_form_part *p, size_t idx, const char **body,
                           c12_err *err)
{
    for (;;) {
        const char *eol = find(s, (size_t)(e - s), "\r\n", 2);
        if (!eol) return c12_fail(err, C12_ERR_FORMAT, "multipart part %zu: headers do not end", idx + 1);
        if (eol == s) break;
        c12_rc rc = part_header(s, (size_t)(eol - s), p, idx, err);
        if (rc) return rc;
        s = eol + 2;
    }
    if (!p->name[0]) return c12_fail(err, C12_ERR_FORMAT, "multipart part %zu: no Content-Disposition", idx + 1);
    *body = s + 2;
    return C12_OK;
}

c12_rc c12_form_parse(const char *body, size_t len, const char *boundary, c12_form *out, c12_err *err)
{
    char delim[C12_FORM_BOUNDARY_MAX + 5] = "\r\n--";
    size_t bl = strlen(boundary);
    if (!bl || bl > C12_FORM_BOUNDARY_MAX) return c12_fail(err, C12_ERR_INVALID, "multipart: bad boundary");
    memcpy(delim + 4, boundary, bl + 1);
    const size_t dl = bl + 4;
    const char *end = body + len;
    /* p: just after a delimiter; the first may open the body (no CRLF before it) */
    const char *p = len >= dl - 2 && !memcmp(body, delim + 2, dl - 2) ? body + dl - 2 : NULL;
    if (!p && (p = find(body, len, delim, dl))) p += dl;
    if (!p) return c12_fail(err, C12_ERR_FORMAT, "multipart: the boundary does not occur in the body");
    c12_form f;
    memset(&f, 0, sizeof f);
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') break; /* the close delimiter */
        while (p < end && (*p == ' ' || *p == '\t')) p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return c12_fail(err, C12_ERR_FORMAT, "multipart: a boundary line is not followed by CRLF");
        p += 2;
        if (f.n == C12_FORM_PARTS_MAX) return c12_fail(err, C12_ERR_RANGE, "multipart: more than %d parts", C12_FORM_PARTS_MAX);
        c12_form_part *part = &f.parts[f.n];
        const char *data = NULL;
        c12_rc rc = part_headers(p, end, part, f.n, &data, err);
        if (rc) return rc;
        const char *next = find(data, (size_t)(end - data), delim, dl);
        if (!next) return c12_fail(err, C12_ERR_FORMAT, "multipart part %zu: no closing boundary", f.n + 1);
        part->data = data;
        part->len = (size_t)(next - data);
        f.n++;
        p = next + dl;
    }
    *out = f;
    return C12_OK;
}

const c12_form_part *c12_form_get(const c12_form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->parts[i].name, name)) return &f->parts[i];
    return NULL;
}
