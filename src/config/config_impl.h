/* config_impl.h - what config.c shares with config_yaml.c (internal). */
#ifndef C12_CONFIG_IMPL_H
#define C12_CONFIG_IMPL_H

#include "config/config.h"

/* A config with the server/pool/queue defaults and no models. */
c12_config *c12_config_alloc(const char *source);
void c12_config_model_defaults(c12_model_cfg *m);
void c12_config_model_from_catalog(c12_model_cfg *m, const char *name);
/* A config that names no model serves the whole catalogue (config.c). */
void c12_config_use_catalog(c12_config *c);

#endif
