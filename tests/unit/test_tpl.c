/* Unit tests for tpl.c: the tag scanner, delimiters, section keys, the text
 * compiler's and the builder's error messages (exact text and place), and the
 * tag listing behind `casepack fields`. Rendering is in test_render.c. */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "tpl.h"
#include "unit.h"
#include "util.h"

/* Strings made by a test live until exit, so a failing CHECK leaks nothing. */
static char *pool[256];
static size_t n_pool;

static void pool_release(void)
{
    while (n_pool > 0)
        free(pool[--n_pool]);
}

static const char *keep(char *s)
{
    if (n_pool == 0)
        atexit(pool_release);
    if (n_pool == sizeof pool / sizeof pool[0])
        abort();
    return pool[n_pool++] = s;
}

/* Every message of d, one per line, then d emptied. */
static const char *messages(diag *d)
{
    buf b = {0};
    for (size_t i = 0; i < diag_count(d); i++)
        buf_printf(&b, "%s%s", i ? "\n" : "", diag_get(d, i)->text);
    diag_free(d);
    return keep(b.data ? buf_steal(&b) : xstrdup(""));
}

/* Compiles src as t.txt with sections allowed max_depth deep (0: the
 * default): "" when it compiles, else every message. */
static const char *errors_at_depth(const char *src, unsigned max_depth)
{
    diag *d = diag_new();
    tpl_delims dl = tpl_default_delims();
    tpl_program *p = tpl_compile_text(src, strlen(src), "t.txt", "", &dl, max_depth, d);
    if (p && diag_count(d) == 0) {
        tpl_free(p);
        diag_free(d);
        return "";
    }
    if (p)
        return "compiled despite errors";
    tpl_free(p);
    return messages(d);
}

static const char *errors_of(const char *src)
{
    return errors_at_depth(src, 0);
}

/* depth sections named a, one inside the other. */
static const char *nested(int depth)
{
    buf b = {0};
    for (int i = 0; i < depth; i++)
        buf_adds(&b, "{{#a}}");
    for (int i = 0; i < depth; i++)
        buf_adds(&b, "{{/a}}");
    return keep(buf_steal(&b));
}

static void scan_kinds_and_bodies(void)
{
    const char *s = "a {{x}} {{#s}}{{/s}} {{{r}}} {{&r}} {{> p}} {{! c }} {{^i}}";
    static const tpl_tag_kind kinds[] = {TPL_TAG_VALUE,   TPL_TAG_SECTION, TPL_TAG_CLOSE,
                                         TPL_TAG_RAW,     TPL_TAG_RAW,     TPL_TAG_PARTIAL,
                                         TPL_TAG_COMMENT, TPL_TAG_INVERTED};
    static const char *const bodies[] = {"x", "#s", "/s", "r", "&r", "> p", "! c ", "^i"};
    tpl_delims d = tpl_default_delims();
    tpl_found f;
    size_t pos = 0, i = 0;
    while (tpl_scan(s, strlen(s), pos, &d, &f)) {
        CHECK(i < 8);
        CHECK_INT(f.kind, kinds[i]);
        CHECK(!f.unclosed);
        CHECK_INT(f.body_end - f.body_start, strlen(bodies[i]));
        CHECK(memcmp(s + f.body_start, bodies[i], strlen(bodies[i])) == 0);
        pos = f.end;
        i++;
    }
    CHECK_INT(i, 8);
    /* {{{r}}}: the whole tag spans its three braces each side. */
    CHECK(tpl_scan(s, strlen(s), 0, &d, &f));
    CHECK_INT(f.start, 2);
    CHECK_INT(f.end, 7);
}

