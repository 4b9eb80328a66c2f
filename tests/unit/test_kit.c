/* Unit tests for the legal layer: citations through doc_render (doc.c's
 * record of what a document cites: order of first use, pinpoints, the
 * authorities list wherever it stands, warnings once per key, unknown keys,
 * XML escaping in a DOCX, Ukrainian forms, many threads), and kits (kit.c:
 * kit.yaml's fields and every loading error with its place, templates,
 * schema, defaults, finding and listing). Files are written to a scratch
 * folder the tests work in, removed at exit. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cite.h"
#include "diag.h"
#include "doc.h"
#include "kit.h"
#include "load.h"
#include "schema.h"
#include "unit.h"
#include "util.h"
#include "value.h"
#include "zipio.h"

/* ---- scratch files and things kept until exit ---------------------------- */

static char scratch_dir[] = "/tmp/cp-kit-XXXXXX";
static char *made[128]; /* files and folders, in the order made */
static size_t n_made;
static void *kept[256];
static size_t n_kept;

static void release(void)
{
    while (n_made) {
        char *p = made[--n_made];
        if (unlink(p) != 0)
            rmdir(p);
        free(p);
    }
    rmdir(scratch_dir);
    while (n_kept)
        free(kept[--n_kept]);
}

static const char *keep(char *s)
{
    if (n_kept == sizeof kept / sizeof kept[0])
        abort();
    return kept[n_kept++] = s;
}

/* Works inside the scratch folder, so paths in messages are short. */
static void scratch_enter(void)
{
    static bool entered;
    if (entered)
        return;
    if (!mkdtemp(scratch_dir) || chdir(scratch_dir) != 0)
        abort();
    entered = true;
    atexit(release);
}

static void remember(const char *path)
{
    if (n_made == sizeof made / sizeof made[0])
        abort();
    made[n_made++] = xstrdup(path);
}

static void folder(const char *path)
{
    scratch_enter();
    if (mkdir(path, 0755) == 0)
        remember(path);
}

static void file(const char *path, const char *text)
{
    scratch_enter();
    struct stat st;
    bool existed = stat(path, &st) == 0;
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
    if (!existed)
        remember(path);
}

static const char *messages(diag *d)
{
    buf b = {0};
    for (size_t i = 0; i < diag_count(d); i++)
        buf_printf(&b, "%s%s%s", i ? "\n" : "",
                   diag_get(d, i)->level == DIAG_WARNING ? "warning: " : "", diag_get(d, i)->text);
    return keep(b.data ? buf_steal(&b) : xstrdup(""));
}

/* ---- citations through doc_render ---------------------------------------- */

static const char *const LIBRARY =
    "A-V:\n"
    "  kind: treaty\n"
    "  title: \"Treaty & Protocol\"\n"
    "  short: \"Treaty, Art. 1\"\n"
    "  pinpoint: \"Art. 1\"\n"
    "  date: \"1951-07-28\"\n"
    "  source: \"https://example.org/a?x=1&y=2\"\n"
    "  summary: One line.\n"
    "  status: verified\n"
    "B-P:\n"
    "  title: Handbook\n"
    "  title_uk: Настанова з процедур\n"
    "  short: Handbook\n"
    "  short_uk: Настанова\n"
    "  source_note: address not opened\n"
    "  status: partly\n"
    "C-U:\n"
    "  title: Unverified thing\n"
    "  short: UT\n"
    "  status: unverified\n";

static cite_library *library(void)
{
    static cite_library *lib;
    if (!lib) {
        file("lib.yaml", LIBRARY);
        diag *d = diag_new();
        lib = cite_new();
        if (!cite_add_file(lib, "lib.yaml", d))
            abort();
        diag_free(d);
    }
    return lib;
}

static void library_release(void)
{
    cite_free(library());
}

typedef struct rendered {
    const char *out;
    const char *msgs;
    bool ok;
} rendered;

