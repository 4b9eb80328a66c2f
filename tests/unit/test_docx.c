/* Unit tests for the Word adapter (docx.c over xmlpart.c): small
 * word/document.xml parts built here are compiled through the part compiler
 * and rendered against value trees built in C; the exact XML out is
 * compared. Covers Word's fragmentation, every reach, values, ids and the
 * errors a template author sees. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "doc.h"
#include "docx.h"
#include "render.h"
#include "unit.h"
#include "util.h"
#include "value.h"
#include "xmlpart.h"
#include "zipio.h"

#define NS                                                                                      \
    "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" "                \
    "xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" "      \
    "xmlns:w14=\"http://schemas.microsoft.com/office/word/2010/wordml\" "                      \
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\""
#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document " NS "><w:body>"
#define TAIL "</w:body></w:document>"

/* Everything a test makes lives until exit, so a failing CHECK leaks nothing. */
static void *pool[4096];
static size_t n_pool;
static value *vpool[1024];
static size_t n_vpool;

static void pool_release(void)
{
    while (n_pool > 0)
        free(pool[--n_pool]);
    while (n_vpool > 0)
        value_free(vpool[--n_vpool]);
}

static void *keep(void *p)
{
    if (n_pool == 0 && n_vpool == 0)
        atexit(pool_release);
    if (n_pool == sizeof pool / sizeof pool[0])
        abort();
    pool[n_pool++] = p;
    return p;
}

static value *keepv(value *v)
{
    if (n_pool == 0 && n_vpool == 0)
        atexit(pool_release);
    vpool[n_vpool++] = v;
    return v;
}

static value *S(const char *s)
{
    return value_new_string(s, strlen(s));
}

/* A map from key/value pairs, NULL-terminated; the values are consumed. */
static value *M(const char *key, ...)
{
    value *m = value_new(VALUE_MAP, NULL, 0, 0);
    va_list ap;
    va_start(ap, key);
    for (const char *k = key; k; k = va_arg(ap, const char *))
        value_map_set(m, k, strlen(k), va_arg(ap, value *));
    va_end(ap);
    return m;
}

/* A list of values, NULL-terminated; consumed. */
static value *L(value *first, ...)
{
    value *l = value_new(VALUE_LIST, NULL, 0, 0);
    va_list ap;
    va_start(ap, first);
    for (value *v = first; v; v = va_arg(ap, value *))
        value_list_push(l, v);
    va_end(ap);
    return l;
}

/* All messages of d, one per line. */
static const char *messages(diag *d)
{
    buf b = {0};
    for (size_t i = 0; i < diag_count(d); i++) {
        if (i)
            buf_addc(&b, '\n');
        buf_adds(&b, diag_get(d, i)->text);
    }
    return keep(b.data ? buf_steal(&b) : xstrdup(""));
}

/* Compiles HEAD body TAIL as word/document.xml and renders it over data
 * (consumed). Returns what stands between <w:body> and </w:body>, or
 * "ERROR: " and the messages. */
static const char *render_body(const char *body, value *data)
{
    keepv(data);
    char *xml = keep(xasprintf(HEAD "%s" TAIL, body));
    doc_options opt = doc_default_options();
    diag *d = diag_new();
    xp_compiler *c = xp_compiler_new(&docx_dialect, "t.docx", &opt);
    tpl_program *p = NULL;
    bool ok = xp_compile_part(c, "word/document.xml", xml, strlen(xml), &p, d);
    xp_contexts *cx = xp_compiler_finish(c);
    const char *result;
    if (!ok) {
        result = keep(xasprintf("ERROR: %s", messages(d)));
    } else if (!p) {
        result = "NO TAGS";
    } else {
        xp_sink sink;
        xp_sink_init(&sink, cx);
        render_options ro = {.value = xp_sink_value, .value_ud = &sink};
        buf out = {0};
        if (!render_program(p, data, &ro, &out, d)) {
            result = keep(xasprintf("ERROR: %s", messages(d)));
        } else {
            const char *s = strstr(out.data, "<w:body>");
            const char *e = strstr(out.data, "</w:body>");
            result = s && e ? keep(xstrndup(s + 8, (size_t)(e - s - 8))) : keep(xstrdup(out.data));
        }
        buf_free(&out);
        xp_sink_free(&sink);
    }
    tpl_free(p);
    xp_contexts_free(cx);
    diag_free(d);
    return result;
}

/* ---- finding tags -------------------------------------------------------- */

