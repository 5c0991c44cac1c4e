/* Unit tests for src/energy: emissions, the TDP table, the CPU-time meter,
 * the RAPL meter on fake sysfs trees (wraparound included), meter choice,
 * and the calibration file (parse, serialize, save/load, OOM). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/c12_json.h"
#include "base/c12_alloc.h"
#include "energy/calib.h"
#include "energy/energy.h"

static void put(const char *dir, const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdir(path, 0755);
    *slash = '/';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *tmpdir(void)
{
    char tmpl[] = "/tmp/c12-energy-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void rm_rf(char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static void test_gco2(void **state)
{
    (void)state;
    assert_float_equal(c12_energy_gco2(3.6e6, 100, 1.5), 150.0, 1e-9);
    assert_float_equal(c12_energy_gco2(36, 250, 1.0), 0.0025, 1e-12);
    assert_float_equal(c12_energy_gco2(-1, 100, 1), 0, 0);
    assert_float_equal(c12_energy_gco2(10, NAN, 1), 0, 0);
    assert_float_equal(c12_energy_gco2(10, 100, 0), 0, 0);
}

static void test_tdp_lookup(void **state)
{
    (void)state;
    double w = 0;
    int th = 0;
    assert_true(c12_cpu_tdp_lookup("AMD EPYC 7763 64-Core Processor", &w, &th));
    assert_float_equal(w, 280, 0);
    assert_int_equal(th, 128);
    assert_true(c12_cpu_tdp_lookup("Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz", &w, &th));
    assert_float_equal(w, 210, 0);
    assert_int_equal(th, 48);
    /* whole words only: a 7313P is not a 7313, a generic name is nothing */
    assert_false(c12_cpu_tdp_lookup("AMD EPYC 7313P 16-Core Processor", &w, &th));
    assert_false(c12_cpu_tdp_lookup("AMD EPYC", &w, &th));
    assert_false(c12_cpu_tdp_lookup("", &w, &th));
}

static void test_cpu_power_estimate(void **state)
{
    (void)state;
    char *d = tmpdir();
    char path[1024];
    snprintf(path, sizeof path, "%s/cpuinfo", d);
    put(d, "cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7763 64-Core Processor  \n");
    c12_cpu_power p;
    c12_cpu_power_estimate(path, 0, &p);
    assert_true(p.from_table);
    assert_string_equal(p.model, "AMD EPYC 7763 64-Core Processor");
    assert_float_equal(p.watts_per_core, 280.0 / 128, 1e-12);
    put(d, "cpuinfo", "model name\t: AMD EPYC\n");
    c12_cpu_power_estimate(path, 4, &p);
    assert_false(p.from_table);
    assert_float_equal(p.watts_per_core, C12_ENERGY_DEFAULT_TDP_W / 4, 1e-12);
    c12_cpu_power_estimate("/nonexistent/cpuinfo", 2, &p);
    assert_string_equal(p.model, "");
    assert_float_equal(p.watts_per_core, 42.5, 1e-12);
    rm_rf(d);
}

/* A cfg whose RAPL root is `root` and whose CPU is unknown (constant power). */
static void cfg_for(c12_energy_cfg *cfg, const char *root, int n_cpus)
{
    c12_energy_cfg_defaults(cfg);
    snprintf(cfg->rapl_root, sizeof cfg->rapl_root, "%s", root);
    snprintf(cfg->cpuinfo_path, sizeof cfg->cpuinfo_path, "/nonexistent");
    cfg->n_cpus = n_cpus;
}

