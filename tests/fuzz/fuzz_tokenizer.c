/* libFuzzer target: the tokenizer on arbitrary bytes.
 *
 * Vocabularies: small in-memory ones built here (byte-level BPE with the
 * qwen2, smollm, deepseek-llm, deepseek-coder, qwen35 and falcon
 * pre-tokenizers, SentencePiece-style with byte fallback, Gemma 4's UTF-8 BPE
 * with byte tokens, each with a user-defined and a control token), plus the
 * real vocabulary of the GGUF file named by $C12_FUZZ_MODEL when set. The
 * first input byte picks the vocabulary (low nibble) and the flags; the rest
 * is the text. Checked: encoding
 * succeeds, ids are in range, the streaming detokenizer only ever emits
 * valid UTF-8, and for the in-memory vocabularies (which have a token for
 * every byte) valid UTF-8 text comes back unchanged from its pieces when
 * special tokens are not parsed (parsed control tokens have no text). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "engine/gguf.h"
#include "engine/tok_internal.h"
#include "engine/tok_unicode.h"
#include "engine/tokenizer.h"

enum { N_TOK = 9, FILE_TOK = 3, SPM_TOK = 2, GEMMA4_TOK = 4 };
/* fuzzer state: built once in LLVMFuzzerInitialize, read-only afterwards */
static c12_tok *g_tok[N_TOK];

static c12_tok *build_bpe(const char *pre)
{
    static char bytes[256][4];
    static const char *extra[] = {"\xc4\xa0t", "he", "th", "\xc4\xa0th", "the", "\xc4\xa0the", "in",
                                  "<ud>", "<|c|>", "12", "\xc4\xa0\xc4\xa0"};
    static const char *merges[] = {"\xc4\xa0 t", "h e", "t h", "\xc4\xa0t h", "th e", "\xc4\xa0th e",
                                   "i n", "1 2", "\xc4\xa0 \xc4\xa0"};
    const char *toks[256 + 11];
    int32_t types[256 + 11];
    for (int b = 0; b < 256; b++) {
        bytes[b][tok_utf8_encode(tok_byte_to_cp((uint8_t)b), bytes[b])] = 0;
        toks[b] = bytes[b];
        types[b] = C12_TOKTYPE_NORMAL;
    }
    for (int i = 0; i < 11; i++) {
        toks[256 + i] = extra[i];
        types[256 + i] = i == 7 ? C12_TOKTYPE_USER_DEFINED : i == 8 ? C12_TOKTYPE_CONTROL
                                                                    : C12_TOKTYPE_NORMAL;
    }
    c12_tok_params p;
    c12_tok_params_init(&p);
    p.model = "gpt2";
    p.pre = pre;
    p.n_tokens = 256 + 11;
    p.tokens = toks;
    p.types = types;
    p.merges = merges;
    p.n_merges = 9;
    c12_tok *t = NULL;
    c12_err err;
    if (c12_tok_build(&p, &t, &err)) {
        fprintf(stderr, "fuzz_tokenizer: %s\n", err.msg);
        abort();
    }
    return t;
}

static c12_tok *build_spm(void)
{
    static char bytes[256][8];
    static const char *extra[] = {"\xe2\x96\x81", "\xe2\x96\x81t", "he", "th", "the", "\xe2\x96\x81the",
                                  "<ud>", "<|c|>", "\n\n"};
    static const float sc[] = {-5, -3, -2, -2.5f, -1, -0.5f, 0, 0, 0};
    const char *toks[259 + 9];
    int32_t types[259 + 9];
    float scores[259 + 9] = {0};
    toks[0] = "<unk>", toks[1] = "<s>", toks[2] = "</s>";
    types[0] = C12_TOKTYPE_UNKNOWN, types[1] = types[2] = C12_TOKTYPE_CONTROL;
    for (int b = 0; b < 256; b++) {
        snprintf(bytes[b], sizeof bytes[b], "<0x%02X>", b);
        toks[3 + b] = bytes[b];
        types[3 + b] = C12_TOKTYPE_BYTE;
    }
    for (int i = 0; i < 9; i++) {
        toks[259 + i] = extra[i];
        scores[259 + i] = sc[i];
        types[259 + i] = i == 6 || i == 8 ? C12_TOKTYPE_USER_DEFINED
                         : i == 7         ? C12_TOKTYPE_CONTROL
                                          : C12_TOKTYPE_NORMAL;
    }
    c12_tok_params p;
    c12_tok_params_init(&p);
    p.model = "llama";
    p.n_tokens = 259 + 9;
    p.tokens = toks;
    p.types = types;
    p.scores = scores;
    p.add_space_prefix = 0;
    c12_tok *t = NULL;
    c12_err err;
    if (c12_tok_build(&p, &t, &err)) {
        fprintf(stderr, "fuzz_tokenizer: %s\n", err.msg);
        abort();
    }
    return t;
}

