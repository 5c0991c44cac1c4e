/* model.h - what a loaded model is, inside the engine.
 *
 * An architecture (arch_*.c) reads its hyper-parameters from the metadata and
 * binds tensors to the fields below; the forward pass (forward.c) is shared
 * and switches on the feature flags, so a newcomer can read one pass from top
 * to bottom and see where an architecture differs. */
#ifndef C12_MODEL_H
#define C12_MODEL_H

#include "c12_engine.h"
#include "gguf.h"
#include "quant.h"
#include "tokenizer.h"

/* A matrix of `rows` rows of `cols` elements in some tensor type. */
typedef struct c12_weight {
    const void *data;
    const c12_type_traits *tt;
    int64_t rows, cols;
    size_t row_bytes;
} c12_weight;

typedef enum { C12_ROPE_NORM = 0, C12_ROPE_NEOX = 1 } c12_rope_kind;
typedef enum { C12_ACT_SILU = 0, C12_ACT_GELU = 1 } c12_act_kind;

typedef struct c12_hparams {
    int n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx_train;
    int n_rot;
    float norm_eps;
    float rope_base;         /* global (full-attention) layers */
    float rope_base_local;   /* sliding-window layers (gemma3) */
    float rope_scale;        /* linear position scale (1 = none) */
    c12_rope_kind rope;
    c12_act_kind act;
    int sliding_window;      /* 0: no sliding window */
    int swa_period;          /* every swa_period-th layer is global (gemma3: 6) */
    float embd_scale;        /* multiply embeddings (gemma: sqrt(n_embd)); 1 = none */
    float attn_scale;        /* multiply q.k (1/sqrt(head_dim) unless the arch says) */
    float q_scale;           /* multiply q after RoPE, before fp16 (gemma3: its attention scale) */
    int norm_plus_one;       /* RMSNorm weight is (1 + w) (not for GGUF gemma: already added) */
} c12_hparams;

typedef struct c12_layer {
    const float *attn_norm, *ffn_norm;
    const float *post_attn_norm, *post_ffn_norm;  /* gemma3 */
    const float *q_norm, *k_norm;                  /* per-head RMSNorm (gemma3) */
    const float *bq, *bk, *bv;                     /* qwen2 biases */
    c12_weight wq, wk, wv, wo, w_gate, w_up, w_down;
    int is_swa;                                    /* sliding-window layer */
} c12_layer;

struct c12_model {
    gguf_file *gguf;
    c12_tok *tok;
    const c12_type_traits *types; /* kernel table for this CPU */
    const struct c12_vec_ops *vops; /* attention/feed-forward kernels */
    c12_hparams hp;
    c12_layer *layers;
    c12_weight tok_embd;          /* rows = n_vocab, cols = n_embd */
    c12_weight output;            /* tied: same as tok_embd */
    const float *output_norm;
    float *gelu_table;            /* GELU by fp16 input (vecops.h), when act is GELU */
    char *chat_template;          /* NULL: none */
    c12_model_info info;
};

/* One architecture: a table row (arch.c). */
typedef struct c12_arch {
    const char *name; /* general.architecture */
    c12_rc (*load)(c12_model *m, c12_err *err);
} c12_arch;

const c12_arch *c12_arch_find(const char *name);

/* Helpers for arch loaders (arch.c). */
c12_rc c12_bind_weight(c12_model *m, c12_weight *w, const char *name, int64_t cols, int64_t rows,
                       int optional, c12_err *err);
c12_rc c12_bind_vec(c12_model *m, const float **v, const char *name, int64_t n, int optional,
                    c12_err *err);
/* Read "<arch>.<suffix>" as an integer / float. */
c12_rc c12_hp_int(c12_model *m, const char *suffix, int *out, int optional, c12_err *err);
c12_rc c12_hp_float(c12_model *m, const char *suffix, float *out, int optional, c12_err *err);
/* Common llama-like hyper-parameters and per-layer tensors. */
c12_rc c12_load_llama_like(c12_model *m, c12_err *err);

/* c12_model_chat_tokens on a vocabulary and a template's text (chat.c). */
/* The same with `note` at the end of the system turn (c12_model_chat_tokens_note). */
c12_rc c12_chat_tokens_note(const c12_tok *t, const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant,
                            const char *note, int32_t **out, size_t *n_out, c12_err *err);
/* With tools (c12_model_chat_tokens_tools). */
c12_rc c12_chat_tokens_tools(const c12_tok *t, const char *tmpl, const c12_chat_msg *msgs, size_t n,
                             int add_assistant, const char *note, const c12_chat_tools *tools, int32_t **out,
                             size_t *n_out, c12_err *err);
c12_rc c12_chat_tokens(const c12_tok *t, const char *tmpl, const c12_chat_msg *msgs, size_t n, int add_assistant,
                       int32_t **out, size_t *n_out, c12_err *err);

#endif
