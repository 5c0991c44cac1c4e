/* route_score.c - features to a code score, a complexity score and reasons.
 *
 * Weights are points on one scale; a text is code at C12_ROUTE_CODE_THRESHOLD
 * (9): a language named alone (8, "What is PHP?") is not enough. Syntax is near-certain evidence and scores high on its own (a fence,
 * a stack trace, a code line). Words need company: a language name alone is 8,
 * "write ... function" is 10 with the noun, a programming concept 3 each with
 * a cap, so a general question that merely mentions technology ("What is an
 * API?", a passage about databases) stays general. Each group is capped so
 * that no one repeated word decides. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "route/route_impl.h"

/* Reasons of the category may use this many slots; the rest are kept for the
 * complexity and the follow-up rule. */
#define CODE_REASONS (C12_ROUTE_REASONS_MAX - 2)

void rt_reason(c12_route_analysis *out, const char *fmt, ...)
{
    if (out->n_reasons >= C12_ROUTE_REASONS_MAX) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reasons[out->n_reasons++], C12_ROUTE_REASON_LEN, fmt, ap);
    va_end(ap);
}

void rt_reason_first(c12_route_analysis *out, const char *fmt, ...)
{
    if (out->n_reasons == C12_ROUTE_REASONS_MAX) out->n_reasons--;
    memmove(out->reasons[1], out->reasons[0], out->n_reasons * sizeof out->reasons[0]);
    out->n_reasons++;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reasons[0], C12_ROUTE_REASON_LEN, fmt, ap);
    va_end(ap);
}

static int capped(int count, int each, int cap)
{
    long v = (long)count * each;
    return v > cap ? cap : (int)v;
}

/* "a, b, c" from a name set, into buf. */
static const char *join(const rt_names *s, char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->n && k + 1 < size; i++) {
        int w = snprintf(buf + k, size - k, "%s%s", i ? ", " : "", s->v[i]);
        if (w < 0) break;
        k += (size_t)w;
    }
    return buf;
}

typedef struct scorer {
    const rt_feat *f;
    c12_route_analysis *out;
    int score;
    int hard;  /* syntax evidence or a language: ordinary senses no longer void a word */
    int quiet; /* count points, write no reasons (the passage after the request) */
} scorer;