static void split_over_five_runs(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t xml:space=\"preserve\">The appellant, </w:t></w:r>"
        "<w:r><w:t>{{</w:t></w:r><w:proofErr w:type=\"spellStart\"/>"
        "<w:r><w:t>applic</w:t></w:r><w:bookmarkStart w:id=\"0\" w:name=\"_Hlk1\"/>"
        "<w:bookmarkEnd w:id=\"0\"/><w:r><w:rPr><w:lang w:val=\"en-US\"/></w:rPr>"
        "<w:t>ant.na</w:t></w:r><w:r><w:rPr><w:noProof/></w:rPr><w:t>m</w:t></w:r>"
        "<w:proofErr w:type=\"spellEnd\"/><w:r><w:t>e}}, asks</w:t></w:r></w:p>",
        M("applicant", M("name", S("Mark Vetrov"), NULL), NULL));
    CHECK_STR(out, "<w:p><w:r><w:t xml:space=\"preserve\">The appellant, </w:t></w:r>"
                   "<w:r><w:t xml:space=\"preserve\">Mark Vetrov</w:t></w:r>"
                   "<w:proofErr w:type=\"spellStart\"/><w:bookmarkStart w:id=\"0\" "
                   "w:name=\"_Hlk1\"/><w:bookmarkEnd w:id=\"0\"/><w:proofErr w:type=\"spellEnd\"/>"
                   "<w:r><w:t xml:space=\"preserve\">, asks</w:t></w:r></w:p>");
}


static void curly_quotes_in_filter_argument(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t xml:space=\"preserve\">{{decision.date | date </w:t></w:r>"
        "<w:r><w:t>\xe2\x80\x9c" "d MMMM y\xe2\x80\x9d</w:t></w:r><w:r><w:t>}}</w:t></w:r></w:p>",
        M("decision", M("date", S("2023-11-20"), NULL), NULL));
    CHECK_STR(out, "<w:p><w:r><w:t xml:space=\"preserve\">20 November 2023</w:t></w:r></w:p>");
}

static void tag_inside_hyperlink(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t xml:space=\"preserve\">At </w:t></w:r><w:hyperlink r:id=\"rId10\">"
        "<w:r><w:rPr><w:rStyle w:val=\"Hyperlink\"/></w:rPr><w:t>{{decision.</w:t></w:r>"
        "<w:r><w:rPr><w:rStyle w:val=\"Hyperlink\"/></w:rPr><w:t>url}}</w:t></w:r>"
        "</w:hyperlink><w:r><w:t>.</w:t></w:r></w:p>",
        M("decision", M("url", S("https://example.org/?a=1&b=2"), NULL), NULL));
    CHECK_STR(out, "<w:p><w:r><w:t xml:space=\"preserve\">At </w:t></w:r><w:hyperlink "
                   "r:id=\"rId10\"><w:r><w:rPr><w:rStyle w:val=\"Hyperlink\"/></w:rPr>"
                   "<w:t xml:space=\"preserve\">https://example.org/?a=1&amp;b=2</w:t></w:r>"
                   "</w:hyperlink><w:r><w:t>.</w:t></w:r></w:p>");
}

static void deleted_text_and_field_codes_ignored(void)
{
    const char *out = render_body(
        "<w:p><w:del w:id=\"1\" w:author=\"A\"><w:r><w:delText>{{gone}}</w:delText></w:r></w:del>"
        "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText> PAGE {{x}} "
        "</w:instrText></w:r><w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>1</w:t>"
        "</w:r><w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p>",
        M("gone", S("NO"), NULL));
    CHECK_STR(out, "NO TAGS");
}

static void inline_section_in_one_run(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t xml:space=\"preserve\">Names: {{#people}}{{name}}, {{/people}}end</w:t>"
        "</w:r></w:p>",
        M("people", L(M("name", S("Ann"), NULL), M("name", S("Bob"), NULL), NULL), NULL));
    CHECK_STR(out, "<w:p><w:r><w:t xml:space=\"preserve\">Names: Ann, Bob, end</w:t></w:r></w:p>");
}

static void inline_section_across_runs_keeps_formatting(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t xml:space=\"preserve\">A {{#xs}}x</w:t></w:r><w:r><w:rPr><w:b/></w:rPr>"
        "<w:t xml:space=\"preserve\">bold{{/xs}} z</w:t></w:r></w:p>",
        M("xs", L(S("1"), S("2"), NULL), NULL));
    CHECK_STR(out, "<w:p><w:r><w:t xml:space=\"preserve\">A </w:t></w:r>"
                   "<w:r><w:t xml:space=\"preserve\">x</w:t></w:r><w:r><w:rPr><w:b/></w:rPr>"
                   "<w:t xml:space=\"preserve\">bold</w:t></w:r>"
                   "<w:r><w:t xml:space=\"preserve\">x</w:t></w:r><w:r><w:rPr><w:b/></w:rPr>"
                   "<w:t xml:space=\"preserve\">bold</w:t></w:r>"
                   "<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\"> z</w:t></w:r></w:p>");
}

/* ---- reaches ------------------------------------------------------------- */

#define NUMPR "<w:pPr><w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"3\"/></w:numPr></w:pPr>"

