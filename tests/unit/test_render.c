/* Unit tests for render.c over programs from tpl.c: Mustache's rules as
 * casepack's authors meet them (standalone lines, CRLF, partial indents,
 * delimiters, dotted names), the extensions (@-names, filters with curly
 * quotes, filtered sections), strict mode, limits, the sink contract for the
 * document adapters, and rendering one program from several threads. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "load.h"
#include "render.h"
#include "tpl.h"
#include "unit.h"
#include "util.h"
#include "value.h"

/* Everything a test makes lives until exit, so a failing CHECK leaks nothing. */
static char *strings[512];
static size_t n_strings;
static tpl_program *programs[128];
static size_t n_programs;

static void pool_release(void)
{
    while (n_strings > 0)
        free(strings[--n_strings]);
    while (n_programs > 0)
        tpl_free(programs[--n_programs]);
}

static void pool_start(void)
{
    static bool started;
    if (!started)
        atexit(pool_release);
    started = true;
}

static const char *keep(char *s)
{
    pool_start();
    if (n_strings == sizeof strings / sizeof strings[0])
        abort();
    return strings[n_strings++] = s;
}

static tpl_program *keep_program(tpl_program *p)
{
    pool_start();
    if (n_programs == sizeof programs / sizeof programs[0])
        abort();
    if (p)
        programs[n_programs++] = p;
    return p;
}

static const char *messages(diag *d)
{
    buf b = {0};
    for (size_t i = 0; i < diag_count(d); i++)
        buf_printf(&b, "%s%s%s", i ? "\n" : "",
                   diag_get(d, i)->level == DIAG_WARNING ? "warning: " : "", diag_get(d, i)->text);
    return keep(b.data ? buf_steal(&b) : xstrdup(""));
}

/* ---- partials from memory, cached per name and indent as doc.c does ---- */

typedef struct partial_src {
    const char *name, *text;
} partial_src;

static const partial_src *partial_table;

typedef struct cached {
    char *name, *indent;
    tpl_program *prog;
} cached;

static const tpl_program *memory_partial(void *ud, const char *name, const char *indent, diag *d)
{
    cached *cache = ud;
    size_t i = 0;
    for (; cache[i].name; i++)
        if (!strcmp(cache[i].name, name) && !strcmp(cache[i].indent, indent))
            return cache[i].prog;
    if (i >= 63)
        abort();
    tpl_program *p = NULL;
    for (const partial_src *s = partial_table; s && s->name; s++) {
        if (!strcmp(s->name, name)) {
            tpl_delims dl = tpl_default_delims();
            p = tpl_compile_text(s->text, strlen(s->text), s->name, indent, &dl, 0, d);
        }
    }
    cache[i] = (cached){xstrdup(name), xstrdup(indent), p};
    return p;
}

static void cache_free(cached *cache)
{
    for (size_t i = 0; cache[i].name; i++) {
        free(cache[i].name);
        free(cache[i].indent);
        tpl_free(cache[i].prog);
    }
}

/* ---- rendering helpers -------------------------------------------------- */

static value *data_of(const char *yaml, diag *d)
{
    load_limits lim = load_default_limits();
    return load_yaml(yaml, strlen(yaml), "data.yaml", &lim, d);
}

typedef struct result {
    const char *out;  /* the rendered text */
    const char *msgs; /* every message, one per line */
    bool ok;          /* what render_program returned */
} result;

/* Compiles src as t.txt, renders it over yaml with opt (partials from
 * partial_table when set). */
static result run(const char *src, const char *yaml, render_options opt)
{
    result r = {"", "", false};
    diag *d = diag_new();
    tpl_delims dl = tpl_default_delims();
    tpl_program *p = tpl_compile_text(src, strlen(src), "t.txt", "", &dl, 0, d);
    value *data = data_of(yaml, d);
    cached cache[64];
    memset(cache, 0, sizeof cache);
    if (partial_table && !opt.partial) {
        opt.partial = memory_partial;
        opt.partial_ud = cache;
    }
    if (p && data) {
        buf out = {0};
        r.ok = render_program(p, data, &opt, &out, d);
        r.out = keep(out.data ? buf_steal(&out) : xstrdup(""));
    }
    r.msgs = messages(d);
    cache_free(cache);
    tpl_free(p);
    value_free(data);
    diag_free(d);
    return r;
}

