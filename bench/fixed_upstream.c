/* fixed_upstream.c - `make bench-gateway`'s upstream: an OpenAI-compatible
 * server that answers every POST /v1/chat/completions with one canned
 * reply (a JSON completion, or with "stream": true the same as SSE chunks,
 * a usage chunk and [DONE]) and GET /v1/models with a list, over HTTP/1.1
 * keep-alive, a thread per connection. It does no work, so the latency a
 * gateway in front of it adds is the gateway's own.
 *
 *   fixed_upstream PORT     (prints "listening on PORT" when ready) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static const char JSON_BODY[] =
    "{\"id\":\"fixed-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"bench\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"Hello from the fixed upstream.\"},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":6,\"total_tokens\":14}}";

#define CHUNK(text) "data: {\"id\":\"fixed-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"bench\"," \
                    "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" text "\"},\"finish_reason\":null}]}\n\n"
static const char SSE_BODY[] =
    CHUNK("Hello") CHUNK(" from") CHUNK(" the") CHUNK(" fixed") CHUNK(" upstream") CHUNK(".")
    "data: {\"id\":\"fixed-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"bench\",\"choices\":"
    "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"id\":\"fixed-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"bench\",\"choices\":[],"
    "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":6,\"total_tokens\":14}}\n\n"
    "data: [DONE]\n\n";

static const char MODELS_BODY[] = "{\"object\":\"list\",\"data\":[{\"id\":\"bench\",\"object\":\"model\",\"owned_by\":\"x\"}]}";

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

static int reply(int fd, const char *ctype, const char *body, size_t n)
{
    char head[256];
    int h = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n", ctype, n);
    return send_all(fd, head, (size_t)h) || send_all(fd, body, n);
}

/* One request from buf (head and body whole): answered. */
static int answer(int fd, const char *buf, size_t head_len, size_t body_len)
{
    if (!strncmp(buf, "GET ", 4)) return reply(fd, "application/json", MODELS_BODY, sizeof MODELS_BODY - 1);
    const char *body = buf + head_len;
    int stream = memmem(body, body_len, "\"stream\":true", 13) || memmem(body, body_len, "\"stream\": true", 14);
    return stream ? reply(fd, "text/event-stream", SSE_BODY, sizeof SSE_BODY - 1)
                  : reply(fd, "application/json", JSON_BODY, sizeof JSON_BODY - 1);
}

static size_t content_length(const char *head, size_t n)
{
    for (const char *p = head; p && p < head + n; p = memchr(p, '\n', (size_t)(head + n - p)), p = p ? p + 1 : p)
        if (!strncasecmp(p, "content-length:", 15)) return (size_t)strtoul(p + 15, NULL, 10);
    return 0;
}

static void *serve_conn(void *ud)
{
    int fd = (int)(intptr_t)ud, one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    static __thread char buf[1 << 16];
    size_t have = 0;
    for (;;) {
        ssize_t r = recv(fd, buf + have, sizeof buf - have, 0);
        if (r <= 0) break;
        have += (size_t)r;
        for (;;) { /* every whole request in the buffer */
            const char *end = memmem(buf, have, "\r\n\r\n", 4);
            if (!end) break;
            size_t head = (size_t)(end - buf) + 4, body = content_length(buf, head);
            if (have < head + body) break;
            if (answer(fd, buf, head, body)) goto out;
            memmove(buf, buf + head + body, have - head - body);
            have -= head + body;
        }
        if (have == sizeof buf) break;
    }
out:
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fixed_upstream PORT\n");
        return 2;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 4096)) {
        perror("fixed_upstream");
        return 1;
    }
    printf("listening on %s\n", argv[1]);
    fflush(stdout);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 << 10);
    for (;;) {
        int fd = accept(s, NULL, NULL);
        pthread_t t;
        if (fd >= 0 && pthread_create(&t, &attr, serve_conn, (void *)(intptr_t)fd)) close(fd);
    }
}
