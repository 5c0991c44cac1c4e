/* Unit tests for the tokenizer on small in-memory vocabularies: BPE merge
 * order, the pre-tokenizer scanners, SPM merges by score with byte fallback,
 * special-token partition, BOS/EOS, loading from a GGUF image, and the
 * allocation-failure loop. (Real vocabularies are checked against llama.cpp
 * in tests/integration/test_tokenize.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "engine/gguf.h"
#include "engine/tok_pre.h"
#include "engine/tok_unicode.h"
#include "tok_fixture.h"

/* ---- pre-tokenizers: words joined by '|' ---- */

static void split(const char *pre, const char *text, char *out, size_t cap)
{
    tok_pre p;
    tok_pre_opts po;
    c12_err err;
    assert_int_equal(tok_pre_init(&p, pre, &po, &err), C12_OK);
    size_t n = strlen(text), n_cp = 0, o = 0;
    uint32_t cp[512];
    uint8_t fl[512];
    for (size_t i = 0; i < n;) i += tok_utf8_decode((const uint8_t *)text + i, n - i, &cp[n_cp++]);
    tok_lens words = {0}, tmp = {0};
    assert_int_equal(tok_pre_split(&p, cp, n_cp, fl, &words, &tmp, &err), C12_OK);
    size_t at = 0;
    out[0] = 0;
    for (size_t w = 0; w < words.n; w++) {
        if (w) out[o++] = '|';
        for (size_t k = at; k < at + words.v[w]; k++) o += tok_utf8_encode(cp[k], out + o);
        at += words.v[w];
    }
    out[o] = 0;
    assert_true(o < cap);
    tok_lens_free(&words);
    tok_lens_free(&tmp);
    tok_pre_free(&p);
}

#define SPLIT(pre, text, want)                \
    do {                                      \
        char got_[1024];                      \
        split(pre, text, got_, sizeof got_);  \
        assert_string_equal(got_, want);      \
    } while (0)

static void test_pre_gpt2(void **state)
{
    (void)state;
    SPLIT("gpt-2", "Hello world", "Hello| world");
    SPLIT("gpt-2", "I'm  ok", "I|'m| | ok");
    SPLIT("gpt-2", "we'VE x'll", "we|'|VE| x|'ll"); /* gpt2 contractions are case-sensitive */
    SPLIT("gpt-2", "a  \n b", "a|  \n| b");
    SPLIT("gpt-2", "x123 45", "x|123| 45");
    SPLIT("gpt-2", "!!  ?", "!!| | ?");
    SPLIT("gpt-2", "end  ", "end|  ");
    SPLIT("gpt-2", "na\xc3\xafve caf\xc3\xa9", "na\xc3\xafve| caf\xc3\xa9");
    SPLIT("gpt-2", "a\xf0\x9f\x98\x80" "b", "a|\xf0\x9f\x98\x80|b");       /* emoji: symbol */
    SPLIT("gpt-2", "a\xe3\x80\x80" "b", "a|\xe3\x80\x80|b");               /* U+3000 is space */
    SPLIT("gpt-2", "a\xe1\xa0\x8e" "b", "a|\xe1\xa0\x8e|b");               /* U+180E is not */
    SPLIT("gpt-2", "\xe4\xb8\xad\xe6\x96\x87 \xe5\xad\x97", "\xe4\xb8\xad\xe6\x96\x87| \xe5\xad\x97");
}

static void test_pre_smollm_digits_apart(void **state)
{
    (void)state;
    SPLIT("smollm", "abc123 x", "abc|1|2|3| x");
    SPLIT("smollm", " 42", " |4|2");
    SPLIT("smollm", "x\xc2\xb2", "x|\xc2\xb2"); /* superscript two is a number */
}

static void test_pre_qwen2_llama3(void **state)
{
    (void)state;
    SPLIT("qwen2", "Hello world", "Hello| world");
    SPLIT("qwen2", "abc123", "abc|1|2|3");
    SPLIT("qwen2", "I'M here", "I|'M| here"); /* case-insensitive contractions */
    SPLIT("qwen2", "a\n\n  b", "a|\n\n| | b");
    SPLIT("qwen2", "x.\n\ny", "x|.\n\n|y");
    SPLIT("qwen2", "(x)", "(x|)"); /* one non-letter may lead a letter run */
    SPLIT("qwen2", " \n", " \n");
    SPLIT("llama3", "1234567", "123|456|7");
    SPLIT("default", "hello, world!! 12345", "hello|,| world|!!| |123|45");
}

