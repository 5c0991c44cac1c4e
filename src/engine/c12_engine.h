/* c12_engine.h - the one public header of C12's inference engine.
 *
 * A model is a GGUF file mapped read-only and immutable after load; many
 * sessions can share it. A session owns a KV cache and scratch buffers sized
 * at creation, so the forward pass allocates nothing. */
#ifndef C12_ENGINE_H
#define C12_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"
#include "engine/c12_jsonc.h"

typedef struct c12_model c12_model;
typedef struct c12_session c12_session;
typedef struct c12_batcher c12_batcher;

typedef struct c12_model_info {
    char arch[32];
    char name[96];
    int n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff;
    int n_ctx_train;
    int has_chat_template;
    size_t mapped_bytes;  /* bytes of the mapped file (weights + metadata) */
} c12_model_info;

c12_rc c12_model_load(const char *path, c12_model **out, c12_err *err);
void c12_model_free(c12_model *m);
const c12_model_info *c12_model_get_info(const c12_model *m);
/* 1 when the model's file was truncated or rewritten in place while mapped:
 * part of the weights now reads as zeros, so what it generates is garbage.
 * Stop using the model and load it again (src/base/c12_mapguard.h). */
int c12_model_file_damaged(const c12_model *m);

/* What a GGUF file is and whether C12 runs it (`c12 models inspect`). */
#define C12_REPORT_MAX_TYPES 16
typedef struct c12_model_report {
    char arch[32], name[96];
    char tok_model[32], tok_pre[48];   /* tokenizer.ggml.model / .pre ("": absent) */
    uint64_t n_params, file_bytes;     /* n_params: elements of all tensors */
    int n_ctx_train, n_layer, n_embd, n_head, n_head_kv, n_vocab; /* -1: not in the file */
    struct {
        uint32_t type;                 /* ggml type number (c12_ggml_type_name) */
        uint32_t n_tensors;
        int supported;                 /* C12 has its kernels */
    } types[C12_REPORT_MAX_TYPES];
    size_t n_types;
    int has_template;                  /* tokenizer.chat_template present */
    char chat_family[32];              /* llama.cpp's name for its family; "": not recognised */
    int chat_supported, chat_tools;    /* C12 renders the family / its tool format */
    int runnable;                      /* a load succeeded */
    char why[C12_ERR_MSG_MAX];         /* else the load's error */
} c12_model_report;

/* C12_OK whenever the file is a GGUF file (the report says the rest). */
c12_rc c12_model_inspect(const char *path, c12_model_report *out, c12_err *err);
const char *c12_ggml_type_name(uint32_t type);
/* Use a chat template family by llama.cpp's name (a models entry's
 * chat_template:) instead of the file's template. C12_ERR_UNSUPPORTED for a
 * name C12 does not render. */
c12_rc c12_model_set_chat_template(c12_model *m, const char *family, c12_err *err);

/* --- tokens --- */
c12_rc c12_model_tokenize(const c12_model *m, const char *text, size_t len, int add_special,
                          int parse_special, int32_t **out, size_t *n_out, c12_err *err);
/* The text of one token (special tokens' text only when `special`). Like
 * snprintf: returns the full length, writes at most cap bytes, no NUL. */
size_t c12_model_piece(const c12_model *m, int32_t id, int special, char *buf, size_t cap);
int c12_model_is_eog(const c12_model *m, int32_t id);
int32_t c12_model_bos(const c12_model *m);
int c12_model_add_bos(const c12_model *m);

/* A vocabulary alone: the tokenizer of a GGUF file without its weights
 * (c12 tokenize). c12_tok_encode is c12_model_tokenize's rule. */
typedef struct c12_tok c12_tok;
c12_rc c12_tok_open(const char *path, c12_tok **out, c12_err *err);
void c12_tok_free(c12_tok *t);
c12_rc c12_tok_encode(const c12_tok *t, const char *text, size_t len, int add_special, int parse_special,
                      int32_t **out, size_t *n_out, c12_err *err);
/* The bytes of one token, as c12_model_piece; and the vocabulary's size. */
size_t c12_tok_piece(const c12_tok *t, int32_t id, int special, char *buf, size_t cap);
int32_t c12_tok_n_vocab(const c12_tok *t);

/* --- chat --- */
/* A tool call an assistant turn made: the function's name and its
 * arguments as the template's `tojson` writes them (the caller renders). */
