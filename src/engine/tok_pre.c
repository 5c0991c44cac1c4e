/* tok_pre.c - BPE pre-tokenizers (see tok_pre.h for the approach). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "tok_pre.h"
#include "tok_unicode.h"

/* collapsed text: the byte that stands for a non-ASCII code point */
enum { CB_OTHER = 0xD0, CB_NUMBER = 0xD1, CB_LETTER = 0xD2, CB_PUNCT = 0xD3, CB_MARK = 0xD4,
       CB_SYMBOL = 0xD5, CB_SPACE = 0x0B };

typedef struct pre_def {
    const char *names; /* '|'-separated */
    tok_pre_opts opts;
    int n;
    int kind[TOK_PRE_MAX_PASS];
    const char *re[TOK_PRE_MAX_PASS];
} pre_def;

/* deepseek's CJK run, as the reference writes it (U+0800..U+4E00 included) */
#define CJK_RUN "[\\x{4e00}-\\x{9fa5}\\x{800}-\\x{4e00}\\x{ac00}-\\x{d7ff}]+"
/* deepseek-llm's letters and punctuation, the reference's character lists
 * written as code points */
#define DEEPSEEK_LLM_LETTERS \
    "\\s?[A-Za-z\\x{b5}\\x{c0}-\\x{d6}\\x{d8}-\\x{f6}\\x{f8}-\\x{1ba}\\x{1bc}-\\x{1bf}" \
    "\\x{1c4}-\\x{293}\\x{295}-\\x{2af}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37b}-\\x{37d}" \
    "\\x{37f}\\x{386}\\x{388}-\\x{38a}\\x{38c}\\x{38e}-\\x{3a1}\\x{3a3}-\\x{3f5}\\x{3f7}-" \
    "\\x{481}\\x{48a}-\\x{52f}\\x{531}-\\x{556}\\x{10a0}-\\x{10c5}\\x{13a0}-\\x{13f5}" \
    "\\x{13f8}-\\x{13fd}\\x{1c90}-\\x{1cba}\\x{1cbd}-\\x{1cbf}\\x{1d00}-\\x{1d2b}" \
    "\\x{1d6b}-\\x{1d77}\\x{1d79}-\\x{1d9a}\\x{1e00}-\\x{1f15}\\x{1f18}-\\x{1f1d}" \
    "\\x{1f20}-\\x{1f45}\\x{1f48}-\\x{1f4d}\\x{1f50}-\\x{1f57}\\x{1f59}\\x{1f5b}\\x{1f5d}" \
    "\\x{1f5f}-\\x{1f7d}\\x{1f80}-\\x{1fb4}\\x{1fb6}-\\x{1fbc}\\x{1fbe}\\x{1fc2}-" \
    "\\x{1fc4}\\x{1fc6}-\\x{1fcc}\\x{1fd0}-\\x{1fd3}\\x{1fd6}-\\x{1fdb}\\x{1fe0}-" \
    "\\x{1fec}\\x{1ff2}-\\x{1ff4}\\x{1ff6}-\\x{1ffc}\\x{2102}\\x{2107}\\x{210a}-\\x{2113}" \
    "\\x{2115}\\x{2119}-\\x{211d}\\x{2124}\\x{2126}\\x{2128}\\x{212a}-\\x{212d}\\x{212f}-" \
    "\\x{2134}\\x{2139}\\x{213c}-\\x{213f}\\x{2145}-\\x{2149}\\x{214e}\\x{2183}\\x{2184}" \
    "\\x{2c00}-\\x{2c7b}\\x{2c7e}-\\x{2ce4}\\x{2ceb}-\\x{2cee}\\x{2cf2}\\x{2cf3}" \
    "\\x{a640}-\\x{a66d}\\x{a680}-\\x{a69b}\\x{a722}-\\x{a76f}\\x{a771}-\\x{a787}" \
    "\\x{a78b}-\\x{a78e}\\x{ab70}-\\x{abbf}\\x{fb00}-\\x{fb06}\\x{fb13}-\\x{fb17}" \
    "\\x{ff21}-\\x{ff3a}\\x{ff41}-\\x{ff5a}\\x{10400}-\\x{1044f}\\x{104b0}-\\x{104d3}" \
    "\\x{104d8}-\\x{104fb}\\x{10c80}-\\x{10cb2}\\x{10cc0}-\\x{10cf2}\\x{118a0}-\\x{118df}" \
    "\\x{1e900}-\\x{1e943}]+"
#define DEEPSEEK_LLM_PUNCT "\\s?[!-/:-~\\x{ff01}-\\x{ff0f}\\x{ff1a}-\\x{ff5e}\\x{2018}-\\x{201f}\\x{3000}-\\x{3002}]+"

