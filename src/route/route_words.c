/* route_words.c - the word pass: keyword classes, the pairs that matter
 * ("write ... function", "sort ... list", "given ... string", "in Python"),
 * the cues of ambiguous words' ordinary senses, the complexity counts
 * (words, asks, reasoning and step cues, requested output length) and what
 * route_grounded.c weighs (references to a given text, person words,
 * quotations).
 *
 * One left-to-right pass with a few remembered positions; ambiguous words are
 * resolved afterwards in route_score.c, once every sense cue is known. */
#include <ctype.h>
#include <string.h>

#include "route/route_impl.h"

#define WORD_MAX 24
#define NEAR 4 /* words between a verb and its object */

typedef struct wstate {
    rt_feat *f;
    long i;                 /* index of the current word */
    long make_at, op_at, given_at, num_at, prep_at, lang_at, impl_at, how_at, data_at;
    long num;               /* value of the last number */
    unsigned prev_cls;      /* classes of the previous word */
    char prev[WORD_MAX];    /* the previous word, lowercase */
    int sentence_start;
    unsigned lang_mask;     /* senses of the pending ambiguous language */
    int lang_single;        /* it is a single letter (C, R) or "Go" */
    int lang_adjacent;
    int lang_prep;          /* it follows "in", "using", "with" */
    int data_tech;          /* the last data word is a programming one (array, tuple) */
    const char *end;        /* of the text: a word may look at the byte after it */
    long ptr_at, ref_at;    /* the last pointing word ("this", "below") and text noun */
    unsigned ptr_aux;
    long sent_at;           /* first word of the current sentence */
    int ref_open;           /* the sentence holds the first strong reference */
    int line_start;         /* the next word starts a line */
    int in_quote, quote_words, gt_line, gt_words; /* "...", and lines starting with > */
} wstate;

/* Words before "code" that make it a non-programming code. */
static const char *const code_compounds[] = {
    "dress", "zip", "area", "postal", "post", "morse", "genetic", "country", "penal", "civil", "tax",
    "building", "bar", "qr", "color", "colour", "access", "promo", "discount", "coupon", "secret",
    "honor", "honour", "moral", "criminal", "legal", "fire", "airport", "iata", "da", "vinci", "zone",
};

static int is_compound_code(const char *prev)
{
    for (size_t i = 0; i < sizeof code_compounds / sizeof code_compounds[0]; i++)
        if (!strcmp(prev, code_compounds[i])) return 1;
    return 0;
}

/* Close the pending ambiguous language mention (python, java, C...). */
static void lang_flush(wstate *w)
{
    if (w->lang_at < 0) return;
    rt_feat *f = w->f;
    if (w->lang_adjacent) {
        f->lang_amb_ctx++;
        f->lang_ctx_masks |= w->lang_mask;
    } else if (!w->lang_single || w->lang_prep) {
        /* alone, or "in Go" / "in C": counted only beside other evidence */
        f->lang_amb++;
        f->lang_weak_masks |= w->lang_mask;
    }
    w->lang_at = -1;
}

/* A tool and its subcommand in running text: "git commit", "pip install". */
static int tool_command(const char *tool, const char *sub)
{
    static const char *const tools[] = {"git", "pip", "pip3", "npm", "yarn", "docker", "kubectl", "cargo",
                                        "brew", "apt", "conda", "go", "dotnet", "gradle", "mvn"};
    (void)sub; /* the caller checked it is a subcommand (RK_SUBCMD) */
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
        if (!strcmp(tool, tools[i])) return 1;
    return 0;
}

static void artifact(wstate *w, const rt_kw *k, const char *lw, size_t n)
{
    rt_feat *f = w->f;
    int amb = (k->cls & RK_ART_AMB) != 0;
    if (!strcmp(lw, "code") && is_compound_code(w->prev)) return;
    if (w->i - w->make_at <= NEAR && w->make_at != w->i) {
        if (f->make_art < RT_NAMES) f->make_masks[f->make_art] = k->aux | (amb ? RS_AMB_ART : 0);
        f->make_art++;
    }
    if (amb) {
        f->art_amb++;
        f->art_amb_masks |= k->aux;
    } else {
        rt_names_add(&f->arts, lw, n);
        f->art_masks |= k->aux;
    }
}

