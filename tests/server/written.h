/* written.h - for the tests of the writers that put an answer or a chunk
 * straight into a buffer (gen_answer.c, gen_chunk.c): a job a site
 * answered, with every figure usage.c12 shows (and strings that need
 * escaping), and the check that a writer's bytes are the reference's.
 * Header-only; include it after cmocka.h. */
#ifndef C12_TEST_WRITTEN_H
#define C12_TEST_WRITTEN_H

#include <stdio.h>

#include "base/c12_alloc.h"
#include "base/c12_buf.h"
#include "server/gen.h"
#include "server/server_impl.h"

static inline void c12_test_site_job(c12_server *srv, c12_gen_job *job, const char *model)
{
    *srv = (c12_server){0};
    srv->deps.pue = 1.2;
    *job = (c12_gen_job){.srv = srv, .created = 1796449703, .model = model, .q = {.kind = C12_API_CHAT}};
    snprintf(job->id, sizeof job->id, "chatcmpl-6b13a5a0000000");
    snprintf(job->cost.energy_method, sizeof job->cost.energy_method, "site:rapl");
    snprintf(job->price.provider, sizeof job->price.provider, "electricitymaps");
    snprintf(job->site, sizeof job->site, "north");
    snprintf(job->site_reason, sizeof job->site_reason, "site north: 40 g/kWh, 0/16 busy");
    snprintf(job->choice.reason, sizeof job->choice.reason, "explicit \"model\"");
    job->cost.energy_j = 12.5;
    job->price.intensity = 56.25;
}

/* The writer returned rc into out: C12_OK, and exactly want's bytes.
 * Frees out and want (json_dumps's). */
static inline void c12_test_written(c12_rc rc, c12_buf *out, char *want)
{
    assert_non_null(want);
    assert_int_equal(rc, C12_OK);
    assert_string_equal(out->data, want);
    c12_buf_free(out);
    c12_free(want);
}

#endif
