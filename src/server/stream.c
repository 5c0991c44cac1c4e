/* stream.c - streamed completions as server-sent events.
 *
 * A generator runs the job and appends `data: {chunk}\n\n` events to a
 * buffer; libmicrohttpd's content reader (on the connection's thread) sends
 * them. The generator of a model served only by sites runs on the
 * connection's own thread, as a fiber (c12_fiber.h): the reader resumes it
 * for more, and it yields after each read of the site's reply, so no other
 * thread wakes. Any other generator (the engine here) runs on one of the
 * server's kept threads (c12_thpool.h), and the reader waits for its
 * bytes. When the client goes away, MHD frees the response: the free
 * callback marks the stream cancelled (and runs a fiber to its end), the
 * generation stops at its next prompt chunk or token, and the slot is
 * released. The connection thread waits for the first event (or a
 * failure) before sending headers, so a prompt over the context is still a
 * plain 400; while it waits it looks at the socket every WATCH_MS (a fiber
 * looks itself), so a client that leaves during a long prompt cancels it
 * too. A client that stops reading is cut by libmicrohttpd after
 * server.write_timeout_s without a byte taken (the wait for the next token
 * does not count: the reader restarts that clock; and the kernel holds
 * little unsent, UNSENT_MAX), which cancels the generation as a hang-up
 * does; its row says "timeout". Two references (generator, response)
 * decide who frees the stream. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/c12_alloc.h"
#include "base/c12_clock.h"
#include "base/c12_fiber.h"
#include "base/c12_thpool.h"
#include "server/gen.h"

#define MAX_PENDING (1u << 20) /* events not yet sent; beyond it the generator waits */
#define WATCH_MS 100           /* how often a client waiting for the first event is looked at */
/* Bytes the kernel may hold unsent for a stream's client (TCP_NOTSENT_LOWAT):
 * without a bound it takes megabytes (the send buffer grows itself), and a
 * client that stops reading would be seen only when they were full. */
#define UNSENT_MAX (16u << 10)

typedef struct stream {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    c12_gen_job *job;
    c12_server *srv;
    c12_fiber *fiber;         /* the generator's on the connection's thread, until it ends; NULL: a kept thread's */
    int64_t looked_ns;        /* a fiber's last look at its client, before the first event */
    c12_buf out;
    size_t rd;
    int started, done, cancelled, refs;
    int timed_out;            /* cut for its client's not reading (server.write_timeout_s) */
    struct MHD_Connection *conn; /* for the reader, on the connection's thread */
    const char *input;        /* the request's input field, for the error's param */
    c12_rc rc;                /* failure before the first event */
    char msg[C12_ERR_MSG_MAX];
    c12_gen_hdrs hdrs;        /* the response's x-c12-* headers, set before the first event */
    int tools;                /* tools offered: the text goes through tp */
    c12_toolp tp;             /* the output read for tool calls (the generator's) */
    int tp_open;              /* tp was begun for the choice generating */
    int spoke;                /* the choice generating has had a chunk (its role went out) */
    int site_calls;           /* tool call pieces a site sent in the choice generating */
} stream;

static void unref(stream *st)
{
    int last = --st->refs == 0;
    pthread_mutex_unlock(&st->mu);
    if (!last) return;
    c12_buf_free(&st->out);
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->cv);
    c12_free(st);
}

/* An event's frame (mutex held): "data: " before it, the headers taken
 * as they stand at the first event (the job is alive: only the generator
 * thread, which calls this, ends it); after it the blank line, and the
 * reader woken. Nonzero: the event could not be appended. */
static int event_open(stream *st)
{
    if (!st->started) c12_gen_hdrs_fill(st->job, &st->hdrs);
    return c12_buf_puts(&st->out, "data: ") != C12_OK;
}

static int event_close(stream *st, int bad)
{
    bad = bad || c12_buf_puts(&st->out, "\n\n");
    st->started = 1;
    st->spoke = 1;
    /* a site's events wait for the end of the read that brought them
     * (on_flush): the reader wakes once for them all, and sends them in one
     * write, not a wake-up, a lock handed over and a write each */
    if (!st->job->site_remote) pthread_cond_broadcast(&st->cv);
    return bad;
}