static const char *render_plain(const char *src, const char *yaml)
{
    render_options opt = {0};
    result r = run(src, yaml, opt);
    if (!r.ok || *r.msgs)
        return keep(xasprintf("(failed: %s)", r.msgs));
    return r.out;
}

/* ---- Mustache as authors meet it ---------------------------------------- */

static void values_are_html_escaped_in_text(void)
{
    CHECK_STR(render_plain("{{x}}|{{{x}}}|{{&x}}|{{ x }}", "x: \"& < > \\\" '\""),
              "&amp; &lt; &gt; &quot; '|& < > \" '|& < > \" '|&amp; &lt; &gt; &quot; '");
}

static void standalone_lines_vanish(void)
{
    CHECK_STR(render_plain("Claims:\n"
                           "{{#claims}}\n"
                           "  {{! one per line }}\n"
                           "  - {{title}}\n"
                           "{{/claims}}\n"
                           "{{^claims}}\n"
                           "none\n"
                           "\t{{/claims}}  \n"
                           "End\n",
                           "claims: [{title: a}, {title: b}]"),
              "Claims:\n  - a\n  - b\nEnd\n");
}

static void standalone_lines_with_crlf(void)
{
    CHECK_STR(render_plain("A\r\n{{#x}}\r\nB\r\n  {{/x}}\r\nC", "x: true"), "A\r\nB\r\nC");
    CHECK_STR(render_plain("A\r\n{{#x}}\r\nB\r\n{{/x}}", "x: true"), "A\r\nB\r\n");
}

static void inline_tags_keep_their_line(void)
{
    CHECK_STR(render_plain("{{#x}}{{/x}}\n  {{#x}}y{{/x}}\n{{x}}\n", "x: true"),
              "\n  y\ntrue\n");
}

static void partials_take_the_indent_of_their_tag(void)
{
    static const partial_src srcs[] = {
        {"sig", "{{name}}\n{{#roles}}\n{{.}}\n{{/roles}}\n  {{> addr}}\n"},
        {"addr", "Kyiv\nUkraine\n"},
        {NULL, NULL}};
    partial_table = srcs;
    render_options opt = {0};
    result r = run("Signed:\n    {{> sig}}\nEnd\n",
                   "name: \"Olena\\nKoval\"\nroles: [lawyer, activist]", opt);
    partial_table = NULL;
    CHECK(r.ok);
    /* A value's own line breaks are not indented: only the partial's lines. */
    CHECK_STR(r.out, "Signed:\n    Olena\nKoval\n    lawyer\n    activist\n      Kyiv\n"
                     "      Ukraine\nEnd\n");
}

static void inline_partials_are_not_indented(void)
{
    static const partial_src srcs[] = {{"p", "1\n2"}, {NULL, NULL}};
    partial_table = srcs;
    render_options opt = {0};
    result r = run("  x {{>p}} y\n", "{}", opt);
    partial_table = NULL;
    CHECK_STR(r.out, "  x 1\n2 y\n");
}

static void set_delimiters(void)
{
    CHECK_STR(render_plain("{{=<% %>=}}<%a%> {{a}}\n<%={{ }}=%>{{a}}", "a: 1"), "1 {{a}}\n1");
    CHECK_STR(render_plain("[\n  {{=| |=}}\n|#s|(|&.|)|/s|\n]", "s: [\"<\", \">\"]"),
              "[\n(<)(>)\n]");
}

static void dotted_names_resolve_like_mustache(void)
{
    /* The first name is searched outwards; the rest only inside it. */
    CHECK_STR(render_plain("{{#a}}[{{b.c}}]{{/a}}", "a: {b: {}}\nb: {c: ERROR}"), "[]");
    CHECK_STR(render_plain("{{#a}}[{{b.c}}]{{/a}}", "a: {x: 1}\nb: {c: found}"), "[found]");
    CHECK_STR(render_plain("[{{a.b}}]", "\"a.b\": never"), "[]");
    CHECK_STR(render_plain("{{applicant.address.city}}", "applicant: {address: {city: Lviv}}"),
              "Lviv");
}

