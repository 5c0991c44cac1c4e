/* The YAML configuration: built-in defaults, every key, errors naming
 * file:line and the key, API keys kept only as hashes, listen addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/c12_alloc.h"
#include "config/cfg_node.h"
#include "config/config.h"

static c12_rc parse(const char *yaml, c12_config **out, c12_err *err)
{
    return c12_config_parse(yaml, strlen(yaml), "conf/c12.yaml", out, err);
}

static void test_defaults(void **state)
{
    (void)state;
    c12_config *c;
    c12_err err;
    assert_int_equal(c12_config_defaults(&c, &err), C12_OK);
    assert_string_equal(c->listen_host, "127.0.0.1");
    assert_int_equal(c->listen_port, 8080);
    /* the whole catalogue: the default model loaded at start and kept, the
     * others on demand, unloaded when idle */
    assert_int_equal(c->n_models, 3);
    assert_string_equal(c->models[c->default_model].id, "smollm2-135m");
    for (size_t i = 0; i < c->n_models; i++) {
        assert_int_equal(strlen(c->models[i].sha256), 64);
        assert_int_equal(c->models[i].slots, 1);
        assert_int_equal(c->models[i].keep_alive_s, i == c->default_model ? -1 : 300);
    }
    assert_int_not_equal(c12_config_find_model(c, "qwen2.5-coder-1.5b"), -1);
    assert_int_not_equal(c12_config_find_model(c, "gemma3-270m"), -1);
    assert_int_equal(c->n_api_keys, 0);
    assert_int_equal(c->max_connections, 512);
    assert_int_equal(c->max_connections_per_client, 64);
    assert_int_equal(c->idle_timeout_s, 60);
    assert_int_equal(c->write_timeout_s, 30);
    assert_true(c->keepalive_s == 5);
    assert_int_equal(c->keepalive_requests, 1000);
    c12_config_free(c);
    /* An empty file and a file with only other modules' sections are the defaults too. */
    assert_int_equal(parse("", &c, &err), C12_OK);
    assert_int_equal(c->n_models, 3);
    c12_config_free(c);
    assert_int_equal(parse("carbon:\n  chain: [static]\nenergy: {meter: rapl}\nledger: {}\npolicy: {}\n", &c, &err), C12_OK);
    c12_config_free(c);
}

static const char FULL[] =
    "server:\n"
    "  listen: 0.0.0.0:9000\n"
    "  api_keys: [\"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"]\n"
    "  max_body_bytes: 4096\n"
    "  grace_s: 2.5\n"
    "  metrics_auth: true\n"
    "  max_connections: 100\n"
    "  max_connections_per_client: 8\n"
    "  idle_timeout_s: 5\n"
    "  write_timeout_s: 7\n"
    "  keepalive_s: 0.5\n"
    "  keepalive_requests: 3\n"
    "pool:\n"
    "  memory_budget: 1.5GiB\n"
    "queue: {max_total: 8, max_per_model: 4}\n"
    "default_model: two\n"
    "models:\n"
    "  - smollm2-135m\n"
    "  - id: two\n"
    "    path: models/two.gguf\n"
    "    context: 512\n"
    "    threads: 2\n"
    "    slots: 3\n"
    "    roles: [chat, code]\n"
    "    keep_alive: 0\n"
    "    pinned: true\n";

