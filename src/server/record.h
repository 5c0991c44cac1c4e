/* record.h - the one place where a finished generation request is complete:
 * its ledger row and how its model was chosen. Everything that wants the
 * per-request record (the ledger, metrics, logs) is fed from
 * c12_server_record. */
#ifndef C12_SERVER_RECORD_H
#define C12_SERVER_RECORD_H

#include "ledger/ledger.h"
#include "route/policy.h"
#include "route/route.h"

typedef struct c12_server c12_server;

/* How the request's model was chosen. Pointers may be NULL. */
typedef struct c12_server_route {
    int is_auto;                         /* model "auto": the policy chose */
    const c12_route_analysis *analysis;  /* the query analysis (NULL: not analysed) */
    const c12_policy_decision *decision; /* NULL: an explicit model, or no policy */
    int chosen;                          /* index into decision->c of the model that served */
    int load_failures;                   /* candidates skipped because their load failed */
    double counterfactual_g;             /* the row's tokens on the strongest policy model, gCO2e; < 0: no policy */
} c12_server_route;

/* A finished request: submit its row to the ledger (a refusal is logged and
 * counted, never silent). Called exactly once per generation request that
 * the server accepted, whatever its outcome. Thread-safe. */
void c12_server_record(c12_server *s, const c12_ledger_row *row, const c12_server_route *route);

#endif