static void sections_over_each_kind_of_value(void)
{
    const char *tpl = "{{#v}}<{{.}}>{{/v}}{{^v}}none{{/v}}";
    CHECK_STR(render_plain(tpl, "v: [a, b]"), "<a><b>");
    CHECK_STR(render_plain(tpl, "v: []"), "none");
    CHECK_STR(render_plain(tpl, "v: \"\""), "none");
    CHECK_STR(render_plain(tpl, "v: null"), "none");
    CHECK_STR(render_plain(tpl, "v: false"), "none");
    CHECK_STR(render_plain(tpl, "other: 1"), "none");
    CHECK_STR(render_plain(tpl, "v: Olena"), "<Olena>");
    CHECK_STR(render_plain(tpl, "v: 0"), "<0>");
    CHECK_STR(render_plain("{{#v}}{{n}}{{/v}}", "v: {n: 7}"), "7");
    CHECK_STR(render_plain("{{#.}}({{.}}){{/.}}", "[a, b]"), "(a)(b)");
}

/* ---- extensions ---------------------------------------------------------- */

static void at_names_follow_the_innermost_list(void)
{
    CHECK_STR(render_plain("{{#l}}{{@index}}/{{@number}}/{{@first}}/{{@last}};{{/l}}",
                           "l: [a, b, c]"),
              "0/1/true/false;1/2/false/false;2/3/false/true;");
    CHECK_STR(render_plain("{{#l}}{{.}}{{^@last}}, {{/@last}}{{#@last}}.{{/@last}}{{/l}}",
                           "l: [a, b, c]"),
              "a, b, c.");
    CHECK_STR(render_plain("{{#o}}{{#i}}{{@number}}{{/i}}|{{#m}}{{@number}}{{/m}};{{/o}}",
                           "o: [{i: [x, y], m: {k: 1}}, {i: [z], m: {k: 2}}]"),
              "12|1;1|2;");
    CHECK_STR(render_plain("[{{@index}}{{#@first}}x{{/@first}}]", "{}"), "[]");
}

static void filters_apply_left_to_right(void)
{
    CHECK_STR(render_plain("{{name | default \"anonymous\" | upper}}, {{x | default \"n/a\"}}",
                           "name: olena"),
              "OLENA, n/a");
    CHECK_STR(render_plain("{{{x | default \"say \\\"hi\\\" \\\\ bye\"}}}", "{}"),
              "say \"hi\" \\ bye");
    CHECK_STR(render_plain("{{l | join \", \" \" and \"}} ({{l | count}})", "l: [a, b, c]"),
              "a, b and c (3)");
}

static void filter_arguments_may_be_paths_and_numbers(void)
{
    CHECK_STR(render_plain("{{a | eq b}} {{a | eq c}} {{n | eq 1.5}} {{n | ne 2}}",
                           "a: x\nb: x\nc: y\nn: \"1.50\""),
              "true false true true");
    CHECK_STR(render_plain("{{#l}}{{. | eq sel}}{{/l}}", "sel: b\nl: [a, b]"), "falsetrue");
}

static void filters_with_curly_quotes(void)
{
    const char *tpl = "{{#g | eq \xE2\x80\x9C" "female\xE2\x80\x9D}}she{{/g | eq \xE2\x80\x9C"
                      "female\xE2\x80\x9D}}"
                      "{{#g | eq \xE2\x80\x9Emale\xE2\x80\x9C}}he{{/g}}"
                      "{{^g | eq \"male\"}}!{{/g | eq \"male\"}}";
    CHECK_STR(render_plain(tpl, "g: female"), "she!");
    CHECK_STR(render_plain(tpl, "g: male"), "he");
    CHECK_STR(render_plain("{{x | default \xE2\x80\x9Cn/a\xE2\x80\x9D}}", "{}"), "n/a");
}