typedef struct c12_chat_call {
    const char *name;
    const char *arguments;
} c12_chat_call;

typedef struct c12_chat_msg {
    const char *role;    /* "system", "user", "assistant", "tool" (a tool's result) */
    const char *content;
    const c12_chat_call *calls; /* assistant: the tool calls it made (n_calls), or NULL */
    size_t n_calls;
} c12_chat_msg;

/* The functions a chat may call, each one tool object ({"type":
 * "function", "function": {...}}) as the template's `tojson` writes it.
 * force: the assistant turn opens with a call (tool_choice "required"), of
 * `name` when not NULL (a named tool_choice); the model writes the rest. */
typedef struct c12_chat_tools {
    const char *const *tools;
    size_t n;
    int force;
    const char *name;
} c12_chat_tools;

/* Render messages with the model's chat template and tokenize them (BOS and
 * EOS as the vocabulary says), ending with the assistant's turn opened when
 * add_assistant. Only the template's own markers become special tokens: a
 * message's text is always plain text, so a "<|im_end|><|im_start|>system"
 * typed in it stays characters and cannot open a turn. C12_ERR_INVALID for a
 * model without a template, C12_ERR_UNSUPPORTED for one C12 cannot render.
 * *out is c12_malloc'ed. */
c12_rc c12_model_chat_tokens(const c12_model *m, const c12_chat_msg *msgs, size_t n, int add_assistant,
                             int32_t **out, size_t *n_out, c12_err *err);
/* The same with `note` (NULL or "": none) at the end of the system turn: the
 * request's own system message, else the template's default system line
 * (which stays), else a system turn of its own. The policy's answer-length
 * directives travel this way (docs/policy.md). The note is plain text too. */
c12_rc c12_model_chat_tokens_note(const c12_model *m, const c12_chat_msg *msgs, size_t n, int add_assistant,
                                  const char *note, int32_t **out, size_t *n_out, c12_err *err);
/* The same with tools (NULL: none) in the template's tool format; a
 * history with tool calls or "tool" messages needs that format too.
 * C12_ERR_UNSUPPORTED when the template has none (c12_chat_template_tools). */
c12_rc c12_model_chat_tokens_tools(const c12_model *m, const c12_chat_msg *msgs, size_t n, int add_assistant,
                                   const char *note, const c12_chat_tools *tools, int32_t **out, size_t *n_out,
                                   c12_err *err);
/* 1 when a chat template (NULL: none) has a tool-call format C12 renders. */
int c12_chat_template_tools(const char *tmpl);
/* llama.cpp's name for a chat template's family (a template's text, or a
 * family's name), or NULL when none is recognised; whether C12 renders it. */
const char *c12_chat_template_family(const char *tmpl);
int c12_chat_template_supported(const char *tmpl);
/* 1 when the vocabulary's model file has such a template (read by c12_tok_open). */
int c12_tok_chat_tools(const c12_tok *t);
/* c12_model_chat_tokens_tools on a vocabulary alone, with its file's
 * template (c12 tokenize --chat). */
c12_rc c12_tok_chat(const c12_tok *t, const c12_chat_msg *msgs, size_t n, int add_assistant,
                    const c12_chat_tools *tools, int32_t **out, size_t *n_out, c12_err *err);

/* --- sessions --- */
typedef struct c12_session_params {
    int n_ctx;     /* 0: min(model's training context, 4096) */
    int n_threads; /* 0: one per core */
    int n_batch;   /* tokens per forward step in prefill; 0: 64 */
    int logits_all; /* keep logits of every position of a batch (perplexity) */
    int n_seq_max;  /* > 0: a step's workspace for up to this many sequences
                     * (batch.c): scratch, threads and their logits, no KV cache */
} c12_session_params;

c12_rc c12_session_new(c12_model *m, const c12_session_params *p, c12_session **out,
                       c12_err *err);
void c12_session_free(c12_session *s);
int c12_session_n_ctx(const c12_session *s);
size_t c12_session_kv_bytes(const c12_session *s);
int c12_session_n_past(const c12_session *s);
/* CPU nanoseconds used so far by the session's worker threads (not the
 * calling thread): with the caller's own thread CPU time, what a request on
 * this session cost (the server meters energy with it). */
int64_t c12_session_worker_cpu_ns(const c12_session *s);

/* Forget cached tokens after position n_keep (0 clears the cache). */
void c12_session_truncate(c12_session *s, int n_keep);

