/* sse_fields.h - what sse.c takes from one chunk of an upstream's reply,
 * read either from jansson's tree or by sse_scan.c's scanner; sse.c acts
 * on it in one place (take_fields), whichever read it. */
#ifndef C12_SSE_FIELDS_H
#define C12_SSE_FIELDS_H

#include <stddef.h>

#include "base/c12_buf.h"

typedef struct c12_sse_str {
    int is;          /* the value is a string (then s[0..n)) */
    const char *s;
    size_t n;
} c12_sse_str;

typedef struct c12_sse_c12 {  /* a C12 upstream's figures: usage.c12, or a top-level "c12" */
    int obj;                  /* it is an object */
    int num;                  /* energy_j is a number */
    double energy_j;
    c12_sse_str method;       /* energy_method */
} c12_sse_c12;

typedef struct c12_sse_fields {
    int usage_obj;            /* "usage" is an object */
    int tokens_int;           /* with prompt_tokens and completion_tokens integers */
    long long prompt_tokens, completion_tokens;
    c12_sse_c12 usage_c12, top_c12;
    int choice_obj;           /* choices[0] is an object */
    c12_sse_str finish;       /* its finish_reason */
    int delta_obj, message_obj;
    c12_sse_str delta_content, message_content, text; /* delta.content, message.content, text */
} c12_sse_fields;

/* Scan one event's JSON (d[0..n)) for its fields, validating all of it as
 * jansson would. 1: done, *f is the chunk's, its strings point into d or
 * into scratch (reset here). 0: this scanner does not decide it: not an
 * object, malformed, an "error" or "tool_calls", a duplicate key it reads,
 * a \u escape of a surrogate or NUL, a number it cannot hold exactly, very
 * deep nesting; jansson reads it then (and gives the error when there is
 * one). Never reads past d + n. */
int c12_sse_scan(const char *d, size_t n, c12_buf *scratch, c12_sse_fields *f);

#endif
