/* route_grounded.c - a question or instruction about a passage the prompt
 * itself holds: Dolly's closed QA, extraction and summarising ("Given this
 * paragraph about X, who ...?", a pasted article and "Summarize it", a table
 * and a question about it). Answering needs no knowledge beyond the text,
 * which small models do far better than open questions (docs/policy.md), so
 * the router gives such prompts their own category, grounded.
 *
 * The word and syntax passes (route_words.c, route_syntax.c) count what is
 * weighed here: references to a given text ("this paragraph", "the text
 * below", "Context:" at a line start), person words, quotations and table
 * rows. This file adds one bounded look at the text's last block and makes
 * the decision:
 *   - a request (a question, a request word first, or a reference to the
 *     text) and a passage (15 words or more, mostly statements) in separate
 *     blocks, in either order: "question\n\npassage" or "passage\n\nquestion";
 *   - in one block: a strong reference with 15 words or more outside its
 *     sentence ("Summarize the following text: ..."); a quotation of 15
 *     words or more, or a table of two rows or more, with a request.
 * Not a passage: the writer's own situation ("I have a dog that barks ...\n\n
 * How can I stop it?": I/my/we in the request, 3% or more person words in
 * the passage), and a request to write something new ("Write a story.\n\nIt
 * should ..."), unless the request points at the text. Only a text that is
 * not code is tested: code evidence wins. */
#include <stdio.h>
#include <string.h>

#include "route/route_impl.h"

#define PASSAGE_MIN 15   /* words: below this a block is a remark, not a text to work on */
#define REQUEST_MAX 80   /* words: a longer block is a text of its own, not the request */
#define BARE_MAX 25      /* words of a question without its '?' ("Who is Tina Turner") */
#define ALONE_MIN 40     /* words of a message that is only a passage (asked about later) */
#define QUESTION_EVERY 20 /* a passage has at most one '?' per this many words */
#define PERSON_PCT 3     /* person words (I, my, you) in a passage that make it the writer's own */
#define TABLE_MIN 2      /* rows */
#define LAST_MAX 1024    /* bytes of the last block read as a possible question */

/* The counts of a stretch of text that decide whether it is a passage. */
typedef struct part {
    long words;
    int persons, questions;
} part;

static part part_of(const rt_feat *f) { return (part){(long)f->n_words, f->persons, f->n_questions}; }

/* A question or request: short, and asking something or pointing at a text.
 * A question without its '?' ("Who is Tina Turner", "In which country did
 * it run.") must be short: a passage may start "When the war ended, ...". */
static int is_request(const rt_feat *f)
{
    if (f->n_words < 1 || f->n_words > REQUEST_MAX) return 0;
    if (f->n_questions || f->n_requests || f->refs) return 1;
    return f->n_words <= BARE_MAX && ((f->first_cls & RK_ASK) || (f->lead_cls & RK_WH));
}

/* "Write a story ..." asks for new text, unless it points at a given one. */
static int makes_new(const rt_feat *f) { return f->make_verbs && f->prose && !f->refs_strong; }

static int personal(part p) { return p.persons >= 2 && (long)p.persons * 100 >= (long)PERSON_PCT * p.words; }

/* A text to work on: long enough, mostly statements, and not the writer's
 * own situation asked about in their own words (asker_self: the request
 * says I, my, we) unless the request points at the text. */
static int passage_ok(part p, int asker_self, int points)
{
    if (p.words < PASSAGE_MIN || (long)p.questions * QUESTION_EVERY > p.words) return 0;
    return points || !asker_self || !personal(p);
}

/* The start of the last block of s[from, n) (after its last blank line),
 * and whether that block is the first one there. */
static size_t last_block(const char *s, size_t n, size_t from, int *only)
{
    size_t start = from, p = from;
    int blank = 0, blocks = 0;
    while (p < n) {
        const char *nl = memchr(s + p, '\n', n - p);
        size_t e = nl ? (size_t)(nl - s) : n, q = p;
        while (q < e && (s[q] == ' ' || s[q] == '\t' || s[q] == '\r')) q++;
        if (q == e) {
            blank = 1;
        } else if (blank || !blocks) {
            start = p;
            blocks++;
            blank = 0;
        }
        p = e + 1;
    }
    *only = blocks <= 1;
    return start;
}