static void scan_set_delimiters(void)
{
    const char *s = "{{=<% %>=}}<%x%>{{y}}";
    tpl_delims d = tpl_default_delims();
    tpl_found f;
    CHECK(tpl_scan(s, strlen(s), 0, &d, &f));
    CHECK_INT(f.kind, TPL_TAG_DELIMS);
    CHECK_INT(f.end, 11);
    CHECK_STR(d.open, "<%");
    CHECK_STR(d.close, "%>");
    CHECK(tpl_scan(s, strlen(s), f.end, &d, &f));
    CHECK_INT(f.kind, TPL_TAG_VALUE);
    CHECK_INT(f.body_start, 13);
    CHECK_INT(f.body_end, 14);
    CHECK(!tpl_scan(s, strlen(s), f.end, &d, &f));
}

static void scan_malformed_delimiters_keep_the_old_ones(void)
{
    const char *s = "{{=<%=}}{{x}}";
    tpl_delims d = tpl_default_delims();
    tpl_found f;
    CHECK(tpl_scan(s, strlen(s), 0, &d, &f));
    CHECK_INT(f.kind, TPL_TAG_DELIMS);
    CHECK_STR(d.open, "{{");
    CHECK_STR(d.close, "}}");
}

static void scan_unclosed_tag(void)
{
    const char *s = "ab {{x";
    tpl_delims d = tpl_default_delims();
    tpl_found f;
    CHECK(tpl_scan(s, strlen(s), 0, &d, &f));
    CHECK(f.unclosed);
    CHECK_INT(f.start, 3);
    CHECK_INT(f.end, 6);
}

static void scan_ampersand_and_braces_with_custom_delimiters(void)
{
    const char *s = "|&name| |{name}|";
    tpl_delims d;
    CHECK(tpl_parse_delims("| |", &d));
    tpl_found f;
    CHECK(tpl_scan(s, strlen(s), 0, &d, &f));
    CHECK_INT(f.kind, TPL_TAG_RAW);
    CHECK_INT(f.end, 7);
    CHECK(tpl_scan(s, strlen(s), f.end, &d, &f));
    CHECK_INT(f.kind, TPL_TAG_RAW);
    CHECK_INT(f.body_start, 10);
    CHECK_INT(f.body_end, 14);
}

static void parse_delimiter_specs(void)
{
    tpl_delims d;
    CHECK(tpl_parse_delims("<% %>", &d));
    CHECK_STR(d.open, "<%");
    CHECK_STR(d.close, "%>");
    CHECK(tpl_parse_delims("  [   ]  ", &d));
    CHECK_STR(d.open, "[");
    CHECK_STR(d.close, "]");
    CHECK(!tpl_parse_delims("<%", &d));
    CHECK(!tpl_parse_delims("a b c", &d));
    CHECK(!tpl_parse_delims("<= =>", &d));
    CHECK(!tpl_parse_delims("12345678901234567 }", &d));
    CHECK(!tpl_parse_delims("", &d));
}

static void section_keys_are_normalised(void)
{
    char key[128];
    const char *body = "#applicant.gender | eq \xE2\x80\x9C" "female\xE2\x80\x9D";
    size_t n = tpl_section_key(body, strlen(body), key, sizeof key);
    CHECK_STR(key, "applicant.gender|eq \"female\"");
    CHECK_INT(n, strlen(key));
    body = "/ a.b   |eq   \"x\\\"y\" | join \", \" last ";
    tpl_section_key(body, strlen(body), key, sizeof key);
    CHECK_STR(key, "a.b|eq \"x\\\"y\"|join \", \" last");
    tpl_section_key("^claims", 7, key, sizeof key);
    CHECK_STR(key, "claims");
    /* A short buffer gets what fits; the length is the whole key's. */
    CHECK_INT(tpl_section_key("#abcdef", 7, key, 3), 6);
    CHECK(memcmp(key, "abc", 3) == 0);
}

static bool closes(const char *open, const char *close)
{
    return tpl_closes(open, strlen(open), close, strlen(close));
}

