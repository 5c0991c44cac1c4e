/* Unit tests for token -> text: c12_tok_piece, the streaming detokenizer's
 * UTF-8 handling (characters split across byte tokens, invalid bytes,
 * flushing, small buffers), and the Unicode helpers under the tokenizer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "engine/tok_unicode.h"
#include "tok_fixture.h"

/* SPM vocab: byte tokens are 3 + byte; 259 = "▁hi", 260 = "<ctl>" control,
 * 261 = "<ud>" user-defined, 262 = "x" */
static c12_tok *spm(void)
{
    static const fix_tok extra[] = {{"\xe2\x96\x81hi", 0, -1}, {"<ctl>", C12_TOKTYPE_CONTROL, 0},
                                    {"<ud>", C12_TOKTYPE_USER_DEFINED, 0}, {"x", 0, -2}};
    fixture f;
    spm_vocab(&f, extra, 4);
    c12_tok *t = NULL;
    c12_err err;
    assert_int_equal(c12_tok_build(&f.p, &t, &err), C12_OK);
    return t;
}

#define B(x) (3 + (x)) /* the id of byte token <0xXX> */

static void test_piece(void **state)
{
    (void)state;
    c12_tok *t = spm();
    char buf[64];
    assert_int_equal(c12_tok_piece(t, 259, 0, buf, sizeof buf), 3);
    assert_memory_equal(buf, " hi", 3);
    assert_int_equal(c12_tok_piece(t, 260, 0, buf, sizeof buf), 0); /* control: hidden */
    assert_int_equal(c12_tok_piece(t, 260, 1, buf, sizeof buf), 5);
    assert_memory_equal(buf, "<ctl>", 5);
    assert_int_equal(c12_tok_piece(t, 261, 0, buf, sizeof buf), 4); /* user-defined: shown */
    assert_int_equal(c12_tok_piece(t, B(0xE4), 0, buf, sizeof buf), 1);
    assert_int_equal((uint8_t)buf[0], 0xE4);
    /* snprintf-like: the full length back, at most cap bytes written */
    memset(buf, '#', sizeof buf);
    assert_int_equal(c12_tok_piece(t, 259, 0, buf, 2), 3);
    assert_int_equal(buf[2], '#');
    assert_int_equal(c12_tok_piece(t, -1, 1, buf, sizeof buf), 0);
    assert_int_equal(c12_tok_piece(t, 99999, 1, buf, sizeof buf), 0);
    assert_int_equal(c12_tok_type(t, 260), C12_TOKTYPE_CONTROL);
    assert_int_equal(c12_tok_type(t, B(0)), C12_TOKTYPE_BYTE);
    size_t n;
    const char *s = c12_tok_text(t, 262, &n);
    assert_int_equal(n, 1);
    assert_int_equal(s[0], 'x');
    c12_tok_free(t);

    /* byte-level BPE: "Ġ" is the space byte */
    static const fix_tok bx[] = {{"\xc4\xa0hi", 0, 0}};
    fixture f;
    bpe_vocab(&f, "gpt-2", bx, 1, NULL, 0);
    c12_err err;
    assert_int_equal(c12_tok_build(&f.p, &t, &err), C12_OK);
    assert_int_equal(c12_tok_piece(t, 256, 0, buf, sizeof buf), 3);
    assert_memory_equal(buf, " hi", 3);
    assert_int_equal(c12_tok_piece(t, 0xE4, 0, buf, sizeof buf), 1); /* a lone byte */
    assert_int_equal((uint8_t)buf[0], 0xE4);
    c12_tok_free(t);
}

/* Push ids, concatenating outputs; "|" marks where each push's output ends. */
static void stream(const c12_tok *t, const int32_t *ids, size_t n, int flush, char *out, size_t cap)
{
    c12_detok d;
    c12_detok_init(&d, t);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        o += c12_detok_push(&d, ids[i], out + o, cap - o);
        out[o++] = '|';
    }
    if (flush) o += c12_detok_flush(&d, out + o, cap - o);
    out[o] = 0;
}

