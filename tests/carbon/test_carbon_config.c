/* The `carbon:` YAML section: defaults, every key, and errors that name
 * file:line and the key; secrets refused in the file; CLI edits. */
#include "carbon_test.h"
#include "carbon/carbon_config.h"

static const c12_carbon_config_opts OPTS = {NULL, "/data/bundled.csv"};

/* The carbon: section through the one configuration reader, as a config of its own. */
static c12_rc parse(const char *yaml, c12_carbon_config **out, c12_err *err)
{
    return carbon_test_parse(yaml, "conf/c12.yaml", &OPTS, out, err);
}

static void test_defaults(void **state)
{
    (void)state;
    c12_carbon_config *c;
    c12_err err;
    assert_int_equal(c12_carbon_config_defaults(&OPTS, &c, &err), C12_OK);
    assert_int_equal(c->n_chain, 2);
    assert_string_equal(c->providers[c->chain[0]].type, "trace");
    assert_string_equal(c->providers[c->chain[0]].path, "/data/bundled.csv");
    assert_string_equal(c->providers[c->chain[1]].type, "static");
    assert_true(c->providers[1].value == C12_CARBON_DEFAULT_STATIC);
    c12_carbon_config_free(c);
    /* A file without a carbon: section (other sections are other modules') */
    assert_int_equal(parse("server:\n  listen: 8080\n", &c, &err), C12_OK);
    assert_int_equal(c->n_chain, 2);
    c12_carbon_config_free(c);
    assert_int_equal(parse("", &c, &err), C12_OK);
    c12_carbon_config_free(c);
}

static const char FULL[] =
    "carbon:\n"
    "  chain: [em, wt, uk, trace, static]\n"
    "  max_staleness_s: 1200\n"
    "  backoff_base_s: 0.5\n"
    "  backoff_max_s: 60\n"
    "  jitter: 0\n"
    "  providers:\n"
    "    em:\n"
    "      type: electricitymaps\n"
    "      base_url: http://127.0.0.1:9999\n"
    "      zone: GB\n"
    "      api_key_env: MY_EM_KEY\n"
    "      ttl_s: 30\n"
    "      timeout_ms: 800\n"
    "      connect_timeout_ms: 200\n"
    "    wt:\n"
    "      type: watttime\n"
    "      region: CAISO_NORTH\n"
    "    uk:\n"
    "      type: ukgrid\n"
    "      region: 13\n"
    "    trace:\n"
    "      path: traces/x.csv\n"
    "      speed: 60\n"
    "    static:\n"
    "      value: 321\n";

static void test_full(void **state)
{
    (void)state;
    c12_carbon_config *c;
    c12_err err;
    assert_int_equal(parse(FULL, &c, &err), C12_OK);
    assert_int_equal(c->n_providers, 5);
    assert_int_equal(c->n_chain, 5);
    assert_int_equal(c->max_staleness_ms, 1200000);
    assert_int_equal(c->backoff_base_ms, 500);
    assert_true(c->jitter == 0);
    const c12_carbon_provider_cfg *em = &c->providers[c12_carbon_config_find(c, "em")];
    assert_string_equal(em->base_url, "http://127.0.0.1:9999");
    assert_string_equal(em->region, "GB");
    assert_string_equal(em->api_key_env, "MY_EM_KEY");
    assert_int_equal(em->ttl_ms, 30000);
    assert_int_equal(em->timeout_ms, 800);
    assert_int_equal(em->connect_timeout_ms, 200);
    assert_int_equal(em->line, 8);
    const c12_carbon_provider_cfg *wt = &c->providers[c12_carbon_config_find(c, "wt")];
    assert_string_equal(wt->base_url, "https://api.watttime.org"); /* the type's defaults */
    assert_string_equal(wt->username_env, "WATTTIME_USER");
    assert_string_equal(wt->signal_type, "co2_moer");
    const c12_carbon_provider_cfg *tr = &c->providers[c12_carbon_config_find(c, "trace")];
    assert_string_equal(tr->path, "conf/traces/x.csv"); /* relative to the file */
    assert_true(tr->speed == 60);
    assert_true(c->providers[c12_carbon_config_find(c, "static")].value == 321);
    /* CLI edits */
    assert_int_equal(c12_carbon_config_set_region(c, "DE", &err), C12_ERR_INVALID); /* ukgrid wants 1..17 */
    assert_int_equal(c12_carbon_config_only(c, "em", &err), C12_OK);
    assert_int_equal(c->n_chain, 1);
    assert_int_equal(c12_carbon_config_set_region(c, "DE", &err), C12_OK);
    assert_string_equal(c->providers[c->chain[0]].region, "DE");
    assert_int_equal(c12_carbon_config_only(c, "nope", &err), C12_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "em, wt, uk, trace, static"));
    c12_carbon_config_free(c);
}

