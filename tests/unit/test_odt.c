/* Unit tests for the OpenDocument adapter (odt.c over xmlpart.c): small
 * content.xml and meta.xml parts built here are compiled through the part
 * compiler and rendered against value trees built in C, the exact XML out
 * compared; then whole packages: mimetype first and stored, templates
 * (.ott) rendered as documents, flat ODT. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "doc.h"
#include "odt.h"
#include "render.h"
#include "unit.h"
#include "util.h"
#include "value.h"
#include "xmlpart.h"
#include "zipio.h"

#define NS                                                                                     \
    "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "                      \
    "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "                          \
    "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" "                        \
    "xmlns:draw=\"urn:oasis:names:tc:opendocument:xmlns:drawing:1.0\" "                       \
    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\""
#define HEAD                                                                                   \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content " NS                 \
    " office:version=\"1.3\"><office:body><office:text>"
#define TAIL "</office:text></office:body></office:document-content>"

/* Everything a test makes lives until exit, so a failing CHECK leaks nothing. */
static void *pool[4096];
static size_t n_pool;
static value *vpool[1024];
static size_t n_vpool;
static bool registered;

static void pool_release(void)
{
    while (n_pool > 0)
        free(pool[--n_pool]);
    while (n_vpool > 0)
        value_free(vpool[--n_vpool]);
}

static void registered_once(void)
{
    if (!registered)
        atexit(pool_release);
    registered = true;
}

static void *keep(void *p)
{
    registered_once();
    if (n_pool == sizeof pool / sizeof pool[0])
        abort();
    pool[n_pool++] = p;
    return p;
}

static value *keepv(value *v)
{
    registered_once();
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

/* Compiles xml as part and renders it over data (consumed): the output
 * between from and to, or "ERROR: " and the messages. */
static const char *render_part(const char *part, const char *xml, value *data, const char *from,
                               const char *to)
{
    keepv(data);
    doc_options opt = doc_default_options();
    diag *d = diag_new();
    xp_compiler *c = xp_compiler_new(&odt_dialect, "t.odt", &opt);
    tpl_program *p = NULL;
    bool ok = xp_compile_part(c, part, xml, strlen(xml), &p, d);
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
            const char *s = strstr(out.data, from);
            const char *e = strstr(out.data, to);
            result = s && e ? keep(xstrndup(s + strlen(from), (size_t)(e - s - strlen(from))))
                            : keep(xstrdup(out.data));
        }
        buf_free(&out);
        xp_sink_free(&sink);
    }
    tpl_free(p);
    xp_contexts_free(cx);
    diag_free(d);
    return result;
}

static const char *render_body(const char *body, value *data)
{
    char *xml = keep(xasprintf(HEAD "%s" TAIL, body));
    return render_part("content.xml", xml, data, "<office:text>", "</office:text>");
}

/* ---- finding tags -------------------------------------------------------- */

static void tag_split_over_spans(void)
{
    const char *out = render_body(
        "<text:p text:style-name=\"P1\">Dear <text:span text:style-name=\"T1\">{{appl</text:span>"
        "<text:soft-page-break/>ic<text:bookmark text:name=\"b\"/>ant.<text:span "
        "text:style-name=\"T2\">name}}</text:span>, hello</text:p>",
        M("applicant", M("name", S("Mark Vetrov"), NULL), NULL));
    CHECK_STR(out, "<text:p text:style-name=\"P1\">Dear <text:span text:style-name=\"T1\">Mark "
                   "Vetrov</text:span><text:soft-page-break/><text:bookmark text:name=\"b\"/>, "
                   "hello</text:p>");
}

static void spaces_element_inside_tag(void)
{
    const char *out = render_body(
        "<text:p>{{name |<text:s text:c=\"2\"/>upper}} and <text:s/>{{x}}</text:p>",
        M("name", S("Olena"), "x", S("y"), NULL));
    CHECK_STR(out, "<text:p>OLENA and <text:s/>y</text:p>");
}

static void tracked_changes_and_annotations_ignored(void)
{
    const char *out = render_body(
        "<text:tracked-changes><text:changed-region text:id=\"ct1\"><text:deletion>"
        "<text:p>{{gone}}</text:p></text:deletion></text:changed-region></text:tracked-changes>"
        "<text:p>A<office:annotation><dc:creator>O</dc:creator><text:p>{{note}}</text:p>"
        "</office:annotation>{{x}}</text:p>",
        M("x", S("B"), NULL));
    CHECK_STR(out, "<text:tracked-changes><text:changed-region text:id=\"ct1\"><text:deletion>"
                   "<text:p>{{gone}}</text:p></text:deletion></text:changed-region>"
                   "</text:tracked-changes><text:p>A<office:annotation><dc:creator>O"
                   "</dc:creator><text:p>{{note}}</text:p></office:annotation>B</text:p>");
}

