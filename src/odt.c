/* odt.c: the OpenDocument (LibreOffice) adapter, docx.c's twin. Owns ODF's
 * vocabulary (paragraphs and headings, spans, links, spaces, tabs, line
 * breaks, list items, table rows, tracked changes and annotations; which
 * names must stay unique), the parts a reader sees (content.xml, styles.xml
 * for headers and footers, meta.xml), and writing the finished .odt
 * (mimetype first and stored, rendered parts deflated, every other entry
 * copied through) or the rendered flat .fodt. The work on each part is
 * xmlpart.c's, shaped by odt_dialect. */
#include "odt.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "xmlpart.h"
#include "zpart.h"

#define TEXT_NS "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define OFFICE_NS "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define TABLE_NS "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
#define DRAW_NS "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
#define XML_NS "http://www.w3.org/XML/1998/namespace"

#define ODT_MIME "application/vnd.oasis.opendocument.text"
#define OTT_MIME "application/vnd.oasis.opendocument.text-template"

/* text:s text:c="N" beyond this is not a document anyone typed. */
#define ODT_MAX_SPACES 1000

/* ---- the vocabulary ------------------------------------------------------ */

static bool odt_text(const xmlNode *n)
{
    return n->ns && n->ns->href && strcmp((const char *)n->ns->href, TEXT_NS) == 0;
}

static bool odt_is_text(const xmlNode *n, const char *local)
{
    return n->type == XML_ELEMENT_NODE && odt_text(n) && strcmp((const char *)n->name, local) == 0;
}

static xp_role odt_role(const xmlNode *n, char *ch, unsigned *count)
{
    if (xp_is(n, OFFICE_NS, "meta"))
        return XP_ROLE_PLAIN_ROOT;
    if (xp_is(n, OFFICE_NS, "annotation"))
        return XP_ROLE_HIDDEN;
    if (!odt_text(n))
        return XP_ROLE_OTHER;
    const char *name = (const char *)n->name;
    if (strcmp(name, "p") == 0 || strcmp(name, "h") == 0)
        return XP_ROLE_PARAGRAPH;
    if (strcmp(name, "s") == 0) {
        xmlChar *c = xmlGetNsProp(n, BAD_CAST "c", BAD_CAST TEXT_NS);
        long k = c ? strtol((const char *)c, NULL, 10) : 1;
        xmlFree(c);
        *ch = ' ';
        *count = k < 1 ? 1 : k > ODT_MAX_SPACES ? ODT_MAX_SPACES : (unsigned)k;
        return XP_ROLE_CHAR;
    }
    if (strcmp(name, "tab") == 0 || strcmp(name, "line-break") == 0) {
        *ch = name[0] == 't' ? '\t' : '\n';
        *count = 1;
        return XP_ROLE_CHAR;
    }
    if (strcmp(name, "tracked-changes") == 0 || strcmp(name, "ruby-text") == 0 ||
        strcmp(name, "note-citation") == 0)
        return XP_ROLE_HIDDEN;
    return XP_ROLE_TEXT;
}

static bool odt_is_row(const xmlNode *n)
{
    return xp_is(n, TABLE_NS, "table-row");
}

/* A paragraph alone in a list item stands for the item: tags in items of
 * one list repeat the items between them. */
static xmlNode *odt_block_of(xmlNode *paragraph)
{
    xmlNode *item = paragraph->parent;
    if (!item || !(odt_is_text(item, "list-item") || odt_is_text(item, "list-header")))
        return paragraph;
    for (xmlNode *ch = item->children; ch; ch = ch->next)
        if (ch != paragraph && ch->type == XML_ELEMENT_NODE)
            return paragraph;
    return item;
}

static bool odt_keeps_paragraph(const xmlNode *n)
{
    if (n->ns && n->ns->href && strcmp((const char *)n->ns->href, DRAW_NS) == 0)
        return true;
    return xp_is(n, OFFICE_NS, "annotation") || odt_is_text(n, "note") ||
           odt_is_text(n, "change") || odt_is_text(n, "change-start") ||
           odt_is_text(n, "change-end");
}

/* ODF cells, headers and footers may be empty. */
static bool odt_needs_paragraph(const xmlNode *c)
{
    (void)c;
    return false;
}

/* Formatting lives in style attributes, never in child elements. */
static bool odt_is_property(const xmlNode *child)
{
    (void)child;
    return false;
}

static bool odt_drops_when_empty(const xmlNode *n)
{
    return odt_is_text(n, "span");
}

