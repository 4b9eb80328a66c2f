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

/* ---- merged documents (batch --merge) ------------------------------------ */

/* docx.c's merge, the ODF way: the records' office:text contents one after
 * the other; each later record opens with an empty paragraph, kept as small
 * as a paragraph can be, whose automatic style starts a page of that
 * record's own master page (its headers and footers rendered with its data,
 * when they hold tags) and numbers pages from 1. Lists restart by
 * themselves: each record's text:list elements begin new lists. */

#define STYLE_NS "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
#define FO_NS "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"

struct odt_merger {
    const odt_template *t;
    long content, styles;  /* entries */
    buf raw_content, raw_styles; /* the parts as in the template, when they hold no tag */
    char *office, *text, *style, *fo, *xml; /* prefixes of content.xml */
    char *master;          /* the master page the body starts on */
    buf head, body, tail;  /* content.xml being assembled */
    buf styles_doc;        /* the first record's styles.xml */
    buf masters;           /* master pages of later records */
    buf auto_styles;       /* the styles of the record-opening paragraphs */
    buf *first;            /* per entry: the first record's rendering */
    size_t records;
};

bool odt_merge_render(const odt_template *t, const value *data, const render_options *opt,
                      buf *piece, diag *d)
{
    xp_sink sink;
    xp_sink_init(&sink, t->cx);
    render_options o = *opt;
    o.value = xp_sink_value;
    o.value_ud = &sink;
    o.static_chunk = NULL;
    o.static_ud = NULL;
    buf part = {0};
    bool ok = true;
    for (size_t i = 0; t->zr && i < t->n_entries; i++) {
        if (!t->entries[i].prog)
            continue;
        buf_reset(&part);
        if (!render_program(t->entries[i].prog, data, &o, &part, d))
            ok = false;
        else
            xp_piece_put(piece, i, part.data ? part.data : "", part.len);
    }
    buf_free(&part);
    xp_sink_free(&sink);
    return ok;
}

odt_merger *odt_merge_new(const odt_template *t, diag *d)
{
    if (!t->zr) {
        diag_error(d, (diag_place){.file = t->file},
                   "--merge writes a packaged .odt; save this flat ODT template as .odt first");
        return NULL;
    }
    odt_merger *m = xcalloc(1, sizeof *m);
    m->t = t;
    m->first = xcalloc(t->n_entries ? t->n_entries : 1, sizeof *m->first);
    m->content = zipio_find(t->zr, "content.xml");
    m->styles = zipio_find(t->zr, "styles.xml");
    bool ok = t->entries[m->content].prog ||
              zipio_read(t->zr, (size_t)m->content, &m->raw_content, d);
    if (ok && m->styles >= 0 && !t->entries[m->styles].prog)
        ok = zipio_read(t->zr, (size_t)m->styles, &m->raw_styles, d);
    if (!ok) {
        odt_merge_free(m);
        return NULL;
    }
    return m;
}

void odt_merge_free(odt_merger *m)
{
    if (!m)
        return;
    buf_free(&m->raw_content), buf_free(&m->raw_styles);
    free(m->office), free(m->text), free(m->style), free(m->fo), free(m->xml), free(m->master);
    buf_free(&m->head), buf_free(&m->body), buf_free(&m->tail);
    buf_free(&m->styles_doc), buf_free(&m->masters), buf_free(&m->auto_styles);
    for (size_t i = 0; i < m->t->n_entries; i++)
        buf_free(&m->first[i]);
    free(m->first);
    free(m);
}

static char *merge_prefix(const char *s, size_t n, const char *ns, const char *fallback)
{
    char *p = xp_root_prefix(s, n, ns);
    return p ? p : xstrdup(fallback);
}

static char *qn(const char *prefix, const char *local)
{
    return xasprintf("%s%s", prefix, local);
}