static void paragraph_section_over_list_items(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t>We ask:</w:t></w:r></w:p>"
        "<w:p w14:paraId=\"1A2B3C4D\"><w:r><w:t>{{#demands}}</w:t></w:r></w:p>"
        "<w:p w14:paraId=\"2A2B3C4D\">" NUMPR "<w:r><w:t>{{.}}</w:t></w:r></w:p>"
        "<w:p><w:r><w:t xml:space=\"preserve\"> {{/demands}} </w:t></w:r></w:p>"
        "<w:p><w:r><w:t>Thanks.</w:t></w:r></w:p>",
        M("demands", L(S("Grant asylum."), S("Stop removals."), NULL), NULL));
    CHECK_STR(out, "<w:p><w:r><w:t>We ask:</w:t></w:r></w:p>"
                   "<w:p>" NUMPR "<w:r><w:t xml:space=\"preserve\">Grant asylum.</w:t></w:r></w:p>"
                   "<w:p>" NUMPR "<w:r><w:t xml:space=\"preserve\">Stop removals.</w:t></w:r></w:p>"
                   "<w:p><w:r><w:t>Thanks.</w:t></w:r></w:p>");
}

static void empty_list_leaves_no_blank_paragraph(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t>{{^demands}}</w:t></w:r></w:p><w:p><w:r><w:t>None.</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{/demands}}</w:t></w:r></w:p><w:p><w:r><w:t>{{! a note }}</w:t>"
        "</w:r></w:p>",
        M("demands", L(NULL), NULL));
    CHECK_STR(out, "<w:p><w:r><w:t>None.</w:t></w:r></w:p>");
}

#define TBL_HEAD "<w:tbl><w:tblPr><w:tblW w:w=\"0\" w:type=\"auto\"/></w:tblPr><w:tblGrid/>"
#define HEAD_ROW "<w:tr><w:tc><w:p><w:r><w:t>Organisation</w:t></w:r></w:p></w:tc></w:tr>"

static void row_section(void)
{
    const char *out = render_body(
        TBL_HEAD HEAD_ROW
        "<w:tr><w:tc><w:p><w:r><w:t>{{#orgs}}{{name}}</w:t></w:r></w:p></w:tc>"
        "<w:tc><w:p><w:r><w:t>{{country}}{{/orgs}}</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
        "<w:p/>",
        M("orgs",
          L(M("name", S("Connection e.V."), "country", S("Germany"), NULL),
            M("name", S("Rights & Refuge"), "country", S("Poland"), NULL), NULL),
          NULL));
    CHECK_STR(out, TBL_HEAD HEAD_ROW
              "<w:tr><w:tc><w:p><w:r><w:t xml:space=\"preserve\">Connection e.V.</w:t></w:r>"
              "</w:p></w:tc><w:tc><w:p><w:r><w:t xml:space=\"preserve\">Germany</w:t></w:r>"
              "</w:p></w:tc></w:tr>"
              "<w:tr><w:tc><w:p><w:r><w:t xml:space=\"preserve\">Rights &amp; Refuge</w:t>"
              "</w:r></w:p></w:tc><w:tc><w:p><w:r><w:t xml:space=\"preserve\">Poland</w:t>"
              "</w:r></w:p></w:tc></w:tr></w:tbl><w:p/>");
}

static void two_row_section(void)
{
    const char *out = render_body(
        TBL_HEAD
        "<w:tr><w:tc><w:p><w:r><w:t>{{#annexes}}</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{title}}</w:t></w:r></w:p></w:tc></w:tr>"
        "<w:tr><w:tc><w:p><w:r><w:t>{{note}}</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{/annexes}}</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p/>",
        M("annexes",
          L(M("title", S("Decision"), "note", S("2 pages"), NULL),
            M("title", S("Report"), "note", S("14 pages"), NULL), NULL),
          NULL));
    CHECK_STR(out, TBL_HEAD
              "<w:tr><w:tc><w:p><w:r><w:t xml:space=\"preserve\">Decision</w:t></w:r></w:p>"
              "</w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t xml:space=\"preserve\">2 pages</w:t>"
              "</w:r></w:p></w:tc></w:tr>"
              "<w:tr><w:tc><w:p><w:r><w:t xml:space=\"preserve\">Report</w:t></w:r></w:p>"
              "</w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t xml:space=\"preserve\">14 pages</w:t>"
              "</w:r></w:p></w:tc></w:tr></w:tbl><w:p/>");
}

static void row_tag_alone_in_cell_keeps_its_paragraph(void)
{
    const char *out = render_body(
        TBL_HEAD
        "<w:tr><w:tc><w:p><w:pPr><w:jc w:val=\"right\"/></w:pPr><w:r><w:t>{{#xs}}</w:t></w:r>"
        "</w:p></w:tc><w:tc><w:p><w:r><w:t>{{.}}{{/xs}}</w:t></w:r></w:p></w:tc></w:tr>"
        "</w:tbl><w:p/>",
        M("xs", L(S("a"), NULL), NULL));
    CHECK_STR(out, TBL_HEAD "<w:tr><w:tc><w:p><w:pPr><w:jc w:val=\"right\"/></w:pPr></w:p>"
                            "</w:tc><w:tc><w:p><w:r><w:t xml:space=\"preserve\">a</w:t></w:r>"
                            "</w:p></w:tc></w:tr></w:tbl><w:p/>");
}

