/* parse_trace.c - the trace CSV "datetime,intensity_gco2_per_kwh" (see
 * carbon_parse.h). Lines are read from a bounded buffer, never as C strings,
 * so a body without a final newline or NUL is fine. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "carbon/carbon_parse.h"

#define FIELD_MAX 64
#define DEFAULT_STEP_MS (30 * 60000LL)

/* Copy [p, end) trimmed of spaces and a trailing CR into dst; 0 if too long. */
static int field(const char *p, const char *end, char *dst)
{
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) end--;
    size_t n = (size_t)(end - p);
    if (n >= FIELD_MAX) return 0;
    memcpy(dst, p, n);
    dst[n] = '\0';
    return 1;
}

static int parse_number(const char *s, double *out)
{
    char *e;
    if (!*s) return 0;
    double v = strtod(s, &e);
    if (*e || !isfinite(v) || v < 0 || v > C12_CARBON_MAX_G_KWH) return 0;
    *out = v;
    return 1;
}

/* One line [p, end): 1 = a point, 0 = a header/blank line to skip, -1 = error. */
static int parse_line(const char *p, const char *end, int64_t *t, double *v)
{
    const char *comma = memchr(p, ',', (size_t)(end - p));
    char a[FIELD_MAX], b[FIELD_MAX];
    if (!comma) return field(p, end, a) && a[0] == '\0' ? 0 : -1;
    if (!field(p, comma, a) || !field(comma + 1, end, b)) return -1;
    if (c12_carbon_parse_time(a, t) != C12_OK) return (a[0] && !strchr(a, '-')) ? 0 : -1;
    return parse_number(b, v) ? 1 : -1;
}

c12_rc c12_carbon_parse_trace_csv(const char *body, size_t len, c12_carbon_series *out,
                                  c12_err *err)
{
    c12_carbon_series s;
    c12_carbon_series_init(&s);
    const char *p = body, *end = body + len;
    size_t line = 0;
    int64_t step = 0;
    c12_rc rc = C12_OK;
    while (p < end && rc == C12_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        int64_t t;
        double v;
        line++;
        int k = parse_line(p, le, &t, &v);
        if (k < 0 || (k == 0 && s.n > 0 && le > p + 1)) {
            rc = c12_fail(err, C12_ERR_FORMAT, "trace: line %zu is not \"datetime,intensity\"", line);
        } else if (k == 1 && s.n && t <= s.pts[s.n - 1].from_ms) {
            rc = c12_fail(err, C12_ERR_FORMAT, "trace: line %zu goes back in time", line);
        } else if (k == 1) {
            if (s.n && (step == 0 || t - s.pts[s.n - 1].from_ms < step)) step = t - s.pts[s.n - 1].from_ms;
            if (c12_carbon_series_push(&s, t, t, v)) rc = c12_fail(err, C12_ERR_NOMEM, "trace: out of memory");
        }
        p = nl ? nl + 1 : end;
    }
    if (rc == C12_OK && s.n == 0) rc = c12_fail(err, C12_ERR_FORMAT, "trace: no data rows");
    if (rc) {
        c12_carbon_series_free(&s);
        return rc;
    }
    if (step == 0) step = DEFAULT_STEP_MS;
    /* Each point covers one step of the trace's resolution; a gap stays a gap. */
    for (size_t i = 0; i < s.n; i++) s.pts[i].to_ms = s.pts[i].from_ms + step;
    c12_carbon_series_free(out);
    *out = s;
    return C12_OK;
}
