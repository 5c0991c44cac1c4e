/* libFuzzer: the calibration file ($C12_HOME/calibration.json). What parses
 * must serialize, and what is serialized must parse again to the same set. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "energy/calib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c12_calibration *c = NULL, *back = NULL;
    c12_err err;
    if (c12_calib_parse((const char *)data, size, &c, &err) != C12_OK) return 0;
    c12_buf b;
    c12_buf_init(&b, 0);
    if (c12_calib_to_json(c, &b, &err) == C12_OK) {
        if (c12_calib_parse(b.data, b.len, &back, &err) != C12_OK || back->n != c->n) abort();
        c12_calib_free(back);
    }
    c12_buf_free(&b);
    c12_calib_free(c);
    return 0;
}
