/* The model choice of a generation request, with the pool's models faked
 * through a c12_backend ops table (no model files) and the pool's clock
 * injected: an explicit model, "auto" down the policy's candidates, a
 * failed load giving way to the next candidate ("failed to load: NAME"),
 * a cooling first candidate passed over without a load, and the cooling's
 * end after C12_POOL_LOAD_RETRY_MS. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "server/gen.h"
#include "server/serve_env.h"

typedef struct fake {
    int64_t clock;         /* the pool's clock, ms */
    char fail[64];         /* loads of the model with this id fail */
    int attempts[3];       /* loads tried, per model (context 512 + its index) */
} fake;

static c12_rc f_estimate(void *self, const c12_model_cfg *m, uint64_t *bytes, c12_err *err)
{
    (void)self, (void)m, (void)err;
    *bytes = 100;
    return C12_OK;
}

static c12_rc f_load(void *self, const c12_model_cfg *m, void **model, uint64_t *bytes, c12_err *err)
{
    fake *f = self;
    f->attempts[m->n_ctx - 512]++;
    if (!strcmp(m->id, f->fail)) return c12_fail(err, C12_ERR_IO, "%s: read error", m->id);
    *model = (void *)m;
    *bytes = 100;
    return C12_OK;
}

static void f_unload(void *self, void *model) { (void)self, (void)model; }

static int64_t f_now(void *ud) { return ((fake *)ud)->clock; }

static const c12_backend_ops FAKE_OPS = {
    .name = "fake",
    .estimate = f_estimate,
    .load = f_load,
    .unload = f_unload,
};

/* The built-in policy's models, served under their names; keep_alive 0, so
 * none stays resident (the decision then does not depend on residency). */
static const char MODELS[] = "models:\n"
                             "  - {id: qwen2.5-coder-1.5b, path: /q.gguf, context: 512, keep_alive: 0}\n"
                             "  - {id: smollm2-135m, path: /s.gguf, context: 513, keep_alive: 0}\n"
                             "  - {id: gemma3-270m, path: /g.gguf, context: 514, keep_alive: 0}\n";

typedef struct world {
    fake f;
    c12_backend backend;
    c12_config *cfg;
    c12_pool *pool;
    c12_policy_slot slot;
    c12_server srv;
} world;

static void world_open(world *w)
{
    c12_err err;
    memset(w, 0, sizeof *w);
    w->f.clock = 1000;
    w->backend = (c12_backend){.ops = &FAKE_OPS, .self = &w->f};
    assert_int_equal(c12_config_parse(MODELS, strlen(MODELS), "t.yaml", &w->cfg, &err), C12_OK);
    c12_pool_opts o = {.backend = &w->backend, .memory_budget = 1000, .now_ms = f_now, .now_ud = &w->f};
    assert_int_equal(c12_pool_new(w->cfg, &o, &w->pool, &err), C12_OK);
    c12_policy_params all, served;
    char note[256];
    c12_policy_defaults(&all);
    assert_int_equal(c12_server_policy_filter(&all, w->cfg, NULL, NULL, &served, note, sizeof note), 3);
    c12_policy *pol = NULL;
    assert_int_equal(c12_policy_new(&served, NULL, &pol, &err), C12_OK);
    c12_policy_slot_init(&w->slot, pol);
    w->srv.cfg = w->cfg;
    w->srv.pool = w->pool;
    w->srv.backend = &w->backend;
    w->srv.deps = (c12_server_deps){.policy = &w->slot, .pue = 1.0};
}

static void world_close(world *w)
{
    c12_policy_slot_destroy(&w->slot);
    c12_pool_free(w->pool);
    c12_config_free(w->cfg);
}

static c12_chat_msg HELLO[] = {{.role = "user", .content = "Write a python function that reverses a list."}};

/* A chat request, priced at 100 g/kWh, for `model` (-1: "auto"). */
static c12_rc choose(world *w, c12_gen_job *job, int model, c12_err *err)
{
    *job = (c12_gen_job){.srv = &w->srv, .model = ""};
    job->q.kind = C12_API_CHAT;
    job->q.messages = HELLO;
    job->q.n_messages = 1;
    job->breq.gen.max_tokens = 64;
    job->price = (c12_gen_price){.intensity = 100, .provider = "static", .next_hour = NAN};
    return c12_choose_acquire(job, model, C12_PRIO_NORMAL, 0, 0, err);
}