static void test_detok_utf8_split(void **state)
{
    (void)state;
    c12_tok *t = spm();
    char out[256];
    /* 中 = E4 B8 AD arrives in three byte tokens: held until whole */
    const int32_t zh[] = {259, B(0xE4), B(0xB8), B(0xAD), 262};
    stream(t, zh, 5, 1, out, sizeof out);
    assert_string_equal(out, " hi|||\xe4\xb8\xad|x|");
    /* a 4-byte emoji, byte by byte */
    const int32_t em[] = {B(0xF0), B(0x9F), B(0x98), B(0x80)};
    stream(t, em, 4, 1, out, sizeof out);
    assert_string_equal(out, "|||\xf0\x9f\x98\x80|");
    /* a character cut short by another token: U+FFFD, then the token */
    const int32_t cut[] = {B(0xE4), B(0xB8), 262};
    stream(t, cut, 3, 1, out, sizeof out);
    assert_string_equal(out, "||\xef\xbf\xbdx|");
    /* a byte that can never start a character */
    const int32_t bad[] = {B(0xFF), B(0x80), 262};
    stream(t, bad, 3, 1, out, sizeof out);
    assert_string_equal(out, "\xef\xbf\xbd|\xef\xbf\xbd|x|");
    /* held bytes at the end: the flush turns them into one U+FFFD */
    const int32_t tail[] = {262, B(0xE4), B(0xB8)};
    stream(t, tail, 3, 1, out, sizeof out);
    assert_string_equal(out, "x|||\xef\xbf\xbd");
    /* surrogates and overlongs are invalid in output: ED is held (it may
     * start a character) until A0 shows it cannot */
    const int32_t sur[] = {B(0xED), B(0xA0), B(0x80), B(0xC0), B(0xAF)};
    stream(t, sur, 5, 1, out, sizeof out);
    assert_string_equal(out, "|\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|");
    /* control tokens say nothing, and do not disturb a held character */
    const int32_t ctl[] = {B(0xE4), 260, B(0xB8), B(0xAD)};
    stream(t, ctl, 4, 1, out, sizeof out);
    assert_string_equal(out, "|||\xe4\xb8\xad|");
    c12_tok_free(t);
}

static void test_detok_small_buffer(void **state)
{
    (void)state;
    c12_tok *t = spm();
    assert_true(c12_detok_min_cap(t) >= 12);
    assert_true(c12_detok_min_cap(t) <= 256);
    c12_detok d;
    c12_detok_init(&d, t);
    char out[8];
    /* " hi" does not fit in 2 bytes: cut at a character boundary */
    assert_int_equal(c12_detok_push(&d, 259, out, 2), 2);
    assert_memory_equal(out, " h", 2);
    /* a 3-byte character never goes out in part */
    c12_detok_push(&d, B(0xE4), out, sizeof out);
    c12_detok_push(&d, B(0xB8), out, sizeof out);
    assert_int_equal(c12_detok_push(&d, B(0xAD), out, 2), 0);
    assert_int_equal(c12_detok_flush(&d, out, sizeof out), 0);
    c12_tok_free(t);
}

static void test_detok_valid_stream_roundtrip(void **state)
{
    (void)state;
    /* any valid UTF-8 text sent as byte tokens comes out unchanged */
    c12_tok *t = spm();
    const char *text = "a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80z\xe2\x82\xac";
    size_t n = strlen(text), o = 0;
    char out[128];
    c12_detok d;
    c12_detok_init(&d, t);
    for (size_t i = 0; i < n; i++) {
        size_t k = c12_detok_push(&d, B((uint8_t)text[i]), out + o, sizeof out - o);
        /* every push's output is whole characters */
        for (size_t j = 0; j < k;) {
            int c = c12_utf8_check((const uint8_t *)out + o + j, k - j);
            assert_true(c > 0);
            j += (size_t)c;
        }
        o += k;
    }
    o += c12_detok_flush(&d, out + o, sizeof out - o);
    assert_int_equal(o, n);
    assert_memory_equal(out, text, n);
    c12_tok_free(t);
}