#define R TOK_PASS_REGEX
#define W TOK_PASS_RAW

/* Which names share which passes follows the reference's table; names whose
 * other settings (extra separator tokens, normalizers) C12 lacks are left
 * out rather than half-supported. */
static const pre_def k_pre[] = {
    {"default", {0}, 4, {R, TOK_PASS_GPT2, R, R},
     {"[\\p{P}\\$\\+<=>\\^~\\|]+", NULL, "\\p{N}+", "[0-9][0-9][0-9]"}},
    {"gpt-2|phi-2|mpt|olmo|jais|trillion|granite-docling|exaone4|gigachat|mellum|a.x-4.0", {0}, 1,
     {TOK_PASS_GPT2}, {NULL}},
    {"starcoder|refact|command-r|smollm|codeshell|exaone|minerva-7b|mellum2", {0}, 2,
     {R, TOK_PASS_GPT2}, {"\\p{N}", NULL}},
    {"falcon", {0}, 3, {R, TOK_PASS_GPT2, R},
     {"[\\p{P}\\$\\+<=>\\^~\\|`]+", NULL, "[0-9][0-9][0-9]"}},
    {"qwen2|deepseek-r1-qwen|kormo|f2llmv2|megrez|stablelm2|hunyuan|solar-open", {0}, 1,
     {TOK_PASS_QWEN2}, {NULL}},
    {"qwen35", {0}, 1, {TOK_PASS_QWEN35}, {NULL}},
    {"llama3|llama-v3|llama-bpe|falcon3|falcon-h1|pixtral|midm-2.0|lfm2|jina-v5-nano",
     {.ignore_merges = 1, .add_bos = 1}, 1, {TOK_PASS_LLAMA3}, {NULL}},
    {"dbrx|smaug-bpe", {0}, 1, {TOK_PASS_LLAMA3}, {NULL}},
    {"deepseek-coder", {0}, 5, {W, R, R, W, R},
     {"[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", CJK_RUN, "\\p{N}"}},
    {"deepseek-llm", {0}, 6, {W, W, W, W, W, R},
     {"[\\r\\n]", DEEPSEEK_LLM_LETTERS, DEEPSEEK_LLM_PUNCT, "\\s+$", CJK_RUN, "\\p{N}+"}},
    {"gemma4|granite-embed-multi-311m", {.raw_utf8 = 1, .escape_spaces = 1, .newline_words = 1, .add_bos = 1, .bos_always = 1}, 1,
     {TOK_PASS_NEWLINES}, {NULL}},
};

static int name_in(const char *names, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = names; *p;) {
        const char *e = strchr(p, '|');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && !memcmp(p, name, n)) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

static void *pcre_alloc(size_t n, void *ud) { (void)ud; return c12_malloc(n); }
static void pcre_free(void *p, void *ud) { (void)ud; c12_free(p); }

/* Rewrite \p{N} \p{L} \p{P} \p{S} \p{M} (and \p{Lu} etc. as letters) into
 * classes over the collapsed bytes: the class byte plus the ASCII members. */
static int collapse_regex(const char *re, char *out, size_t cap)
{
    static const struct { const char *p; const char *cls; } cats[] = {
        {"\\p{N}", "\\xd10-9"}, {"\\p{L}", "\\xd2A-Za-z"},
        {"\\p{Lu}", "\\xd2A-Za-z"}, {"\\p{Ll}", "\\xd2A-Za-z"}, {"\\p{Lt}", "\\xd2A-Za-z"},
        {"\\p{Lm}", "\\xd2A-Za-z"}, {"\\p{Lo}", "\\xd2A-Za-z"},
        {"\\p{P}", "\\xd3!-#%-*,-/:;?@\\[-\\]_\\{\\}"}, {"\\p{M}", "\\xd4"},
        {"\\p{S}", "\\xd5\\$+<->\\^`\\|~"},
    };
    size_t o = 0;
    int inside = 0;
    for (size_t i = 0; re[i]; i++) {
        const char *add = NULL;
        char one[2] = {re[i], 0};
        size_t skip = 0;
        if (re[i] == '[' && (i == 0 || re[i - 1] != '\\')) inside = 1;
        else if (inside && re[i] == ']' && re[i - 1] != '\\') inside = 0;
        else if (re[i] == '\\' && re[i + 1] == 'p' && re[i + 2] == '{') {
            for (size_t c = 0; c < sizeof cats / sizeof cats[0]; c++) {
                size_t k = strlen(cats[c].p);
                if (!strncmp(re + i, cats[c].p, k)) {
                    add = cats[c].cls;
                    skip = k - 1;
                    break;
                }
            }
            if (!add) return -1; /* a category the collapsed text cannot express */
        }
        if (add) {
            size_t k = strlen(add);
            if (o + k + 3 >= cap) return -1;
            if (!inside) out[o++] = '[';
            memcpy(out + o, add, k);
            o += k;
            if (!inside) out[o++] = ']';
            i += skip;
        } else {
            if (o + 2 >= cap) return -1;
            out[o++] = one[0];
        }
    }
    out[o] = 0;
    return 0;
}