static void filtered_sections_push_their_result(void)
{
    CHECK_STR(render_plain("{{#l | join \"+\"}}[{{.}}]{{/l}}", "l: [a, b]"), "[a+b]");
    CHECK_STR(render_plain("{{#g | eq \"f\"}}{{.}}{{/g}}", "g: f"), "true");
}

static void locale_comes_from_options_then_data(void)
{
    render_options opt = {0};
    CHECK_STR(run("{{w | upper}}", "locale: tr\nw: i", opt).out, "\xC4\xB0");
    opt.locale = "en";
    CHECK_STR(run("{{w | upper}}", "locale: tr\nw: i", opt).out, "I");
    CHECK_STR(render_plain("{{w | upper}}", "w: i"), "I");
}

static void filter_errors_are_reported_and_render_goes_on(void)
{
    render_options opt = {0};
    result r = run("Hearing: {{d | date \"d MMMM y\"}}.\nCase {{id}}\n",
                   "d: 17/01/2027\nid: 42", opt);
    CHECK(!r.ok);
    CHECK_STR(r.out, "Hearing: .\nCase 42\n");
    CHECK_STR(r.msgs, "t.txt:1:10: {{d | date \"d MMMM y\"}}: date: \"17/01/2027\" is not a date "
                      "(write it as YYYY-MM-DD, e.g. 2027-01-17)");
}

static void lists_and_maps_in_value_tags_are_warned_once(void)
{
    render_options opt = {0};
    result r = run("{{#l}}{{l}}{{/l}}{{m}}", "l: [a, b]\nm: {k: v}", opt);
    CHECK(r.ok);
    CHECK_STR(r.out, "");
    CHECK_STR(r.msgs,
              "warning: t.txt:1:7: \"l\" is a list, which a value tag shows as nothing: repeat "
              "over it with a section ({{#l}}...{{/l}}) or join it ({{l | join \", \"}})\n"
              "warning: t.txt:1:18: \"m\" is a map, which a value tag shows as nothing: name one "
              "of its fields, as in {{m.FIELD}}");
}

/* ---- strict mode and limits ---------------------------------------------- */

static void strict_reports_missing_names(void)
{
    render_options opt = {.strict = true};
    result r = run("Dear {{applicant.name}},\n{{#claims}}{{title}};{{/claims}}\n"
                   "{{x | default \"-\"}}{{#nothing}}never{{/nothing}}{{^nothing}}ok{{/nothing}}"
                   "{{y | eq other}}",
                   "claims:\n  - title: a\n  - heading: b\ny: 1", opt);
    CHECK(!r.ok);
    CHECK_STR(r.out, "Dear ,\na;;\n-okfalse");
    CHECK_STR(r.msgs,
              "t.txt:1:6: \"applicant.name\" is missing from the data: add it, or give the tag a "
              "fallback with | default \"...\"\n"
              "t.txt:2:12: \"title\" is missing from the data (in the entry at data.yaml:3:5): "
              "add it, or give the tag a fallback with | default \"...\"\n"
              "t.txt:3:75: \"other\" is missing from the data: add it, or give the tag a "
              "fallback with | default \"...\"");
    CHECK_STR(run("{{@index}}", "{}", opt).msgs,
              "t.txt:1:1: \"@index\" has a value only inside a section over a list: move the tag "
              "into one");
}

static void missing_names_are_empty_without_strict(void)
{
    render_options opt = {0};
    result r = run("[{{a.b}}]", "{}", opt);
    CHECK(r.ok);
    CHECK_STR(r.out, "[]");
    CHECK_STR(r.msgs, "");
}

static void missing_partials(void)
{
    static const partial_src srcs[] = {{NULL, NULL}};
    partial_table = srcs;
    render_options opt = {0};
    result lax = run("[{{> nowhere}}]", "{}", opt);
    opt.strict = true;
    result strict = run("[{{> nowhere}}]", "{}", opt);
    partial_table = NULL;
    CHECK(lax.ok);
    CHECK_STR(lax.out, "[]");
    CHECK(!strict.ok);
    CHECK_STR(strict.msgs, "t.txt:1:2: partial \"nowhere\" was not found: check its name, and "
                           "that --partials names the folder it is in");
}

