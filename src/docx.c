/* docx.c: the OOXML (Word) adapter. Owns Word's vocabulary (which elements
 * are paragraphs, runs, text, tabs, deleted text, field codes, table rows;
 * which ids must stay unique), finding the parts a reader sees through
 * [Content_Types].xml, and writing the finished .docx: rendered parts
 * deflated, every other entry copied through as it was compressed. The work
 * on each part is xmlpart.c's, shaped by docx_dialect; odt.c is its twin. */
#include "docx.h"

#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "xmlpart.h"

#define W_NS "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define W_NS_STRICT "http://purl.oclc.org/ooxml/wordprocessingml/main"
#define WP_NS "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
#define W14_NS "http://schemas.microsoft.com/office/word/2010/wordml"
#define MC_NS "http://schemas.openxmlformats.org/markup-compatibility/2006"
#define CP_NS "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
#define CT_NS "http://schemas.openxmlformats.org/package/2006/content-types"

#define WML "application/vnd.openxmlformats-officedocument.wordprocessingml."
#define MSWORD "application/vnd.ms-word."


/* ---- the vocabulary ------------------------------------------------------ */

static bool docx_w(const xmlNode *n)
{
    if (!n->ns || !n->ns->href)
        return false;
    const char *h = (const char *)n->ns->href;
    return strcmp(h, W_NS) == 0 || strcmp(h, W_NS_STRICT) == 0;
}

static bool docx_is_w(const xmlNode *n, const char *local)
{
    return n->type == XML_ELEMENT_NODE && docx_w(n) && strcmp((const char *)n->name, local) == 0;
}

static bool docx_in_run(const xmlNode *n)
{
    return n->parent && docx_is_w(n->parent, "r");
}

static xp_role docx_role(const xmlNode *n, char *ch, unsigned *count)
{
    if (xp_is(n, CP_NS, "coreProperties"))
        return XP_ROLE_PLAIN_ROOT;
    if (!docx_w(n))
        return XP_ROLE_OTHER;
    static const char *const hidden[] = {"del",   "moveFrom", "instrText", "delText", "pPr",
                                         "rPr",   "sdtPr",    "sdtEndPr",  "tblPr",   "tcPr",
                                         "trPr",  "sectPr",   "fldData",   "tblGrid", "tblPrEx"};
    const char *name = (const char *)n->name;
    if (strcmp(name, "p") == 0)
        return XP_ROLE_PARAGRAPH;
    if (strcmp(name, "t") == 0)
        return XP_ROLE_TEXT;
    if (docx_in_run(n) && (strcmp(name, "tab") == 0 || strcmp(name, "br") == 0 ||
                           strcmp(name, "cr") == 0)) {
        *ch = name[0] == 't' ? '\t' : '\n';
        *count = 1;
        return XP_ROLE_CHAR;
    }
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
        if (strcmp(name, hidden[i]) == 0)
            return XP_ROLE_HIDDEN;
    return XP_ROLE_OTHER;
}

static bool docx_is_row(const xmlNode *n)
{
    return docx_is_w(n, "tr");
}

/* Word lists are flat paragraphs with numbering properties: a paragraph
 * stands for itself. */
static xmlNode *docx_block_of(xmlNode *paragraph)
{
    return paragraph;
}

static bool docx_keeps_paragraph(const xmlNode *n)
{
    static const char *const keep[] = {"drawing",          "pict",
                                       "object",           "sectPr",
                                       "fldChar",          "fldSimple",
                                       "footnoteReference", "endnoteReference",
                                       "commentReference", "commentRangeStart",
                                       "commentRangeEnd",  "txbxContent"};
    if (xp_is(n, MC_NS, "AlternateContent"))
        return true;
    if (!docx_w(n))
        return false;
    const char *name = (const char *)n->name;
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (strcmp(name, keep[i]) == 0)
            return true;
    if (strcmp(name, "br") == 0) {
        xmlChar *type = xmlGetNsProp(n, BAD_CAST "type", n->ns->href);
        bool page = type && (xmlStrcmp(type, BAD_CAST "page") == 0 ||
                             xmlStrcmp(type, BAD_CAST "column") == 0);
        xmlFree(type);
        return page;
    }
    return false;
}

static bool docx_needs_paragraph(const xmlNode *c)
{
    static const char *const need[] = {"tc",      "hdr",         "ftr",    "footnote",
                                       "endnote", "txbxContent", "comment"};
    if (!docx_w(c))
        return false;
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (strcmp((const char *)c->name, need[i]) == 0)
            return true;
    return false;
}

/* w:pPr, w:rPr, w:sdtPr…: the formatting of the element they open. */
static bool docx_is_property(const xmlNode *child)
{
    if (!docx_w(child))
        return false;
    size_t len = strlen((const char *)child->name);
    return len > 2 && strcmp((const char *)child->name + len - 2, "Pr") == 0;
}

static bool docx_drops_when_empty(const xmlNode *n)
{
    return docx_is_w(n, "t") || docx_is_w(n, "r");
}

