/* batch_run.h - the thread that runs the batches of a server (batch_run.c). */
#ifndef C12_SERVER_BATCH_RUN_H
#define C12_SERVER_BATCH_RUN_H

#include "batch/bstore.h"
#include "server/server.h"

typedef struct c12_batch_runner c12_batch_runner;

c12_rc c12_batch_runner_start(c12_server *s, c12_bstore *store, c12_batch_runner **out, c12_err *err);
/* Look at the batches now (one was created or cancelled). NULL is fine. */
void c12_batch_runner_wake(c12_batch_runner *r);
/* Stop after the line in flight (cut by the server's cancel_all) and join. */
void c12_batch_runner_stop(c12_batch_runner *r);

#endif
