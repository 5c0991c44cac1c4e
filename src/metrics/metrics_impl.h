/* metrics_impl.h - the gateway metrics' insides, shared by metrics.c (request
 * families) and collect.c (pool and carbon collectors). Internal. */
#ifndef C12_METRICS_IMPL_H
#define C12_METRICS_IMPL_H

#include <stddef.h>

#include "metrics/metrics.h"

struct c12_metrics {
    c12_metrics_registry *reg;
    c12_metrics_family *requests, *prompt_tokens, *completion_tokens, *energy, *co2, *co2_cf;
    c12_metrics_family *queue_wait, *ttft, *duration, *route, *cache_requests, *co2_avoided;
    c12_metrics_family *key_co2, *limited;
    c12_metrics_family *priced; /* requests by the carbon provider that priced them */
    c12_metrics_family *conns_open, *conns_refused;
};

/* A table row: a family's description and where its handle goes. */
typedef struct c12_metrics_fam_def {
    size_t offset; /* of the c12_metrics_family * in the owning struct */
    c12_metrics_desc desc;
} c12_metrics_fam_def;

#define C12_NB(a) (sizeof(a) / sizeof((a)[0]))
#define C12_METRICS_FAM(owner, field, nm, ty, hp, ...) \
    {offsetof(owner, field), {.name = nm, .help = hp, .type = ty, __VA_ARGS__}}
#define C12_LABELS(...) .n_labels = C12_NB(((const char *[]){__VA_ARGS__})), .labels = {__VA_ARGS__}
#define C12_HIST(b) .n_buckets = C12_NB(b), .buckets = b

/* Register every family of a table, storing handles at base + offset. */
c12_rc c12_metrics_add_families(c12_metrics_registry *reg, void *base, const c12_metrics_fam_def *defs, size_t n,
                                c12_err *err);

#endif
