/* backend.h - who generates for a model: the extension point between the
 * pool/server and an inference implementation: the engine in this process
 * (backend_local.c), another server that speaks OpenAI's API
 * (backend_remote.c), and the fleet's table that sends each model to one or
 * the other (fleet.c). The pool only loads, unloads and sizes models through it, so
 * pool tests inject a fake backend and need no model file. */
#ifndef C12_BACKEND_H
#define C12_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"
#include "config/config.h"
#include "engine/c12_engine.h"

/* The site a remote request goes to, told before its first text (the
 * response's headers name it). Strings live until generate returns. */
typedef struct c12_backend_site {
    const char *name, *region;
    double intensity;          /* gCO2e/kWh there now; NAN: this process (the request's own price) */
    const char *provider;      /* the carbon provider that said so */
    double age_s;
    const char *reason;        /* why this site, over the others */
} c12_backend_site;

/* A piece of a tool call as a remote site streams it (OpenAI's
 * delta.tool_calls[i]; a non-streamed reply's message.tool_calls[i] comes
 * whole, as one piece). Strings live until the callback returns. */
typedef struct c12_tool_frag {
    int index;                 /* the call's place in the reply */
    const char *id, *name;     /* NULL: this piece does not carry it */
    const char *args;          /* the next bytes of the arguments' JSON text (NULL: none) */
    size_t args_len;
} c12_tool_frag;

/* One request, already validated by the API layer. Exactly one of messages
 * (a chat) and prompt (plain text) is set. */
typedef struct c12_backend_req {
    const c12_chat_msg *messages;
    size_t n_messages;
    const char *prompt;
    /* chat: appended to the system turn (the policy's answer-length
     * directive), or NULL */
    const char *system_note;
    /* chat: the tools offered and what tool_choice forces, or NULL */
    const c12_chat_tools *tools;
    c12_gen_params gen;
    /* A remote request's: the caller's latency need (0: none), which ranks
     * the sites, and its deadline (monotonic ms, c12_clock_ms; 0: none),
     * after which no other site is tried. */
    double max_latency_ms;
    int64_t deadline_ms;
    /* Told (with cb_ud) which site serves, before its first text; again
     * when a failure before the first token moves it on. NULL: not told. */
    void (*on_site)(void *ud, const c12_backend_site *site);
    /* A remote site's: the client's request document (a json_t), whose
     * tools, tool_choice, parallel_tool_calls, response_format and the
     * messages' tool_calls, tool_call_id and name go to the site as sent.
     * NULL: none (tools and response_format are then refused). */
    const void *wire;
    /* A remote site's tool calls, told (with cb_ud) piece by piece as they
     * come; nonzero stops as the text callback's does. NULL: not asked
     * (a reply with calls is then read for its text alone). */
    int (*on_tool)(void *ud, const c12_tool_frag *f);
    /* A remote site's: told (with cb_ud) after each round of reads of its
     * reply that brought events, so the texts and calls told since came
     * together (a stream sends them at once, not one by one). Never from
     * inside the transport's callbacks: the caller may switch away here
     * and come back later (a fiber's yield). NULL: not told. */
    void (*on_flush)(void *ud);
} c12_backend_req;

typedef struct c12_backend_result {
    int n_prompt, n_completion;
    int n_cached; /* prompt tokens whose K/V the slot already held (prefix cache) */
    c12_finish finish;
    double prefill_s, decode_s;
    /* The backend's own figure for the energy (a remote site's: its
     * usage.c12, or the site's per-token rates, energy_method says which);
     * 0: the caller meters. */
    int energy_known;
    double energy_j;
    char energy_method[24];
} c12_backend_result;

/* One way of generating: a const table of operations (backend_local.c's is
 * the engine in this process; a remote server is another table). `self` is
 * the instance's own state, passed back to every operation. */
typedef struct c12_backend_ops {
    const char *name;
    /* Memory probe: bytes the model will take once loaded with its slots
     * (weights + KV caches), asked before loading so the pool can make room. */
    c12_rc (*estimate)(void *self, const c12_model_cfg *m, uint64_t *bytes, c12_err *err);
    /* Load the model and m->slots independent slots; *bytes is what it takes. */
    c12_rc (*load)(void *self, const c12_model_cfg *m, void **model, uint64_t *bytes, c12_err *err);
    void (*unload)(void *self, void *model);
    /* Generate on one slot (only one request uses a slot at a time). The text
     * callback may return nonzero to cancel. C12_ERR_RANGE: prompt too long. */
    c12_rc (*generate)(void *self, void *model, int slot, const c12_backend_req *req, c12_text_cb cb,
                       void *cb_ud, c12_backend_result *res, c12_err *err);
    /* A clock of the CPU nanoseconds that the work for `slot` cost besides
     * the caller's own thread (an in-process engine's workers, and its
     * shares of batched steps less what the caller's thread did in them for
     * others: so it may go down, and below 0); 1 and *ns set when known, 0
     * when unknown. The server meters a request's energy from the
     * difference across it, plus its own thread's CPU time (generate runs
     * on it). May be NULL (unknown). */
    int (*slot_cpu_ns)(void *self, void *model, int slot, int64_t *ns);
    /* 1 when the loaded model can no longer serve as it is (the local
     * engine: its file was truncated or rewritten in place while mapped):
     * the pool unloads it once idle, and the next request loads it again.
     * May be NULL (never). */
    int (*stale)(void *self, void *model);
    /* The shared forward steps of the model's slots (batched decoding):
     * 1 and *out filled when they share them, 0 when not. May be NULL. */
    int (*batch_stats)(void *self, void *model, c12_batcher_stats *out);
    /* The model's KV cache: *capacity positions over all its slots (each
     * slot's context), of which *used hold tokens of the requests generating
     * now (their prompts and what they generated so far; a slot's cached
     * prefix from an earlier request counts as free: the next one may
     * overwrite it). 1 and both set when known, 0 when not. May be NULL. */
    int (*kv_usage)(void *self, void *model, int64_t *used, int64_t *capacity);
} c12_backend_ops;

/* A backend: its operations and their state. The pool and the server call
 * it only through the wrappers below. */
typedef struct c12_backend {
    const c12_backend_ops *ops;
    void *self;
} c12_backend;

c12_rc c12_backend_estimate(const c12_backend *b, const c12_model_cfg *m, uint64_t *bytes, c12_err *err);
c12_rc c12_backend_load(const c12_backend *b, const c12_model_cfg *m, void **model, uint64_t *bytes, c12_err *err);
void c12_backend_unload(const c12_backend *b, void *model);
c12_rc c12_backend_generate(const c12_backend *b, void *model, int slot, const c12_backend_req *req, c12_text_cb cb,
                            void *cb_ud, c12_backend_result *res, c12_err *err);
/* 0 when the backend cannot tell (*ns untouched). */
int c12_backend_slot_cpu_ns(const c12_backend *b, void *model, int slot, int64_t *ns);
int c12_backend_stale(const c12_backend *b, void *model);
int c12_backend_batch_stats(const c12_backend *b, void *model, c12_batcher_stats *out);
int c12_backend_kv_usage(const c12_backend *b, void *model, int64_t *used, int64_t *capacity);

/* The engine in this process (no state of its own). */
extern const c12_backend_ops c12_backend_local_ops;
extern const c12_backend c12_backend_local;

#endif