static c12_rc compile_collapsed(tok_pre *p, int i, const char *re, pcre2_compile_context *cctx,
                                c12_err *err)
{
    char pat[512];
    if (collapse_regex(re, pat, sizeof pat))
        return c12_fail(err, C12_ERR_INTERNAL, "tokenizer: cannot collapse regex '%s'", re);
    int ec;
    PCRE2_SIZE eo;
    /* byte mode on purpose: the collapsed text is not UTF-8 */
    p->re[i] = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_DOLLAR_ENDONLY, &ec,
                             &eo, cctx);
    if (p->re[i]) return C12_OK;
    /* compile error 121 is "failed to allocate heap memory" (no name for it
     * in pcre2.h) */
    return ec == 121 || ec == PCRE2_ERROR_NOMEMORY
               ? c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (regex)")
               : c12_fail(err, C12_ERR_INTERNAL, "tokenizer: regex '%s' error %d at %zu", pat, ec,
                          (size_t)eo);
}

c12_rc tok_pre_init(tok_pre *p, const char *name, tok_pre_opts *opts, c12_err *err)
{
    memset(p, 0, sizeof *p);
    const pre_def *d = NULL;
    if (!name || !*name) name = "default";
    for (size_t i = 0; i < sizeof k_pre / sizeof k_pre[0] && !d; i++)
        if (name_in(k_pre[i].names, name)) d = &k_pre[i];
    if (!d)
        return c12_fail(err, C12_ERR_UNSUPPORTED, "tokenizer: pre-tokenizer '%s' is not supported",
                        name);
    p->gctx = pcre2_general_context_create(pcre_alloc, pcre_free, NULL);
    if (!p->gctx) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (pcre2 context)");
    pcre2_compile_context *cctx = pcre2_compile_context_create(p->gctx);
    p->mctx = pcre2_match_context_create(p->gctx);
    if (!cctx || !p->mctx) {
        if (cctx) pcre2_compile_context_free(cctx);
        tok_pre_free(p);
        return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (pcre2 context)");
    }
    c12_rc rc = C12_OK;
    for (int i = 0; i < d->n && !rc; i++) {
        p->kind[i] = d->kind[i];
        p->n_pass = i + 1;
        if (d->kind[i] == TOK_PASS_REGEX) rc = compile_collapsed(p, i, d->re[i], cctx, err);
        else if (d->kind[i] == TOK_PASS_RAW) rc = tok_raw_compile(p, i, d->re[i], err);
    }
    pcre2_compile_context_free(cctx);
    if (rc) {
        tok_pre_free(p);
        return rc;
    }
    *opts = d->opts;
    return C12_OK;
}

void tok_pre_free(tok_pre *p)
{
    for (int i = 0; i < TOK_PRE_MAX_PASS; i++)
        if (p->re[i] && p->kind[i] == TOK_PASS_REGEX) pcre2_code_free(p->re[i]);
    tok_raw_free(p); /* the 32-bit passes and contexts */
    if (p->mctx) pcre2_match_context_free(p->mctx);
    if (p->gctx) pcre2_general_context_free(p->gctx);
    memset(p, 0, sizeof *p);
}

void tok_lens_free(tok_lens *l)
{
    c12_free(l->v);
    memset(l, 0, sizeof *l);
}

c12_rc tok_lens_push(tok_lens *l, size_t v, c12_err *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        size_t *nv = c12_realloc(l->v, cap * sizeof *nv);
        if (!nv) return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (words)");
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = v;
    return C12_OK;
}

c12_rc tok_split_matches(tok_match_fn match, void *ctx, size_t len, tok_lens *out, c12_err *err)
{
    size_t at = 0, last = 0, s, e;
    c12_rc rc = C12_OK;
    while (at <= len && !rc) {
        int r = match(ctx, at, len, &s, &e, err);
        if (r < 0) return err->rc;
        if (r == 0) break;
        if (e == s) {
            at = s + 1;
            continue;
        }
        if (s > last) rc = tok_lens_push(out, s - last, err);
        if (!rc) rc = tok_lens_push(out, e - s, err);
        last = at = e;
    }
    if (!rc && last < len) rc = tok_lens_push(out, len - last, err);
    return rc;
}

/* A collapsed pass's word: the subject is coll[ini, ini + len). */
typedef struct coll_word {
    const pcre2_code *re;
    pcre2_match_data *md;
    pcre2_match_context *mc;
    const uint8_t *subject;
} coll_word;

