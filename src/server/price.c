/* price.c - the carbon reading a generation request is priced at: read
 * once, from the carbon cache (background refreshers keep it; nothing here
 * waits on the network). */
#include <math.h>
#include <stdio.h>

#include "carbon/carbon_config.h"
#include "server/gen.h"

/* The carbon chain's mean forecast over the next hour (NAN: unknown). */
static double next_hour(c12_carbon_cache *cc)
{
    c12_carbon_series s;
    c12_err err;
    c12_carbon_series_init(&s);
    double sum = 0, n = 0;
    if (c12_carbon_cache_forecast(cc, 1, &s, NULL, &err) == C12_OK)
        for (size_t i = 0; i < s.n; i++) sum += s.pts[i].value, n++;
    c12_carbon_series_free(&s);
    return n > 0 ? sum / n : NAN;
}

void c12_price(const c12_server *srv, int forecast, c12_gen_price *out)
{
    c12_carbon_cache *cc = srv->deps.carbon;
    c12_carbon_answer a;
    c12_err err;
    *out = (c12_gen_price){.intensity = C12_CARBON_DEFAULT_STATIC, .provider = "default", .next_hour = NAN};
    if (cc && c12_carbon_cache_now(cc, &a, &err) == C12_OK) {
        out->intensity = a.reading.value;
        snprintf(out->provider, sizeof out->provider, "%s", a.reading.provider);
        out->age_s = (double)a.age_ms / 1000.0;
    }
    if (cc && forecast) out->next_hour = next_hour(cc); /* the policy's, so only "auto" asks */
}
