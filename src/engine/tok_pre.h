/* tok_pre.h - BPE pre-tokenizers: text -> words, before merges (engine-internal).
 *
 * The reference splits text with a list of regexes, each applied to the words
 * the previous one left. For the common patterns it uses hand-written
 * scanners rather than a regex engine, and those scanners are what decide its
 * token ids, edge cases included; so C12 has scanners with the same rules
 * (gpt2, llama3, qwen2 below). Other patterns run on PCRE2 over a "collapsed"
 * copy of the text with one byte per code point (its class), as the reference
 * runs std::regex, so that \p{..} means the same Unicode 15.1 classes. */
#ifndef C12_TOK_PRE_H
#define C12_TOK_PRE_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"

enum {
    TOK_PASS_GPT2 = 1,   /* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
    TOK_PASS_LLAMA3 = 2, /* (?i:'s|..)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
    TOK_PASS_QWEN2 = 3,  /* as llama3 with \p{N} instead of \p{N}{1,3} */
    TOK_PASS_REGEX = 4,  /* any other pattern, on the collapsed text */
};

#define TOK_PRE_MAX_PASS 4

typedef struct tok_pre {
    int n_pass;
    int kind[TOK_PRE_MAX_PASS];
    void *re[TOK_PRE_MAX_PASS]; /* pcre2_code_8 * for TOK_PASS_REGEX */
    void *gctx;                 /* pcre2 general context: allocations via c12_alloc */
    void *mctx;                 /* pcre2 match context using it */
} tok_pre;

/* Word lengths, in code points. */
typedef struct tok_lens {
    size_t *v;
    size_t n, cap;
} tok_lens;

/* Set up the passes for a `tokenizer.ggml.pre` name. Also reports the name's
 * defaults that the vocabulary loader needs. Unknown names are
 * C12_ERR_UNSUPPORTED. */
c12_rc tok_pre_init(tok_pre *p, const char *name, int *ignore_merges, int *add_bos_default,
                    c12_err *err);
void tok_pre_free(tok_pre *p);

/* Split n code points into words; out is reset first. `scratch` (n bytes)
 * receives per-code-point flags. */
c12_rc tok_pre_split(const tok_pre *p, const uint32_t *cp, size_t n, uint8_t *scratch,
                     tok_lens *out, tok_lens *tmp, c12_err *err);

void tok_lens_free(tok_lens *l);

#endif