static void partial_errors_are_reported_once(void)
{
    static const partial_src srcs[] = {{"bad", "{{#open}}"}, {NULL, NULL}};
    partial_table = srcs;
    render_options opt = {.strict = true};
    result r = run("{{> bad}}{{> bad}}", "{}", opt);
    partial_table = NULL;
    CHECK(!r.ok);
    CHECK_STR(r.msgs, "bad:1:1: section \"open\" opened at 1:1 is never closed: add {{/open}}");
}

/* A loader that reports its partial's problem at every call, as doc.c does so
 * that every render (every record of a batch) hears of it: the renderer asks
 * once per render, however often the tag is met. */
static const tpl_program *always_broken(void *ud, const char *name, const char *indent, diag *d)
{
    (void)indent;
    ++*(int *)ud;
    diag_error(d, (diag_place){.file = name}, "does not compile");
    return NULL;
}

static void broken_partials_are_asked_for_once_per_render(void)
{
    int calls = 0;
    render_options opt = {.strict = true, .partial = always_broken, .partial_ud = &calls};
    result r = run("{{#l}}{{> p}}{{/l}}{{> p}}", "l: [1, 2, 3]", opt);
    CHECK(!r.ok);
    CHECK_INT(calls, 1);
    CHECK_STR(r.msgs, "p: does not compile");
}

static void recursive_partials_work_within_the_limit(void)
{
    static const partial_src srcs[] = {
        {"node", "{{name}}({{#kids}}{{> node}}{{/kids}})"}, {NULL, NULL}};
    partial_table = srcs;
    render_options opt = {.max_partial_depth = 3};
    /* A leaf needs its own empty kids, or {{#kids}} finds its parent's. */
    result r = run("{{> node}}", "name: a\nkids:\n  - name: b\n    kids: [{name: c, kids: []}]",
                   opt);
    partial_table = NULL;
    CHECK(r.ok);
    CHECK_STR(r.out, "a(b(c()))");
}

static void partial_depth_is_limited(void)
{
    static const partial_src srcs[] = {{"loop", "x{{> loop}}{{> loop}}"}, {NULL, NULL}};
    partial_table = srcs;
    render_options opt = {.max_partial_depth = 5};
    result r = run("{{> loop}}", "{}", opt);
    partial_table = NULL;
    CHECK(!r.ok);
    CHECK_STR(r.out, "xxxxx");
    CHECK_STR(r.msgs, "loop:1:2: {{> loop}}: partials are nested more than 5 deep (does a "
                      "partial include itself with no end?); if the template is right, raise "
                      "the limit with --max-partial-depth");
}

/* ---- the sink contract and the builder ----------------------------------- */

static bool recording_sink(void *ud, buf *out, const char *s, size_t n, uint32_t ctx,
                           bool escape, const diag_place *where, diag *d)
{
    (void)ud;
    buf_printf(out, "<%u%s:%.*s@p%u>", (unsigned)ctx, escape ? "e" : "r", (int)n, s, where->para);
    if (n && s[0] == '!') {
        diag_error(d, *where, "the sink refuses \"%.*s\"", (int)n, s);
        return false;
    }
    return true;
}