static void test_full(void **state)
{
    (void)state;
    c12_config *c;
    c12_err err;
    assert_int_equal(parse(FULL, &c, &err), C12_OK);
    assert_string_equal(c->listen_host, "0.0.0.0");
    assert_int_equal(c->listen_port, 9000);
    assert_int_equal(c->n_api_keys, 1);
    assert_int_equal(c12_config_key_index(c, "test"), 0); /* sha256("test") */
    assert_int_equal(c12_config_key_index(c, "tesT"), -1);
    assert_int_equal(c12_config_key_index(c, ""), -1);
    assert_int_equal(c->max_body_bytes, 4096);
    assert_true(c->grace_s == 2.5);
    assert_int_equal(c->metrics_auth, 1);
    assert_int_equal(c->max_connections, 100);
    assert_int_equal(c->max_connections_per_client, 8);
    assert_int_equal(c->idle_timeout_s, 5);
    assert_int_equal(c->write_timeout_s, 7);
    assert_true(c->keepalive_s == 0.5);
    assert_int_equal(c->keepalive_requests, 3);
    assert_int_equal(c->memory_budget, 1610612736ULL);
    assert_int_equal(c->queue_max_total, 8);
    assert_int_equal(c->queue_max_per_model, 4);
    assert_int_equal(c->n_models, 2);
    assert_int_equal(c->default_model, 1);
    const c12_model_cfg *m = &c->models[1];
    assert_string_equal(m->id, "two");
    assert_string_equal(m->source, "conf/models/two.gguf");
    assert_int_equal(m->n_ctx, 512);
    assert_int_equal(m->n_threads, 2);
    assert_int_equal(m->slots, 3);
    assert_string_equal(m->roles, "chat,code");
    assert_int_equal(m->keep_alive_s, 0);
    assert_true(m->pinned);
    assert_int_equal(m->sha256[0], '\0');
    c12_config_free(c);
}

static void expect_error(const char *yaml, const char *needle)
{
    c12_config *c = NULL;
    c12_err err;
    c12_err_clear(&err);
    c12_rc rc = parse(yaml, &c, &err);
    if (rc == C12_OK || !strstr(err.msg, needle)) {
        fprintf(stderr, "yaml:\n%s\nwanted '%s', got rc %d '%s'\n", yaml, needle, rc, err.msg);
        fail();
    }
    assert_null(c);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("server:\n  port: 1\n", "conf/c12.yaml:2: server.port: unknown key");
    expect_error("nonsense: 1\n", "conf/c12.yaml:1: nonsense: unknown key");
    expect_error("- a\n", "(top level): must be a mapping");
    expect_error("server: {listen: \"localhost:99999\"}\n", "server.listen");
    expect_error("server: {metrics_auth: maybe}\n", "server.metrics_auth: must be true or false");
    expect_error("server: {write_timeout_s: 0}\n", "server.write_timeout_s: must be an integer from 1 to 3600");
    expect_error("server: {max_connections: 0}\n", "server.max_connections: must be an integer from 1 to 65536");
    expect_error("server:\n  api_keys: [hunter2]\n", "conf/c12.yaml:2: server.api_keys: must be \"sha256:");
    expect_error("server:\n  api_keys: [\"env:C12_TEST_UNSET_VAR\"]\n", "C12_TEST_UNSET_VAR is not set");
    expect_error("pool: {memory_budget: lots}\n", "pool.memory_budget: must be a size");
    expect_error("queue: {max_total: -1}\n", "queue.max_total: must be an integer");
    expect_error("models: []\n", "models: must list at least one model");
    expect_error("models:\n  - nosuch\n", "conf/c12.yaml:2: models[0]: 'nosuch' is not in the catalogue");
    expect_error("models:\n  - smollm2-135m\n  - id: x\n    slots: 0\n", "conf/c12.yaml:4: models[1].slots:");
    expect_error("models:\n  - id: x\n    colour: red\n", "conf/c12.yaml:3: models[0].colour: unknown key");
    expect_error("models:\n  - path: /m.gguf\n", "needs an id");
    expect_error("models:\n  - smollm2-135m\n  - smollm2-135m\n", "defined twice");
    expect_error("models:\n  - {id: auto, path: /m.gguf}\n", "reserved");
    expect_error("models:\n  - {id: a, path: /m.gguf, sha256: abc}\n", "models[0].sha256: must be 64");
    expect_error("models:\n  - {id: a, path: /m.gguf, pinned: maybe}\n", "models[0].pinned: must be true or false");
    expect_error("default_model: other\n", "conf/c12.yaml:1: default_model: names no model");
    expect_error("server: [\n", "conf/c12.yaml:");
    /* every top-level key is a section some module registered */
    expect_error("route:\n  x: 1\n", "conf/c12.yaml:1: route: unknown key: no such section (sections: server,");
    expect_error("server: {}\nrouter: {}\n", "conf/c12.yaml:2: router: unknown key");
    expect_error("carbon: {chain: [nosuch]}\n", "conf/c12.yaml:1: carbon.chain: no provider named 'nosuch'");
    expect_error("energy:\n  pue: 9\n", "conf/c12.yaml:2: energy.pue:");
    expect_error("ledger: {store: oracle}\n", "conf/c12.yaml:1: ledger.store: unknown store");
    expect_error("policy:\n  pue: 0\n", "conf/c12.yaml:2: policy.pue: must be a number from 1 to 10");
    expect_error("server: {grace_s: 1, nope: 2}\n", "server.nope: unknown key (known: listen, api_keys,");
}