/* A site's reply was read up to here: the reader takes what came. */
static void on_flush(void *ud)
{
    stream *st = ud;
    /* a fiber: back to the connection's thread, which sends them (no lock
     * is held here, as a yield needs) */
    if (st->fiber) {
        c12_fiber_yield(st->fiber);
        return;
    }
    /* without the lock: the events were appended under it (a reader
     * either saw them or waits), the generator holds its reference, and the
     * woken reader finds the lock free */
    pthread_cond_broadcast(&st->cv);
}

/* The generator, before its next event (mutex held): while more than
 * MAX_PENDING bytes wait for the client, the reader is woken and the
 * generator waits for room. */
static void wait_room(stream *st)
{
    if (st->fiber) return; /* its reader sends all before resuming it: one read's events at most wait */
    while (st->out.len - st->rd > MAX_PENDING && !st->cancelled) {
        pthread_cond_broadcast(&st->cv);
        pthread_cond_wait(&st->cv, &st->mu);
    }
}

/* Append one event (mutex held); drops the JSON reference. */
static int emit(stream *st, json_t *chunk)
{
    char *text = chunk ? json_dumps(chunk, JSON_COMPACT) : NULL;
    json_decref(chunk);
    int bad = !text || event_open(st) || c12_buf_puts(&st->out, text);
    c12_free(text);
    return event_close(st, bad);
}

/* emit(chunk(job, text, NULL, role, NULL)) without the tree: a token's
 * chunk, written as it goes out (gen_chunk.c). */
static int emit_text(stream *st, const char *text, size_t n, int role)
{
    return event_close(st, event_open(st) || c12_gen_chunk_text(st->job, text, n, role, &st->out));
}

/* One chunk of the choice generating (job->ci); lp (its "logprobs", taken) NULL: null. */
static json_t *chunk(const c12_gen_job *job, const char *text, const char *finish, int role, json_t *lp)
{
    json_t *fin = finish ? json_string(finish) : json_null();
    if (!lp) lp = json_null();
    json_t *choice;
    if (job->q.kind == C12_API_CHAT) {
        json_t *delta = !text ? json_object()
                      : role ? json_pack("{s:s, s:o}", "role", "assistant", "content", c12_json_text(text, strlen(text)))
                             : json_pack("{s:o}", "content", c12_json_text(text, strlen(text)));
        choice = json_pack("{s:i, s:o, s:o, s:o}", "index", job->ci, "delta", delta, "logprobs", lp, "finish_reason",
                           fin);
    } else
        choice = json_pack("{s:i, s:o, s:o, s:o}", "index", job->ci, "text", c12_json_text(text ? text : "", text ? strlen(text) : 0),
                           "logprobs", lp, "finish_reason", fin);
    json_t *c = json_pack("{s:s, s:s, s:I, s:s, s:[o]}", "id", job->id, "object",
                          job->q.kind == C12_API_CHAT ? "chat.completion.chunk" : "text_completion", "created",
                          (json_int_t)job->created, "model", job->model, "choices", choice);
    if (c && job->q.include_usage) json_object_set_new(c, "usage", json_null());
    return c;
}

/* Between prompt chunks and tokens (job->gone): the client left. */
static int stream_gone(void *ud)
{
    stream *st = ud;
    pthread_mutex_lock(&st->mu);
    /* a fiber before its first event: the connection's thread is in it, so
     * it looks at the client itself, as wait_first_event does for a thread */
    if (st->fiber && !st->started && !st->cancelled && c12_clock_ns() - st->looked_ns >= WATCH_MS * 1000000LL) {
        st->looked_ns = c12_clock_ns();
        if (c12_http_client_gone(st->conn)) st->cancelled = 1;
    }
    int gone = st->cancelled;
    pthread_mutex_unlock(&st->mu);
    return gone;
}

/* The connection's thread, until the first event or the end (mutex held):
 * a client that hangs up meanwhile cancels the generation. */
