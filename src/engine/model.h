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

/* NORM rotates adjacent pairs, NEOX pairs (i, i + n_rot/2); NONE: no RoPE
 * (gpt2's learned positions). */
typedef enum { C12_ROPE_NORM = 0, C12_ROPE_NEOX = 1, C12_ROPE_NONE = 2 } c12_rope_kind;
/* RMS: x / rms(x) * w; LAYER: (x - mean) / std(x) * w (+ b) */
typedef enum { C12_NORM_RMS = 0, C12_NORM_LAYER = 1 } c12_norm_kind;
typedef enum { C12_ACT_SILU = 0, C12_ACT_GELU = 1 } c12_act_kind;

typedef struct c12_hparams {
    int n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx_train;
    int n_rot;
    float norm_eps;
    c12_norm_kind norm;      /* set by the arch before c12_load_llama_like (its eps key) */
    int ffn_seq;             /* 1: f = Wdown act(Wup h) (no gate); set before loading too */
    float attn_softcap;      /* 0: none; else scores = cap * tanh(q.k / cap) (gemma2) */
    float final_softcap;     /* 0: none; else logits = cap * tanh(logits / cap) (gemma2) */
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
    const float *attn_norm_b, *ffn_norm_b;         /* LayerNorm biases */
    const float *post_attn_norm, *post_ffn_norm;  /* gemma3 */
    const float *q_norm, *k_norm;                  /* per-head RMSNorm (gemma3) */
    const float *bq, *bk, *bv;                     /* qwen2 biases (or a fused bias's parts) */
    const float *bo, *b_up, *b_down;               /* gpt2, starcoder2 biases */
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
    c12_weight pos_embd;          /* learned positions (gpt2): rows = n_ctx_train; data NULL if none */
    const float *output_norm, *output_norm_b;
    const float *rope_freqs;      /* [n_rot/2] frequency divisors (llama3's rope_freqs), NULL if none */
    uint8_t *bound;               /* [n_tensors]: 1 once an arch bound the tensor */
    float *gelu_table;            /* GELU by fp16 input (vecops.h), when act is GELU */
    char *chat_template;          /* NULL: none */
    uint8_t **repacked;           /* matrices copied 8 rows at a time (model_repack.c) */
    int n_repacked;
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
/* A view of rows [r0, r0 + n) of w (the parts of a fused matrix). */
c12_weight c12_weight_rows(const c12_weight *w, int64_t r0, int64_t n);
/* C12_ERR_UNSUPPORTED naming the first tensor of the file no loader bound. */
c12_rc c12_check_all_bound(const c12_model *m, c12_err *err);
/* Copy the matrices that have a repacked form on this CPU 8 rows at a time
 * and point their weights at the copies (model_repack.c); and free them. */
c12_rc c12_model_repack(c12_model *m, c12_err *err);
void c12_model_repacked_free(c12_model *m);
/* Refuse RoPE scaling (rope.scaling.type other than none, or a factor != 1). */
c12_rc c12_refuse_rope_scaling(c12_model *m, c12_err *err);
/* The optional parts of a layer (c12_layers_check). */
enum {
    C12_L_FFN_NORM = 1 << 0, C12_L_NORM_BIAS = 1 << 1, C12_L_QKV_BIAS = 1 << 2,
    C12_L_QK_NORM = 1 << 3, C12_L_POST_NORMS = 1 << 4, C12_L_OUT_BIAS = 1 << 5,
    C12_L_FFN_BIAS = 1 << 6
};
/* Every layer has each part in `required` (else C12_ERR_FORMAT) and none
 * outside `allowed` (else C12_ERR_UNSUPPORTED naming it): a tensor the
 * architecture does not use is refused, never ignored. */
c12_rc c12_layers_check(const c12_model *m, unsigned allowed, unsigned required, c12_err *err);
/* Sliding-window layers: "<arch>.attention.sliding_window_pattern" as an array
 * of booleans, or a period P (default_period when absent): layer il is local
 * when il % P < P - 1 (llama.cpp's set_swa_pattern). */
c12_rc c12_swa_layers(c12_model *m, int default_period, c12_err *err);
/* Fill m->gelu_table (ggml's fp16 GELU table) for a GELU architecture. */
c12_rc c12_gelu_table_new(c12_model *m, c12_err *err);
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
