/* Unit tests for the GGUF reader: a small file built in memory, every
 * truncation of it, corrupted lengths, and the allocation-failure loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "engine/gguf.h"

typedef struct wbuf {
    uint8_t d[4096];
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

/* A v3 file: 4 keys (string, u32, f32, string array) and one F32[8] tensor. */
static size_t build(wbuf *w)
{
    memset(w, 0, sizeof *w);
    put(w, "GGUF", 4);
    u32(w, 3);
    u64(w, 1); /* tensors */
    u64(w, 4); /* keys */
    str(w, "general.architecture"); u32(w, GGUF_T_STRING); str(w, "llama");
    str(w, "llama.block_count"); u32(w, GGUF_T_UINT32); u32(w, 30);
    str(w, "llama.rope.freq_base"); u32(w, GGUF_T_FLOAT32);
    float f = 100000.0f;
    put(w, &f, 4);
    str(w, "tokenizer.ggml.tokens"); u32(w, GGUF_T_ARRAY); u32(w, GGUF_T_STRING); u64(w, 3);
    str(w, "a"); str(w, "bc"); str(w, "<s>");
    str(w, "output_norm.weight"); u32(w, 1); u64(w, 8); u32(w, 0 /* F32 */); u64(w, 0);
    while (w->n % 32) w->d[w->n++] = 0;
    for (int i = 0; i < 8; i++) {
        float x = (float)i;
        put(w, &x, 4);
    }
    return w->n;
}

static void test_parses_metadata_and_tensors(void **state)
{
    (void)state;
    wbuf w;
    size_t n = build(&w);
    gguf_file *f = NULL;
    c12_err e;
    assert_int_equal(gguf_parse(w.d, n, &f, &e), C12_OK);
    char arch[16];
    assert_int_equal(gguf_get_cstr(f, "general.architecture", arch, sizeof arch, &e), C12_OK);
    assert_string_equal(arch, "llama");
    uint64_t bc = 0;
    assert_int_equal(gguf_get_u64(f, "llama.block_count", &bc, &e), C12_OK);
    assert_int_equal(bc, 30);
    double base = 0;
    assert_int_equal(gguf_get_f64(f, "llama.rope.freq_base", &base, &e), C12_OK);
    assert_true(base == 100000.0);
    const gguf_kv *toks = gguf_find(f, "tokenizer.ggml.tokens");
    assert_non_null(toks);
    assert_int_equal(toks->arr_n, 3);
    assert_true(gguf_str_eq(toks->strs[2], "<s>"));
    assert_int_equal(gguf_get_u64(f, "missing.key", &bc, &e), C12_ERR_NOT_FOUND);
    assert_int_equal(gguf_get_u64(f, "general.architecture", &bc, &e), C12_ERR_FORMAT);
    const gguf_tensor *t = gguf_tensor_find(f, "output_norm.weight");
    assert_non_null(t);
    assert_int_equal(t->nbytes, 32);
    assert_true(((const float *)t->data)[7] == 7.0f);
    gguf_close(f);
}

static void test_every_truncation_is_an_error(void **state)
{
    (void)state;
    wbuf w;
    size_t n = build(&w);
    for (size_t cut = 0; cut < n; cut++) {
        gguf_file *f = NULL;
        c12_err e;
        c12_err_clear(&e);
        c12_rc rc = gguf_parse(w.d, cut, &f, &e);
        assert_int_not_equal(rc, C12_OK);
        assert_null(f);
        assert_true(strlen(e.msg) > 0);
    }
}

static void test_corrupt_fields_are_named(void **state)
{
    (void)state;
    wbuf w;
    size_t n = build(&w);
    c12_err e;
    gguf_file *f = NULL;
    uint8_t bad[4096];
    memcpy(bad, w.d, n);
    uint64_t huge = UINT64_MAX / 2;
    memcpy(bad + 24, &huge, 8); /* first key's length */
    assert_int_equal(gguf_parse(bad, n, &f, &e), C12_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "past the end"));
    memcpy(bad, w.d, n);
    bad[0] = 'X';
    assert_int_equal(gguf_parse(bad, n, &f, &e), C12_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "magic"));
    memcpy(bad, w.d, n);
    uint32_t v9 = 9;
    memcpy(bad + 4, &v9, 4);
    assert_int_equal(gguf_parse(bad, n, &f, &e), C12_ERR_UNSUPPORTED);
    memcpy(bad, w.d, n);
    uint64_t many = 1ull << 40;
    memcpy(bad + 16, &many, 8); /* n_kv */
    assert_int_equal(gguf_parse(bad, n, &f, &e), C12_ERR_FORMAT);
}

static void test_oom_loop(void **state)
{
    (void)state;
    wbuf w;
    size_t n = build(&w);
    for (unsigned long k = 1; k < 16; k++) {
        c12_alloc_fail_at(k, 1);
        gguf_file *f = NULL;
        c12_err e;
        c12_rc rc = gguf_parse(w.d, n, &f, &e);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        if (!injected) {
            assert_int_equal(rc, C12_OK);
            gguf_close(f);
            break;
        }
        assert_int_equal(rc, C12_ERR_NOMEM);
        assert_null(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parses_metadata_and_tensors),
        cmocka_unit_test(test_every_truncation_is_an_error),
        cmocka_unit_test(test_corrupt_fields_are_named),
        cmocka_unit_test(test_oom_loop),
    };
    return cmocka_run_group_tests_name("gguf", tests, NULL, NULL);
}