static void wait_first_event(stream *st, struct MHD_Connection *c)
{
    while (!st->started && !st->done) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += WATCH_MS * 1000000L;
        if (t.tv_nsec >= 1000000000L) t.tv_sec++, t.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&st->cv, &st->mu, &t);
        if (!st->cancelled && !st->started && !st->done && c12_http_client_gone(c)) st->cancelled = 1;
    }
}

/* ---- tools offered: content and calls as the parser finds them (mutex held) ---- */

static int tools_text(void *ud, const char *s, size_t n)
{
    stream *st = ud;
    json_t *lp = c12_gen_lp_take(st->job, 1);
    if (!lp || json_is_null(lp)) return emit_text(st, s, n, !st->spoke); /* (null needs no decref) */
    char *piece = c12_strndup(s, n);
    int bad = !piece || emit(st, chunk(st->job, piece, NULL, !st->spoke, lp));
    if (!piece) json_decref(lp);
    c12_free(piece);
    return bad;
}

/* A chunk whose delta is {"tool_calls": [e]} (with the role first, and
 * content null when open); e and lp are taken. */
static int emit_call(stream *st, json_t *e, int open, json_t *lp)
{
    json_t *c = chunk(st->job, NULL, NULL, 0, lp), *d = json_pack("{s:[o]}", "tool_calls", e);
    if (d && open) json_object_set_new(d, "content", json_null());
    if (d && open && !st->spoke) json_object_set_new(d, "role", json_string("assistant"));
    int bad = !c || !d;
    if (bad) json_decref(d);
    else bad = json_object_set_new(json_array_get(json_object_get(c, "choices"), 0), "delta", d); /* takes d */
    if (bad) json_decref(c);
    return bad || emit(st, c);
}

/* A call as OpenAI streams one: its id, type and name with empty
 * arguments, then the arguments. */
static int tools_call(void *ud, int index, const char *name, const char *args)
{
    stream *st = ud;
    c12_gen_job *job = st->job;
    json_t *rest = json_pack("{s:i, s:{s:s}}", "index", index, "function", "arguments", args);
    return emit_call(st, c12_gen_tools_call(job, index, name, "", 1), 1, c12_gen_lp_take(job, 1)) ||
           emit_call(st, rest, 0, NULL);
}

/* A site generates: its text is its content and its calls come as such,
 * so this process's parser (and a forced call's opening, held) is dropped. */
static void site_speaks(stream *st)
{
    if (!st->tp_open || !st->job->site_remote) return;
    c12_toolp_free(&st->tp);
    st->tp_open = 0;
}

/* A site's tool call piece, passed on as it came. */
static int on_tool(void *ud, const c12_tool_frag *f)
{
    stream *st = ud;
    pthread_mutex_lock(&st->mu);
    wait_room(st);
    int stop = st->cancelled || atomic_load(&st->job->srv->cancel_all);
    site_speaks(st);
    if (!stop) stop = emit_call(st, c12_gen_tools_piece(f), f->id != NULL, NULL);
    st->site_calls++;
    pthread_mutex_unlock(&st->mu);
    return stop;
}

static int send_text(stream *st, const char *text, size_t len)
{
    site_speaks(st);
    if (st->tp_open) {
        c12_toolp_cbs cb = {tools_text, tools_call, st};
        c12_err err;
        return c12_toolp_feed(&st->tp, text, len, &cb, &err) != C12_OK;
    }
    return tools_text(st, text, len);
}

static int on_text(void *ud, const char *text, size_t len)
{
    stream *st = ud;
    pthread_mutex_lock(&st->mu);
    wait_room(st);
    int stop = st->cancelled || atomic_load(&st->job->srv->cancel_all);
    /* the tokens told since the last chunk: this text is theirs (a token
     * whose text is held back, a character's first bytes, goes with the next) */
    if (!stop) stop = send_text(st, text, len);
    pthread_mutex_unlock(&st->mu);
    return stop;
}

/* The choice generating is over (mutex held): what the tool parser held,
 * then its finish chunk, with the job's figures as its "c12" when figures
 * (the last choice's, without include_usage). */
