/* route_syntax.c - the code detector's view of a text's shape: fenced blocks,
 * lines that read as code (language keywords in their syntax), stack traces,
 * shell commands, file names, identifiers (snake_case, camelCase, dotted and
 * plain calls, subscripts) and operators. Prose has none of these, so each is
 * strong evidence; words alone are weighed in route_words.c. */
#include <ctype.h>
#include <string.h>

#include "route/route_impl.h"

typedef struct span {
    const char *p, *e;
} span;

static int starts(span l, const char *w)
{
    size_t n = strlen(w);
    return (size_t)(l.e - l.p) >= n && !memcmp(l.p, w, n);
}

static int has(span l, const char *w)
{
    return memmem(l.p, (size_t)(l.e - l.p), w, strlen(w)) != NULL;
}

static int is_id(int c) { return RT_ALNUM(c) || c == '_'; }

/* A keyword at the line start, followed by what its syntax needs. */
typedef struct line_kw {
    const char *kw;   /* the line starts with this */
    const char *need; /* ... and contains this ("" = nothing more) */
    const char *lang; /* for the reason; NULL = several languages */
    const char *name; /* the keyword as the reason shows it */
} line_kw;

static const line_kw line_kws[] = {
    {"def ", "(", "python", "def"},        {"elif ", ":", "python", "elif"},
    {"from ", " import ", "python", "import"}, {"import ", "", NULL, "import"},
    {"print(", ")", NULL, "print"},          {"self.", "", "python", "self"},
    {"lambda ", ":", "python", "lambda"},    {"except", ":", "python", "except"},
    {"return ", "", NULL, "return"},          {"for ", ":", "python", "for"},
    {"if ", ":", "python", "if"},             {"while ", ":", "python", "while"},
    {"class ", ":", "python", "class"},       {"class ", "{", NULL, "class"},
    {"#include", "", "c", "#include"},        {"#define ", "", "c", "#define"},
    {"int main", "(", "c", "int main"},       {"void ", "(", NULL, "void"},
    {"std::", "", "c++", "std::"},            {"printf(", "", "c", "printf"},
    {"public ", "(", "java", "public"},       {"private ", "", "java", "private"},
    {"System.out", "", "java", "System.out"}, {"const ", "=", "javascript", "const"},
    {"let ", "=", "javascript", "let"},       {"var ", "=", "javascript", "var"},
    {"function ", "(", "javascript", "function"}, {"console.", "(", "javascript", "console"},
    {"SELECT ", "FROM", "sql", "SELECT"},     {"INSERT INTO", "", "sql", "INSERT"},
    {"CREATE TABLE", "", "sql", "CREATE TABLE"}, {"UPDATE ", " SET ", "sql", "UPDATE"},
    {"DELETE FROM", "", "sql", "DELETE"},     {"fn ", "(", "rust", "fn"},
    {"func ", "(", "go", "func"},             {"package ", ";", "java", "package"},
};

static int code_line(span l, rt_feat *f)
{
    for (size_t i = 0; i < sizeof line_kws / sizeof line_kws[0]; i++) {
        const line_kw *k = &line_kws[i];
        if (!starts(l, k->kw) || (k->need[0] && !has(l, k->need))) continue;
        /* "return to sender." and "if you can:" are prose: a keyword line
         * must not end a sentence and must have a symbol beyond letters. */
        /* lowercase keywords are English words too: "return to sender." */
        char last = l.e[-1];
        int lower = islower((unsigned char)k->kw[0]);
        if (lower && (last == '.' || last == '?' || last == '!')) continue;
        /* "for example: ..." is prose; "for x in xs:" ends with the colon */
        if (!strcmp(k->need, ":") && last != ':') continue;
        if (!k->need[0] && !has(l, "(") && !has(l, ";") && !has(l, "=") && !has(l, ".") &&
            !has(l, "<") && !has(l, "\"")) continue;
        if (k->lang) {
            rt_names_add(&f->kw_lang, k->lang, strlen(k->lang));
            f->lang_lines++;
        }
        rt_names_add(&f->kw, k->name, strlen(k->name));
        return 1;
    }
    char last = l.e[-1];
    if ((last == ';' || last == '{' || last == '}') && (has(l, "(") || has(l, "=") || l.e - l.p <= 2))
        return 1;
    return 0;
}

static const char *const shell_cmds[] = {
    "sudo", "apt", "apt-get", "pip", "pip3", "npm", "npx", "yarn", "git", "docker", "kubectl", "brew",
    "curl", "wget", "cd", "ls", "mkdir", "rm", "chmod", "chown", "grep", "sed", "awk", "cat", "make",
    "cmake", "gcc", "g++", "clang", "cargo", "go", "python", "python3", "node", "ssh", "scp", "tar",
    "export", "conda", "systemctl", "ps", "kill", "tail", "find", "echo", "java", "javac", "rustc",
};

