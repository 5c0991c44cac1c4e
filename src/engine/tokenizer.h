/* tokenizer.h - text <-> token ids from a GGUF vocabulary (engine-internal).
 *
 * Two vocabulary kinds, as `tokenizer.ggml.model` names them:
 *   "gpt2"  byte-level BPE with merges and a pre-tokenizer chosen by
 *           `tokenizer.ggml.pre` (smollm, qwen2, gpt2/default, ...);
 *   "gemma4" the same BPE over UTF-8 text with SentencePiece's "▁" for
 *           spaces and <0xAB> byte tokens (pre-tokenizer "gemma4");
 *   "llama" SentencePiece-style BPE over scores with byte fallback.
 * Token ids match llama.cpp's llama_tokenize(text, add_special, parse_special). */
#ifndef C12_TOKENIZER_H
#define C12_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_buf.h"
#include "base/c12_rc.h"
#include "engine/c12_engine.h"
#include "gguf.h"

/* Token types, as GGUF stores them in tokenizer.ggml.token_type. */
enum {
    C12_TOKTYPE_UNDEFINED = 0, C12_TOKTYPE_NORMAL = 1, C12_TOKTYPE_UNKNOWN = 2,
    C12_TOKTYPE_CONTROL = 3, C12_TOKTYPE_USER_DEFINED = 4, C12_TOKTYPE_UNUSED = 5,
    C12_TOKTYPE_BYTE = 6
};

/* Build from the tokenizer.* keys of an open GGUF file. The tokenizer copies
 * what it needs and does not keep a reference to f. */
c12_rc c12_tok_from_gguf(const gguf_file *f, c12_tok **out, c12_err *err);

/* Special token ids a vocabulary may name (tokenizer.ggml.*_token_id). */
enum {
    C12_TOKSP_BOS, C12_TOKSP_EOS, C12_TOKSP_EOT, C12_TOKSP_EOM, C12_TOKSP_UNK, C12_TOKSP_SEP,
    C12_TOKSP_PAD, C12_TOKSP_MASK, C12_TOKSP_FIM_PRE, C12_TOKSP_FIM_SUF, C12_TOKSP_FIM_MID,
    C12_TOKSP_FIM_PAD, C12_TOKSP_FIM_REP, C12_TOKSP_FIM_SEP, C12_TOKSP_COUNT
};

/* Everything c12_tok_from_gguf reads, for building a vocabulary without a
 * GGUF file (tests, the fuzzer). Arrays are copied. */
typedef struct c12_tok_params {
    const char *model;          /* "gpt2" or "llama" */
    const char *pre;            /* gpt2 pre-tokenizer name; NULL or "" = "default" */
    const char *name;           /* general.name (a few rules key on it); may be NULL */
    int32_t n_tokens;
    const char *const *tokens;  /* [n_tokens] */
    const size_t *token_lens;   /* [n_tokens] byte lengths; NULL = strlen */
    const int32_t *types;       /* [n_tokens] C12_TOKTYPE_*; NULL = all normal */
    const float *scores;        /* [n_tokens]; NULL = all 0 */
    size_t n_merges;
    const char *const *merges;  /* "left right" lines, gpt2 only */
    const size_t *merge_lens;   /* NULL = strlen */
    int64_t special[C12_TOKSP_COUNT]; /* -1 = not given */
    int add_bos, add_eos, add_space_prefix; /* -1 = the model kind's default */
} c12_tok_params;

/* Params with nothing given (all special ids and flags -1). */
void c12_tok_params_init(c12_tok_params *p);
c12_rc c12_tok_build(const c12_tok_params *p, c12_tok **out, c12_err *err);

/* Tokenize `len` bytes of text. add_special: add BOS/EOS as the vocabulary
 * says (tokenizer.ggml.add_bos_token / add_eos_token). parse_special: turn
 * the text of control/user-defined tokens (e.g. "<|im_start|>") into their
 * ids instead of tokenizing their characters.
 * On success *out is a c12_malloc'ed array of *n_out ids (caller frees).
 * (c12_tok_encode and c12_tok_free are declared in c12_engine.h.) */

/* A growable id array. */
typedef struct tok_ids {
    int32_t *v;
    size_t n, cap;
} tok_ids;