static void test_cputime_meter(void **state)
{
    (void)state;
    c12_energy_cfg cfg;
    cfg_for(&cfg, "/nonexistent", 2);
    snprintf(cfg.meter, sizeof cfg.meter, "cputime");
    c12_meter *m;
    c12_err err;
    assert_int_equal(c12_meter_open(&cfg, &m, NULL, 0, &err), C12_OK);
    c12_energy_mark mk;
    c12_energy_result r;
    assert_int_equal(c12_meter_begin(m, &mk, &err), C12_OK);
    /* reported CPU seconds: 2 s x 42.5 W */
    assert_int_equal(c12_meter_end(m, &mk, 2.0, &r, &err), C12_OK);
    assert_float_equal(r.joules, 85.0, 1e-9);
    assert_string_equal(r.method, "cputime-constant");
    /* not reported: the process's CPU time over the interval */
    assert_int_equal(c12_meter_begin(m, &mk, &err), C12_OK);
    volatile double x = 0;
    for (long i = 0; i < 20000000; i++) x += (double)i * 1e-9;
    assert_int_equal(c12_meter_end(m, &mk, -1, &r, &err), C12_OK);
    assert_true(r.cpu_s > 0.001);
    assert_float_equal(r.joules, r.cpu_s * 42.5, 1e-9);
    /* this thread did all of it: its clock, read as another thread's, agrees */
    int64_t mine = c12_energy_thread_cpu_ns();
    int64_t seen = c12_energy_pthread_cpu_ns(pthread_self());
    assert_true(seen > 0 && llabs(seen - mine) < 50000000);
    c12_meter_close(m);
    cfg.watts_per_core = 3.0;
    assert_int_equal(c12_meter_open(&cfg, &m, NULL, 0, &err), C12_OK);
    assert_int_equal(c12_meter_begin(m, &mk, &err), C12_OK);
    assert_int_equal(c12_meter_end(m, &mk, 10.0, &r, &err), C12_OK);
    assert_float_equal(r.joules, 30.0, 1e-9);
    assert_string_equal(r.method, "cputime-config");
    c12_meter_close(m);
}

static void rapl_tree(const char *d)
{
    put(d, "intel-rapl:0/name", "package-0\n");
    put(d, "intel-rapl:0/energy_uj", "1000000\n");
    put(d, "intel-rapl:0/max_energy_range_uj", "262143328850\n");
    put(d, "intel-rapl:0:0/name", "core\n"); /* inside the package: not summed */
    put(d, "intel-rapl:0:0/energy_uj", "5\n");
    put(d, "intel-rapl:0:0/max_energy_range_uj", "262143328850\n");
    put(d, "intel-rapl:1/name", "psys\n"); /* the platform: not CPU */
    put(d, "intel-rapl:1/energy_uj", "7\n");
    put(d, "intel-rapl:1/max_energy_range_uj", "262143328850\n");
}

static void test_rapl_meter(void **state)
{
    (void)state;
    char *d = tmpdir();
    rapl_tree(d);
    c12_energy_cfg cfg;
    cfg_for(&cfg, d, 2);
    c12_meter *m;
    c12_err err;
    char why[256];
    assert_int_equal(c12_meter_open(&cfg, &m, why, sizeof why, &err), C12_OK);
    assert_string_equal(c12_meter_name(m), "rapl");
    c12_energy_mark mk;
    c12_energy_result r;
    assert_int_equal(c12_meter_begin(m, &mk, &err), C12_OK);
    put(d, "intel-rapl:0/energy_uj", "3500000\n");
    put(d, "intel-rapl:0:0/energy_uj", "99999999\n");
    assert_int_equal(c12_meter_end(m, &mk, -1, &r, &err), C12_OK);
    assert_float_equal(r.joules, 2.5, 1e-9);
    assert_string_equal(r.method, "rapl");
    /* wraparound: 328850 uJ to the top, then 1 J after zero */
    put(d, "intel-rapl:0/energy_uj", "262143000000\n");
    assert_int_equal(c12_meter_begin(m, &mk, &err), C12_OK);
    put(d, "intel-rapl:0/energy_uj", "1000000\n");
    assert_int_equal(c12_meter_end(m, &mk, -1, &r, &err), C12_OK);
    assert_float_equal(r.joules, 1.32885, 1e-9);
    c12_meter_close(m);
    /* two packages are summed */
    put(d, "intel-rapl:2/name", "package-1\n");
    put(d, "intel-rapl:2/energy_uj", "0\n");
    put(d, "intel-rapl:2/max_energy_range_uj", "1000\n");
    assert_int_equal(c12_meter_open(&cfg, &m, NULL, 0, &err), C12_OK);
    assert_int_equal(c12_meter_begin(m, &mk, &err), C12_OK);
    put(d, "intel-rapl:0/energy_uj", "2000000\n");
    put(d, "intel-rapl:2/energy_uj", "500\n");
    assert_int_equal(c12_meter_end(m, &mk, -1, &r, &err), C12_OK);
    assert_float_equal(r.joules, 1.0005, 1e-9);
    /* a counter that vanished mid-request is an I/O error, not a number */
    assert_int_equal(c12_meter_begin(m, &mk, &err), C12_OK);
    char p[1024];
    snprintf(p, sizeof p, "%s/intel-rapl:2/energy_uj", d);
    unlink(p);
    assert_int_equal(c12_meter_end(m, &mk, -1, &r, &err), C12_ERR_IO);
    c12_meter_close(m);
    rm_rf(d);
}

