/* tok_pre_raw.c - pre-tokenizer patterns over code points (TOK_PASS_RAW).
 *
 * The reference runs a pattern without \p{..} classes through std::wregex on
 * the text's code points, with every non-ASCII whitespace code point read as
 * \v (its \s knows ASCII only). PCRE2's 32-bit library in non-UTF mode is the
 * same machine: one code unit per code point, character ranges by value,
 * ASCII-only \s, and `$` only at the end of the word (DOLLAR_ENDONLY, as
 * ECMAScript). Patterns are ASCII with \x{..} escapes for the rest. */
#define PCRE2_CODE_UNIT_WIDTH 32
#include <pcre2.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "tok_pre.h"

#define RAW_PATTERN_MAX 2048

static void *raw_alloc(size_t n, void *ud) { (void)ud; return c12_malloc(n); }
static void raw_free(void *p, void *ud) { (void)ud; c12_free(p); }

static c12_rc contexts(tok_pre *p, c12_err *err)
{
    if (!p->gctx32) p->gctx32 = pcre2_general_context_create(raw_alloc, raw_free, NULL);
    if (p->gctx32 && !p->mctx32) p->mctx32 = pcre2_match_context_create(p->gctx32);
    if (!p->mctx32) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (pcre2 context)");
    return C12_OK;
}

c12_rc tok_raw_compile(tok_pre *p, int pass, const char *pattern, c12_err *err)
{
    uint32_t pat[RAW_PATTERN_MAX];
    size_t n = strlen(pattern);
    if (n >= RAW_PATTERN_MAX)
        return c12_fail(err, C12_ERR_INTERNAL, "tokenizer: pattern of %zu bytes is too long", n);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)pattern[i] >= 0x80)
            return c12_fail(err, C12_ERR_INTERNAL, "tokenizer: pattern must be ASCII");
        pat[i] = (unsigned char)pattern[i];
    }
    c12_rc rc = contexts(p, err);
    if (rc) return rc;
    pcre2_compile_context *cctx = pcre2_compile_context_create(p->gctx32);
    if (!cctx) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (pcre2 context)");
    int ec;
    PCRE2_SIZE eo;
    p->re[pass] = pcre2_compile(pat, n, PCRE2_DOLLAR_ENDONLY, &ec, &eo, cctx);
    pcre2_compile_context_free(cctx);
    if (p->re[pass]) return C12_OK;
    /* 121: "failed to allocate heap memory" (no name for it in pcre2.h) */
    return ec == 121 || ec == PCRE2_ERROR_NOMEMORY
               ? c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (regex)")
               : c12_fail(err, C12_ERR_INTERNAL, "tokenizer: pattern '%s' error %d at %zu", pattern,
                          ec, (size_t)eo);
}

void tok_raw_free(tok_pre *p)
{
    for (int i = 0; i < TOK_PRE_MAX_PASS; i++)
        if (p->re[i] && p->kind[i] == TOK_PASS_RAW) {
            pcre2_code_free(p->re[i]);
            p->re[i] = NULL;
        }
    if (p->mctx32) pcre2_match_context_free(p->mctx32);
    if (p->gctx32) pcre2_general_context_free(p->gctx32);
    p->mctx32 = p->gctx32 = NULL;
}

typedef struct raw_word {
    const pcre2_code *re;
    pcre2_match_data *md;
    pcre2_match_context *mc;
    const uint32_t *subject;
} raw_word;

static int raw_match(void *ctx, size_t at, size_t len, size_t *s, size_t *e, c12_err *err)
{
    raw_word *w = ctx;
    int r = pcre2_match(w->re, w->subject, len, at, 0, w->md, w->mc);
    if (r == PCRE2_ERROR_NOMATCH) return 0;
    if (r < 0) {
        if (r == PCRE2_ERROR_NOMEMORY) c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (regex)");
        else c12_fail(err, C12_ERR_INTERNAL, "tokenizer: regex match error %d", r);
        return -1;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(w->md);
    *s = ov[0], *e = ov[1];
    return 1;
}

c12_rc tok_raw_split(const tok_pre *p, int pass, const uint32_t *text, size_t ini, size_t end,
                     tok_lens *out, c12_err *err)
{
    raw_word w = {p->re[pass], NULL, p->mctx32, text + ini};
    w.md = pcre2_match_data_create(1, p->gctx32);
    if (!w.md) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (regex)");
    c12_rc rc = tok_split_matches(raw_match, &w, end - ini, out, err);
    pcre2_match_data_free(w.md);
    return rc;
}