static void done(world *w, c12_gen_job *job)
{
    if (job->leased) c12_pool_release(w->pool, &job->lease);
}

static void test_explicit_model(void **state)
{
    (void)state;
    world w;
    world_open(&w);
    c12_gen_job job;
    c12_err err;
    assert_int_equal(choose(&w, &job, 1, &err), C12_OK);
    assert_true(job.leased);
    assert_int_equal(job.lease.model_idx, 1);
    assert_string_equal(job.model, "smollm2-135m");
    assert_string_equal(job.choice.reason, "explicit model");
    assert_false(job.choice.route.is_auto);
    assert_null(job.choice.route.decision);
    assert_non_null(job.choice.route.analysis); /* still analysed */
    assert_int_equal(job.choice.est_basis, C12_BASIS_ESTIMATE); /* the policy knows the model */
    assert_true(job.choice.est_j > 0);
    done(&w, &job);
    /* an explicit request tries a model whose load failed, cooling or not */
    snprintf(w.f.fail, sizeof w.f.fail, "smollm2-135m");
    assert_int_equal(choose(&w, &job, 1, &err), C12_ERR_IO);
    assert_true(c12_pool_cooling(w.pool, 1));
    assert_int_equal(choose(&w, &job, 1, &err), C12_ERR_IO);
    assert_false(job.leased);
    assert_string_equal(job.model, "smollm2-135m"); /* the row names what it tried */
    assert_int_equal(w.f.attempts[1], 3);
    world_close(&w);
}

static void test_auto_and_failed_loads(void **state)
{
    (void)state;
    world w;
    world_open(&w);
    c12_gen_job job;
    c12_err err;
    /* everything loads: the decision's first candidate serves */
    assert_int_equal(choose(&w, &job, -1, &err), C12_OK);
    assert_true(job.choice.route.is_auto);
    assert_non_null(job.choice.route.decision);
    assert_true(job.choice.decision.n >= 2);
    assert_int_equal(job.choice.route.chosen, 0);
    assert_int_equal(job.choice.route.load_failures, 0);
    assert_string_equal(job.choice.reason, job.choice.decision.reason);
    int job0 = job.lease.model_idx;
    const c12_model_cfg *first = &w.cfg->models[job0];
    assert_string_equal(job.model, first->id);
    assert_int_equal(job.choice.est_basis, C12_BASIS_ESTIMATE);
    assert_true(job.choice.est_j == job.choice.decision.c[0].energy_j);
    done(&w, &job);

    /* the first candidate's load fails: the next one serves */
    snprintf(w.f.fail, sizeof w.f.fail, "%s", first->id);
    int tries = w.f.attempts[job0];
    assert_int_equal(choose(&w, &job, -1, &err), C12_OK);
    assert_int_equal(w.f.attempts[job0], tries + 1);
    assert_int_equal(job.choice.route.chosen, 1);
    assert_int_equal(job.choice.route.load_failures, 1);
    assert_string_not_equal(job.model, first->id);
    char want[256];
    snprintf(want, sizeof want, "%s; failed to load: %s", job.choice.decision.reason, first->id);
    assert_string_equal(job.choice.reason, want);
    assert_true(job.choice.est_j == job.choice.decision.c[1].energy_j);
    done(&w, &job);

    /* now it is cooling: passed over without another load */
    w.f.clock += C12_POOL_LOAD_RETRY_MS - 1;
    assert_int_equal(choose(&w, &job, -1, &err), C12_OK);
    assert_int_equal(w.f.attempts[job0], tries + 1);
    assert_int_equal(job.choice.route.chosen, 1);
    assert_string_equal(job.choice.reason, want);
    done(&w, &job);

    /* cooled down and mended: it is tried again, and serves */
    w.f.clock += 1;
    w.f.fail[0] = '\0';
    assert_int_equal(choose(&w, &job, -1, &err), C12_OK);
    assert_int_equal(w.f.attempts[job0], tries + 2);
    assert_int_equal(job.choice.route.chosen, 0);
    assert_string_equal(job.model, first->id);
    done(&w, &job);
    world_close(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explicit_model),
        cmocka_unit_test(test_auto_and_failed_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
