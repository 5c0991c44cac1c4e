/* record.c - a finished request's record goes out from here: to the ledger
 * now, and to whatever else wants it (metrics) with one more call. */
#include <stdio.h>

#include "server/record.h"
#include "server/server_impl.h"

/* The request's tokens on the strongest policy model (the largest), at its
 * calibrated or estimated joules per token and the request's intensity and
 * PUE: `c12 report`'s counterfactual, per request. -1: no policy. */
static double counterfactual_g(c12_server *s, const c12_ledger_row *row)
{
    c12_policy *pol = s->deps.policy ? c12_policy_slot_get(s->deps.policy) : NULL;
    if (!pol) return -1;
    const c12_policy_params *pp = c12_policy_get_params(pol);
    size_t k = 0;
    for (size_t i = 1; i < pp->n_models; i++)
        if (pp->models[i].params_b > pp->models[k].params_b) k = i;
    const c12_policy_cost *c = c12_policy_get_cost(pol, k);
    double j = c->j_prompt * (double)row->prompt_tokens + c->j_out * (double)row->completion_tokens;
    c12_policy_unref(pol);
    return c12_energy_gco2(j, row->intensity, row->pue);
}

void c12_server_record(c12_server *s, const c12_ledger_row *row, const c12_server_route *route)
{
    c12_metrics_observe_request(s->deps.metrics, row); /* NULL metrics: nothing */
    double cf = s->deps.metrics ? counterfactual_g(s, row) : -1;
    if (cf >= 0) c12_metrics_observe_counterfactual(s->deps.metrics, row->model, cf);
    if (route && route->is_auto) c12_metrics_observe_route(s->deps.metrics, row->model, row->category);
    if (!s->deps.ledger) return;
    c12_err err;
    c12_rc rc = c12_ledger_submit(s->deps.ledger, row, &err);
    if (rc) {
        atomic_fetch_add(&s->ledger_refused, 1);
        fprintf(stderr, "c12 serve: %s: ledger row not written: %s\n", row->request_id, err.msg);
    }
}