static void builder_programs_reach_the_sink_with_their_context(void)
{
    diag *d = diag_new();
    tpl_builder *b = tpl_builder_new("letter.docx", 0);
    diag_place p1 = {.part = "word/document.xml", .para = 1};
    diag_place p2 = {.part = "word/document.xml", .para = 2};
    /* No standalone-line rules: the adapter owns layout. */
    tpl_builder_static(b, "  \n", 3);
    tpl_builder_tag(b, TPL_TAG_SECTION, "#l", 2, p1, 0);
    tpl_builder_static(b, "\n", 1);
    tpl_builder_tag(b, TPL_TAG_VALUE, " . ", 3, p2, 7);
    tpl_builder_tag(b, TPL_TAG_RAW, "&.", 2, p2, 8);
    tpl_builder_tag(b, TPL_TAG_CLOSE, "/l", 2, p2, 0);
    tpl_program *p = keep_program(tpl_builder_finish(b, d));
    CHECK(p != NULL);
    value *data = data_of("l: [a, \"!x\"]", d);
    render_options opt = {.value = recording_sink};
    buf out = {0};
    bool ok = render_program(p, data, &opt, &out, d);
    value_free(data);
    const char *got = keep(buf_steal(&out));
    const char *msgs = messages(d);
    diag_free(d);
    CHECK(!ok);
    CHECK_STR(got, "  \n\n<7e:a@p2><8r:a@p2>\n<7e:!x@p2><8r:!x@p2>");
    CHECK_STR(msgs, "letter.docx:word/document.xml:p2: the sink refuses \"!x\"\n"
                    "letter.docx:word/document.xml:p2: the sink refuses \"!x\"");
}

typedef struct job {
    const tpl_program *p;
    const value *data;
    bool same;
} job;

static void *render_many(void *arg)
{
    job *j = arg;
    j->same = true;
    for (int i = 0; i < 200; i++) {
        buf out = {0};
        diag *d = diag_new();
        render_options opt = {0};
        bool ok = render_program(j->p, j->data, &opt, &out, d);
        if (!ok || !out.data || strcmp(out.data, "1:A,2:B,3:C.\nOLENA") != 0)
            j->same = false;
        buf_free(&out);
        diag_free(d);
    }
    return NULL;
}

static void one_program_renders_in_many_threads(void)
{
    diag *d = diag_new();
    tpl_delims dl = tpl_default_delims();
    const char *src = "{{#l}}{{@number}}:{{. | upper}}{{^@last}},{{/@last}}{{/l}}.\n"
                      "{{name | upper}}";
    tpl_program *p = keep_program(tpl_compile_text(src, strlen(src), "t.txt", "", &dl, 0, d));
    value *data = data_of("l: [a, b, c]\nname: olena", d);
    diag_free(d);
    CHECK(p != NULL);
    pthread_t th[8];
    job jobs[8];
    for (int i = 0; i < 8; i++) {
        jobs[i] = (job){p, data, false};
        pthread_create(&th[i], NULL, render_many, &jobs[i]);
    }
    bool all_same = true;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        all_same = all_same && jobs[i].same;
    }
    value_free(data);
    CHECK(all_same);
}

static void deep_data_sections_do_not_recurse(void)
{
    /* 100 nested sections over 100 nested maps: the renderer's stacks are
     * its own, not C's. */
    buf tpl = {0}, yaml = {0};
    for (int i = 0; i < 100; i++)
        buf_adds(&tpl, "{{#a}}");
    buf_adds(&tpl, "{{v}}");
    for (int i = 0; i < 100; i++)
        buf_adds(&tpl, "{{/a}}");
    for (int i = 0; i < 60; i++)
        buf_adds(&yaml, "{a: ");
    buf_adds(&yaml, "{v: deep}");
    for (int i = 0; i < 60; i++)
        buf_adds(&yaml, "}");
    const char *t = keep(buf_steal(&tpl));
    const char *y = keep(buf_steal(&yaml));
    /* Past the 60 levels of data, each further {{#a}} finds the innermost
     * map's a again, up the context stack, as Mustache resolves names. */
    CHECK_STR(render_plain(t, y), "deep");
    CHECK_STR(render_plain("{{#a}}{{#a}}{{v}}{{/a}}{{/a}}", "{a: {a: {v: two}}}"), "two");
}

