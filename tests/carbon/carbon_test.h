/* carbon_test.h - helpers shared by the carbon unit tests (header-only: each
 * tests/<module>/test_*.c is its own program). Tests run from the repo root. */
#ifndef C12_CARBON_TEST_H
#define C12_CARBON_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/c12_file.h"
#include "base/c12_alloc.h"
#include "carbon/carbon.h"
#include "config/config.h"

#define FIXTURES "tests/carbon/fixtures/"

/* A fixture's bytes (c12_free them). */
static inline char *fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, FIXTURES "%s", name);
    char *text = NULL;
    c12_err err;
    if (c12_read_file(path, 1u << 26, &text, len, &err) != C12_OK) fail_msg("%s", err.msg);
    return text;
}

static inline int64_t t_ms(const char *iso)
{
    int64_t t = 0;
    assert_int_equal(c12_carbon_parse_time(iso, &t), C12_OK);
    return t;
}

/* The carbon: section of yaml as the one configuration reader parses it, in
 * a carbon config of its own (c12_carbon_config_free it). */
static inline c12_rc carbon_test_parse(const char *yaml, const char *file, const c12_carbon_config_opts *o,
                                       c12_carbon_config **out, c12_err *err)
{
    c12_config_opts co = {.carbon = o ? *o : (c12_carbon_config_opts){0}};
    c12_config *c = NULL;
    c12_rc rc = c12_config_parse_opts(yaml, strlen(yaml), file, &co, &c, err);
    c12_carbon_config *cc = rc ? NULL : c12_malloc(sizeof *cc);
    if (!rc && !cc) rc = c12_fail(err, C12_ERR_NOMEM, "out of memory");
    if (!rc) *cc = c->carbon, *out = cc;
    c12_config_free(c);
    return rc;
}

#endif
