/* The gate's judgement of a request head (gate_head.c): whole or not yet,
 * and what is refused with which status, code by code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "server/gate.h"

typedef struct head_case {
    const char *head;
    c12_head_result want;
    unsigned status; /* when BAD */
} head_case;

static const head_case CASES[] = {
    {"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", C12_HEAD_OK, 0},
    {"GET /healthz HTTP/1.0\n\n", C12_HEAD_OK, 0},
    {"POST /v1/completions HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}\0binary", C12_HEAD_OK, 0},
    {"POST / HTTP/1.1\r\ncontent-length:  7 \r\nContent-Length: 7\r\n\r\n", C12_HEAD_OK, 0},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", C12_HEAD_OK, 0},
    {"GET /healthz HTTP/1.1\r\nHost: x\r\n", C12_HEAD_MORE, 0},
    {"GET /heal", C12_HEAD_MORE, 0},
    {"", C12_HEAD_MORE, 0},
    {"GET /healthz HTTP/2.0\r\n", C12_HEAD_BAD, 505},
    {"GET /healthz HTTP/1.12\r\n\r\n", C12_HEAD_BAD, 505},
    {"GET /healthz FTP/1.1\r\n\r\n", C12_HEAD_BAD, 400},
    {"GET  /healthz HTTP/1.1\r\n\r\n", C12_HEAD_BAD, 400},
    {"G(T / HTTP/1.1\r\n\r\n", C12_HEAD_BAD, 400},
    {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n", C12_HEAD_BAD, 400},
    {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", C12_HEAD_BAD, 400},
    {"POST / HTTP/1.1\r\nContent-Length: 1,1\r\n\r\n", C12_HEAD_BAD, 400},
    {"POST / HTTP/1.1\r\nContent-Length: 12345678901234567890\r\n\r\n", C12_HEAD_BAD, 400},
    {"POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", C12_HEAD_BAD, 400},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", C12_HEAD_BAD, 400},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", C12_HEAD_BAD, 501},
    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", C12_HEAD_BAD, 501},
    {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", C12_HEAD_BAD, 400},
    {"GET / HTTP/1.1\r\n: x\r\n\r\n", C12_HEAD_BAD, 400},
    {"GET / HTTP/1.1\r\nno colon\r\n\r\n", C12_HEAD_BAD, 400},
    {"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", C12_HEAD_BAD, 400},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const head_case *c = &CASES[i];
        size_t n = strlen(c->head);
        if (c->want == C12_HEAD_OK && strstr(c->head, "{}")) n += 7; /* the binary body after the NUL */
        c12_head_verdict v = {0};
        c12_head_result r = c12_head_check(c->head, n, &v);
        if (r != c->want) fail_msg("case %zu (%s): %d, want %d", i, c->head, r, c->want);
        if (r == C12_HEAD_BAD) {
            assert_int_equal(v.status, c->status);
            assert_non_null(v.code);
            assert_non_null(v.msg);
        }
    }
}

/* The caps: a request line over C12_HEAD_LINE_MAX is 414, a head over
 * C12_HEAD_MAX 431, each said as soon as the bytes show it. */
static void test_caps(void **state)
{
    (void)state;
    static char buf[C12_HEAD_MAX * 2];
    c12_head_verdict v;
    memset(buf, 'a', sizeof buf);
    memcpy(buf, "GET /", 5);
    assert_int_equal(c12_head_check(buf, C12_HEAD_LINE_MAX, &v), C12_HEAD_MORE);
    assert_int_equal(c12_head_check(buf, C12_HEAD_LINE_MAX + 1, &v), C12_HEAD_BAD);
    assert_int_equal(v.status, 414);
    size_t n = (size_t)snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nX: ");
    memset(buf + n, 'a', sizeof buf - n);
    assert_int_equal(c12_head_check(buf, C12_HEAD_MAX, &v), C12_HEAD_MORE);
    assert_int_equal(c12_head_check(buf, C12_HEAD_MAX + 1, &v), C12_HEAD_BAD);
    assert_int_equal(v.status, 431);
    memcpy(buf + C12_HEAD_MAX - 4, "\r\n\r\n", 4); /* just fits */
    assert_int_equal(c12_head_check(buf, C12_HEAD_MAX, &v), C12_HEAD_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