static void test_pre_more_passes(void **state)
{
    (void)state;
    /* falcon: punctuation runs with the backtick, gpt2, then digit triples */
    SPLIT("falcon", "a`b 1234", "a|`|b| |123|4");
    /* deepseek-coder: line breaks, letter runs, punctuation runs (on the
     * collapsed text), CJK runs (on code points), single digits */
    SPLIT("deepseek-coder", "x\ny, 12\xe4\xb8\xad\xe6\x96\x87",
          "x|\n|y|,| |1|2|\xe4\xb8\xad\xe6\x96\x87");
    /* deepseek-llm: code-point classes, `\s+$` only at a word's very end */
    SPLIT("deepseek-llm", "Hi there!  \n\xe4\xb8\xad\xe6\x96\x87 42",
          "Hi| there|!|  |\n|\xe4\xb8\xad\xe6\x96\x87| |42");
    /* a non-ASCII space reads as \v: \s matches it, the letter class does not */
    SPLIT("deepseek-llm", "a\xe3\x80\x80" "b", "a|\xe3\x80\x80" "b");
    /* qwen35: a combining mark continues the letter run; qwen2 splits it off */
    SPLIT("qwen35", "e\xcc\x81x e", "e\xcc\x81x| e");
    SPLIT("qwen2", "e\xcc\x81x e", "e|\xcc\x81x| e");
    /* gemma4: only runs of line breaks apart */
    SPLIT("gemma4", "a b\n\nc\n", "a b|\n\n|c|\n");
}

static void test_pre_unknown_name(void **state)
{
    (void)state;
    tok_pre p;
    tok_pre_opts po;
    c12_err err;
    assert_int_equal(tok_pre_init(&p, "no-such-pre", &po, &err), C12_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "no-such-pre"));
}

/* ---- BPE ---- */

static void test_bpe_merge_order(void **state)
{
    (void)state;
    static const fix_tok extra[] = {{"bc", 0, 0}, {"ab", 0, 0}, {"abc", 0, 0}, {"aa", 0, 0},
                                    {"\xc4\xa0" "b", 0, 0}};
    static const char *merges[] = {"b c", "a b", "ab c", "a a", "\xc4\xa0 b", "x y"};
    fixture f;
    bpe_vocab(&f, "gpt-2", extra, 5, merges, 6);
    c12_tok *t = NULL;
    c12_err err;
    assert_int_equal(c12_tok_build(&f.p, &t, &err), C12_OK);
    char got[256];
    /* "b c" has the lower rank, so "abc" cannot form: a + bc */
    assert_int_equal(enc_str(t, "abc", 1, 0, got, sizeof got), C12_OK);
    assert_string_equal(got, "97,256");
    /* equal ranks merge leftmost first */
    enc_str(t, "aaa", 1, 0, got, sizeof got);
    assert_string_equal(got, "259,97");
    enc_str(t, "aaaa", 1, 0, got, sizeof got);
    assert_string_equal(got, "259,259");
    /* the space byte is "Ġ" and starts the next word */
    enc_str(t, "a b", 1, 0, got, sizeof got);
    assert_string_equal(got, "97,260");
    /* a merge whose result is no token falls back to its bytes */
    enc_str(t, "xy", 1, 0, got, sizeof got);
    assert_string_equal(got, "120,121");
    /* empty text: no ids, but an array */
    enc_str(t, "", 1, 0, got, sizeof got);
    assert_string_equal(got, "");
    assert_int_equal(c12_tok_find(t, "ab"), 257);
    assert_int_equal(c12_tok_n_vocab(t), 261);
    c12_tok_free(t);
}

