/* libFuzzer: the trace CSV, then C12's forecaster and backtest on whatever
 * parsed (values and times are outside bytes too). */
#include <stddef.h>
#include <stdint.h>

#include "carbon/carbon_forecast.h"
#include "carbon/carbon_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c12_carbon_series s, fc;
    c12_carbon_series_init(&s);
    c12_carbon_series_init(&fc);
    c12_err err;
    /* Spans are capped so that one input cannot ask for a huge grid. */
    if (c12_carbon_parse_trace_csv((const char *)data, size, &s, &err) == C12_OK &&
        s.pts[s.n - 1].from_ms - s.pts[0].from_ms < 400 * C12_CARBON_DAY_MS) {
        static const int hours[] = {1, 6, 24};
        c12_carbon_backtest_result r;
        c12_carbon_backtest(&s, hours, 3, &r, &err);
        c12_carbon_forecast(&s, s.pts[s.n - 1].to_ms, 24, &fc, &err);
    }
    c12_carbon_series_free(&fc);
    c12_carbon_series_free(&s);
    return 0;
}
