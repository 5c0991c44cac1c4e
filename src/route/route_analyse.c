/* route_analyse.c - c12_route_analyse: the last user message decides; a short
 * follow-up in a conversation that was about code stays code ("now make it
 * faster", "what about negative numbers?" mean nothing on their own), and one
 * after a passage given earlier (a document in the system prompt, an article
 * pasted before) is a question about it: grounded. */
#include <stdio.h>
#include <string.h>

#include "route/route_impl.h"

/* A follow-up this short (in words) inherits a code conversation; a longer
 * message is judged on its own. */
#define FOLLOW_UP_WORDS 40
/* Earlier turns read for it, most recent first: bounds the work on long chats. */
#define FOLLOW_UP_TURNS 8

static const char *const k_category_names[C12_ROUTE_NCAT] = {
    [C12_ROUTE_GENERAL] = "general", [C12_ROUTE_CODE] = "code", [C12_ROUTE_GROUNDED] = "grounded"};

const char *c12_route_category_name(c12_route_category c)
{
    return (unsigned)c < C12_ROUTE_NCAT ? k_category_names[c] : "general";
}

int c12_route_category_parse(const char *name)
{
    for (int i = 0; name && i < C12_ROUTE_NCAT; i++)
        if (!strcmp(name, k_category_names[i])) return i;
    return -1;
}

const char *c12_route_tier_name(c12_route_tier t)
{
    return t == C12_ROUTE_HIGH ? "high" : t == C12_ROUTE_MEDIUM ? "medium" : "low";
}

/* Where the request ends and a passage begins: the first blank line. */
static size_t head_len(const char *t, size_t n)
{
    const char *p = t, *end = t + n;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        const char *q = p + 1;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
        if (q < end && *q == '\n') return (size_t)(p - t);
        p = q;
    }
    return n;
}

static void analyse_one(const char *text, size_t len, c12_route_analysis *out)
{
    rt_feat head, body;
    memset(&head, 0, sizeof head);
    memset(&body, 0, sizeof body);
    memset(out, 0, sizeof *out);
    size_t n = len > RT_SCAN_MAX ? RT_SCAN_MAX : len;
    rt_scan_syntax(text, n, &head);
    size_t h = head_len(text, n);
    rt_scan_words(text, h, 0, &head);
    size_t read = rt_scan_words(text + h, n - h, RT_BODY_WORDS, &body);
    /* the unread tail still counts towards the length */
    size_t bytes = h + read, words = head.n_words + body.n_words;
    if (bytes < len && bytes) words = (size_t)((double)words * (double)len / (double)bytes);
    size_t body_words = words - head.n_words;
    double scale = body_words <= RT_BODY_FULL ? 1.0 : (double)RT_BODY_FULL / (double)body_words;
    unsigned senses = head.senses | body.senses;
    head.senses = body.senses = senses;
    out->n_words = words;
    rt_score(&head, body.n_words ? &body : NULL, scale, out);
    rt_text t = {text, n, h, read, &head, &body};
    if (out->category == C12_ROUTE_GENERAL) rt_grounded(&t, out);
}

c12_rc c12_route_analyse_text(const char *text, size_t len, c12_route_analysis *out, c12_err *err)
{
    if (!out || (!text && len)) return c12_fail(err, C12_ERR_INVALID, "route: no text to analyse");
    c12_route_analysis a;
    analyse_one(text ? text : "", len, &a);
    *out = a;
    return C12_OK;
}

static int is_role(const c12_route_msg *m, const char *role)
{
    return m->role ? !strcmp(m->role, role) : !strcmp(role, "user");
}

/* What an earlier turn leaves for a short follow-up: a conversation about
 * code (a user or assistant turn that was code), or a passage the question
 * may be about (a user or system turn that holds one: a document in the
 * system prompt, an article pasted earlier; the assistant's own replies are
 * not given texts). The most recent such turn decides. Returns the category
 * it carries over (GENERAL: none) and its 1-based index in *turn. */
static c12_route_category carried(const c12_route_msg *msgs, size_t last, size_t *turn)
{
    c12_route_analysis a;
    size_t seen = 0;
    for (size_t i = last; i-- > 0 && seen < FOLLOW_UP_TURNS;) {
        if (!msgs[i].text) continue;
        int system = is_role(&msgs[i], "system"), assistant = is_role(&msgs[i], "assistant");
        seen++;
        analyse_one(msgs[i].text, msgs[i].len, &a);
        *turn = i + 1;
        if (!system && a.category == C12_ROUTE_CODE) return C12_ROUTE_CODE;
        if (!assistant && a.category != C12_ROUTE_CODE && a.passage_words) return C12_ROUTE_GROUNDED;
    }
    return C12_ROUTE_GENERAL;
}

c12_rc c12_route_analyse(const c12_route_msg *msgs, size_t n, c12_route_analysis *out, c12_err *err)
{
    if (!msgs || !out) return c12_fail(err, C12_ERR_INVALID, "route: no messages");
    size_t last = n;
    for (size_t i = n; i-- > 0;)
        if (is_role(&msgs[i], "user") && msgs[i].text) {
            last = i;
            break;
        }
    if (last == n) return c12_fail(err, C12_ERR_INVALID, "route: no user message with text");
    c12_route_analysis a;
    analyse_one(msgs[last].text, msgs[last].len, &a);
    size_t turn = 0;
    c12_route_category from = a.category == C12_ROUTE_GENERAL && a.n_words <= FOLLOW_UP_WORDS
                                  ? carried(msgs, last, &turn)
                                  : C12_ROUTE_GENERAL;
    if (from != C12_ROUTE_GENERAL) {
        a.category = from;
        a.follow_up = 1;
        /* the follow-up reason goes first: it is what decided */
        if (from == C12_ROUTE_CODE) rt_reason_first(&a, "follow-up in a code conversation (turn %zu)", turn);
        else rt_reason_first(&a, "follow-up on a passage in an earlier message (turn %zu)", turn);
    }
    *out = a;
    return C12_OK;
}
