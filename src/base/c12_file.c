/* c12_file.c - whole small files (configuration, traces, task lists) read
 * into memory, with a size cap so that a wrong path cannot exhaust it. */
#include <stdio.h>

#include "base/c12_alloc.h"
#include "base/c12_file.h"

c12_rc c12_read_file(const char *path, size_t max, char **out, size_t *out_len, c12_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return c12_fail(err, C12_ERR_IO, "%s: cannot open", path);
    char *text = NULL;
    size_t len = 0, cap = 0;
    c12_rc rc = C12_OK;
    for (;;) {
        if (len == cap) {
            if (cap >= max) {
                rc = c12_fail(err, C12_ERR_RANGE, "%s: larger than %zu bytes", path, max);
                break;
            }
            cap = cap ? cap * 2 : 8192;
            if (cap > max) cap = max;
            char *t = c12_realloc(text, cap + 1);
            if (!t) {
                rc = c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            text = t;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (rc == C12_OK && ferror(f)) rc = c12_fail(err, C12_ERR_IO, "%s: read error", path);
    fclose(f);
    if (rc == C12_OK && !text) {
        text = c12_malloc(1);
        if (!text) rc = c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", path);
    }
    if (rc) {
        c12_free(text);
        return rc;
    }
    text[len] = '\0';
    *out = text;
    *out_len = len;
    return C12_OK;
}