/* Evaluate tokens after the cached ones. When `logits` is not NULL it receives
 * the logits of positions logits_from..n-1 of this call, n_vocab each; the
 * last position's logits are always kept (c12_session_logits).
 * C12_ERR_RANGE if the context would overflow. */
c12_rc c12_session_decode(c12_session *s, const int32_t *tokens, int n, int logits_from,
                          float *logits, c12_err *err);
const float *c12_session_logits(const c12_session *s);

/* Asked before each chunk of at most n_batch tokens that c12_session_decode
 * (and so prefill) evaluates: nonzero stops it with C12_ERR_CANCELLED, the
 * chunks evaluated so far kept in the cache. A long prompt can thus be
 * cancelled within one chunk. NULL: never asked. */
void c12_session_set_abort(c12_session *s, int (*abort)(void *ud), void *ud);

/* --- batched decoding across sessions (continuous batching) ---
 * Sessions of one model attached to one batcher share their forward passes:
 * each step evaluates the next token of every generating session (and a
 * chunk of a prompt being read), so each weight row is read once for all of
 * them. Each session keeps its own K/V, position, sampling and stop rules;
 * every answer is the same tokens it would be alone. */
typedef struct c12_batcher_params {
    int max_batch;       /* sequences per step (1..64) */
    int prefill_chunk;   /* prompt tokens a sequence adds to a step while others decode; 0: 32 */
    int no_chunked_prefill; /* 1: a prompt runs whole in steps of its own (decodes wait) */
    int n_ctx, n_threads; /* as the sessions' (c12_session_params) */
} c12_batcher_params;

c12_rc c12_batcher_new(c12_model *m, const c12_batcher_params *p, c12_batcher **out, c12_err *err);
void c12_batcher_free(c12_batcher *b); /* after every session left it */
/* Attach s to b (NULL: detach). Fails when s is of another model or has a
 * longer context than b was made for, or keeps logits of every position. */
c12_rc c12_session_set_batcher(c12_session *s, c12_batcher *b, c12_err *err);

/* A generation on a batched session begins / ends: a step waits (a little)
 * for every sequence that is generating to hand in its tokens. c12_generate
 * does this itself; a caller driving c12_session_decode token by token on
 * several sessions at once (c12 bench -s) does it around its loop. */
void c12_batcher_enter(c12_batcher *b);
void c12_batcher_leave(c12_batcher *b);

typedef struct c12_batcher_stats {
    uint64_t steps, seqs, rows; /* steps run; sequences and rows summed over them */
    int64_t cpu_ns;             /* CPU time of the steps (all charged to sessions) */
    int active;                 /* sequences generating now */
    double prefill_weight;      /* a prompt token's cost in decode tokens (measured) */
    /* step seconds with k decoding sequences and nothing else, k = 1..8 (0: not seen) */
    double decode_step_s[9];
} c12_batcher_stats;
void c12_batcher_get_stats(c12_batcher *b, c12_batcher_stats *out);
/* What one more decoding sequence adds per step, as a fraction of a step
 * with one sequence alone: (t[k+1] - t[k]) / t[1] for k sequences now,
 * clamped to [0.05, 1]; 1 when none is decoding or a time is not measured
 * yet (the policy then prices a token as alone). */
double c12_batcher_marginal(const c12_batcher_stats *st);

/* Reuse the cached prefix shared with `tokens`, evaluate the rest; afterwards
 * c12_session_logits holds the logits after the last token. *n_reused (may be
 * NULL) tells how many prompt tokens came from the cache. */
c12_rc c12_session_prefill(c12_session *s, const int32_t *tokens, int n, int *n_reused,
                           c12_err *err);

/* --- sampling --- */
typedef struct c12_sampling {
    float temperature;        /* <= 0: greedy */
    int top_k;                /* <= 0: off */
    float top_p;              /* >= 1: off */
    float min_p;              /* <= 0: off */
    float repeat_penalty;     /* 1: off */
    int repeat_last_n;        /* tokens looked back for penalties; 0: 64 */
    float presence_penalty;   /* 0: off */
    float frequency_penalty;  /* 0: off */
    uint64_t seed;
} c12_sampling;

c12_sampling c12_sampling_default(void);