static void section_filling_a_cell_keeps_a_paragraph(void)
{
    const char *out = render_body(
        TBL_HEAD "<w:tr><w:tc><w:tcPr/><w:p><w:r><w:t>{{#xs}}</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{.}}</w:t></w:r></w:p><w:p><w:r><w:t>{{/xs}}</w:t></w:r></w:p>"
        "</w:tc></w:tr></w:tbl><w:p/>",
        M("xs", L(S("a"), S("b"), NULL), NULL));
    CHECK_STR(out, TBL_HEAD "<w:tr><w:tc><w:tcPr/>"
                            "<w:p><w:r><w:t xml:space=\"preserve\">a</w:t></w:r></w:p>"
                            "<w:p><w:r><w:t xml:space=\"preserve\">b</w:t></w:r></w:p>"
                            "</w:tc></w:tr></w:tbl><w:p/>");
    out = render_body(
        TBL_HEAD "<w:tr><w:tc><w:tcPr/><w:p><w:r><w:t>{{#xs}}</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{.}}</w:t></w:r></w:p><w:p><w:r><w:t>{{/xs}}</w:t></w:r></w:p>"
        "</w:tc></w:tr></w:tbl><w:p/>",
        M("xs", L(NULL), NULL));
    CHECK_STR(out, TBL_HEAD "<w:tr><w:tc><w:tcPr/><w:p/></w:tc></w:tr></w:tbl><w:p/>");
}

/* Every paragraph of the cell inside a nested section: the outer one shows,
 * the inner one does not, and the cell must still end with a paragraph. */
static void nested_sections_filling_a_cell_keep_a_paragraph(void)
{
    const char *out = render_body(
        TBL_HEAD "<w:tr><w:tc><w:p><w:r><w:t>{{#xs}}</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{#on}}</w:t></w:r></w:p><w:p><w:r><w:t>{{n}}</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{/on}}</w:t></w:r></w:p><w:p><w:r><w:t>{{/xs}}</w:t></w:r></w:p>"
        "</w:tc></w:tr></w:tbl><w:p/>",
        M("xs", L(M("n", S("a"), "on", value_new_bool(false), NULL), NULL), NULL));
    CHECK_STR(out, TBL_HEAD "<w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl><w:p/>");
}