static void test_chain_forms(void **state)
{
    (void)state;
    c12_carbon_config *c;
    c12_err err;
    const char *y = "carbon:\n  chain: uk -> static\n  providers:\n    uk: {type: ukgrid}\n    static: {value: 1}\n";
    assert_int_equal(parse(y, &c, &err), C12_OK);
    assert_int_equal(c->n_chain, 2);
    assert_string_equal(c->providers[c->chain[0]].name, "uk");
    c12_carbon_config_free(c);
    y = "carbon:\n  providers:\n    static: {value: 1}\n    trace: {}\n";
    assert_int_equal(parse(y, &c, &err), C12_OK); /* no chain: file order */
    assert_int_equal(c->n_chain, 2);
    assert_string_equal(c->providers[c->chain[1]].path, "/data/bundled.csv");
    c12_carbon_config_free(c);
}

/* Each bad config: the message must hold these pieces. */
static void expect_error(const char *yaml, const char *where, const char *key)
{
    c12_carbon_config *c = NULL;
    c12_err err;
    c12_err_clear(&err);
    c12_rc rc = parse(yaml, &c, &err);
    if (rc == C12_OK) fail_msg("accepted: %s", yaml);
    assert_null(c);
    if (!strstr(err.msg, where) || !strstr(err.msg, key)) fail_msg("message '%s' lacks '%s' / '%s'", err.msg, where, key);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("carbon:\n  providers:\n    em:\n      type: electricitymaps\n", "conf/c12.yaml:3", "em.zone");
    expect_error("carbon:\n  providers:\n    em:\n      type: electricitymaps\n      zone: GB\n      api_key: sk-123\n",
                 "conf/c12.yaml:6", "environment variable");
    expect_error("carbon:\n  providers:\n    x:\n      type: gridfairy\n", "conf/c12.yaml:4", "unknown provider type 'gridfairy'");
    expect_error("carbon:\n  providers:\n    static:\n      value: lots\n", "conf/c12.yaml:4", "carbon.providers.static.value");
    expect_error("carbon:\n  providers:\n    static:\n      value: 9000\n", ":4", "from 0 to 5000");
    expect_error("carbon:\n  providers:\n    static:\n      ttl_s: -1\n      value: 1\n", ":4", "static.ttl_s");
    expect_error("carbon:\n  providers:\n    static:\n      colour: red\n", ":4", "static.colour: unknown key");
    expect_error("carbon:\n  providers:\n    static: {}\n", ":3", "static.value");
    expect_error("carbon:\n  chain: [static, nope]\n  providers:\n    static: {value: 1}\n", ":2", "no provider named 'nope'");
    expect_error("carbon:\n  max_staleness: 3\n", ":2", "carbon.max_staleness: unknown key");
    /* a name that is too long for a type, and no type: blamed on the name (found by fuzz_config) */
    expect_error("carbon:\n  providers:\n    a-provider-name-of-27-chars: {value: 1}\n", ":3", "type too long");
    expect_error("carbon:\n  jitter: 0.9\n", ":2", "carbon.jitter");
    expect_error("carbon:\n  providers:\n    uk: {type: ukgrid, region: 99}\n", ":3", "uk.region");
    expect_error("carbon: [1, 2]\n", ":1", "carbon");
    expect_error("carbon:\n  providers:\n    a: {value: 1, type: static}\n    a: {value: 2, type: static}\n", ":4", "defined twice");
    expect_error("carbon:\n  providers: {\n", "conf/c12.yaml:", "");
    expect_error("- 1\n- 2\n", ":1", "must be a mapping");
    expect_error("carbon:\n  max_staleness_s: 30\n  providers:\n    static: {value: 1}\n", ":4",
                 "static.ttl_s: 60 s is not below carbon.max_staleness_s (30 s)");
}

static void test_load_file(void **state)
{
    (void)state;
    c12_carbon_config *c;
    c12_err err;
    c12_config *all = NULL;
    (void)c;
    assert_int_equal(c12_config_load("/nonexistent/c12.yaml", &all, &err), C12_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "/nonexistent/c12.yaml"));
}

static void test_oom(void **state)
{
    (void)state;
    c12_carbon_config *c;
    c12_alloc_fail_at(0, 0);
    assert_int_equal(parse(FULL, &c, NULL), C12_OK);
    c12_carbon_config_free(c);
    unsigned long count = c12_alloc_fail_at(0, 0);
    for (unsigned long k = 1; k <= count; k++) {
        c12_alloc_fail_at(k, 1);
        c = NULL;
        c12_rc rc = parse(FULL, &c, NULL);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        assert_int_equal(rc, injected ? C12_ERR_NOMEM : C12_OK);
        c12_carbon_config_free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults), cmocka_unit_test(test_full),      cmocka_unit_test(test_chain_forms),
        cmocka_unit_test(test_errors),   cmocka_unit_test(test_load_file), cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
