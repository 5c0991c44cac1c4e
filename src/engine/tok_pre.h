/* tok_pre.h - BPE pre-tokenizers: text -> words, before merges (engine-internal).
 *
 * The reference splits text with a list of regexes, each applied to the words
 * the previous one left. For the common patterns it uses hand-written
 * scanners rather than a regex engine, and those scanners are what decide its
 * token ids, edge cases included; so C12 has scanners with the same rules
 * (gpt2, llama3, qwen2, qwen35, newlines below; tok_pre_scan.c). Other
 * patterns run on PCRE2 as the reference runs std::regex: a pattern with
 * \p{..} classes over a "collapsed" copy of the text with one byte per code
 * point (its class), so that \p{..} means the same Unicode 15.1 classes; a
 * pattern without them over the code points themselves (tok_pre_raw.c), with
 * non-ASCII whitespace read as \v as the reference's std::wregex sees it. */
#ifndef C12_TOK_PRE_H
#define C12_TOK_PRE_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_rc.h"

enum {
    TOK_PASS_GPT2 = 1,   /* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
    TOK_PASS_LLAMA3 = 2, /* (?i:'s|..)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
    TOK_PASS_QWEN2 = 3,  /* as llama3 with \p{N} instead of \p{N}{1,3} */
    TOK_PASS_REGEX = 4,  /* a pattern with \p{..} classes, on the collapsed text */
    TOK_PASS_QWEN35 = 5, /* as qwen2, with combining marks (\p{M}) counted as letters */
    TOK_PASS_RAW = 6,    /* a pattern without \p{..}, on the code points */
    TOK_PASS_NEWLINES = 7, /* [^\n]+|[\n]+ */
};

#define TOK_PRE_MAX_PASS 6

typedef struct tok_pre {
    int n_pass;
    int kind[TOK_PRE_MAX_PASS];
    /* pcre2_code_8 * for TOK_PASS_REGEX, pcre2_code_32 * for TOK_PASS_RAW */
    void *re[TOK_PRE_MAX_PASS];
    void *gctx, *mctx;          /* 8-bit pcre2 general and match contexts (c12_alloc) */
    void *gctx32, *mctx32;      /* the same for the 32-bit library, when a pass needs it */
} tok_pre;

/* What a pre-tokenizer's name implies for the rest of the vocabulary. */
typedef struct tok_pre_opts {
    int ignore_merges;  /* a word that is a token is taken whole */
    int add_bos;        /* the default for add_bos_token */
    int raw_utf8;       /* merges over UTF-8 text, not GPT-2's byte alphabet;
                         * bytes with no token become <0xXX> tokens */
    int escape_spaces;  /* ' ' becomes U+2581 before splitting (and back) */
    int newline_words;  /* a word of line breaks that is a token is taken whole */
    int bos_always;     /* add BOS even when the file says not to (Gemma 4) */
} tok_pre_opts;

/* Word lengths, in code points. */
typedef struct tok_lens {
    size_t *v;
    size_t n, cap;
} tok_lens;

/* Set up the passes for a `tokenizer.ggml.pre` name. Also reports the name's
 * settings that the vocabulary loader needs. Unknown names are
 * C12_ERR_UNSUPPORTED. */
c12_rc tok_pre_init(tok_pre *p, const char *name, tok_pre_opts *opts, c12_err *err);
void tok_pre_free(tok_pre *p);

/* Split n code points into words; out is reset first. `scratch` (n bytes)
 * receives per-code-point flags. */
c12_rc tok_pre_split(const tok_pre *p, const uint32_t *cp, size_t n, uint8_t *scratch,
                     tok_lens *out, tok_lens *tmp, c12_err *err);

void tok_lens_free(tok_lens *l);
c12_rc tok_lens_push(tok_lens *l, size_t v, c12_err *err);

/* ---- shared by tok_pre*.c only ---- */

/* per-code-point flags in the scratch array */
enum { TOK_F_IN = 1, TOK_F_LETTER = 2, TOK_F_NUMBER = 4, TOK_F_SPACE = 8, TOK_F_MARK = 16 };

/* A scanner over one word [ini, end) of the previous pass. Positions past the
 * end read as "nothing": no flags, and code point -1. */
typedef struct tok_scan {
    const uint32_t *cp;
    const uint8_t *fl;
    size_t ini, end, prev;
    tok_lens *out;
    c12_err *err;
    c12_rc rc;
} tok_scan;

void tok_scan_gpt2(tok_scan *s);
void tok_scan_llama3(tok_scan *s, int kind); /* TOK_PASS_LLAMA3, _QWEN2 or _QWEN35 */
void tok_scan_newlines(tok_scan *s);

/* Regex matches become words and so do the gaps between them (as the
 * reference's std::regex splitter does); an empty match just moves on.
 * `match` finds the first match at or after `at` in the word of `len` code
 * points: 1 and [*s, *e), 0 for none, or -1 with err set. */
typedef int (*tok_match_fn)(void *ctx, size_t at, size_t len, size_t *s, size_t *e, c12_err *err);
c12_rc tok_split_matches(tok_match_fn match, void *ctx, size_t len, tok_lens *out, c12_err *err);

/* TOK_PASS_RAW (tok_pre_raw.c). */
c12_rc tok_raw_compile(tok_pre *p, int pass, const char *pattern_utf8, c12_err *err);
void tok_raw_free(tok_pre *p);
/* Split [ini, end) of `text` (code points, non-ASCII spaces already \v). */
c12_rc tok_raw_split(const tok_pre *p, int pass, const uint32_t *text, size_t ini, size_t end,
                     tok_lens *out, c12_err *err);

#endif