static void closing_tags_match_by_key_or_name(void)
{
    const char *open = "#g | eq \xE2\x80\x9E" "male\xE2\x80\x9C";
    CHECK(closes(open, "/g"));
    CHECK(closes(open, "/g|eq \"male\""));
    CHECK(closes(open, "/ g | eq \xE2\x80\x9Cmale\xE2\x80\x9D"));
    CHECK(!closes(open, "/g | eq \"female\""));
    CHECK(!closes(open, "/gender"));
    CHECK(closes("#a.b", "/a.b"));
    CHECK(!closes("#a.b", "/a"));
}

static void unclosed_section(void)
{
    CHECK_STR(errors_of("Claims:\n    {{#claims}}\n{{title}}\n"),
              "t.txt:2:5: section \"claims\" opened at 2:5 is never closed: add {{/claims}}");
}

static void closing_tag_that_does_not_match(void)
{
    CHECK_STR(errors_of("{{#claims}}\n{{/claim}}\n"),
              "t.txt:2:1: {{/claim}}: this closing tag does not match section \"claims\" opened "
              "at 1:1: close that section with {{/claims}}");
}

static void closing_tag_past_an_open_section(void)
{
    CHECK_STR(errors_of("{{#a}}x{{#b}}y{{/a}}"),
              "t.txt:1:15: {{/a}}: this closing tag closes section \"a\" opened at 1:1, but "
              "section \"b\" opened at 1:8 is still open: add {{/b}} before it");
}

static void closing_tag_with_no_open_section(void)
{
    CHECK_STR(errors_of("text\n  {{/claims}}"),
              "t.txt:2:3: {{/claims}}: this closing tag has no open section to close: remove "
              "it, or open the section with {{#claims}} before it");
}

static void unclosed_tag(void)
{
    CHECK_STR(errors_of("Dear {{applicant.name,\nwe write"),
              "t.txt:1:6: {{applicant.name,: this tag is never closed: end it with }}");
    CHECK_STR(errors_of("{{{raw}}"), "t.txt:1:1: {{{raw}}: this tag is never closed: end it with }}}");
}

static void unclosed_tag_hides_the_sections_it_swallowed(void)
{
    CHECK_STR(errors_of("{{#a}}\n{{/a}"),
              "t.txt:2:1: {{/a}: this tag is never closed: end it with }}");
}

static void malformed_set_delimiter_tag(void)
{
    CHECK_STR(errors_of("x {{=<%=}}"),
              "t.txt:1:3: {{=<%=}}: this is not a valid set-delimiter tag: write two delimiters "
              "separated by a space, with no space or \"=\" inside them, as in {{=<% %>=}}");
}

static void empty_tag_names(void)
{
    CHECK_STR(errors_of("{{}} {{ # }}{{/}} {{>}} {{&}}"),
              "t.txt:1:1: {{}}: this tag has no name: write the data name between the "
              "delimiters, as in {{applicant.name}}\n"
              "t.txt:1:6: {{ # }}: this tag has no name: write the data name between the "
              "delimiters, as in {{applicant.name}}\n"
              "t.txt:1:13: {{/}}: this tag has no name: write the data name between the "
              "delimiters, as in {{applicant.name}}\n"
              "t.txt:1:19: {{>}}: this partial tag has no name: write the partial's file name, "
              "as in {{> signature}}\n"
              "t.txt:1:25: {{&}}: this tag has no name: write the data name between the "
              "delimiters, as in {{applicant.name}}");
}

static void unterminated_filter_strings(void)
{
    CHECK_STR(errors_of("{{x | eq \"abc}}\n{{x | eq \xE2\x80\x9C" "abc}}"),
              "t.txt:1:1: {{x | eq \"abc}}: the text \"abc is never closed: end it with \"\n"
              "t.txt:2:1: {{x | eq \xE2\x80\x9C" "abc}}: the text \xE2\x80\x9C"
              "abc is never closed: end it with \xE2\x80\x9D");
}

