/* The fleet (fleet.h) with an injected clock and no threads: the sites:
 * section, ranking by each site's grid and load, the breaker (open after
 * consecutive failures, half-open after the back-off, doubling), load
 * bounds, a request to sites that cannot be reached (each tried once, the
 * error names them), what the dashboard reads of each site; and the
 * upstream's SSE parser (sse.h) fed in pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "base/c12_json.h"
#include "config/config.h"
#include "pool/backend_remote.h"
#include "pool/fleet_impl.h"
#include "pool/sse.h"

static const char CFG[] =
    "sites:\n"
    "  dirty:\n"
    "    url: http://127.0.0.1:1/v1/\n"
    "    carbon: {chain: [static], providers: {static: {value: 450}}}\n"
    "    max_concurrent: 2\n"
    "    breaker_failures: 2\n"
    "    breaker_backoff_s: 1\n"
    "  clean:\n"
    "    url: http://127.0.0.1:1/v1\n"
    "    region: FR\n"
    "    carbon: {chain: [static], providers: {static: {value: 40}}}\n"
    "    connect_timeout_s: 0.5\n"
    "models:\n"
    "  - {id: far, sites: [dirty, clean], remote_model: up-id}\n"
    "  - {id: near, source: smollm2-135m}\n"
    "  - {id: both, source: smollm2-135m, slots: 2, sites: [local, dirty, clean]}\n";

static int64_t now_ms(void *ud) { return *(int64_t *)ud; }

typedef struct world {
    c12_config *cfg;
    c12_fleet *f;
    int64_t clock;
} world;

static int setup(void **state)
{
    world *w = c12_calloc(1, sizeof *w);
    c12_err err;
    assert_int_equal(c12_config_parse(CFG, strlen(CFG), "conf/c12.yaml", &w->cfg, &err), C12_OK);
    w->clock = 1000;
    c12_fleet_opts o = {.now_ms = now_ms, .now_ud = &w->clock, .no_threads = 1};
    assert_int_equal(c12_fleet_new(w->cfg, &o, &w->f, &err), C12_OK);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    c12_fleet_free(w->f);
    c12_config_free(w->cfg);
    c12_free(w);
    return 0;
}

static void test_section(void **state)
{
    const c12_config *c = ((world *)*state)->cfg;
    assert_int_equal(c->n_sites, 2);
    assert_string_equal(c->sites[0].url, "http://127.0.0.1:1/v1"); /* the trailing '/' dropped */
    assert_int_equal(c->sites[0].line, 2);
    assert_string_equal(c->sites[1].region, "FR");
    assert_int_equal(c->sites[1].max_concurrent, 16); /* defaults */
    assert_true(c->sites[1].idle_timeout_s == 30 && c->sites[1].first_token_timeout_s == 60);
    const c12_model_cfg *far = &c->models[0], *near = &c->models[1];
    assert_true(c12_model_remote(far) && !c12_model_remote(near));
    assert_int_equal(far->n_sites, 2);
    assert_int_equal(far->slots, 2 + 16); /* its sites' max_concurrent together */
    assert_string_equal(far->remote_model, "up-id");
    assert_string_equal(far->sha256, ""); /* no file: nothing to check */
}

static const c12_chat_msg MSGS[] = {{.role = "user", .content = "hi"}};

static void rank(world *w, c12_rank *r)
{
    c12_backend_req req = {.messages = MSGS, .n_messages = 1, .gen = {.max_tokens = 8}};
    c12_fleet_rank(w->f, &w->cfg->models[0], &req, NULL, r);
}