static int end_choice(stream *st, const c12_backend_result *r, int figures)
{
    c12_gen_job *job = st->job;
    const char *fin_reason = c12_gen_finish(r->finish);
    site_speaks(st);
    if (st->site_calls) fin_reason = "tool_calls";
    st->site_calls = 0;
    if (st->tp_open) { /* what the parser held: a last call, or text */
        c12_toolp_cbs cb = {tools_text, tools_call, st};
        c12_err e;
        c12_toolp_end(&st->tp, &cb, &e);
        if (st->tp.n_calls) fin_reason = "tool_calls";
        c12_toolp_free(&st->tp);
        st->tp_open = 0;
    }
    if (!st->spoke && job->q.kind == C12_API_CHAT) emit(st, chunk(job, "", NULL, 1, NULL));
    /* tokens whose text never went out (a stop string's) come with the finish */
    json_t *lp = c12_gen_lp_take(job, 0);
    if (!lp || json_is_null(lp)) /* the usual finish, written out (gen_chunk.c) */
        return event_close(st, event_open(st) || c12_gen_chunk_finish(job, fin_reason, figures, &st->out));
    json_t *fin = chunk(job, NULL, fin_reason, 0, lp);
    if (fin && figures) json_object_set_new(fin, "c12", c12_gen_usage_c12(job));
    return emit(st, fin);
}

/* n > 1: a choice before the last is over; the next one begins. */
static int on_choice_end(void *ud, int i, const c12_backend_result *r)
{
    (void)i;
    stream *st = ud;
    pthread_mutex_lock(&st->mu);
    int bad = end_choice(st, r, 0);
    st->job->lp.offset = 0;
    pthread_mutex_unlock(&st->mu);
    return bad;
}

static void on_choice_begin(void *ud, int i)
{
    (void)i;
    stream *st = ud;
    pthread_mutex_lock(&st->mu);
    st->spoke = 0;
    if (st->tools) { /* a forced call's opening: held, nothing told */
        c12_toolp_cbs cb = {tools_text, tools_call, st};
        c12_err err;
        if (!c12_gen_tools_begin(st->job, &st->tp, &cb, &err)) st->tp_open = 1;
    }
    pthread_mutex_unlock(&st->mu);
}

static void finish(stream *st, c12_rc rc, const c12_err *err, const c12_backend_result *res)
{
    c12_gen_job *job = st->job;
    if (rc && !st->started) { /* still time for a plain error response */
        st->rc = rc;
        snprintf(st->msg, sizeof st->msg, "%s", err->msg);
        c12_gen_hdrs_fill(job, &st->hdrs);
        return;
    }
    if (rc) {
        emit(st, json_pack("{s:{s:o, s:s, s:n, s:n}}", "error", "message", c12_json_text(err->msg, strlen(err->msg)),
                           "type", "server_error", "param", "code"));
    } else {
        c12_backend_result last = job->q.n > 1 ? job->results[job->ci] : *res;
        /* The measured figures ride on the last chunk: in usage.c12 with
         * include_usage, else as a top-level "c12" field of the finish chunk
         * (an extra field, which OpenAI's SDKs keep and ignore). */
        end_choice(st, &last, !job->q.include_usage);
        if (job->q.include_usage)
            event_close(st, event_open(st) || c12_gen_chunk_usage(job, res, &st->out));
    }
    c12_buf_puts(&st->out, "data: [DONE]\n\n");
}

/* The generation, from its first event to its end; returns with the mutex
 * held, the stream done. */