static int shell_line(span l)
{
    if (starts(l, "$ ") && l.e - l.p > 3 && isalpha((unsigned char)l.p[2])) return 1;
    const char *q = l.p;
    while (q < l.e && *q != ' ') q++;
    if (q == l.e || q + 1 >= l.e) return 0;
    size_t n = (size_t)(q - l.p);
    int known = 0;
    for (size_t i = 0; i < sizeof shell_cmds / sizeof shell_cmds[0] && !known; i++)
        known = strlen(shell_cmds[i]) == n && !memcmp(shell_cmds[i], l.p, n);
    if (!known) return 0;
    if (n == 4 && !memcmp(l.p, "sudo", 4)) return isalpha((unsigned char)q[1]);
    /* the next word is a flag, a path or a subcommand: "ls -la", "cd /tmp",
     * "npm install", "git push", "kubectl get pods" */
    char c = q[1];
    if ((c == '-' && q + 2 < l.e && isalnum((unsigned char)q[2])) || c == '/' || c == '.' || c == '~') return 1;
    static const char *const subs[] = {"install ", "run ", "build ", "push", "pull", "clone ", "commit",
                                       "get ", "apply ", "exec ", "init", "add ", "logs ", "checkout ",
                                       "rebase", "describe ", "compose ", "uninstall "};
    span rest = {q + 1, l.e};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (starts(rest, subs[i])) return 1;
    return 0;
}

static int trace_line(span l)
{
    static const char *const marks[] = {
        "Traceback (most recent call last)", "Exception in thread", "panicked at", "Segmentation fault",
        "core dumped", "undefined reference to", "error[E",
    };
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (has(l, marks[i])) return 1;
    if (starts(l, "File \"") && has(l, "\", line ")) return 1;
    return starts(l, "at ") && has(l, "(") && has(l, ":") && l.e[-1] == ')';
}

/* "1. ...", "2) ...", "- ...", "* ...": an enumerated ask or item. */
static int item_line(span l)
{
    const char *q = l.p;
    while (q < l.e && isdigit((unsigned char)*q)) q++;
    if (q > l.p && q - l.p <= 2 && q + 1 < l.e && (*q == '.' || *q == ')') && q[1] == ' ') return 1;
    return l.e - l.p > 2 && (l.p[0] == '-' || l.p[0] == '*') && l.p[1] == ' ';
}

/* A row of a table: cells between two or more | ("| a | b |", "a | b | c",
 * not the || of code), or separated by a tab after the first cell. */
static int table_line(span l)
{
    if (memchr(l.p, '\t', (size_t)(l.e - l.p))) return 1;
    int bars = 0;
    for (const char *q = l.p; (q = memchr(q, '|', (size_t)(l.e - q))) != NULL; q++) {
        if (q + 1 < l.e && q[1] == '|') return 0; /* the || of code */
        bars++;
    }
    return bars >= 2;
}

static void scan_lines(const char *s, size_t n, rt_feat *f)
{
    const char *p = s, *end = s + n;
    int in_fence = 0;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) e = end;
        int indent = 0;
        const char *t = p;
        for (; t < e && (*t == ' ' || *t == '\t'); t++) indent += *t == '\t' ? 4 : 1;
        const char *te = e;
        while (te > t && isspace((unsigned char)te[-1])) te--;
        span l = {t, te};
        if (te > t) {
            if (!in_fence && item_line(l)) f->n_items++;
            if (!in_fence && table_line(l)) f->table_lines++;
            if (starts(l, "```") || starts(l, "~~~")) {
                if (!in_fence) f->fenced++;
                in_fence = !in_fence;
            } else if (in_fence) {
                f->code_lines++;
                code_line(l, f);
            } else if (code_line(l, f)) {
                f->code_lines++;
                if (indent >= 4) f->indented++;
            } else if (shell_line(l))
                f->shell++;
            else if (trace_line(l))
                f->trace++;
        }
        p = e + 1;
    }
}

static const char *const file_exts[] = {
    "py", "js", "ts", "jsx", "tsx", "c", "h", "cc", "cpp", "hpp", "cxx", "java", "go", "rs", "rb",
    "php", "sh", "ps1", "sql", "json", "yaml", "yml", "toml", "ini", "xml", "html", "css", "scss",
    "ipynb", "kt", "swift", "lua", "pl", "cs", "vue", "gradle", "mk", "jar", "dll", "exe", "so",
};