static void test_rank_and_breaker(void **state)
{
    world *w = *state;
    c12_fleet *f = w->f;
    c12_site *dirty = &f->sites[0], *clean = &f->sites[1];
    c12_rank r;
    rank(w, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.order[0], 1); /* the cleaner grid first, whatever the list's order */
    assert_int_equal(r.usable, 2);
    assert_string_equal(r.reason, "site clean: 40 g/kWh, 0/16 busy; dirty: 450 g/kWh");
    assert_true(r.reading[0].now == 40 && r.reading[1].now == 450);
    /* full: goes last, not usable */
    for (int i = 0; i < 16; i++) assert_true(c12_site_claim(f, clean));
    assert_false(c12_site_claim(f, clean));
    rank(w, &r);
    assert_int_equal(r.order[0], 0);
    assert_int_equal(r.usable, 1);
    assert_non_null(strstr(r.reason, "clean: full"));
    for (int i = 0; i < 16; i++) c12_site_done(f, clean, -1);
    /* two failures open dirty's breaker for 1 s */
    assert_true(c12_site_claim(f, dirty));
    c12_site_done(f, dirty, 0);
    assert_int_equal(dirty->state, C12_SITE_CLOSED);
    assert_true(c12_site_claim(f, dirty));
    c12_site_done(f, dirty, 0);
    assert_int_equal(dirty->state, C12_SITE_OPEN);
    assert_false(c12_site_claim(f, dirty));
    rank(w, &r);
    assert_non_null(strstr(r.reason, "dirty: breaker open"));
    /* after the back-off one trial goes through; its failure doubles the back-off */
    w->clock += 1000;
    assert_true(c12_site_claim(f, dirty));
    assert_int_equal(dirty->state, C12_SITE_HALF_OPEN);
    assert_false(c12_site_claim(f, dirty)); /* one trial at a time */
    c12_site_done(f, dirty, 0);
    assert_int_equal(dirty->state, C12_SITE_OPEN);
    w->clock += 1000;
    assert_false(c12_site_claim(f, dirty));
    w->clock += 1000;
    assert_true(c12_site_claim(f, dirty));
    c12_site_done(f, dirty, 1); /* a success closes it */
    assert_int_equal(dirty->state, C12_SITE_CLOSED);
    assert_int_equal(dirty->fails, 0);
    assert_int_equal(dirty->in_flight, 0);
    /* a cancel (or the request's own fault) does not count */
    assert_true(c12_site_claim(f, dirty));
    c12_site_done(f, dirty, -1);
    assert_int_equal(dirty->fails, 0);
}

static void test_latency(void **state)
{
    world *w = *state;
    c12_site *clean = &w->f->sites[1];
    c12_site_observe(clean, 2.0, 1.0, 11); /* 10 tokens/s after the first */
    assert_true(clean->ttft_s == 2.0 && clean->tps == 10.0);
    c12_site_observe(clean, 1.0, 1.0, 21);
    assert_true(clean->ttft_s > 1.69 && clean->ttft_s < 1.71 && clean->tps > 12.9 && clean->tps < 13.1);
    /* over the caller's latency need: after the site that meets it */
    c12_backend_req req = {.messages = MSGS, .n_messages = 1, .gen = {.max_tokens = 8}, .max_latency_ms = 500};
    c12_rank r;
    c12_fleet_rank(w->f, &w->cfg->models[0], &req, NULL, &r);
    assert_int_equal(r.order[0], 0);
    assert_non_null(strstr(r.reason, "clean: too slow"));
}

/* What the dashboard reads (c12_fleet_stats): the URL, the reading's
 * provider, and the last probe's answer (none yet, then refused). */
static void test_stats(void **state)
{
    world *w = *state;
    c12_fleet_site_stats st[C12_CFG_MAX_SITES];
    assert_int_equal(c12_fleet_stats(w->f, st, C12_CFG_MAX_SITES), 2);
    assert_string_equal(st[1].name, "clean");
    assert_string_equal(st[1].region, "FR");
    assert_string_equal(st[1].url, "http://127.0.0.1:1/v1");
    assert_string_equal(st[1].provider, "static");
    assert_true(st[1].intensity == 40 && st[1].max_concurrent == 16 && st[1].queue == -1);
    assert_int_equal(st[1].reachable, -1);
    c12_fleet_probe_all(w->f); /* nothing listens on port 1 */
    assert_int_equal(c12_fleet_stats(w->f, st, 1), 1);
    assert_int_equal(st[0].reachable, 0);
    assert_int_equal(st[0].probes_failed, 1);
}

