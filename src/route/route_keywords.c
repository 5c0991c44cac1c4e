/* route_keywords.c - the word table of the code detector and the complexity
 * score, sorted by word for binary search (test_route checks the order).
 *
 * The words are general programming vocabulary, not phrases of any data set:
 * languages, things one writes in code, programming concepts, data-structure
 * words, verbs of making and of operating on data, and, for the ambiguous
 * words, cues of their ordinary sense (python the snake, java the island, a
 * school class, a TV program, the function of an organ or in mathematics). */
#include <string.h>

#include "route/route_impl.h"

const rt_kw rt_keywords[] = {
    {"a", RK_NUM, 1}, {"action", RK_SENSE, RS_SCHOOL}, {"actor", RK_SENSE, RS_SHOW},
    {"actors", RK_SENSE, RS_SHOW}, {"afterwards", RK_STEP, 0}, {"album", RK_SENSE, RS_BIRD},
    {"algebra", RK_SENSE, RS_MATH}, {"algorithm", RK_ART, 0}, {"algorithms", RK_ART, 0}, {"an", RK_NUM, 1},
    {"analyse", RK_REASON, 0}, {"analysis", RK_REASON, 0}, {"analyze", RK_REASON, 0},
    {"angular", RK_LANG_AMB, 0}, {"animal", RK_SENSE, RS_SNAKE}, {"animals", RK_SENSE, RS_SNAKE},
    {"anniversary", RK_SENSE, RS_GEM}, {"ansible", RK_TECH, 0}, {"api", RK_ART, 0}, {"apis", RK_ART, 0},
    {"app", RK_ART_AMB, 0}, {"append", RK_OP, 0}, {"architecture", RK_REASON, 0}, {"are", RK_ASK, 0},
    {"args", RK_TECH, 0}, {"argue", RK_REASON, 0}, {"argv", RK_TECH, 0}, {"array", RK_TECH|RK_DATA, 0},
    {"arrays", RK_TECH|RK_DATA, 0}, {"ascii", RK_TECH, 0}, {"assess", RK_REASON, 0},
    {"asymptote", RK_SENSE, RS_MATH}, {"async", RK_TECH, 0}, {"backend", RK_TECH, 0},
    {"bali", RK_SENSE, RS_ISLAND}, {"bash", RK_LANG, 0}, {"beans", RK_SENSE, RS_ISLAND},
    {"bfs", RK_TECH, 0}, {"bicycle", RK_SENSE, RS_METAL}, {"bike", RK_SENSE, RS_METAL},
    {"binary", RK_DATA, 0}, {"bird", RK_SENSE, RS_BIRD}, {"birds", RK_SENSE, RS_BIRD},
    {"bitwise", RK_TECH, 0}, {"blood", RK_SENSE, RS_BODY}, {"boa", RK_SENSE, RS_SNAKE},
    {"body", RK_SENSE, RS_BODY}, {"boolean", RK_TECH, 0}, {"booleans", RK_TECH, 0},
    {"borneo", RK_SENSE, RS_ISLAND}, {"brain", RK_SENSE, RS_BODY}, {"brief", RK_BRIEF, 0},
    {"briefly", RK_BRIEF, 0}, {"broadcast", RK_SENSE, RS_SHOW}, {"broken", RK_PROBLEM, 0},
    {"bubblesort", RK_ART, 0}, {"bug", RK_TECH, 0}, {"bugs", RK_TECH, 0}, {"build", RK_MAKE|RK_ASK, 0},
    {"bullet", RK_UNIT, 20}, {"bullets", RK_UNIT, 20}, {"burmese", RK_SENSE, RS_SNAKE},
    {"business", RK_SENSE, RS_BODY}, {"byte", RK_TECH, 0}, {"bytes", RK_TECH, 0}, {"c", RK_LANG_AMB, 0},
    {"cage", RK_SENSE, RS_SNAKE}, {"calculate", RK_OP|RK_ASK, 0}, {"calculates", RK_OP, 0},
    {"calculus", RK_SENSE, RS_MATH}, {"callback", RK_ART, 0}, {"callbacks", RK_ART, 0},
    {"calligraphy", RK_SENSE, RS_SHOW}, {"can", RK_HOW2|RK_ASK, 0}, {"car", RK_SENSE, RS_METAL},
    {"cars", RK_SENSE, RS_METAL}, {"categorize", RK_ASK, 0}, {"cell", RK_SENSE, RS_BODY},
    {"cells", RK_SENSE, RS_BODY}, {"ceremony", RK_SENSE, RS_SHOW}, {"char", RK_DATA, 0},
    {"character", RK_DATA|RK_GENERIC, 0}, {"characters", RK_DATA|RK_GENERIC, 0}, {"chars", RK_DATA, 0},
    {"check", RK_OP|RK_ASK, 0}, {"checks", RK_OP, 0}, {"clang", RK_TECH, 0},
    {"class", RK_ART_AMB, RS_SCHOOL}, {"classes", RK_ART_AMB, RS_SCHOOL}, {"classify", RK_ASK, 0},
    {"cleese", RK_SENSE, RS_SNAKE}, {"clojure", RK_LANG, 0}, {"closure", RK_ART, 0},
    {"closures", RK_ART, 0}, {"cmake", RK_TECH, 0}, {"cobol", RK_LANG, 0}, {"code", RK_ART_AMB|RK_MAKE, 0},
    {"coding", RK_TECH, 0}, {"codomain", RK_SENSE, RS_MATH}, {"coffee", RK_SENSE, RS_ISLAND},
    {"college", RK_SENSE, RS_SCHOOL}, {"comedy", RK_SENSE, RS_SNAKE|RS_SHOW},
    {"company", RK_SENSE, RS_BODY}, {"compare", RK_REASON, 0}, {"comparing", RK_REASON, 0},
    {"compile", RK_TECH, 0}, {"compiled", RK_TECH, 0}, {"compiler", RK_TECH, 0}, {"compiles", RK_TECH, 0},
    {"compiling", RK_TECH, 0}, {"complexity", RK_REASON, 0}, {"component", RK_ART_AMB, 0},
    {"components", RK_ART_AMB, 0}, {"compose", RK_ASK, 0}, {"comprehensive", RK_REASON, 0},
    {"compute", RK_OP|RK_ASK, 0}, {"computes", RK_OP, 0}, {"concatenate", RK_OP, 0},
    {"concert", RK_SENSE, RS_SHOW}, {"concise", RK_BRIEF, 0}, {"concisely", RK_BRIEF, 0},
    {"cons", RK_REASON, 0}, {"constrictor", RK_SENSE, RS_SNAKE}, {"constructor", RK_ART, 0},
    {"constructors", RK_ART, 0}, {"continuous", RK_SENSE, RS_MATH}, {"contrast", RK_REASON, 0},
    {"convert", RK_MAKE|RK_OP|RK_ASK, 0}, {"corporate", RK_SENSE, RS_BODY},
    {"corrosion", RK_SENSE, RS_METAL}, {"could", RK_HOW2|RK_ASK, 0}, {"count", RK_OP|RK_ASK, 0},
    {"counts", RK_OP, 0}, {"course", RK_SENSE, RS_SCHOOL}, {"courses", RK_SENSE, RS_SCHOOL},
    {"cpp", RK_LANG, 0}, {"crash", RK_PROBLEM, 0}, {"crashes", RK_PROBLEM, 0}, {"crashing", RK_PROBLEM, 0},
    {"create", RK_MAKE|RK_ASK, 0}, {"critique", RK_REASON, 0}, {"csharp", RK_LANG, 0}, {"css", RK_LANG, 0},
    {"cuda", RK_LANG, 0}, {"curl", RK_TECH, 0}, {"cursive", RK_SENSE, RS_SHOW},
    {"dance", RK_SENSE, RS_SCHOOL}, {"dart", RK_LANG_AMB, 0}, {"database", RK_TECH, 0},
    {"datatype", RK_TECH, 0}, {"datatypes", RK_TECH, 0}, {"deadlock", RK_TECH, 0},
    {"debug", RK_TECH|RK_MAKE|RK_ASK, 0}, {"debugger", RK_TECH, 0}, {"debugging", RK_TECH, 0},
    {"decorator", RK_ART, 0}, {"decorators", RK_ART, 0}, {"define", RK_MAKE, 0},
    {"degree", RK_SENSE, RS_SHOW}, {"delete", RK_OP, 0}, {"department", RK_SENSE, RS_BODY},
    {"deque", RK_DATA, 0}, {"derivative", RK_SENSE, RS_MATH}, {"derivatives", RK_SENSE, RS_MATH},
    {"derive", RK_REASON, 0}, {"describe", RK_ASK, 0}, {"design", RK_MAKE|RK_REASON, 0},
    {"detailed", RK_REASON, 0}, {"determine", RK_OP, 0}, {"develop", RK_MAKE, 0}, {"dfs", RK_TECH, 0},
    {"diamond", RK_SENSE, RS_GEM}, {"diamonds", RK_SENSE, RS_GEM}, {"dict", RK_TECH|RK_DATA, 0},
    {"dictionaries", RK_TECH|RK_DATA, 0}, {"dictionary", RK_TECH|RK_DATA, 0}, {"did", RK_ASK, 0},
    {"diet", RK_SENSE, RS_SHOW}, {"difference", RK_REASON, 0}, {"differences", RK_REASON, 0},
    {"differentiable", RK_SENSE, RS_MATH}, {"digit", RK_DATA|RK_GENERIC, 0},
    {"digits", RK_DATA|RK_GENERIC, 0}, {"dijkstra", RK_ART, 0}, {"discuss", RK_REASON, 0},
    {"django", RK_LANG, 0}, {"do", RK_HOW2|RK_ASK, 0}, {"docker", RK_TECH, 0}, {"dockerfile", RK_ART, 0},
    {"does", RK_ASK, 0}, {"domain", RK_SENSE, RS_MATH}, {"dotnet", RK_LANG, 0}, {"draft", RK_ASK, 0},
    {"economy", RK_SENSE, RS_SCHOOL}, {"efficient", RK_REASON, 0}, {"eight", RK_NUM, 8},
    {"element", RK_DATA|RK_GENERIC, 0}, {"elements", RK_DATA|RK_GENERIC, 0}, {"elixir", RK_LANG_AMB, 0},
    {"emerald", RK_SENSE, RS_GEM}, {"encapsulation", RK_TECH, 0}, {"endpoint", RK_ART, 0},
    {"endpoints", RK_ART, 0}, {"enum", RK_ART, 0}, {"enums", RK_ART, 0}, {"enzyme", RK_SENSE, RS_BODY},
    {"enzymes", RK_SENSE, RS_BODY}, {"episode", RK_SENSE, RS_SHOW}, {"episodes", RK_SENSE, RS_SHOW},
    {"equation", RK_SENSE, RS_MATH}, {"equations", RK_SENSE, RS_MATH}, {"erlang", RK_LANG, 0},
    {"error", RK_PROBLEM, 0}, {"errors", RK_PROBLEM, 0}, {"espresso", RK_SENSE, RS_ISLAND},
    {"evaluate", RK_REASON, 0}, {"event", RK_SENSE, RS_SHOW}, {"examples", RK_UNIT, 25},
    {"exchange", RK_SENSE, RS_SHOW}, {"exercise", RK_SENSE, RS_SHOW}, {"explain", RK_REASON|RK_ASK, 0},
    {"explains", RK_REASON, 0}, {"extract", RK_OP|RK_ASK, 0}, {"factorial", RK_TECH, 0},
    {"fail", RK_PROBLEM, 0}, {"failed", RK_PROBLEM, 0}, {"failing", RK_PROBLEM, 0},
    {"fails", RK_PROBLEM, 0}, {"fastapi", RK_LANG, 0}, {"few", RK_NUM, 3}, {"fibonacci", RK_TECH, 0},
    {"fifty", RK_NUM, 50}, {"film", RK_SENSE, RS_SHOW}, {"films", RK_SENSE, RS_SHOW}, {"filter", RK_OP, 0},
    {"finally", RK_STEP, 0}, {"find", RK_OP|RK_ASK, 0}, {"finds", RK_OP, 0}, {"first", RK_STEP, 0},
    {"fitness", RK_SENSE, RS_SCHOOL}, {"five", RK_NUM, 5}, {"fix", RK_MAKE|RK_ASK, 0},
    {"flask", RK_LANG_AMB, 0}, {"flatten", RK_OP, 0}, {"flight", RK_SENSE, RS_SCHOOL},
    {"float", RK_DATA, 0}, {"floats", RK_DATA, 0}, {"font", RK_SENSE, RS_SHOW},
    {"forest", RK_SENSE, RS_SNAKE}, {"fortran", RK_LANG, 0}, {"four", RK_NUM, 4}, {"frontend", RK_TECH, 0},
    {"function", RK_ART, RS_BODY|RS_MATH}, {"functions", RK_ART, RS_BODY|RS_MATH},
    {"fungus", RK_SENSE, RS_METAL}, {"gcc", RK_TECH, 0}, {"gem", RK_SENSE, RS_GEM},
    {"gems", RK_SENSE, RS_GEM}, {"gemstone", RK_SENSE, RS_GEM}, {"gemstones", RK_SENSE, RS_GEM},
    {"gene", RK_SENSE, RS_BODY}, {"generate", RK_MAKE|RK_ASK, 0}, {"genes", RK_SENSE, RS_BODY},
    {"geometry", RK_SENSE, RS_MATH}, {"get", RK_OP, 0}, {"git", RK_TECH, 0}, {"github", RK_TECH, 0},
    {"gitlab", RK_TECH, 0}, {"give", RK_ASK, 0}, {"given", RK_GIVEN, 0}, {"go", RK_LANG_AMB, 0},
    {"golang", RK_LANG, 0}, {"government", RK_SENSE, RS_SHOW}, {"grade", RK_SENSE, RS_SCHOOL},
    {"graduate", RK_SENSE, RS_SHOW}, {"graph", RK_DATA, 0}, {"graphql", RK_LANG, 0}, {"graphs", RK_DATA, 0},
    {"groovy", RK_LANG_AMB, 0}, {"gym", RK_SENSE, RS_SCHOOL}, {"handwriting", RK_SENSE, RS_SHOW},
    {"hashmap", RK_TECH, 0}, {"hashtable", RK_TECH, 0}, {"haskell", RK_LANG, 0}, {"heap", RK_DATA, 0},
    {"heapsort", RK_ART, 0}, {"heart", RK_SENSE, RS_BODY}, {"help", RK_ASK, 0}, {"hexadecimal", RK_TECH, 0},
    {"hibernate", RK_LANG, 0}, {"hormone", RK_SENSE, RS_BODY}, {"hormones", RK_SENSE, RS_BODY},
    {"how", RK_HOW|RK_ASK, 0}, {"html", RK_LANG, 0}, {"hundred", RK_NUM, 100}, {"ideas", RK_UNIT, 20},
    {"identify", RK_OP|RK_ASK, 0}, {"implement", RK_MAKE|RK_IMPL|RK_ASK, 0},
    {"implementation", RK_ART_AMB, 0}, {"implementing", RK_MAKE|RK_IMPL, 0}, {"implications", RK_REASON, 0},
    {"in", RK_PREP, 0}, {"index", RK_TECH|RK_DATA, 0}, {"indices", RK_DATA, 0},
    {"indonesia", RK_SENSE, RS_ISLAND}, {"indonesian", RK_SENSE, RS_ISLAND}, {"inheritance", RK_TECH, 0},
    {"input", RK_GIVEN, 0}, {"insert", RK_OP, 0}, {"int", RK_TECH, 0}, {"integer", RK_TECH|RK_DATA, 0},
    {"integers", RK_TECH|RK_DATA, 0}, {"integral", RK_SENSE, RS_MATH}, {"integrals", RK_SENSE, RS_MATH},
    {"interface", RK_ART_AMB, 0}, {"interfaces", RK_ART_AMB, 0}, {"internship", RK_SENSE, RS_SHOW},
    {"interpreter", RK_TECH, 0}, {"into", RK_PREP, 0}, {"iron", RK_SENSE, RS_METAL}, {"is", RK_ASK, 0},
    {"island", RK_SENSE, RS_ISLAND}, {"islands", RK_SENSE, RS_ISLAND}, {"item", RK_DATA|RK_GENERIC, 0},
    {"items", RK_DATA|RK_GENERIC|RK_UNIT, 20}, {"iterate", RK_TECH|RK_OP, 0}, {"iteration", RK_TECH, 0},
    {"iterative", RK_TECH, 0}, {"iterator", RK_TECH, 0}, {"jakarta", RK_SENSE, RS_ISLAND},
    {"java", RK_LANG_AMB, RS_ISLAND}, {"javascript", RK_LANG, 0}, {"jdk", RK_TECH, 0},
    {"jest", RK_LANG_AMB, 0}, {"jewel", RK_SENSE, RS_GEM}, {"jewellery", RK_SENSE, RS_GEM},
    {"jewelry", RK_SENSE, RS_GEM}, {"jewels", RK_SENSE, RS_GEM}, {"jquery", RK_LANG, 0},
    {"json", RK_LANG, 0}, {"jsx", RK_LANG, 0}, {"julia", RK_LANG_AMB, 0}, {"jungle", RK_SENSE, RS_SNAKE},
    {"junit", RK_TECH, 0}, {"justify", RK_REASON, 0}, {"jvm", RK_TECH, 0}, {"keras", RK_LANG, 0},
    {"key", RK_DATA|RK_GENERIC, 0}, {"keys", RK_DATA|RK_GENERIC, 0}, {"kidney", RK_SENSE, RS_BODY},
    {"kidneys", RK_SENSE, RS_BODY}, {"kotlin", RK_LANG, 0}, {"kubectl", RK_TECH, 0},
    {"kubernetes", RK_TECH, 0}, {"kwargs", RK_TECH, 0}, {"lambda", RK_ART, 0}, {"lambdas", RK_ART, 0},
    {"laravel", RK_LANG, 0}, {"lesson", RK_SENSE, RS_SCHOOL}, {"lessons", RK_SENSE, RS_SCHOOL},
    {"lexicographic", RK_TECH, 0}, {"lexicographically", RK_TECH, 0}, {"libraries", RK_ART_AMB, 0},
    {"library", RK_ART_AMB, 0}, {"line", RK_UNIT, 10}, {"lines", RK_UNIT, 10}, {"linked", RK_TECH, 0},
    {"linq", RK_LANG, 0}, {"lisp", RK_LANG_AMB, 0}, {"list", RK_DATA|RK_ASK, 0}, {"lists", RK_DATA, 0},
    {"liver", RK_SENSE, RS_BODY}, {"llvm", RK_TECH, 0}, {"localhost", RK_TECH, 0}, {"loop", RK_ART_AMB, 0},
    {"loops", RK_ART_AMB, 0}, {"loyalty", RK_SENSE, RS_SHOW}, {"lua", RK_LANG, 0},
    {"lung", RK_SENSE, RS_BODY}, {"lungs", RK_SENSE, RS_BODY}, {"macro", RK_ART, 0}, {"macros", RK_ART, 0},
    {"make", RK_ASK, 0}, {"makefile", RK_ART, 0}, {"match", RK_OP, 0}, {"matches", RK_OP, 0},
    {"matlab", RK_LANG, 0}, {"matplotlib", RK_LANG, 0}, {"matrices", RK_DATA, 0}, {"matrix", RK_DATA, 0},
    {"mba", RK_SENSE, RS_SHOW}, {"memoization", RK_TECH, 0}, {"mentoring", RK_SENSE, RS_SHOW},
    {"merge", RK_OP, 0}, {"mergesort", RK_ART, 0}, {"metal", RK_SENSE, RS_METAL},
    {"metals", RK_SENSE, RS_METAL}, {"method", RK_ART_AMB, 0}, {"methods", RK_ART_AMB, 0},
    {"middle", RK_SENSE, RS_SCHOOL}, {"mitochondria", RK_SENSE, RS_BODY}, {"mocha", RK_LANG_AMB, 0},
    {"module", RK_ART_AMB, 0}, {"modules", RK_ART_AMB, 0}, {"monty", RK_SENSE, RS_SNAKE},
    {"movie", RK_SENSE, RS_SHOW}, {"movies", RK_SENSE, RS_SHOW}, {"multiply", RK_OP, 0},
    {"muscle", RK_SENSE, RS_BODY}, {"muscles", RK_SENSE, RS_BODY}, {"mutex", RK_TECH, 0},
    {"mysql", RK_LANG, 0}, {"name", RK_ASK, 0}, {"namespace", RK_TECH, 0}, {"nasa", RK_SENSE, RS_SHOW},
    {"nested", RK_TECH, 0}, {"next", RK_STEP, 0}, {"nginx", RK_LANG, 0}, {"nine", RK_NUM, 9},
    {"node", RK_DATA, 0}, {"nodejs", RK_LANG, 0}, {"nodes", RK_DATA, 0}, {"npm", RK_TECH, 0},
    {"nullptr", RK_TECH, 0}, {"number", RK_DATA|RK_GENERIC, 0}, {"numbers", RK_DATA|RK_GENERIC, 0},
    {"numpy", RK_LANG, 0}, {"ocaml", RK_LANG, 0}, {"one", RK_NUM, 1}, {"oneliner", RK_ART, 0},
    {"oop", RK_TECH, 0}, {"opencl", RK_LANG, 0}, {"optimise", RK_MAKE, 0}, {"optimize", RK_MAKE, 0},
    {"organ", RK_SENSE, RS_BODY}, {"organelle", RK_SENSE, RS_BODY}, {"organs", RK_SENSE, RS_BODY},
    {"oxidation", RK_SENSE, RS_METAL}, {"oxide", RK_SENSE, RS_METAL}, {"page", RK_UNIT, 500},
    {"pages", RK_UNIT, 500}, {"paint", RK_SENSE, RS_METAL}, {"palindrome", RK_TECH, 0},
    {"palindromes", RK_TECH, 0}, {"pandas", RK_LANG, 0}, {"paragraph", RK_UNIT, 100},
    {"paragraphs", RK_UNIT, 100}, {"param", RK_TECH, 0}, {"parameter", RK_TECH, 0},
    {"parameters", RK_TECH, 0}, {"params", RK_TECH, 0}, {"parse", RK_TECH|RK_OP, 0}, {"parser", RK_TECH, 0},
    {"parsing", RK_TECH, 0}, {"perl", RK_LANG_AMB, 0}, {"pet", RK_SENSE, RS_SNAKE},
    {"pets", RK_SENSE, RS_SNAKE}, {"phases", RK_STEP, 0}, {"phd", RK_SENSE, RS_SHOW}, {"php", RK_LANG, 0},
    {"pip", RK_TECH, 0}, {"plan", RK_REASON, 0}, {"play", RK_SENSE, RS_SHOW}, {"please", RK_ASK, 0},
    {"poem", RK_SENSE, RS_SHOW}, {"pointer", RK_TECH, 0}, {"pointers", RK_TECH, 0}, {"points", RK_UNIT, 20},
    {"polymorphism", RK_TECH, 0}, {"polynomial", RK_SENSE, RS_MATH}, {"port", RK_MAKE, 0},
    {"postgres", RK_LANG, 0}, {"postgresql", RK_LANG, 0}, {"powershell", RK_LANG, 0},
    {"prey", RK_SENSE, RS_SNAKE}, {"print", RK_OP, 0}, {"prints", RK_OP, 0},
    {"program", RK_ART_AMB, RS_SHOW}, {"programmer", RK_TECH, 0}, {"programmers", RK_TECH, 0},
    {"programming", RK_TECH, 0}, {"programs", RK_ART_AMB, RS_SHOW}, {"pros", RK_REASON, 0},
    {"protein", RK_SENSE, RS_BODY}, {"proteins", RK_SENSE, RS_BODY}, {"prove", RK_REASON, 0},
    {"provide", RK_ASK, 0}, {"pyspark", RK_LANG, 0}, {"pytest", RK_TECH, 0},
    {"python", RK_LANG_AMB, RS_SNAKE}, {"pytorch", RK_LANG, 0}, {"queries", RK_ART_AMB, 0},
    {"query", RK_ART_AMB, 0}, {"queue", RK_DATA, 0}, {"quicksort", RK_ART, 0}, {"r", RK_LANG_AMB, 0},
    {"radio", RK_SENSE, RS_SHOW}, {"rails", RK_LANG_AMB, 0}, {"react", RK_LANG_AMB, 0},
    {"reactjs", RK_LANG, 0}, {"reasoning", RK_REASON, 0}, {"reasons", RK_UNIT, 25},
    {"recursion", RK_TECH, 0}, {"recursive", RK_TECH, 0}, {"refactor", RK_TECH|RK_MAKE, 0},
    {"regex", RK_LANG|RK_ART, 0}, {"regexes", RK_ART, 0}, {"regexp", RK_LANG, 0},
    {"rejected", RK_PROBLEM, 0}, {"remove", RK_OP|RK_ASK, 0}, {"removes", RK_OP, 0}, {"replace", RK_OP, 0},
    {"repo", RK_TECH, 0}, {"repository", RK_TECH, 0}, {"reptile", RK_SENSE, RS_SNAKE},
    {"reptiles", RK_SENSE, RS_SNAKE}, {"return", RK_OP, 0}, {"returning", RK_OP, 0}, {"returns", RK_OP, 0},
    {"reverse", RK_OP, 0}, {"reverses", RK_OP, 0}, {"rewards", RK_SENSE, RS_SHOW},
    {"rewrite", RK_MAKE|RK_ASK, 0}, {"rotate", RK_OP, 0}, {"ruby", RK_LANG_AMB, RS_GEM},
    {"runtime", RK_TECH, 0}, {"rust", RK_LANG_AMB, RS_METAL}, {"sapphire", RK_SENSE, RS_GEM},
    {"scala", RK_LANG_AMB, 0}, {"scene", RK_SENSE, RS_SHOW}, {"scenes", RK_SENSE, RS_SHOW},
    {"school", RK_SENSE, RS_SCHOOL}, {"schools", RK_SENSE, RS_SCHOOL}, {"scipy", RK_LANG, 0},
    {"screenplay", RK_SENSE, RS_SHOW}, {"script", RK_ART_AMB, RS_SHOW}, {"scripts", RK_ART_AMB, RS_SHOW},
    {"scss", RK_LANG, 0}, {"sdk", RK_TECH, 0}, {"search", RK_OP, 0}, {"searches", RK_OP, 0},
    {"second", RK_STEP, 0}, {"segfault", RK_TECH, 0}, {"selenium", RK_LANG_AMB, 0},
    {"semester", RK_SENSE, RS_SCHOOL}, {"sentence", RK_DATA|RK_GENERIC|RK_UNIT, 20},
    {"sentences", RK_UNIT, 20}, {"sequence", RK_DATA|RK_GENERIC, 0}, {"sequences", RK_DATA|RK_GENERIC, 0},
    {"server", RK_TECH, 0}, {"set", RK_DATA|RK_GENERIC, 0}, {"sets", RK_DATA|RK_GENERIC, 0},
    {"seven", RK_NUM, 7}, {"several", RK_NUM, 4}, {"short", RK_BRIEF, 0}, {"should", RK_HOW2|RK_ASK, 0},
    {"show", RK_SENSE|RK_ASK, RS_SHOW}, {"shows", RK_SENSE, RS_SHOW}, {"singer", RK_SENSE, RS_BIRD},
    {"single", RK_NUM, 1}, {"six", RK_NUM, 6}, {"sketch", RK_SENSE, RS_SNAKE|RS_SHOW},
    {"sklearn", RK_LANG, 0}, {"slippers", RK_SENSE, RS_GEM}, {"slope", RK_SENSE, RS_MATH},
    {"slow", RK_PROBLEM, 0}, {"snake", RK_SENSE, RS_SNAKE}, {"snakes", RK_SENSE, RS_SNAKE},
    {"snippet", RK_ART, 0}, {"snippets", RK_ART, 0}, {"society", RK_SENSE, RS_SCHOOL},
    {"song", RK_SENSE, RS_BIRD}, {"songs", RK_SENSE, RS_BIRD}, {"sort", RK_OP|RK_ASK, 0},
    {"sorted", RK_OP, 0}, {"sorting", RK_OP, 0}, {"sorts", RK_OP, 0}, {"split", RK_OP, 0},
    {"sql", RK_LANG, 0}, {"sqlite", RK_LANG, 0}, {"stack", RK_DATA, 0}, {"stage", RK_SENSE, RS_SHOW},
    {"stages", RK_STEP, 0}, {"stderr", RK_TECH, 0}, {"stdin", RK_TECH, 0}, {"stdout", RK_TECH, 0},
    {"steel", RK_SENSE, RS_METAL}, {"step", RK_STEP, 0}, {"steps", RK_STEP, 0},
    {"story", RK_SENSE, RS_SHOW}, {"strategy", RK_REASON, 0}, {"string", RK_DATA, 0},
    {"strings", RK_DATA, 0}, {"struct", RK_ART, 0}, {"structs", RK_ART, 0},
    {"student", RK_SENSE, RS_SCHOOL}, {"students", RK_SENSE, RS_SCHOOL}, {"subarray", RK_TECH, 0},
    {"subarrays", RK_TECH, 0}, {"sublist", RK_TECH|RK_DATA, 0}, {"sublists", RK_TECH, 0},
    {"subroutine", RK_ART, 0}, {"subroutines", RK_ART, 0}, {"subsequence", RK_TECH, 0},
    {"subsequences", RK_TECH, 0}, {"substring", RK_TECH|RK_DATA, 0}, {"substrings", RK_TECH|RK_DATA, 0},
    {"succinct", RK_BRIEF, 0}, {"suggest", RK_ASK, 0}, {"sum", RK_OP, 0}, {"sumatra", RK_SENSE, RS_ISLAND},
    {"summarise", RK_ASK, 0}, {"summarize", RK_ASK, 0}, {"swap", RK_OP, 0}, {"swift", RK_LANG_AMB, RS_BIRD},
    {"syntax", RK_TECH, 0}, {"taylor", RK_SENSE, RS_BIRD}, {"teacher", RK_SENSE, RS_SCHOOL},
    {"teachers", RK_SENSE, RS_SCHOOL}, {"team", RK_SENSE, RS_BODY}, {"television", RK_SENSE, RS_SHOW},
    {"tell", RK_ASK, 0}, {"ten", RK_NUM, 10}, {"tensorflow", RK_LANG, 0}, {"terraform", RK_TECH, 0},
    {"testcase", RK_ART, 0}, {"testcases", RK_ART, 0}, {"theater", RK_SENSE, RS_SHOW},
    {"theatre", RK_SENSE, RS_SHOW}, {"then", RK_STEP, 0}, {"theorem", RK_SENSE, RS_MATH},
    {"third", RK_STEP, 0}, {"thorough", RK_REASON, 0}, {"three", RK_NUM, 3}, {"tips", RK_UNIT, 20},
    {"tissue", RK_SENSE, RS_BODY}, {"tldr", RK_BRIEF, 0}, {"to", RK_HOW2, 0}, {"toggle", RK_OP, 0},
    {"token", RK_UNIT, 1}, {"tokens", RK_UNIT, 1}, {"tour", RK_SENSE, RS_BIRD}, {"tradeoffs", RK_REASON, 0},
    {"training", RK_SENSE, RS_SHOW}, {"translate", RK_ASK, 0}, {"tree", RK_DATA, 0}, {"trees", RK_DATA, 0},
    {"trigonometric", RK_SENSE, RS_MATH}, {"tsx", RK_LANG, 0}, {"tuple", RK_TECH|RK_DATA, 0},
    {"tuples", RK_TECH|RK_DATA, 0}, {"tv", RK_SENSE, RS_SHOW}, {"twenty", RK_NUM, 20}, {"two", RK_NUM, 2},
    {"typecast", RK_TECH, 0}, {"typescript", RK_LANG, 0}, {"unicode", RK_TECH, 0}, {"unittest", RK_TECH, 0},
    {"unittests", RK_ART, 0}, {"university", RK_SENSE, RS_SHOW}, {"upper", RK_SENSE, RS_SCHOOL},
    {"url", RK_TECH, 0}, {"urls", RK_TECH, 0}, {"using", RK_PREP, 0}, {"utf", RK_TECH, 0},
    {"validate", RK_OP, 0}, {"value", RK_DATA|RK_GENERIC, 0}, {"values", RK_DATA|RK_GENERIC, 0},
    {"variable", RK_TECH, 0}, {"variables", RK_TECH, 0}, {"vba", RK_LANG, 0}, {"vbscript", RK_LANG, 0},
    {"vector", RK_DATA, 0}, {"vectors", RK_DATA, 0}, {"venom", RK_SENSE, RS_SNAKE},
    {"venomous", RK_SENSE, RS_SNAKE}, {"volcano", RK_SENSE, RS_ISLAND}, {"volunteer", RK_SENSE, RS_SHOW},
    {"vue", RK_LANG, 0}, {"walkthrough", RK_STEP, 0}, {"warning", RK_PROBLEM, 0},
    {"warnings", RK_PROBLEM, 0}, {"webpack", RK_TECH, 0}, {"wedding", RK_SENSE, RS_SHOW},
    {"welfare", RK_SENSE, RS_SHOW}, {"wget", RK_TECH, 0}, {"what", RK_ASK, 0}, {"when", RK_ASK, 0},
    {"where", RK_ASK, 0}, {"which", RK_ASK, 0}, {"who", RK_ASK, 0}, {"why", RK_REASON|RK_ASK, 0},
    {"wildlife", RK_SENSE, RS_SNAKE}, {"with", RK_PREP, 0}, {"word", RK_DATA|RK_GENERIC|RK_UNIT, 1},
    {"words", RK_DATA|RK_GENERIC|RK_UNIT, 1}, {"working", RK_SENSE, RS_SCHOOL},
    {"workout", RK_SENSE, RS_SHOW}, {"would", RK_HOW2|RK_ASK, 0}, {"write", RK_MAKE|RK_ASK, 0},
    {"writing", RK_MAKE, 0}, {"wrong", RK_PROBLEM, 0}, {"xml", RK_LANG, 0}, {"yaml", RK_LANG, 0},
    {"yoga", RK_SENSE, RS_SCHOOL}, {"zoo", RK_SENSE, RS_SNAKE}, {"zsh", RK_LANG, 0},
};