static bool docx_unique_attr(const xmlNode *el, const xmlAttr *a)
{
    (void)el;
    return a->ns && a->ns->href && strcmp((const char *)a->ns->href, W14_NS) == 0 &&
           (strcmp((const char *)a->name, "paraId") == 0 ||
            strcmp((const char *)a->name, "textId") == 0);
}

/* Word trims spaces at the ends of a w:t without xml:space="preserve"; once
 * a tag is cut out, the text beside it may start or end with one. */
static void docx_touch_text(xmlNode *text_parent)
{
    if (docx_is_w(text_parent, "t"))
        xmlNodeSetSpacePreserve(text_parent, 1);
}

static const xp_id_rule docx_id_rules[] = {
    {WP_NS, "docPr", NULL, NULL, "id", NULL, XP_ID_SINGLE},
    {W_NS, "bookmarkStart", W_NS, "id", "id", "name", XP_ID_START},
    {W_NS, "bookmarkEnd", W_NS, "id", "id", NULL, XP_ID_END},
};

const xp_dialect docx_dialect = {
    .paragraph_name = "p",
    .role = docx_role,
    .paragraph_holds_text = false,
    .is_row = docx_is_row,
    .block_of = docx_block_of,
    .keeps_paragraph = docx_keeps_paragraph,
    .needs_paragraph = docx_needs_paragraph,
    .is_property = docx_is_property,
    .drops_when_empty = docx_drops_when_empty,
    .unique_attr = docx_unique_attr,
    .touch_text = docx_touch_text,
    .id_rules = docx_id_rules,
    .n_id_rules = sizeof docx_id_rules / sizeof docx_id_rules[0],
    .tab_name = "tab",
    .break_name = "br",
    .text_closes = true,
    .space_name = NULL,
    .space_count = NULL,
};

/* ---- the template -------------------------------------------------------- */

typedef struct docx_entry {
    tpl_program *prog; /* rendered; NULL: copied (or rewritten) */
    char *bytes;       /* rewritten once at compile time ([Content_Types].xml of a .dotx) */
    size_t len;
} docx_entry;

struct docx_template {
    zipio_reader *zr;
    char *file;
    time_t mtime;
    xp_contexts *cx;
    docx_entry *entries; /* one per zip entry */
    size_t n_entries;
    size_t *order; /* compiled parts in document order, for docx_each_tag */
    size_t n_order;
};

void docx_free(docx_template *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_entries; i++) {
        tpl_free(t->entries[i].prog);
        free(t->entries[i].bytes);
    }
    free(t->entries);
    free(t->order);
    xp_contexts_free(t->cx);
    zipio_close(t->zr);
    free(t->file);
    free(t);
}

typedef enum docx_part_kind { DOCX_NOT_COVERED, DOCX_MAIN, DOCX_COVERED } docx_part_kind;

static docx_part_kind docx_kind_of_type(const char *type)
{
    static const char *const main_types[] = {
        WML "document.main+xml", WML "template.main+xml", MSWORD "document.macroEnabled.main+xml",
        MSWORD "template.macroEnabledTemplate.main+xml"};
    static const char *const covered[] = {WML "header+xml", WML "footer+xml",
                                          WML "footnotes+xml", WML "endnotes+xml",
                                          "application/vnd.openxmlformats-package.core-properties+xml"};
    if (!type)
        return DOCX_NOT_COVERED;
    for (size_t i = 0; i < sizeof main_types / sizeof main_types[0]; i++)
        if (strcmp(type, main_types[i]) == 0)
            return DOCX_MAIN;
    for (size_t i = 0; i < sizeof covered / sizeof covered[0]; i++)
        if (strcmp(type, covered[i]) == 0)
            return DOCX_COVERED;
    return DOCX_NOT_COVERED;
}

/* An attribute's text, borrowed from the tree. */
static const char *docx_attr_text(xmlNode *n, const char *name)
{
    xmlAttr *a = xmlHasProp(n, BAD_CAST name);
    return a && a->children && a->children->content ? (const char *)a->children->content : NULL;
}

/* The content type of entry name: its Override, else the Default of its
 * extension (part names compare case-insensitively in OPC). Borrowed from
 * the tree. */
static const char *docx_content_type(xmlNode *types, const char *name)
{
    const char *ext = util_extension(name);
    const char *by_ext = NULL;
    for (xmlNode *n = types->children; n; n = n->next) {
        if (xp_is(n, CT_NS, "Override")) {
            const char *part = docx_attr_text(n, "PartName");
            if (part && part[0] == '/' && strcasecmp(part + 1, name) == 0)
                return docx_attr_text(n, "ContentType");
        } else if (xp_is(n, CT_NS, "Default") && !by_ext) {
            const char *e = docx_attr_text(n, "Extension");
            if (e && strcasecmp(e, ext) == 0)
                by_ext = docx_attr_text(n, "ContentType");
        }
    }
    return by_ext;
}

/* Reads [Content_Types].xml: which entries are the main document and the
 * other parts casepack fills. A template's content type becomes a
 * document's, so the output opens as a .docx. */
