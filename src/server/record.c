/* record.c - a finished request's record goes out from here: to the ledger
 * now, and to whatever else wants it (metrics) with one more call. */
#include <stdio.h>

#include "server/record.h"
#include "server/server_impl.h"

void c12_server_record(c12_server *s, const c12_ledger_row *row, const c12_server_route *route)
{
    c12_metrics_observe_request(s->deps.metrics, row); /* NULL metrics: nothing */
    if (route && route->counterfactual_g >= 0)
        c12_metrics_observe_counterfactual(s->deps.metrics, row->model, route->counterfactual_g);
    if (route && route->is_auto) c12_metrics_observe_route(s->deps.metrics, row->model, row->category);
    if (!s->deps.ledger) return;
    c12_err err;
    c12_rc rc = c12_ledger_submit(s->deps.ledger, row, &err);
    if (rc) {
        atomic_fetch_add(&s->ledger_refused, 1);
        fprintf(stderr, "c12 serve: %s: ledger row not written: %s\n", row->request_id, err.msg);
    }
}
