/* registry_impl.h - the registry's insides, shared by registry.c (families,
 * updates) and expo.c (the text writer). Internal to src/metrics. */
#ifndef C12_METRICS_REGISTRY_IMPL_H
#define C12_METRICS_REGISTRY_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "metrics/registry.h"

/* One label set. Allocated when first seen, then updated in place. */
typedef struct c12_metrics_series {
    char vals[C12_METRICS_MAX_LABELS][C12_METRICS_VALUE_MAX];
    double value;      /* counter or gauge; a histogram's sum */
    uint64_t count;    /* histogram observations */
    uint64_t bucket[]; /* histogram: per bound, not cumulative (the writer sums) */
} c12_metrics_series;

struct c12_metrics_family {
    c12_metrics_registry *reg;
    c12_metrics_desc d;                      /* d.buckets points at bounds */
    double bounds[C12_METRICS_MAX_BUCKETS];
    pthread_mutex_t mu;                      /* guards n and every series */
    c12_metrics_series **s;                  /* max_series slots, allocated with the family */
    size_t n;
};

struct c12_metrics_registry {
    pthread_mutex_t mu; /* the family list and collectors; held through a scrape */
    c12_metrics_family **fam;
    size_t n_fam, cap_fam;
    c12_metrics_collector col[C12_METRICS_MAX_COLLECTORS];
    size_t n_col;
    size_t default_max_series;
    atomic_ullong dropped; /* failed updates */
};

/* Append one family's HELP, TYPE and samples (expo.c; takes f->mu). */
c12_rc c12_metrics_write_family(c12_metrics_family *f, c12_buf *out);

#endif