static int is_ext(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof file_exts / sizeof file_exts[0]; i++)
        if (strlen(file_exts[i]) == n && !memcmp(file_exts[i], w, n)) return 1;
    return 0;
}

/* One identifier-like token [w, e) of the text [s, end). */
static void ident(const char *s, const char *end, const char *w, const char *e, rt_feat *f)
{
    size_t n = (size_t)(e - w);
    char next = e < end ? *e : '\0';
    int dotted = w - s >= 2 && w[-1] == '.' && is_id(w[-2]);
    const char *u = memchr(w + 1, '_', n > 1 ? n - 2 : 0);
    if (u && is_id(u[1]) && isalpha((unsigned char)w[0])) {
        f->snake++;
        rt_names_add(&f->ident_ex, w, n);
    }
    if (n >= 4 && islower((unsigned char)w[0]) && islower((unsigned char)w[1])) {
        const char *q = w + 2;
        while (q < e && islower((unsigned char)*q)) q++;
        if (q < e && isupper((unsigned char)*q)) {
            f->camel++;
            rt_names_add(&f->ident_ex, w, n);
        }
    }
    if (n > 6 && isupper((unsigned char)w[0]) &&
        ((n > 5 && !memcmp(e - 5, "Error", 5)) || (n > 9 && !memcmp(e - 9, "Exception", 9))))
        f->trace++;
    int bare = w - s >= 1 && w[-1] == '.' && (w - s == 1 || w[-2] == ' ' || w[-2] == '*' || w[-2] == '"');
    if (bare && is_ext(w, n) && !is_id(next) && n >= 2) { /* "all .py files" */
        f->files++;
        rt_names_add(&f->file_ex, w - 1, n + 1);
    }
    if (dotted && is_ext(w, n) && !is_id(next) && w - s >= 3 && is_id(w[-3])) {
        f->files++;
        const char *b = w - 1;
        while (b > s && (is_id(b[-1]) || b[-1] == '-')) b--;
        rt_names_add(&f->file_ex, b, (size_t)(e - b));
    }
    if (next == '(' && n >= 2 && isalpha((unsigned char)w[0]) && e + 1 < end && e[1] != ' ') {
        int plural = e + 2 < end && e[1] == 's' && e[2] == ')'; /* "friend(s)" */
        if (!plural && dotted)
            f->dotted_calls++;
        else if (!plural)
            f->calls++;
    }
    if (next == '[' && e + 1 < end) {
        const char *q = e + 1;
        int letter = 0;
        while (q < end && q < e + 16 && *q != ']' && *q != ' ') letter |= isalpha((unsigned char)*q++);
        if (q < end && *q == ']' && (letter || q == e + 1)) f->subscripts++;
    }
}

static int maybe_op(char c)
{
    return c == '=' || c == '!' || c == '&' || c == '|' || c == '-' || c == ':' || c == '+' || c == '<' || c == '>';
}

static int op_at(const char *p)
{
    static const char ops[][3] = {"==", "!=", "&&", "||", "->", "=>", "::", "+=", "-=", "++", "<=", ">="};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (p[0] == ops[i][0] && p[1] == ops[i][1]) return 1;
    return 0;
}

static void scan_tokens(const char *s, size_t n, rt_feat *f)
{
    const char *p = s, *end = s + n;
    while (p < end) {
        /* a URL's path is not code: skip it */
        if (*p == ':' && p + 2 < end && p[1] == '/' && p[2] == '/') {
            while (p < end && !isspace((unsigned char)*p)) p++;
            continue;
        }
        if (RT_ALPHA(*p) || *p == '_') {
            const char *w = p;
            while (p < end && is_id(*p)) p++;
            ident(s, end, w, p, f);
            continue;
        }
        if (p + 1 < end && maybe_op(*p) && op_at(p)) {
            f->ops++;
            p += 2;
            continue;
        }
        if (*p == '`' && !(p + 2 < end && p[1] == '`' && p[2] == '`')) {
            const char *q = p + 1;
            while (q < end && q < p + 80 && *q != '`' && *q != '\n') q++;
            /* the content is scanned too: `x == 1`, `len(s)` */
            if (q < end && *q == '`' && q > p + 1) {
                f->inline_code++;
                for (const char *r = p + 1; r < q; r++)
                    if (strchr("()[]{}=._;<>", *r)) {
                        f->inline_syntax++;
                        break;
                    }
            }
        }
        p++;
    }
}

void rt_scan_syntax(const char *s, size_t n, rt_feat *f)
{
    scan_lines(s, n, f);
    scan_tokens(s, n, f);
}
