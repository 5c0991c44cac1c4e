/* c12_file.c - whole small files (configuration, traces, task lists,
 * calibration) read into memory, with a size cap so that a wrong path
 * cannot exhaust it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_file.h"

/* Read f to its end into *text (grown as needed, at most max bytes). */
static c12_rc read_all(FILE *f, const char *path, size_t max, char **text, size_t *len, c12_err *err)
{
    size_t cap = 0;
    for (;;) {
        if (*len == cap) {
            if (cap == max) /* full: a file of exactly max bytes ends here */
                return fgetc(f) == EOF ? C12_OK : c12_fail(err, C12_ERR_RANGE, "%s: larger than %zu bytes", path, max);
            cap = cap ? cap * 2 : 8192;
            if (cap > max) cap = max;
            char *t = c12_realloc(*text, cap + 1);
            if (!t) return c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", path);
            *text = t;
        }
        size_t got = fread(*text + *len, 1, cap - *len, f);
        *len += got;
        if (got == 0) return C12_OK;
    }
}

c12_rc c12_read_file(const char *path, size_t max, char **out, size_t *out_len, c12_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return c12_fail(err, errno == ENOENT ? C12_ERR_NOT_FOUND : C12_ERR_IO, "%s: cannot open: %s", path,
                            strerror(errno));
    char *text = NULL;
    size_t len = 0;
    c12_rc rc = read_all(f, path, max, &text, &len, err);
    if (rc == C12_OK && ferror(f)) rc = c12_fail(err, C12_ERR_IO, "%s: read error", path);
    fclose(f);
    if (rc == C12_OK && !text && !(text = c12_malloc(1))) rc = c12_fail(err, C12_ERR_NOMEM, "%s: out of memory", path);
    if (rc) {
        c12_free(text);
        return rc;
    }
    text[len] = '\0';
    *out = text;
    *out_len = len;
    return C12_OK;
}