static bool odt_unique_attr(const xmlNode *el, const xmlAttr *a)
{
    return (odt_is_text(el, "p") || odt_is_text(el, "h")) && a->ns && a->ns->href &&
           strcmp((const char *)a->ns->href, XML_NS) == 0 &&
           strcmp((const char *)a->name, "id") == 0;
}

/* ODF keeps spaces in text as they are (text:s stands for runs). */
static void odt_touch_text(xmlNode *text_parent)
{
    (void)text_parent;
}

static const xp_id_rule odt_id_rules[] = {
    {TEXT_NS, "bookmark", TEXT_NS, NULL, NULL, "name", XP_ID_SINGLE},
    {TEXT_NS, "bookmark-start", TEXT_NS, "name", NULL, "name", XP_ID_START},
    {TEXT_NS, "bookmark-end", TEXT_NS, "name", NULL, "name", XP_ID_END},
    {DRAW_NS, "frame", DRAW_NS, NULL, NULL, "name", XP_ID_SINGLE},
};

const xp_dialect odt_dialect = {
    .paragraph_name = "p",
    .role = odt_role,
    .paragraph_holds_text = true,
    .is_row = odt_is_row,
    .block_of = odt_block_of,
    .keeps_paragraph = odt_keeps_paragraph,
    .needs_paragraph = odt_needs_paragraph,
    .is_property = odt_is_property,
    .drops_when_empty = odt_drops_when_empty,
    .unique_attr = odt_unique_attr,
    .touch_text = odt_touch_text,
    .id_rules = odt_id_rules,
    .n_id_rules = sizeof odt_id_rules / sizeof odt_id_rules[0],
    .tab_name = "tab",
    .break_name = "line-break",
    .text_closes = false,
    .space_name = "s",
    .space_count = "c",
};

/* ---- the template -------------------------------------------------------- */

typedef struct odt_entry {
    tpl_program *prog; /* rendered; NULL: copied (or rewritten) */
    zpart *zp;         /* prog's static chunks, deflated once */
    char *bytes;       /* rewritten once at compile time (the manifest of a .ott) */
    size_t len;
} odt_entry;

struct odt_template {
    zipio_reader *zr; /* NULL for flat ODT */
    char *file;
    time_t mtime;
    xp_contexts *cx;
    odt_entry *entries; /* one per zip entry */
    size_t n_entries;
    size_t *order; /* compiled parts in document order, for odt_each_tag */
    size_t n_order;
    size_t mimetype; /* its entry, written first; SIZE_MAX: none */
    tpl_program *flat; /* flat ODT with tags */
    char *flat_bytes;  /* flat ODT without: written back as it was */
    size_t flat_len;
};

void odt_free(odt_template *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_entries; i++) {
        zpart_free(t->entries[i].zp);
        tpl_free(t->entries[i].prog);
        free(t->entries[i].bytes);
    }
    free(t->entries);
    free(t->order);
    tpl_free(t->flat);
    free(t->flat_bytes);
    xp_contexts_free(t->cx);
    zipio_close(t->zr);
    free(t->file);
    free(t);
}

static odt_template *odt_new(const char *file, const doc_options *opt)
{
    odt_template *t = xcalloc(1, sizeof *t);
    t->file = xstrdup(file);
    t->mtime = opt->mtime;
    t->mimetype = SIZE_MAX;
    return t;
}

/* The mimetype says what the package is; a template (.ott) renders to a
 * document, so its mimetype and manifest say "text". */
static bool odt_find_parts(odt_template *t, diag *d)
{
    long mi = zipio_find(t->zr, "mimetype");
    bool template = false;
    if (mi >= 0) {
        buf b = {0};
        if (!zipio_read(t->zr, (size_t)mi, &b, d)) {
            buf_free(&b);
            return false;
        }
        while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r' ||
                         b.data[b.len - 1] == ' '))
            b.data[--b.len] = '\0';
        template = b.data && strcmp(b.data, OTT_MIME) == 0;
        if (!template && !(b.data && strcmp(b.data, ODT_MIME) == 0)) {
            diag_error(d, (diag_place){.file = t->file},
                       "is an OpenDocument file of another kind (%s), not a text document: "
                       "save it from LibreOffice Writer as .odt",
                       diag_quote(b.data ? b.data : "", b.len));
            buf_free(&b);
            return false;
        }
        buf_free(&b);
        t->mimetype = (size_t)mi;
    }
    if (zipio_find(t->zr, "content.xml") < 0) {
        diag_error(d, (diag_place){.file = t->file},
                   "is not an OpenDocument text: it has no content.xml; save it again from "
                   "LibreOffice Writer as .odt");
        return false;
    }
    long man = zipio_find(t->zr, "META-INF/manifest.xml");
    if (template && man >= 0) {
        buf b = {0};
        if (!zipio_read(t->zr, (size_t)man, &b, d)) {
            buf_free(&b);
            return false;
        }
        xp_replace_all(&b, OTT_MIME "\"", ODT_MIME "\"");
        t->entries[man].len = b.len;
        t->entries[man].bytes = b.data ? buf_steal(&b) : xstrdup("");
    }
    return true;
}

