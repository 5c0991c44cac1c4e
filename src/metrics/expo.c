/* expo.c - the Prometheus text exposition format, version 0.0.4:
 *   # HELP name help text (\ and newline escaped)
 *   # TYPE name counter|gauge|histogram
 *   name{label="value",...} 1.5
 * A histogram writes cumulative name_bucket{...,le="bound"} lines ending in
 * le="+Inf", then name_sum and name_count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/registry_impl.h"

void c12_metrics_format_value(double v, char *buf, size_t cap)
{
    if (isnan(v)) {
        snprintf(buf, cap, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, cap, "%s", v > 0 ? "+Inf" : "-Inf");
        return;
    }
    /* The shortest of %.15g..%.17g that reads back as the same double:
     * 0.1 stays "0.1" rather than 0.10000000000000001. */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

c12_rc c12_metrics_escape(c12_buf *out, const char *s, int is_help)
{
    c12_rc rc = C12_OK;
    for (const char *p = s; !rc && *p; p++) {
        const char *e = *p == '\\' ? "\\\\" : *p == '\n' ? "\\n" : (*p == '"' && !is_help) ? "\\\"" : NULL;
        /* Copy runs of plain bytes at once. */
        if (!e) {
            size_t n = strcspn(p, is_help ? "\\\n" : "\\\n\"");
            rc = c12_buf_append(out, p, n);
            p += n - 1;
        } else {
            rc = c12_buf_puts(out, e);
        }
    }
    return rc;
}

/* {a="x",b="y"} plus an optional le="..." (histogram buckets); nothing at all
 * when there is no label. */
static c12_rc write_labels(c12_buf *out, const c12_metrics_family *f, const c12_metrics_series *s, const char *le)
{
    if (!f->d.n_labels && !le) return C12_OK;
    c12_rc rc = c12_buf_puts(out, "{");
    for (size_t i = 0; !rc && i < f->d.n_labels; i++) {
        rc = c12_buf_printf(out, "%s%s=\"", i ? "," : "", f->d.labels[i]);
        if (!rc) rc = c12_metrics_escape(out, s->vals[i], 0);
        if (!rc) rc = c12_buf_puts(out, "\"");
    }
    if (!rc && le) rc = c12_buf_printf(out, "%sle=\"%s\"", f->d.n_labels ? "," : "", le);
    if (!rc) rc = c12_buf_puts(out, "}");
    return rc;
}

static c12_rc write_sample(c12_buf *out, const c12_metrics_family *f, const c12_metrics_series *s, const char *suffix,
                           const char *le, const char *value)
{
    c12_rc rc = c12_buf_printf(out, "%s%s", f->d.name, suffix);
    if (!rc) rc = write_labels(out, f, s, le);
    if (!rc) rc = c12_buf_printf(out, " %s\n", value);
    return rc;
}

static c12_rc write_histogram(c12_buf *out, const c12_metrics_family *f, const c12_metrics_series *s)
{
    char le[40], v[40];
    uint64_t cum = 0;
    c12_rc rc = C12_OK;
    for (size_t b = 0; !rc && b < f->d.n_buckets; b++) {
        cum += s->bucket[b];
        c12_metrics_format_value(f->bounds[b], le, sizeof le);
        snprintf(v, sizeof v, "%llu", (unsigned long long)cum);
        rc = write_sample(out, f, s, "_bucket", le, v);
    }
    snprintf(v, sizeof v, "%llu", (unsigned long long)s->count);
    if (!rc) rc = write_sample(out, f, s, "_bucket", "+Inf", v);
    char sum[40];
    c12_metrics_format_value(s->value, sum, sizeof sum);
    if (!rc) rc = write_sample(out, f, s, "_sum", NULL, sum);
    if (!rc) rc = write_sample(out, f, s, "_count", NULL, v);
    return rc;
}

static const char *type_name(c12_metric_type t)
{
    return t == C12_METRIC_COUNTER ? "counter" : t == C12_METRIC_GAUGE ? "gauge" : "histogram";
}

c12_rc c12_metrics_write_family(c12_metrics_family *f, c12_buf *out)
{
    pthread_mutex_lock(&f->mu);
    c12_rc rc = c12_buf_printf(out, "# HELP %s ", f->d.name);
    if (!rc) rc = c12_metrics_escape(out, f->d.help, 1);
    if (!rc) rc = c12_buf_printf(out, "\n# TYPE %s %s\n", f->d.name, type_name(f->d.type));
    for (size_t i = 0; !rc && i < f->n; i++) {
        const c12_metrics_series *s = f->s[i];
        if (f->d.type == C12_METRIC_HISTOGRAM) {
            rc = write_histogram(out, f, s);
        } else {
            char v[40];
            c12_metrics_format_value(s->value, v, sizeof v);
            rc = write_sample(out, f, s, "", NULL, v);
        }
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}
