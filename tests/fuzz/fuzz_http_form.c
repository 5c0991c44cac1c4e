/* libFuzzer: a multipart/form-data body (POST /v1/files). The first line is
 * the Content-Type; the rest the body: every part lies inside the body, a
 * refusal has a C-string message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/http_form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = memchr(data, '\n', size);
    if (!nl || (size_t)((const uint8_t *)nl - data) > 200) return 0;
    char ct[201];
    size_t cl = (size_t)((const uint8_t *)nl - data);
    memcpy(ct, data, cl);
    ct[cl] = '\0';
    const char *body = nl + 1;
    size_t len = size - cl - 1;
    char b[C12_FORM_BOUNDARY_MAX + 1];
    c12_err err;
    c12_form f;
    if (c12_form_boundary(ct, b, &err)) return 0;
    if (c12_form_parse(body, len, b, &f, &err)) {
        if (!memchr(err.msg, '\0', sizeof err.msg)) abort();
        return 0;
    }
    for (size_t i = 0; i < f.n; i++) {
        const c12_form_part *p = &f.parts[i];
        if (p->data < body || p->data + p->len > body + len) abort();
        if (!memchr(p->name, '\0', sizeof p->name) || !p->name[0]) abort();
    }
    return 0;
}