/* Gemma 4's kind: merges over UTF-8 characters, "▁" for spaces, a token
 * for every byte as <0xAB>, and a token for a run of two line breaks. */
static c12_tok *build_gemma4(void)
{
    static char bytes[256][8];
    static const char *extra[] = {"\xe2\x96\x81", "\xe2\x96\x81t", "he", "th", "the",
                                  "\xe2\x96\x81the", "<ud>", "<|c|>", "\n\n", "\xc3\xa9"};
    static const char *merges[] = {"\xe2\x96\x81 t", "h e", "t h", "\xe2\x96\x81t he", "t he"};
    const char *toks[256 + 10];
    int32_t types[256 + 10];
    for (int b = 0; b < 256; b++) {
        snprintf(bytes[b], sizeof bytes[b], "<0x%02X>", b);
        toks[b] = bytes[b];
        types[b] = C12_TOKTYPE_BYTE;
    }
    for (int i = 0; i < 10; i++) {
        toks[256 + i] = extra[i];
        types[256 + i] = i == 6 ? C12_TOKTYPE_USER_DEFINED : i == 7 ? C12_TOKTYPE_CONTROL
                                                                    : C12_TOKTYPE_NORMAL;
    }
    c12_tok_params p;
    c12_tok_params_init(&p);
    p.model = "gemma4";
    p.n_tokens = 256 + 10;
    p.tokens = toks;
    p.types = types;
    p.merges = merges;
    p.n_merges = 5;
    p.special[C12_TOKSP_BOS] = 256 + 7;
    c12_tok *t = NULL;
    c12_err err;
    if (c12_tok_build(&p, &t, &err)) {
        fprintf(stderr, "fuzz_tokenizer: %s\n", err.msg);
        abort();
    }
    return t;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    g_tok[0] = build_bpe("qwen2");
    g_tok[1] = build_bpe("smollm");
    g_tok[SPM_TOK] = build_spm();
    g_tok[GEMMA4_TOK] = build_gemma4();
    g_tok[5] = build_bpe("deepseek-llm");
    g_tok[6] = build_bpe("deepseek-coder");
    g_tok[7] = build_bpe("qwen35");
    g_tok[8] = build_bpe("falcon");
    const char *path = getenv("C12_FUZZ_MODEL");
    if (path && *path) {
        gguf_file *g = NULL;
        c12_err err;
        if (gguf_open(path, &g, &err) || c12_tok_from_gguf(g, &g_tok[FILE_TOK], &err)) {
            fprintf(stderr, "fuzz_tokenizer: %s: %s\n", path, err.msg);
            abort();
        }
        gguf_close(g);
    }
    return 0;
}

static int strict_utf8(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        int k = c12_utf8_check(s + i, n - i);
        if (k <= 0) return 0;
        i += (size_t)k;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int which = data[0] & 15, add_special = (data[0] >> 4) & 1, parse_special = (data[0] >> 5) & 1;
    if (which >= N_TOK) return 0;
    const c12_tok *t = g_tok[which];
    if (!t) return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    int32_t *ids = NULL;
    size_t n = 0;
    c12_err err;
    if (c12_tok_encode(t, text, len, add_special, parse_special, &ids, &n, &err)) {
        fprintf(stderr, "encode failed: %s\n", err.msg);
        abort();
    }
    /* pieces, and the detokenizer stream */
    size_t cap = 4 * len + 64, o = 0, so = 0;
    char *cat = c12_malloc(cap * 4 + 1), *out = c12_malloc(cap * 4 + 64);
    c12_detok d;
    c12_detok_init(&d, t);
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= c12_tok_n_vocab(t)) abort();
        o += c12_tok_piece(t, ids[i], 0, cat + o, cap * 4 - o);
        so += c12_detok_push(&d, ids[i], out + so, cap * 4 + 64 - so);
        if (o > cap * 4 || so > cap * 4 + 64) abort();
    }
    so += c12_detok_flush(&d, out + so, cap * 4 + 64 - so);
    if (!strict_utf8((const uint8_t *)out, so)) abort();
    /* byte-level BPE rebuilds any text; SentencePiece's kinds turn a "▁" of
     * the text into a space */
    int lossless = which == SPM_TOK || which == GEMMA4_TOK ? !memmem(text, len, "\xe2\x96\x81", 3)
                                                           : which != FILE_TOK;
    if (lossless && !parse_special && strict_utf8((const uint8_t *)text, len)) {
        /* byte tokens cover everything, so pieces rebuild valid text exactly
         * (BOS/EOS and control tokens have empty pieces) */
        if (o != len || memcmp(cat, text, len)) abort();
        if (so != len || memcmp(out, text, len)) abort();
    }
    c12_free(cat);
    c12_free(out);
    c12_free(ids);
    return 0;
}
