/* site_probe.c - what a site says about itself: whether it answers
 * (GET <url>/models) and how long its own queue is (its Prometheus
 * metrics), for the fleet's prober (fleet_health.c). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carbon/carbon_http.h"
#include "pool/backend_remote.h"

#define METRICS_MAX (4u << 20)

static size_t keep(char *p, size_t size, size_t n, void *ud)
{
    c12_buf *b = ud;
    if (!b) return size * n;
    return c12_buf_append(b, p, size * n) ? 0 : size * n; /* over the cap: the transfer stops */
}

/* GET url within the site's connect timeout (+1 s for the reply); the body
 * into *body (NULL: dropped). C12_OK on a 200. */
static c12_rc get(const c12_site_cfg *site, const char *url, const char *api_key, c12_buf *body, c12_err *err)
{
    c12_carbon_http_init();
    char detail[CURL_ERROR_SIZE] = "";
    CURL *h = curl_easy_init();
    struct curl_slist *hl = c12_remote_headers(api_key);
    if (!h || !hl) {
        curl_easy_cleanup(h);
        curl_slist_free_all(hl);
        return c12_fail(err, C12_ERR_NOMEM, "Out of memory.");
    }
    long ct_ms = (long)(site->connect_timeout_s * 1000);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ct_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ct_ms + 1000);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hl);
    if (cc != CURLE_OK)
        return c12_fail(err, C12_ERR_NETWORK, "GET %s: %s", url, detail[0] ? detail : curl_easy_strerror(cc));
    if (status != 200) return c12_fail(err, C12_ERR_NETWORK, "GET %s: status %ld", url, status);
    return C12_OK;
}

c12_rc c12_remote_probe(const c12_site_cfg *site, const char *api_key, c12_err *err)
{
    char url[C12_SITE_URL_MAX + 16];
    snprintf(url, sizeof url, "%s/models", site->url);
    return get(site, url, api_key, NULL, err);
}

/* One sample line's value when it is of family `name` (the name, then
 * labels or a space); else 0 with *ok 0. */
static double sample(const char *line, size_t len, const char *name, int *ok)
{
    size_t nl = strlen(name);
    *ok = 0;
    if (len <= nl || memcmp(line, name, nl) || (line[nl] != '{' && line[nl] != ' ')) return 0;
    const char *v = line + nl;
    if (*v == '{') { /* label values may hold spaces and braces: find the closing one outside quotes */
        int quoted = 0;
        for (v++; v < line + len && (quoted || *v != '}'); v++)
            if (*v == '"' && v[-1] != '\\') quoted = !quoted;
        if (v >= line + len) return 0;
        v++;
    }
    char buf[64];
    size_t k = (size_t)(line + len - v);
    if (k >= sizeof buf) k = sizeof buf - 1;
    memcpy(buf, v, k);
    buf[k] = '\0';
    char *end;
    double d = strtod(buf, &end);
    *ok = end != buf && d == d; /* a number, not NaN */
    return *ok ? d : 0;
}

double c12_prom_sum(const char *text, size_t n, const char *name, int *found)
{
    double sum = 0;
    *found = 0;
    for (const char *p = text, *end = text + n; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        int ok;
        double v = sample(p, len, name, &ok);
        if (ok) sum += v, *found = 1;
        p += len + 1;
    }
    return sum;
}

c12_rc c12_remote_queue(const c12_site_cfg *site, const char *metrics_url, const char *api_key, double *waiting,
                        c12_err *err)
{
    static const char *const NAMES[] = {"vllm:num_requests_waiting", "llamacpp:requests_deferred", "c12_queue_depth"};
    c12_buf body;
    c12_buf_init(&body, METRICS_MAX);
    c12_rc rc = get(site, metrics_url, api_key, &body, err);
    int found = 0;
    double sum = 0;
    for (size_t i = 0; !rc && !found && i < sizeof NAMES / sizeof NAMES[0]; i++)
        sum = c12_prom_sum(body.data ? body.data : "", body.len, NAMES[i], &found);
    c12_buf_free(&body);
    if (rc) return rc;
    if (!found) return c12_fail(err, C12_ERR_NOT_FOUND, "%s: no queue gauge", metrics_url);
    *waiting = sum;
    return C12_OK;
}
