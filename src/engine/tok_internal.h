/* tok_internal.h - what the tokenizer's files share (engine-internal).
 *
 * Layout of a c12_tok: every token's text lives in one pool (`text`, with
 * offsets), looked up through an open-addressing hash map; BPE merges live in
 * a second pool and map, keyed by the merge line "left right" and valued by
 * rank (its line number). Nothing points into the GGUF mapping. */
#ifndef C12_TOK_INTERNAL_H
#define C12_TOK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"
#include "tok_pre.h"
#include "tokenizer.h"

/* Token attributes, as bits: several can hold at once (e.g. a control token
 * whose text says "unused"). */
enum {
    TOK_ATTR_UNDEFINED = 0,
    TOK_ATTR_UNKNOWN = 1 << 0,
    TOK_ATTR_UNUSED = 1 << 1,
    TOK_ATTR_NORMAL = 1 << 2,
    TOK_ATTR_CONTROL = 1 << 3,
    TOK_ATTR_USER_DEFINED = 1 << 4,
    TOK_ATTR_BYTE = 1 << 5,
    TOK_ATTR_LSTRIP = 1 << 7,
    TOK_ATTR_RSTRIP = 1 << 8,
};

enum { TOK_KIND_BPE = 1, TOK_KIND_SPM = 2 };

/* The TOK_KIND_* of a tokenizer.ggml.model value, 0 when unsupported. */
int tok_model_kind(const char *model);

/* String -> int32 map over keys stored elsewhere (a pool + offsets). */
typedef struct tok_map {
    uint32_t *slot; /* entry index + 1; 0 = empty */
    uint32_t mask;
    const char *pool;
    const uint32_t *off;
    const uint32_t *len;
} tok_map;

c12_rc tok_map_init(tok_map *m, uint32_t n_keys, const char *pool, const uint32_t *off,
                    const uint32_t *len, c12_err *err);
void tok_map_free(tok_map *m);
/* Insert entry i; when its key is already present, keep the old entry unless
 * `replace` (the reference keeps the last token id but the first merge). */
void tok_map_put(tok_map *m, uint32_t i, int replace);
/* The entry index for a key, or -1. */
int64_t tok_map_get(const tok_map *m, const char *key, size_t n);

/* A node of the special-token trie (see tok_special.c). */
typedef struct tok_trie_node {
    uint32_t child;   /* first child, 0 = none (node 0 is the root) */
    uint32_t sibling; /* next sibling, 0 = none */
    int32_t rank_all; /* position in the special list, -1 = not a token end */
    int32_t rank_user;/* same, counting only tokens matched without parse_special */
    uint8_t byte;
} tok_trie_node;

struct c12_tok {
    int kind;
    int32_t n_vocab;
    char *text;       /* all token texts, back to back */
    uint32_t *off;    /* [n_vocab] */
    uint32_t *len;    /* [n_vocab] */
    float *score;     /* [n_vocab] */
    uint32_t *attr;   /* [n_vocab] TOK_ATTR_* bits */
    tok_map map;      /* text -> id */

    /* BPE */
    char *merge_text;
    uint32_t *merge_off, *merge_len;
    uint32_t n_merges;
    tok_map merges;   /* "left right" -> rank */
    tok_pre pre;
    int ignore_merges;
    int raw_utf8;      /* merges over UTF-8, byte fallback <0xXX> (tok_pre_opts) */
    int escape_spaces; /* ' ' is U+2581 in token texts (tok_pre_opts) */
    int newline_words; /* a word of line breaks may be one token (tok_pre_opts) */
    int chat_tools;   /* the file's chat template has a tool-call format */
    char *chat_template; /* the file's, or NULL (c12_tok_chat) */

    /* special ids (-1 = none) and flags */
    int32_t bos, eos, unk, eot, eom;
    int add_bos, add_eos, add_space_prefix;
    int32_t *eog;     /* sorted ids that end generation */
    size_t n_eog;
    int32_t byte_tok[256]; /* byte fallback ids (SPM, raw_utf8 BPE), -1 = none */

    /* special tokens in the order the partition tries them */
    int32_t *special; /* [n_special] ids: longest text first */
    size_t n_special;
    tok_trie_node *trie;
    size_t n_trie;
    uint32_t root[256]; /* root's child per first byte (trie index, 0 = none) */

    size_t max_piece; /* longest c12_tok_piece(special=1) */
    size_t max_detok; /* most bytes one c12_detok_push can write */
};

c12_rc tok_ids_push(tok_ids *a, int32_t id, c12_err *err);

/* The whitespace a special token's lstrip/rstrip swallows. */
static inline int tok_ascii_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static inline int64_t tok_find_n(const c12_tok *t, const char *s, size_t n)
{
    return tok_map_get(&t->map, s, n);
}

/* Attributes the reference derives from token texts, the EOG list, the
 * special-token list and trie. `sp` holds the ids the vocabulary named
 * (C12_TOKSP_*, -1 = none); auto-detected ones are filled in. */
c12_rc tok_special_init(c12_tok *t, const char *model_name, const char *pre, int32_t *sp,
                        c12_err *err);

/* Split text into fragments: runs of raw text and special tokens, as the
 * reference does before tokenizing (user-defined tokens always, control
 * tokens only with parse_special). Calls `raw` for each text run and appends
 * each special token's id to `out`. */
typedef c12_rc (*tok_raw_fn)(const c12_tok *t, const char *s, size_t n, int prev_special,
                             tok_ids *out, c12_err *err);
c12_rc tok_partition(const c12_tok *t, const char *text, size_t len, int parse_special,
                     tok_raw_fn raw, tok_ids *out, c12_err *err);

/* The id of the longest special token whose text starts `text`, or -1. */
int32_t tok_special_at(const c12_tok *t, const char *text, size_t len);

/* One raw fragment through each model kind. */
c12_rc tok_bpe_fragment(const c12_tok *t, const char *s, size_t n, int prev_special, tok_ids *out,
                        c12_err *err);
c12_rc tok_spm_fragment(const c12_tok *t, const char *s, size_t n, int prev_special, tok_ids *out,
                        c12_err *err);
static inline tok_raw_fn tok_raw_of(const c12_tok *t)
{
    return t->kind == TOK_KIND_BPE ? tok_bpe_fragment : tok_spm_fragment;
}

/* GPT-2 byte-level alphabet: byte -> code point, and back (-1 = none). */
uint32_t tok_byte_to_cp(uint8_t b);
int tok_cp_to_byte(uint32_t cp);

/* Bound on one c12_detok_push's output over the whole vocabulary. */
size_t tok_detok_bound(const c12_tok *t);

/* The merge queue both BPE tokenizers use (tok_heap.c): candidate pairs of
 * adjacent symbols, lowest key first (BPE: the merge's rank; SPM: minus the
 * merged token's score), ties to the leftmost. `size` detects a pair made
 * stale by an earlier merge. */
typedef struct tok_bigram {
    double key;
    int32_t left, right;
    uint32_t size;
} tok_bigram;

typedef struct tok_heap {
    tok_bigram *a;
    size_t n, cap;
} tok_heap;

c12_rc tok_heap_push(tok_heap *h, tok_bigram g, c12_err *err);
tok_bigram tok_heap_pop(tok_heap *h); /* h->n > 0 */
void tok_heap_free(tok_heap *h);

#endif
