/* sect_keys.c - server.api_keys: each entry a key's hash ("sha256:<hex>"),
 * a key read from the environment and hashed at once ("env:VAR"), or a
 * mapping that gives the key a name and limits (docs/limits.md):
 *
 *   - key: "sha256:9f86d0..."   # or "env:VAR"
 *     name: team-a              # the label in the ledger, reports and metrics
 *     rpm: 60                   # requests per minute
 *     tpm: 20000                # tokens per minute (prompt + completion)
 *     co2_g_per_day: 50         # or co2_g_per_month
 *     per_user: false           # true: each `user` value under the key has these limits
 *
 * Plain keys are refused: the file holds hashes only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_impl.h"
#include "models/sha.h"

/* A mapping entry while it is read (copied into the config when whole). */
typedef struct key_entry {
    char key[128];
    char name[C12_CFG_KEY_NAME_MAX];
    double rpm, tpm, co2_day, co2_month;
    int per_user;
} key_entry;

static const c12_cfg_key ENTRY_KEYS[] = {
    C12_CFG_SLOT("key", c12_cfg_slot_str, key_entry, key, 0, 0),
    C12_CFG_SLOT("name", c12_cfg_slot_str, key_entry, name, 0, 0),
    C12_CFG_SLOT("rpm", c12_cfg_slot_num, key_entry, rpm, 0, 1e9),
    C12_CFG_SLOT("tpm", c12_cfg_slot_num, key_entry, tpm, 0, 1e12),
    C12_CFG_SLOT("co2_g_per_day", c12_cfg_slot_num, key_entry, co2_day, 0, 1e12),
    C12_CFG_SLOT("co2_g_per_month", c12_cfg_slot_num, key_entry, co2_month, 0, 1e12),
    C12_CFG_SLOT("per_user", c12_cfg_slot_bool, key_entry, per_user, 0, 0),
    {0}};

/* "sha256:<hex>" or "env:VAR" into dst (the hash's hex). */
static c12_rc key_hash(const char *s, const c12_cfg_node *v, const char *path, char *dst, c12_err *err)
{
    if (!strncmp(s, "sha256:", 7) && c12_sha256_is_hex(s + 7)) {
        memcpy(dst, s + 7, 65);
        return C12_OK;
    }
    if (!strncmp(s, "env:", 4)) {
        const char *key = getenv(s + 4);
        c12_err e;
        if (!key || !*key) return c12_cfg_fail(v, path, err, "environment variable %s is not set", s + 4);
        if (c12_config_hash_key(key, dst, &e)) return c12_cfg_fail(v, path, err, "%s", e.msg);
        return C12_OK;
    }
    return c12_cfg_fail(v, path, err, "must be \"sha256:<64 lowercase hex>\" or \"env:VARIABLE\" "
                                      "(keys are not stored in the file; `c12 config hash-key` prints the hash)");
}

/* A name is what a label may show: letters, digits, '.', '_', '-'; not
 * "key:..." (the unnamed keys' labels). */
static int name_ok(const char *s)
{
    if (!*s) return 0;
    for (const char *p = s; *p; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') || strchr("._-", *p)))
            return 0;
    return 1;
}

static c12_rc mapped_key(c12_config *c, const c12_cfg_node *v, const char *path, c12_err *err)
{
    key_entry e = {0};
    c12_rc rc = c12_cfg_walk(v, path, ENTRY_KEYS, &e, err);
    if (rc) return rc;
    const c12_cfg_node *kn = c12_cfg_get(v, "key");
    if (!kn) return c12_cfg_fail(v, path, err, "an entry with a name or limits needs `key:` (\"sha256:...\" or \"env:VAR\")");
    if (e.name[0] && !name_ok(e.name))
        return c12_cfg_fail(c12_cfg_get(v, "name"), path, err, "name may hold letters, digits, '.', '_' and '-'");
    if ((e.rpm > 0 && e.rpm < 1) || (e.tpm > 0 && e.tpm < 1))
        return c12_cfg_fail(v, path, err, "rpm and tpm are at least 1 (a bucket smaller than one never admits)");
    if (e.co2_day > 0 && e.co2_month > 0)
        return c12_cfg_fail(v, path, err, "give co2_g_per_day or co2_g_per_month, not both");
    size_t i = c->n_api_keys;
    rc = key_hash(e.key, kn, path, c->api_keys[i], err);
    if (rc) return rc;
    snprintf(c->api_key_names[i], sizeof c->api_key_names[i], "%s", e.name);
    c->api_key_limits[i] = (c12_limit_rule){
        .rpm = e.rpm, .tpm = e.tpm, .co2_g = e.co2_month > 0 ? e.co2_month : e.co2_day,
        .period = e.co2_month > 0 ? C12_LIMIT_MONTH : C12_LIMIT_DAY, .per_user = e.per_user};
    return C12_OK;
}

c12_rc c12_config_api_key(c12_config *c, const c12_cfg_node *v, const char *path, c12_err *err)
{
    if (c->n_api_keys == C12_CFG_MAX_KEYS) return c12_cfg_fail(v, path, err, "more than %d keys", C12_CFG_MAX_KEYS);
    size_t i = c->n_api_keys;
    c->api_key_names[i][0] = '\0';
    c->api_key_limits[i] = (c12_limit_rule){.period = C12_LIMIT_DAY};
    const char *s = c12_cfg_scalar(v);
    c12_rc rc = s ? key_hash(s, v, path, c->api_keys[i], err)
              : c12_cfg_kind_of(v) == C12_CFG_MAP ? mapped_key(c, v, path, err)
              : c12_cfg_fail(v, path, err, "entries must be \"sha256:...\", \"env:VAR\" or {key: ..., name: ...}");
    if (rc == C12_OK) c->n_api_keys++;
    return rc;
}

c12_rc c12_config_api_keys_check(const c12_config *c, const c12_cfg_node *v, const char *path, c12_err *err)
{
    for (size_t i = 0; i < c->n_api_keys; i++)
        for (size_t j = 0; j < i; j++) {
            if (c->api_key_names[i][0] && !strcmp(c->api_key_names[i], c->api_key_names[j]))
                return c12_cfg_fail(v, path, err, "two keys are named '%s'", c->api_key_names[i]);
            if (!strcmp(c->api_keys[i], c->api_keys[j]))
                return c12_cfg_fail(v, path, err, "entries %zu and %zu are the same key", j + 1, i + 1);
        }
    return C12_OK;
}