static int coll_match(void *ctx, size_t at, size_t len, size_t *s, size_t *e, c12_err *err)
{
    coll_word *w = ctx;
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

static uint8_t collapse(uint32_t cp, uint8_t fl, int cls)
{
    if (cp < 0x80) return (uint8_t)cp;
    if (fl & TOK_F_SPACE) return CB_SPACE;
    switch (cls) {
    case TOK_UC_NUMBER: return CB_NUMBER;
    case TOK_UC_LETTER: return CB_LETTER;
    case TOK_UC_PUNCT: return CB_PUNCT;
    case TOK_UC_MARK: return CB_MARK;
    case TOK_UC_SYMBOL: return CB_SYMBOL;
    default: return CB_OTHER;
    }
}

/* The texts the passes read besides the code points: the collapsed bytes and
 * the code points with non-ASCII spaces as \v, each only when a pass needs it. */
typedef struct pre_texts {
    uint8_t *coll;
    uint32_t *raw;
} pre_texts;

static c12_rc texts_fill(const tok_pre *p, const uint32_t *cp, size_t n, uint8_t *fl, pre_texts *t,
                         c12_err *err)
{
    int need_coll = 0, need_raw = 0;
    for (int i = 0; i < p->n_pass; i++) {
        need_coll |= p->kind[i] == TOK_PASS_REGEX;
        need_raw |= p->kind[i] == TOK_PASS_RAW;
    }
    if ((need_coll && !(t->coll = c12_malloc(n))) ||
        (need_raw && !(t->raw = c12_malloc(n * sizeof *t->raw))))
        return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (pre-tokenizer)");
    for (size_t i = 0; i < n; i++) {
        int cls = tok_uc_class(cp[i]);
        uint8_t f = TOK_F_IN;
        if (cls == TOK_UC_LETTER) f |= TOK_F_LETTER;
        if (cls == TOK_UC_NUMBER) f |= TOK_F_NUMBER;
        if (cls == TOK_UC_MARK) f |= TOK_F_MARK;
        if (tok_uc_is_space(cp[i])) f |= TOK_F_SPACE;
        fl[i] = f;
        if (t->coll) t->coll[i] = collapse(cp[i], f, cls);
        if (t->raw) t->raw[i] = cp[i] >= 0x80 && (f & TOK_F_SPACE) ? 0x0B : cp[i];
    }
    return C12_OK;
}

static c12_rc split_word(const tok_pre *p, int pi, const uint32_t *cp, const uint8_t *fl,
                         const pre_texts *t, pcre2_match_data **md, size_t start, size_t end,
                         tok_lens *out, c12_err *err)
{
    switch (p->kind[pi]) {
    case TOK_PASS_REGEX: {
        if (!*md && !(*md = pcre2_match_data_create_from_pattern(p->re[pi], p->gctx)))
            return c12_fail(err, C12_ERR_NOMEM, "tokenizer: out of memory (regex)");
        coll_word w = {p->re[pi], *md, p->mctx, t->coll + start};
        return tok_split_matches(coll_match, &w, end - start, out, err);
    }
    case TOK_PASS_RAW: return tok_raw_split(p, pi, t->raw, start, end, out, err);
    default: {
        tok_scan s = {cp, fl, start, end, start, out, err, C12_OK};
        if (p->kind[pi] == TOK_PASS_GPT2) tok_scan_gpt2(&s);
        else if (p->kind[pi] == TOK_PASS_NEWLINES) tok_scan_newlines(&s);
        else tok_scan_llama3(&s, p->kind[pi]);
        return s.rc;
    }
    }
}

c12_rc tok_pre_split(const tok_pre *p, const uint32_t *cp, size_t n, uint8_t *fl, tok_lens *out,
                     tok_lens *tmp, c12_err *err)
{
    out->n = 0;
    if (!n) return C12_OK;
    pre_texts t = {0};
    pcre2_match_data *md = NULL; /* every collapsed pattern has one group: one suffices */
    c12_rc rc = texts_fill(p, cp, n, fl, &t, err);
    if (!rc) rc = tok_lens_push(out, n, err);
    for (int pi = 0; pi < p->n_pass && !rc; pi++) {
        tok_lens in = *out;
        *out = *tmp;
        out->n = 0;
        size_t start = 0;
        for (size_t w = 0; w < in.n && !rc; w++) {
            size_t end = start + in.v[w];
            rc = split_word(p, pi, cp, fl, &t, &md, start, end, out, err);
            start = end;
        }
        *tmp = in;
    }
    if (md) pcre2_match_data_free(md);
    c12_free(t.coll);
    c12_free(t.raw);
    return rc;
}