/* ---- reaches ------------------------------------------------------------- */

static void list_items_repeat(void)
{
    const char *out = render_body(
        "<text:list text:style-name=\"L1\"><text:list-item><text:p>{{#demands}}</text:p>"
        "</text:list-item><text:list-item><text:p text:style-name=\"P3\" xml:id=\"p9\">{{.}}"
        "</text:p></text:list-item><text:list-item><text:p>{{/demands}}</text:p>"
        "</text:list-item></text:list>",
        M("demands", L(S("Grant asylum."), S("Stop removals."), NULL), NULL));
    CHECK_STR(out, "<text:list text:style-name=\"L1\"><text:list-item><text:p "
                   "text:style-name=\"P3\">Grant asylum.</text:p></text:list-item>"
                   "<text:list-item><text:p text:style-name=\"P3\">Stop removals.</text:p>"
                   "</text:list-item></text:list>");
}

static void row_section(void)
{
    const char *out = render_body(
        "<table:table table:name=\"T\"><table:table-column/><table:table-row><table:table-cell>"
        "<text:p>{{#orgs}}{{name}}</text:p></table:table-cell><table:table-cell><text:p>"
        "{{country}}{{/orgs}}</text:p></table:table-cell></table:table-row></table:table>",
        M("orgs",
          L(M("name", S("A & B"), "country", S("DE"), NULL),
            M("name", S("C"), "country", S("PL"), NULL), NULL),
          NULL));
    CHECK_STR(out, "<table:table table:name=\"T\"><table:table-column/><table:table-row>"
                   "<table:table-cell><text:p>A &amp; B</text:p></table:table-cell>"
                   "<table:table-cell><text:p>DE</text:p></table:table-cell></table:table-row>"
                   "<table:table-row><table:table-cell><text:p>C</text:p></table:table-cell>"
                   "<table:table-cell><text:p>PL</text:p></table:table-cell></table:table-row>"
                   "</table:table>");
}

static void reach_error(void)
{
    const char *out = render_body(
        "<text:p>{{#xs}}</text:p><text:list><text:list-item><text:p>{{/xs}}</text:p>"
        "<text:p>more</text:p></text:list-item></text:list>",
        M(NULL, NULL));
    CHECK_STR(out, "ERROR: t.odt:content.xml:p1: {{#xs}} and its closing tag {{/xs}} (p2) stand "
                   "in different paragraphs, so casepack cannot tell what to repeat. Put both "
                   "tags in one paragraph to repeat text inside it; or put each tag alone in its "
                   "own paragraph, at the same level (not one in a table or list and the other "
                   "outside), to repeat the paragraphs between them; or put them in rows of one "
                   "table to repeat those rows");
}

/* ---- values -------------------------------------------------------------- */

static void value_tabs_breaks_spaces(void)
{
    const char *out = render_body(
        "<text:p text:style-name=\"P1\">To: <text:span text:style-name=\"T1\">{{a}}</text:span>"
        ".</text:p>",
        M("a", S("Room  412\tFloor    4\nKyiv <x> & 'y'"), NULL));
    CHECK_STR(out, "<text:p text:style-name=\"P1\">To: <text:span text:style-name=\"T1\">Room "
                   "<text:s text:c=\"1\"/>412<text:tab/>Floor <text:s text:c=\"3\"/>4"
                   "<text:line-break/>Kyiv &lt;x&gt; &amp; &apos;y&apos;</text:span>.</text:p>");
}

static void value_alone_splits_into_paragraphs(void)
{
    const char *out = render_body(
        "<text:p text:style-name=\"Body\" xml:id=\"id1\"><text:span text:style-name=\"T1\">"
        "{{facts}}</text:span></text:p>",
        M("facts", S("One.\n\nTwo.\n"), NULL));
    CHECK_STR(out, "<text:p text:style-name=\"Body\" xml:id=\"id1\"><text:span "
                   "text:style-name=\"T1\">One.</text:span></text:p><text:p "
                   "text:style-name=\"Body\"><text:span text:style-name=\"T1\">Two.</text:span>"
                   "</text:p>");
}