static void complexity_word(wstate *w, const rt_kw *k, const char *lw, size_t n)
{
    rt_feat *f = w->f;
    if (k->cls & RK_REASON) {
        rt_names_add(&f->reason_cues, lw, n);
        f->n_reason_cues++;
    }
    if (k->cls & RK_STEP) f->n_step_cues++;
    if (k->cls & RK_BRIEF) f->brief++;
    if ((k->cls & RK_UNIT) && w->i - w->num_at <= 3 && w->num > 0) {
        long words = w->num * (long)k->aux;
        if (words > f->out_words) f->out_words = words;
    }
    if ((k->cls & RK_NUM) && !(k->cls & RK_UNIT)) {
        w->num = (long)k->aux;
        w->num_at = w->i;
    }
    /* A sentence that starts with a request verb is an ask; questions are
     * counted by their '?'. */
    if (w->sentence_start && (k->cls & RK_ASK) && (k->cls & (RK_MAKE | RK_OP | RK_REASON) || !(k->cls & RK_NUM)))
        if (strcmp(lw, "what") && strcmp(lw, "who") && strcmp(lw, "when") && strcmp(lw, "where") &&
            strcmp(lw, "which") && strcmp(lw, "why") && strcmp(lw, "how") && strcmp(lw, "is") &&
            strcmp(lw, "are") && strcmp(lw, "can") && strcmp(lw, "could") && strcmp(lw, "would") &&
            strcmp(lw, "should") && strcmp(lw, "does") && strcmp(lw, "do") && strcmp(lw, "did"))
            f->n_requests++;
}

static void code_word(wstate *w, const rt_kw *k, const char *lw, size_t n, const char *orig)
{
    rt_feat *f = w->f;
    unsigned c = k->cls;
    if (c & RK_SENSE) f->senses |= k->aux;
    if (w->lang_at == w->i - 1 && (c & (RK_ART | RK_ART_AMB | RK_TECH | RK_DATA))) w->lang_adjacent = 1;
    if (w->lang_at >= 0 && w->lang_at < w->i - 1) lang_flush(w);
    if (c & RK_LANG) rt_names_add(&f->langs, lw, n);
    if (c & RK_LANG_AMB) {
        int single = n == 1 || !strcmp(lw, "go");
        /* C, R and Go are languages only when capitalised and beside a
         * programming word: "in C", "a C program", "Go code" */
        if (!single || isupper((unsigned char)orig[0])) {
            lang_flush(w);
            w->lang_at = w->i;
            w->lang_mask = k->aux;
            w->lang_single = single;
            /* "in Python", "write a small Python tool" */
            w->lang_adjacent = !single && (w->prep_at == w->i - 1 || w->i - w->make_at <= 3);
            w->lang_prep = w->prep_at == w->i - 1;
            rt_names_add(&f->langs_amb, lw, n);
        }
    }
    if (c & (RK_ART | RK_ART_AMB)) artifact(w, k, lw, n);
    if (c & RK_TECH) {
        rt_names_add(&f->techs, lw, n);
        if (w->i - w->make_at <= NEAR && w->make_at != w->i) f->make_tech++;
    }
    if (c & RK_DATA) {
        rt_names_add(&f->datas, lw, n);
        w->data_at = w->i;
        w->data_tech = (c & RK_TECH) != 0;
        if (w->i - w->op_at <= NEAR && w->op_at != w->i) {
            f->op_data++;
            if (c & RK_TECH) f->op_csdata++; /* "sort an array", not "sort the words" */
        }
        if (w->i - w->given_at <= 2) f->given_data++;
    }
    if ((c & (RK_ART | RK_ART_AMB | RK_TECH | RK_DATA | RK_OP)) && !(c & RK_GENERIC) && w->i - w->impl_at <= NEAR &&
        w->impl_at != w->i)
        f->impl_pair++;
    /* "implement a stack" asks; "the system implements ..." describes */
    if ((c & RK_IMPL) && lw[n - 1] != 's') w->impl_at = w->i;
    if (c & RK_PROBLEM) f->problem++;
    if (c & RK_HOW) w->how_at = w->i;
    if ((c & RK_HOW2) && w->how_at == w->i - 1) f->howto = 1;
    if (c & RK_MAKE) w->make_at = w->i;
    if (c & RK_OP) {
        /* "a list of numbers, sort it" as well as "sort the list" */
        if (w->i - w->data_at <= 2 && w->data_at != w->i) {
            f->op_data++;
            if (w->data_tech) f->op_csdata++;
        }
        w->op_at = w->i;
        f->op++;
    }
    /* a request verb in the imperative: "Write ...", "can you write",
     * "I want to write", "please create", "help me build" */
    if ((c & RK_MAKE) && (w->sentence_start || !strcmp(w->prev, "please") || !strcmp(w->prev, "to") ||
                          !strcmp(w->prev, "you") || !strcmp(w->prev, "me")))
        f->make_verbs++;
    /* "write a poem / an email": the thing written is prose */
    if ((c & RK_PROSE) && w->i - w->make_at <= NEAR) f->prose++;
    if (c & RK_GIVEN) w->given_at = w->i;
    if (c & RK_PREP) w->prep_at = w->i;
}