/* The node API under the sections: lines, lookups, aliases (one node,
 * referenced twice), an empty document. */
static void test_nodes(void **state)
{
    (void)state;
    c12_cfg_doc *d = NULL;
    c12_err err;
    static const char Y[] = "a: &x {b: 1, c: [p, q]}\nd: *x\ne:\n";
    assert_int_equal(c12_cfg_doc_parse(Y, strlen(Y), "n.yaml", &d, &err), C12_OK);
    const c12_cfg_node *root = c12_cfg_doc_root(d), *a = c12_cfg_get(root, "a");
    assert_int_equal(c12_cfg_kind_of(root), C12_CFG_MAP);
    assert_int_equal(c12_cfg_len(root), 3);
    assert_ptr_equal(c12_cfg_get(root, "d"), a);
    assert_string_equal(c12_cfg_scalar(c12_cfg_get(a, "b")), "1");
    assert_int_equal(c12_cfg_len(c12_cfg_get(a, "c")), 2);
    assert_string_equal(c12_cfg_scalar(c12_cfg_item(c12_cfg_get(a, "c"), 1)), "q");
    assert_true(c12_cfg_is_empty(c12_cfg_get(root, "e")));
    assert_null(c12_cfg_get(root, "zz"));
    assert_int_equal(c12_cfg_line(c12_cfg_pair_key(root, 1)), 2);
    long l;
    assert_int_equal(c12_cfg_long(c12_cfg_get(a, "c"), "a.c", 0, 9, &l, &err), C12_ERR_INVALID);
    assert_string_equal(err.msg, "n.yaml:1: a.c: must be an integer from 0 to 9");
    c12_cfg_doc_free(d);
    assert_int_equal(c12_cfg_doc_parse("", 0, "e.yaml", &d, &err), C12_OK);
    assert_null(c12_cfg_doc_root(d));
    c12_cfg_doc_free(d);
    assert_int_equal(c12_cfg_doc_parse("a: [", 4, "e.yaml", &d, &err), C12_ERR_FORMAT);
}

/* SIGHUP's reload: the file is read again, the policy comes from it, the
 * other sections stay as the server started with them. */
static void test_reload(void **state)
{
    (void)state;
    char path[] = "/tmp/c12-test-reload-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("server: {listen: \"127.0.0.1:7001\"}\npolicy: {min_rating: 0.4}\n", f);
    fclose(f);
    c12_config *c = NULL, *next = NULL;
    c12_err err;
    assert_int_equal(c12_config_load(path, &c, &err), C12_OK);
    assert_true(c->from_file && c->policy.min_rating == 0.4);
    f = fopen(path, "w");
    fputs("server: {listen: \"127.0.0.1:7002\"}\npolicy: {min_rating: 0.2}\n", f);
    fclose(f);
    assert_int_equal(c12_config_reload(c, &next, &err), C12_OK);
    assert_true(next->policy.min_rating == 0.2);
    assert_int_equal(next->listen_port, 7001);
    c12_config_free(next);
    f = fopen(path, "w");
    fputs("policy: {min_rating: 0.2}\nnope: 1\n", f);
    fclose(f);
    assert_int_equal(c12_config_reload(c, &next, &err), C12_ERR_INVALID);
    assert_non_null(strstr(err.msg, ":2: nope: unknown key"));
    assert_true(c->policy.min_rating == 0.4);
    c12_config_free(c);
    unlink(path);
}