static void forbidden_character(void)
{
    const char *out = render_body("<text:p>{{a}}</text:p>", M("a", S("x\xef\xbf\xbey"), NULL));
    CHECK_STR(out, "ERROR: t.odt:content.xml:p1: the value of {{a}} holds the control character "
                   "U+FFFE (after \"x\"), which a document cannot hold: remove it from the data");
}

static void meta_is_plain_text(void)
{
    const char *xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-meta " NS
                      "><office:meta><meta:generator xmlns:meta=\"urn:x\">LO</meta:generator>"
                      "<dc:title>{{title}}</dc:title><dc:subject>{{#a}}[{{.}}]{{/a}}</dc:subject>"
                      "</office:meta></office:document-meta>";
    const char *out = render_part("meta.xml", xml,
                                  M("title", S("A & B\tC\n"), "a", L(S("1"), S("2"), NULL), NULL),
                                  "<office:meta>", "</office:meta>");
    CHECK_STR(out, "<meta:generator xmlns:meta=\"urn:x\">LO</meta:generator><dc:title>A &amp; "
                   "B\tC\n</dc:title><dc:subject>[1][2]</dc:subject>");
}

/* ---- ids ----------------------------------------------------------------- */

static void repeated_bookmarks_and_frames_renamed(void)
{
    const char *out = render_body(
        "<text:p>{{#xs}}</text:p><text:p xml:id=\"a1\"><text:bookmark-start text:name=\"B\"/>"
        "{{.}}<text:bookmark-end text:name=\"B\"/><draw:frame draw:name=\"Image1\"/></text:p>"
        "<text:p>{{/xs}}</text:p>",
        M("xs", L(S("one"), S("two"), NULL), NULL));
    CHECK_STR(out, "<text:p><text:bookmark-start text:name=\"B_1\"/>one<text:bookmark-end "
                   "text:name=\"B_1\"/><draw:frame draw:name=\"Image1_2\"/></text:p>"
                   "<text:p><text:bookmark-start text:name=\"B_3\"/>two<text:bookmark-end "
                   "text:name=\"B_3\"/><draw:frame draw:name=\"Image1_4\"/></text:p>");
}

/* ---- packages ------------------------------------------------------------ */

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

/* A package with the given mimetype (NULL: none), entries out of the usual
 * order, and one tag in content.xml. */
static buf make_package(const char *mimetype)
{
    zipio_writer *w = zipio_writer_new(315532800);
    zipio_add(w, "META-INF/manifest.xml",
              "<manifest:manifest><manifest:file-entry manifest:full-path=\"/\" "
              "manifest:media-type=\"application/vnd.oasis.opendocument.text-template\"/>"
              "</manifest:manifest>",
              strlen("<manifest:manifest><manifest:file-entry manifest:full-path=\"/\" "
                     "manifest:media-type=\"application/vnd.oasis.opendocument.text-template\"/>"
                     "</manifest:manifest>"),
              false, 6);
    if (mimetype)
        zipio_add(w, "mimetype", mimetype, strlen(mimetype), true, 0);
    const char *content = HEAD "<text:p>Hello {{name}}</text:p>" TAIL;
    zipio_add(w, "content.xml", content, strlen(content), false, 6);
    zipio_add(w, "Pictures/x.png", "PNG", 3, true, 0);
    buf out = {0};
    diag *d = diag_new();
    zipio_writer_finish(w, &out, d);
    zipio_writer_free(w);
    diag_free(d);
    return out;
}

static void package_mimetype_first_and_stored(void)
{
    buf in = make_package("application/vnd.oasis.opendocument.text-template");
    keep(in.data);
    doc_options opt = doc_default_options();
    diag *d = diag_new();
    zipio_reader *zr = zipio_open_memory(in.data, in.len, "t.ott", &opt.zip, d);
    CHECK(zr != NULL);
    odt_template *t = odt_compile(zr, "t.ott", &opt, d);
    CHECK(t != NULL);
    value *data = keepv(M("name", S("Світ"), NULL));
    render_options ro = {0};
    buf out = {0};
    CHECK(odt_render(t, data, &ro, &out, d));
    keep(out.data);
    odt_free(t);
    /* The first local header: stored (method 0), named mimetype, the text type. */
    CHECK(out.len > 38 && memcmp(out.data, "PK\x03\x04", 4) == 0);
    CHECK_INT((unsigned char)out.data[8] | (unsigned char)out.data[9] << 8, 0);
    CHECK(memcmp(out.data + 30, "mimetype", 8) == 0);
    zipio_reader *r = zipio_open_memory(out.data, out.len, "out.odt", &opt.zip, d);
    CHECK(r != NULL);
    CHECK_INT(zipio_count(r), 4);
    CHECK_STR(zipio_name(r, 0), "mimetype");
    CHECK_STR(zipio_name(r, 1), "META-INF/manifest.xml");
    CHECK_STR(zipio_name(r, 2), "content.xml");
    CHECK_STR(zipio_name(r, 3), "Pictures/x.png");
    CHECK_STR(entry_text(r, "mimetype"), "application/vnd.oasis.opendocument.text");
    CHECK(strstr(entry_text(r, "META-INF/manifest.xml"),
                 "manifest:media-type=\"application/vnd.oasis.opendocument.text\"") != NULL);
    CHECK(strstr(entry_text(r, "content.xml"), "<text:p>Hello Світ</text:p>") != NULL);
    CHECK_STR(entry_text(r, "Pictures/x.png"), "PNG");
    zipio_close(r);
    CHECK_INT(diag_count(d), 0);
    diag_free(d);
}

