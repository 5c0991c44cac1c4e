/* registry.c - families, label sets and updates (see registry.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "metrics/registry_impl.h"

c12_rc c12_metrics_registry_new(size_t default_max_series, c12_metrics_registry **out, c12_err *err)
{
    if (!default_max_series) return c12_fail(err, C12_ERR_INVALID, "metrics: max_series must be > 0");
    c12_metrics_registry *r = c12_calloc(1, sizeof *r);
    if (!r) return c12_fail(err, C12_ERR_NOMEM, "metrics: out of memory");
    pthread_mutex_init(&r->mu, NULL);
    r->default_max_series = default_max_series;
    atomic_init(&r->dropped, 0);
    *out = r;
    return C12_OK;
}

static void family_free(c12_metrics_family *f)
{
    for (size_t i = 0; i < f->n; i++) c12_free(f->s[i]);
    c12_free(f->s);
    pthread_mutex_destroy(&f->mu);
    c12_free(f);
}

void c12_metrics_registry_free(c12_metrics_registry *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_col; i++)
        if (r->col[i].destroy) r->col[i].destroy(r->col[i].self);
    for (size_t i = 0; i < r->n_fam; i++) family_free(r->fam[i]);
    c12_free(r->fam);
    pthread_mutex_destroy(&r->mu);
    c12_free(r);
}

static int name_ok(const char *s, int colon)
{
    if (!s || !*s) return 0;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
                 (i > 0 && c >= '0' && c <= '9');
        if (!ok) return 0;
    }
    return 1;
}

static c12_rc check_desc(const c12_metrics_registry *r, const c12_metrics_desc *d, c12_err *err)
{
    if (!name_ok(d->name, 1)) return c12_fail(err, C12_ERR_INVALID, "metrics: bad metric name '%s'", d->name ? d->name : "");
    if (!d->help) return c12_fail(err, C12_ERR_INVALID, "metrics: %s: no help text", d->name);
    if (d->type > C12_METRIC_HISTOGRAM) return c12_fail(err, C12_ERR_INVALID, "metrics: %s: bad type", d->name);
    if (d->n_labels > C12_METRICS_MAX_LABELS)
        return c12_fail(err, C12_ERR_INVALID, "metrics: %s: more than %d labels", d->name, C12_METRICS_MAX_LABELS);
    for (size_t i = 0; i < d->n_labels; i++) {
        const char *l = d->labels[i];
        if (!name_ok(l, 0) || !strncmp(l, "__", 2) || (d->type == C12_METRIC_HISTOGRAM && !strcmp(l, "le")))
            return c12_fail(err, C12_ERR_INVALID, "metrics: %s: bad label name '%s'", d->name, l ? l : "");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(l, d->labels[j]))
                return c12_fail(err, C12_ERR_INVALID, "metrics: %s: label '%s' twice", d->name, l);
    }
    if (d->type == C12_METRIC_HISTOGRAM) {
        if (!d->buckets || !d->n_buckets || d->n_buckets > C12_METRICS_MAX_BUCKETS)
            return c12_fail(err, C12_ERR_INVALID, "metrics: %s: 1..%d buckets", d->name, C12_METRICS_MAX_BUCKETS);
        for (size_t i = 0; i < d->n_buckets; i++)
            if (!isfinite(d->buckets[i]) || (i && d->buckets[i] <= d->buckets[i - 1]))
                return c12_fail(err, C12_ERR_INVALID, "metrics: %s: buckets must be finite and increasing", d->name);
    }
    for (size_t i = 0; i < r->n_fam; i++)
        if (!strcmp(r->fam[i]->d.name, d->name))
            return c12_fail(err, C12_ERR_INVALID, "metrics: %s registered twice", d->name);
    return C12_OK;
}

static size_t series_size(const c12_metrics_family *f)
{
    size_t nb = f->d.type == C12_METRIC_HISTOGRAM ? f->d.n_buckets : 0;
    return sizeof(c12_metrics_series) + nb * sizeof(uint64_t);
}

/* Append f to the registry's list (mutex held). */
static c12_rc push_family(c12_metrics_registry *r, c12_metrics_family *f)
{
    if (r->n_fam == r->cap_fam) {
        size_t cap = r->cap_fam ? r->cap_fam * 2 : 16;
        c12_metrics_family **n = c12_realloc(r->fam, cap * sizeof *n);
        if (!n) return C12_ERR_NOMEM;
        r->fam = n;
        r->cap_fam = cap;
    }
    r->fam[r->n_fam++] = f;
    return C12_OK;
}

c12_rc c12_metrics_family_new(c12_metrics_registry *r, const c12_metrics_desc *desc, c12_metrics_family **out,
                              c12_err *err)
{
    pthread_mutex_lock(&r->mu);
    c12_rc rc = check_desc(r, desc, err);
    c12_metrics_family *f = rc ? NULL : c12_calloc(1, sizeof *f);
    if (!rc && !f) rc = c12_fail(err, C12_ERR_NOMEM, "metrics: out of memory");
    if (!rc) {
        f->reg = r;
        f->d = *desc;
        if (!f->d.max_series) f->d.max_series = r->default_max_series;
        /* A family without labels has exactly one series. */
        if (!f->d.n_labels) f->d.max_series = 1;
        if (f->d.type == C12_METRIC_HISTOGRAM) memcpy(f->bounds, desc->buckets, desc->n_buckets * sizeof(double));
        f->d.buckets = f->bounds;
        pthread_mutex_init(&f->mu, NULL);
        f->s = c12_calloc(f->d.max_series, sizeof *f->s);
        /* ...and it shows 0 from the start rather than appearing on first use. */
        if (f->s && !f->d.n_labels && (f->s[0] = c12_calloc(1, series_size(f)))) f->n = 1;
        if (!f->s || (!f->d.n_labels && !f->n) || push_family(r, f))
            rc = c12_fail(err, C12_ERR_NOMEM, "metrics: out of memory");
    }
    pthread_mutex_unlock(&r->mu);
    if (rc) {
        if (f) family_free(f);
        return rc;
    }
    *out = f;
    return C12_OK;
}