static void unknown_filter(void)
{
    CHECK_STR(errors_of("{{name | uper}}"),
              "t.txt:1:1: {{name | uper}}: unknown filter \"uper\"; the filters are: "
              "capitalize, count, date, default, eq, join, lower, ne, upper");
}

static void wrong_filter_arity(void)
{
    CHECK_STR(errors_of("{{d | date}}{{x | upper \"a\"}}\n{{l | join \"a\" \"b\" \"c\"}}"),
              "t.txt:1:1: {{d | date}}: filter \"date\" takes 1 argument, not 0: write it as "
              "date \"PATTERN\"\n"
              "t.txt:1:13: {{x | upper \"a\"}}: filter \"upper\" takes no arguments, not 1: write "
              "it as upper\n"
              "t.txt:2:1: {{l | join \"a\" \"b\" \"c\"}}: filter \"join\" takes 1 to 2 arguments, "
              "not 3: write it as join \"SEP\" [\"LAST SEP\"]");
}

static void filter_syntax_errors(void)
{
    CHECK_STR(errors_of("{{a b}}"),
              "t.txt:1:1: {{a b}}: unexpected \"b\" after the name \"a\": a name has no spaces, "
              "and filters follow a \"|\", as in {{a | upper}}");
    CHECK_STR(errors_of("{{a |}}"),
              "t.txt:1:1: {{a |}}: \"|\" must be followed by a filter; the filters are: "
              "capitalize, count, date, default, eq, join, lower, ne, upper");
    CHECK_STR(errors_of("{{| upper}}"),
              "t.txt:1:1: {{| upper}}: there is no name before the first \"|\": write the data "
              "name first, as in {{name | upper}}");
    CHECK_STR(errors_of("{{\"name\"}}"),
              "t.txt:1:1: {{\"name\"}}: a tag starts with a data name, not a quoted text: write "
              "the name as it stands in the data, as in {{applicant.name}}");
}

static void bad_names(void)
{
    CHECK_STR(errors_of("{{a..b}}{{x | eq .y}}"),
              "t.txt:1:1: {{a..b}}: \"a..b\" is not a valid name: put one dot between two names, "
              "as in applicant.name\n"
              "t.txt:1:9: {{x | eq .y}}: \".y\" is not a valid name: put one dot between two "
              "names, as in applicant.name");
    CHECK_STR(errors_of("{{@idx}}"),
              "t.txt:1:1: {{@idx}}: unknown name \"@idx\": the names that start with @ are "
              "@index, @number, @first and @last");
}

static void columns_count_characters(void)
{
    /* é and € are one column each, though two and three bytes. */
    CHECK_STR(errors_of("\xC3\xA9\xE2\x82\xAC{{#x}}"),
              "t.txt:1:3: section \"x\" opened at 1:3 is never closed: add {{/x}}");
}

static void every_error_at_once(void)
{
    CHECK_STR(errors_of("{{#a}}\n{{b | nope}}\n{{/c}}\n{{d | date}}\n{{#e}}\n"),
              "t.txt:2:1: {{b | nope}}: unknown filter \"nope\"; the filters are: capitalize, "
              "count, date, default, eq, join, lower, ne, upper\n"
              "t.txt:3:1: {{/c}}: this closing tag does not match section \"a\" opened at 1:1: "
              "close that section with {{/a}}\n"
              "t.txt:4:1: {{d | date}}: filter \"date\" takes 1 argument, not 0: write it as "
              "date \"PATTERN\"\n"
              "t.txt:5:1: section \"e\" opened at 5:1 is never closed: add {{/e}}");
}

static void messages_use_the_delimiters_in_force(void)
{
    CHECK_STR(errors_of("{{=<% %>=}}\n<%#a%>\n<%/b%>"),
              "t.txt:3:1: <%/b%>: this closing tag does not match section \"a\" opened at 2:1: "
              "close that section with <%/a%>");
}