static void deepest_sections_allowed_render(void)
{
    /* As deep as --max-section-depth goes: the renderer must survive it. */
    buf src = {0}, want = {0};
    for (int i = 0; i < TPL_MAX_SECTION_DEPTH - 1; i++) {
        buf_adds(&src, "{{#a}}.");
        buf_adds(&want, ".");
    }
    buf_adds(&src, "{{^missing}}{{v}}{{/missing}}");
    buf_adds(&want, "deep");
    for (int i = 0; i < TPL_MAX_SECTION_DEPTH - 1; i++)
        buf_adds(&src, "{{/a}}");
    diag *d = diag_new();
    tpl_delims dl = tpl_default_delims();
    tpl_program *p = keep_program(
        tpl_compile_text(src.data, src.len, "t.txt", "", &dl, TPL_MAX_SECTION_DEPTH, d));
    buf_free(&src);
    value *data = data_of("{a: {v: deep}}", d);
    render_options opt = {0};
    buf out = {0};
    bool ok = p && data && render_program(p, data, &opt, &out, d);
    value_free(data);
    const char *msgs = messages(d);
    diag_free(d);
    const char *got = keep(out.data ? buf_steal(&out) : xstrdup(""));
    const char *expected = keep(buf_steal(&want));
    CHECK(ok);
    CHECK_STR(msgs, "");
    CHECK_STR(got, expected);
}

/* ---- citations: the renderer's side of the callbacks -------------------- */

/* Shows what the renderer asked for: key, pinpoint, locale and where the key
 * came from; "BAD" is an unknown key. */
static bool fake_cite(void *ud, const render_cite *c, buf *text, diag *d)
{
    (void)ud;
    if (!strcmp(c->key, "BAD")) {
        diag_error(d, *c->where, "%s: unknown citation \"%s\"", c->tag, c->key);
        return false;
    }
    buf_printf(text, "[%s|%s|%s|%s]", c->key, c->pinpoint ? c->pinpoint : "-", c->locale,
               c->from ? keep(xasprintf("%u:%u", (unsigned)c->from->line, (unsigned)c->from->col))
                       : "literal");
    return true;
}

static const value *fake_authorities(void *ud)
{
    return ud;
}

static void cites_reach_the_callback_then_the_sink(void)
{
    render_options opt = {.cite = fake_cite};
    result r = run("{{cite \"RC51-33\"}} {{cite g.key \"p. <3>\"}} {{cite k g.pin}} "
                   "{{{cite \"A&B\"}}} {{cite n}}",
                   "locale: uk\ng: {key: HB, pin: para 2}\nk: X&Y\nn: 1951\n", opt);
    CHECK(r.ok);
    CHECK_STR(r.msgs, "");
    CHECK_STR(r.out, "[RC51-33|-|uk|literal] [HB|p. &lt;3&gt;|uk|2:10] [X&amp;Y|para 2|uk|3:4] "
                     "[A&B|-|uk|literal] [1951|-|uk|4:4]");
}

static void cites_of_nothing_render_nothing_unless_strict(void)
{
    render_options opt = {.cite = fake_cite};
    result r = run("a{{cite missing}}b{{cite e}}c{{cite \"K\" nopin}}d", "e: \"\"", opt);
    CHECK(r.ok);
    CHECK_STR(r.out, "abc[K|-|en|literal]d");
    opt.strict = true;
    r = run("a{{cite missing}}b{{cite \"K\" nopin}}", "{}", opt);
    CHECK(!r.ok);
    CHECK_STR(r.msgs, "t.txt:1:2: \"missing\" is missing from the data: add it, or give the tag "
                      "a fallback with | default \"...\"\n"
                      "t.txt:1:19: \"nopin\" is missing from the data: add it, or give the tag "
                      "a fallback with | default \"...\"");
}

static void cite_errors_are_reported_and_render_goes_on(void)
{
    render_options opt = {.cite = fake_cite};
    result r = run("{{cite \"BAD\"}}.{{cite l}}.{{cite \"K\" m}}.{{cite \"OK\"}}",
                   "l: [a]\nm: {x: 1}", opt);
    CHECK(!r.ok);
    CHECK_STR(r.out, "...[OK|-|en|literal]");
    CHECK_STR(r.msgs, "t.txt:1:1: {{cite \"BAD\"}}: unknown citation \"BAD\"\n"
                      "t.txt:1:16: {{cite l}}: \"l\" holds a list, not a citation key: name the "
                      "field that holds the key itself\n"
                      "t.txt:1:27: {{cite \"K\" m}}: the pinpoint \"m\" holds a map, not text "
                      "such as \"para. 203\"");
    render_options none = {0};
    r = run("{{cite \"K\"}}", "{}", none);
    CHECK(!r.ok);
    CHECK_STR(r.msgs, "t.txt:1:1: {{cite \"K\"}}: no citation library is loaded here, so \"K\" "
                      "cannot be looked up");
}

