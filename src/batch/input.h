/* input.h - a Batch API input file (OpenAI's JSONL: one request a line,
 * {"custom_id", "method": "POST", "url", "body"}), read and checked line by
 * line: every refusal names its line. POST /v1/files checks a file once
 * when it is uploaded; POST /v1/batches reads it again to queue its lines.
 * Fuzz target: tests/fuzz/fuzz_batch_input.c. */
#ifndef C12_BATCH_INPUT_H
#define C12_BATCH_INPUT_H

#include <stddef.h>

#include "base/c12_rc.h"

typedef enum { C12_BATCH_CHAT = 0, C12_BATCH_COMPLETIONS = 1, C12_BATCH_ENDPOINTS } c12_batch_endpoint;

/* "/v1/chat/completions", "/v1/completions" */
const char *c12_batch_endpoint_url(c12_batch_endpoint e);
/* The endpoint of a url, or -1. */
int c12_batch_endpoint_parse(const char *url);

#define C12_BATCH_LINES_MAX 50000
#define C12_BATCH_CUSTOM_ID_MAX 512

/* What a line's body must pass beyond being a JSON object (the server: its
 * request parser and its models). 0: fine; else a message in msg. */
typedef int (*c12_batch_body_fn)(void *ctx, c12_batch_endpoint e, const char *body, size_t len, char *msg,
                                 size_t cap);
/* Each good line, in order: its number (1-based, counting every line of
 * the file), custom_id, endpoint and body (compact JSON text). Non-zero
 * stops the read (C12_ERR_IO, with msg). */
typedef int (*c12_batch_line_fn)(void *ud, size_t line, const char *custom_id, c12_batch_endpoint e,
                                 const char *body, char *msg, size_t cap);

typedef struct c12_batch_input_rules {
    size_t max_lines;           /* 0: C12_BATCH_LINES_MAX */
    int only_endpoint;          /* -1: any; else every line's url must be this endpoint */
    c12_batch_body_fn check_body;
    void *ctx;
} c12_batch_input_rules;

typedef struct c12_batch_input_stats {
    size_t lines;               /* requests */
    size_t by_endpoint[C12_BATCH_ENDPOINTS];
} c12_batch_input_stats;

/* Read data: FORMAT "line N: ..." at the first bad line (not JSON, not an
 * object, a field missing or of the wrong type, method not POST, url not
 * an endpoint, custom_id empty, too long or used before, the body refused,
 * more lines than allowed); INVALID for an empty file; NOMEM. each may be
 * NULL. *st is set on success. */
c12_rc c12_batch_input_read(const char *data, size_t len, const c12_batch_input_rules *r, c12_batch_line_fn each,
                            void *ud, c12_batch_input_stats *st, c12_err *err);

#endif