static void test_unicode_helpers(void **state)
{
    (void)state;
    assert_int_equal(tok_uc_class('a'), TOK_UC_LETTER);
    assert_int_equal(tok_uc_class('7'), TOK_UC_NUMBER);
    assert_int_equal(tok_uc_class('!'), TOK_UC_PUNCT);
    assert_int_equal(tok_uc_class('$'), TOK_UC_SYMBOL);
    assert_int_equal(tok_uc_class(0x0301), TOK_UC_MARK);
    assert_int_equal(tok_uc_class(0x00B2), TOK_UC_NUMBER);   /* superscript two */
    assert_int_equal(tok_uc_class(0x0378), TOK_UC_UNDEF);    /* unassigned */
    assert_int_equal(tok_uc_class(0x31350), TOK_UC_LETTER);  /* CJK Ext. H, Unicode 15.0 */
    assert_int_equal(tok_uc_class(0x2EBF0), TOK_UC_LETTER);  /* CJK Ext. I, Unicode 15.1 */
    assert_int_equal(tok_uc_class(0x1FAE8), TOK_UC_SYMBOL);  /* emoji new in 15.0 */
    assert_int_equal(tok_uc_class(0x180E), TOK_UC_CONTROL);  /* Cf, not a space */
    assert_int_equal(tok_uc_class(0xE000), TOK_UC_CONTROL);  /* private use */
    assert_int_equal(tok_uc_class(0x10FFFF), TOK_UC_UNDEF);
    assert_int_equal(tok_uc_class(0x110000), TOK_UC_UNDEF);
    assert_true(tok_uc_is_space(0x3000) && tok_uc_is_space(0x85) && tok_uc_is_space(0x0B));
    assert_false(tok_uc_is_space(0x180E) || tok_uc_is_space(0x200B) || tok_uc_is_space(0x1C));

    uint32_t cp;
    assert_int_equal(tok_utf8_decode((const uint8_t *)"\xe4\xb8\xad", 3, &cp), 3);
    assert_int_equal(cp, 0x4E2D);
    assert_int_equal(tok_utf8_decode((const uint8_t *)"\xe4\xb8", 2, &cp), 1); /* cut short */
    assert_int_equal(cp, TOK_CP_REPLACEMENT);
    assert_int_equal(tok_utf8_decode((const uint8_t *)"\x80", 1, &cp), 1);
    assert_int_equal(cp, TOK_CP_REPLACEMENT);
    assert_int_equal(tok_utf8_decode((const uint8_t *)"\xc0\x80", 2, &cp), 2); /* overlong: lenient */
    assert_int_equal(cp, 0);
    assert_int_equal(tok_utf8_decode((const uint8_t *)"\xf7\xbf\xbf\xbf", 4, &cp), 1);
    assert_int_equal(cp, TOK_CP_REPLACEMENT);

    assert_int_equal(c12_utf8_check((const uint8_t *)"\xe4\xb8\xad", 3), 3);
    assert_int_equal(c12_utf8_check((const uint8_t *)"\xe4\xb8", 2), 0);
    assert_int_equal(c12_utf8_check((const uint8_t *)"\xe4" "a", 2), -1);
    assert_int_equal(c12_utf8_check((const uint8_t *)"\xe0\x80", 2), -1);      /* overlong */
    assert_int_equal(c12_utf8_check((const uint8_t *)"\xf4\x90", 2), -1);      /* > U+10FFFF */
    assert_int_equal(c12_utf8_check((const uint8_t *)"\xf0\x9f\x98" "a", 4), -3);

    char u[4];
    for (uint32_t c = 0; c < 0x110000; c += 0x3FF) {
        size_t k = tok_utf8_encode(c, u);
        assert_int_equal(tok_utf8_decode((const uint8_t *)u, k, &cp), k);
        assert_int_equal(cp, c);
    }
    for (int b = 0; b < 256; b++) assert_int_equal(tok_cp_to_byte(tok_byte_to_cp((uint8_t)b)), b);
    assert_int_equal(tok_byte_to_cp(' '), 0x120); /* "Ġ" */
    assert_int_equal(tok_byte_to_cp('\n'), 0x10A); /* "Ċ" */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_piece),
        cmocka_unit_test(test_detok_utf8_split),
        cmocka_unit_test(test_detok_small_buffer),
        cmocka_unit_test(test_detok_valid_stream_roundtrip),
        cmocka_unit_test(test_unicode_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