static void starting_delimiters_are_honoured(void)
{
    diag *d = diag_new();
    tpl_delims dl;
    CHECK(tpl_parse_delims("[[ ]]", &dl));
    const char *src = "[[#a]]{{x}}";
    tpl_program *p = tpl_compile_text(src, strlen(src), "t.txt", "", &dl, 0, d);
    CHECK(p == NULL);
    tpl_free(p);
    CHECK_STR(messages(d), "t.txt:1:1: section \"a\" opened at 1:1 is never closed: add [[/a]]");
}

static void nesting_is_capped(void)
{
    CHECK_STR(errors_of(nested(101)),
              "t.txt:1:601: {{#a}}: sections are nested 101 deep here, more than the limit of "
              "100; close some sections before opening others, or raise the limit with "
              "--max-section-depth");
    CHECK_STR(errors_of(nested(100)), "");
    CHECK_STR(errors_at_depth(nested(101), TPL_DEFAULT_SECTION_DEPTH),
              "t.txt:1:601: {{#a}}: sections are nested 101 deep here, more than the limit of "
              "100; close some sections before opening others, or raise the limit with "
              "--max-section-depth");
}

static void nesting_limit_can_be_raised_or_lowered(void)
{
    CHECK_STR(errors_at_depth(nested(101), 200), "");
    CHECK_STR(errors_at_depth(nested(200), 200), "");
    CHECK_STR(errors_at_depth(nested(201), 200),
              "t.txt:1:1201: {{#a}}: sections are nested 201 deep here, more than the limit of "
              "200; close some sections before opening others, or raise the limit with "
              "--max-section-depth");
    CHECK_STR(errors_at_depth("{{#a}}\n {{^b}}{{/b}}\n{{/a}}", 1),
              "t.txt:2:2: {{^b}}: sections are nested 2 deep here, more than the limit of 1; "
              "close some sections before opening others, or raise the limit with "
              "--max-section-depth");
    CHECK_STR(errors_at_depth(nested(TPL_MAX_SECTION_DEPTH), TPL_MAX_SECTION_DEPTH), "");
}

static void builder_honours_the_section_limit(void)
{
    diag *d = diag_new();
    tpl_builder *b = tpl_builder_new("letter.docx", 2);
    diag_place p[4] = {{.part = "word/document.xml", .para = 3},
                       {.part = "word/document.xml", .para = 4},
                       {.part = "word/document.xml", .para = 5},
                       {.part = "word/document.xml", .para = 6}};
    tpl_builder_tag(b, TPL_TAG_SECTION, "#claims", 7, p[0], 1);
    tpl_builder_tag(b, TPL_TAG_SECTION, "#facts", 6, p[1], 1);
    tpl_builder_tag(b, TPL_TAG_INVERTED, "^spouse", 7, p[2], 1);
    tpl_builder_tag(b, TPL_TAG_CLOSE, "/spouse", 7, p[3], 1);
    tpl_builder_tag(b, TPL_TAG_CLOSE, "/facts", 6, p[3], 1);
    tpl_builder_tag(b, TPL_TAG_CLOSE, "/claims", 7, p[3], 1);
    tpl_program *prog = tpl_builder_finish(b, d);
    CHECK(prog == NULL);
    tpl_free(prog);
    CHECK_STR(messages(d),
              "letter.docx:word/document.xml:p5: {{^spouse}}: sections are nested 3 deep here, "
              "more than the limit of 2; close some sections before opening others, or raise "
              "the limit with --max-section-depth");
    d = diag_new();
    b = tpl_builder_new("letter.docx", 3);
    tpl_builder_tag(b, TPL_TAG_SECTION, "#claims", 7, p[0], 1);
    tpl_builder_tag(b, TPL_TAG_SECTION, "#facts", 6, p[1], 1);
    tpl_builder_tag(b, TPL_TAG_INVERTED, "^spouse", 7, p[2], 1);
    tpl_builder_tag(b, TPL_TAG_CLOSE, "/spouse", 7, p[3], 1);
    tpl_builder_tag(b, TPL_TAG_CLOSE, "/facts", 6, p[3], 1);
    tpl_builder_tag(b, TPL_TAG_CLOSE, "/claims", 7, p[3], 1);
    prog = tpl_builder_finish(b, d);
    CHECK(prog != NULL);
    tpl_free(prog);
    CHECK_STR(messages(d), "");
}