static bool odt_compile_entry(odt_template *t, xp_compiler *c, const char *name, diag *d)
{
    long i = zipio_find(t->zr, name);
    if (i < 0)
        return true;
    buf b = {0};
    bool ok = zipio_read(t->zr, (size_t)i, &b, d) &&
              xp_compile_part(c, name, b.data ? b.data : "", b.len, &t->entries[i].prog, d);
    buf_free(&b);
    if (ok && t->entries[i].prog) {
        t->entries[i].zp = zpart_new(t->entries[i].prog);
        t->order[t->n_order++] = (size_t)i;
    }
    return ok;
}

odt_template *odt_compile(zipio_reader *zr, const char *file, const doc_options *opt, diag *d)
{
    odt_template *t = odt_new(file, opt);
    t->zr = zr;
    t->n_entries = zipio_count(zr);
    t->entries = xcalloc(t->n_entries ? t->n_entries : 1, sizeof *t->entries);
    t->order = xcalloc(t->n_entries ? t->n_entries : 1, sizeof *t->order);
    xp_compiler *c = xp_compiler_new(&odt_dialect, t->file, opt);
    /* The body first: a delimiter change there holds for the other parts. */
    static const char *const parts[] = {"content.xml", "styles.xml", "meta.xml"};
    bool ok = odt_find_parts(t, d);
    for (size_t k = 0; ok && k < sizeof parts / sizeof parts[0]; k++)
        ok = odt_compile_entry(t, c, parts[k], d);
    t->cx = xp_compiler_finish(c);
    if (!ok) {
        odt_free(t);
        return NULL;
    }
    return t;
}

odt_template *odt_compile_flat(const char *xml, size_t n, const char *file, const doc_options *opt,
                               diag *d)
{
    odt_template *t = odt_new(file, opt);
    xp_compiler *c = xp_compiler_new(&odt_dialect, t->file, opt);
    bool ok = xp_compile_part(c, NULL, xml, n, &t->flat, d);
    t->cx = xp_compiler_finish(c);
    if (!ok) {
        odt_free(t);
        return NULL;
    }
    if (!t->flat) {
        t->flat_bytes = xstrndup(xml, n);
        t->flat_len = n;
    }
    return t;
}

bool odt_render(const odt_template *t, const value *data, const render_options *opt, buf *out,
                diag *d)
{
    xp_sink sink;
    xp_sink_init(&sink, t->cx);
    render_options o = *opt;
    o.value = xp_sink_value;
    o.value_ud = &sink;
    bool ok = true;
    if (!t->zr) {
        if (t->flat)
            ok = render_program(t->flat, data, &o, out, d);
        else
            buf_add(out, t->flat_bytes, t->flat_len);
        xp_sink_free(&sink);
        return ok;
    }
    zipio_writer *w = zipio_writer_new(t->mtime);
    zipio_add(w, "mimetype", ODT_MIME, strlen(ODT_MIME), true, 0);
    for (size_t i = 0; i < t->n_entries; i++) {
        const odt_entry *e = &t->entries[i];
        const char *name = zipio_name(t->zr, i);
        if (i == t->mimetype) {
            continue;
        } else if (e->prog) {
            if (!zpart_render(e->zp, data, &o, w, name, d))
                ok = false;
        } else if (e->bytes) {
            zipio_add(w, name, e->bytes, e->len, false, DOC_DEFLATE_LEVEL);
        } else {
            zipio_add_copy(w, t->zr, i);
        }
    }
    if (ok)
        ok = zipio_writer_finish(w, out, d);
    zipio_writer_free(w);
    xp_sink_free(&sink);
    return ok;
}

void odt_each_tag(const odt_template *t, tpl_tag_fn fn, void *ud)
{
    if (t->flat) {
        xp_each_tag(t->flat, fn, ud);
        return;
    }
    for (size_t k = 0; k < t->n_order; k++)
        xp_each_tag(t->entries[t->order[k]].prog, fn, ud);
}