/* The name of the first master page in styles.xml: where a text starts. */
static char *merge_first_master(const char *s, size_t n)
{
    char *style = merge_prefix(s, n, STYLE_NS, "style:");
    char *q_master = qn(style, "master-page"), *q_name = qn(style, "name");
    char *name = NULL;
    xp_raw_tag tag;
    for (size_t at = 0; !name && xp_raw_next(s, n, at, &tag); at = tag.end) {
        size_t va, vl;
        if (!tag.closing && xp_raw_is(s, &tag, q_master) && xp_raw_attr(s, &tag, q_name, &va, &vl))
            name = xstrndup(s + va, vl);
    }
    free(style), free(q_master), free(q_name);
    return name ? name : xstrdup("Standard");
}

/* Copies record r's master page (the one the text starts on) under a name
 * of its own. */
static void merge_take_master(odt_merger *m, const char *s, size_t n, size_t r)
{
    char *style = merge_prefix(s, n, STYLE_NS, "style:");
    char *q_master = qn(style, "master-page"), *q_name = qn(style, "name");
    char *q_display = qn(style, "display-name");
    char *end_tag = xasprintf("</%s>", q_master);
    xp_raw_tag tag;
    for (size_t at = 0; xp_raw_next(s, n, at, &tag); at = tag.end) {
        size_t va, vl;
        if (tag.closing || !xp_raw_is(s, &tag, q_master) ||
            !xp_raw_attr(s, &tag, q_name, &va, &vl) || strlen(m->master) != vl ||
            memcmp(s + va, m->master, vl) != 0)
            continue;
        char name[48];
        snprintf(name, sizeof name, "cpMaster%zu", r);
        xp_attr_edit edits[2] = {{q_name, name}, {q_display, NULL}};
        xp_raw_emit(&m->masters, s, &tag, edits, 2);
        if (!tag.empty) {
            const char *end = strstr(s + tag.end, end_tag);
            size_t stop = end ? (size_t)(end - s) + strlen(end_tag) : n;
            buf_add(&m->masters, s + tag.end, stop - tag.end);
        }
        break;
    }
    free(style), free(q_master), free(q_name), free(q_display), free(end_tag);
}

/* Where office:text's content starts and ends; *decls_end is past the
 * declarations that must stand once, at the top (sequence, variable and
 * user field declarations, forms). */
static bool merge_find_body(odt_merger *m, const char *s, size_t n, size_t *content,
                          size_t *decls_end, size_t *content_end)
{
    static const char *const decls[] = {"variable-decls", "sequence-decls",
                                        "user-field-decls", "dde-connection-decls",
                                        "alphabetical-index-auto-mark-file"};
    char *q_text = qn(m->office, "text"), *q_forms = qn(m->office, "forms");
    xp_raw_tag tag;
    bool found = false, in_decls = true;
    int depth = 0;
    *content = *decls_end = *content_end = 0;
    for (size_t at = 0; xp_raw_next(s, n, at, &tag); at = tag.end) {
        if (!found) {
            if (!tag.closing && !tag.empty && xp_raw_is(s, &tag, q_text)) {
                found = true;
                *content = *decls_end = tag.end;
            }
            continue;
        }
        if (tag.closing && depth == 0) {
            *content_end = tag.start;
            break;
        }
        if (depth == 0 && !tag.closing && in_decls) {
            bool decl = xp_raw_is(s, &tag, q_forms);
            for (size_t k = 0; k < sizeof decls / sizeof decls[0] && !decl; k++) {
                char *q = qn(m->text, decls[k]);
                decl = xp_raw_is(s, &tag, q);
                free(q);
            }
            in_decls = decl;
        }
        if (!tag.closing && !tag.empty)
            depth++;
        else if (tag.closing)
            depth--;
        if (depth == 0 && in_decls)
            *decls_end = tag.end;
    }
    free(q_text), free(q_forms);
    return found && *content_end >= *decls_end;
}

/* Copies content of record r with its xml:id values made its own ("L1"
 * becomes "cpR2L1"): ids must stay unique in a document, and the lists a
 * record continues (text:continue-list names an xml:id) must be that
 * record's, or its numbers go on from the record before. */