static void test_bpe_invalid_utf8_is_replacement(void **state)
{
    (void)state;
    fixture f;
    bpe_vocab(&f, "gpt-2", NULL, 0, NULL, 0);
    c12_tok *t = NULL;
    c12_err err;
    assert_int_equal(c12_tok_build(&f.p, &t, &err), C12_OK);
    char got[256];
    /* a stray byte becomes U+FFFD (EF BF BD), as in the reference */
    enc_str(t, "a\xff", 1, 0, got, sizeof got);
    assert_string_equal(got, "97,239,191,189");
    /* an overlong "/" is read as "/" */
    enc_str(t, "\xc0\xaf", 1, 0, got, sizeof got);
    assert_string_equal(got, "47");
    c12_tok_free(t);
}

/* ---- SPM ---- */

static void test_spm_scores_and_bytes(void **state)
{
    (void)state;
    static const fix_tok extra[] = {
        {"\xe2\x96\x81", 0, -10.0f}, {"h", 0, -20}, {"e", 0, -20}, {"l", 0, -20}, {"o", 0, -20},
        {"he", 0, -1.0f}, {"ll", 0, -2.0f}, {"hell", 0, -3.0f}, {"hello", 0, -4.0f},
        {"\xe2\x96\x81h", 0, -0.5f}, {"a", 0, -20}, {"aa", 0, -1.0f},
    };
    fixture f;
    spm_vocab(&f, extra, 12);
    c12_tok *t = NULL;
    c12_err err;
    assert_int_equal(c12_tok_build(&f.p, &t, &err), C12_OK);
    char got[256];
    enc_str(t, "hello", 0, 0, got, sizeof got);
    assert_string_equal(got, "267"); /* he, ll, hell, hello */
    /* SPM adds BOS by default */
    enc_str(t, "hello", 1, 0, got, sizeof got);
    assert_string_equal(got, "1,267");
    /* "▁h" outscores "he" and wins even though it blocks "hello" */
    enc_str(t, " hello", 0, 0, got, sizeof got);
    assert_string_equal(got, "268,261,265,263");
    enc_str(t, "aaa", 0, 0, got, sizeof got); /* ties: leftmost */
    assert_string_equal(got, "270,269");
    enc_str(t, "\xc3\xa9", 0, 0, got, sizeof got); /* byte fallback: <0xC3><0xA9> */
    assert_string_equal(got, "198,172");
    c12_tok_free(t);

    f.p.add_space_prefix = 1;
    assert_int_equal(c12_tok_build(&f.p, &t, &err), C12_OK);
    enc_str(t, "hello", 0, 0, got, sizeof got);
    assert_string_equal(got, "268,261,265,263");
    c12_tok_free(t);
}

/* ---- special tokens ---- */

static void test_special_partition(void **state)
{
    (void)state;
    static const fix_tok extra[] = {
        {"<|ctrl|>", C12_TOKTYPE_CONTROL, 0}, {"<ud>", C12_TOKTYPE_USER_DEFINED, 0},
        {"bcd", C12_TOKTYPE_USER_DEFINED, 0}, {"ab", C12_TOKTYPE_USER_DEFINED, 0},
        {"<|im_end|>", 0, 0},
    };
    fixture f;
    bpe_vocab(&f, "gpt-2", extra, 5, NULL, 0);
    c12_tok *t = NULL;
    c12_err err;
    assert_int_equal(c12_tok_build(&f.p, &t, &err), C12_OK);
    char got[256];
    /* user-defined tokens split always; control tokens only when parsed */
    enc_str(t, "x<ud>y<|ctrl|>", 1, 0, got, sizeof got);
    assert_string_equal(got, "120,257,121,60,124,99,116,114,108,124,62");
    enc_str(t, "x<ud>y<|ctrl|>", 1, 1, got, sizeof got);
    assert_string_equal(got, "120,257,121,256");
    /* longest first beats leftmost: "bcd" takes its text before "ab" */
    enc_str(t, "abcd", 1, 0, got, sizeof got);
    assert_string_equal(got, "97,258");
    enc_str(t, "abab", 1, 0, got, sizeof got);
    assert_string_equal(got, "259,259");
    /* a control-looking text becomes control and ends generation */
    assert_int_equal(c12_tok_type(t, 260), C12_TOKTYPE_CONTROL);
    assert_true(c12_tok_is_eog(t, 260));
    assert_false(c12_tok_is_eog(t, 257));
    c12_tok_free(t);

    /* the "phi-3" rule: special tokens swallow the spaces after them */
    f.p.name = "Phi-3-mini";
    assert_int_equal(c12_tok_build(&f.p, &t, &err), C12_OK);
    enc_str(t, "x<|ctrl|>  \ty", 1, 1, got, sizeof got);
    assert_string_equal(got, "120,256,121");
    c12_tok_free(t);
}