static int keep(void *ud, const char *s, size_t n) { return c12_buf_append(ud, s, n) != C12_OK; }

static void test_unreachable(void **state)
{
    world *w = *state;
    const c12_backend *b = c12_fleet_backend(w->f);
    void *model = NULL;
    uint64_t bytes = 1;
    c12_err err;
    assert_int_equal(c12_backend_load(b, &w->cfg->models[0], &model, &bytes, &err), C12_OK);
    assert_int_equal(bytes, 0); /* nothing of it lives here */
    c12_backend_req req = {.messages = MSGS, .n_messages = 1, .gen = {.max_tokens = 4}};
    c12_backend_result res;
    c12_buf out;
    c12_buf_init(&out, 0);
    assert_int_equal(c12_backend_generate(b, model, 0, &req, keep, &out, &res, &err), C12_ERR_NETWORK);
    assert_non_null(strstr(err.msg, "site dirty")); /* both tried, clean first, the last one's reason */
    assert_int_equal(w->f->sites[0].requests, 1);
    assert_int_equal(w->f->sites[1].requests, 1);
    assert_int_equal(w->f->sites[0].retries, 1);
    assert_int_equal(w->f->sites[1].failures, 1);
    assert_int_equal(out.len, 0);
    c12_buf_free(&out);
    c12_backend_unload(b, model);
}

typedef struct got {
    c12_buf text;
} got;

static c12_rc feed_cut(c12_sse *p, const char *s, size_t step, c12_err *err)
{
    c12_rc rc = C12_OK;
    size_t n = strlen(s);
    for (size_t i = 0; !rc && i < n; i += step) rc = c12_sse_feed(p, s + i, n - i < step ? n - i : step, err);
    return rc;
}

static void test_sse(void **state)
{
    (void)state;
    static const char STREAM[] =
        ": comment\r\n\r\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\r\n\r\n"
        "event: message\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo \\u00e9\"}}]}\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}],\"c12\":{\"energy_j\":2.5}}\n\n"
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2,"
        "\"c12\":{\"energy_j\":3.5,\"energy_method\":\"rapl\"}}}\n\n"
        "data: [DONE]\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"after\"}}]}\n\n";
    for (size_t step = 1; step <= 64; step *= 2) {
        c12_buf text;
        c12_buf_init(&text, 0);
        c12_sse p;
        c12_sse_init(&p, keep, &text);
        c12_err err;
        assert_int_equal(feed_cut(&p, STREAM, step, &err), C12_OK);
        assert_int_equal(text.len, strlen("Hello \xc3\xa9"));
        assert_memory_equal(text.data, "Hello \xc3\xa9", text.len);
        assert_true(p.done && p.n_text == 2 && !p.error);
        assert_string_equal(p.finish, "length");
        assert_true(p.usage.have && p.usage.prompt_tokens == 4 && p.usage.completion_tokens == 2);
        assert_true(p.usage.have_energy && p.usage.energy_j == 3.5);
        assert_string_equal(p.usage.energy_method, "rapl");
        c12_sse_free(&p);
        c12_buf_free(&text);
    }
    c12_sse p;
    c12_err err;
    c12_sse_init(&p, NULL, NULL);
    assert_int_equal(feed_cut(&p, "data: {\"error\":{\"message\":\"boom\",\"code\":\"x1\"}}\n\n", 5, &err), C12_OK);
    assert_true(p.error);
    assert_string_equal(p.error_msg, "boom");
    assert_string_equal(p.error_code, "x1");
    c12_sse_free(&p);
    c12_sse_init(&p, NULL, NULL);
    assert_int_equal(feed_cut(&p, "data: {broken\n\n", 3, &err), C12_ERR_FORMAT);
    c12_sse_free(&p);
    c12_sse_init(&p, NULL, NULL); /* a line without end past the cap */
    char *big = c12_malloc(C12_SSE_LINE_MAX + 16);
    memset(big, 'a', C12_SSE_LINE_MAX + 15);
    big[C12_SSE_LINE_MAX + 15] = '\0';
    assert_int_equal(feed_cut(&p, big, 65536, &err), C12_ERR_RANGE);
    c12_free(big);
    c12_sse_free(&p);
    c12_sse_init(&p, NULL, NULL); /* a whole reply */
    const char *whole = "{\"choices\":[{\"message\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
                        "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}";
    assert_int_equal(c12_sse_whole(&p, whole, strlen(whole), &err), C12_OK);
    assert_true(p.done && p.n_text == 1 && p.usage.have);
    c12_sse_free(&p);
}

