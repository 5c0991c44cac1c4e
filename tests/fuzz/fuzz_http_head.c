/* libFuzzer: a request head as the gate sees it before libmicrohttpd
 * (src/server/gate_head.c): any bytes, any prefix of them. A verdict is
 * stable once given (more bytes never turn a refusal into MORE), a refusal
 * has a status and a message, and a head judged whole is one that ends in
 * a blank line within C12_HEAD_MAX. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    c12_head_verdict v;
    c12_head_result r = c12_head_check(p, size, &v);
    if (r == C12_HEAD_BAD && (v.status < 400 || v.status > 599 || !v.msg || !v.code)) abort();
    if (r == C12_HEAD_OK && !memmem(p, size < C12_HEAD_MAX + 4 ? size : C12_HEAD_MAX + 4, "\n\r\n", 3) &&
        !memmem(p, size, "\n\n", 2))
        abort();
    if (r == C12_HEAD_MORE && size > C12_HEAD_MAX + 1) abort(); /* never waits past the cap */
    if (size > 1) { /* a prefix: MORE, or the same kind of answer */
        c12_head_verdict pv;
        c12_head_result pr = c12_head_check(p, size - 1, &pv);
        if (pr == C12_HEAD_BAD && r != C12_HEAD_BAD) abort();
        if (pr == C12_HEAD_OK && r != C12_HEAD_OK) abort();
    }
    return 0;
}
