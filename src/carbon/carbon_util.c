/* carbon_util.c - readings, series, fetch results and the provider table
 * lookup. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_alloc.h"
#include "carbon/carbon.h"
#include "carbon/carbon_config.h"

const char *c12_carbon_kind_name(c12_carbon_kind k)
{
    return k == C12_CARBON_MARGINAL ? "marginal" : "average";
}

void c12_carbon_reading_init(c12_carbon_reading *r)
{
    memset(r, 0, sizeof *r);
    r->percentile = -1;
}

void c12_carbon_series_init(c12_carbon_series *s)
{
    s->pts = NULL;
    s->n = 0;
    s->cap = 0;
}

void c12_carbon_series_free(c12_carbon_series *s)
{
    c12_free(s->pts);
    c12_carbon_series_init(s);
}

c12_rc c12_carbon_series_push(c12_carbon_series *s, int64_t from_ms, int64_t to_ms, double value)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        c12_carbon_point *p = c12_realloc(s->pts, cap * sizeof *p);
        if (!p) return C12_ERR_NOMEM;
        s->pts = p;
        s->cap = cap;
    }
    s->pts[s->n++] = (c12_carbon_point){from_ms, to_ms, value};
    return C12_OK;
}

c12_rc c12_carbon_series_copy(c12_carbon_series *dst, const c12_carbon_series *src)
{
    c12_carbon_point *p = NULL;
    if (src->n) {
        p = c12_malloc(src->n * sizeof *p);
        if (!p) return C12_ERR_NOMEM;
        memcpy(p, src->pts, src->n * sizeof *p);
    }
    c12_free(dst->pts);
    dst->pts = p;
    dst->n = src->n;
    dst->cap = src->n;
    return C12_OK;
}

void c12_carbon_fetch_init(c12_carbon_fetch *f)
{
    c12_carbon_reading_init(&f->reading);
    c12_carbon_series_init(&f->forecast);
    c12_carbon_series_init(&f->past);
    f->forecast_by_c12 = 0;
    f->retry_after_ms = 0;
}

void c12_carbon_fetch_free(c12_carbon_fetch *f)
{
    c12_carbon_series_free(&f->forecast);
    c12_carbon_series_free(&f->past);
}

const c12_carbon_provider_ops *c12_carbon_provider_find(const c12_carbon_provider_ops *const *table,
                                                        const char *type)
{
    for (; table && *table; table++)
        if (!strcmp((*table)->type, type)) return *table;
    return NULL;
}

c12_rc c12_carbon_require(const struct c12_carbon_provider_cfg *cfg, const char *value,
                          const char *key, const char *where, c12_err *err)
{
    if (value && *value) return C12_OK;
    return c12_fail(err, C12_ERR_INVALID, "%s: carbon.providers.%s.%s: required for type %s", where,
                    cfg->name, key, cfg->type);
}

double c12_carbon_mean(const c12_carbon_series *s, int64_t from_ms, int64_t to_ms, int64_t *covered)
{
    double sum = 0;
    *covered = 0;
    for (size_t j = 0; j < s->n && s->pts[j].from_ms < to_ms; j++) {
        int64_t a = s->pts[j].from_ms > from_ms ? s->pts[j].from_ms : from_ms;
        int64_t b = s->pts[j].to_ms < to_ms ? s->pts[j].to_ms : to_ms;
        if (b <= a) continue;
        *covered += b - a;
        sum += s->pts[j].value * (double)(b - a);
    }
    return *covered ? sum / (double)*covered : NAN;
}

c12_rc c12_carbon_cleanest(const c12_carbon_series *s, int64_t width_ms, c12_carbon_point *out)
{
    c12_carbon_point best = {0, 0, 0};
    int found = 0;
    for (size_t i = 0; width_ms > 0 && i < s->n; i++) {
        int64_t lo = s->pts[i].from_ms, hi = lo + width_ms, covered;
        const c12_carbon_series from_i = {s->pts + i, s->n - i, 0}; /* the points before i end before lo */
        double mean = c12_carbon_mean(&from_i, lo, hi, &covered);
        if (s->pts[s->n - 1].to_ms < hi || covered == 0) break; /* later starts end later still */
        if (!found || mean < best.value) best = (c12_carbon_point){lo, hi, mean};
        found = 1;
    }
    if (!found) return C12_ERR_NOT_FOUND;
    *out = best;
    return C12_OK;
}
