/* The count of open connections by client address (conns.c): the two caps,
 * what one client is (an IPv4 address, an IPv6 /64), and the table's rows
 * staying findable through many enters and leaves in any order (removal
 * shifts rows back), checked against a plain count. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "server/conns.h"

static struct sockaddr_in v4(uint32_t host)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(1234)};
    a.sin_addr.s_addr = htonl(host);
    return a;
}

static struct sockaddr_in6 v6(const char *text)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6};
    assert_int_equal(inet_pton(AF_INET6, text, &a.sin6_addr), 1);
    return a;
}

#define SA(x) ((const struct sockaddr *)&(x))

static void test_caps(void **state)
{
    c12_conns *t;
    c12_err err;
    assert_int_equal(c12_conns_new(4, 2, NULL, &t, &err), C12_OK);
    struct sockaddr_in a = v4(0x7f000001), b = v4(0x7f000002), c = v4(0x7f000003);
    assert_int_equal(c12_conns_enter(t, SA(a), 1), C12_CONN_IN);
    assert_int_equal(c12_conns_enter(t, SA(a), 1), C12_CONN_IN);
    assert_int_equal(c12_conns_enter(t, SA(a), 1), C12_CONN_OVER_CLIENT);
    assert_int_equal(c12_conns_enter(t, SA(b), 1), C12_CONN_IN);
    assert_int_equal(c12_conns_enter(t, SA(b), 1), C12_CONN_IN);
    assert_int_equal(c12_conns_enter(t, SA(c), 1), C12_CONN_OVER_TOTAL);
    assert_int_equal(c12_conns_open(t), 4);
    /* a move from the gate to libmicrohttpd is counted whatever the caps */
    assert_int_equal(c12_conns_enter(t, SA(c), 0), C12_CONN_IN);
    assert_int_equal(c12_conns_open(t), 5);
    c12_conns_leave(t, SA(c));
    c12_conns_leave(t, SA(a));
    assert_int_equal(c12_conns_enter(t, SA(c), 1), C12_CONN_IN);
    assert_int_equal(c12_conns_enter(t, SA(a), 1), C12_CONN_OVER_TOTAL);
    c12_conns_leave(t, SA(b));
    assert_int_equal(c12_conns_enter(t, SA(a), 1), C12_CONN_IN);
    struct sockaddr_in never = v4(0x0a000001);
    c12_conns_leave(t, SA(never)); /* never counted: nothing changes */
    assert_int_equal(c12_conns_open(t), 4);
    c12_conns_free(t);
}

static void test_who_is_a_client(void **state)
{
    c12_conns *t;
    c12_err err;
    assert_int_equal(c12_conns_new(100, 1, NULL, &t, &err), C12_OK);
    /* one /64: one client, however many addresses it takes */
    struct sockaddr_in6 a = v6("2001:db8:1:2::1"), b = v6("2001:db8:1:2:ffff::9"), c = v6("2001:db8:1:3::1");
    assert_int_equal(c12_conns_enter(t, SA(a), 1), C12_CONN_IN);
    assert_int_equal(c12_conns_enter(t, SA(b), 1), C12_CONN_OVER_CLIENT);
    assert_int_equal(c12_conns_enter(t, SA(c), 1), C12_CONN_IN);
    /* an IPv4 client is the same client on a dual-stack socket (::ffff:a.b.c.d) */
    struct sockaddr_in d = v4(0xc0000201);
    struct sockaddr_in6 e = v6("::ffff:192.0.2.1"), f = v6("::ffff:192.0.2.2");
    assert_int_equal(c12_conns_enter(t, SA(d), 1), C12_CONN_IN);
    assert_int_equal(c12_conns_enter(t, SA(e), 1), C12_CONN_OVER_CLIENT);
    assert_int_equal(c12_conns_enter(t, SA(f), 1), C12_CONN_IN); /* another IPv4 address */
    c12_conns_free(t);
}

static void test_many_in_any_order(void **state)
{
    enum { MAX = 120, CLIENTS = 200, ROUNDS = 20000 }; /* 256 rows, up to half full */
    c12_conns *t;
    c12_err err;
    assert_int_equal(c12_conns_new(MAX, 4, NULL, &t, &err), C12_OK);
    int count[CLIENTS] = {0}, open = 0;
    srand(12);
    for (int i = 0; i < ROUNDS; i++) {
        int k = rand() % CLIENTS;
        struct sockaddr_in a = v4(0x0a000000u + (uint32_t)k * 7919u); /* spread, colliding in the table */
        if (rand() % 2) {
            c12_conn_verdict want = open >= MAX ? C12_CONN_OVER_TOTAL
                                  : count[k] >= 4 ? C12_CONN_OVER_CLIENT
                                                  : C12_CONN_IN;
            assert_int_equal(c12_conns_enter(t, SA(a), 1), want);
            if (want == C12_CONN_IN) count[k]++, open++;
        } else if (count[k]) {
            c12_conns_leave(t, SA(a));
            count[k]--, open--;
        }
        assert_int_equal(c12_conns_open(t), open);
    }
    for (int k = 0; k < CLIENTS; k++) /* every client's count is still found */
        while (count[k]--) {
            struct sockaddr_in a = v4(0x0a000000u + (uint32_t)k * 7919u);
            c12_conns_leave(t, SA(a));
            open--;
            assert_int_equal(c12_conns_open(t), open);
        }
    assert_int_equal(open, 0);
    c12_conns_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_who_is_a_client),
        cmocka_unit_test(test_many_in_any_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