static void generate(stream *st)
{
    c12_gen_job *job = st->job;
    c12_server *s = st->srv;
    c12_backend_result res;
    c12_err err;
    c12_err_clear(&err);
    c12_rc rc = C12_OK;
    if (st->tools) { /* the first choice's parser now: its failure is the request's */
        c12_toolp_cbs cb = {tools_text, tools_call, st};
        pthread_mutex_lock(&st->mu);
        rc = c12_gen_tools_begin(job, &st->tp, &cb, &err);
        st->tp_open = !rc;
        pthread_mutex_unlock(&st->mu);
    }
    if (!rc) rc = c12_gen_produce(job, on_text, st, &res, &err);
    pthread_mutex_lock(&st->mu);
    int gone = st->cancelled, timed_out = st->timed_out;
    if (gone)
        fprintf(stderr, "c12 serve: %s: %s; generation stopped after %d tokens\n", job->id,
                timed_out ? "the client stopped reading (server.write_timeout_s)" : "the client went away",
                job->cost.n_tokens);
    if (!gone) finish(st, rc, &err, &res);
    int started = st->started;
    if (st->tp_open) c12_toolp_free(&st->tp);
    pthread_mutex_unlock(&st->mu);
    if (gone || (!rc && atomic_load(&s->cancel_all))) rc = C12_ERR_CANCELLED;
    unsigned status = !rc ? 200 : started ? 500 : c12_http_rc_status(rc);
    c12_account_finish(job, timed_out ? "timeout" : c12_account_status(status, rc), rc ? NULL : &res);
    c12_gen_job_end(job); /* the slot is free before the last bytes go out */
    pthread_mutex_lock(&st->mu);
    st->job = NULL;
    st->done = 1;
    pthread_cond_broadcast(&st->cv);
}

static void generator_thread(void *ud)
{
    stream *st = ud;
    c12_server *s = st->srv; /* outlives the thread: c12_server_free waits for generators */
    generate(st);
    unref(st);
    atomic_fetch_sub(&s->generators, 1);
}

static void generator_fiber(c12_fiber *f, void *ud)
{
    (void)f;
    stream *st = ud;
    generate(st);
    pthread_mutex_unlock(&st->mu);
}

/* The connection's thread, a fiber's stream (mutex not held): the
 * generator runs until it yields (a read's events appended) or ends; at
 * its end its fiber and its reference go (the caller holds the other). */