/* Renders a text template t.txt over yaml with the test library. */
static rendered render_text(const char *src, const char *yaml, const char *locale)
{
    rendered r = {"", "", false};
    diag *d = diag_new();
    doc_options dopt = doc_default_options();
    doc_template *t = doc_compile_memory(src, strlen(src), DOC_TEXT, "t.txt", &dopt, d);
    load_limits lim = load_default_limits();
    value *data = load_yaml(yaml, strlen(yaml), "data.yaml", &lim, d);
    if (t && data) {
        render_options ro = {.citations = library(), .locale = locale};
        buf out = {0};
        r.ok = doc_render(t, data, &ro, &out, d);
        r.out = keep(out.data ? buf_steal(&out) : xstrdup(""));
    }
    r.msgs = messages(d);
    value_free(data);
    doc_free(t);
    diag_free(d);
    return r;
}

static void cites_in_order_of_first_use_with_pinpoints(void)
{
    rendered r = render_text(
        "{{cite \"B-P\" \"p. 2\"}}; {{cite \"A-V\"}}; {{cite \"B-P\" \"p. 5\"}}; "
        "{{cite \"B-P\" \"p. 2\"}}; {{cite \"B-P\"}}\n"
        "{{#authorities}}\n"
        "{{@number}}. {{key}}: {{title}} [{{pinpoints | join \", \"}}] {{kind}} {{pinpoint}} "
        "{{date}} {{status}} {{source}} {{source_note}} {{summary}}\n"
        "{{/authorities}}\n",
        "date: NOT THE ENTRY'S\nkind: NOR THIS\n", NULL);
    CHECK(r.ok);
    CHECK_STR(r.out, "Handbook, p. 2; Treaty, Art. 1; Handbook, p. 5; Handbook, p. 2; Handbook\n"
                     "1. B-P: Handbook [p. 2, p. 5]    partly  address not opened \n"
                     "2. A-V: Treaty &amp; Protocol [] treaty Art. 1 1951-07-28 verified "
                     "https://example.org/a?x=1&amp;y=2  One line.\n");
    CHECK_STR(r.msgs, "warning: t.txt:1:1: citation \"B-P\" is only partly verified: check it "
                      "against the official text before filing");
}

static void authorities_before_the_cites(void)
{
    /* A table of authorities at the top: the document is rendered twice,
     * and the warnings of the first pass are not repeated. */
    rendered r = render_text("Authorities: {{#authorities}}{{short}} ({{pinpoints | join "
                             "\", \"}}){{^@last}}; {{/@last}}{{/authorities}}"
                             "{{^authorities}}none{{/authorities}}\n"
                             "Body: {{cite \"C-U\"}}, {{cite \"A-V\" \"Art. 2\"}}.\n"
                             "Count: {{authorities | count}}\n",
                             "{}", NULL);
    CHECK(r.ok);
    CHECK_STR(r.out, "Authorities: UT (); Treaty, Art. 1 (Art. 2)\n"
                     "Body: UT, Treaty, Art. 1, Art. 2.\n"
                     "Count: 2\n");
    CHECK_STR(r.msgs, "warning: t.txt:2:7: citation \"C-U\" is unverified: check it against the "
                      "official text before filing");
    /* A pinpoint met after the list was shown counts as a change too. */
    r = render_text("{{#authorities}}{{key}}: {{pinpoints | join \", \"}}{{/authorities}}\n"
                    "{{cite \"A-V\" \"Art. 1\"}} {{#authorities}}({{key}}){{/authorities}} "
                    "{{cite \"A-V\" \"Art. 3\"}}\n",
                    "{}", NULL);
    CHECK(r.ok);
    CHECK_STR(r.out, "A-V: Art. 1, Art. 3\nTreaty, Art. 1, Art. 1 (A-V) Treaty, Art. 1, Art. 3\n");
    /* No citation at all: the list is empty, shown once. */
    r = render_text("{{^authorities}}none{{/authorities}}", "{}", NULL);
    CHECK(r.ok);
    CHECK_STR(r.out, "none");
}

static void keys_from_data(void)
{
    rendered r = render_text("{{#grounds}}{{cite key pin}} {{/grounds}}{{cite first}}",
                             "grounds:\n  - {key: A-V, pin: Art. 9}\n  - {key: C-U}\nfirst: A-V\n",
                             NULL);
    CHECK(r.ok);
    CHECK_STR(r.out, "Treaty, Art. 1, Art. 9 UT Treaty, Art. 1");
    CHECK_STR(r.msgs, "warning: t.txt:1:13: citation \"C-U\" is unverified: check it against the "
                      "official text before filing");
}