static void builder_errors_name_document_places(void)
{
    diag *d = diag_new();
    tpl_builder *b = tpl_builder_new("letter.docx", 0);
    diag_place p3 = {.part = "word/document.xml", .para = 3};
    diag_place p9 = {.part = "word/document.xml", .para = 9};
    tpl_builder_static(b, "<w:p>", 5);
    tpl_builder_tag(b, TPL_TAG_SECTION, "#claims", 7, p3, 1);
    tpl_builder_tag(b, TPL_TAG_CLOSE, "/claim", 6, p9, 1);
    tpl_builder_tag(b, TPL_TAG_SECTION, "facts", 5, p9, 1); /* the sigil may be left out */
    tpl_program *p = tpl_builder_finish(b, d);
    CHECK(p == NULL);
    CHECK_STR(messages(d),
              "letter.docx:word/document.xml:p9: {{/claim}}: this closing tag does not match "
              "section \"claims\" opened at word/document.xml:p3: close that section with "
              "{{/claims}}\n"
              "letter.docx:word/document.xml:p9: section \"facts\" opened at "
              "word/document.xml:p9 is never closed: add {{/facts}}");
}

typedef struct listing {
    buf out;
} listing;

static const char *const kind_names[] = {"value",    "raw",     "section", "inverted",
                                         "close",    "partial", "comment", "delims"};

static void list_one(void *ud, tpl_tag_kind kind, const char *body, const char *path,
                     const diag_place *where)
{
    listing *l = ud;
    buf_printf(&l->out, "%u:%u %s [%s] %s\n", where->line, where->col, kind_names[kind], body,
               path ? path : "-");
}

static void each_tag_lists_every_tag(void)
{
    const char *src = "{{! note }}\n"
                      "{{#claims}}\n"
                      "  {{@number}}. {{ title | upper }} {{{raw.x}}}\n"
                      "{{/claims}}\n"
                      "{{=<% %>=}}<%> sig%> <%.%>";
    diag *d = diag_new();
    tpl_delims dl = tpl_default_delims();
    tpl_program *p = tpl_compile_text(src, strlen(src), "t.txt", "", &dl, 0, d);
    CHECK(p != NULL);
    listing l = {{0}};
    tpl_each_tag(p, list_one, &l);
    tpl_free(p);
    diag_free(d);
    CHECK_STR(keep(buf_steal(&l.out)), "1:1 comment [! note ] -\n"
                                       "2:1 section [#claims] claims\n"
                                       "3:3 value [@number] -\n"
                                       "3:16 value [ title | upper ] title\n"
                                       "3:36 raw [raw.x] raw.x\n"
                                       "4:1 close [/claims] claims\n"
                                       "5:1 delims [=<% %>=] -\n"
                                       "5:12 partial [> sig] -\n"
                                       "5:22 value [.] .\n");
}

static void partial_indent_keeps_columns(void)
{
    /* Lines of an indented partial are shifted, but messages point at the
     * partial's own columns. */
    diag *d = diag_new();
    tpl_delims dl = tpl_default_delims();
    const char *src = "ok\n  {{#x}}\n";
    tpl_program *p = tpl_compile_text(src, strlen(src), "part.txt", "    ", &dl, 0, d);
    CHECK(p == NULL);
    CHECK_STR(messages(d),
              "part.txt:2:3: section \"x\" opened at 2:3 is never closed: add {{/x}}");
}

/* ---- citations ---------------------------------------------------------- */

