/* api_req.h - an OpenAI request body (chat completion or completion) parsed
 * and validated into plain C. Unknown fields are ignored; a known field of
 * the wrong type or out of range fails with C12_ERR_INVALID and names the
 * field in `param`; malformed JSON is C12_ERR_FORMAT. */
#ifndef C12_API_REQ_H
#define C12_API_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"
#include "engine/c12_engine.h"
#include "route/route.h"

#define C12_API_MAX_STOP 4
#define C12_API_MAX_N 16 /* choices per request (`n`) */

typedef enum { C12_API_CHAT = 0, C12_API_COMPLETION } c12_api_kind;

/* tool_choice (api_tools.c) */
typedef enum { C12_TOOL_NONE = 0, C12_TOOL_AUTO, C12_TOOL_REQUIRED, C12_TOOL_NAMED } c12_tool_choice;

typedef struct c12_api_req {
    c12_api_kind kind;
    char model[256];
    c12_chat_msg *messages; /* chat: role and content point into this struct's storage */
    size_t n_messages;
    const char *prompt;     /* completion */
    int max_tokens;         /* 0: not given */
    c12_sampling sampling;
    int has_seed;           /* `seed` was given */
    const char *stop[C12_API_MAX_STOP + 1]; /* NULL-terminated */
    int stream, include_usage;
    int ignore_eos;         /* extension (as vLLM and llama.cpp's server): run to max_tokens */
    const char *user;       /* the caller's end-user id, or NULL (for the ledger) */
    int flex;               /* service_tier "flex": may wait for cleaner power */
    int logprobs;           /* chat: `logprobs: true`; completions: `logprobs` given (an integer) */
    int top_logprobs;       /* 0-20: chat's `top_logprobs`, completions' `logprobs` */
    /* chat: tools (api_tools.c); tools.force and tools.name say what
     * tool_choice forces. tool_use: tools offered, or a history with tool
     * calls or results (the cache and the ledger row see it). */
    c12_chat_tools tools;
    c12_tool_choice tool_choice;
    int tool_use;
    int n;                  /* choices to generate (1..C12_API_MAX_N) */
    /* response_format json_object/json_schema: the schema constrained
     * decoding follows (owned), and its canonical JSON for the cache key
     * (owned); NULL: text */
    c12_jsonc_schema *rfmt;
    char *rfmt_key;
    /* private */
    char **tool_text;       /* the tools' and calls' JSON as the template writes it (owned) */
    size_t n_tool_text;
    c12_chat_call *calls;   /* the history's calls (messages point into it) */
    void *json;             /* the parsed document that strings point into */
    c12_route_msgs msgs;    /* chat: the messages as read (messages point into it) */
} c12_api_req;

/* Parse `body`. On failure `param` (may be NULL, size >= 64) names the field. */
c12_rc c12_api_req_parse(const char *body, size_t len, c12_api_kind kind, c12_api_req *out, char *param,
                         c12_err *err);
void c12_api_req_free(c12_api_req *r);

#endif
