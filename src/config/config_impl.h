/* config_impl.h - what the files of src/config share (internal). */
#ifndef C12_CONFIG_IMPL_H
#define C12_CONFIG_IMPL_H

#include "config/cfg_node.h"
#include "config/config.h"

/* A config with the server/pool/queue defaults and no models. */
c12_config *c12_config_alloc(const char *source);
void c12_config_model_defaults(c12_model_cfg *m);
void c12_config_model_from_catalog(c12_model_cfg *m, const char *name);
/* A config that names no model serves the whole catalogue (config.c). */
void c12_config_use_catalog(c12_config *c);

/* One server.api_keys entry (sect_keys.c): "sha256:<hex>", "env:VAR", or
 * a mapping {key, name, rpm, tpm, co2_g_per_day | co2_g_per_month,
 * per_user}; then the whole list checked (names unique). */
c12_rc c12_config_api_key(c12_config *c, const c12_cfg_node *v, const char *path, c12_err *err);
c12_rc c12_config_api_keys_check(const c12_config *c, const c12_cfg_node *v, const char *path, c12_err *err);

/* A section's parser: n is its node, NULL when the file has none (then
 * the section's defaults stand). */
typedef c12_rc (*c12_config_sect_fn)(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err);

c12_rc c12_config_sect_server(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err);
c12_rc c12_config_sect_pool(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err);
c12_rc c12_config_sect_batch(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err);
c12_rc c12_config_sect_cache(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err);
c12_rc c12_config_sect_queue(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err);
c12_rc c12_config_sect_models(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err);
c12_rc c12_config_sect_default_model(const c12_cfg_node *n, c12_config *c, const c12_config_opts *o, c12_err *err);

#endif
