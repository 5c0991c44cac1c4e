/* route_impl.h - the feature counts the scanners fill and the scorer reads
 * (internal to src/route). Everything is fixed-size: analysing allocates
 * nothing. */
#ifndef C12_ROUTE_IMPL_H
#define C12_ROUTE_IMPL_H

#include <stddef.h>

#include "route/route.h"

/* Word classes of the keyword table. */
enum {
    RK_LANG = 1 << 0,     /* a programming language or code technology: javascript, sql, numpy */
    RK_LANG_AMB = 1 << 1, /* also an ordinary word: python, java, ruby, rust, swift, c, r, go */
    RK_ART = 1 << 2,      /* a thing one writes in code: function, regex, algorithm */
    RK_ART_AMB = 1 << 3,  /* ... that is also an ordinary word: program, script, class, code */
    RK_TECH = 1 << 4,     /* a programming concept: variable, recursion, compiler, bug */
    RK_DATA = 1 << 5,     /* a data structure word: array, string, list, tuple */
    RK_MAKE = 1 << 6,     /* a verb that asks for something to be made: write, implement */
    RK_OP = 1 << 7,       /* an operation on data: sort, reverse, return, count */
    RK_SENSE = 1 << 8,    /* a cue for the ordinary sense of an ambiguous word (aux: which) */
    RK_REASON = 1 << 9,   /* complexity: a reasoning cue (why, explain, compare) */
    RK_STEP = 1 << 10,    /* complexity: a step cue (step, first, then, finally) */
    RK_UNIT = 1 << 11,    /* output length unit (aux: words per unit) */
    RK_BRIEF = 1 << 12,   /* asks for a short answer */
    RK_ASK = 1 << 13,     /* a sentence starting with it is a request (explain, list, tell) */
    RK_NUM = 1 << 14,     /* a number word (aux: value) */
    RK_GIVEN = 1 << 15,   /* "given" / "input": "given a list" */
    RK_PREP = 1 << 16,    /* in / using / with: "in Python" */
    RK_IMPL = 1 << 17,    /* implement: with a data structure or algorithm, a request for code */
    RK_PROBLEM = 1 << 18, /* error, fails, crash, wrong: something does not work */
    RK_HOW = 1 << 19,     /* how ... */
    RK_HOW2 = 1 << 20,    /* ... do / can / to: a how-to question */
    RK_GENERIC = 1 << 21, /* a data word too common to make "implement X" code: number, value */
    RK_PROSE = 1 << 22,   /* a piece of prose one writes: essay, poem, letter */
    RK_SUBCMD = 1 << 23,  /* a tool's subcommand: install, commit, push */
    RK_REF = 1 << 24,     /* a given text's name: text, passage, paragraph, article, table */
    RK_POINT = 1 << 25,   /* points to it: this, the following, below (aux: RP_ bits) */
    RK_PERSON = 1 << 26,  /* I, my, we, you (aux: RP_SELF for the writer's own) */
    RK_WH = 1 << 27,      /* what, who, which, how...: "In which year ...", a question */
};

/* aux bits of RK_POINT and RK_PERSON words. */
enum {
    RP_STRONG = 1 << 0, /* "this text", "the text below"; "the" alone is weak ("the text") */
    RP_AFTER = 1 << 1,  /* may follow its noun: "the passage below", "the text provided" */
    RP_SELF = 1 << 2,   /* I, my, we, our, us: the writer's own situation */
};

/* Ordinary senses that turn an ambiguous word off (aux bits). */
enum {
    RS_SNAKE = 1 << 0,  /* python */
    RS_ISLAND = 1 << 1, /* java */
    RS_GEM = 1 << 2,    /* ruby */
    RS_METAL = 1 << 3,  /* rust */
    RS_BIRD = 1 << 4,   /* swift */
    RS_SCHOOL = 1 << 5, /* class */
    RS_SHOW = 1 << 6,   /* program, script */
    RS_BODY = 1 << 7,   /* function (of an organ, a team) */
    RS_MATH = 1 << 8,   /* function (in mathematics) */
    RS_AMB_ART = 1 << 9, /* marks a pair whose artifact is itself ambiguous */
};

typedef struct rt_kw {
    const char *word;
    unsigned cls;
    unsigned aux;
} rt_kw;

/* The table, sorted by word (a unit test checks the order). */
extern const rt_kw rt_keywords[];
extern const size_t rt_n_keywords;
extern const unsigned short rt_first[27]; /* bucket starts by first letter */
const rt_kw *rt_lookup(const char *lower, size_t len);