static void fiber_step(stream *st)
{
    if (!c12_fiber_resume(st->fiber)) return;
    c12_server *s = st->srv;
    c12_fiber_free(st->fiber);
    st->fiber = NULL;
    pthread_mutex_lock(&st->mu);
    unref(st);
    atomic_fetch_sub(&s->generators, 1);
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream *st = cls;
    int waited = 0;
    /* a fiber's: it runs here, so its fields are this thread's alone */
    for (; st->fiber && st->rd == st->out.len; waited = 1) fiber_step(st);
    pthread_mutex_lock(&st->mu);
    for (; st->rd == st->out.len && !st->done; waited = 1) pthread_cond_wait(&st->cv, &st->mu);
    if (waited) c12_http_write_timeout_start(st->conn);
    size_t n = st->out.len - st->rd;
    if (n == 0) {
        pthread_mutex_unlock(&st->mu);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (n > max) n = max;
    memcpy(buf, st->out.data + st->rd, n);
    st->rd += n;
    if (st->rd == st->out.len) st->rd = 0, c12_buf_reset(&st->out);
    pthread_cond_broadcast(&st->cv); /* room for the generator */
    pthread_mutex_unlock(&st->mu);
    return (ssize_t)n;
}

/* The connection is closed for its client's not reading (server.c's
 * on_completed, just before on_free). */
static void on_timeout(void *cls)
{
    stream *st = cls;
    pthread_mutex_lock(&st->mu);
    st->timed_out = 1;
    pthread_mutex_unlock(&st->mu);
}

/* MHD is done with the response: finished, or the client went away. */
static void on_free(void *cls)
{
    stream *st = cls;
    pthread_mutex_lock(&st->mu);
    st->cancelled = 1;
    pthread_cond_broadcast(&st->cv);
    if (st->fiber) { /* it sees cancelled at its next look, and ends here, on this thread */
        pthread_mutex_unlock(&st->mu);
        while (st->fiber) fiber_step(st);
        pthread_mutex_lock(&st->mu);
    }
    unref(st);
}

static void event_stream_headers(struct MHD_Response *resp, const c12_http_hdrs *h)
{
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    h->add(h->ud, resp);
}

/* The whole stream was there before its first event was seen (a site that
 * answered at once: its reply's end comes in the read that brought its
 * first event, and the generator ends before it wakes this thread): the
 * events go out as one body with its length, in one write with the headers,
 * instead of chunk by chunk through the reader. Takes the stream (mutex held). */
static enum MHD_Result whole_stream(stream *st, struct MHD_Connection *c, const c12_http_hdrs *h)
{
    size_t n = st->out.len;
    char *all = c12_buf_take(&st->out);
    unref(st); /* the generator's is gone: the stream is freed */
    struct MHD_Response *resp = all ? MHD_create_response_from_buffer_with_free_callback(n, all, c12_free) : NULL;
    if (!resp) {
        c12_free(all);
        return MHD_NO;
    }
    event_stream_headers(resp, h);
    return c12_http_queue(c, 200, resp);
}

/* A model served only by sites: its generation waits on the network
 * alone and yields at each read (on_flush), so it runs on the connection's
 * thread. The engine's (here, or a mixed model's) runs on a kept thread:
 * its batched steps serve other requests too, and must not wait for this
 * client's reads. */
static int on_connection_thread(const c12_gen_job *job)
{
    return job->leased && c12_model_remote(&job->srv->cfg->models[job->lease.model_idx]);
}

enum MHD_Result c12_stream_run(c12_gen_job *job, c12_req *r, struct MHD_Connection *c)
{
    stream *st = c12_calloc(1, sizeof *st);
    if (!st) {
        c12_account_finish(job, "error", NULL);
        c12_gen_job_end(job);
        return c12_http_error(c, 503, "server_error", NULL, "out_of_memory", "Out of memory.");
    }
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    c12_buf_init(&st->out, 0);
    st->job = job;
    st->srv = job->srv;
    st->conn = c;
    st->input = c12_gen_input(job);
    st->tools = c12_gen_tools_on(job);
    st->refs = 2;
    job->on_tool = on_tool;
    job->gone = stream_gone;
    job->gone_ud = st;
    job->flush = on_flush;
    job->flush_ud = st;
    job->choice_end = on_choice_end;
    job->choice_begin = on_choice_begin;
    c12_err terr;
    atomic_fetch_add(&job->srv->generators, 1);
    if (on_connection_thread(job) && !c12_fiber_new(job->srv->fibers, generator_fiber, st, &st->fiber, &terr))
        while (st->fiber && !st->started) fiber_step(st); /* until its first event, or its end */
    else if (c12_thpool_run(job->srv->threads, generator_thread, st, &terr)) {
        atomic_fetch_sub(&job->srv->generators, 1);
        st->refs = 1;
        c12_account_finish(job, "error", NULL);
        c12_gen_job_end(job);
        pthread_mutex_lock(&st->mu);
        unref(st);
        return c12_http_error(c, 503, "server_error", NULL, "no_thread", "Could not start a generator thread.");
    }
    pthread_mutex_lock(&st->mu);
    wait_first_event(st, c);
    if (st->cancelled) { /* the client left before the first event: nobody to answer (a fiber has ended) */
        unref(st);
        return MHD_NO;
    }
    c12_gen_hdrs hdrs = st->hdrs; /* written before started or done was set */
    c12_http_hdrs h = {.add = c12_gen_hdrs_add, .ud = &hdrs};
    if (!st->started && st->rc) {
        c12_rc rc = st->rc;
        char msg[C12_ERR_MSG_MAX];
        const char *input = st->input;
        memcpy(msg, st->msg, sizeof msg);
        unref(st);
        return c12_http_rc_error_h(c, rc, msg, input, &h);
    }
    if (st->done) return whole_stream(st, c, &h);
    pthread_mutex_unlock(&st->mu);
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, st, on_free);
    if (!resp) {
        on_free(st);
        return MHD_NO;
    }
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    int unsent = UNSENT_MAX;
    if (ci) setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &unsent, sizeof unsent);
    event_stream_headers(resp, &h);
    enum MHD_Result ret = c12_http_queue(c, 200, resp);
    if (ret == MHD_YES) { /* the response holds its reference to st until on_free */
        r->on_timeout = on_timeout;
        r->on_timeout_ud = st;
    }
    return ret;
}