static bool docx_find_parts(docx_template *t, const doc_options *opt, docx_part_kind *kinds,
                            diag *d)
{
    long ct = zipio_find(t->zr, "[Content_Types].xml");
    if (ct < 0) {
        diag_error(d, (diag_place){.file = t->file},
                   "is not a Word document: it has no [Content_Types].xml; save it again from "
                   "Word or LibreOffice as .docx");
        return false;
    }
    buf b = {0};
    bool ok = false, has_main = false;
    xmlDoc *doc = NULL;
    xmlNode *types;
    if (!zipio_read(t->zr, (size_t)ct, &b, d))
        goto done;
    doc = xp_parse(b.data ? b.data : "", b.len, t->file, "[Content_Types].xml",
                   opt->max_xml_depth, d);
    if (!doc)
        goto done;
    types = xmlDocGetRootElement(doc);
    for (size_t i = 0; i < t->n_entries; i++) {
        kinds[i] = docx_kind_of_type(docx_content_type(types, zipio_name(t->zr, i)));
        if (kinds[i] == DOCX_MAIN) {
            if (has_main)
                kinds[i] = DOCX_NOT_COVERED;
            has_main = true;
        }
    }
    if (!has_main) {
        diag_error(d, (diag_place){.file = t->file},
                   "is not a Word document: it has no main document part (word/document.xml); "
                   "save it again from Word or LibreOffice as .docx");
        goto done;
    }
    if (strstr(b.data, WML "template.main+xml") ||
        strstr(b.data, MSWORD "template.macroEnabledTemplate.main+xml")) {
        xp_replace_all(&b, WML "template.main+xml", WML "document.main+xml");
        xp_replace_all(&b, MSWORD "template.macroEnabledTemplate.main+xml",
                       MSWORD "document.macroEnabled.main+xml");
        t->entries[ct].len = b.len;
        t->entries[ct].bytes = buf_steal(&b);
    }
    ok = true;
done:
    xmlFreeDoc(doc);
    buf_free(&b);
    return ok;
}

static bool docx_compile_entry(docx_template *t, xp_compiler *c, size_t i, diag *d)
{
    buf b = {0};
    bool ok = zipio_read(t->zr, i, &b, d) &&
              xp_compile_part(c, zipio_name(t->zr, i), b.data ? b.data : "", b.len,
                              &t->entries[i].prog, d);
    buf_free(&b);
    if (ok && t->entries[i].prog)
        t->order[t->n_order++] = i;
    return ok;
}

docx_template *docx_compile(zipio_reader *zr, const char *file, const doc_options *opt, diag *d)
{
    docx_template *t = xcalloc(1, sizeof *t);
    t->zr = zr;
    t->file = xstrdup(file);
    t->mtime = opt->mtime;
    t->n_entries = zipio_count(zr);
    t->entries = xcalloc(t->n_entries ? t->n_entries : 1, sizeof *t->entries);
    t->order = xcalloc(t->n_entries ? t->n_entries : 1, sizeof *t->order);
    docx_part_kind *kinds = xcalloc(t->n_entries ? t->n_entries : 1, sizeof *kinds);
    xp_compiler *c = xp_compiler_new(&docx_dialect, t->file, opt);
    bool ok = docx_find_parts(t, opt, kinds, d);
    /* The body first: a delimiter change there holds for the other parts. */
    for (size_t i = 0; ok && i < t->n_entries; i++)
        if (kinds[i] == DOCX_MAIN && !docx_compile_entry(t, c, i, d))
            ok = false;
    for (size_t i = 0; ok && i < t->n_entries; i++)
        if (kinds[i] == DOCX_COVERED && !docx_compile_entry(t, c, i, d))
            ok = false;
    t->cx = xp_compiler_finish(c);
    free(kinds);
    if (!ok) {
        docx_free(t);
        return NULL;
    }
    return t;
}

bool docx_render(const docx_template *t, const value *data, const render_options *opt, buf *out,
                 diag *d)
{
    xp_sink sink;
    xp_sink_init(&sink, t->cx);
    render_options o = *opt;
    o.value = xp_sink_value;
    o.value_ud = &sink;
    zipio_writer *w = zipio_writer_new(t->mtime);
    buf part = {0};
    bool ok = true;
    for (size_t i = 0; i < t->n_entries; i++) {
        const docx_entry *e = &t->entries[i];
        const char *name = zipio_name(t->zr, i);
        if (e->prog) {
            buf_reset(&part);
            if (!render_program(e->prog, data, &o, &part, d))
                ok = false;
            else if (ok)
                zipio_add(w, name, part.data ? part.data : "", part.len,
                          part.len < DOC_STORE_BELOW, DOC_DEFLATE_LEVEL);
        } else if (e->bytes) {
            zipio_add(w, name, e->bytes, e->len, false, DOC_DEFLATE_LEVEL);
        } else {
            zipio_add_copy(w, t->zr, i);
        }
    }
    if (ok)
        ok = zipio_writer_finish(w, out, d);
    zipio_writer_free(w);
    buf_free(&part);
    xp_sink_free(&sink);
    return ok;
}

void docx_each_tag(const docx_template *t, tpl_tag_fn fn, void *ud)
{
    for (size_t k = 0; k < t->n_order; k++)
        xp_each_tag(t->entries[t->order[k]].prog, fn, ud);
}
