/* http.c - libcurl GET for the carbon providers (see carbon_http.h). */
#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <string.h>

#include "carbon/carbon_http.h"

#define DEFAULT_MAX_BODY (4u << 20)

static pthread_once_t http_once = PTHREAD_ONCE_INIT;

/* curl_global_init is not thread-safe in every libcurl build, so it runs
 * exactly once, before any handle exists. */
static void http_global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

void c12_carbon_http_init(void) { pthread_once(&http_once, http_global_init); }

void c12_carbon_http_resp_init(c12_carbon_http_resp *r)
{
    r->status = 0;
    r->retry_after_ms = 0;
    c12_buf_init(&r->body, 0);
}

void c12_carbon_http_resp_free(c12_carbon_http_resp *r) { c12_buf_free(&r->body); }

typedef struct sink {
    c12_buf *body;
    int overflow;
    int nomem;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    size_t len = size * n;
    c12_rc rc = c12_buf_append(s->body, p, len);
    if (rc == C12_ERR_RANGE) s->overflow = 1;
    if (rc == C12_ERR_NOMEM) s->nomem = 1;
    return rc ? 0 : len; /* a short count makes libcurl abort the transfer */
}

static c12_rc transport_error(CURLcode cc, const sink *s, const char *what, const char *detail,
                              c12_err *err)
{
    if (s->nomem) return c12_fail(err, C12_ERR_NOMEM, "%s: out of memory reading the body", what);
    if (s->overflow)
        return c12_fail(err, C12_ERR_RANGE, "%s: response body over %zu bytes", what,
                        s->body->limit);
    if (cc == CURLE_OPERATION_TIMEDOUT)
        return c12_fail(err, C12_ERR_TIMEOUT, "%s: timed out (%s)", what, detail);
    return c12_fail(err, C12_ERR_NETWORK, "%s: %s", what, detail[0] ? detail : curl_easy_strerror(cc));
}

static struct curl_slist *build_headers(const char *const *headers, int *ok)
{
    struct curl_slist *list = NULL;
    *ok = 1;
    for (; headers && *headers; headers++) {
        struct curl_slist *next = curl_slist_append(list, *headers);
        if (!next) {
            *ok = 0;
            break;
        }
        list = next;
    }
    return list;
}

static void set_options(CURL *h, const c12_carbon_http_req *req, sink *s, char *errbuf)
{
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 10000L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "c12-carbon/0.1");
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (req->username) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, req->username);
        curl_easy_setopt(h, CURLOPT_PASSWORD, req->password ? req->password : "");
    }
}

c12_rc c12_carbon_http_get(const c12_carbon_http_req *req, const char *what,
                           c12_carbon_http_resp *resp, c12_err *err)
{
    c12_carbon_http_init();
    c12_buf_free(&resp->body);
    c12_buf_init(&resp->body, req->max_body ? req->max_body : DEFAULT_MAX_BODY);
    resp->status = 0;
    resp->retry_after_ms = 0;
    CURL *h = curl_easy_init();
    if (!h) return c12_fail(err, C12_ERR_NOMEM, "%s: cannot create an HTTP handle", what);
    int ok;
    struct curl_slist *hdrs = build_headers(req->headers, &ok);
    if (!ok) {
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(h);
        return c12_fail(err, C12_ERR_NOMEM, "%s: out of memory for headers", what);
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    sink s = {&resp->body, 0, 0};
    set_options(h, req, &s, errbuf);
    if (hdrs) curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    CURLcode cc = curl_easy_perform(h);
    c12_rc rc = C12_OK;
    if (cc != CURLE_OK) {
        rc = transport_error(cc, &s, what, errbuf, err);
    } else {
        curl_off_t ra = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
        if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
            resp->retry_after_ms = (int64_t)ra * 1000;
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rc;
}

c12_rc c12_carbon_http_status(const c12_carbon_http_resp *resp, const char *what, c12_err *err)
{
    long st = resp->status;
    if (st >= 200 && st < 300) return C12_OK;
    if (st == 401 || st == 403)
        return c12_fail(err, C12_ERR_AUTH, "%s: HTTP %ld (credentials refused)", what, st);
    if (st == 429) return c12_fail(err, C12_ERR_BUSY, "%s: HTTP 429 (rate limited)", what);
    return c12_fail(err, C12_ERR_NETWORK, "%s: HTTP %ld", what, st);
}

c12_rc c12_carbon_http_fetch(const c12_carbon_http_req *req, const char *what,
                             c12_carbon_http_resp *resp, int64_t *retry_after_ms, c12_err *err)
{
    c12_rc rc = c12_carbon_http_get(req, what, resp, err);
    if (rc == C12_OK) rc = c12_carbon_http_status(resp, what, err);
    if (retry_after_ms && resp->retry_after_ms > 0) *retry_after_ms = resp->retry_after_ms;
    return rc;
}

c12_rc c12_carbon_http_escape(c12_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        c12_rc rc;
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            rc = c12_buf_append(b, s, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = c12_buf_append(b, e, 3);
        }
        if (rc) return rc;
    }
    return C12_OK;
}