static void cite_tags_compile(void)
{
    CHECK_STR(errors_of("{{cite \"RC51-33\"}} {{cite ground.key}} {{cite . \"p. 3\"}} "
                        "{{&cite \xe2\x80\x9cHB-195-205\xe2\x80\x9d \xe2\x80\x9cpara. 203\xe2\x80\x9d}} "
                        "{{{cite k pin.text}}} {{cite 1951}}"),
              "");
    /* A tag that is just {{cite}} names a data field called cite. */
    CHECK_STR(errors_of("{{cite}} {{ cite | upper }}"), "");
}

static void cite_tag_errors(void)
{
    CHECK_STR(errors_of("{{cite \"A\" \"b\" \"c\"}}"),
              "t.txt:1:1: {{cite \"A\" \"b\" \"c\"}}: a citation takes a key and at most one "
              "pinpoint, not 3 arguments: write a citation key and, if you like, a pinpoint, as in "
              "{{cite \"RC51-33\"}}, {{cite ground.key}} or {{cite \"HB-195-205\" \"para. 203\"}}");
    CHECK_STR(errors_of("{{cite \"A\" | upper}}"),
              "t.txt:1:1: {{cite \"A\" | upper}}: a citation takes no filters: write a citation "
              "key and, if you like, a pinpoint, as in {{cite \"RC51-33\"}}, {{cite ground.key}} "
              "or {{cite \"HB-195-205\" \"para. 203\"}}");
    CHECK_STR(errors_of("x {{cite \"\"}}"),
              "t.txt:1:3: {{cite \"\"}}: the citation key is empty: write a citation key and, if "
              "you like, a pinpoint, as in {{cite \"RC51-33\"}}, {{cite ground.key}} or "
              "{{cite \"HB-195-205\" \"para. 203\"}}");
    CHECK_STR(errors_of("{{cite \"RC51-33}}"),
              "t.txt:1:1: {{cite \"RC51-33}}: the text \"RC51-33 is never closed: end it with \"");
    CHECK_STR(errors_of("{{cite a..b}}"),
              "t.txt:1:1: {{cite a..b}}: \"a..b\" is not a valid name: put one dot between two "
              "names, as in applicant.name");
    /* A citation opening a section: one message per tag, nothing else. */
    CHECK_STR(errors_of("{{#cite \"X\"}}a{{/cite \"X\"}}"),
              "t.txt:1:1: {{#cite \"X\"}}: a citation shows text where it stands; it cannot "
              "open or close a section (for the list of citations used, write "
              "{{#authorities}}...{{/authorities}})\n"
              "t.txt:1:15: {{/cite \"X\"}}: a citation shows text where it stands; it cannot "
              "open or close a section (for the list of citations used, write "
              "{{#authorities}}...{{/authorities}})");
}

static void cite_tags_in_the_listing(void)
{
    const char *src = "{{cite \"K\"}} {{cite g.key \"p\"}} {{cite .}}\n"
                      "{{#authorities}}{{short}}{{/authorities}} {{authorities | count}}";
    diag *d = diag_new();
    tpl_delims dl = tpl_default_delims();
    tpl_program *p = tpl_compile_text(src, strlen(src), "t.txt", "", &dl, 0, d);
    CHECK(p != NULL);
    listing l = {{0}};
    tpl_each_tag(p, list_one, &l);
    tpl_free(p);
    diag_free(d);
    CHECK_STR(keep(buf_steal(&l.out)), "1:1 value [cite \"K\"] -\n"
                                       "1:14 value [cite g.key \"p\"] g.key\n"
                                       "1:33 value [cite .] .\n"
                                       "2:1 section [#authorities] -\n"
                                       "2:17 value [short] short\n"
                                       "2:26 close [/authorities] -\n"
                                       "2:43 value [authorities | count] -\n");
}