static void authorities_come_from_the_callback(void)
{
    diag *d = diag_new();
    value *list = data_of("- {key: A, short: \"A & co\"}\n- {key: B, short: Bee}\n", d);
    CHECK(list != NULL);
    render_options opt = {.authorities = fake_authorities, .cite_ud = list};
    /* The data's own "authorities" and "key" do not shadow the list's. */
    result r = run("{{#authorities}}{{@number}}. {{short}} ({{key}}){{^@last}}; {{/@last}}"
                   "{{/authorities}} | {{authorities | count}}",
                   "authorities: mine\nkey: outer", opt);
    value_free(list);
    diag_free(d);
    CHECK(r.ok);
    CHECK_STR(r.out, "1. A &amp; co (A); 2. Bee (B) | 2");
    /* Without the callback there are none. */
    render_options none = {0};
    r = run("{{#authorities}}x{{/authorities}}{{^authorities}}none{{/authorities}}", "{}", none);
    CHECK(r.ok);
    CHECK_STR(r.out, "none");
}

static void builder_cites_reach_the_sink_with_their_context(void)
{
    diag *d = diag_new();
    tpl_builder *b = tpl_builder_new("letter.docx", 0);
    diag_place p4 = {.part = "word/document.xml", .para = 4};
    const char *body = "cite \xe2\x80\x9cRC51-33\xe2\x80\x9d";
    tpl_builder_tag(b, TPL_TAG_VALUE, body, strlen(body), p4, 5);
    tpl_program *p = keep_program(tpl_builder_finish(b, d));
    CHECK(p != NULL);
    value *data = data_of("{}", d);
    render_options opt = {.value = recording_sink, .cite = fake_cite};
    buf out = {0};
    bool ok = render_program(p, data, &opt, &out, d);
    value_free(data);
    const char *got = keep(buf_steal(&out));
    diag_free(d);
    CHECK(ok);
    CHECK_STR(got, "<5e:[RC51-33|-|en|literal]@p4>");
}

UNIT_MAIN("render", UNIT(values_are_html_escaped_in_text), UNIT(standalone_lines_vanish),
          UNIT(standalone_lines_with_crlf), UNIT(inline_tags_keep_their_line),
          UNIT(partials_take_the_indent_of_their_tag), UNIT(inline_partials_are_not_indented),
          UNIT(set_delimiters), UNIT(dotted_names_resolve_like_mustache),
          UNIT(sections_over_each_kind_of_value), UNIT(at_names_follow_the_innermost_list),
          UNIT(filters_apply_left_to_right), UNIT(filter_arguments_may_be_paths_and_numbers),
          UNIT(filters_with_curly_quotes), UNIT(filtered_sections_push_their_result),
          UNIT(locale_comes_from_options_then_data),
          UNIT(filter_errors_are_reported_and_render_goes_on),
          UNIT(lists_and_maps_in_value_tags_are_warned_once),
          UNIT(strict_reports_missing_names), UNIT(missing_names_are_empty_without_strict),
          UNIT(missing_partials), UNIT(partial_errors_are_reported_once),
          UNIT(broken_partials_are_asked_for_once_per_render),
          UNIT(recursive_partials_work_within_the_limit), UNIT(partial_depth_is_limited),
          UNIT(builder_programs_reach_the_sink_with_their_context),
          UNIT(one_program_renders_in_many_threads), UNIT(deep_data_sections_do_not_recurse),
          UNIT(deepest_sections_allowed_render),
          UNIT(cites_reach_the_callback_then_the_sink),
          UNIT(cites_of_nothing_render_nothing_unless_strict),
          UNIT(cite_errors_are_reported_and_render_goes_on),
          UNIT(authorities_come_from_the_callback),
          UNIT(builder_cites_reach_the_sink_with_their_context))