static void unknown_keys_are_errors(void)
{
    rendered r = render_text("{{cite \"a-v\"}} {{cite k}} {{cite \"NOTHING-LIKE-IT\"}} ok",
                             "k: B-Q\n", NULL);
    CHECK(!r.ok);
    CHECK_STR(r.out, "   ok");
    CHECK_STR(r.msgs,
              "t.txt:1:1: {{cite \"a-v\"}}: unknown citation \"a-v\" (did you mean \"A-V\"?); "
              "`casepack cite list` shows the keys\n"
              "t.txt:1:16: {{cite k}}: unknown citation \"B-Q\" (the value at data.yaml:1:4; did "
              "you mean \"B-P\"?); `casepack cite list` shows the keys\n"
              "t.txt:1:27: {{cite \"NOTHING-LIKE-IT\"}}: unknown citation \"NOTHING-LIKE-IT\"; "
              "`casepack cite list` shows the keys");
}

static void ukrainian_forms(void)
{
    rendered r = render_text(
        "{{cite \"B-P\" \"п. 5\"}} — {{#authorities}}{{title}}{{/authorities}}", "{}", "uk");
    CHECK(r.ok);
    CHECK_STR(r.out, "Настанова, п. 5 — Настанова з процедур");
    /* The data's locale serves when no --locale is given. */
    r = render_text("{{cite \"B-P\"}}", "locale: uk-UA\n", NULL);
    CHECK_STR(r.out, "Настанова");
}

static void no_library_is_an_error(void)
{
    diag *d = diag_new();
    doc_options dopt = doc_default_options();
    const char *src = "{{cite \"A-V\"}}";
    doc_template *t = doc_compile_memory(src, strlen(src), DOC_TEXT, "t.txt", &dopt, d);
    CHECK(t != NULL);
    value *data = value_new(VALUE_MAP, NULL, 0, 0);
    render_options ro = {0};
    buf out = {0};
    bool ok = doc_render(t, data, &ro, &out, d);
    buf_free(&out);
    value_free(data);
    doc_free(t);
    CHECK(!ok);
    CHECK_STR(messages(d), "t.txt:1:1: {{cite \"A-V\"}}: no citation library is loaded here, so "
                           "\"A-V\" cannot be looked up");
    diag_free(d);
}

static bool uses(const char *src, const char *partials)
{
    diag *d = diag_new();
    doc_options dopt = doc_default_options();
    dopt.partials_dir = partials;
    doc_template *t = doc_compile_memory(src, strlen(src), DOC_TEXT, "t.txt", &dopt, d);
    bool u = t && doc_uses_citations(t);
    doc_free(t);
    diag_free(d);
    return u;
}

static void templates_that_need_the_library(void)
{
    CHECK(uses("{{cite \"A\"}}", NULL));
    CHECK(uses("{{#authorities}}{{/authorities}}", NULL));
    CHECK(uses("{{^authorities}}none{{/authorities}}", NULL));
    CHECK(!uses("plain {{x}}", "."));
    CHECK(!uses("plain {{x}} {{cite}} {{#cites}}{{/cites}}", NULL));
}

/* A DOCX in memory: content types and a body, a footer part citing too. */
#define W_NS "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\""
#define CT                                                                                     \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types "                                        \
    "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default "          \
    "Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/"          \
    "document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument."               \
    "wordprocessingml.document.main+xml\"/><Override PartName=\"/word/footer1.xml\" "          \
    "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml."             \
    "footer+xml\"/></Types>"

static const char *docx_part(const buf *docx, const char *name)
{
    doc_options o = doc_default_options();
    diag *d = diag_new();
    zipio_reader *r = zipio_open_memory(docx->data, docx->len, "out.docx", &o.zip, d);
    buf b = {0};
    long i = r ? zipio_find(r, name) : -1;
    if (i >= 0)
        zipio_read(r, (size_t)i, &b, d);
    zipio_close(r);
    diag_free(d);
    const char *text = b.data ? b.data : "";
    const char *body = strstr(text, "<w:body>");
    const char *ftr = strstr(text, "<w:ftr");
    const char *from = body ? body : ftr ? ftr : text;
    const char *part = keep(xstrdup(from));
    buf_free(&b);
    return part;
}

