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
#include "zpart.h"

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
    zpart *zp;         /* prog's static chunks, deflated once */
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
    size_t main; /* the main document part's entry */
    /* Parts a merge edits, by their content type: entries, or -1. */
    long numbering, footnotes, endnotes;
};

void docx_free(docx_template *t)
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
        const char *type = docx_content_type(types, zipio_name(t->zr, i));
        kinds[i] = docx_kind_of_type(type);
        long *merged = !type                                    ? NULL
                       : !strcmp(type, WML "numbering+xml") ? &t->numbering
                       : !strcmp(type, WML "footnotes+xml") ? &t->footnotes
                       : !strcmp(type, WML "endnotes+xml")  ? &t->endnotes
                                                            : NULL;
        if (merged && *merged < 0)
            *merged = (long)i;
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
    if (ok && t->entries[i].prog) {
        t->entries[i].zp = zpart_new(t->entries[i].prog);
        t->order[t->n_order++] = i;
    }
    return ok;
}

docx_template *docx_compile(zipio_reader *zr, const char *file, const doc_options *opt, diag *d)
{
    docx_template *t = xcalloc(1, sizeof *t);
    t->zr = zr;
    t->file = xstrdup(file);
    t->mtime = opt->mtime;
    t->numbering = t->footnotes = t->endnotes = -1;
    t->n_entries = zipio_count(zr);
    t->entries = xcalloc(t->n_entries ? t->n_entries : 1, sizeof *t->entries);
    t->order = xcalloc(t->n_entries ? t->n_entries : 1, sizeof *t->order);
    docx_part_kind *kinds = xcalloc(t->n_entries ? t->n_entries : 1, sizeof *kinds);
    xp_compiler *c = xp_compiler_new(&docx_dialect, t->file, opt);
    bool ok = docx_find_parts(t, opt, kinds, d);
    /* The body first: a delimiter change there holds for the other parts. */
    for (size_t i = 0; ok && i < t->n_entries; i++) {
        if (kinds[i] != DOCX_MAIN)
            continue;
        t->main = i;
        if (!docx_compile_entry(t, c, i, d))
            ok = false;
    }
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
    bool ok = true;
    for (size_t i = 0; i < t->n_entries; i++) {
        const docx_entry *e = &t->entries[i];
        const char *name = zipio_name(t->zr, i);
        if (e->prog) {
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

void docx_each_tag(const docx_template *t, tpl_tag_fn fn, void *ud)
{
    for (size_t k = 0; k < t->n_order; k++)
        xp_each_tag(t->entries[t->order[k]].prog, fn, ud);
}

/* ---- merged documents (batch --merge) ------------------------------------ */

/* Every record's rendered parts go into one .docx: the bodies one after the
 * other, each ending in a section break to a new page whose section points
 * at that record's own copies of the headers and footers (when they hold
 * tags) and restarts page numbers; numbered lists of later records get new
 * list instances restarting at their first number; footnotes, endnotes,
 * drawing and bookmark ids are renumbered so none repeats. The rendered
 * parts are edited as text: values are escaped, so every '<' is markup. */

#define R_NS "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define REL_TYPES "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

bool docx_merge_render(const docx_template *t, const value *data, const render_options *opt,
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
    for (size_t i = 0; i < t->n_entries; i++) {
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

/* A header or footer the main part points at. */
typedef struct merge_rel {
    char *id;
    size_t entry;
    bool footer;
    buf own_rels; /* the part's own relationships, copied with it */
    bool has_rels;
} merge_rel;

typedef struct merge_abstract {
    long id;
    long start[9];
} merge_abstract;

typedef struct merge_num {
    long id, abstract;
} merge_num;

typedef struct merge_part {
    char *name;
    buf data;
} merge_part;

/* Footnotes or endnotes being merged. */
typedef struct merge_notes {
    long entry;   /* -1: the template has none */
    const char *elem; /* "footnote" / "endnote" */
    buf raw;      /* the part as in the template, when it holds no tag */
    buf head, tail, notes;
    long next;
    long *map;    /* this record's ids: old, new pairs */
    size_t n_map, cap_map;
} merge_notes;

struct docx_merger {
    const docx_template *t;
    char *w, *r, *wp, *w14;       /* prefixes of the main part, with colons */
    buf main_raw;                 /* the main part, when it holds no tag */
    long rels_entry, types_entry, numbering_entry;
    buf rels_raw, types_raw, numbering_raw;
    char *main_dir;               /* the main part's folder, with '/' ("word/") */
    merge_rel *rels;
    size_t n_rels;
    merge_abstract *abstracts;
    size_t n_abstracts;
    merge_num *nums;
    size_t n_nums;
    long next_num;
    char *num_prefix;
    merge_notes notes[2];
    buf head, body, sect, tail;   /* the main part being assembled */
    size_t records;
    long next_docpr, next_bookmark;
    buf rels_extra, types_extra, num_extra;
    merge_part *extra;            /* parts made per record */
    size_t n_extra, cap_extra;
    buf *first;                   /* per entry: the first record's rendering */
    /* This record's maps. */
    long *nmap, *bmap;
    size_t n_nmap, cap_nmap, n_bmap, cap_bmap;
    char **rmap;                  /* pairs: old relationship id, new */
    size_t n_rmap, cap_rmap;
};

static bool read_entry(const docx_template *t, long i, buf *out, diag *d)
{
    return i < 0 || zipio_read(t->zr, (size_t)i, out, d);
}

static long attr_long(const char *s, const xp_raw_tag *tag, const char *qname, long fallback)
{
    size_t at, len;
    if (!xp_raw_attr(s, tag, qname, &at, &len) || len == 0 || len > 20)
        return fallback;
    char tmp[24];
    memcpy(tmp, s + at, len);
    tmp[len] = '\0';
    char *end;
    long v = strtol(tmp, &end, 10);
    return *end ? fallback : v;
}

static char *attr_dup(const char *s, const xp_raw_tag *tag, const char *qname)
{
    size_t at, len;
    return xp_raw_attr(s, tag, qname, &at, &len) ? xstrndup(s + at, len) : NULL;
}

static char *qn(const char *prefix, const char *local)
{
    return xasprintf("%s%s", prefix ? prefix : "", local);
}

/* Which list each w:num stands for and where each list level starts. */
static void merge_read_numbering(docx_merger *m)
{
    const char *s = m->numbering_raw.data;
    size_t n = m->numbering_raw.len;
    if (!s)
        return;
    m->num_prefix = xp_root_prefix(s, n, W_NS);
    if (!m->num_prefix)
        m->num_prefix = xstrdup("w:");
    char *q_abs = qn(m->num_prefix, "abstractNum"), *q_absid = qn(m->num_prefix, "abstractNumId");
    char *q_num = qn(m->num_prefix, "num"), *q_numid = qn(m->num_prefix, "numId");
    char *q_lvl = qn(m->num_prefix, "lvl"), *q_ilvl = qn(m->num_prefix, "ilvl");
    char *q_start = qn(m->num_prefix, "start"), *q_val = qn(m->num_prefix, "val");
    size_t cap_abs = 0, cap_num = 0;
    long level = -1;
    merge_num *num = NULL;
    xp_raw_tag tag;
    for (size_t at = 0; xp_raw_next(s, n, at, &tag); at = tag.end) {
        if (tag.closing)
            continue;
        if (xp_raw_is(s, &tag, q_abs)) {
            if (m->n_abstracts == cap_abs) {
                cap_abs = cap_abs ? 2 * cap_abs : 8;
                m->abstracts = xrealloc(m->abstracts, cap_abs * sizeof *m->abstracts);
            }
            merge_abstract *a = &m->abstracts[m->n_abstracts++];
            a->id = attr_long(s, &tag, q_absid, -1);
            for (int k = 0; k < 9; k++)
                a->start[k] = 1;
            num = NULL;
        } else if (xp_raw_is(s, &tag, q_lvl)) {
            level = attr_long(s, &tag, q_ilvl, -1);
        } else if (xp_raw_is(s, &tag, q_start) && m->n_abstracts && level >= 0 && level < 9) {
            m->abstracts[m->n_abstracts - 1].start[level] = attr_long(s, &tag, q_val, 1);
        } else if (xp_raw_is(s, &tag, q_num)) {
            if (m->n_nums == cap_num) {
                cap_num = cap_num ? 2 * cap_num : 8;
                m->nums = xrealloc(m->nums, cap_num * sizeof *m->nums);
            }
            num = &m->nums[m->n_nums++];
            num->id = attr_long(s, &tag, q_numid, -1);
            num->abstract = -1;
            if (num->id >= m->next_num)
                m->next_num = num->id + 1;
        } else if (xp_raw_is(s, &tag, q_absid) && num) {
            num->abstract = attr_long(s, &tag, q_val, -1);
        }
    }
    free(q_abs), free(q_absid), free(q_num), free(q_numid);
    free(q_lvl), free(q_ilvl), free(q_start), free(q_val);
}

/* The headers and footers the main part points at, and which hold tags. */
static bool merge_read_rels(docx_merger *m, diag *d)
{
    const char *s = m->rels_raw.data;
    size_t n = m->rels_raw.len;
    if (!s)
        return true;
    size_t cap = 0;
    xp_raw_tag tag;
    bool ok = true;
    for (size_t at = 0; ok && xp_raw_next(s, n, at, &tag); at = tag.end) {
        if (tag.closing || !xp_raw_is(s, &tag, "Relationship"))
            continue;
        char *type = attr_dup(s, &tag, "Type");
        char *target = attr_dup(s, &tag, "Target");
        char *id = attr_dup(s, &tag, "Id");
        bool header = type && strcmp(type, REL_TYPES "header") == 0;
        bool footer = type && strcmp(type, REL_TYPES "footer") == 0;
        long entry = -1;
        if ((header || footer) && target && id) {
            char *name = target[0] == '/' ? xstrdup(target + 1)
                                          : xasprintf("%s%s", m->main_dir, target);
            entry = zipio_find(m->t->zr, name);
            free(name);
        }
        if (entry >= 0 && m->t->entries[entry].prog) {
            if (m->n_rels == cap) {
                cap = cap ? 2 * cap : 4;
                m->rels = xrealloc(m->rels, cap * sizeof *m->rels);
            }
            merge_rel *rel = &m->rels[m->n_rels++];
            memset(rel, 0, sizeof *rel);
            rel->id = id;
            id = NULL;
            rel->entry = (size_t)entry;
            rel->footer = footer;
            const char *pname = zipio_name(m->t->zr, (size_t)entry);
            const char *slash = strrchr(pname, '/');
            char *own = slash ? xasprintf("%.*s_rels/%s.rels", (int)(slash - pname + 1), pname,
                                          slash + 1)
                              : xasprintf("_rels/%s.rels", pname);
            long oi = zipio_find(m->t->zr, own);
            free(own);
            if (oi >= 0) {
                rel->has_rels = true;
                ok = zipio_read(m->t->zr, (size_t)oi, &rel->own_rels, d);
            }
        }
        free(type);
        free(target);
        free(id);
    }
    return ok;
}

docx_merger *docx_merge_new(const docx_template *t, diag *d)
{
    docx_merger *m = xcalloc(1, sizeof *m);
    m->t = t;
    m->first = xcalloc(t->n_entries ? t->n_entries : 1, sizeof *m->first);
    m->next_num = 1;
    /* Above every picture id the template holds: parts copied as they are
     * keep theirs, every other picture is numbered from here. */
    m->next_docpr = (long)xp_contexts_id_base(t->cx);
    const char *main_name = zipio_name(t->zr, t->main);
    const char *slash = strrchr(main_name, '/');
    m->main_dir = slash ? xstrndup(main_name, (size_t)(slash - main_name + 1)) : xstrdup("");
    char *rels = xasprintf("%s_rels/%s.rels", m->main_dir, slash ? slash + 1 : main_name);
    m->rels_entry = zipio_find(t->zr, rels);
    free(rels);
    m->types_entry = zipio_find(t->zr, "[Content_Types].xml");
    bool ok = read_entry(t, m->rels_entry, &m->rels_raw, d) &&
              read_entry(t, m->types_entry, &m->types_raw, d) &&
              (t->entries[t->main].prog || read_entry(t, (long)t->main, &m->main_raw, d));
    m->numbering_entry = t->numbering;
    for (int k = 0; k < 2; k++) {
        merge_notes *mn = &m->notes[k];
        mn->elem = k == 0 ? "footnote" : "endnote";
        mn->entry = k == 0 ? t->footnotes : t->endnotes;
        if (ok && mn->entry >= 0 && !t->entries[mn->entry].prog)
            ok = read_entry(t, mn->entry, &mn->raw, d);
    }
    ok = ok && read_entry(t, m->numbering_entry, &m->numbering_raw, d) && merge_read_rels(m, d);
    if (!ok) {
        docx_merge_free(m);
        return NULL;
    }
    merge_read_numbering(m);
    return m;
}

void docx_merge_free(docx_merger *m)
{
    if (!m)
        return;
    free(m->w), free(m->r), free(m->wp), free(m->w14), free(m->num_prefix), free(m->main_dir);
    buf_free(&m->main_raw), buf_free(&m->rels_raw), buf_free(&m->types_raw);
    buf_free(&m->numbering_raw);
    for (size_t i = 0; i < m->n_rels; i++) {
        free(m->rels[i].id);
        buf_free(&m->rels[i].own_rels);
    }
    free(m->rels);
    free(m->abstracts);
    free(m->nums);
    for (int k = 0; k < 2; k++) {
        buf_free(&m->notes[k].raw), buf_free(&m->notes[k].head), buf_free(&m->notes[k].tail);
        buf_free(&m->notes[k].notes);
        free(m->notes[k].map);
    }
    buf_free(&m->head), buf_free(&m->body), buf_free(&m->sect), buf_free(&m->tail);
    buf_free(&m->rels_extra), buf_free(&m->types_extra), buf_free(&m->num_extra);
    for (size_t i = 0; i < m->n_extra; i++) {
        free(m->extra[i].name);
        buf_free(&m->extra[i].data);
    }
    free(m->extra);
    for (size_t i = 0; i < m->t->n_entries; i++)
        buf_free(&m->first[i]);
    free(m->first);
    free(m->nmap), free(m->bmap);
    for (size_t i = 0; i < m->n_rmap; i++)
        free(m->rmap[i]);
    free(m->rmap);
    free(m);
}

/* ---- editing tags -------------------------------------------------------- */

/* old → new in a list of pairs; allocates the next number when absent. */
static long map_id(long **map, size_t *n, size_t *cap, long old, long *next)
{
    for (size_t i = 0; i < *n; i++)
        if ((*map)[2 * i] == old)
            return (*map)[2 * i + 1];
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 16;
        *map = xrealloc(*map, 2 * *cap * sizeof **map);
    }
    (*map)[2 * *n] = old;
    (*map)[2 * *n + 1] = (*next)++;
    ++*n;
    return (*map)[2 * *n - 1];
}

/* ---- one record ---------------------------------------------------------- */

/* The new list instance for list num in this record: the same list,
 * restarted at its first numbers. */
static long merge_restart_num(docx_merger *m, long num)
{
    for (size_t i = 0; i < m->n_nmap; i++)
        if (m->nmap[2 * i] == num)
            return m->nmap[2 * i + 1];
    long abstract = -1;
    for (size_t i = 0; i < m->n_nums && abstract < 0; i++)
        if (m->nums[i].id == num)
            abstract = m->nums[i].abstract;
    if (abstract < 0)
        return num;
    const merge_abstract *a = NULL;
    for (size_t i = 0; i < m->n_abstracts && !a; i++)
        if (m->abstracts[i].id == abstract)
            a = &m->abstracts[i];
    long fresh = m->next_num++;
    const char *p = m->num_prefix;
    buf_printf(&m->num_extra, "<%snum %snumId=\"%ld\"><%sabstractNumId %sval=\"%ld\"/>", p, p,
               fresh, p, p, abstract);
    for (int k = 0; k < 9; k++)
        buf_printf(&m->num_extra,
                   "<%slvlOverride %silvl=\"%d\"><%sstartOverride %sval=\"%ld\"/></%slvlOverride>",
                   p, p, k, p, p, a ? a->start[k] : 1, p);
    buf_printf(&m->num_extra, "</%snum>", p);
    long next = num;
    map_id(&m->nmap, &m->n_nmap, &m->cap_nmap, num, &next);
    m->nmap[2 * (m->n_nmap - 1) + 1] = fresh;
    return fresh;
}

static const char *rel_for_record(const docx_merger *m, const char *s, size_t at, size_t len)
{
    for (size_t i = 0; i < m->n_rmap; i += 2)
        if (strlen(m->rmap[i]) == len && memcmp(m->rmap[i], s + at, len) == 0)
            return m->rmap[i + 1];
    return NULL;
}

/* Copies main-part XML of record r to out with its ids made unique. */
static void merge_rewrite(docx_merger *m, const char *s, size_t n, size_t r, buf *out)
{
    char *q_numid = qn(m->w, "numId"), *q_val = qn(m->w, "val"), *q_id = qn(m->w, "id");
    char *q_href = qn(m->w, "headerReference"), *q_fref = qn(m->w, "footerReference");
    char *q_rid = qn(m->r, "id"), *q_docpr = qn(m->wp, "docPr");
    char *q_bs = qn(m->w, "bookmarkStart"), *q_be = qn(m->w, "bookmarkEnd");
    char *q_fn = qn(m->w, "footnoteReference"), *q_en = qn(m->w, "endnoteReference");
    char *q_p = qn(m->w, "p"), *q_tr = qn(m->w, "tr");
    char *q_para = m->w14 ? qn(m->w14, "paraId") : NULL;
    char *q_text = m->w14 ? qn(m->w14, "textId") : NULL;
    size_t copied = 0;
    xp_raw_tag tag;
    char num[32];
    for (size_t at = 0; xp_raw_next(s, n, at, &tag); at = tag.end) {
        if (tag.closing)
            continue;
        xp_attr_edit edits[2];
        size_t n_edits = 0;
        size_t va, vl;
        if (r > 1 && xp_raw_is(s, &tag, q_numid)) {
            long id = attr_long(s, &tag, q_val, 0);
            if (id > 0) {
                snprintf(num, sizeof num, "%ld", merge_restart_num(m, id));
                edits[n_edits++] = (xp_attr_edit){q_val, num};
            }
        } else if ((xp_raw_is(s, &tag, q_href) || xp_raw_is(s, &tag, q_fref)) &&
                   xp_raw_attr(s, &tag, q_rid, &va, &vl)) {
            const char *fresh = rel_for_record(m, s, va, vl);
            if (fresh)
                edits[n_edits++] = (xp_attr_edit){q_rid, fresh};
        } else if (xp_raw_is(s, &tag, q_docpr)) {
            snprintf(num, sizeof num, "%ld", m->next_docpr++);
            edits[n_edits++] = (xp_attr_edit){"id", num};
        } else if (xp_raw_is(s, &tag, q_bs) || xp_raw_is(s, &tag, q_be)) {
            long id = attr_long(s, &tag, q_id, -1);
            if (id >= 0) {
                snprintf(num, sizeof num, "%ld",
                         map_id(&m->bmap, &m->n_bmap, &m->cap_bmap, id, &m->next_bookmark));
                edits[n_edits++] = (xp_attr_edit){q_id, num};
            }
        } else if (xp_raw_is(s, &tag, q_fn) || xp_raw_is(s, &tag, q_en)) {
            merge_notes *mn = &m->notes[xp_raw_is(s, &tag, q_fn) ? 0 : 1];
            long id = attr_long(s, &tag, q_id, -1);
            for (size_t i = 0; i < mn->n_map; i++)
                if (mn->map[2 * i] == id) {
                    snprintf(num, sizeof num, "%ld", mn->map[2 * i + 1]);
                    edits[n_edits++] = (xp_attr_edit){q_id, num};
                }
        } else if (r > 1 && q_para && (xp_raw_is(s, &tag, q_p) || xp_raw_is(s, &tag, q_tr))) {
            edits[n_edits++] = (xp_attr_edit){q_para, NULL};
            edits[n_edits++] = (xp_attr_edit){q_text, NULL};
        }
        if (!n_edits)
            continue;
        buf_add(out, s + copied, tag.start - copied);
        xp_raw_emit(out, s, &tag, edits, n_edits);
        copied = tag.end;
    }
    buf_add(out, s + copied, n - copied);
    free(q_numid), free(q_val), free(q_id), free(q_href), free(q_fref), free(q_rid);
    free(q_docpr), free(q_bs), free(q_be), free(q_fn), free(q_en), free(q_p), free(q_tr);
    free(q_para), free(q_text);
}

/* "wp:docPr" as part s names it. Caller frees. */
static char *docpr_qname(const char *s, size_t n)
{
    char *wp = xp_root_prefix(s, n, WP_NS);
    char *q = qn(wp ? wp : "wp:", "docPr");
    free(wp);
    return q;
}

/* Copies XML to out with every picture (q_docpr) under the next free id:
 * the headers, footers and notes each record gets would repeat them, and
 * Word reports duplicate picture ids as unreadable content. */
static void merge_fresh_docpr(docx_merger *m, const char *q_docpr, const char *s, size_t n,
                              buf *out)
{
    size_t copied = 0;
    xp_raw_tag tag;
    char num[32];
    for (size_t at = 0; xp_raw_next(s, n, at, &tag); at = tag.end) {
        if (tag.closing || !xp_raw_is(s, &tag, q_docpr))
            continue;
        snprintf(num, sizeof num, "%ld", m->next_docpr++);
        xp_attr_edit e = {"id", num};
        buf_add(out, s + copied, tag.start - copied);
        xp_raw_emit(out, s, &tag, &e, 1);
        copied = tag.end;
    }
    buf_add(out, s + copied, n - copied);
}

/* Takes the record's footnotes or endnotes: separators from the first
 * record, every other note under a fresh id (mapped for the body). */
static void merge_take_notes(docx_merger *m, merge_notes *mn, const char *s, size_t n, size_t r)
{
    char *q_note = qn(m->w, mn->elem), *q_id = qn(m->w, "id"), *q_type = qn(m->w, "type");
    char *q_docpr = docpr_qname(s, n);
    mn->n_map = 0;
    xp_raw_tag tag;
    size_t at = 0;
    if (r == 1 && xp_raw_next(s, n, 0, &tag)) {
        buf_add(&mn->head, s, tag.end);
        const char *close = NULL;
        for (size_t k = n; k > 0 && !close; k--)
            if (s[k - 1] == '<' && k < n && s[k] == '/')
                close = s + k - 1;
        buf_adds(&mn->tail, close ? close : "");
        at = tag.end;
    }
    long max_separator = 0;
    for (; xp_raw_next(s, n, at, &tag); at = tag.end) {
        if (tag.closing || tag.empty || !xp_raw_is(s, &tag, q_note))
            continue;
        char *end_tag = xasprintf("</%s>", q_note);
        const char *end = strstr(s + tag.end, end_tag);
        size_t end_at = end ? (size_t)(end - s) + strlen(end_tag) : n;
        free(end_tag);
        long id = attr_long(s, &tag, q_id, 0);
        size_t ta, tl;
        bool separator = xp_raw_attr(s, &tag, q_type, &ta, &tl) &&
                         !(tl == 6 && memcmp(s + ta, "normal", 6) == 0);
        if (separator) {
            if (r == 1)
                buf_add(&mn->notes, s + tag.start, end_at - tag.start);
            if (id > max_separator)
                max_separator = id;
        } else {
            if (mn->next <= max_separator)
                mn->next = max_separator + 1;
            char fresh[32];
            snprintf(fresh, sizeof fresh, "%ld",
                     map_id(&mn->map, &mn->n_map, &mn->cap_map, id, &mn->next));
            xp_attr_edit e = {q_id, fresh};
            xp_raw_emit(&mn->notes, s, &tag, &e, 1);
            merge_fresh_docpr(m, q_docpr, s + tag.end, end_at - tag.end, &mn->notes);
        }
        at = end_at;
        tag.end = end_at;
    }
    free(q_note), free(q_id), free(q_type), free(q_docpr);
}

/* The record's copies of the headers and footers that hold tags. */
static void merge_take_header(docx_merger *m, const merge_rel *rel, const char *s, size_t n,
                              size_t r)
{
    char *q_docpr = docpr_qname(s, n);
    if (r == 1) {
        if (!m->first[rel->entry].data)
            merge_fresh_docpr(m, q_docpr, s, n, &m->first[rel->entry]);
        free(q_docpr);
        return;
    }
    const char *pname = zipio_name(m->t->zr, rel->entry);
    const char *dot = strrchr(pname, '.');
    size_t stem = dot ? (size_t)(dot - pname) : strlen(pname);
    char *name = xasprintf("%.*s-r%zu%s", (int)stem, pname, r, dot ? dot : "");
    char *id = xasprintf("cpR%zu%s", r, rel->id);
    size_t dir = strlen(m->main_dir);
    const char *target = strncmp(name, m->main_dir, dir) == 0 ? name + dir : NULL;
    buf_printf(&m->rels_extra, "<Relationship Id=\"%s\" Type=\"%s%s\" Target=\"%s%s\"/>", id,
               REL_TYPES, rel->footer ? "footer" : "header", target ? "" : "/",
               target ? target : name);
    buf_printf(&m->types_extra, "<Override PartName=\"/%s\" ContentType=\"%s%s\"/>", name, WML,
               rel->footer ? "footer+xml" : "header+xml");
    if (m->n_extra + 2 > m->cap_extra) {
        m->cap_extra = m->cap_extra ? 2 * m->cap_extra : 16;
        m->extra = xrealloc(m->extra, m->cap_extra * sizeof *m->extra);
    }
    merge_part *part = &m->extra[m->n_extra++];
    part->name = name;
    memset(&part->data, 0, sizeof part->data);
    merge_fresh_docpr(m, q_docpr, s, n, &part->data);
    free(q_docpr);
    if (rel->has_rels) {
        const char *slash = strrchr(name, '/');
        merge_part *own = &m->extra[m->n_extra++];
        own->name = slash ? xasprintf("%.*s_rels/%s.rels", (int)(slash - name + 1), name, slash + 1)
                          : xasprintf("_rels/%s.rels", name);
        memset(&own->data, 0, sizeof own->data);
        buf_add(&own->data, rel->own_rels.data, rel->own_rels.len);
    }
    if (m->n_rmap + 2 > m->cap_rmap) {
        m->cap_rmap = m->cap_rmap ? 2 * m->cap_rmap : 8;
        m->rmap = xrealloc(m->rmap, m->cap_rmap * sizeof *m->rmap);
    }
    m->rmap[m->n_rmap++] = xstrdup(rel->id);
    m->rmap[m->n_rmap++] = id;
}

/* Whether the sectPr child tag (at depth 1) comes after `local` in the
 * schema's order: where a missing `local` must go. */
static bool sect_child_after(const docx_merger *m, const char *s, const xp_raw_tag *tag,
                             const char *local)
{
    static const char *const order[] = {
        "headerReference", "footerReference", "footnotePr", "endnotePr", "type",
        "pgSz",            "pgMar",           "paperSrc",   "pgBorders", "lnNumType",
        "pgNumType",       "cols",            "formProt",   "vAlign",    "noEndnote",
        "titlePg",         "textDirection",   "bidi",       "rtlGutter", "docGrid",
        "printerSettings", "sectPrChange"};
    size_t wl = strlen(m->w), n = sizeof order / sizeof order[0];
    if (tag->name_len <= wl || memcmp(s + tag->name, m->w, wl) != 0)
        return false;
    size_t mine = n, theirs = n;
    for (size_t k = 0; k < n; k++) {
        if (strcmp(order[k], local) == 0)
            mine = k;
        if (strlen(order[k]) == tag->name_len - wl &&
            memcmp(order[k], s + tag->name + wl, tag->name_len - wl) == 0)
            theirs = k;
    }
    return theirs < n && theirs > mine;
}

/* A later record's section starts on a new page (said outright: LibreOffice
 * does not take the schema's default) and numbers its pages from 1. */
static void merge_section_starts_page(docx_merger *m, buf *sect)
{
    char *q_type = qn(m->w, "type"), *q_val = qn(m->w, "val"), *q_pg = qn(m->w, "pgNumType");
    char *q_start = qn(m->w, "start"), *q_sect = qn(m->w, "sectPr");
    buf out = {0};
    const char *s = sect->data;
    size_t n = sect->len, copied = 0;
    bool typed = false, numbered = false;
    int depth = 0;
    xp_raw_tag tag;
    for (size_t at = 0; xp_raw_next(s, n, at, &tag); at = tag.end) {
        bool top = depth == 1;
        if (!tag.closing && !tag.empty)
            depth++;
        else if (tag.closing)
            depth--;
        bool end = tag.closing && depth == 0 && xp_raw_is(s, &tag, q_sect);
        if (!end && (!top || tag.closing))
            continue;
        if (!typed && (end || sect_child_after(m, s, &tag, "type"))) {
            buf_add(&out, s + copied, tag.start - copied);
            buf_printf(&out, "<%s %s=\"nextPage\"/>", q_type, q_val);
            copied = tag.start;
            typed = true;
        }
        if (!numbered && (end || sect_child_after(m, s, &tag, "pgNumType"))) {
            buf_add(&out, s + copied, tag.start - copied);
            buf_printf(&out, "<%s %s=\"1\"/>", q_pg, q_start);
            copied = tag.start;
            numbered = true;
        }
        if (end)
            break;
        size_t va, vl;
        if (xp_raw_is(s, &tag, q_type)) {
            typed = true;
            if (xp_raw_attr(s, &tag, q_val, &va, &vl) && vl == 10 &&
                memcmp(s + va, "continuous", 10) == 0) {
                xp_attr_edit e = {q_val, "nextPage"};
                buf_add(&out, s + copied, tag.start - copied);
                xp_raw_emit(&out, s, &tag, &e, 1);
                copied = tag.end;
            }
        } else if (xp_raw_is(s, &tag, q_pg)) {
            numbered = true;
            if (!xp_raw_attr(s, &tag, q_start, &va, &vl)) {
                buf_add(&out, s + copied, tag.start - copied);
                xp_raw_emit(&out, s, &tag, NULL, 0);
                out.len -= tag.empty ? 2 : 1;
                buf_printf(&out, " %s=\"1\"%s", q_start, tag.empty ? "/>" : ">");
                copied = tag.end;
            }
        }
    }
    buf_add(&out, s + copied, n - copied);
    buf_free(sect);
    *sect = out;
    free(q_type), free(q_val), free(q_pg), free(q_start), free(q_sect);
}

/* Splits the first record's main part into what stands before the body's
 * content, and after it; learns the prefixes. */
static void merge_learn_main(docx_merger *m, const char *s, size_t n)
{
    m->w = xp_root_prefix(s, n, W_NS);
    if (!m->w)
        m->w = xp_root_prefix(s, n, W_NS_STRICT);
    if (!m->w)
        m->w = xstrdup("w:");
    m->r = xp_root_prefix(s, n, R_NS);
    if (!m->r)
        m->r = xstrdup("r:");
    m->wp = xp_root_prefix(s, n, WP_NS);
    if (!m->wp)
        m->wp = xstrdup("wp:");
    m->w14 = xp_root_prefix(s, n, W14_NS);
}

/* Where the body's content starts and ends in a rendered main part, and its
 * last section properties ([*sect, *content_end) when the body ends with
 * them). */
static bool merge_find_body(docx_merger *m, const char *s, size_t n, size_t *content,
                            size_t *sect, size_t *content_end, size_t *body_end)
{
    char *q_body = qn(m->w, "body"), *q_sect = qn(m->w, "sectPr");
    xp_raw_tag tag;
    bool found = false;
    int depth = 0;
    size_t last_sect = 0, last_sect_end = 0;
    *content = 0;
    *body_end = n;
    for (size_t at = 0; xp_raw_next(s, n, at, &tag); at = tag.end) {
        if (!found) {
            if (!tag.closing && xp_raw_is(s, &tag, q_body)) {
                found = true;
                *content = tag.end;
                depth = 0;
            }
            continue;
        }
        if (tag.closing && depth == 0) {
            *body_end = tag.start;
            break;
        }
        if (depth == 0 && !tag.closing && xp_raw_is(s, &tag, q_sect)) {
            last_sect = tag.start;
            last_sect_end = tag.end;
        }
        if (!tag.closing && !tag.empty)
            depth++;
        else if (tag.closing)
            depth--;
        if (tag.closing && depth == 0 && xp_raw_is(s, &tag, q_sect))
            last_sect_end = tag.end;
    }
    free(q_body);
    free(q_sect);
    if (!found)
        return false;
    bool trailing = last_sect && last_sect_end <= *body_end;
    for (size_t i = last_sect_end; trailing && i < *body_end; i++)
        if (!xp_is_space(s[i]))
            trailing = false;
    *sect = trailing ? last_sect : *body_end;
    *content_end = *sect;
    return true;
}

void docx_merge_add(docx_merger *m, buf *piece)
{
    const docx_template *t = m->t;
    size_t r = ++m->records;
    const char *main = t->entries[t->main].prog ? NULL : m->main_raw.data;
    size_t main_len = m->main_raw.len;
    const char *notes[2] = {m->notes[0].raw.data, m->notes[1].raw.data};
    size_t notes_len[2] = {m->notes[0].raw.len, m->notes[1].raw.len};
    m->n_nmap = m->n_bmap = 0;
    for (size_t i = 0; i < m->n_rmap; i++)
        free(m->rmap[i]);
    m->n_rmap = 0;
    size_t at = 0, entry, len;
    const char *bytes;
    while (xp_piece_get(piece, &at, &entry, &bytes, &len)) {
        if (entry == t->main) {
            main = bytes;
            main_len = len;
            continue;
        }
        bool taken = false;
        for (int k = 0; k < 2; k++)
            if ((long)entry == m->notes[k].entry) {
                notes[k] = bytes;
                notes_len[k] = len;
                taken = true;
            }
        for (size_t k = 0; k < m->n_rels && !taken; k++)
            if (m->rels[k].entry == entry) {
                merge_take_header(m, &m->rels[k], bytes, len, r);
                taken = true;
            }
        if (!taken && r == 1)
            buf_add(&m->first[entry], bytes, len);
    }
    if (r == 1)
        merge_learn_main(m, main ? main : "", main ? main_len : 0);
    for (int k = 0; k < 2; k++)
        if (notes[k])
            merge_take_notes(m, &m->notes[k], notes[k], notes_len[k], r);
    size_t content, sect, content_end, body_end;
    if (!main || !merge_find_body(m, main, main_len, &content, &sect, &content_end, &body_end))
        goto done;
    if (r == 1) {
        buf_add(&m->head, main, content);
        buf_add(&m->tail, main + body_end, main_len - body_end);
    } else {
        /* The previous record's section ends here, in a paragraph of its
         * own kept as small as a paragraph can be. */
        const char *w = m->w;
        buf_printf(&m->body,
                   "<%sp><%spPr><%sspacing %sbefore=\"0\" %safter=\"0\" %sline=\"20\" "
                   "%slineRule=\"exact\"/><%srPr><%ssz %sval=\"2\"/><%sszCs %sval=\"2\"/></%srPr>",
                   w, w, w, w, w, w, w, w, w, w, w, w, w);
        buf_add(&m->body, m->sect.data ? m->sect.data : "", m->sect.len);
        buf_printf(&m->body, "</%spPr>", w);
        /* A body without section properties has one section: a page break
         * then. */
        if (!m->sect.len)
            buf_printf(&m->body, "<%sr><%sbr %stype=\"page\"/></%sr>", w, w, w, w);
        buf_printf(&m->body, "</%sp>", w);
    }
    merge_rewrite(m, main + content, content_end - content, r, &m->body);
    buf_reset(&m->sect);
    merge_rewrite(m, main + sect, body_end - sect, r, &m->sect);
    if (r > 1 && m->sect.len)
        merge_section_starts_page(m, &m->sect);
done:
    buf_free(piece);
}

/* Inserts extra before the last occurrence of marker in b (or at its end). */
static void insert_before_last(buf *out, const buf *b, const char *marker, const buf *extra)
{
    const char *s = b->data ? b->data : "";
    const char *hit = NULL;
    for (const char *p = s; (p = strstr(p, marker)) != NULL; p++)
        hit = p;
    size_t at = hit ? (size_t)(hit - s) : b->len;
    buf_add(out, s, at);
    buf_add(out, extra->data ? extra->data : "", extra->len);
    buf_add(out, s + at, b->len - at);
}

bool docx_merge_finish(docx_merger *m, buf *out, diag *d)
{
    const docx_template *t = m->t;
    zipio_writer *w = zipio_writer_new(t->mtime);
    buf part = {0};
    char *num_close = xasprintf("</%snumbering>", m->num_prefix ? m->num_prefix : "w:");
    char *num_mac = xasprintf("<%snumIdMacAtCleanup", m->num_prefix ? m->num_prefix : "w:");
    for (size_t i = 0; i < t->n_entries; i++) {
        const char *name = zipio_name(t->zr, i);
        buf_reset(&part);
        if (i == t->main) {
            buf_add(&part, m->head.data, m->head.len);
            buf_add(&part, m->body.data ? m->body.data : "", m->body.len);
            buf_add(&part, m->sect.data ? m->sect.data : "", m->sect.len);
            buf_add(&part, m->tail.data ? m->tail.data : "", m->tail.len);
        } else if ((long)i == m->rels_entry) {
            insert_before_last(&part, &m->rels_raw, "</Relationships>", &m->rels_extra);
        } else if ((long)i == m->types_entry) {
            buf raw = {0};
            if (t->entries[i].bytes)
                buf_add(&raw, t->entries[i].bytes, t->entries[i].len);
            else
                buf_add(&raw, m->types_raw.data, m->types_raw.len);
            insert_before_last(&part, &raw, "</Types>", &m->types_extra);
            buf_free(&raw);
        } else if ((long)i == m->numbering_entry) {
            bool mac = strstr(m->numbering_raw.data, num_mac) != NULL;
            insert_before_last(&part, &m->numbering_raw, mac ? num_mac : num_close,
                               &m->num_extra);
        } else if ((long)i == m->notes[0].entry || (long)i == m->notes[1].entry) {
            merge_notes *mn = &m->notes[(long)i == m->notes[0].entry ? 0 : 1];
            buf_add(&part, mn->head.data, mn->head.len);
            buf_add(&part, mn->notes.data ? mn->notes.data : "", mn->notes.len);
            buf_add(&part, mn->tail.data ? mn->tail.data : "", mn->tail.len);
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
    for (size_t i = 0; i < m->n_extra; i++)
        zipio_add(w, m->extra[i].name, m->extra[i].data.data ? m->extra[i].data.data : "",
                  m->extra[i].data.len, m->extra[i].data.len < DOC_STORE_BELOW,
                  DOC_DEFLATE_LEVEL);
    bool ok = zipio_writer_finish(w, out, d);
    zipio_writer_free(w);
    buf_free(&part);
    free(num_close);
    free(num_mac);
    return ok;
}
