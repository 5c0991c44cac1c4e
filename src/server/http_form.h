/* http_form.h - a multipart/form-data body (RFC 7578), read whole: the
 * boundary from the Content-Type, then each part's name, file name, content
 * type and bytes (pointing into the body). POST /v1/files is its user; the
 * parser never reads past `len` and refuses what it does not understand
 * with a message that says where (fuzz target tests/fuzz/fuzz_http_form.c). */
#ifndef C12_HTTP_FORM_H
#define C12_HTTP_FORM_H

#include <stddef.h>

#include "base/c12_rc.h"

#define C12_FORM_PARTS_MAX 16
#define C12_FORM_BOUNDARY_MAX 70 /* RFC 2046 */

typedef struct c12_form_part {
    char name[64];          /* the form field */
    char filename[256];     /* "" when the part is not a file */
    char content_type[128]; /* "" when not given */
    const char *data;       /* the part's bytes, in the body */
    size_t len;
} c12_form_part;

typedef struct c12_form {
    c12_form_part parts[C12_FORM_PARTS_MAX];
    size_t n;
} c12_form;

/* The boundary of a "multipart/form-data; boundary=..." Content-Type into
 * out (C12_FORM_BOUNDARY_MAX + 1 bytes). INVALID: another type, or no
 * usable boundary. */
c12_rc c12_form_boundary(const char *content_type, char *out, c12_err *err);
/* Parse body. FORMAT names what is wrong; RANGE: more than
 * C12_FORM_PARTS_MAX parts. *out is set only on success. */
c12_rc c12_form_parse(const char *body, size_t len, const char *boundary, c12_form *out, c12_err *err);
/* The first part named `name`, or NULL. */
const c12_form_part *c12_form_get(const c12_form *f, const char *name);

#endif