static void cites_in_a_docx(void)
{
    zipio_writer *w = zipio_writer_new(315532800);
    const char *doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document " W_NS
        "><w:body><w:p><w:r><w:t xml:space=\"preserve\">See {{cite </w:t></w:r><w:r><w:t>"
        "\xe2\x80\x9c" "A-V\xe2\x80\x9d}}.</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{#authorities}}</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{title}}: {{source}}</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>{{/authorities}}</w:t></w:r></w:p></w:body></w:document>";
    const char *footer = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
                         "<w:ftr " W_NS "><w:p><w:r><w:t>{{cite \"C-U\"}}</w:t></w:r></w:p>"
                         "</w:ftr>";
    zipio_add(w, "[Content_Types].xml", CT, strlen(CT), false, 6);
    zipio_add(w, "word/document.xml", doc, strlen(doc), false, 6);
    zipio_add(w, "word/footer1.xml", footer, strlen(footer), false, 6);
    buf in = {0};
    diag *d = diag_new();
    CHECK(zipio_writer_finish(w, &in, d));
    zipio_writer_free(w);
    keep(in.data);
    doc_options dopt = doc_default_options();
    doc_template *t = doc_compile_memory(in.data, in.len, DOC_DOCX, "t.docx", &dopt, d);
    CHECK(t != NULL);
    CHECK(doc_uses_citations(t));
    value *data = value_new(VALUE_MAP, NULL, 0, 0);
    render_options ro = {.citations = library()};
    buf out = {0};
    bool ok = doc_render(t, data, &ro, &out, d);
    keep(out.data);
    value_free(data);
    doc_free(t);
    CHECK(ok);
    /* The footer comes after the body, so the body's list was rendered
     * again to take the footer's citation in. */
    CHECK_STR(docx_part(&out, "word/document.xml"),
              "<w:body><w:p><w:r><w:t xml:space=\"preserve\">See Treaty, Art. 1</w:t></w:r>"
              "<w:r><w:t xml:space=\"preserve\">.</w:t></w:r></w:p>"
              "<w:p><w:r><w:t xml:space=\"preserve\">Treaty &amp; Protocol: "
              "https://example.org/a?x=1&amp;y=2</w:t></w:r></w:p>"
              "<w:p><w:r><w:t xml:space=\"preserve\">Unverified thing: </w:t></w:r></w:p>"
              "</w:body></w:document>\n");
    CHECK_STR(docx_part(&out, "word/footer1.xml"),
              "<w:ftr " W_NS "><w:p><w:r><w:t xml:space=\"preserve\">UT</w:t></w:r></w:p>"
              "</w:ftr>\n");
    CHECK_STR(messages(d), "warning: t.docx:word/footer1.xml:p1: citation \"C-U\" is unverified: "
                           "check it against the official text before filing");
    diag_free(d);
}

typedef struct job {
    const doc_template *t;
    const value *data;
    const char *want;
    bool same;
} job;

static void *render_job(void *arg)
{
    job *j = arg;
    j->same = true;
    for (int i = 0; i < 200; i++) {
        diag *d = diag_new();
        render_options ro = {.citations = library()};
        buf out = {0};
        doc_render(j->t, j->data, &ro, &out, d);
        if (!out.data || strcmp(out.data, j->want) != 0 || diag_count(d) != 1)
            j->same = false;
        buf_free(&out);
        diag_free(d);
    }
    return NULL;
}