static void tags_that_cite(void)
{
    CHECK(tpl_tag_cites(TPL_TAG_VALUE, "cite \"K\"", 8));
    CHECK(tpl_tag_cites(TPL_TAG_VALUE, " cite k ", 8));
    CHECK(tpl_tag_cites(TPL_TAG_RAW, "&cite k", 7));
    CHECK(tpl_tag_cites(TPL_TAG_SECTION, "#authorities", 12));
    CHECK(tpl_tag_cites(TPL_TAG_SECTION, "authorities", 11));
    CHECK(tpl_tag_cites(TPL_TAG_INVERTED, "^ authorities", 13));
    CHECK(tpl_tag_cites(TPL_TAG_VALUE, "authorities | count", 19));
    CHECK(!tpl_tag_cites(TPL_TAG_VALUE, "cite", 4));
    CHECK(!tpl_tag_cites(TPL_TAG_VALUE, "citation", 8));
    CHECK(!tpl_tag_cites(TPL_TAG_VALUE, "authorities.x", 13));
    CHECK(!tpl_tag_cites(TPL_TAG_CLOSE, "/authorities", 12));
    CHECK(!tpl_tag_cites(TPL_TAG_COMMENT, "! cite x", 8));
}

/* A template from a stranger made one message per bad tag, without end: a
 * file of a million stray closing tags asked for a million messages. */
static void messages_are_capped(void)
{
    buf src = {0};
    for (int i = 0; i < 150; i++)
        buf_adds(&src, "{{/a}}\n");
    for (int i = 0; i < 150; i++)
        buf_adds(&src, "{{#b}}");
    diag *d = diag_new();
    tpl_delims dl = tpl_default_delims();
    tpl_program *p = tpl_compile_text(src.data, src.len, "t.txt", "", &dl, 0, d);
    buf_free(&src);
    size_t n = diag_count(d);
    const char *first = keep(xstrdup(diag_get(d, 0)->text));
    const char *last = keep(xstrdup(diag_get(d, n - 1)->text));
    tpl_free(p);
    diag_free(d);
    CHECK(p == NULL);
    CHECK_INT(n, 101);
    CHECK_STR(first, "t.txt:1:1: {{/a}}: this closing tag has no open section to close: remove "
                     "it, or open the section with {{#a}} before it");
    CHECK_STR(last, "t.txt:101:1: too many problems in this template; stopping here (fix these "
                    "first)");
}

UNIT_MAIN("tpl", UNIT(scan_kinds_and_bodies), UNIT(scan_set_delimiters),
          UNIT(scan_malformed_delimiters_keep_the_old_ones), UNIT(scan_unclosed_tag),
          UNIT(scan_ampersand_and_braces_with_custom_delimiters), UNIT(parse_delimiter_specs),
          UNIT(section_keys_are_normalised), UNIT(closing_tags_match_by_key_or_name),
          UNIT(unclosed_section), UNIT(closing_tag_that_does_not_match),
          UNIT(closing_tag_past_an_open_section), UNIT(closing_tag_with_no_open_section),
          UNIT(unclosed_tag), UNIT(unclosed_tag_hides_the_sections_it_swallowed),
          UNIT(malformed_set_delimiter_tag), UNIT(empty_tag_names),
          UNIT(unterminated_filter_strings), UNIT(unknown_filter), UNIT(wrong_filter_arity),
          UNIT(filter_syntax_errors), UNIT(bad_names), UNIT(columns_count_characters),
          UNIT(every_error_at_once), UNIT(messages_use_the_delimiters_in_force),
          UNIT(starting_delimiters_are_honoured), UNIT(nesting_is_capped),
          UNIT(nesting_limit_can_be_raised_or_lowered), UNIT(builder_honours_the_section_limit),
          UNIT(messages_are_capped),
          UNIT(builder_errors_name_document_places), UNIT(each_tag_lists_every_tag),
          UNIT(partial_indent_keeps_columns), UNIT(cite_tags_compile), UNIT(cite_tag_errors),
          UNIT(cite_tags_in_the_listing), UNIT(tags_that_cite))