static void merge_rewrite(odt_merger *m, const char *s, size_t n, size_t r, buf *out)
{
    const char *names[2] = {"id", "continue-list"};
    char *q[2] = {qn(m->xml, names[0]), qn(m->text, names[1])};
    size_t copied = 0;
    xp_raw_tag tag;
    for (size_t at = 0; xp_raw_next(s, n, at, &tag); at = tag.end) {
        if (tag.closing)
            continue;
        xp_attr_edit edits[2];
        char *fresh[2] = {NULL, NULL};
        size_t n_edits = 0;
        for (int k = 0; k < 2; k++) {
            size_t va, vl;
            if (!xp_raw_attr(s, &tag, q[k], &va, &vl))
                continue;
            fresh[k] = xasprintf("cpR%zu%.*s", r, (int)vl, s + va);
            edits[n_edits++] = (xp_attr_edit){q[k], fresh[k]};
        }
        if (n_edits) {
            buf_add(out, s + copied, tag.start - copied);
            xp_raw_emit(out, s, &tag, edits, n_edits);
            copied = tag.end;
        }
        free(fresh[0]), free(fresh[1]);
    }
    buf_add(out, s + copied, n - copied);
    free(q[0]), free(q[1]);
}

void odt_merge_add(odt_merger *m, buf *piece)
{
    const odt_template *t = m->t;
    size_t r = ++m->records;
    const char *content = t->entries[m->content].prog ? NULL : m->raw_content.data;
    size_t content_len = m->raw_content.len;
    const char *styles = m->styles >= 0 && !t->entries[m->styles].prog ? m->raw_styles.data : NULL;
    size_t styles_len = m->raw_styles.len;
    size_t at = 0, entry, len;
    const char *bytes;
    while (xp_piece_get(piece, &at, &entry, &bytes, &len)) {
        if ((long)entry == m->content) {
            content = bytes;
            content_len = len;
        } else if ((long)entry == m->styles) {
            styles = bytes;
            styles_len = len;
        } else if (r == 1) {
            buf_add(&m->first[entry], bytes, len);
        }
    }
    if (r == 1) {
        m->office = merge_prefix(content, content_len, OFFICE_NS, "office:");
        m->text = merge_prefix(content, content_len, TEXT_NS, "text:");
        m->style = merge_prefix(content, content_len, STYLE_NS, "style:");
        m->fo = merge_prefix(content, content_len, FO_NS, "fo:");
        m->xml = xstrdup("xml:");
        m->master = styles ? merge_first_master(styles, styles_len) : xstrdup("Standard");
        if (styles)
            buf_add(&m->styles_doc, styles, styles_len);
    }
    size_t start, decls_end, end;
    if (!content || !merge_find_body(m, content, content_len, &start, &decls_end, &end))
        goto done;
    if (r == 1) {
        buf_add(&m->head, content, start);
        buf_add(&m->tail, content + end, content_len - end);
        buf_add(&m->body, content + start, end - start);
        goto done;
    }
    /* Headers and footers with tags: this record gets its own master page. */
    bool own_master = m->styles >= 0 && t->entries[m->styles].prog && styles;
    if (own_master)
        merge_take_master(m, styles, styles_len, r);
    const char *st = m->style, *fo = m->fo;
    buf_printf(&m->auto_styles,
               "<%sstyle %sname=\"cpRecord%zu\" %sfamily=\"paragraph\" %smaster-page-name=\"",
               st, st, r, st, st);
    if (own_master)
        buf_printf(&m->auto_styles, "cpMaster%zu", r);
    else
        buf_adds(&m->auto_styles, m->master);
    buf_printf(&m->auto_styles,
               "\"><%sparagraph-properties %spage-number=\"1\" %smargin-top=\"0in\" "
               "%smargin-bottom=\"0in\" %sline-height=\"0.01in\"/><%stext-properties "
               "%sfont-size=\"1pt\"/></%sstyle>",
               st, st, fo, fo, fo, st, fo, st);
    buf_printf(&m->body, "<%sp %sstyle-name=\"cpRecord%zu\"/>", m->text, m->text, r);
    merge_rewrite(m, content + decls_end, end - decls_end, r, &m->body);
done:
    buf_free(piece);
}

