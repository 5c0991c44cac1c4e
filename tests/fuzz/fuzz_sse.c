/* libFuzzer: an upstream site's streamed reply (pool/sse.c), fed whole and
 * in pieces cut by the first byte: the same text, finish, usage and error
 * must come out either way (or the same failure), with no crash or leak;
 * then read as one whole JSON reply (an upstream that did not stream). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "base/c12_json.h"
#include "pool/sse.h"

static int on_text(void *ud, const char *s, size_t n) { return c12_buf_append(ud, s, n) != C12_OK; }

/* A tool call's piece into the same text, marked, so both readings must agree on them too. */
static int on_tool(void *ud, const c12_tool_frag *f)
{
    char head[32];
    snprintf(head, sizeof head, "\x01%d:", f->index);
    return c12_buf_puts(ud, head) || c12_buf_puts(ud, f->id ? f->id : "") || c12_buf_puts(ud, ":") ||
           c12_buf_puts(ud, f->name ? f->name : "") || c12_buf_puts(ud, ":") ||
           (f->args && c12_buf_append(ud, f->args, f->args_len));
}

typedef struct reading {
    c12_rc rc;
    char *text;
    char finish[24], error_msg[400];
    int done, error, n_text;
    c12_sse_usage usage;
} reading;

static reading read_all(const char *s, size_t n, size_t step)
{
    c12_buf out;
    c12_buf_init(&out, 0);
    c12_buf_puts(&out, "");
    c12_sse p;
    c12_sse_init(&p, on_text, &out);
    p.tool = on_tool;
    c12_err err;
    c12_rc rc = C12_OK;
    for (size_t i = 0; !rc && i < n; i += step) rc = c12_sse_feed(&p, s + i, n - i < step ? n - i : step, &err);
    reading r = {.rc = rc, .done = p.done, .error = p.error, .n_text = p.n_text, .usage = p.usage};
    memcpy(r.finish, p.finish, sizeof r.finish);
    memcpy(r.error_msg, p.error_msg, sizeof r.error_msg);
    c12_sse_free(&p);
    r.text = c12_buf_take(&out);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) c12_json_init(), init = 1;
    if (size < 1) return 0;
    size_t step = data[0] % 16 + 1;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    reading whole = read_all(s, n, n ? n : 1), cut = read_all(s, n, step);
    if (whole.rc != cut.rc) abort();
    /* the same events were read up to the failure, if any */
    if (strcmp(whole.text, cut.text) || whole.n_text != cut.n_text || strcmp(whole.finish, cut.finish) ||
        whole.done != cut.done || whole.error != cut.error || strcmp(whole.error_msg, cut.error_msg) ||
        memcmp(&whole.usage, &cut.usage, sizeof whole.usage))
        abort();
    c12_free(whole.text);
    c12_free(cut.text);
    c12_sse p;
    c12_sse_init(&p, NULL, NULL);
    c12_err err;
    c12_sse_whole(&p, s, n, &err);
    c12_sse_free(&p);
    return 0;
}
