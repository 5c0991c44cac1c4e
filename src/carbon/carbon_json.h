/* carbon_json.h - small jansson helpers shared by the provider parsers
 * (internal to src/carbon). */
#ifndef C12_CARBON_JSON_H
#define C12_CARBON_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "base/c12_rc.h"

/* Parse a body; `what` names it in errors ("electricitymaps latest"). */
c12_rc c12_carbon_json_load(const char *body, size_t len, const char *what, json_t **out,
                            c12_err *err);
/* obj[key] as a finite number in [lo, hi]; 0 when absent, null, or not one. */
int c12_carbon_json_num(const json_t *obj, const char *key, double lo, double hi, double *out);
/* obj[key] as a time; 0 when absent or malformed. */
int c12_carbon_json_time(const json_t *obj, const char *key, int64_t *out_ms);
/* Copy obj[key] (a string) into dst, truncated to size; dst = "" when absent. */
void c12_carbon_json_str(const json_t *obj, const char *key, char *dst, size_t size);

#endif