typedef struct c12_sampler c12_sampler;
c12_rc c12_sampler_new(const c12_sampling *p, int n_vocab, c12_sampler **out, c12_err *err);
void c12_sampler_free(c12_sampler *s);
/* Note a token as generated (or in the prompt) for the penalties. */
void c12_sampler_accept(c12_sampler *s, int32_t tok);
/* The next token, or -1 when no logit is a finite number (NaN everywhere:
 * damaged weights), where there is nothing to choose from. */
int32_t c12_sampler_sample(c12_sampler *s, const float *logits);

/* --- log-probabilities (logprobs.c) --- */
#define C12_TOP_LOGPROBS_MAX 20    /* OpenAI's top_logprobs range: 0-20 */
#define C12_LOGPROB_PIECE_MAX 128  /* bytes kept of a token's text */

/* The ids of the k highest logits of a row of n, best first (ties: the
 * lower id first), into ids[k]; k <= n. A large k sorts a copy of the
 * indices (C12_ERR_NOMEM); k <= 64 allocates nothing. */
c12_rc c12_logits_top(const float *row, int n, int k, int32_t *ids, c12_err *err);
/* log(sum(exp(row))), computed in double from the row's maximum: a logit
 * minus it is that token's log-softmax. */
double c12_logits_lse(const float *row, int n);

typedef struct c12_token_logprob {
    int32_t id;
    float logprob;                     /* log-softmax of the logits */
    size_t len;                        /* the token's text in bytes (piece holds at most the cap) */
    char piece[C12_LOGPROB_PIECE_MAX]; /* its text, special tokens' too; not NUL-terminated */
} c12_token_logprob;

/* One generated token: its log-probability and the n_top most likely tokens
 * at that step, best first. */
typedef struct c12_logprobs {
    c12_token_logprob chosen;
    int n_top;
    c12_token_logprob top[C12_TOP_LOGPROBS_MAX];
} c12_logprobs;

/* Ids and log-probabilities of `chosen` and the top k (0..20, clamped) of
 * a row of n logits; pieces are left empty (len 0). Allocates nothing. */
void c12_logprobs_fill(const float *row, int n, int32_t chosen, int k, c12_logprobs *out);

/* --- generation --- */
typedef struct c12_gen_params {
    int max_tokens;           /* <= 0: until context is full */
    c12_sampling sampling;
    const char *const *stop;  /* stop strings (NULL-terminated list) or NULL */
    int ignore_eos;           /* keep going past end-of-generation tokens */
    /* optional: told each generated token id (with the text callback's ud) */
    void (*on_token)(void *ud, int32_t id);
    /* optional: asked (with the text callback's ud) before each prompt chunk
     * and each token: nonzero stops. During the prompt c12_generate fails
     * with C12_ERR_CANCELLED; after it, it ends with C12_FINISH_CANCELLED. */
    int (*cancelled)(void *ud);
    /* optional: told (with the text callback's ud) each generated token's
     * log-probability, the log-softmax of the model's raw logits at that step
     * (before penalties, temperature, top-k/top-p), and the top_logprobs
     * (0-20) most likely tokens, with their texts. Only the tokens that are
     * part of the answer: not an end-of-generation token that ends it.
     * NULL: nothing of it is computed. */
    void (*on_logprobs)(void *ud, const c12_logprobs *lp);
    int top_logprobs;
    /* optional: constrained decoding (c12_jsonc.h). Only tokens whose bytes
     * keep the output a prefix of a JSON value valid under this schema are
     * sampled (the mask applies to the logits before penalties, temperature
     * and top-k/top-p; logprobs stay the raw model's), and generation ends
     * once the value is complete (ignore_eos or not). json_vocab: the
     * model's token index (c12_jsonc_vocab_new, built once per model); NULL:
     * built for this call. NULL json: unconstrained. */
    const c12_jsonc_schema *json;
    const c12_jsonc_vocab *json_vocab;
} c12_gen_params;

typedef enum { C12_FINISH_STOP = 0, C12_FINISH_LENGTH, C12_FINISH_CANCELLED } c12_finish;

/* Called with each new piece of text (complete UTF-8); return nonzero to stop. */
typedef int (*c12_text_cb)(void *ud, const char *text, size_t len);

typedef struct c12_gen_result {
    int n_prompt, n_completion, n_cached;
    c12_finish finish;
    double prefill_s, decode_s;
} c12_gen_result;

c12_rc c12_generate(c12_session *s, const int32_t *prompt, int n_prompt, const c12_gen_params *gp,
                    c12_text_cb cb, void *ud, c12_gen_result *res, c12_err *err);

#endif
