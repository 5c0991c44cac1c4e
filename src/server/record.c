/* record.c - a finished request's record goes out from here: to the ledger
 * now, and to whatever else wants it (metrics) with one more call. */
#include <stdio.h>

#include "server/record.h"
#include "server/server_impl.h"

/* Metrics' model label comes from a closed set: a served model's id, or
 * "other" (a model the client made up, "auto" not yet resolved, none). A
 * client's own names would each open a series, filling the families' caps
 * until real series went missing (issue 16). The ledger keeps the name. */
static const char *model_label(const c12_server *s, const char *model)
{
    return c12_server_model_index(s, model) >= 0 ? model : "other";
}

static void observe(c12_server *s, const c12_ledger_row *row, const c12_server_route *route)
{
    c12_ledger_row m = *row;
    C12_LEDGER_SET(m.model, model_label(s, row->model));
    c12_metrics_observe_request(s->deps.metrics, &m); /* NULL metrics: nothing */
    if (route && route->counterfactual_g >= 0)
        c12_metrics_observe_counterfactual(s->deps.metrics, m.model, route->counterfactual_g);
    if (route && route->is_auto) c12_metrics_observe_route(s->deps.metrics, m.model, row->category);
}

void c12_server_record(c12_server *s, const c12_ledger_row *row, const c12_server_route *route)
{
    if (s->deps.metrics) observe(s, row, route);
    if (!s->deps.ledger) return;
    c12_err err;
    c12_rc rc = c12_ledger_submit(s->deps.ledger, row, &err);
    if (rc) {
        atomic_fetch_add(&s->ledger_refused, 1);
        fprintf(stderr, "c12 serve: %s: ledger row not written: %s\n", row->request_id, err.msg);
    }
}
