/* registry.h - a small Prometheus-style registry: counter, gauge and
 * histogram families with labels, and their text exposition (format 0.0.4).
 *
 * A family is registered once with its name, help text, label names and (for
 * a histogram) its bucket bounds. A series (one set of label values) is
 * allocated the first time it is seen, up to the family's max_series; after
 * that, updating it allocates nothing. Each family has its own mutex, so the
 * request path never waits on a scrape of another family.
 *
 * Values that other modules own (the pool's loaded models, the carbon cache's
 * readings) are not pushed on every change: a collector registered with the
 * registry reads them at scrape time and sets its families (collect runs at
 * the start of c12_metrics_registry_write). */
#ifndef C12_METRICS_REGISTRY_H
#define C12_METRICS_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "base/c12_buf.h"
#include "base/c12_rc.h"

#define C12_METRICS_MAX_LABELS 4
#define C12_METRICS_VALUE_MAX 128   /* bytes of a label value, with its NUL */
#define C12_METRICS_MAX_BUCKETS 16  /* finite bounds; +Inf is implied */
#define C12_METRICS_MAX_COLLECTORS 8
#define C12_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef enum { C12_METRIC_COUNTER = 0, C12_METRIC_GAUGE, C12_METRIC_HISTOGRAM } c12_metric_type;

typedef struct c12_metrics_desc {
    const char *name;  /* [a-zA-Z_:][a-zA-Z0-9_:]*; counters end in _total */
    const char *help;
    c12_metric_type type;
    size_t n_labels;
    const char *labels[C12_METRICS_MAX_LABELS]; /* [a-zA-Z_][a-zA-Z0-9_]*, not __x, not "le" */
    size_t n_buckets;                            /* histograms: 1..C12_METRICS_MAX_BUCKETS */
    const double *buckets;                       /* increasing upper bounds */
    size_t max_series;                           /* 0: the registry's default */
} c12_metrics_desc;

typedef struct c12_metrics_registry c12_metrics_registry;
typedef struct c12_metrics_family c12_metrics_family;

/* Reads another module's state at scrape time and sets its own families
 * with c12_metrics_set. destroy (may be NULL) frees self when the registry
 * is freed. */
typedef struct c12_metrics_collector {
    const char *name;
    void (*collect)(void *self);
    void (*destroy)(void *self);
    void *self;
} c12_metrics_collector;

/* default_max_series: label sets per family when a desc says 0 (e.g. 256). */
c12_rc c12_metrics_registry_new(size_t default_max_series, c12_metrics_registry **out, c12_err *err);
/* Destroys the collectors too. No update may run concurrently. */
void c12_metrics_registry_free(c12_metrics_registry *r);

/* Register a family (the registry owns it; the handle lives as long as the
 * registry). C12_ERR_INVALID names what is wrong; duplicate names are refused.
 * desc's strings must outlive the registry (they are string literals). */
c12_rc c12_metrics_family_new(c12_metrics_registry *r, const c12_metrics_desc *desc, c12_metrics_family **out,
                              c12_err *err);
/* Take ownership of a collector (copied). C12_ERR_BUSY when the table is full;
 * then the caller still owns c->self. */
c12_rc c12_metrics_registry_add(c12_metrics_registry *r, const c12_metrics_collector *c, c12_err *err);

/* Updates. values: one per label, in the family's label order (NULL when it
 * has none). Errors, without a message (the request path has none to give):
 * C12_ERR_INVALID (wrong type for the family, a counter going down, NaN),
 * C12_ERR_RANGE (a value longer than C12_METRICS_VALUE_MAX - 1), C12_ERR_BUSY
 * (a new label set beyond max_series), C12_ERR_NOMEM. Failed updates are
 * counted (c12_metrics_registry_dropped) and shown as c12_metrics_dropped_total. */
c12_rc c12_metrics_inc(c12_metrics_family *f, const char *const *values, double by); /* counter, gauge */
c12_rc c12_metrics_set(c12_metrics_family *f, const char *const *values, double v);  /* gauge; counter (collectors) */
c12_rc c12_metrics_observe(c12_metrics_family *f, const char *const *values, double v); /* histogram */

/* Read back one series (tests): value of a counter/gauge, or a histogram's
 * sum and count. C12_ERR_NOT_FOUND when that label set was never seen. */
c12_rc c12_metrics_get(c12_metrics_family *f, const char *const *values, double *value, uint64_t *count);
uint64_t c12_metrics_registry_dropped(c12_metrics_registry *r);

/* Run the collectors, then append every family in registration order, series
 * in first-seen order, to out. Errors: the buffer's (NOMEM, RANGE). */
c12_rc c12_metrics_registry_write(c12_metrics_registry *r, c12_buf *out, c12_err *err);

/* Exposition helpers (expo.c), exposed for tests. */
/* A float as Prometheus reads it: shortest round-trip form, +Inf, -Inf, NaN. */
void c12_metrics_format_value(double v, char *buf, size_t cap);
/* Label value escaping: \ -> \\, " -> \", newline -> \n. help: only \ and newline. */
c12_rc c12_metrics_escape(c12_buf *out, const char *s, int is_help);

#endif