static void add(scorer *s, int pts, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(scorer *s, int pts, const char *fmt, ...)
{
    if (pts <= 0) return;
    s->score += pts;
    if (s->quiet || s->out->n_reasons >= CODE_REASONS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->out->reasons[s->out->n_reasons++], C12_ROUTE_REASON_LEN, fmt, ap);
    va_end(ap);
}

static int unlocked(const scorer *s, unsigned mask) { return s->hard || (mask & s->f->senses) == 0; }

static void syntax(scorer *s)
{
    const rt_feat *f = s->f;
    char a[64], b[64];
    if (f->fenced) add(s, 20, "fenced code block");
    /* a line in one language's syntax (def f(x):, SELECT ... FROM) is
     * decisive on its own; lines that merely end in ; { } add up */
    int lines = f->lang_lines ? 10 + capped(f->code_lines - 1, 4, 8) : capped(f->code_lines, 4, 16);
    if (f->code_lines && f->kw.n)
        add(s, lines, "%d code line%s (%s keywords: %s)", f->code_lines,
            f->code_lines == 1 ? "" : "s", f->kw_lang.n ? f->kw_lang.v[0] : "code", join(&f->kw, a, sizeof a));
    else if (f->code_lines)
        add(s, lines, "%d code line%s", f->code_lines, f->code_lines == 1 ? "" : "s");
    if (f->indented >= 2) add(s, 4, "indented code");
    if (f->trace) add(s, 12, "stack trace or error name");
    if (f->shell) add(s, capped(f->shell, 8, 16), "shell command%s", f->shell == 1 ? "" : "s");
    if (f->tool_cmds) add(s, 8, "tool command in the text");
    if (f->inline_code)
        add(s, capped(f->inline_syntax, 8, 12) + capped(f->inline_code - f->inline_syntax, 4, 8),
            "inline code in backticks");
    if (f->files) add(s, capped(f->files, 5, 10), "file names: %s", join(&f->file_ex, a, sizeof a));
    if (f->snake || f->camel)
        add(s, capped(f->snake, 6, 12) + capped(f->camel, 4, 8), "identifiers: %s", join(&f->ident_ex, b, sizeof b));
    int calls = f->dotted_calls + f->calls + f->subscripts;
    if (calls)
        add(s, capped(f->dotted_calls, 5, 10) + capped(f->calls, 3, 6) + capped(f->subscripts, 3, 6),
            "call or index syntax (%d)", calls);
    if (f->ops) add(s, capped(f->ops, 2, 6), "code operators (%d)", f->ops);
    s->hard = s->score >= 4;
}

static int make_pair(const scorer *s, int *amb)
{
    const rt_feat *f = s->f;
    int best = 0;
    for (int i = 0; i < f->make_art && i < RT_NAMES; i++) {
        unsigned m = f->make_masks[i];
        /* "write a function to solve the equation" is still code: only the
         * function of an organ or a team voids the pair */
        if (!unlocked(s, m & ~(unsigned)(RS_AMB_ART | RS_MATH))) continue;
        int pts = (m & RS_AMB_ART) ? 8 : 10;
        if (pts > best) {
            best = pts;
            *amb = (m & RS_AMB_ART) != 0;
        }
    }
    return best;
}

static int languages(scorer *s)
{
    const rt_feat *f = s->f;
    char a[64], b[64];
    int other = s->hard || f->make_art || f->arts.n || f->art_amb || f->techs.n;
    int amb_ok = (f->lang_amb_ctx && unlocked(s, f->lang_ctx_masks)) ||
                 (f->lang_amb && other && unlocked(s, f->lang_weak_masks));
    int nl = f->langs.n + (amb_ok ? f->langs_amb.n : 0);
    if (nl)
        add(s, capped(nl - 1, 2, 4) + 8, "language: %s%s%s", join(&f->langs, a, sizeof a),
            f->langs.n && amb_ok ? ", " : "", amb_ok ? join(&f->langs_amb, b, sizeof b) : "");
    else if (f->lang_amb && unlocked(s, f->lang_weak_masks))
        add(s, 2, "mentions %s without programming context", join(&f->langs_amb, a, sizeof a));
    return nl;
}

static void words(scorer *s)
{
    const rt_feat *f = s->f;
    char a[64];
    int had_hard = s->hard;
    /* a programming language named settles the sense of "function", "class" */
    if (languages(s)) s->hard = 1;
    int amb = 0, pair = make_pair(s, &amb);
    int arts = unlocked(s, f->art_masks) ? f->arts.n : 0;
    int art_amb = unlocked(s, f->art_amb_masks) ? f->art_amb : 0;
    if (pair) add(s, pair, "asks to write %s", amb ? "a program or script" : "code");
    if (arts) add(s, capped(arts, 4, 8), "programming words: %s", join(&f->arts, a, sizeof a));
    if (art_amb) s->score += capped(art_amb, 2, 4);
    if (f->techs.n) add(s, capped(f->techs.n, 3, 9), "programming concepts: %s", join(&f->techs, a, sizeof a));
    if (f->impl_pair && !pair) add(s, 10, "asks to implement a data structure or algorithm");
    else if (f->make_tech && !pair) add(s, 4, "asks to build a programming construct");
    /* "how do I ... in CSS", "my query is slow": a how-to question or a
     * problem report about something programming is a request for code */
    int request = f->make_verbs && !f->prose;
    if ((f->howto || f->problem || request) && (s->hard || arts || art_amb || f->techs.n))
        add(s, 3, "%s about it", f->howto ? "how-to question" : f->problem ? "problem report" : "request");
    if (f->op_data || f->given_data)
        add(s, (f->op_csdata ? 6 : f->op_data ? 4 : 0) + (f->given_data ? 5 : 0), "operation on data: %s",
            join(&f->datas, a, sizeof a));
    if (f->op || pair) s->score += capped(f->datas.n, 1, 3);
    if (!s->quiet && f->senses && !s->hard && (f->lang_amb || f->art_amb || f->arts.n || f->make_art) &&
        (!unlocked(s, f->lang_weak_masks | f->lang_ctx_masks) || !unlocked(s, f->art_masks | f->art_amb_masks)))
        rt_reason(s->out, "ambiguous words read in their ordinary sense");
    s->hard = had_hard;
}

static void complexity(const rt_feat *f, c12_route_analysis *out)
{
    double w = (double)out->n_words;
    int asks = f->n_questions + f->n_requests;
    if (f->n_items >= 2 && asks < f->n_items / 2) asks = f->n_items / 2;
    if (asks < 1) asks = 1;
    int len_pts = (int)fmin(35.0, 10.0 * log2(1.0 + w / 8.0));
    int pts = len_pts + capped(asks - 1, 8, 24) + capped(f->reason_cues.n, 8, 24) + capped(f->n_step_cues, 5, 15);
    if (f->out_words >= 1500)
        pts += 20;
    else if (f->out_words >= 500)
        pts += 15;
    else if (f->out_words >= 200)
        pts += 8;
    if (f->brief) pts -= 10;
    out->complexity = pts < 0 ? 0 : pts > 100 ? 100 : pts;
    out->tier = out->complexity >= 60 ? C12_ROUTE_HIGH : out->complexity >= 30 ? C12_ROUTE_MEDIUM : C12_ROUTE_LOW;
    out->out_tokens = f->out_words * 4 / 3;
    out->n_asks = asks;
}

static void complexity_reason(const rt_feat *f, c12_route_analysis *out)
{
    char a[64], more[96] = "";
    size_t k = 0;
    if (f->reason_cues.n)
        k += (size_t)snprintf(more + k, sizeof more - k, ", reasoning: %s", join(&f->reason_cues, a, sizeof a));
    if (f->n_step_cues && k < sizeof more)
        k += (size_t)snprintf(more + k, sizeof more - k, ", %d step cue%s", f->n_step_cues, f->n_step_cues == 1 ? "" : "s");
    if (out->out_tokens && k < sizeof more)
        k += (size_t)snprintf(more + k, sizeof more - k, ", asks for ~%ld tokens", out->out_tokens);
    if (f->brief && k < sizeof more) snprintf(more + k, sizeof more - k, ", asks for brevity");
    rt_reason(out, "complexity %d (%s): %zu words, %d ask%s%s", out->complexity, c12_route_tier_name(out->tier),
              out->n_words, out->n_asks, out->n_asks == 1 ? "" : "s", more);
}

/* The passage after a request (Dolly-style "question\n\ncontext", a pasted
 * article) weighs less the longer it is: an article about software is not a
 * request for code, while a short second paragraph of a request is part of it. */
static void passage(scorer *s, const rt_feat *body, double scale)
{
    scorer b = {body, s->out, 0, s->hard, 1};
    words(&b);
    int pts = (int)(b.score * scale + 0.5);
    char a[64];
    rt_names all = body->langs;
    for (int i = 0; i < body->arts.n; i++) rt_names_add(&all, body->arts.v[i], strlen(body->arts.v[i]));
    for (int i = 0; i < body->techs.n; i++) rt_names_add(&all, body->techs.v[i], strlen(body->techs.v[i]));
    if (pts) add(s, pts, "programming words in the passage: %s", all.n ? join(&all, a, sizeof a) : "...");
}

void rt_score(const rt_feat *f, const rt_feat *body, double body_scale, c12_route_analysis *out)
{
    scorer s = {f, out, 0, 0, 0};
    syntax(&s);
    words(&s);
    if (body) passage(&s, body, body_scale);
    out->code_score = s.score;
    out->category = s.score >= C12_ROUTE_CODE_THRESHOLD ? C12_ROUTE_CODE : C12_ROUTE_GENERAL;
    if (!s.score && out->n_reasons < CODE_REASONS) rt_reason(out, "no code evidence");
    complexity(f, out);
    complexity_reason(f, out);
}
