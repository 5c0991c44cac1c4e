/* carbon_config_impl.h - what carbon_config.c shares with carbon_section.c
 * (internal to src/carbon). */
#ifndef C12_CARBON_CONFIG_IMPL_H
#define C12_CARBON_CONFIG_IMPL_H

#include "carbon/carbon_config.h"

c12_carbon_config *c12_carbon_config_alloc(const char *source,
                                           const c12_carbon_provider_ops *const *table);
/* The generic defaults, no provider (table NULL: c12_carbon_providers). */
void c12_carbon_config_init(c12_carbon_config *c, const char *source, const c12_carbon_provider_ops *const *table);
/* Append the built-in providers: "trace" (of trace_path) and "static". */
c12_rc c12_carbon_config_add_builtin(c12_carbon_config *c, const char *trace_path);
/* Fill p with generic defaults and those of its type (C12_ERR_NOT_FOUND: no
 * such type in c->table). */
c12_rc c12_carbon_config_provider_defaults(const c12_carbon_config *c, c12_carbon_provider_cfg *p,
                                           const char *name, const char *type);
/* The type's own checks of one provider; `where` prefixes messages. */
c12_rc c12_carbon_config_check_provider(const c12_carbon_config *c, const c12_carbon_provider_cfg *p,
                                        const char *where, c12_err *err);
/* Names of the types in c->table, comma-separated, into buf. */
void c12_carbon_config_type_names(const c12_carbon_config *c, char *buf, size_t size);

#endif