static void test_meter_fallback(void **state)
{
    (void)state;
    char *d = tmpdir();
    put(d, "intel-rapl:1/name", "psys\n");
    put(d, "intel-rapl:1/energy_uj", "7\n");
    put(d, "intel-rapl:1/max_energy_range_uj", "100\n");
    c12_energy_cfg cfg;
    cfg_for(&cfg, d, 2);
    c12_meter *m;
    c12_err err;
    char why[256];
    assert_int_equal(c12_meter_open(&cfg, &m, why, sizeof why, &err), C12_OK);
    assert_string_equal(c12_meter_name(m), "cputime");
    assert_non_null(strstr(why, "rapl: no RAPL package domain"));
    c12_meter_close(m);
    snprintf(cfg.meter, sizeof cfg.meter, "rapl");
    assert_int_equal(c12_meter_open(&cfg, &m, NULL, 0, &err), C12_ERR_UNSUPPORTED);
    snprintf(cfg.meter, sizeof cfg.meter, "nvml");
    assert_int_equal(c12_meter_open(&cfg, &m, NULL, 0, &err), C12_ERR_INVALID);
    rm_rf(d);
}

static const char CAL[] =
    "{\"version\": 1, \"models\": {\"smollm2-135m\": {\"method\": \"cputime-constant\","
    " \"j_per_prompt_token\": 0.5, \"j_per_output_token\": 2, \"s_per_prompt_token\": 0.01,"
    " \"s_per_output_token\": 0.03, \"threads\": 2, \"future_key\": [1]},"
    " \"qwen2.5-coder-1.5b\": {\"j_per_prompt_token\": 4, \"j_per_output_token\": 20}}}";

static void test_calib_parse(void **state)
{
    (void)state;
    c12_calibration *c;
    c12_err err;
    assert_int_equal(c12_calib_parse(CAL, strlen(CAL), &c, &err), C12_OK);
    assert_int_equal(c->n, 2);
    const c12_calib_entry *e = c12_calib_find(c, "smollm2-135m");
    assert_non_null(e);
    assert_string_equal(e->method, "cputime-constant");
    assert_int_equal(e->threads, 2);
    assert_float_equal(c12_calib_expected_j(e, 100, 10), 70.0, 1e-9);
    assert_float_equal(c12_calib_expected_s(e, 100, 10), 1.3, 1e-9);
    assert_null(c12_calib_find(c, "gemma3-270m"));
    /* replace one, add one */
    c12_calib_entry n = *e;
    n.j_per_output_token = 3;
    assert_int_equal(c12_calib_set(c, &n, &err), C12_OK);
    snprintf(n.model, sizeof n.model, "gemma3-270m");
    assert_int_equal(c12_calib_set(c, &n, &err), C12_OK);
    assert_int_equal(c->n, 3);
    assert_float_equal(c12_calib_find(c, "smollm2-135m")->j_per_output_token, 3, 0);
    /* serialize and parse back */
    c12_buf b;
    c12_buf_init(&b, 0);
    assert_int_equal(c12_calib_to_json(c, &b, &err), C12_OK);
    c12_calibration *c2;
    assert_int_equal(c12_calib_parse(b.data, b.len, &c2, &err), C12_OK);
    assert_int_equal(c2->n, 3);
    assert_float_equal(c12_calib_find(c2, "qwen2.5-coder-1.5b")->j_per_output_token, 20, 0);
    c12_buf_free(&b);
    c12_calib_free(c2);
    c12_calib_free(c);
}

static void test_calib_bad(void **state)
{
    (void)state;
    static const char *const BAD[] = {
        "", "[]", "{\"version\": 2, \"models\": {}}", "{\"version\": 1}",
        "{\"version\": 1, \"models\": {\"m\": 3}}",
        "{\"version\": 1, \"models\": {\"m\": {\"j_per_prompt_token\": -1}}}",
        "{\"version\": 1, \"models\": {\"m\": {\"j_per_prompt_token\": \"1\"}}}",
        "{\"version\": 1, \"models\": {\"m\": {\"threads\": 1.5}}}",
        "{\"version\": 1, \"models\": {\"m\": {\"method\": 7}}}",
        "{\"version\": 1, \"models\": {\"m\": {}, \"m\": {}}}",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        c12_calibration *c = NULL;
        c12_err err;
        assert_int_equal(c12_calib_parse(BAD[i], strlen(BAD[i]), &c, &err), C12_ERR_FORMAT);
        assert_null(c);
    }
}