/* Each tool call piece as "index|id|name|args;" (- for absent). */
static int keep_call(void *ud, const c12_tool_frag *f)
{
    char line[200];
    snprintf(line, sizeof line, "%d|%s|%s|%.*s;", f->index, f->id ? f->id : "-", f->name ? f->name : "-",
             f->args ? (int)f->args_len : 1, f->args ? f->args : "-");
    return c12_buf_puts(ud, line) != C12_OK;
}

static void test_sse_tool_calls(void **state)
{
    (void)state;
    static const char STREAM[] =
        "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
        "\"id\":\"c0\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"c1\",\"function\":{\"name\":\"g\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n";
    for (size_t step = 1; step <= 64; step *= 4) {
        c12_buf calls;
        c12_buf_init(&calls, 0);
        c12_sse p;
        c12_sse_init(&p, NULL, NULL);
        p.tool = keep_call;
        p.ud = &calls;
        c12_err err;
        assert_int_equal(feed_cut(&p, STREAM, step, &err), C12_OK);
        assert_string_equal(calls.data, "0|c0|f|;0|-|-|{\"a\":;1|c1|g|-;");
        assert_true(p.done && p.n_text == 3);
        assert_string_equal(p.finish, "tool_calls");
        c12_sse_free(&p);
        c12_buf_free(&calls);
    }
    c12_sse p; /* a whole reply's calls; then a bad index, refused */
    c12_err err;
    c12_buf calls;
    c12_buf_init(&calls, 0);
    c12_sse_init(&p, NULL, NULL);
    p.tool = keep_call;
    p.ud = &calls;
    const char *whole = "{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":[{\"id\":\"c0\",\"function\":"
                        "{\"name\":\"f\",\"arguments\":\"{}\"}}]},\"finish_reason\":\"tool_calls\"}]}";
    assert_int_equal(c12_sse_whole(&p, whole, strlen(whole), &err), C12_OK);
    assert_string_equal(calls.data, "0|c0|f|{};");
    c12_sse_free(&p);
    c12_sse_init(&p, NULL, NULL);
    p.tool = keep_call;
    p.ud = &calls;
    assert_int_equal(feed_cut(&p, "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":-1}]}}]}\n\n", 7, &err),
                     C12_ERR_FORMAT);
    c12_sse_free(&p);
    c12_buf_free(&calls);
}

/* `local` beside sites: its slots and the sites' in the pool, ranked as
 * one more site at this process's carbon, by its engine slots' load. */
