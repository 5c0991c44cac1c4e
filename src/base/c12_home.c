/* c12_home.c - the one place that knows where C12's own files live. */
#include <stdio.h>
#include <stdlib.h>

#include "base/c12_home.h"

c12_rc c12_home_path(const char *name, char *out, size_t cap, c12_err *err)
{
    const char *home = getenv("C12_HOME"), *user = getenv("HOME");
    char path[4096];
    int n;
    if (home && home[0]) n = snprintf(path, sizeof path, "%s/%s", home, name);
    else if (user && user[0]) n = snprintf(path, sizeof path, "%s/.cache/c12/%s", user, name);
    else return c12_fail(err, C12_ERR_NOT_FOUND, "neither C12_HOME nor HOME is set: no place for %s", name);
    if (n < 0 || (size_t)n >= sizeof path || (size_t)n >= cap)
        return c12_fail(err, C12_ERR_RANGE, "%s: the path under C12_HOME is too long", name);
    snprintf(out, cap, "%s", path);
    return C12_OK;
}