/* rt_first[c - 'a'] is the index of the first word starting with c or later;
 * rt_first[26] is the table size. */
const unsigned short rt_first[27] = {
    0, 33, 65, 146, 193, 223, 255, 280, 295, 329, 346, 355, 380, 412, 427, 439, 491, 495, 527, 616, 656, 665, 679, 702, 703, 705, 707,
};

const size_t rt_n_keywords = sizeof rt_keywords / sizeof rt_keywords[0];

/* lower is lowercase ASCII, not NUL-terminated. Binary search within the
 * words of the same first letter (this runs once per word of every prompt). */
const rt_kw *rt_lookup(const char *lower, size_t len)
{
    unsigned c = (unsigned char)lower[0] - 'a';
    if (c >= 26 || len == 0) return NULL;
    size_t lo = rt_first[c], hi = rt_first[c + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *w = rt_keywords[mid].word;
        size_t i = 1;
        while (i < len && w[i] == lower[i]) i++;
        int d = i < len ? (unsigned char)w[i] - (unsigned char)lower[i] : (w[len] != '\0');
        if (d == 0) return &rt_keywords[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void rt_names_add(rt_names *s, const char *w, size_t len)
{
    if (s->n >= RT_NAMES) return;
    if (len >= RT_NAME_LEN) len = RT_NAME_LEN - 1;
    for (int i = 0; i < s->n; i++)
        if (!strncmp(s->v[i], w, len) && !s->v[i][len]) return;
    memcpy(s->v[s->n], w, len);
    s->v[s->n][len] = '\0';
    s->n++;
}