#define RT_NAMES 4
#define RT_NAME_LEN 16
typedef struct rt_names {
    int n;
    char v[RT_NAMES][RT_NAME_LEN];
} rt_names;
void rt_names_add(rt_names *s, const char *w, size_t len);

typedef struct rt_feat {
    /* syntax (route_syntax.c) */
    int fenced, code_lines, lang_lines, indented, trace, shell, inline_code, inline_syntax;
    int files, snake, camel, dotted_calls, calls, subscripts, ops;
    rt_names kw_lang; /* language whose keywords fired in code lines: "python" */
    rt_names kw;      /* those keywords: "def", "return" */
    rt_names file_ex, ident_ex;
    /* words (route_words.c) */
    int make_art;                  /* make-verb + artifact pairs ("write ... function") */
    unsigned make_masks[RT_NAMES]; /* the senses that would void each pair */
    int make_tech;                 /* make-verb + programming concept */
    unsigned art_masks;            /* senses that void the unambiguous artifacts */
    int art_amb;                   /* ambiguous artifact words (program, script, class) */
    unsigned art_amb_masks;
    int op, op_data, op_csdata, given_data;
    int impl_pair;                 /* implement + a data structure, algorithm or operation */
    int howto, problem;            /* a how-to question; a problem report */
    int make_verbs, prose;         /* request verbs (write, create); prose nouns (essay, poem) */
    int tool_cmds;                 /* "git commit", "pip install" in a sentence */
    int lang_amb_ctx, lang_amb;    /* python, java...: beside a programming word, or alone */
    unsigned lang_ctx_masks, lang_weak_masks;
    unsigned senses;               /* ordinary senses present in the text */
    rt_names langs, langs_amb, arts, techs, datas;
    /* complexity */
    size_t n_words;
    int n_questions, n_requests, n_items;
    rt_names reason_cues;
    int n_reason_cues, n_step_cues;
    long out_words;
    int brief;
    unsigned first_cls;            /* classes of the text's first word */
    unsigned lead_cls;             /* ... of its first three words */
    /* a given passage (route_grounded.c) */
    int refs, refs_strong;         /* "this paragraph", "the text below"; "Context:" at a line start */
    rt_names ref_names;            /* the nouns: "paragraph" */
    long ref_sent_words;           /* words of the sentence holding the first strong reference */
    int persons, self;             /* I, me, my, we, you...; of those I, my, we, our, us */
    int quoted;                    /* words of the longest quotation ("...", a line starting with >) */
    int table_lines;               /* lines with two or more | or a tab between cells */
} rt_feat;

void rt_scan_syntax(const char *s, size_t n, rt_feat *f);
/* Returns the bytes read: it stops after max_words words (0 = no limit). */
size_t rt_scan_words(const char *s, size_t n, size_t max_words, rt_feat *f);

/* A question or instruction about a passage the text holds (route_grounded.c):
 * sets out->category to grounded (when it was general) and out->passage_words.
 * text[0..n) is what the scanners read; head and body as rt_score got them,
 * body_read the bytes of text + h its word pass read. */
typedef struct rt_text {
    const char *s;
    size_t n, h, body_read;
    const rt_feat *head, *body;
} rt_text;
void rt_grounded(const rt_text *t, c12_route_analysis *out);

/* Turn features into the analysis fields and reasons. */
/* head: the request (syntax and words); body: the passage after its first
 * blank line (words only), weighed by body_scale. body may be NULL. */
void rt_score(const rt_feat *head, const rt_feat *body, double body_scale, c12_route_analysis *out);
void rt_reason(c12_route_analysis *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, as the first reason (what decided); the last gives way when full. */
void rt_reason_first(c12_route_analysis *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Bytes of a message the scanners read: prompts longer than this are judged
 * by their first part (their length still counts in full). */
/* ASCII classes without the locale lookups of <ctype.h> (hot loops). */
#define RT_ALPHA(c) ((unsigned)(((unsigned char)(c) | 32) - 'a') < 26u)
#define RT_DIGIT(c) ((unsigned)((unsigned char)(c) - '0') < 10u)
#define RT_ALNUM(c) (RT_ALPHA(c) || RT_DIGIT(c))

#define RT_SCAN_MAX 8192
/* Words of the passage after the request that the word pass reads; beyond
 * this its weight is negligible (see rt_score). */
#define RT_BODY_WORDS 300
/* Below this many words a passage counts in full. */
#define RT_BODY_FULL 80

#endif