static void test_calib_save_load(void **state)
{
    (void)state;
    char *d = tmpdir();
    char path[1024];
    snprintf(path, sizeof path, "%s/home/sub/calibration.json", d);
    c12_calibration *c, *back;
    c12_err err;
    assert_int_equal(c12_calib_load(path, &back, &err), C12_ERR_NOT_FOUND);
    assert_int_equal(c12_calib_parse(CAL, strlen(CAL), &c, &err), C12_OK);
    assert_int_equal(c12_calib_save(c, path, &err), C12_OK);
    assert_int_equal(c12_calib_load(path, &back, &err), C12_OK);
    assert_int_equal(back->n, 2);
    c12_calib_free(back);
    c12_calib_free(c);
    setenv("C12_HOME", d, 1);
    assert_int_equal(c12_calib_default_path(path, sizeof path, &err), C12_OK);
    assert_non_null(strstr(path, "/calibration.json"));
    rm_rf(d);
}

static void test_cfg_keys(void **state)
{
    (void)state;
    c12_energy_cfg c;
    c12_energy_cfg_defaults(&c);
    c12_err err;
    assert_float_equal(c.pue, 1.0, 0);
    assert_int_equal(c12_energy_cfg_set(&c, "pue", "1.4", &err), C12_OK);
    assert_float_equal(c.pue, 1.4, 1e-12);
    assert_int_equal(c12_energy_cfg_set(&c, "watts_per_core", "3.5", &err), C12_OK);
    assert_int_equal(c12_energy_cfg_set(&c, "meter", "cputime", &err), C12_OK);
    assert_int_equal(c12_energy_cfg_set(&c, "cpus", "8", &err), C12_OK);
    assert_int_equal(c.n_cpus, 8);
    assert_int_equal(c12_energy_cfg_set(&c, "pue", "0.5", &err), C12_ERR_INVALID);
    assert_non_null(strstr(err.msg, "energy.pue"));
    assert_int_equal(c12_energy_cfg_set(&c, "pue", "1.2x", &err), C12_ERR_INVALID);
    assert_int_equal(c12_energy_cfg_set(&c, "cpus", "2.5", &err), C12_ERR_INVALID);
    assert_int_equal(c12_energy_cfg_set(&c, "meter", "nvml", &err), C12_ERR_INVALID);
    assert_int_equal(c12_energy_cfg_set(&c, "colour", "red", &err), C12_ERR_INVALID);
    assert_float_equal(c.pue, 1.4, 1e-12); /* unchanged by the failures */
    assert_string_equal(c.meter, "cputime");
}

static void test_oom(void **state)
{
    (void)state;
    c12_energy_cfg cfg;
    cfg_for(&cfg, "/nonexistent", 2);
    for (unsigned long n = 1; n < 50; n++) {
        c12_alloc_fail_at(n, 0);
        c12_meter *m = NULL;
        c12_calibration *c = NULL;
        c12_err err;
        c12_rc a = c12_meter_open(&cfg, &m, NULL, 0, &err);
        c12_rc b = c12_calib_parse(CAL, strlen(CAL), &c, &err);
        int injected = c12_alloc_injected();
        c12_alloc_fail_at(0, 0);
        assert_true(a == C12_OK || a == C12_ERR_NOMEM);
        assert_true(b == C12_OK || b == C12_ERR_NOMEM);
        assert_true(injected || (a == C12_OK && b == C12_OK));
        assert_true((a == C12_OK) == (m != NULL));
        assert_true((b == C12_OK) == (c != NULL));
        c12_meter_close(m);
        c12_calib_free(c);
    }
}

int main(void)
{
    c12_json_init(); /* as main() does: jansson's allocations fail in the OOM loops too */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gco2),          cmocka_unit_test(test_tdp_lookup),
        cmocka_unit_test(test_cpu_power_estimate), cmocka_unit_test(test_cputime_meter),
        cmocka_unit_test(test_rapl_meter),    cmocka_unit_test(test_meter_fallback),
        cmocka_unit_test(test_calib_parse),   cmocka_unit_test(test_calib_bad),
        cmocka_unit_test(test_calib_save_load), cmocka_unit_test(test_cfg_keys),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests_name("energy", tests, NULL, NULL);
}