static void package_of_another_kind(void)
{
    buf in = make_package("application/vnd.oasis.opendocument.spreadsheet");
    keep(in.data);
    doc_options opt = doc_default_options();
    diag *d = diag_new();
    zipio_reader *zr = zipio_open_memory(in.data, in.len, "t.odt", &opt.zip, d);
    CHECK(zr != NULL);
    CHECK(odt_compile(zr, "t.odt", &opt, d) == NULL);
    CHECK_STR(messages(d), "t.odt: is an OpenDocument file of another kind "
                           "(application/vnd.oasis.opendocument.spreadsheet), not a text "
                           "document: save it from LibreOffice Writer as .odt");
    diag_free(d);
}

static void flat_odt(void)
{
    const char *xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document " NS
                      " office:mimetype=\"application/vnd.oasis.opendocument.text\"><office:meta>"
                      "<dc:title>{{t}}</dc:title></office:meta><office:master-styles>"
                      "<style:master-page xmlns:style=\"urn:s\"><style:header><text:p>{{t}}"
                      "</text:p></style:header></style:master-page></office:master-styles>"
                      "<office:body><office:text><text:p>{{t}}</text:p></office:text>"
                      "</office:body></office:document>";
    doc_options opt = doc_default_options();
    diag *d = diag_new();
    odt_template *t = odt_compile_flat(xml, strlen(xml), "t.fodt", &opt, d);
    CHECK(t != NULL);
    value *data = keepv(M("t", S("X<Y"), NULL));
    render_options ro = {0};
    buf out = {0};
    bool ok = odt_render(t, data, &ro, &out, d);
    keep(out.data);
    odt_free(t);
    CHECK(ok);
    CHECK_STR(strchr(out.data, '\n') + 1,
              "<office:document " NS " office:mimetype=\"application/vnd.oasis.opendocument.text\">"
              "<office:meta><dc:title>X&lt;Y</dc:title></office:meta><office:master-styles>"
              "<style:master-page xmlns:style=\"urn:s\"><style:header><text:p>X&lt;Y</text:p>"
              "</style:header></style:master-page></office:master-styles><office:body>"
              "<office:text><text:p>X&lt;Y</text:p></office:text></office:body>"
              "</office:document>\n");
    diag_free(d);
}

static void flat_odt_errors_name_the_file(void)
{
    const char *xml = "<office:document " NS "><office:body><office:text><text:p>{{a</text:p>"
                      "</office:text></office:body></office:document>";
    doc_options opt = doc_default_options();
    diag *d = diag_new();
    CHECK(odt_compile_flat(xml, strlen(xml), "t.fodt", &opt, d) == NULL);
    CHECK_STR(messages(d), "t.fodt:p1: {{a starts here but does not end in this paragraph: a "
                           "tag must start and end in the same paragraph (is its closing }} "
                           "missing?)");
    diag_free(d);
}

UNIT_MAIN("odt", UNIT(tag_split_over_spans), UNIT(spaces_element_inside_tag),
          UNIT(tracked_changes_and_annotations_ignored), UNIT(list_items_repeat), UNIT(row_section),
          UNIT(reach_error), UNIT(value_tabs_breaks_spaces),
          UNIT(value_alone_splits_into_paragraphs), UNIT(forbidden_character),
          UNIT(meta_is_plain_text), UNIT(repeated_bookmarks_and_frames_renamed),
          UNIT(package_mimetype_first_and_stored), UNIT(package_of_another_kind), UNIT(flat_odt),
          UNIT(flat_odt_errors_name_the_file))
