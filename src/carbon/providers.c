/* providers.c - the table of built-in carbon providers. Adding one is a new
 * prov_*.c file and a row here; nothing else branches on provider names. */
#include "carbon/carbon.h"

extern const c12_carbon_provider_ops c12_carbon_em_ops;
extern const c12_carbon_provider_ops c12_carbon_watttime_ops;
extern const c12_carbon_provider_ops c12_carbon_ukgrid_ops;
extern const c12_carbon_provider_ops c12_carbon_trace_ops;
extern const c12_carbon_provider_ops c12_carbon_static_ops;

const c12_carbon_provider_ops *const c12_carbon_providers[] = {
    &c12_carbon_em_ops,    &c12_carbon_watttime_ops, &c12_carbon_ukgrid_ops,
    &c12_carbon_trace_ops, &c12_carbon_static_ops,   NULL,
};
