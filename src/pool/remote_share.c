/* remote_share.c - what the fleet's requests share: DNS answers and TLS
 * sessions (libcurl's share interface; libcurl asks for a lock per kind of
 * data, each kind has its mutex here), and the transfer handles of
 * finished requests (a multi handle and its easy handle), kept for the
 * next. A kept multi handle keeps its connections: a request to a site
 * that keeps connections alive (vLLM, llama.cpp's server, C12) reuses an
 * idle one instead of a new TCP (and TLS) handshake, and skips the
 * handles' set-up (a socketpair, signal handler calls: about a tenth of a
 * proxied request's CPU). Connections are not put in the share itself:
 * libcurl does not support a shared connection cache used by concurrent
 * threads (it corrupted the heap under 3,000 streamed requests/s), while
 * a kept multi handle is one request's at a time. */
#include <curl/curl.h>
#include <pthread.h>

#include "base/c12_alloc.h"
#include "carbon/carbon_http.h"
#include "pool/backend_remote.h"

#define N_LOCKS CURL_LOCK_DATA_LAST
#define IDLE_MAX 64 /* handle pairs kept (each with its idle connections): more than usually run at once */

struct c12_remote_share {
    CURLSH *sh;
    pthread_mutex_t mu[N_LOCKS];
    pthread_mutex_t idle_mu;
    int n_idle;
    CURLM *idle_m[IDLE_MAX];
    CURL *idle_h[IDLE_MAX];
};

static void lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
    (void)h, (void)access;
    c12_remote_share *s = ud;
    if ((int)data >= 0 && data < N_LOCKS) pthread_mutex_lock(&s->mu[data]);
}

static void unlock(CURL *h, curl_lock_data data, void *ud)
{
    (void)h;
    c12_remote_share *s = ud;
    if ((int)data >= 0 && data < N_LOCKS) pthread_mutex_unlock(&s->mu[data]);
}

c12_rc c12_remote_share_new(c12_remote_share **out, c12_err *err)
{
    c12_carbon_http_init();
    c12_remote_share *s = c12_calloc(1, sizeof *s);
    if (!s || !(s->sh = curl_share_init())) {
        c12_free(s);
        return c12_fail(err, C12_ERR_NOMEM, "fleet: out of memory");
    }
    for (int i = 0; i < N_LOCKS; i++) pthread_mutex_init(&s->mu[i], NULL);
    pthread_mutex_init(&s->idle_mu, NULL);
    int bad = curl_share_setopt(s->sh, CURLSHOPT_LOCKFUNC, lock) || curl_share_setopt(s->sh, CURLSHOPT_UNLOCKFUNC, unlock) ||
              curl_share_setopt(s->sh, CURLSHOPT_USERDATA, s) ||
              curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
              curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    if (bad) {
        c12_remote_share_free(s);
        return c12_fail(err, C12_ERR_INTERNAL, "fleet: libcurl refused to share DNS and TLS sessions");
    }
    *out = s;
    return C12_OK;
}

void c12_remote_share_free(c12_remote_share *s)
{
    if (!s) return;
    for (int i = 0; i < s->n_idle; i++) {
        curl_easy_cleanup(s->idle_h[i]);
        curl_multi_cleanup(s->idle_m[i]);
    }
    curl_share_cleanup(s->sh); /* no transfer uses it any more */
    for (int i = 0; i < N_LOCKS; i++) pthread_mutex_destroy(&s->mu[i]);
    pthread_mutex_destroy(&s->idle_mu);
    c12_free(s);
}

void c12_remote_share_use(c12_remote_share *s, void *curl)
{
    if (s) curl_easy_setopt(curl, CURLOPT_SHARE, s->sh);
}

int c12_remote_share_take(c12_remote_share *s, void **multi, void **easy)
{
    if (!s) return 0;
    pthread_mutex_lock(&s->idle_mu);
    int have = s->n_idle > 0;
    if (have) {
        s->n_idle--;
        *multi = s->idle_m[s->n_idle];
        *easy = s->idle_h[s->n_idle];
    }
    pthread_mutex_unlock(&s->idle_mu);
    return have;
}

void c12_remote_share_give(c12_remote_share *s, void *multi, void *easy)
{
    int kept = 0;
    if (s && multi && easy) {
        curl_easy_reset(easy); /* its options go; the shared connections stay */
        pthread_mutex_lock(&s->idle_mu);
        if ((kept = s->n_idle < IDLE_MAX)) {
            s->idle_m[s->n_idle] = multi;
            s->idle_h[s->n_idle++] = easy;
        }
        pthread_mutex_unlock(&s->idle_mu);
    }
    if (kept) return;
    curl_easy_cleanup(easy);
    curl_multi_cleanup(multi);
}