static void one_template_cites_in_many_threads(void)
{
    const char *src = "{{#authorities}}{{short}};{{/authorities}} {{cite k}} {{cite \"B-P\" p}}";
    diag *d = diag_new();
    doc_options dopt = doc_default_options();
    doc_template *t = doc_compile_memory(src, strlen(src), DOC_TEXT, "t.txt", &dopt, d);
    CHECK(t != NULL);
    load_limits lim = load_default_limits();
    const char *yaml = "k: A-V\np: p. 1\n";
    value *data = load_yaml(yaml, strlen(yaml), "data.yaml", &lim, d);
    library();
    job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){t, data, "Treaty, Art. 1;Handbook; Treaty, Art. 1 Handbook, p. 1", false};
        pthread_create(&th[i], NULL, render_job, &jobs[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    value_free(data);
    doc_free(t);
    diag_free(d);
    for (int i = 0; i < 4; i++)
        CHECK(jobs[i].same);
}

/* ---- kits ---------------------------------------------------------------- */

static const char *const GOOD_KIT = "id: mini\n"
                                    "title: Mini kit\n"
                                    "description: for the tests\n"
                                    "locale: uk\n"
                                    "schema: schema.yaml\n"
                                    "defaults: defaults.yaml\n"
                                    "documents:\n"
                                    "  - id: letter\n"
                                    "    title: The letter\n"
                                    "    template: letter\n"
                                    "    name: \"{{id}}-letter\"\n"
                                    "  - id: note\n"
                                    "    template: note.txt\n";

static void good_kit_files(void)
{
    folder("mini");
    file("mini/kit.yaml", GOOD_KIT);
    file("mini/letter.docx", "not opened by kit_load");
    file("mini/note.txt", "Note {{name}}\n");
    file("mini/schema.yaml", "type: object\n"
                             "required: [name]\n"
                             "additionalProperties: false\n"
                             "properties:\n"
                             "  name: {type: string, examples: [Ann]}\n"
                             "  court: {type: string}\n");
    file("mini/defaults.yaml", "court: District court\n");
}

static const char *check_data(const kit *k, const char *yaml)
{
    diag *d = diag_new();
    load_limits lim = load_default_limits();
    value *v = load_yaml(yaml, strlen(yaml), "case.yaml", &lim, d);
    schema_check(k->schema, v, d);
    value_free(v);
    const char *m = messages(d);
    diag_free(d);
    return m;
}

static void kit_loads_every_field(void)
{
    good_kit_files();
    diag *d = diag_new();
    kit *k = kit_load("mini", d);
    CHECK_STR(messages(d), "");
    diag_free(d);
    CHECK(k != NULL);
    CHECK_STR(k->id, "mini");
    CHECK_STR(k->title, "Mini kit");
    CHECK_STR(k->description, "for the tests");
    CHECK_STR(k->locale, "uk");
    CHECK_STR(k->dir, "mini");
    CHECK_INT(k->n_documents, 2);
    CHECK_STR(k->documents[0].id, "letter");
    CHECK_STR(k->documents[0].title, "The letter");
    CHECK_STR(k->documents[0].template_base, "mini/letter");
    CHECK_STR(k->documents[0].name_pattern, "{{id}}-letter");
    CHECK_STR(k->documents[1].id, "note");
    CHECK(k->documents[1].title == NULL);
    CHECK_STR(k->documents[1].template_base, "mini/note.txt");
    CHECK(k->documents[1].name_pattern == NULL);
    CHECK(k->defaults != NULL);
    CHECK_STR(value_map_get(k->defaults, "court", 5)->str, "District court");
    /* The schema knows the kit field, with the kit's id as its one value. */
    const char *ok = check_data(k, "kit: mini\nname: Ann\n");
    const char *other = check_data(k, "kit: maxi\nname: Ann\n");
    buf sk = {0};
    schema_skeleton(k->schema, &sk);
    keep(sk.data);
    kit_free(k);
    CHECK_STR(ok, "");
    CHECK_STR(other, "case.yaml:1:6: kit: \"maxi\" is not one of the allowed values: \"mini\"");
    CHECK_STR(sk.data, "# the kit this case is for: keep it as it is\n"
                       "# one of: mini\n"
                       "kit: mini\n"
                       "\n"
                       "# (required)\n"
                       "# e.g. Ann\n"
                       "name: Ann\n"
                       "\n"
                       "court: \"\"\n");
}

static const char *load_errors(const char *dir)
{
    diag *d = diag_new();
    kit *k = kit_load(dir, d);
    const char *m = messages(d);
    diag_free(d);
    if (k) {
        kit_free(k);
        return "(loaded)";
    }
    return m;
}

static void kit_errors_with_places(void)
{
    folder("bad");
    file("bad/kit.yaml", "id: bad\n"
                         "tilte: Bad kit\n"
                         "schema: ../schema.yaml\n"
                         "documents:\n"
                         "  - id: claim\n"
                         "    template: claim\n"
                         "    nmae: x\n"
                         "  - id: claim\n"
                         "    template: /etc/passwd\n"
                         "  - title: no id\n"
                         "    template: {a: b}\n"
                         "  - just text\n");
    CHECK_STR(load_errors("bad"),
              "bad/kit.yaml:2:1: unknown field \"tilte\" in the kit; the fields are id, title, "
              "description, locale, schema, defaults and documents\n"
              "bad/kit.yaml:1:1: the kit has no \"title\"; add it\n"
              "bad/kit.yaml:7:5: unknown field \"nmae\" in a document; the fields are id, title, "
              "template and name\n"
              "bad/kit.yaml:6:15: the template of document \"claim\" is missing: put "
              "bad/claim.docx or bad/claim.odt (or both) in the kit's folder\n"
              "bad/kit.yaml:9:15: \"template\" names \"/etc/passwd\", which is outside the kit's "
              "folder: give a path inside it, such as claim\n"
              "bad/kit.yaml:8:9: two documents have the id \"claim\"; give each its own\n"
              "bad/kit.yaml:10:5: this document has no \"id\"; add it\n"
              "bad/kit.yaml:11:5: \"template\" of this document must be text, not a map\n"
              "bad/kit.yaml:12:5: each document is a map with an id and a template (id: claim / "
              "template: claim), not a string\n"
              "bad/kit.yaml:3:9: \"schema\" names \"../schema.yaml\", which is outside the kit's "
              "folder: give a path inside it, such as schema.yaml");
}

static void kit_errors_of_the_whole(void)
{
    folder("other");
    file("other/kit.yaml", "id: another\ntitle: T\ndocuments: []\n");
    CHECK_STR(load_errors("other"),
              "other/kit.yaml:1:5: the kit's id \"another\" differs from its folder's name "
              "\"other\": a kit is found by its folder, so rename one to match the other\n"
              "other/kit.yaml:3:1: \"documents\" must be a list of the kit's documents, each with "
              "an id and a template (- id: claim / template: claim)");
    folder("list");
    file("list/kit.yaml", "- id: list\n");
    CHECK_STR(load_errors("list"), "list/kit.yaml:1:1: a kit.yaml is a map of fields (id, title, "
                                   "documents, …), not a list");
    folder("empty");
    CHECK_STR(load_errors("empty"), "empty: is not a kit: it has no kit.yaml");
    CHECK_STR(load_errors("nowhere"), "nowhere: is not a kit: there is no such folder");
    folder("nodocs");
    file("nodocs/kit.yaml", "id: nodocs\ntitle: T\n");
    CHECK_STR(load_errors("nodocs"), "nodocs/kit.yaml:1:1: the kit has no \"documents\"; list its "
                                     "documents, each with an id and a template");
}

/* A kit's locale ICU does not know gave its documents English dates without
 * a word. */
static void kit_locale_must_be_known(void)
{
    folder("loc");
    file("loc/t.txt", "x");
    file("loc/kit.yaml", "id: loc\ntitle: T\nlocale: ukrainian\n"
                         "documents:\n  - {id: t, template: t.txt}\n");
    const char *got = load_errors("loc");
    /* Gone again, so that the listing below sees the kits it expects. */
    unlink("loc/kit.yaml");
    unlink("loc/t.txt");
    rmdir("loc");
    CHECK_STR(got,
              "loc/kit.yaml:3:9: the kit's locale \"ukrainian\" is not a language casepack "
              "knows; write a language code such as uk, en or en-GB");
}

static void kit_schema_and_defaults_errors(void)
{
    folder("sd");
    file("sd/t.txt", "x");
    file("sd/kit.yaml", "id: sd\ntitle: T\nschema: schema.yaml\ndefaults: defaults.yaml\n"
                        "documents:\n  - {id: t, template: t.txt}\n");
    CHECK_STR(load_errors("sd"),
              "sd/kit.yaml:3:9: cannot read \"sd/schema.yaml\": No such file or directory\n"
              "sd/kit.yaml:4:11: cannot read \"sd/defaults.yaml\": No such file or directory");
    file("sd/schema.yaml", "type: object\nproperties:\n  a: {type: strng}\n");
    file("sd/defaults.yaml", "- a\n");
    CHECK_STR(load_errors("sd"),
              "sd/schema.yaml:3:13: properties.a.type: unknown type \"strng\"; did you mean "
              "\"string\"?\n"
              "sd/defaults.yaml:1:1: default data must be a map of fields, as a case file is, not "
              "a list");
}

static void kits_found_by_id_or_path(void)
{
    good_kit_files();
    folder("mine");
    folder("mine/mini");
    file("mine/mini/kit.yaml", "id: mini\ntitle: My own mini\ndocuments:\n"
                               "  - {id: t, template: t.txt}\n");
    file("mine/mini/t.txt", "x");
    folder("mine/solo");
    file("mine/solo/kit.yaml", "id: solo\ntitle: Solo\ndocuments:\n  - {id: t, template: t.txt}\n");
    file("mine/solo/t.txt", "x");
    folder("mine/not-a-kit");
    const char *search[] = {"mine", "."};
    diag *d = diag_new();
    kit *k = kit_find("mini", search, 2, d);
    CHECK(k != NULL);
    CHECK_STR(k->title, "My own mini"); /* the first folder wins */
    kit_free(k);
    k = kit_find("./mini", search, 2, d);
    CHECK(k != NULL);
    CHECK_STR(k->title, "Mini kit");
    kit_free(k);
    CHECK_STR(messages(d), "");
    CHECK(kit_find("mnii", search, 1, d) == NULL);
    CHECK_STR(messages(d), "there is no kit \"mnii\"; the kits are: mini, solo (`casepack kits` "
                           "lists them; --kits DIR adds a folder of your own)");
    diag_free(d);
    /* Not in the search folders, but a folder of that name here. */
    d = diag_new();
    const char *none[] = {"mine/not-a-kit"};
    k = kit_find("mini", none, 1, d);
    CHECK(k != NULL);
    CHECK_STR(k->title, "Mini kit");
    kit_free(k);
    CHECK(kit_find("zzz", none, 1, d) == NULL);
    CHECK_STR(messages(d), "there is no kit \"zzz\", and no kits were found; give the path to a "
                           "kit's folder, or a folder of kits with --kits DIR");
    diag_free(d);
}

static void kits_listed_sorted_once(void)
{
    kits_found_by_id_or_path();
    const char *search[] = {"mine", ".", "nowhere"};
    size_t n = 0;
    char **ids = kit_list(search, 3, &n);
    buf b = {0};
    for (size_t i = 0; i < n; i++) {
        buf_printf(&b, "%s ", ids[i]);
        free(ids[i]);
    }
    free(ids);
    const char *got = keep(b.data ? buf_steal(&b) : xstrdup(""));
    /* bad, list, nodocs, other and sd have a kit.yaml, broken or not. */
    CHECK_STR(got, "bad list mini nodocs other sd solo ");
}

int main(void)
{
    static const unit_case cases[] = {
        UNIT(cites_in_order_of_first_use_with_pinpoints),
        UNIT(authorities_before_the_cites),
        UNIT(keys_from_data),
        UNIT(unknown_keys_are_errors),
        UNIT(ukrainian_forms),
        UNIT(no_library_is_an_error),
        UNIT(templates_that_need_the_library),
        UNIT(cites_in_a_docx),
        UNIT(one_template_cites_in_many_threads),
        UNIT(kit_loads_every_field),
        UNIT(kit_errors_with_places),
        UNIT(kit_errors_of_the_whole), UNIT(kit_locale_must_be_known),
        UNIT(kit_schema_and_defaults_errors),
        UNIT(kits_found_by_id_or_path),
        UNIT(kits_listed_sorted_once),
    };
    int status = unit_run("kit", cases, sizeof cases / sizeof cases[0]);
    library_release();
    return status;
}