/* Copies s to out with extra inserted before the first marker (a closing
 * tag); without one, before fallback and wrapped in the marker's element. */
static void insert_before_first(buf *out, const char *s, size_t n, const char *marker,
                                const char *fallback, const char *extra, size_t extra_len)
{
    const char *hit = strstr(s, marker);
    bool wrap = false;
    if (!hit && fallback) {
        hit = strstr(s, fallback);
        wrap = true;
    }
    size_t at = hit ? (size_t)(hit - s) : n;
    buf_add(out, s, at);
    if (wrap && extra_len)
        buf_printf(out, "<%.*s>", (int)(strcspn(marker + 2, ">")), marker + 2);
    buf_add(out, extra, extra_len);
    if (wrap && extra_len)
        buf_adds(out, marker);
    buf_add(out, s + at, n - at);
}

bool odt_merge_finish(odt_merger *m, buf *out, diag *d)
{
    const odt_template *t = m->t;
    zipio_writer *w = zipio_writer_new(t->mtime);
    zipio_add(w, "mimetype", ODT_MIME, strlen(ODT_MIME), true, 0);
    buf part = {0};
    char *auto_close = xasprintf("</%sautomatic-styles>", m->office ? m->office : "office:");
    char *body_open = xasprintf("<%sbody", m->office ? m->office : "office:");
    char *master_close = xasprintf("</%smaster-styles>", m->office ? m->office : "office:");
    char *auto_empty = xasprintf("<%sautomatic-styles/>", m->office ? m->office : "office:");
    char *auto_pair = xasprintf("<%sautomatic-styles>%s", m->office ? m->office : "office:",
                                auto_close);
    for (size_t i = 0; i < t->n_entries; i++) {
        const char *name = zipio_name(t->zr, i);
        buf_reset(&part);
        if (i == t->mimetype) {
            continue;
        } else if ((long)i == m->content) {
            buf doc = {0};
            buf_add(&doc, m->head.data ? m->head.data : "", m->head.len);
            buf_add(&doc, m->body.data ? m->body.data : "", m->body.len);
            buf_add(&doc, m->tail.data ? m->tail.data : "", m->tail.len);
            /* LibreOffice writes an empty <office:automatic-styles/>. */
            xp_replace_all(&doc, auto_empty, auto_pair);
            insert_before_first(&part, doc.data ? doc.data : "", doc.len, auto_close, body_open,
                                m->auto_styles.data ? m->auto_styles.data : "",
                                m->auto_styles.len);
            buf_free(&doc);
        } else if ((long)i == m->styles && t->entries[i].prog) {
            insert_before_first(&part, m->styles_doc.data ? m->styles_doc.data : "",
                                m->styles_doc.len, master_close, NULL,
                                m->masters.data ? m->masters.data : "", m->masters.len);
        } else if (t->entries[i].prog) {
            buf_add(&part, m->first[i].data ? m->first[i].data : "", m->first[i].len);
        } else if (t->entries[i].bytes) {
            buf_add(&part, t->entries[i].bytes, t->entries[i].len);
        } else {
            zipio_add_copy(w, t->zr, i);
            continue;
        }
        zipio_add(w, name, part.data ? part.data : "", part.len, part.len < DOC_STORE_BELOW,
                  DOC_DEFLATE_LEVEL);
    }
    bool ok = zipio_writer_finish(w, out, d);
    zipio_writer_free(w);
    buf_free(&part);
    free(auto_close), free(body_open), free(master_close), free(auto_empty), free(auto_pair);
    return ok;
}
