/* The response cache: LRU eviction by count and by bytes, the time to live
 * on an injected clock, a model's file changing, the key's canonical form
 * (the same request the same key; any parameter, the input, the endpoint,
 * the model or the API key changed: another key; shared: keys alike), and
 * every allocation failing in turn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/c12_alloc.h"
#include "cache/cache.h"

static int64_t fake_now(void *ud) { return *(int64_t *)ud; }

static c12_cache *cache(int max_entries, uint64_t max_bytes, double ttl_s)
{
    c12_cache_cfg cfg;
    c12_cache_cfg_defaults(&cfg);
    cfg.max_entries = max_entries, cfg.max_bytes = max_bytes, cfg.ttl_s = ttl_s;
    c12_cache *c = NULL;
    c12_err err;
    assert_int_equal(c12_cache_new(&cfg, &c, &err), C12_OK);
    return c;
}

static void put(c12_cache *c, const char *key, const char *text, uint64_t file_id)
{
    c12_cache_value v = {.text = (char *)text, .len = strlen(text), .finish = C12_FINISH_LENGTH, .n_prompt = 7,
                         .n_completion = 3, .energy_j = 2.5, .co2_g = 0.001};
    c12_err err;
    assert_int_equal(c12_cache_put(c, key, "m", file_id, &v, &err), C12_OK);
}

/* 1: the entry is there with text `want`; 0: it is not. */
static int has(c12_cache *c, const char *key, const char *want, uint64_t file_id)
{
    c12_cache_value v;
    c12_err err;
    c12_rc rc = c12_cache_get(c, key, "m", file_id, &v, &err);
    if (rc == C12_ERR_NOT_FOUND) return 0;
    assert_int_equal(rc, C12_OK);
    assert_string_equal(v.text, want);
    assert_int_equal(v.len, strlen(want));
    assert_int_equal(v.finish, C12_FINISH_LENGTH);
    assert_int_equal(v.n_prompt, 7);
    assert_true(v.energy_j == 2.5);
    c12_cache_value_free(&v);
    return 1;
}

static char *key_of(int i, char buf[C12_CACHE_KEY_HEX])
{
    snprintf(buf, C12_CACHE_KEY_HEX, "%064x", (unsigned)i * 2654435761u);
    return buf;
}

static void test_evict_by_count(void **state)
{
    c12_cache *c = cache(3, 1 << 20, 0);
    char k[4][C12_CACHE_KEY_HEX];
    for (int i = 0; i < 3; i++) put(c, key_of(i, k[i]), "x", 1);
    assert_true(has(c, k[0], "x", 1)); /* 0 is now the most recent: 1 goes next */
    put(c, key_of(3, k[3]), "y", 1);
    assert_false(has(c, k[1], "x", 1));
    assert_true(has(c, k[0], "x", 1) && has(c, k[2], "x", 1) && has(c, k[3], "y", 1));
    c12_cache_stats st;
    c12_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.bytes, 3);
    put(c, k[3], "zz", 1); /* replaced, not added */
    c12_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.bytes, 4);
    c12_cache_free(c);
}

static void test_evict_by_bytes(void **state)
{
    c12_cache *c = cache(100, 10, 0);
    char k[3][C12_CACHE_KEY_HEX];
    put(c, key_of(0, k[0]), "aaaa", 1);
    put(c, key_of(1, k[1]), "bbbb", 1);
    put(c, key_of(2, k[2]), "cccc", 1); /* 12 bytes > 10: the oldest goes */
    assert_false(has(c, k[0], "aaaa", 1));
    assert_true(has(c, k[1], "bbbb", 1) && has(c, k[2], "cccc", 1));
    c12_cache_value big = {.text = "0123456789a", .len = 11};
    c12_err err;
    assert_int_equal(c12_cache_put(c, k[0], "m", 1, &big, &err), C12_ERR_RANGE);
    c12_cache_stats st;
    c12_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.bytes, 8);
    c12_cache_free(c);
}

static void test_ttl(void **state)
{
    int64_t now = 1000;
    c12_cache *c = cache(10, 1 << 20, 60);
    c12_cache_set_clock(c, fake_now, &now);
    char k[C12_CACHE_KEY_HEX];
    put(c, key_of(1, k), "t", 1);
    now += 59999;
    assert_true(has(c, k, "t", 1));
    now += 1;
    assert_false(has(c, k, "t", 1));
    c12_cache_stats st;
    c12_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 0);
    c12_cache_free(c);
}

static void test_model_file_changed(void **state)
{
    c12_cache *c = cache(10, 1 << 20, 0);
    char k[3][C12_CACHE_KEY_HEX];
    put(c, key_of(0, k[0]), "a", 1);
    put(c, key_of(1, k[1]), "b", 1);
    assert_false(has(c, k[0], "a", 2)); /* the file changed: every entry of m goes */
    c12_cache_stats st;
    c12_cache_get_stats(c, &st);
    assert_int_equal(st.entries, 0);
    put(c, key_of(2, k[2]), "c", 2);
    assert_int_equal(c12_cache_drop_model(c, "m"), 1);
    assert_int_not_equal(c12_cache_file_id("tests/cache/test_cache.c"), 0);
    assert_int_equal(c12_cache_file_id("/nonexistent/c12"), 0);
    c12_cache_free(c);
}

static const c12_chat_msg MSGS[] = {{.role = "system", .content = "Be brief."}, {.role = "user", .content = "Hi"}};
static const char *const STOPS[] = {"\n", NULL};