static void test_bos_eos(void **state)
{
    (void)state;
    static const fix_tok extra[] = {{"<s>", C12_TOKTYPE_CONTROL, 0}, {"</s>", C12_TOKTYPE_CONTROL, 0}};
    fixture f;
    bpe_vocab(&f, "gpt-2", extra, 2, NULL, 0);
    f.p.special[C12_TOKSP_BOS] = 256;
    f.p.special[C12_TOKSP_EOS] = 257;
    f.p.add_bos = 1;
    f.p.add_eos = 1;
    c12_tok *t = NULL;
    c12_err err;
    assert_int_equal(c12_tok_build(&f.p, &t, &err), C12_OK);
    char got[64];
    enc_str(t, "a", 1, 0, got, sizeof got);
    assert_string_equal(got, "256,97,257");
    enc_str(t, "a", 0, 0, got, sizeof got);
    assert_string_equal(got, "97");
    assert_int_equal(c12_tok_bos(t), 256);
    assert_int_equal(c12_tok_eos(t), 257);
    assert_true(c12_tok_add_bos(t));
    assert_true(c12_tok_is_eog(t, 257));
    c12_tok_free(t);
    /* an out-of-range id keeps the kind's default (11 for gpt2), as the
     * reference does */
    f.p.special[C12_TOKSP_BOS] = 9999;
    assert_int_equal(c12_tok_build(&f.p, &t, &err), C12_OK);
    assert_int_equal(c12_tok_bos(t), 11);
    c12_tok_free(t);
    /* asking for BOS with no BOS token at all is a format error */
    f.p.n_tokens = 10;
    assert_int_equal(c12_tok_build(&f.p, &t, &err), C12_ERR_FORMAT);
}

/* ---- GGUF ---- */

typedef struct wbuf {
    uint8_t d[16384];
    size_t n;
} wbuf;

static void put(wbuf *w, const void *p, size_t n)
{
    memcpy(w->d + w->n, p, n);
    w->n += n;
}
static void u32(wbuf *w, uint32_t v) { put(w, &v, 4); }
static void u64(wbuf *w, uint64_t v) { put(w, &v, 8); }
static void str(wbuf *w, const char *s)
{
    u64(w, strlen(s));
    put(w, s, strlen(s));
}

static size_t gguf_vocab(wbuf *w, const char *model, const char *pre, int with_merges)
{
    fixture f;
    bpe_vocab(&f, NULL, NULL, 0, NULL, 0);
    memset(w, 0, sizeof *w);
    put(w, "GGUF", 4);
    u32(w, 3);
    u64(w, 0);
    u64(w, 5 + (uint64_t)with_merges);
    str(w, "tokenizer.ggml.model"); u32(w, GGUF_T_STRING); str(w, model);
    str(w, "tokenizer.ggml.pre"); u32(w, GGUF_T_STRING); str(w, pre);
    str(w, "tokenizer.ggml.tokens"); u32(w, GGUF_T_ARRAY); u32(w, GGUF_T_STRING); u64(w, 258);
    for (int b = 0; b < 256; b++) str(w, f.bytes[b]);
    str(w, "ab");
    str(w, "<s>");
    str(w, "tokenizer.ggml.token_type"); u32(w, GGUF_T_ARRAY); u32(w, GGUF_T_INT32); u64(w, 258);
    for (int i = 0; i < 258; i++) u32(w, i == 257 ? C12_TOKTYPE_CONTROL : C12_TOKTYPE_NORMAL);
    str(w, "tokenizer.ggml.bos_token_id"); u32(w, GGUF_T_UINT32); u32(w, 257);
    if (with_merges) {
        str(w, "tokenizer.ggml.merges"); u32(w, GGUF_T_ARRAY); u32(w, GGUF_T_STRING); u64(w, 1);
        str(w, "a b");
    }
    while (w->n % 32) w->d[w->n++] = 0;
    return w->n;
}