/* A reference to a given text: "this paragraph", "the text below",
 * "Context:" at a line start. */
static void ref_cue(wstate *w, int strong, const char *noun, size_t n)
{
    rt_feat *f = w->f;
    f->refs++;
    rt_names_add(&f->ref_names, noun, n);
    if (!strong) return;
    if (!f->refs_strong++) w->ref_open = 1;
}

static void grounded_word(wstate *w, const rt_kw *k, const char *lw, size_t n, const char *orig)
{
    rt_feat *f = w->f;
    /* "US" is the country, not "us" */
    if ((k->cls & RK_PERSON) && !(n == 2 && orig[0] == 'U')) {
        f->persons++;
        if (k->aux & RP_SELF) f->self++;
    }
    if (k->cls & RK_POINT) {
        if ((k->aux & RP_AFTER) && w->ref_at == w->i - 1) ref_cue(w, 1, w->prev, strlen(w->prev));
        w->ptr_at = w->i;
        w->ptr_aux = k->aux;
    }
    if (k->cls & RK_REF) {
        if (w->line_start && orig + n < w->end && orig[n] == ':')
            ref_cue(w, 1, lw, n);
        else if (w->i - w->ptr_at <= 3)
            ref_cue(w, (w->ptr_aux & RP_STRONG) != 0, lw, n);
        w->ref_at = w->i;
    }
}

/* Sentence, quotation and line bookkeeping before a word. */
static void word_place(wstate *w)
{
    rt_feat *f = w->f;
    if (w->sentence_start) {
        if (w->ref_open) f->ref_sent_words = w->i - w->sent_at;
        w->ref_open = 0;
        w->sent_at = w->i;
    }
    if (w->in_quote) w->quote_words++;
    if (w->gt_line && ++w->gt_words > f->quoted) f->quoted = w->gt_words;
}

