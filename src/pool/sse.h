/* sse.h - an upstream's streamed reply, read as it comes: OpenAI's
 * server-sent events (`data: {chunk}` lines, a blank line ending each
 * event, `data: [DONE]` at the end), any split of the bytes. Each chunk's
 * text (choices[0].delta.content for chat, choices[0].text for
 * completions) goes to the text callback at once, and each piece of a tool
 * call (delta.tool_calls) to the tool callback; the finish reason, the
 * usage chunk (with a C12 upstream's usage.c12) and an error event are
 * kept. Untrusted bytes: every line and the whole reply are capped, and
 * anything malformed is an error, never a crash (tests/fuzz/fuzz_sse.c). */
#ifndef C12_SSE_H
#define C12_SSE_H

#include <stddef.h>

#include "base/c12_buf.h"
#include "base/c12_rc.h"
#include "pool/backend.h"

#define C12_SSE_LINE_MAX (1u << 20)

typedef struct c12_sse_usage {
    int have;                   /* the upstream sent usage */
    long long prompt_tokens, completion_tokens;
    int have_energy;            /* a C12 upstream's usage.c12 (or finish chunk's "c12") */
    double energy_j;
    char energy_method[24];
} c12_sse_usage;

typedef struct c12_sse {
    c12_buf line;               /* the line being read */
    c12_buf data;               /* the event's data lines so far */
    c12_buf scratch;            /* an event's strings with escapes, decoded (sse_scan.c) */
    int no_scan;                /* tests: every event through jansson (sse_scan.c's reference) */
    int done;                   /* [DONE] seen */
    int n_text;                 /* chunks that carried text (tokens, roughly) */
    char finish[24];            /* the last finish_reason ("" none) */
    c12_sse_usage usage;
    int error;                  /* an error event came */
    char error_msg[400], error_code[64];
    /* Text out; nonzero stops (the reader answers C12_ERR_CANCELLED). */
    int (*text)(void *ud, const char *s, size_t n);
    /* A tool call's piece (delta.tool_calls[i], or a whole reply's
     * message.tool_calls[i]); nonzero stops. NULL: calls are not read. */
    int (*tool)(void *ud, const c12_tool_frag *f);
    void *ud;
} c12_sse;

void c12_sse_init(c12_sse *p, int (*text)(void *ud, const char *s, size_t n), void *ud);
void c12_sse_free(c12_sse *p);
/* Feed bytes: C12_ERR_FORMAT on a malformed event (err says why), RANGE
 * for a line over C12_SSE_LINE_MAX, CANCELLED when text said stop. */
c12_rc c12_sse_feed(c12_sse *p, const char *buf, size_t n, c12_err *err);
/* One whole JSON reply (an upstream that did not stream): its text, finish
 * and usage as if streamed. */
c12_rc c12_sse_whole(c12_sse *p, const char *body, size_t n, c12_err *err);

#endif