static void test_from_gguf(void **state)
{
    (void)state;
    static wbuf w;
    gguf_file *g = NULL;
    c12_tok *t = NULL;
    c12_err err;
    size_t n = gguf_vocab(&w, "gpt2", "gpt-2", 1);
    assert_int_equal(gguf_parse(w.d, n, &g, &err), C12_OK);
    assert_int_equal(c12_tok_from_gguf(g, &t, &err), C12_OK);
    char got[64];
    enc_str(t, "ab a", 1, 0, got, sizeof got);
    assert_string_equal(got, "256,32,97"); /* no BOS: gpt2 vocabularies default to none */
    assert_int_equal(c12_tok_bos(t), 257);
    c12_tok_free(t);
    gguf_close(g);

    n = gguf_vocab(&w, "gpt2", "gpt-2", 0);
    assert_int_equal(gguf_parse(w.d, n, &g, &err), C12_OK);
    assert_int_equal(c12_tok_from_gguf(g, &t, &err), C12_ERR_FORMAT);
    gguf_close(g);
    n = gguf_vocab(&w, "bert", "gpt-2", 1);
    assert_int_equal(gguf_parse(w.d, n, &g, &err), C12_OK);
    assert_int_equal(c12_tok_from_gguf(g, &t, &err), C12_ERR_UNSUPPORTED);
    gguf_close(g);
    n = gguf_vocab(&w, "gpt2", "frobnicate", 1);
    assert_int_equal(gguf_parse(w.d, n, &g, &err), C12_OK);
    assert_int_equal(c12_tok_from_gguf(g, &t, &err), C12_ERR_UNSUPPORTED);
    gguf_close(g);
}

/* Gemma 4's BPE: merges over UTF-8 characters with "▁" for spaces, a word of
 * line breaks whole when it is a token, else <0xAB> byte tokens; the pieces
 * give the spaces back. */
static void test_bpe_utf8_gemma4(void **state)
{
    (void)state;
    static char bytes[256][8];
    const char *toks[256 + 6];
    int32_t types[256 + 6];
    static const char *extra[] = {"\xe2\x96\x81", "\xe2\x96\x81t", "he", "\xe2\x96\x81the", "\n\n",
                                  "<bos>"};
    static const char *merges[] = {"\xe2\x96\x81 t", "h e", "\xe2\x96\x81t he"};
    for (int b = 0; b < 256; b++) {
        snprintf(bytes[b], sizeof bytes[b], "<0x%02X>", b);
        toks[b] = bytes[b];
        types[b] = C12_TOKTYPE_BYTE;
    }
    for (int i = 0; i < 6; i++) {
        toks[256 + i] = extra[i];
        types[256 + i] = i == 5 ? C12_TOKTYPE_CONTROL : C12_TOKTYPE_NORMAL;
    }
    c12_tok_params p;
    c12_tok_params_init(&p);
    p.model = "gemma4";
    p.pre = "something-else"; /* the model kind decides */
    p.n_tokens = 256 + 6;
    p.tokens = toks;
    p.types = types;
    p.merges = merges;
    p.n_merges = 3;
    p.add_bos = 0; /* Gemma 4 adds BOS whatever the file says, as the reference */
    p.special[C12_TOKSP_BOS] = 256 + 5;
    c12_tok *t = NULL;
    c12_err err;
    assert_int_equal(c12_tok_build(&p, &t, &err), C12_OK);
    char got[128];
    enc_str(t, " the", 0, 0, got, sizeof got);
    assert_string_equal(got, "259");                /* ▁ t h e -> ▁t he -> ▁the */
    enc_str(t, "x the", 1, 0, got, sizeof got);
    assert_string_equal(got, "261,120,259");        /* BOS, <0x78>, ▁the */
    enc_str(t, "\n\n", 0, 0, got, sizeof got);
    assert_string_equal(got, "260");                /* the newline run is a token */
    enc_str(t, "\n\n\n", 0, 0, got, sizeof got);
    assert_string_equal(got, "10,10,10");           /* it is not: bytes */
    enc_str(t, "\xc3\xa9", 0, 0, got, sizeof got);
    assert_string_equal(got, "195,169");            /* é: two byte tokens */
    char piece[16];
    size_t n = c12_tok_piece(t, 259, 0, piece, sizeof piece);
    assert_int_equal(n, 4);
    assert_memory_equal(piece, " the", 4);
    assert_int_equal(c12_tok_piece(t, 195, 0, piece, sizeof piece), 1);
    assert_int_equal((uint8_t)piece[0], 0xC3);
    c12_tok_free(t);
}

