/* libFuzzer: an upstream site's streamed reply (pool/sse.c), fed whole and
 * in pieces cut by the first byte, and whole again with every event read by
 * jansson alone (no_scan: sse_scan.c's reference): the same text, finish,
 * usage and error must come out each way (or the same failure, with the
 * same message), with no crash or leak; then read as one whole JSON reply
 * (an upstream that did not stream). */
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
    char finish[24], error_msg[400], err[C12_ERR_MSG_MAX];
    int done, error, n_text;
    c12_sse_usage usage;
} reading;

static reading read_all(const char *s, size_t n, size_t step, int no_scan)
{
    c12_buf out;
    c12_buf_init(&out, 0);
    c12_buf_puts(&out, "");
    c12_sse p;
    c12_sse_init(&p, on_text, &out);
    p.tool = on_tool;
    p.no_scan = no_scan;
    c12_err err;
    c12_err_clear(&err);
    c12_rc rc = C12_OK;
    for (size_t i = 0; !rc && i < n; i += step) rc = c12_sse_feed(&p, s + i, n - i < step ? n - i : step, &err);
    reading r = {.rc = rc, .done = p.done, .error = p.error, .n_text = p.n_text, .usage = p.usage};
    memcpy(r.finish, p.finish, sizeof r.finish);
    memcpy(r.error_msg, p.error_msg, sizeof r.error_msg);
    memcpy(r.err, err.msg, sizeof r.err);
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
    reading r[3] = {read_all(s, n, n ? n : 1, 0), read_all(s, n, step, 0), read_all(s, n, n ? n : 1, 1)};
    /* the same events were read up to the failure, if any, and the same failure */
    for (int i = 1; i < 3; i++) {
        if (r[0].rc != r[i].rc || (r[0].rc && strcmp(r[0].err, r[i].err))) abort();
        if (strcmp(r[0].text, r[i].text) || r[0].n_text != r[i].n_text || strcmp(r[0].finish, r[i].finish) ||
            r[0].done != r[i].done || r[0].error != r[i].error || strcmp(r[0].error_msg, r[i].error_msg) ||
            memcmp(&r[0].usage, &r[i].usage, sizeof r[0].usage))
            abort();
    }
    for (int i = 0; i < 3; i++) c12_free(r[i].text);
    c12_sse p;
    c12_sse_init(&p, NULL, NULL);
    c12_err err;
    c12_sse_whole(&p, s, n, &err);
    c12_sse_free(&p);
    return 0;
}
