/* tool_parse.h - a model's output read for tool calls (Qwen2.5's format):
 * `<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>` blocks,
 * told as they complete, and the text around them as content. The output is
 * outside bytes: a block whose inside is not a JSON object with a string
 * "name" and an object "arguments" (or a string holding one) is passed on as
 * the text it was, never turned into a call. Fed in pieces (a stream) or
 * whole; text that may be the start of a block is held back until it is
 * known. Whitespace next to a call is dropped. */
#ifndef C12_TOOL_PARSE_H
#define C12_TOOL_PARSE_H

#include <stddef.h>

#include "base/c12_buf.h"
#include "base/c12_rc.h"

#define C12_TOOLP_TAG "<tool_call>"
#define C12_TOOLP_END "</tool_call>"

/* Where the parser's findings go; nonzero from either stops it
 * (C12_ERR_CANCELLED). args: the arguments object as JSON text. */
typedef struct c12_toolp_cbs {
    int (*text)(void *ud, const char *s, size_t n);
    int (*call)(void *ud, int index, const char *name, const char *args);
    void *ud;
} c12_toolp_cbs;

typedef struct c12_toolp {
    c12_buf hold;    /* bytes not told yet */
    int in_call;     /* inside a <tool_call> block */
    int n_calls;     /* calls told so far */
    int told_text;   /* some content told */
    int after_call;  /* nothing but whitespace since the last call */
} c12_toolp;

/* limit: the most bytes held at once (0: no limit); a block longer than
 * that is passed on as text. */
void c12_toolp_init(c12_toolp *p, size_t limit);
void c12_toolp_free(c12_toolp *p);
c12_rc c12_toolp_feed(c12_toolp *p, const char *s, size_t n, const c12_toolp_cbs *cb, c12_err *err);
/* The output is over: what is held is told (an unclosed last block is a
 * call if its inside is one). */
c12_rc c12_toolp_end(c12_toolp *p, const c12_toolp_cbs *cb, c12_err *err);

#endif
