/* libFuzzer: model output read for tool calls (tool_parse.c), fed whole and
 * in pieces cut by the first byte; both must tell the same. Output without
 * a "<tool_call>" passes through unchanged; every call's arguments are a
 * JSON object. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "base/c12_json.h"
#include "server/tool_parse.h"

static int on_text(void *ud, const char *s, size_t n) { return c12_buf_append(ud, s, n) != C12_OK; }

static int on_call(void *ud, int index, const char *name, const char *args)
{
    json_t *a = json_loads(args, 0, NULL);
    if (!json_is_object(a) || !*name) abort();
    json_decref(a);
    return c12_buf_printf(ud, "[%d %s %s]", index, name, args) != C12_OK;
}

static char *read_all(const char *s, size_t n, size_t step, size_t limit)
{
    c12_buf out;
    c12_buf_init(&out, 0);
    c12_buf_puts(&out, "");
    c12_toolp p;
    c12_toolp_init(&p, limit);
    c12_toolp_cbs cb = {on_text, on_call, &out};
    c12_err err;
    c12_rc rc = C12_OK;
    for (size_t i = 0; !rc && i < n; i += step) rc = c12_toolp_feed(&p, s + i, n - i < step ? n - i : step, &cb, &err);
    if (!rc) rc = c12_toolp_end(&p, &cb, &err);
    c12_toolp_free(&p);
    if (rc) abort(); /* the readers never stop, memory does not run out here */
    return c12_buf_take(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) c12_json_init(), init = 1;
    if (size < 1) return 0;
    size_t step = data[0] % 16 + 1;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    char *whole = read_all(s, n, n ? n : 1, 0), *cut = read_all(s, n, step, 0);
    if (strcmp(whole, cut)) abort();
    if (!memmem(s, n, C12_TOOLP_TAG, strlen(C12_TOOLP_TAG)) && !memchr(s, '\0', n) &&
        (strlen(whole) != n || memcmp(whole, s, n)))
        abort();
    c12_free(read_all(s, n, step, 64)); /* a small hold: no crash, no leak */
    c12_free(whole);
    c12_free(cut);
    return 0;
}