/* ---- allocation failures: every allocation of build and encode ---- */

static void test_oom_loop(void **state)
{
    (void)state;
    static const fix_tok extra[] = {{"ab", 0, 0}, {"<ud>", C12_TOKTYPE_USER_DEFINED, 0},
                                    {"<|c|>", C12_TOKTYPE_CONTROL, 0}};
    static const char *merges[] = {"a b"};
    const char *pres[] = {"default", "smollm", "qwen2", "falcon", "qwen35", "deepseek-coder",
                          "deepseek-llm"};
    const char *text = "ab<ud> x1234 <|c|>\xe4\xb8\xad!!  \n";
    for (size_t k = 0; k < sizeof pres / sizeof pres[0]; k++) {
        fixture f;
        bpe_vocab(&f, pres[k], extra, 3, merges, 1);
        int done = 0;
        for (unsigned long n = 1; !done && n < 100000; n++) {
            c12_tok *t = NULL;
            int32_t *ids = NULL;
            size_t n_ids = 0;
            c12_err err;
            c12_alloc_fail_at(n, 0);
            c12_rc rc = c12_tok_build(&f.p, &t, &err);
            if (rc == C12_OK) rc = c12_tok_encode(t, text, strlen(text), 1, 1, &ids, &n_ids, &err);
            int injected = c12_alloc_injected();
            c12_alloc_fail_at(0, 0);
            if (injected) assert_int_equal(rc, C12_ERR_NOMEM);
            else {
                assert_int_equal(rc, C12_OK);
                done = 1;
            }
            c12_free(ids);
            c12_tok_free(t);
        }
        assert_true(done);
    }
    /* SPM too */
    static const fix_tok sx[] = {{"\xe2\x96\x81", 0, -1}, {"a", 0, -2}, {"\xe2\x96\x81" "a", 0, -1}};
    fixture f;
    spm_vocab(&f, sx, 3);
    f.p.add_space_prefix = 1;
    int done = 0;
    for (unsigned long n = 1; !done && n < 100000; n++) {
        c12_tok *t = NULL;
        int32_t *ids = NULL;
        size_t n_ids = 0;
        c12_err err;
        c12_alloc_fail_at(n, 0);
        c12_rc rc = c12_tok_build(&f.p, &t, &err);
        if (rc == C12_OK) rc = c12_tok_encode(t, "a a \xc3\xa9", 6, 1, 0, &ids, &n_ids, &err);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        if (injected) assert_int_equal(rc, C12_ERR_NOMEM);
        else done = (assert_int_equal(rc, C12_OK), 1);
        c12_free(ids);
        c12_tok_free(t);
    }
    assert_true(done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pre_gpt2),
        cmocka_unit_test(test_pre_smollm_digits_apart),
        cmocka_unit_test(test_pre_qwen2_llama3),
        cmocka_unit_test(test_pre_more_passes),
        cmocka_unit_test(test_pre_unknown_name),
        cmocka_unit_test(test_bpe_utf8_gemma4),
        cmocka_unit_test(test_bpe_merge_order),
        cmocka_unit_test(test_bpe_invalid_utf8_is_replacement),
        cmocka_unit_test(test_spm_scores_and_bytes),
        cmocka_unit_test(test_special_partition),
        cmocka_unit_test(test_bos_eos),
        cmocka_unit_test(test_from_gguf),
        cmocka_unit_test(test_oom_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