static void grounded(c12_route_analysis *out, const rt_feat *refs, long words, const char *fmt, long n)
{
    char names[64] = "";
    size_t k = 0;
    for (int i = 0; i < refs->ref_names.n && k + 1 < sizeof names; i++)
        k += (size_t)snprintf(names + k, sizeof names - k, "%s%s", i ? ", " : "", refs->ref_names.v[i]);
    if (names[0]) rt_reason_first(out, "refers to the text: %s", names);
    rt_reason_first(out, fmt, n);
    out->category = C12_ROUTE_GROUNDED;
    out->passage_words = (size_t)words;
}

/* A request first, the passage after it (Dolly's "question\n\ncontext"). */
static int request_first(const rt_text *t, c12_route_analysis *out)
{
    const rt_feat *h = t->head, *b = t->body;
    long body_words = (long)out->n_words - (long)h->n_words;
    part pb = part_of(b);
    pb.words = body_words;
    if (!is_request(h) || makes_new(h) || !passage_ok(pb, h->self, h->refs_strong)) return 0;
    grounded(out, h, body_words, "a passage of %ld words after the request", body_words);
    return 1;
}

/* The last block's features when it may be a request (NULL: none, or too
 * long to be one); *in_body: the body's word pass read it too. */
static const rt_feat *last_request(const rt_text *t, rt_feat *buf, int *in_body)
{
    int only = 1;
    if (t->h >= t->n) return NULL;
    size_t lb = last_block(t->s, t->n, t->h, &only);
    *in_body = lb < t->h + t->body_read;
    if (only) return t->body; /* the body is one block */
    if (t->n - lb > LAST_MAX) return NULL;
    memset(buf, 0, sizeof *buf);
    rt_scan_words(t->s + lb, t->n - lb, REQUEST_MAX + 1, buf);
    return buf;
}

/* The passage first, the request in the last block. */
static int request_last(const rt_text *t, const rt_feat *last, int in_body, c12_route_analysis *out)
{
    const rt_feat *h = t->head, *b = t->body;
    if (!is_request(last) || makes_new(last)) return 0;
    part before = {(long)out->n_words - (long)last->n_words, h->persons + b->persons, h->n_questions + b->n_questions};
    if (in_body) {
        before.persons -= last->persons;
        before.questions -= last->n_questions;
    }
    if (!passage_ok(before, last->self, last->refs_strong)) return 0;
    grounded(out, last, before.words, "a passage of %ld words before the question", before.words);
    return 1;
}

/* One block, or a passage marked within the text: a strong reference with
 * the passage beside it, a quotation, a table. */
static int marked(const rt_text *t, int asks, c12_route_analysis *out)
{
    const rt_feat *h = t->head, *b = t->body;
    long rest = (long)out->n_words - h->ref_sent_words;
    int quoted = h->quoted > b->quoted ? h->quoted : b->quoted;
    if (h->refs_strong && rest >= PASSAGE_MIN && asks) {
        grounded(out, h, rest, "the request points to a passage of %ld words beside it", rest);
        return 1;
    }
    if (quoted >= PASSAGE_MIN && asks) {
        grounded(out, h, quoted, "a quoted passage of %ld words", quoted);
        return 1;
    }
    if (h->table_lines >= TABLE_MIN && asks) {
        grounded(out, h, (long)out->n_words, "a table of %ld rows", h->table_lines);
        return 1;
    }
    return 0;
}

/* A message that is only a passage (an article pasted, a system prompt
 * holding a document): a later question may be about it. */
static void alone(const rt_text *t, c12_route_analysis *out)
{
    const rt_feat *h = t->head, *b = t->body;
    part p = {(long)out->n_words, h->persons + b->persons, h->n_questions + b->n_questions};
    if (p.words >= ALONE_MIN && !(h->first_cls & RK_ASK) && passage_ok(p, 1, 0))
        out->passage_words = (size_t)p.words;
}

void rt_grounded(const rt_text *t, c12_route_analysis *out)
{
    /* the common shape first: it needs no look at the last block */
    if (t->h < t->n && request_first(t, out)) return;
    rt_feat buf;
    int in_body = 0;
    const rt_feat *last = last_request(t, &buf, &in_body), *h = t->head, *b = t->body;
    if (last && request_last(t, last, in_body, out)) return;
    int asks = h->n_questions || b->n_questions || is_request(h) || (last && is_request(last));
    if (marked(t, asks, out)) return;
    alone(t, out);
}