static void tag_paragraph_with_section_break_stays(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t>{{#xs}}</w:t></w:r></w:p><w:p><w:r><w:t>{{.}}</w:t></w:r></w:p>"
        "<w:p><w:pPr><w:sectPr/></w:pPr><w:r><w:t>{{/xs}}</w:t></w:r></w:p>",
        M("xs", L(S("a"), S("b"), NULL), NULL));
    CHECK_STR(out, "<w:p><w:r><w:t xml:space=\"preserve\">a</w:t></w:r></w:p>"
                   "<w:p><w:r><w:t xml:space=\"preserve\">b</w:t></w:r></w:p>"
                   "<w:p><w:pPr><w:sectPr/></w:pPr></w:p>");
}

static void close_and_open_in_one_paragraph(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t>{{#a}}</w:t></w:r></w:p><w:p><w:r><w:t>A</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{/a}} {{#b}}</w:t></w:r></w:p><w:p><w:r><w:t>B</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{/b}}</w:t></w:r></w:p>",
        M("a", L(S("1"), S("2"), NULL), "b", S("yes"), NULL));
    CHECK_STR(out, "<w:p><w:r><w:t>A</w:t></w:r></w:p><w:p><w:r><w:t>A</w:t></w:r></w:p>"
                   "<w:p><w:r><w:t>B</w:t></w:r></w:p>");
}

static void nested_paragraph_sections(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t>{{#groups}}</w:t></w:r></w:p><w:p><w:r><w:t>{{name}}:</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{#members}}</w:t></w:r></w:p><w:p><w:r><w:t>- {{.}}</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{/members}}</w:t></w:r></w:p><w:p><w:r><w:t>{{/groups}}</w:t></w:r>"
        "</w:p>",
        M("groups",
          L(M("name", S("A"), "members", L(S("a1"), S("a2"), NULL), NULL),
            M("name", S("B"), "members", L(S("b1"), NULL), NULL), NULL),
          NULL));
    CHECK_STR(out, "<w:p><w:r><w:t xml:space=\"preserve\">A:</w:t></w:r></w:p>"
                   "<w:p><w:r><w:t xml:space=\"preserve\">- a1</w:t></w:r></w:p>"
                   "<w:p><w:r><w:t xml:space=\"preserve\">- a2</w:t></w:r></w:p>"
                   "<w:p><w:r><w:t xml:space=\"preserve\">B:</w:t></w:r></w:p>"
                   "<w:p><w:r><w:t xml:space=\"preserve\">- b1</w:t></w:r></w:p>");
}

static void comment_alone_in_a_cell(void)
{
    const char *out = render_body(TBL_HEAD "<w:tr><w:tc><w:p><w:r><w:t>{{! fill later }}</w:t>"
                                  "</w:r></w:p></w:tc></w:tr></w:tbl><w:p/>",
                                  M(NULL, NULL));
    CHECK_STR(out, TBL_HEAD "<w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl><w:p/>");
}

static void set_delimiters_paragraph_vanishes(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t>{{=&lt;% %&gt;=}}</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{kept}} &lt;%name%&gt;</w:t></w:r></w:p>",
        M("name", S("Ann"), NULL));
    CHECK_STR(out, "<w:p><w:r><w:t xml:space=\"preserve\">{{kept}} Ann</w:t></w:r></w:p>");
}

static void tag_alone_with_drawing_stays_outside_section(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t>{{#xs}}</w:t></w:r><w:r><w:drawing><wp:inline><wp:docPr id=\"1\" "
        "name=\"Logo\"/></wp:inline></w:drawing></w:r></w:p><w:p><w:r><w:t>{{.}}</w:t></w:r>"
        "</w:p><w:p><w:r><w:t>{{/xs}}</w:t></w:r></w:p>",
        M("xs", L(S("a"), S("b"), NULL), NULL));
    CHECK_STR(out, "<w:p><w:r><w:drawing><wp:inline><wp:docPr id=\"1\" name=\"Logo\"/>"
                   "</wp:inline></w:drawing></w:r></w:p>"
                   "<w:p><w:r><w:t xml:space=\"preserve\">a</w:t></w:r></w:p>"
                   "<w:p><w:r><w:t xml:space=\"preserve\">b</w:t></w:r></w:p>");
}

static void reach_error_names_both_places_and_fixes(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t>Dear {{#people}}</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{name}}</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{/people}}</w:t></w:r></w:p>",
        M("people", L(NULL), NULL));
    CHECK_STR(out, "ERROR: t.docx:word/document.xml:p1: {{#people}} and its closing tag "
                   "{{/people}} (p3) stand in different paragraphs, so casepack cannot tell what "
                   "to repeat. Put both tags in one paragraph to repeat text inside it; or put "
                   "each tag alone in its own paragraph, at the same level (not one in a table "
                   "or list and the other outside), to repeat the paragraphs between them; or "
                   "put them in rows of one table to repeat those rows");
}

static void tag_spanning_two_paragraphs(void)
{
    const char *out = render_body("<w:p><w:r><w:t>Dear {{appli</w:t></w:r></w:p>"
                                  "<w:p><w:r><w:t>cant.name}},</w:t></w:r></w:p>",
                                  M(NULL, NULL));
    CHECK_STR(out, "ERROR: t.docx:word/document.xml:p1: {{appli starts here but does not end "
                   "in this paragraph: a tag must start and end in the same paragraph (is its "
                   "closing }} missing?)");
}

static void unbalanced_sections(void)
{
    const char *out = render_body("<w:p><w:r><w:t>{{#a}}x{{/b}}</w:t></w:r></w:p>"
                                  "<w:p><w:r><w:t>{{/c}}</w:t></w:r></w:p>",
                                  M(NULL, NULL));
    CHECK_STR(out, "ERROR: t.docx:word/document.xml:p1: {{/b}} does not close {{#a}} (p1): "
                   "close the sections in the reverse order of opening them\n"
                   "t.docx:word/document.xml:p2: {{/c}} does not close {{#a}} (p1): close the "
                   "sections in the reverse order of opening them\n"
                   "t.docx:word/document.xml:p1: {{#a}} opens a section that is never closed: "
                   "add {{/a}} where the part to repeat ends");
}

/* ---- values -------------------------------------------------------------- */

static void value_with_newline_and_tab(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:rPr><w:i/></w:rPr><w:t xml:space=\"preserve\">To: {{addr}}.</w:t></w:r></w:p>",
        M("addr", S("Room 412\tFloor 4\nKyiv\n"), NULL));
    CHECK_STR(out, "<w:p><w:r><w:rPr><w:i/></w:rPr><w:t xml:space=\"preserve\">To: Room 412"
                   "</w:t><w:tab/><w:t xml:space=\"preserve\">Floor 4</w:t><w:br/>"
                   "<w:t xml:space=\"preserve\">Kyiv.</w:t></w:r></w:p>");
}

static void value_alone_splits_into_paragraphs(void)
{
    const char *out = render_body(
        "<w:p w14:paraId=\"0A0B0C0D\"><w:pPr><w:pStyle w:val=\"Body\"/></w:pPr><w:r>"
        "<w:rPr><w:sz w:val=\"24\"/></w:rPr><w:t>{{facts}}</w:t></w:r></w:p>",
        M("facts", S("He was beaten.\n\n\nThe police said:\n\xe2\x80\x9cno\xe2\x80\x9d\n"), NULL));
    CHECK_STR(out, "<w:p w14:paraId=\"0A0B0C0D\"><w:pPr><w:pStyle w:val=\"Body\"/></w:pPr><w:r>"
                   "<w:rPr><w:sz w:val=\"24\"/></w:rPr><w:t xml:space=\"preserve\">He was beaten."
                   "</w:t></w:r></w:p><w:p><w:pPr><w:pStyle w:val=\"Body\"/></w:pPr><w:r><w:rPr>"
                   "<w:sz w:val=\"24\"/></w:rPr><w:t xml:space=\"preserve\">The police said:"
                   "</w:t><w:br/><w:t xml:space=\"preserve\">\xe2\x80\x9cno\xe2\x80\x9d</w:t>"
                   "</w:r></w:p>");
}

static void escaping(void)
{
    const char *out = render_body("<w:p><w:r><w:t>{{a}}|{{{a}}}|{{&amp;a}}</w:t></w:r></w:p>",
                                  M("a", S("& < > \" '"), NULL));
    CHECK_STR(out, "<w:p><w:r><w:t xml:space=\"preserve\">&amp; &lt; &gt; &quot; &apos;|"
                   "&amp; &lt; &gt; &quot; &apos;|&amp; &lt; &gt; &quot; &apos;</w:t></w:r>"
                   "</w:p>");
}

/* The part already says casepack, casepack7, casepack12345678901234567890 (a
 * run of digits too long for a number): markers must take a name none of
 * them starts with, found in one pass however many there are. */
static void marker_names_absent_from_the_part(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t>casepack casepack7 casepack12345678901234567890 {{a}}</w:t></w:r></w:p>"
        "<w:p w14:paraId=\"casepack8_1\"><w:r><w:t>{{#xs}}x{{/xs}}</w:t></w:r></w:p>",
        M("a", S("v"), "xs", L(S("1"), S("2"), NULL), NULL));
    CHECK_STR(out, "<w:p><w:r><w:t xml:space=\"preserve\">casepack casepack7 "
                   "casepack12345678901234567890 v</w:t></w:r></w:p>"
                   "<w:p w14:paraId=\"casepack8_1\"><w:r><w:t xml:space=\"preserve\">xx</w:t>"
                   "</w:r></w:p>");
}

static void forbidden_control_character(void)
{
    const char *out = render_body("<w:p><w:r><w:t>Name: {{name}}</w:t></w:r></w:p>",
                                  M("name", S("Mark\x07Vetrov"), NULL));
    CHECK_STR(out, "ERROR: t.docx:word/document.xml:p1: the value of {{name}} holds the control "
                   "character U+0007 (after \"Mark\"), which a document cannot hold: remove it "
                   "from the data");
}

/* ---- ids ----------------------------------------------------------------- */

static void repeated_image_gets_fresh_ids(void)
{
    const char *out = render_body(
        "<w:p><w:r><w:t>{{#photos}}</w:t></w:r></w:p>"
        "<w:p w14:paraId=\"11111111\" w14:textId=\"22222222\"><w:bookmarkStart w:id=\"3\" "
        "w:name=\"Photo\"/><w:r><w:drawing><wp:inline><wp:docPr id=\"5\" name=\"Picture 1\"/>"
        "</wp:inline></w:drawing></w:r><w:bookmarkEnd w:id=\"3\"/><w:r><w:t>{{caption}}</w:t>"
        "</w:r></w:p><w:p><w:r><w:t>{{/photos}}</w:t></w:r></w:p>"
        "<w:p><w:r><w:drawing><wp:inline><wp:docPr id=\"9\" name=\"Logo\"/></wp:inline>"
        "</w:drawing></w:r></w:p>",
        M("photos", L(M("caption", S("one"), NULL), M("caption", S("two"), NULL), NULL), NULL));
    CHECK_STR(out, "<w:p><w:bookmarkStart w:id=\"10\" w:name=\"Photo_10\"/><w:r><w:drawing>"
                   "<wp:inline><wp:docPr id=\"11\" name=\"Picture 1\"/></wp:inline></w:drawing>"
                   "</w:r><w:bookmarkEnd w:id=\"10\"/><w:r><w:t xml:space=\"preserve\">one</w:t>"
                   "</w:r></w:p>"
                   "<w:p><w:bookmarkStart w:id=\"12\" w:name=\"Photo_12\"/><w:r><w:drawing>"
                   "<wp:inline><wp:docPr id=\"13\" name=\"Picture 1\"/></wp:inline></w:drawing>"
                   "</w:r><w:bookmarkEnd w:id=\"12\"/><w:r><w:t xml:space=\"preserve\">two</w:t>"
                   "</w:r></w:p>"
                   "<w:p><w:r><w:drawing><wp:inline><wp:docPr id=\"9\" name=\"Logo\"/>"
                   "</wp:inline></w:drawing></w:r></w:p>");
}

/* ---- hostile and broken parts -------------------------------------------- */

static const char *compile_errors(const char *xml)
{
    doc_options opt = doc_default_options();
    diag *d = diag_new();
    xp_compiler *c = xp_compiler_new(&docx_dialect, "t.docx", &opt);
    tpl_program *p = NULL;
    bool ok = xp_compile_part(c, "word/document.xml", xml, strlen(xml), &p, d);
    xp_contexts_free(xp_compiler_finish(c));
    tpl_free(p);
    const char *m = ok ? "OK" : messages(d);
    diag_free(d);
    return m;
}

static void dtd_rejected(void)
{
    CHECK_STR(compile_errors("<?xml version=\"1.0\"?>\n<!-- hi -->\n<!DOCTYPE w:document [\n"
                             "<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>\n"
                             "<w:document " NS "><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r>"
                             "</w:p></w:body></w:document>"),
              "t.docx:word/document.xml: contains a DTD (<!DOCTYPE …>), which casepack refuses "
              "for safety; open and save the document again in Word or LibreOffice");
    CHECK_STR(compile_errors("<?xml version=\"1.0\"?><!DOCTYPE x SYSTEM \"file:///etc/passwd\">"
                             "<x/>"),
              "t.docx:word/document.xml: contains a DTD (<!DOCTYPE …>), which casepack refuses "
              "for safety; open and save the document again in Word or LibreOffice");
}

static void malformed_part(void)
{
    CHECK_STR(compile_errors("<w:document " NS ">\n<w:body><w:p></w:body></w:document>"),
              "t.docx:word/document.xml: is not well-formed XML (line 2: Opening and ending "
              "tag mismatch: p line 2 and body); the file is damaged: open and save it again in "
              "Word or LibreOffice");
    CHECK_STR(compile_errors("<w:document " NS "><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p>"
                             "</w:body></w:document>"),
              "t.docx:word/document.xml: is not well-formed XML (line 1: Entity 'xxe' not "
              "defined); the file is damaged: open and save it again in Word or LibreOffice");
}

static void depth_limit(void)
{
    buf b = {0};
    buf_adds(&b, "<w:document " NS "><w:body>");
    for (int i = 0; i < 300; i++)
        buf_adds(&b, "<w:sdt>");
    for (int i = 0; i < 300; i++)
        buf_adds(&b, "</w:sdt>");
    buf_adds(&b, "</w:body></w:document>");
    keep(b.data);
    CHECK_STR(compile_errors(b.data),
              "t.docx:word/document.xml: nests elements more than 256 deep, more than casepack "
              "allows; raise the limit with --max-xml-depth if the document is genuine");
}

/* ---- packages ------------------------------------------------------------ */

#define CT_HEAD                                                                                 \
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types "                     \
    "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default "          \
    "Extension=\"xml\" ContentType=\"application/xml\"/>"
#define WML "application/vnd.openxmlformats-officedocument.wordprocessingml."

static void add(zipio_writer *w, const char *name, const char *text)
{
    zipio_add(w, name, text, strlen(text), false, 6);
}

/* A package: content types, a body, a header named header.xml (no number),
 * core properties, and a styles part that must come through untouched. */
static buf make_package(const char *main_type, bool with_main)
{
    zipio_writer *w = zipio_writer_new(315532800);
    char *ct = xasprintf(CT_HEAD "<Override PartName=\"/word/document.xml\" ContentType=\"%s\"/>"
                                 "<Override PartName=\"/word/header.xml\" ContentType=\"" WML
                                 "header+xml\"/><Override PartName=\"/docProps/core.xml\" "
                                 "ContentType=\"application/vnd.openxmlformats-package.core-"
                                 "properties+xml\"/></Types>",
                         main_type);
    add(w, "[Content_Types].xml", ct);
    free(ct);
    if (with_main)
        add(w, "word/document.xml", HEAD "<w:p><w:r><w:t>Dear {{name}},</w:t></w:r></w:p>" TAIL);
    add(w, "word/styles.xml", "<w:styles " NS "><!-- {{name}} stays --></w:styles>");
    add(w, "word/header.xml", "<w:hdr " NS "><w:p><w:r><w:t>{{org}}</w:t></w:r></w:p></w:hdr>");
    add(w, "docProps/core.xml",
        "<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/"
        "core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>Letter to "
        "{{name}}</dc:title></cp:coreProperties>");
    buf out = {0};
    diag *d = diag_new();
    zipio_writer_finish(w, &out, d);
    zipio_writer_free(w);
    diag_free(d);
    return out;
}

static const char *entry_text(zipio_reader *r, const char *name)
{
    long i = zipio_find(r, name);
    if (i < 0)
        return "(missing)";
    buf b = {0};
    diag *d = diag_new();
    zipio_read(r, (size_t)i, &b, d);
    diag_free(d);
    return keep(b.data ? buf_steal(&b) : xstrdup(""));
}

static const char *after_decl(const char *xml)
{
    const char *nl = strchr(xml, '\n');
    return nl ? nl + 1 : xml;
}

static void package_parts(void)
{
    buf in = make_package(WML "template.main+xml", true);
    keep(in.data);
    doc_options opt = doc_default_options();
    diag *d = diag_new();
    zipio_reader *zr = zipio_open_memory(in.data, in.len, "t.dotx", &opt.zip, d);
    CHECK(zr != NULL);
    docx_template *t = docx_compile(zr, "t.dotx", &opt, d);
    CHECK(t != NULL);
    value *data = keepv(M("name", S("Ann & Bob"), "org", S("Refuge"), NULL));
    render_options ro = {0};
    buf out = {0};
    bool ok = docx_render(t, data, &ro, &out, d);
    keep(out.data);
    docx_free(t);
    CHECK(ok);
    zipio_reader *r = zipio_open_memory(out.data, out.len, "out.docx", &opt.zip, d);
    CHECK(r != NULL);
    CHECK_INT(zipio_count(r), 5);
    CHECK_STR(zipio_name(r, 0), "[Content_Types].xml");
    CHECK_STR(zipio_name(r, 1), "word/document.xml");
    CHECK_STR(zipio_name(r, 2), "word/styles.xml");
    CHECK_STR(zipio_name(r, 3), "word/header.xml");
    CHECK_STR(zipio_name(r, 4), "docProps/core.xml");
    CHECK(strstr(entry_text(r, "[Content_Types].xml"), WML "document.main+xml") != NULL);
    CHECK(strstr(entry_text(r, "[Content_Types].xml"), "template") == NULL);
    CHECK_STR(after_decl(entry_text(r, "word/document.xml")),
              "<w:document " NS "><w:body><w:p><w:r><w:t xml:space=\"preserve\">Dear Ann &amp; "
              "Bob,</w:t></w:r></w:p></w:body></w:document>\n");
    CHECK_STR(entry_text(r, "word/styles.xml"),
              "<w:styles " NS "><!-- {{name}} stays --></w:styles>");
    CHECK_STR(after_decl(entry_text(r, "word/header.xml")),
              "<w:hdr " NS "><w:p><w:r><w:t xml:space=\"preserve\">Refuge</w:t></w:r></w:p>"
              "</w:hdr>\n");
    CHECK(strstr(entry_text(r, "docProps/core.xml"),
                 "<dc:title>Letter to Ann &amp; Bob</dc:title>") != NULL);
    zipio_close(r);
    CHECK_INT(diag_count(d), 0);
    diag_free(d);
}

/* Tags in the body, the header and the core properties, in that order. */
static void each_tag_fn(void *ud, tpl_tag_kind kind, const char *body, const char *path,
                        const diag_place *where)
{
    (void)kind;
    (void)body;
    buf_printf(ud, "%s:p%u:%s;", where->part, where->para, path ? path : "-");
}

static void package_fields_in_order(void)
{
    buf in = make_package(WML "document.main+xml", true);
    keep(in.data);
    doc_options opt = doc_default_options();
    diag *d = diag_new();
    zipio_reader *zr = zipio_open_memory(in.data, in.len, "t.docx", &opt.zip, d);
    CHECK(zr != NULL);
    docx_template *t = docx_compile(zr, "t.docx", &opt, d);
    CHECK(t != NULL);
    buf b = {0};
    docx_each_tag(t, each_tag_fn, &b);
    docx_free(t);
    keep(b.data);
    CHECK_STR(b.data, "word/document.xml:p1:name;word/header.xml:p1:org;docProps/core.xml:p1:name;");
    diag_free(d);
}

static void package_without_main_part(void)
{
    buf in = make_package(WML "document.main+xml", false);
    keep(in.data);
    doc_options opt = doc_default_options();
    diag *d = diag_new();
    zipio_reader *zr = zipio_open_memory(in.data, in.len, "t.docx", &opt.zip, d);
    CHECK(zr != NULL);
    CHECK(docx_compile(zr, "t.docx", &opt, d) == NULL);
    CHECK_STR(messages(d), "t.docx: is not a Word document: it has no main document part "
                           "(word/document.xml); save it again from Word or LibreOffice as .docx");
    diag_free(d);
}

UNIT_MAIN("docx", UNIT(split_over_five_runs), UNIT(curly_quotes_in_filter_argument),
          UNIT(tag_inside_hyperlink), UNIT(deleted_text_and_field_codes_ignored),
          UNIT(inline_section_in_one_run), UNIT(inline_section_across_runs_keeps_formatting),
          UNIT(paragraph_section_over_list_items), UNIT(empty_list_leaves_no_blank_paragraph),
          UNIT(row_section), UNIT(two_row_section), UNIT(row_tag_alone_in_cell_keeps_its_paragraph),
          UNIT(section_filling_a_cell_keeps_a_paragraph),
          UNIT(nested_sections_filling_a_cell_keep_a_paragraph),
          UNIT(tag_paragraph_with_section_break_stays), UNIT(close_and_open_in_one_paragraph),
          UNIT(nested_paragraph_sections), UNIT(comment_alone_in_a_cell),
          UNIT(set_delimiters_paragraph_vanishes),
          UNIT(tag_alone_with_drawing_stays_outside_section),
          UNIT(reach_error_names_both_places_and_fixes), UNIT(tag_spanning_two_paragraphs),
          UNIT(unbalanced_sections), UNIT(value_with_newline_and_tab),
          UNIT(value_alone_splits_into_paragraphs), UNIT(escaping),
          UNIT(marker_names_absent_from_the_part),
          UNIT(forbidden_control_character), UNIT(repeated_image_gets_fresh_ids),
          UNIT(dtd_rejected), UNIT(malformed_part), UNIT(depth_limit), UNIT(package_parts),
          UNIT(package_fields_in_order), UNIT(package_without_main_part))