static void test_env_key(void **state)
{
    (void)state;
    c12_config *c;
    c12_err err;
    setenv("C12_TEST_KEY", "s3cret", 1);
    assert_int_equal(parse("server:\n  api_keys: [\"env:C12_TEST_KEY\"]\n", &c, &err), C12_OK);
    unsetenv("C12_TEST_KEY");
    assert_true(c12_config_key_index(c, "s3cret") >= 0);
    /* Only the hash is kept: the key's bytes are nowhere in the struct. */
    assert_null(memmem(c, sizeof *c, "s3cret", 6));
    c12_config_free(c);
}

/* The shape: a plain entry beside mappings with a name and limits. */
static void test_key_limits(void **state)
{
    (void)state;
    c12_config *c;
    c12_err err;
    setenv("C12_TEST_KEY", "s3cret", 1);
    assert_int_equal(parse("server:\n  api_keys:\n"
                           "    - \"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n"
                           "    - key: \"env:C12_TEST_KEY\"\n      name: team-a\n      rpm: 60\n      tpm: 20000\n"
                           "      co2_g_per_day: 50\n"
                           "    - {key: \"sha256:0000000000000000000000000000000000000000000000000000000000000001\", "
                           "co2_g_per_month: 7.5, per_user: true}\n", &c, &err), C12_OK);
    unsetenv("C12_TEST_KEY");
    assert_int_equal(c->n_api_keys, 3);
    assert_string_equal(c->api_key_names[0], "");
    assert_true(c->api_key_limits[0].rpm == 0 && c->api_key_limits[0].co2_g == 0);
    assert_int_equal(c12_config_key_index(c, "s3cret"), 1);
    assert_string_equal(c->api_key_names[1], "team-a");
    assert_true(c->api_key_limits[1].rpm == 60 && c->api_key_limits[1].tpm == 20000);
    assert_true(c->api_key_limits[1].co2_g == 50 && c->api_key_limits[1].period == C12_LIMIT_DAY);
    assert_string_equal(c->api_key_names[2], "");
    assert_true(c->api_key_limits[2].co2_g == 7.5 && c->api_key_limits[2].period == C12_LIMIT_MONTH);
    assert_true(c->api_key_limits[2].per_user);
    c12_config_free(c);
    expect_error("server:\n  api_keys:\n    - {name: a}\n", "needs `key:`");
    expect_error("server:\n  api_keys:\n    - {key: \"env:C12_TEST_UNSET_VAR\", name: a}\n", "is not set");
    expect_error("server:\n  api_keys:\n    - [1]\n", "entries must be");
}

static void test_listen(void **state)
{
    (void)state;
    c12_config *c;
    c12_err err;
    assert_int_equal(c12_config_defaults(&c, &err), C12_OK);
    assert_int_equal(c12_config_set_listen(c, "127.0.0.1:0", &err), C12_OK);
    assert_int_equal(c->listen_port, 0);
    assert_int_equal(c12_config_set_listen(c, "[::1]:81", &err), C12_OK);
    assert_string_equal(c->listen_host, "::1");
    assert_int_equal(c12_config_set_listen(c, "9090", &err), C12_OK);
    assert_int_equal(c->listen_port, 9090);
    assert_string_equal(c->listen_host, "::1");
    assert_int_not_equal(c12_config_set_listen(c, "host:", &err), C12_OK);
    assert_int_not_equal(c12_config_set_listen(c, "host:x", &err), C12_OK);
    c12_config_free(c);
}

/* Every allocation failure is a clean error, without leaks. */
static void test_oom(void **state)
{
    (void)state;
    c12_config *c;
    c12_err err;
    c12_alloc_fail_at(0, 0);
    assert_int_equal(parse(FULL, &c, &err), C12_OK);
    c12_config_free(c);
    unsigned long n = c12_alloc_fail_at(0, 0);
    for (unsigned long i = 1; i <= n; i++) {
        c12_alloc_fail_at(i, 1);
        c = NULL;
        c12_rc rc = parse(FULL, &c, &err);
        c12_alloc_fail_at(0, 0);
        if (rc == C12_OK) c12_config_free(c);
        else assert_null(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults), cmocka_unit_test(test_full), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nodes), cmocka_unit_test(test_reload),
        cmocka_unit_test(test_env_key), cmocka_unit_test(test_key_limits), cmocka_unit_test(test_listen), cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
