/* server.h - `c12 serve`'s HTTP server: the OpenAI-compatible API over
 * libmicrohttpd (one thread per connection, so a request may block on the
 * queue or on generation without holding up others). */
#ifndef C12_SERVER_H
#define C12_SERVER_H

#include "base/c12_rc.h"
#include "config/config.h"
#include "pool/pool.h"

typedef struct c12_server c12_server;

/* Bind cfg's listen address and start serving. cfg, pool and backend must
 * outlive the server. */
c12_rc c12_server_start(const c12_config *cfg, c12_pool *pool, const c12_backend *backend,
                        c12_server **out, c12_err *err);
/* The bound port (useful with port 0). */
int c12_server_port(const c12_server *s);
/* Stop accepting connections; requests still arriving on open connections get 503. */
void c12_server_begin_shutdown(c12_server *s);
/* Wait until no request is in flight or grace_s passes; returns how many remain. */
int c12_server_drain(c12_server *s, double grace_s);
/* Cancel what is left, stop the daemon and free. */
void c12_server_free(c12_server *s);

#endif