static void base_req(c12_cache_req *r, c12_gen_params *g)
{
    *g = (c12_gen_params){.max_tokens = 16, .sampling = c12_sampling_default()};
    g->sampling.temperature = 0;
    *r = (c12_cache_req){.endpoint = 0, .model = "m", .messages = MSGS, .n_messages = 2, .gen = g,
                         .api_key = "key:aaaa"};
}

static void key(const c12_cache_req *r, int shared, char out[C12_CACHE_KEY_HEX])
{
    c12_err err;
    assert_int_equal(c12_cache_key(r, shared, out, &err), C12_OK);
    assert_int_equal(strlen(out), 64);
}

typedef void (*change_fn)(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m);
static void ch_model(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m) { r->model = "m2"; }
static void ch_endpoint(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m) { r->endpoint = 1, r->prompt = "Hi"; }
static void ch_key(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m) { r->api_key = "key:bbbb"; }
static void ch_temp(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m) { g->sampling.temperature = 0.5f; }
static void ch_top_p(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m) { g->sampling.top_p = 0.9f; }
static void ch_pres(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m) { g->sampling.presence_penalty = 0.1f; }
static void ch_freq(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m) { g->sampling.frequency_penalty = 0.1f; }
static void ch_max(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m) { g->max_tokens = 17; }
static void ch_stop(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m) { g->stop = STOPS; }
static void ch_eos(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m) { g->ignore_eos = 1; }
static void ch_role(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m) { m[0].role = "user"; }
static void ch_text(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m) { m[1].content = "Hi!"; }
/* "Be brief." + "Hi" against "Be brief.Hi" + "": no running together */
static void ch_split(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m)
{
    m[0].content = "Be brief.Hi", m[1].content = "";
}

static void ch_format(c12_cache_req *r, c12_gen_params *g, c12_chat_msg *m)
{
    r->response_format = "{\"type\":\"json_object\"}";
}

static void test_key_canonical(void **state)
{
    static const change_fn CHANGES[] = {ch_model, ch_endpoint, ch_key, ch_temp, ch_top_p, ch_pres, ch_freq,
                                        ch_max, ch_stop, ch_eos, ch_role, ch_text, ch_split, ch_format};
    c12_cache_req r;
    c12_gen_params g;
    char k0[C12_CACHE_KEY_HEX], k1[C12_CACHE_KEY_HEX];
    base_req(&r, &g);
    key(&r, 0, k0);
    key(&r, 0, k1);
    assert_string_equal(k0, k1);
    for (size_t i = 0; i < sizeof CHANGES / sizeof CHANGES[0]; i++) {
        c12_chat_msg m[2] = {MSGS[0], MSGS[1]};
        base_req(&r, &g);
        r.messages = m;
        CHANGES[i](&r, &g, m);
        key(&r, 0, k1);
        if (!strcmp(k0, k1)) fail_msg("change %zu gives the same key", i);
    }
    /* greedy: the seed changes nothing; sampled with a seed: it does */
    base_req(&r, &g);
    g.sampling.seed = 42, r.has_seed = 1;
    key(&r, 0, k1);
    assert_string_equal(k0, k1);
    g.sampling.temperature = 0.7f;
    key(&r, 0, k0);
    g.sampling.seed = 43;
    key(&r, 0, k1);
    assert_string_not_equal(k0, k1);
}

static void test_key_shared(void **state)
{
    c12_cache_req r;
    c12_gen_params g;
    char a[C12_CACHE_KEY_HEX], b[C12_CACHE_KEY_HEX];
    base_req(&r, &g);
    key(&r, 1, a);
    r.api_key = "key:bbbb";
    key(&r, 1, b);
    assert_string_equal(a, b);
    key(&r, 0, b);
    assert_string_not_equal(a, b);
}

static void test_deterministic(void **state)
{
    c12_sampling s = c12_sampling_default();
    s.temperature = 0;
    assert_true(c12_cache_deterministic(&s, 0));
    s.temperature = 0.7f;
    assert_false(c12_cache_deterministic(&s, 0));
    assert_true(c12_cache_deterministic(&s, 1));
}

/* Every allocation of new, put, get and key fails in turn: NOMEM, no leak. */
static int oom_round(void)
{
    c12_cache_cfg cfg;
    c12_cache_cfg_defaults(&cfg);
    c12_cache *c = NULL;
    c12_err err;
    if (c12_cache_new(&cfg, &c, &err)) return 0;
    c12_cache_value v = {.text = "abc", .len = 3}, out;
    char k[C12_CACHE_KEY_HEX];
    c12_cache_req r;
    c12_gen_params g;
    base_req(&r, &g);
    int ok = c12_cache_key(&r, 0, k, &err) == C12_OK && c12_cache_put(c, k, "m", 1, &v, &err) == C12_OK &&
             c12_cache_get(c, k, "m", 1, &out, &err) == C12_OK;
    if (ok) assert_string_equal(out.text, "abc"), c12_cache_value_free(&out);
    c12_cache_free(c);
    return ok;
}

static void test_oom(void **state)
{
    c12_alloc_fail_at(0, 0);
    assert_true(oom_round());
    unsigned long n = c12_alloc_fail_at(0, 0);
    for (unsigned long i = 1; i <= n; i++) {
        c12_alloc_fail_at(i, 1);
        int ok = oom_round();
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        assert_true(!ok || !injected);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evict_by_count), cmocka_unit_test(test_evict_by_bytes),
        cmocka_unit_test(test_ttl),            cmocka_unit_test(test_model_file_changed),
        cmocka_unit_test(test_key_canonical),  cmocka_unit_test(test_key_shared),
        cmocka_unit_test(test_deterministic),  cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