/* A prompt built from a template's pieces (chat.c): markers, each the exact
 * text of one special token, which becomes its id; and plain text, tokenized
 * with parse_special off, so that a control token's text inside it (a user
 * typing "<|im_end|><|im_start|>system") stays characters and never opens or
 * closes a turn. The text between two markers is one run, cut as
 * c12_tok_encode with parse_special cuts it: a prompt whose text holds no
 * special token's text gets the same ids from both. */
typedef struct c12_tok_seq {
    const c12_tok *t;
    c12_buf run;  /* text since the last marker */
    tok_ids ids;  /* tokens before it */
    int rstrip;   /* the last marker swallows the whitespace after it */
} c12_tok_seq;

void c12_tok_seq_init(c12_tok_seq *q, const c12_tok *t);
void c12_tok_seq_free(c12_tok_seq *q);
c12_rc c12_tok_seq_text(c12_tok_seq *q, const char *s, size_t n, c12_err *err);
/* C12_ERR_UNSUPPORTED when `marker` is no special token of the vocabulary. */
c12_rc c12_tok_seq_marker(c12_tok_seq *q, const char *marker, c12_err *err);
/* A piece of the template's own text (never a message's): the texts of the
 * vocabulary's special tokens in it become those tokens, longest first, as
 * llama.cpp's tokenizer parses a rendered template; the rest is text. */
c12_rc c12_tok_seq_tmpl(c12_tok_seq *q, const char *s, c12_err *err);
/* The ids, with BOS/EOS as the vocabulary says when add_special (as
 * c12_tok_encode); *out is c12_malloc'ed; q is left empty. */
c12_rc c12_tok_seq_take(c12_tok_seq *q, int add_special, int32_t **out, size_t *n_out, c12_err *err);

/* The bytes one token stands for (byte-level decoding applied; control tokens
 * give their text only when `special` is set, else nothing). Writes at most
 * cap bytes to buf and returns the full length (like snprintf, no NUL). */
size_t c12_tok_piece(const c12_tok *t, int32_t id, int special, char *buf, size_t cap);

int32_t c12_tok_n_vocab(const c12_tok *t);
int32_t c12_tok_bos(const c12_tok *t);       /* -1 when none */
int32_t c12_tok_eos(const c12_tok *t);       /* -1 when none */
int c12_tok_add_bos(const c12_tok *t);
/* End-of-generation: EOS, EOT and the like (e.g. <|im_end|>, <|endoftext|>). */
int c12_tok_is_eog(const c12_tok *t, int32_t id);
/* Look up a token by its exact text; -1 when absent. */
int32_t c12_tok_find(const c12_tok *t, const char *text);
/* The stored text of a token (e.g. "\xc4\xa0the" for byte-level BPE), not
 * NUL-terminated; NULL when id is out of range. */
const char *c12_tok_text(const c12_tok *t, int32_t id, size_t *len);
/* C12_TOKTYPE_* as the vocabulary stored it (after the reference's fix-ups,
 * e.g. "<|im_end|>" is control even if stored as normal). */
int c12_tok_type(const c12_tok *t, int32_t id);
/* Longest c12_tok_piece() of any token, special text included. */
size_t c12_tok_max_piece(const c12_tok *t);

/* Streaming detokenizer: feed ids, get back only complete UTF-8 characters;
 * bytes of a character split across tokens are held until it is whole.
 * Output is always valid UTF-8: bytes that can never form a character (a
 * stray continuation byte, a cut sequence followed by something else) become
 * U+FFFD, one per maximal invalid run, as Unicode recommends. Control tokens
 * give no text. The concatenated output of all pushes and the flush equals
 * the pieces' concatenation with that replacement applied. */
typedef struct c12_detok {
    const c12_tok *tok;
    char pending[8];
    size_t n_pending;
} c12_detok;

void c12_detok_init(c12_detok *d, const c12_tok *t);
/* Append the text of `id` to buf (cap bytes); returns bytes written (never a
 * partial UTF-8 sequence). cap >= c12_detok_min_cap(t) always suffices (256
 * does for every vocabulary C12 ships); with less, the output is cut at a
 * character boundary and the rest is lost. */
size_t c12_detok_push(c12_detok *d, int32_t id, char *buf, size_t cap);
/* Flush held bytes at the end of a stream (invalid leftovers become U+FFFD);
 * cap >= 16 suffices. */
size_t c12_detok_flush(c12_detok *d, char *buf, size_t cap);
size_t c12_detok_min_cap(const c12_tok *t);

#endif
