/* backend.h - who generates for a model: the extension point between the
 * pool/server and an inference implementation. The local engine is the one
 * backend today (backend_local.c); remote servers come later as more rows of
 * c12_backends. The pool only loads, unloads and sizes models through it, so
 * pool tests inject a fake backend and need no model file. */
#ifndef C12_BACKEND_H
#define C12_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"
#include "config/config.h"
#include "engine/c12_engine.h"

/* One request, already validated by the API layer. Exactly one of messages
 * (a chat) and prompt (plain text) is set. */
typedef struct c12_backend_req {
    const c12_chat_msg *messages;
    size_t n_messages;
    const char *prompt;
    c12_gen_params gen;
} c12_backend_req;

typedef struct c12_backend_result {
    int n_prompt, n_completion;
    c12_finish finish;
    double prefill_s, decode_s;
} c12_backend_result;

typedef struct c12_backend {
    const char *name;
    /* Memory probe: bytes the model will take once loaded with its slots
     * (weights + KV caches), asked before loading so the pool can make room. */
    c12_rc (*estimate)(void *ud, const c12_model_cfg *m, uint64_t *bytes, c12_err *err);
    /* Load the model and m->slots independent slots; *bytes is what it takes. */
    c12_rc (*load)(void *ud, const c12_model_cfg *m, void **model, uint64_t *bytes, c12_err *err);
    void (*unload)(void *ud, void *model);
    /* Generate on one slot (only one request uses a slot at a time). The text
     * callback may return nonzero to cancel. C12_ERR_RANGE: prompt too long. */
    c12_rc (*generate)(void *ud, void *model, int slot, const c12_backend_req *req, c12_text_cb cb,
                       void *cb_ud, c12_backend_result *res, c12_err *err);
    void *ud;
    /* CPU nanoseconds used so far by the threads that generate for `slot`
     * besides the caller's own (an in-process engine's workers); -1 when
     * unknown. The server meters a request's energy from the difference
     * across it, plus its own thread's CPU time (generate runs on it). May
     * be NULL. */
    int64_t (*slot_cpu_ns)(void *ud, void *model, int slot);
} c12_backend;

/* The engine in this process. */
extern const c12_backend c12_backend_local;

#endif
