/* api_usage.c - GET /v1/c12/usage[?user=U]: what the caller's key has spent
 * this period and what its limits leave (docs/limits.md). The key is the
 * one the request presents; `user` picks a user of a per-user key. */
#include <stdio.h>
#include <string.h>

#include "base/c12_clock.h"
#include "server/server_impl.h"

static json_t *time_str(int64_t ms)
{
    char t[32];
    c12_ledger_bucket_key(C12_LEDGER_BY_STEP, ms, t, sizeof t);
    return json_string(t);
}

/* {"limit", "remaining", "reset_s"} of a per-minute bucket, or null. */
static json_t *bucket(double limit, double left, double reset_s)
{
    if (!(limit > 0)) return json_null();
    return json_pack("{s:f, s:f, s:f}", "limit_per_minute", limit, "remaining", left, "reset_s", reset_s);
}

static json_t *carbon(const c12_limit_state *st)
{
    double lim = st->rule.co2_g;
    json_t *o = json_pack("{s:s, s:o, s:o, s:f}", "period", c12_limit_period_name(st->rule.period),
                          "period_start", time_str(st->period_start_ms), "resets_at", time_str(st->period_end_ms),
                          "spent_g", st->co2_spent_g);
    if (!o) return NULL;
    json_object_set_new(o, "limit_g", lim > 0 ? json_real(lim) : json_null());
    json_object_set_new(o, "remaining_g", lim > 0 ? json_real(st->co2_spent_g < lim ? lim - st->co2_spent_g : 0)
                                                  : json_null());
    return o;
}

enum MHD_Result c12_api_usage(c12_server *s, c12_req *r, struct MHD_Connection *c, const char *url)
{
    const char *user = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "user");
    if (user && strlen(user) >= sizeof ((c12_ledger_row *)0)->user)
        return c12_http_error(c, 400, "invalid_request_error", "user", "invalid_value", "user is too long.");
    char key[sizeof ((c12_ledger_row *)0)->api_key];
    c12_server_key_label(s, r->key_idx, key, sizeof key);
    c12_limit_state st;
    c12_limits_peek(s->limits, r->key_idx, user ? user : "", c12_clock_real_ms(), &st);
    int per_user = st.rule.per_user && user && *user;
    json_t *body = json_pack("{s:s, s:o, s:o, s:b, s:o, s:o, s:o}", "object", "c12.usage", "key",
                             key[0] ? json_string(key) : json_null(), "user",
                             per_user ? json_string(user) : json_null(), "per_user", st.rule.per_user, "requests",
                             bucket(st.rule.rpm, st.requests_left, st.requests_reset_s), "tokens",
                             bucket(st.rule.tpm, st.tokens_left, st.tokens_reset_s), "carbon", carbon(&st));
    if (!body) return c12_http_error(c, 503, "server_error", NULL, "out_of_memory", "Out of memory.");
    return c12_http_json(c, 200, body);
}