static void test_local_among_sites(void **state)
{
    world *w = *state;
    const c12_model_cfg *both = &w->cfg->models[2];
    assert_true(c12_model_mixed(both) && !c12_model_remote(both) && !c12_model_mixed(&w->cfg->models[1]));
    assert_int_equal(both->local_slots, 2);
    assert_int_equal(both->slots, 2 + 2 + 16);
    c12_backend_req req = {.messages = MSGS, .n_messages = 1, .gen = {.max_tokens = 8}};
    c12_local_site ls = {.slots = 2};
    c12_rank r;
    c12_fleet_rank(w->f, both, &req, &ls, &r); /* no carbon here: unknown, after the sites */
    assert_int_equal(r.n, 3);
    assert_int_equal(r.order[0], 1);
    assert_int_equal(r.order[2], C12_SITE_LOCAL);
    c12_carbon_cache *cc;
    c12_err err;
    assert_int_equal(c12_carbon_cache_new(&w->cfg->sites[1].carbon, NULL, &cc, &err), C12_OK); /* 40, as clean */
    c12_carbon_cache_prime(cc);
    w->f->opts.local_carbon = cc;
    c12_fleet_rank(w->f, both, &req, &ls, &r); /* a tie at the same rates: the list's order */
    assert_int_equal(r.order[0], C12_SITE_LOCAL);
    assert_true(strstr(r.reason, "site local: 40 g/kWh, 0/2 busy") == r.reason);
    ls.busy = 1; /* half busy: its grams scaled by 1.5 */
    c12_fleet_rank(w->f, both, &req, &ls, &r);
    assert_int_equal(r.order[0], 1);
    assert_int_equal(r.order[1], C12_SITE_LOCAL);
    ls.busy = 2; /* full: last, not tried */
    c12_fleet_rank(w->f, both, &req, &ls, &r);
    assert_int_equal(r.order[2], C12_SITE_LOCAL);
    assert_int_equal(r.usable, 2);
    assert_non_null(strstr(r.reason, "local: full"));
    w->f->opts.local_carbon = NULL;
    c12_carbon_cache_free(cc);
}

static void test_prom_sum(void **state)
{
    (void)state;
    static const char T[] =
        "# HELP vllm:num_requests_waiting Number of requests waiting.\n"
        "# TYPE vllm:num_requests_waiting gauge\n"
        "vllm:num_requests_waiting{model_name=\"a } b\",engine=\"0\"} 3.0\n"
        "vllm:num_requests_waiting{engine=\"1\"} 2\n"
        "vllm:num_requests_waiting_total 100\n"
        "vllm:num_requests_waiting{engine=\"2\"} NaN\n"
        "vllm:num_requests_waiting{broken 9\n"
        "c12_queue_depth{model=\"m\"} 4 1700000000000";
    int found;
    assert_true(c12_prom_sum(T, strlen(T), "vllm:num_requests_waiting", &found) == 5.0 && found);
    assert_true(c12_prom_sum(T, strlen(T), "c12_queue_depth", &found) == 4.0 && found); /* a timestamp after it */
    assert_true(c12_prom_sum(T, strlen(T), "llamacpp:requests_deferred", &found) == 0 && !found);
    assert_true(c12_prom_sum("", 0, "x", &found) == 0 && !found);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *yaml, *want;
    } BAD[] = {
        {"sites:\n  a: {url: 'http://h/v1'}\n", "c12.yaml:2: sites.a: needs a carbon"},
        {"sites:\n  a: {url: 'http://h/v1', carbon: {chain: [static]}, max_concurrent: 0}\n", "sites.a.max_concurrent"},
        {"sites:\n  a: {url: 'http:///v1', carbon: {chain: [static]}}\n", "sites.a.url: has no host"},
        {"sites:\n  'a b': {url: 'http://h/v1'}\n", "letters, digits"},
        {"sites:\n  a: {url: 'http://h/v1', carbon: {chain: [static]}}\n  a: {url: 'http://h/v1', carbon: {chain: [static]}}\n",
         "defined twice"},
        {"models:\n  - {id: x, sites: [local, local]}\n", "'local' listed twice"},
        {"models:\n  - {id: x, sites: []}\n", "must be a list of site names"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        c12_config *c = NULL;
        c12_err err;
        assert_int_not_equal(c12_config_parse(BAD[i].yaml, strlen(BAD[i].yaml), "conf/c12.yaml", &c, &err), C12_OK);
        if (!strstr(err.msg, BAD[i].want)) fail_msg("%zu: %s", i, err.msg);
    }
}

int main(void)
{
    c12_json_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rank_and_breaker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
        cmocka_unit_test(test_sse),
        cmocka_unit_test(test_sse_tool_calls),
        cmocka_unit_test_setup_teardown(test_local_among_sites, setup, teardown),
        cmocka_unit_test(test_prom_sum),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