c12_rc c12_metrics_registry_add(c12_metrics_registry *r, const c12_metrics_collector *c, c12_err *err)
{
    pthread_mutex_lock(&r->mu);
    c12_rc rc = C12_OK;
    if (r->n_col == C12_METRICS_MAX_COLLECTORS)
        rc = c12_fail(err, C12_ERR_BUSY, "metrics: more than %d collectors", C12_METRICS_MAX_COLLECTORS);
    else r->col[r->n_col++] = *c;
    pthread_mutex_unlock(&r->mu);
    return rc;
}

/* The series with these label values, added if new (f->mu held). */
static c12_rc find_series(c12_metrics_family *f, const char *const *values, int add, c12_metrics_series **out)
{
    size_t nl = f->d.n_labels;
    for (size_t i = 0; i < nl; i++)
        if (!values || !values[i]) return C12_ERR_INVALID;
    for (size_t i = 0; i < f->n; i++) {
        size_t j = 0;
        while (j < nl && !strcmp(f->s[i]->vals[j], values[j])) j++;
        if (j == nl) {
            *out = f->s[i];
            return C12_OK;
        }
    }
    if (!add) return C12_ERR_NOT_FOUND;
    for (size_t i = 0; i < nl; i++)
        if (strlen(values[i]) >= C12_METRICS_VALUE_MAX) return C12_ERR_RANGE;
    if (f->n == f->d.max_series) return C12_ERR_BUSY;
    c12_metrics_series *s = c12_calloc(1, series_size(f));
    if (!s) return C12_ERR_NOMEM;
    for (size_t i = 0; i < nl; i++) memcpy(s->vals[i], values[i], strlen(values[i]) + 1);
    f->s[f->n++] = s;
    *out = s;
    return C12_OK;
}

typedef enum { OP_INC, OP_SET, OP_OBSERVE } op_kind;

static c12_rc apply(c12_metrics_series *s, const c12_metrics_family *f, op_kind op, double v)
{
    if (op == OP_INC) s->value += v;
    else if (op == OP_SET) s->value = v;
    else {
        size_t b = 0;
        while (b < f->d.n_buckets && v > f->bounds[b]) b++;
        if (b < f->d.n_buckets) s->bucket[b]++; /* else only the +Inf bucket (= count) */
        s->value += v;
        s->count++;
    }
    return C12_OK;
}

static int op_allowed(c12_metric_type t, op_kind op, double v)
{
    if (isnan(v)) return 0;
    switch (op) {
    case OP_INC: return t == C12_METRIC_GAUGE || (t == C12_METRIC_COUNTER && v >= 0);
    case OP_SET: return t != C12_METRIC_HISTOGRAM;
    case OP_OBSERVE: return t == C12_METRIC_HISTOGRAM;
    }
    return 0;
}

static c12_rc update(c12_metrics_family *f, const char *const *values, op_kind op, double v)
{
    c12_rc rc = C12_ERR_INVALID;
    if (op_allowed(f->d.type, op, v)) {
        pthread_mutex_lock(&f->mu);
        c12_metrics_series *s = NULL;
        rc = find_series(f, values, 1, &s);
        if (!rc) rc = apply(s, f, op, v);
        pthread_mutex_unlock(&f->mu);
    }
    if (rc) atomic_fetch_add(&f->reg->dropped, 1);
    return rc;
}

c12_rc c12_metrics_inc(c12_metrics_family *f, const char *const *values, double by)
{
    return update(f, values, OP_INC, by);
}

c12_rc c12_metrics_set(c12_metrics_family *f, const char *const *values, double v)
{
    return update(f, values, OP_SET, v);
}

c12_rc c12_metrics_observe(c12_metrics_family *f, const char *const *values, double v)
{
    return update(f, values, OP_OBSERVE, v);
}

c12_rc c12_metrics_get(c12_metrics_family *f, const char *const *values, double *value, uint64_t *count)
{
    pthread_mutex_lock(&f->mu);
    c12_metrics_series *s = NULL;
    c12_rc rc = find_series(f, values, 0, &s);
    if (!rc) {
        if (value) *value = s->value;
        if (count) *count = s->count;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

uint64_t c12_metrics_registry_dropped(c12_metrics_registry *r) { return atomic_load(&r->dropped); }

c12_rc c12_metrics_registry_write(c12_metrics_registry *r, c12_buf *out, c12_err *err)
{
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->n_col; i++) r->col[i].collect(r->col[i].self);
    c12_rc rc = C12_OK;
    for (size_t i = 0; !rc && i < r->n_fam; i++) rc = c12_metrics_write_family(r->fam[i], out);
    if (!rc)
        rc = c12_buf_printf(out, "# HELP c12_metrics_dropped_total Metric updates that failed (label set limit, "
                                 "value too long, out of memory).\n"
                                 "# TYPE c12_metrics_dropped_total counter\nc12_metrics_dropped_total %llu\n",
                            (unsigned long long)atomic_load(&r->dropped));
    pthread_mutex_unlock(&r->mu);
    if (rc) return c12_fail(err, rc, "metrics: the exposition did not fit (%s)", c12_rc_name(rc));
    return C12_OK;
}