static void word(wstate *w, const char *orig, size_t n)
{
    char lw[WORD_MAX];
    rt_feat *f = w->f;
    f->n_words++;
    word_place(w);
    if (isdigit((unsigned char)orig[0])) {
        /* the text is not NUL-terminated: no strtol */
        long v = 0;
        for (size_t j = 0; j < n && j < 7 && isdigit((unsigned char)orig[j]); j++) v = v * 10 + (orig[j] - '0');
        w->num = n <= 6 ? v : 0;
        w->num_at = w->i;
    } else if (n < WORD_MAX) {
        for (size_t j = 0; j < n; j++) lw[j] = (char)tolower((unsigned char)orig[j]);
        lw[n] = '\0';
        const rt_kw *k = rt_lookup(lw, n);
        if (!k && n > 3 && lw[n - 1] == 's') k = rt_lookup(lw, n - 1);
        /* "the function of the liver / of a manager" */
        if (n == 2 && !strcmp(lw, "of") && (!strcmp(w->prev, "function") || !strcmp(w->prev, "functions")))
            f->senses |= RS_BODY;
        /* "regular expression" is the long form of "regex" */
        if (lw[0] == 'e' && n >= 10 && !strcmp(w->prev, "regular") &&
            (!strcmp(lw, "expression") || !strcmp(lw, "expressions")))
            k = rt_lookup("regex", 5);
        if (k && (k->cls & RK_SUBCMD) && tool_command(w->prev, lw)) {
            f->tool_cmds++;
            rt_names_add(&f->langs, w->prev, strlen(w->prev));
        }
        if (k) {
            code_word(w, k, lw, n, orig);
            complexity_word(w, k, lw, n);
            if (k->cls & (RK_REF | RK_POINT | RK_PERSON)) grounded_word(w, k, lw, n, orig);
        }
        if (w->i == 0) f->first_cls = k ? k->cls : 0;
        if (w->i < 3 && k) f->lead_cls |= k->cls;
        w->prev_cls = k ? k->cls : 0;
        memcpy(w->prev, lw, n + 1);
    } else
        w->prev[0] = '\0';
    w->sentence_start = 0;
    w->line_start = 0;
    w->i++;
}

/* Quotation marks: straight, or curly (UTF-8 E2 80 9C / 9D). Returns the
 * bytes the mark takes (0: none). A closed quotation's words count. */
static size_t quote_mark(wstate *w, const char *p, const char *end)
{
    unsigned char c = (unsigned char)*p;
    int open;
    size_t len = 1;
    if (c == '"')
        open = !w->in_quote;
    else if (c == 0xE2 && end - p >= 3 && (unsigned char)p[1] == 0x80 &&
             ((unsigned char)p[2] == 0x9C || (unsigned char)p[2] == 0x9D))
        open = (unsigned char)p[2] == 0x9C, len = 3;
    else
        return 0;
    if (!open && w->in_quote && w->quote_words > w->f->quoted) w->f->quoted = w->quote_words;
    w->in_quote = open;
    w->quote_words = 0;
    return len;
}

/* A line break: a run of lines starting with > ends at a line without. */
static void line_break(wstate *w)
{
    if (!w->gt_line) w->gt_words = 0;
    w->gt_line = 0;
    w->line_start = 1;
}

size_t rt_scan_words(const char *s, size_t n, size_t max_words, rt_feat *f)
{
    wstate w;
    memset(&w, 0, sizeof w);
    w.f = f;
    w.make_at = w.op_at = w.given_at = w.num_at = w.prep_at = w.impl_at = w.how_at = w.data_at = -100;
    w.ptr_at = w.ref_at = -100;
    w.lang_at = -1;
    w.sentence_start = w.line_start = 1;
    const char *p = s, *end = s + n;
    w.end = end;
    while (p < end && (!max_words || f->n_words < max_words)) {
        unsigned char c = (unsigned char)*p;
        if (RT_ALNUM(c)) {
            const char *b = p;
            while (p < end && RT_ALNUM(*p)) p++;
            /* c++ and c# are languages, whatever their case */
            if (p - b == 1 && (*b == 'c' || *b == 'C') && p < end && (*p == '#' || (*p == '+' && p + 1 < end && p[1] == '+'))) {
                rt_names_add(&f->langs, *p == '#' ? "c#" : "c++", *p == '#' ? 2 : 3);
                f->n_words++;
                w.i++;
                continue;
            }
            word(&w, b, (size_t)(p - b));
            continue;
        }
        if (c == '?') f->n_questions++;
        if (c == '.' || c == '!' || c == '?' || c == '\n' || c == ':') w.sentence_start = 1;
        if (c == '\n') line_break(&w);
        else if (c == '>' && w.line_start) w.gt_line = 1;
        size_t q = quote_mark(&w, p, end);
        p += q ? q : 1;
    }
    lang_flush(&w);
    if (w.ref_open) f->ref_sent_words = w.i - w.sent_at;
    return (size_t)(p - s);
}
