/* xmlpart.c: the document-part stage both adapters share. Owns, for one XML
 * part at a time: safe parsing (no DTD, no entities, no network, a depth
 * cap), the visible text of each paragraph and where each of its bytes lives
 * in the tree, tag normalisation (a tag split over runs becomes one marker),
 * section pairing and reach (inline, paragraphs, table rows), fresh ids in
 * repeated content, and the cut of the serialised part into a program. At
 * render time it owns the value sink: XML escaping, forbidden characters,
 * tabs, line breaks and paragraph splits, and fresh ids.
 *
 * Markers are processing instructions whose target is a prefix absent from
 * the whole part ("casepack", or "casepack1"… when the part already holds
 * that word), rather than a fixed "casepack" with pre-existing ones removed:
 * a comment or CDATA section quoting a marker can then never be mistaken for
 * one. Attribute values to renew per repetition hold "PREFIX_N". */
#include "xmlpart.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include "render.h"

/* libxml2 caps nesting at 256 unless XML_PARSE_HUGE; a user who raises
 * --max-xml-depth past that gets HUGE, and our own cap still applies. */
#define XP_LIBXML_DEPTH 256

/* A synthetic tag's body: "." always resolves, and count turns lists and
 * maps into a number, so no "is a list" warning and no --strict error. The
 * sink ignores the text and writes a fresh id. */
#define XP_ID_BODY ". | count"

typedef enum xp_ctx_kind { XP_CTX_PLAIN, XP_CTX_TEXT, XP_CTX_ID } xp_ctx_kind;

typedef struct xp_ctx {
    xp_ctx_kind kind;
    char *tag;   /* the tag as written, for messages: owned */
    char *split; /* TEXT alone in its paragraph: ends it and opens the next; owned */
    char *tab, *newline; /* TEXT: what \t and \n become; owned */
    char *space_fmt;     /* TEXT in ODT: "<text:s text:c=\"%u\"/>"; owned, NULL: none */
    uint32_t slot;
    bool alloc;  /* ID: takes a fresh number for its slot */
    char *base;  /* ID: the name to suffix, XML-escaped; NULL: a bare number */
} xp_ctx;

struct xp_contexts {
    const xp_dialect *dl;
    xp_ctx *v;
    size_t n, cap;
    size_t n_slots;
    uint64_t id_base;
};

struct xp_compiler {
    const xp_dialect *dl;
    const char *file;
    size_t max_depth;
    unsigned max_section_depth;
    tpl_delims delims; /* carried across paragraphs and parts */
    uint64_t id_max;
    xp_contexts *cx;
};

typedef enum xp_reach { XP_REACH_NONE, XP_REACH_INLINE, XP_REACH_PARAGRAPH, XP_REACH_ROW } xp_reach;

/* Where visible bytes live: a text node, or an element standing for
 * characters (w:tab, text:s). */
typedef struct xp_seg {
    xmlNode *node;
    size_t vis, len;
    bool elem;
} xp_seg;

typedef struct xp_para {
    xmlNode *node;
    unsigned number;
    bool plain;   /* an element of core or meta properties */
    bool control; /* nothing but blanks and section/comment tags: may vanish */
    size_t text_off, text_len;
    size_t seg_first, seg_n;
    size_t tag_first, tag_n;
} xp_para;

typedef struct xp_tag {
    tpl_tag_kind kind;
    char *body; /* between the delimiters: owned */
    size_t body_len;
    char *text; /* the whole tag, for messages: owned */
    tpl_delims delims;
    size_t para;     /* index into xp_part.paras; SIZE_MAX for synthetic tags */
    unsigned number; /* paragraph number in places; 0: synthetic */
    size_t start, end;
    size_t pair; /* SIZE_MAX: none */
    xp_reach reach;
    xmlNode *row;    /* ROW: the open marker goes before it, the close one after */
    xmlNode *marker;
    uint32_t ctx;
} xp_tag;

typedef struct xp_part {
    xp_compiler *c;
    const xp_dialect *dl;
    const char *part;
    xmlDoc *doc;
    diag *d;
    bool failed;
    char prefix[32];
    size_t prefix_len;
    buf text;
    xp_seg *segs;
    size_t n_segs, cap_segs;
    xp_para *paras;
    size_t n_paras, cap_paras;
    xp_tag *tags;
    size_t n_tags, cap_tags;
    xmlNode **trash; /* unlinked, freed with the part: other steps may still look */
    size_t n_trash, cap_trash;
    xmlNode **touched; /* containers that lost a paragraph */
    size_t n_touched, cap_touched;
} xp_part;

#define XP_GROW(arr, n, cap)                                                    \
    do {                                                                        \
        if ((n) == (cap)) {                                                     \
            (cap) = (cap) ? (cap) * 2 : 16;                                     \
            (arr) = xrealloc((arr), (cap) * sizeof *(arr));                     \
        }                                                                       \
    } while (0)

/* ---- small tree helpers ---------------------------------------------------- */

bool xp_is(const xmlNode *n, const char *ns, const char *local)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->name, local) == 0 &&
           strcmp((const char *)n->ns->href, ns) == 0;
}

/* The next node in document order below root; descend into n's children
 * when asked. Iterative: deep trees cost no C stack. */
static xmlNode *xp_next(xmlNode *n, const xmlNode *root, bool descend)
{
    if (descend && n->type == XML_ELEMENT_NODE && n->children)
        return n->children;
    while (n && n != root) {
        if (n->next)
            return n->next;
        n = n->parent;
    }
    return NULL;
}

/* Linking without libxml2's merging of adjacent text nodes, which would free
 * nodes still referred to. n must be unlinked. */
static void xp_link_after(xmlNode *ref, xmlNode *n)
{
    n->parent = ref->parent;
    n->prev = ref;
    n->next = ref->next;
    n->doc = ref->doc;
    if (ref->next)
        ref->next->prev = n;
    else if (ref->parent)
        ref->parent->last = n;
    ref->next = n;
}

static void xp_link_before(xmlNode *ref, xmlNode *n)
{
    n->parent = ref->parent;
    n->next = ref;
    n->prev = ref->prev;
    n->doc = ref->doc;
    if (ref->prev)
        ref->prev->next = n;
    else if (ref->parent)
        ref->parent->children = n;
    ref->prev = n;
}

static void xp_link_last(xmlNode *parent, xmlNode *n)
{
    n->parent = parent;
    n->doc = parent->doc;
    n->next = NULL;
    n->prev = parent->last;
    if (parent->last)
        parent->last->next = n;
    else
        parent->children = n;
    parent->last = n;
}

/* True when ns is declared on n or an ancestor of n up to (and with) top. */
static bool xp_declared_within(const xmlNs *ns, const xmlNode *n, const xmlNode *top)
{
    for (; n; n = n->parent) {
        for (const xmlNs *d = n->nsDef; d; d = d->next)
            if (d == ns)
                return true;
        if (n == top)
            break;
    }
    return false;
}

/* The namespace of a copy: the same declaration as the original's (in scope
 * wherever the copy goes inside the same parent), unless the original's
 * subtree declares it, then the copy's own declaration. libxml2's copies
 * redeclare every namespace on the copy instead. */
static xmlNs *xp_copy_ns(xmlNs *ns, const xmlNode *src, const xmlNode *top, xmlNode *copy)
{
    if (!ns || !xp_declared_within(ns, src, top))
        return ns;
    xmlNs *found = xmlSearchNs(copy->doc, copy, ns->prefix);
    return found ? found : ns;
}

static xmlNode *xp_copy_one(xmlDoc *doc, const xmlNode *src, const xmlNode *top, xmlNode *parent)
{
    if (src->type != XML_ELEMENT_NODE) {
        xmlNode *n = xmlDocCopyNode((xmlNode *)src, doc, 1);
        if (parent)
            xp_link_last(parent, n);
        return n;
    }
    xmlNode *n = xmlNewDocNode(doc, NULL, src->name, NULL);
    if (parent)
        xp_link_last(parent, n);
    for (const xmlNs *d = src->nsDef; d; d = d->next)
        xmlNewNs(n, d->href, d->prefix);
    xmlSetNs(n, xp_copy_ns(src->ns, src, top, n));
    for (const xmlAttr *a = src->properties; a; a = a->next) {
        xmlChar *v = xmlNodeGetContent((const xmlNode *)a);
        xmlNewNsProp(n, xp_copy_ns(a->ns, src, top, n), a->name, v);
        xmlFree(v);
    }
    return n;
}

/* A copy of src (with its subtree when deep) for the same document,
 * appended to parent when given. Iterative. */
static xmlNode *xp_copy(xmlDoc *doc, const xmlNode *src, bool deep, xmlNode *parent)
{
    xmlNode *root = xp_copy_one(doc, src, src, parent);
    if (!deep || src->type != XML_ELEMENT_NODE)
        return root;
    const xmlNode *s = src->children;
    xmlNode *into = root;
    while (s) {
        xmlNode *n = xp_copy_one(doc, s, src, into);
        if (s->type == XML_ELEMENT_NODE && s->children) {
            s = s->children;
            into = n;
            continue;
        }
        while (s != src && !s->next) {
            s = s->parent;
            into = into->parent;
        }
        if (s == src)
            break;
        s = s->next;
    }
    return root;
}

static void xp_discard(xp_part *pp, xmlNode *n)
{
    xmlUnlinkNode(n);
    XP_GROW(pp->trash, pp->n_trash, pp->cap_trash);
    pp->trash[pp->n_trash++] = n;
}

static bool xp_is_text(const xmlNode *n)
{
    return n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE;
}

/* True when n holds nothing but formatting (w:rPr) or nothing at all. */
static bool xp_is_empty(const xp_dialect *dl, const xmlNode *n)
{
    for (const xmlNode *ch = n->children; ch; ch = ch->next) {
        if (ch->type == XML_ELEMENT_NODE && dl->is_property(ch))
            continue;
        if (xp_is_text(ch) && (!ch->content || !ch->content[0]))
            continue;
        return false;
    }
    return true;
}

/* Removes the now-empty elements (w:t, w:r, text:span) from n upwards. */
static void xp_drop_empty(xp_part *pp, xmlNode *n)
{
    while (n && n->type == XML_ELEMENT_NODE && pp->dl->drops_when_empty(n) &&
           xp_is_empty(pp->dl, n)) {
        xmlNode *up = n->parent;
        xp_discard(pp, n);
        n = up;
    }
}

static bool xp_attached(const xmlNode *n)
{
    while (n->parent)
        n = n->parent;
    return n->type == XML_DOCUMENT_NODE;
}

static size_t xp_marker_index(const xp_part *pp, const xmlNode *n)
{
    if (n->type != XML_PI_NODE || strcmp((const char *)n->name, pp->prefix) != 0 || !n->content)
        return SIZE_MAX;
    return (size_t)strtoull((const char *)n->content, NULL, 10);
}

static const char *xp_find(const char *s, size_t n, const char *needle, size_t nl)
{
    for (size_t i = 0; i + nl <= n; i++)
        if (s[i] == needle[0] && memcmp(s + i, needle, nl) == 0)
            return s + i;
    return NULL;
}

static diag_place xp_place(const xp_part *pp, unsigned number)
{
    return (diag_place){.file = pp->c->file, .part = pp->part, .para = number};
}

static bool xp_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

/* ---- parsing ------------------------------------------------------------- */

/* A DOCTYPE can only stand in the prolog: before the first element, after
 * the declaration, comments and processing instructions. Looking there
 * before libxml2 does means an entity bomb is never parsed at all. */
static bool xp_has_doctype(const char *s, size_t n)
{
    size_t i = 0;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
            i++;
        if (i + 1 >= n || s[i] != '<')
            return false;
        const char *end;
        if (s[i + 1] == '?') {
            end = xp_find(s + i + 2, n - i - 2, "?>", 2);
            if (!end)
                return false;
            i = (size_t)(end - s) + 2;
        } else if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
            end = xp_find(s + i + 4, n - i - 4, "-->", 3);
            if (!end)
                return false;
            i = (size_t)(end - s) + 3;
        } else {
            return n - i >= 9 && memcmp(s + i, "<!DOCTYPE", 9) == 0;
        }
    }
}

static size_t xp_depth(xmlNode *root)
{
    size_t depth = 1, max = 1;
    xmlNode *n = root;
    for (;;) {
        if (n->type == XML_ELEMENT_NODE && n->children) {
            n = n->children;
            depth++;
            if (depth > max)
                max = depth;
            continue;
        }
        while (n != root && !n->next) {
            n = n->parent;
            depth--;
        }
        if (n == root)
            return max;
        n = n->next;
    }
}

/* libxml2's first error is the one that says what is wrong; by the end of
 * the part it only knows the document stopped making sense. */
typedef struct xp_first_error {
    bool seen;
    int line;
    char msg[256];
} xp_first_error;

static void xp_keep_first_error(void *ud, xmlErrorPtr e)
{
    xp_first_error *fe = ((xmlParserCtxtPtr)ud)->_private;
    if (fe->seen || !e || e->level < XML_ERR_ERROR)
        return;
    fe->seen = true;
    fe->line = e->line;
    snprintf(fe->msg, sizeof fe->msg, "%s", e->message ? e->message : "unknown error");
    size_t len = strlen(fe->msg);
    while (len && (fe->msg[len - 1] == '\n' || fe->msg[len - 1] == ' '))
        fe->msg[--len] = '\0';
}

xmlDoc *xp_parse(const char *xml, size_t n, const char *file, const char *part, size_t max_depth,
                 diag *d)
{
    diag_place where = {.file = file, .part = part};
    if (xp_has_doctype(xml, n)) {
        diag_error(d, where,
                   "contains a DTD (<!DOCTYPE …>), which casepack refuses for safety; open and "
                   "save the document again in Word or LibreOffice");
        return NULL;
    }
    if (n > INT_MAX) {
        diag_error(d, where, "is larger than 2 GB, more than casepack reads");
        return NULL;
    }
    xmlInitParser();
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        fprintf(stderr, "casepack: out of memory\n");
        abort();
    }
    xp_first_error fe = {0};
    ctxt->_private = &fe;
    ctxt->userData = ctxt;
    ctxt->sax->serror = xp_keep_first_error;
    int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    if (max_depth > XP_LIBXML_DEPTH)
        options |= XML_PARSE_HUGE;
    /* Encoding conversion errors are raised without the parser context and
     * would go to libxml2's global handler, which prints them on standard
     * error: catch them here too (the handler is per thread). */
    xmlSetStructuredErrorFunc(ctxt, xp_keep_first_error);
    xmlDoc *doc = xmlCtxtReadMemory(ctxt, xml, (int)n, part, NULL, options);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (!doc || !ctxt->wellFormed) {
        if (strstr(fe.msg, "Excessive depth"))
            diag_error(d, where,
                       "nests elements more than %d deep, more than casepack allows; raise the "
                       "limit with --max-xml-depth if the document is genuine",
                       XP_LIBXML_DEPTH);
        else if (fe.seen && fe.line == 0) /* an encoding error: no line to show */
            diag_error(d, where,
                       "is not well-formed XML (%s); the file is damaged: open and save it again "
                       "in Word or LibreOffice",
                       fe.msg);
        else
            diag_error(d, where,
                       "is not well-formed XML (line %d: %s); the file is damaged: open and save "
                       "it again in Word or LibreOffice",
                       fe.line, fe.seen ? fe.msg : "unknown error");
        xmlFreeDoc(doc);
        xmlFreeParserCtxt(ctxt);
        return NULL;
    }
    xmlFreeParserCtxt(ctxt);
    if (doc->intSubset || doc->extSubset) {
        diag_error(d, where,
                   "contains a DTD (<!DOCTYPE …>), which casepack refuses for safety; open and "
                   "save the document again in Word or LibreOffice");
        xmlFreeDoc(doc);
        return NULL;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root) {
        diag_error(d, where, "has no root element; the file is damaged");
        xmlFreeDoc(doc);
        return NULL;
    }
    size_t depth = xp_depth(root);
    if (max_depth && depth > max_depth) {
        diag_error(d, where,
                   "nests elements %zu deep, more than the limit of %zu; raise it with "
                   "--max-xml-depth if the document is genuine",
                   depth, max_depth);
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

/* ---- contexts ------------------------------------------------------------ */

static uint32_t xp_ctx_add(xp_contexts *cx, xp_ctx ctx)
{
    XP_GROW(cx->v, cx->n, cx->cap);
    cx->v[cx->n++] = ctx;
    return (uint32_t)cx->n; /* 0 stays "plain text" */
}

void xp_contexts_free(xp_contexts *cx)
{
    if (!cx)
        return;
    for (size_t i = 0; i < cx->n; i++) {
        free(cx->v[i].tag);
        free(cx->v[i].split);
        free(cx->v[i].tab);
        free(cx->v[i].newline);
        free(cx->v[i].space_fmt);
        free(cx->v[i].base);
    }
    free(cx->v);
    free(cx);
}

uint64_t xp_contexts_id_base(const xp_contexts *cx)
{
    return cx->id_base;
}

xp_compiler *xp_compiler_new(const xp_dialect *dl, const char *file, const doc_options *opt)
{
    xp_compiler *c = xcalloc(1, sizeof *c);
    c->dl = dl;
    c->file = file;
    c->max_depth = opt->max_xml_depth;
    c->max_section_depth = opt->max_section_depth;
    c->delims = opt->delims;
    c->cx = xcalloc(1, sizeof *c->cx);
    c->cx->dl = dl;
    return c;
}

xp_contexts *xp_compiler_finish(xp_compiler *c)
{
    xp_contexts *cx = c->cx;
    cx->id_base = c->id_max + 1;
    free(c);
    return cx;
}

/* ---- finding paragraphs and their visible text ------------------------------ */

static size_t xp_para_add(xp_part *pp, xmlNode *n, unsigned number, bool plain)
{
    XP_GROW(pp->paras, pp->n_paras, pp->cap_paras);
    xp_para *pa = &pp->paras[pp->n_paras];
    memset(pa, 0, sizeof *pa);
    pa->node = n;
    pa->number = number;
    pa->plain = plain;
    return pp->n_paras++;
}

static void xp_seg_add(xp_part *pp, xmlNode *n, const char *bytes, size_t len, bool elem)
{
    XP_GROW(pp->segs, pp->n_segs, pp->cap_segs);
    pp->segs[pp->n_segs++] = (xp_seg){.node = n, .vis = 0, .len = len, .elem = elem};
    buf_add(&pp->text, bytes, len);
}

/* Core and meta properties: every element with words in it is a "paragraph"
 * of plain text. */
static void xp_find_plain(xp_part *pp, xmlNode *root, unsigned *number)
{
    for (xmlNode *n = root; n; n = xp_next(n, root, true)) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        bool words = false;
        for (xmlNode *ch = n->children; ch && !words; ch = ch->next)
            if (xp_is_text(ch) && ch->content &&
                !xp_blank((const char *)ch->content, strlen((const char *)ch->content)))
                words = true;
        if (words)
            xp_para_add(pp, n, ++*number, true);
    }
}

static void xp_find_paragraphs(xp_part *pp)
{
    xmlNode *root = xmlDocGetRootElement(pp->doc);
    unsigned number = 0;
    for (xmlNode *n = root; n;) {
        bool descend = false;
        if (n->type == XML_ELEMENT_NODE) {
            char ch;
            unsigned count;
            switch (pp->dl->role(n, &ch, &count)) {
            case XP_ROLE_PARAGRAPH:
                xp_para_add(pp, n, ++number, false);
                descend = true; /* text boxes hold paragraphs of their own */
                break;
            case XP_ROLE_PLAIN_ROOT:
                xp_find_plain(pp, n, &number);
                break;
            case XP_ROLE_HIDDEN:
                break;
            default:
                descend = true;
            }
        }
        n = xp_next(n, root, descend);
    }
}

static bool xp_text_visible(const xp_part *pp, const xmlNode *t, const xmlNode *para)
{
    const xmlNode *parent = t->parent;
    if (parent == para)
        return pp->dl->paragraph_holds_text;
    char ch;
    unsigned count;
    return pp->dl->role(parent, &ch, &count) == XP_ROLE_TEXT;
}

/* The paragraph's visible text into pp->text, and the segments saying where
 * each byte lives. Nested paragraphs (text boxes, notes) are skipped: their
 * text belongs to them. */
static void xp_para_text(xp_part *pp, xp_para *pa)
{
    pa->text_off = pp->text.len;
    pa->seg_first = pp->n_segs;
    xmlNode *root = pa->node;
    if (pa->plain) {
        for (xmlNode *ch = root->children; ch; ch = ch->next)
            if (xp_is_text(ch) && ch->content)
                xp_seg_add(pp, ch, (const char *)ch->content, strlen((const char *)ch->content),
                           false);
    } else {
        for (xmlNode *n = root->children; n;) {
            bool descend = false;
            if (xp_is_text(n)) {
                if (n->content && xp_text_visible(pp, n, root))
                    xp_seg_add(pp, n, (const char *)n->content, strlen((const char *)n->content),
                               false);
            } else if (n->type == XML_ELEMENT_NODE) {
                char ch = 0;
                unsigned count = 0;
                switch (pp->dl->role(n, &ch, &count)) {
                case XP_ROLE_CHAR:
                    for (unsigned k = 0; k < count; k++)
                        buf_addc(&pp->text, ch);
                    XP_GROW(pp->segs, pp->n_segs, pp->cap_segs);
                    pp->segs[pp->n_segs++] = (xp_seg){.node = n, .len = count, .elem = true};
                    break;
                case XP_ROLE_PARAGRAPH:
                case XP_ROLE_HIDDEN:
                case XP_ROLE_PLAIN_ROOT:
                    break;
                default:
                    descend = true;
                }
            }
            n = xp_next(n, root, descend);
        }
    }
    size_t vis = 0;
    for (size_t i = pa->seg_first; i < pp->n_segs; i++) {
        pp->segs[i].vis = vis;
        vis += pp->segs[i].len;
    }
    pa->seg_n = pp->n_segs - pa->seg_first;
    pa->text_len = pp->text.len - pa->text_off;
}

/* ---- tags ---------------------------------------------------------------- */

static size_t xp_tag_add(xp_part *pp, tpl_tag_kind kind, const char *body, size_t body_len,
                         const char *text, size_t text_len)
{
    XP_GROW(pp->tags, pp->n_tags, pp->cap_tags);
    xp_tag *t = &pp->tags[pp->n_tags];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->body = xstrndup(body, body_len);
    t->body_len = body_len;
    t->text = xstrndup(text, text_len);
    t->para = SIZE_MAX;
    t->pair = SIZE_MAX;
    t->delims = pp->c->delims;
    return pp->n_tags++;
}

static void xp_scan_paragraph(xp_part *pp, size_t pi)
{
    xp_para *pa = &pp->paras[pi];
    xp_para_text(pp, pa);
    pa->tag_first = pp->n_tags;
    const char *text = pa->text_len ? pp->text.data + pa->text_off : "";
    size_t n = pa->text_len, from = 0;
    tpl_found f;
    while (from < n) {
        tpl_delims before = pp->c->delims;
        if (!tpl_scan(text, n, from, &pp->c->delims, &f))
            break;
        if (f.unclosed) {
            diag_error(pp->d, xp_place(pp, pa->number),
                       "%s starts here but does not end in this paragraph: a tag must start and "
                       "end in the same paragraph (is its closing %s missing?)",
                       diag_quote(text + f.start, n - f.start), before.close);
            pp->failed = true;
            break;
        }
        size_t ti = xp_tag_add(pp, f.kind, text + f.body_start, f.body_end - f.body_start,
                               text + f.start, f.end - f.start);
        xp_tag *t = &pp->tags[ti];
        t->delims = before;
        t->para = pi;
        t->number = pa->number;
        t->start = f.start;
        t->end = f.end;
        from = f.end;
    }
    pa->tag_n = pp->n_tags - pa->tag_first;
}

static bool xp_is_open(tpl_tag_kind k)
{
    return k == TPL_TAG_SECTION || k == TPL_TAG_INVERTED;
}

static const char *xp_key(const xp_tag *t, char *out, size_t cap)
{
    size_t len = tpl_section_key(t->body, t->body_len, out, cap);
    if (len >= cap)
        out[cap - 1] = '\0';
    return out;
}

static void xp_report_unclosed(xp_part *pp, const xp_tag *t)
{
    char key[128];
    diag_error(pp->d, xp_place(pp, t->number),
               "%s opens a section that is never closed: add %s/%s%s where the part to repeat "
               "ends",
               diag_quote(t->text, strlen(t->text)), t->delims.open, xp_key(t, key, sizeof key),
               t->delims.close);
    pp->failed = true;
}

/* Pairs every section with its closing tag, as the engine will. */
static void xp_pair_sections(xp_part *pp)
{
    size_t *stack = NULL, n = 0, cap = 0;
    for (size_t i = 0; i < pp->n_tags; i++) {
        xp_tag *t = &pp->tags[i];
        if (xp_is_open(t->kind)) {
            XP_GROW(stack, n, cap);
            stack[n++] = i;
            continue;
        }
        if (t->kind != TPL_TAG_CLOSE)
            continue;
        size_t k = n;
        while (k-- > 0)
            if (tpl_closes(pp->tags[stack[k]].body, pp->tags[stack[k]].body_len, t->body,
                           t->body_len))
                break;
        if (k == SIZE_MAX) {
            if (n == 0)
                diag_error(pp->d, xp_place(pp, t->number),
                           "%s closes a section that was never opened: remove it, or open the "
                           "section before it",
                           diag_quote(t->text, strlen(t->text)));
            else
                diag_error(pp->d, xp_place(pp, t->number),
                           "%s does not close %s (p%u): close the sections in the reverse order "
                           "of opening them",
                           diag_quote(t->text, strlen(t->text)),
                           diag_quote(pp->tags[stack[n - 1]].text,
                                      strlen(pp->tags[stack[n - 1]].text)),
                           pp->tags[stack[n - 1]].number);
            pp->failed = true;
            continue;
        }
        while (n > k + 1)
            xp_report_unclosed(pp, &pp->tags[stack[--n]]);
        n--;
        t->pair = stack[k];
        pp->tags[stack[k]].pair = i;
    }
    while (n > 0)
        xp_report_unclosed(pp, &pp->tags[stack[--n]]);
    free(stack);
}

/* A paragraph that holds only blanks and section, comment or delimiter tags
 * none of which pairs inside it: it can vanish when its tags move out. */
static void xp_find_control_paragraphs(xp_part *pp)
{
    for (size_t pi = 0; pi < pp->n_paras; pi++) {
        xp_para *pa = &pp->paras[pi];
        if (pa->plain || pa->tag_n == 0)
            continue;
        bool control = true;
        size_t at = 0;
        const char *text = pp->text.data + pa->text_off;
        for (size_t k = 0; k < pa->tag_n && control; k++) {
            const xp_tag *t = &pp->tags[pa->tag_first + k];
            if (t->kind == TPL_TAG_VALUE || t->kind == TPL_TAG_RAW || t->kind == TPL_TAG_PARTIAL)
                control = false;
            if (t->pair != SIZE_MAX && pp->tags[t->pair].para == pi)
                control = false;
            if (!xp_blank(text + at, t->start - at))
                control = false;
            at = t->end;
        }
        if (!xp_blank(text + at, pa->text_len - at))
            control = false;
        pa->control = control;
    }
}

static bool xp_find_rows(const xp_part *pp, xmlNode *p1, xmlNode *p2, xmlNode **r1, xmlNode **r2)
{
    for (xmlNode *x = p1->parent; x; x = x->parent) {
        if (x->type != XML_ELEMENT_NODE || !pp->dl->is_row(x))
            continue;
        for (xmlNode *y = p2->parent; y; y = y->parent)
            if (y->type == XML_ELEMENT_NODE && pp->dl->is_row(y) && y->parent == x->parent) {
                *r1 = x;
                *r2 = y;
                return true;
            }
    }
    return false;
}

/* DESIGN section 4: inline, paragraphs, rows, or an error naming the fixes. */
static void xp_resolve_reaches(xp_part *pp)
{
    for (size_t i = 0; i < pp->n_tags; i++) {
        xp_tag *o = &pp->tags[i];
        if (!xp_is_open(o->kind) || o->pair == SIZE_MAX)
            continue;
        xp_tag *c = &pp->tags[o->pair];
        const xp_para *p1 = &pp->paras[o->para], *p2 = &pp->paras[c->para];
        xmlNode *r1, *r2;
        if (o->para == c->para) {
            o->reach = c->reach = XP_REACH_INLINE;
        } else if (p1->control && p2->control &&
                   pp->dl->block_of(p1->node)->parent == pp->dl->block_of(p2->node)->parent) {
            o->reach = c->reach = XP_REACH_PARAGRAPH;
        } else if (!p1->plain && !p2->plain && xp_find_rows(pp, p1->node, p2->node, &r1, &r2)) {
            o->reach = c->reach = XP_REACH_ROW;
            o->row = r1;
            c->row = r2;
        } else {
            diag_error(pp->d, xp_place(pp, o->number),
                       "%s and its closing tag %s (p%u) stand in different paragraphs, so "
                       "casepack cannot tell what to repeat. Put both tags in one paragraph to "
                       "repeat text inside it; or put each tag alone in its own paragraph, at "
                       "the same level (not one in a table or list and the other outside), to "
                       "repeat the paragraphs between them; or put them in rows of one table to "
                       "repeat those rows",
                       diag_quote(o->text, strlen(o->text)), diag_quote(c->text, strlen(c->text)),
                       c->number);
            pp->failed = true;
        }
    }
}

/* ---- normalising: one marker per tag ----------------------------------- */

static xmlNode *xp_new_marker(xp_part *pp, size_t ti)
{
    char num[24];
    snprintf(num, sizeof num, "%zu", ti);
    return xmlNewDocPI(pp->doc, BAD_CAST pp->prefix, BAD_CAST num);
}

static void xp_set_text(xmlNode *t, const char *s, size_t n)
{
    char *copy = xstrndup(s, n);
    xmlNodeSetContentLen(t, BAD_CAST copy, (int)n);
    free(copy);
}

/* Replaces the tag's text, wherever runs split it, by a marker in the text
 * node where it starts: the value takes that run's formatting. Tags of a
 * paragraph are done right to left, so the segments of those before stay
 * true. */
static void xp_mark_tag(xp_part *pp, const xp_para *pa, size_t ti)
{
    xp_tag *t = &pp->tags[ti];
    xp_seg *segs = pp->segs + pa->seg_first;
    size_t k = 0;
    while (k < pa->seg_n && segs[k].vis + segs[k].len <= t->start)
        k++;
    if (k == pa->seg_n)
        return;
    xmlNode *marker = xp_new_marker(pp, ti);
    t->marker = marker;
    if (segs[k].elem) {
        xp_link_before(segs[k].node, marker);
    } else {
        xmlNode *tn = segs[k].node;
        const char *content = (const char *)tn->content;
        size_t clen = strlen(content);
        size_t off = t->start - segs[k].vis;
        size_t stop = t->end - segs[k].vis < clen ? t->end - segs[k].vis : clen;
        xp_link_after(tn, marker);
        if (stop < clen)
            xp_link_after(marker, xmlNewDocTextLen(pp->doc, BAD_CAST content + stop,
                                                   (int)(clen - stop)));
        pp->dl->touch_text(tn->parent);
        if (off == 0) {
            xmlUnlinkNode(tn);
            xmlFreeNode(tn);
        } else {
            xp_set_text(tn, content, off);
        }
    }
    for (size_t j = k + 1; j < pa->seg_n && segs[j].vis < t->end; j++) {
        xmlNode *n = segs[j].node;
        size_t cut = t->end - segs[j].vis;
        if (segs[j].elem) {
            if (cut >= segs[j].len) {
                xmlNode *up = n->parent;
                xp_discard(pp, n);
                xp_drop_empty(pp, up);
            }
            continue;
        }
        const char *content = (const char *)n->content;
        size_t clen = strlen(content);
        if (cut >= clen) {
            xmlNode *up = n->parent;
            xmlUnlinkNode(n);
            xmlFreeNode(n);
            xp_drop_empty(pp, up);
        } else {
            xp_set_text(n, content + cut, clen - cut);
            pp->dl->touch_text(n->parent);
        }
    }
}

static void xp_mark_tags(xp_part *pp)
{
    for (size_t pi = 0; pi < pp->n_paras; pi++) {
        const xp_para *pa = &pp->paras[pi];
        for (size_t k = pa->tag_n; k-- > 0;)
            xp_mark_tag(pp, pa, pa->tag_first + k);
    }
}

/* ---- placing markers where their reach says -------------------------------- */

static bool xp_has_content(const xp_dialect *dl, const xmlNode *n)
{
    return !xp_is_empty(dl, n);
}

/* Splits every element between x and ca at x, so that x becomes a child of
 * ca; each right half keeps its element's attributes and formatting. */
static void xp_lift(xp_part *pp, xmlNode *x, xmlNode *ca)
{
    while (x->parent && x->parent != ca) {
        xmlNode *e = x->parent;
        xmlNode *right = xp_copy(pp->doc, e, false, NULL);
        for (xmlNode *ch = e->children; ch; ch = ch->next)
            if (ch->type == XML_ELEMENT_NODE && pp->dl->is_property(ch))
                xp_copy(pp->doc, ch, true, right);
        while (x->next) {
            xmlNode *n = x->next;
            xmlUnlinkNode(n);
            xp_link_last(right, n);
        }
        xmlUnlinkNode(x);
        xp_link_after(e, x);
        if (xp_has_content(pp->dl, right))
            xp_link_after(x, right);
        else
            xmlFreeNode(right);
        if (!xp_has_content(pp->dl, e))
            xp_discard(pp, e);
    }
}

static xmlNode *xp_common_ancestor(xmlNode *a, xmlNode *b)
{
    for (xmlNode *x = a->parent; x; x = x->parent)
        for (xmlNode *y = b->parent; y; y = y->parent)
            if (x == y)
                return x;
    return NULL;
}

/* An inline section whose tags sit in different runs repeats whole runs:
 * repeating from the middle of one run to the middle of another would give
 * the first copy's text the second run's formatting. */
static void xp_place_inline(xp_part *pp)
{
    for (size_t i = 0; i < pp->n_tags; i++) {
        xp_tag *o = &pp->tags[i];
        if (o->reach != XP_REACH_INLINE || !xp_is_open(o->kind))
            continue;
        xmlNode *a = o->marker, *b = pp->tags[o->pair].marker;
        if (!a || !b || a->parent == b->parent)
            continue;
        xmlNode *ca = xp_common_ancestor(a, b);
        xp_lift(pp, a, ca);
        xp_lift(pp, b, ca);
    }
}

static void xp_move_marker(xp_part *pp, xmlNode *m, xmlNode *ref, bool after)
{
    xmlNode *old = m->parent;
    xmlUnlinkNode(m);
    if (after)
        xp_link_after(ref, m);
    else
        xp_link_before(ref, m);
    xp_drop_empty(pp, old);
}

static void xp_place_row_marker(xp_part *pp, xp_tag *t)
{
    if (xp_is_open(t->kind)) {
        xp_move_marker(pp, t->marker, t->row, false);
        return;
    }
    xmlNode *at = t->row;
    while (at->next && xp_marker_index(pp, at->next) != SIZE_MAX)
        at = at->next;
    xp_move_marker(pp, t->marker, at, true);
}

static bool xp_removable(const xp_dialect *dl, xmlNode *b)
{
    for (xmlNode *n = b->children; n; n = xp_next(n, b, true))
        if (n->type == XML_ELEMENT_NODE && dl->keeps_paragraph(n))
            return false;
    return true;
}

static bool xp_has_other_paragraph(const xp_dialect *dl, const xmlNode *b)
{
    char ch;
    unsigned count;
    for (const xmlNode *s = b->parent->children; s; s = s->next)
        if (s != b && s->type == XML_ELEMENT_NODE && dl->role(s, &ch, &count) == XP_ROLE_PARAGRAPH)
            return true;
    return false;
}

/* Lists c once. The mark is libxml2's field for the application's use (the
 * tree is ours alone): a search of the list would make a table of many
 * thousand cells, each losing its tag paragraphs, quadratic. */
static void xp_touch_container(xp_part *pp, xmlNode *c)
{
    if (c->_private == pp)
        return;
    c->_private = pp;
    XP_GROW(pp->touched, pp->n_touched, pp->cap_touched);
    pp->touched[pp->n_touched++] = c;
}

/* Tag paragraphs vanish, their markers standing at the paragraph level;
 * row markers go around the rows. A tag paragraph holding content that must
 * stay (a drawing, a section break) stays, emptied, outside the section. */
static void xp_place_blocks(xp_part *pp)
{
    const xp_dialect *dl = pp->dl;
    for (size_t pi = 0; pi < pp->n_paras; pi++) {
        xp_para *pa = &pp->paras[pi];
        if (pa->plain || pa->tag_n == 0)
            continue;
        bool others = false;
        for (size_t k = 0; k < pa->tag_n; k++) {
            xp_tag *t = &pp->tags[pa->tag_first + k];
            if (!t->marker)
                continue;
            if (t->reach == XP_REACH_ROW)
                xp_place_row_marker(pp, t);
            else
                others = true;
        }
        if (!pa->control)
            continue;
        xmlNode *b = dl->block_of(pa->node);
        xmlNode *parent = b->parent;
        if (!others) {
            if (xp_removable(dl, b) && xp_has_other_paragraph(dl, b))
                xp_discard(pp, b);
            continue;
        }
        bool removable = xp_removable(dl, b);
        xmlNode *after = b;
        for (size_t k = 0; k < pa->tag_n; k++) {
            xp_tag *t = &pp->tags[pa->tag_first + k];
            if (!t->marker || t->reach == XP_REACH_ROW)
                continue;
            if (removable || !xp_is_open(t->kind)) {
                xp_move_marker(pp, t->marker, b, false);
            } else {
                xp_move_marker(pp, t->marker, after, true);
                after = t->marker;
            }
        }
        if (removable) {
            xp_discard(pp, b);
            xp_touch_container(pp, parent);
        }
    }
}

/* The order markers end up in must nest as the sections do. */
static void xp_check_nesting(xp_part *pp)
{
    size_t *stack = NULL, n = 0, cap = 0;
    xmlNode *root = xmlDocGetRootElement(pp->doc);
    for (xmlNode *x = root; x; x = xp_next(x, root, true)) {
        size_t ti = xp_marker_index(pp, x);
        if (ti >= pp->n_tags)
            continue;
        const xp_tag *t = &pp->tags[ti];
        if (xp_is_open(t->kind)) {
            XP_GROW(stack, n, cap);
            stack[n++] = ti;
        } else if (t->kind == TPL_TAG_CLOSE && t->pair != SIZE_MAX) {
            if (n && stack[n - 1] == t->pair) {
                n--;
                continue;
            }
            const xp_tag *o = &pp->tags[t->pair];
            const xp_tag *other = n ? &pp->tags[stack[n - 1]] : o;
            diag_error(pp->d, xp_place(pp, t->number),
                       "%s and %s (p%u) overlap: the paragraphs or rows one section repeats "
                       "cross those of the other; nest one section wholly inside the other",
                       diag_quote(o->text, strlen(o->text)),
                       diag_quote(other->text, strlen(other->text)), other->number);
            pp->failed = true;
            break;
        }
    }
    free(stack);
}

/* ---- containers that must keep a paragraph -------------------------------- */

static xmlNode *xp_empty_paragraph(xp_part *pp, xmlNode *container)
{
    return xmlNewDocNode(pp->doc, container->ns, BAD_CAST pp->dl->paragraph_name, NULL);
}

/* The body of an open tag without its sigil, for a tag of another kind. */
static void xp_bare_body(const xp_tag *t, const char **s, size_t *n)
{
    *s = t->body;
    *n = t->body_len;
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    if (*n && (**s == '#' || **s == '^')) {
        (*s)++;
        (*n)--;
    }
}

/* Word wants a paragraph in every cell (and header, footer, note), the last
 * thing in it. When every paragraph a cell held is inside one section that
 * holds a paragraph of its own (not only inside nested sections, which may
 * show nothing), an empty paragraph is added for when the section shows
 * nothing ({{^name}}<w:p/>{{/name}}); otherwise one is added at the end. */
static void xp_fix_containers(xp_part *pp)
{
    const xp_dialect *dl = pp->dl;
    for (size_t i = 0; i < pp->n_touched; i++) {
        xmlNode *c = pp->touched[i];
        if (!xp_attached(c) || !dl->needs_paragraph(c))
            continue;
        int depth = 0;
        size_t outer = 0, outer_open = SIZE_MAX;
        xmlNode *last0 = NULL, *close_marker = NULL;
        bool own_paragraph = false;
        char rch;
        unsigned count;
        for (xmlNode *ch = c->children; ch; ch = ch->next) {
            size_t ti = xp_marker_index(pp, ch);
            if (ti < pp->n_tags) {
                const xp_tag *t = &pp->tags[ti];
                if (xp_is_open(t->kind)) {
                    if (depth++ == 0) {
                        outer++;
                        outer_open = ti;
                    }
                } else if (t->kind == TPL_TAG_CLOSE && --depth == 0) {
                    close_marker = ch;
                }
                continue;
            }
            if (depth == 0 && ch->type == XML_ELEMENT_NODE && !dl->is_property(ch))
                last0 = ch;
            if (depth == 1 && ch->type == XML_ELEMENT_NODE &&
                dl->role(ch, &rch, &count) == XP_ROLE_PARAGRAPH)
                own_paragraph = true;
        }
        if (last0 && dl->role(last0, &rch, &count) == XP_ROLE_PARAGRAPH)
            continue;
        if (!last0 && outer == 1 && own_paragraph &&
            pp->tags[outer_open].kind == TPL_TAG_SECTION && close_marker) {
            const xp_tag *o = &pp->tags[outer_open];
            const char *body;
            size_t n;
            xp_bare_body(o, &body, &n);
            size_t inv = xp_tag_add(pp, TPL_TAG_INVERTED, body, n, "", 0);
            size_t end = xp_tag_add(pp, TPL_TAG_CLOSE, body, n, "", 0);
            xmlNode *m1 = xp_new_marker(pp, inv), *p = xp_empty_paragraph(pp, c),
                    *m2 = xp_new_marker(pp, end);
            xp_link_after(close_marker, m1);
            xp_link_after(m1, p);
            xp_link_after(p, m2);
            pp->tags[inv].marker = m1;
            pp->tags[end].marker = m2;
            pp->tags[inv].pair = end;
            pp->tags[end].pair = inv;
            continue;
        }
        xp_link_last(c, xp_empty_paragraph(pp, c));
    }
}

/* ---- fresh ids in repeated content -------------------------------------- */

typedef struct xp_id_use {
    xmlNode *el;
    const xp_id_rule *rule;
    size_t section; /* the innermost open marker's tag */
    char *key;      /* START/END: owned */
    uint32_t slot;
    bool paired;
} xp_id_use;

static char *xp_attr(const xmlNode *el, const char *ns, const char *name)
{
    xmlChar *v = ns ? xmlGetNsProp(el, BAD_CAST name, BAD_CAST ns)
                    : xmlGetNoNsProp(el, BAD_CAST name);
    if (!v)
        return NULL;
    char *s = xstrdup((const char *)v);
    xmlFree(v);
    return s;
}

static bool xp_attr_is(const xmlAttr *a, const char *ns, const char *name)
{
    if (!name || strcmp((const char *)a->name, name) != 0)
        return false;
    if (!ns)
        return a->ns == NULL;
    return a->ns && a->ns->href && strcmp((const char *)a->ns->href, ns) == 0;
}

static void xp_escape_attr(buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_adds(b, "&amp;");
            break;
        case '<':
            buf_adds(b, "&lt;");
            break;
        case '>':
            buf_adds(b, "&gt;");
            break;
        case '"':
            buf_adds(b, "&quot;");
            break;
        case '\t':
            buf_adds(b, "&#9;");
            break;
        case '\n':
            buf_adds(b, "&#10;");
            break;
        case '\r':
            buf_adds(b, "&#13;");
            break;
        default:
            buf_addc(b, *s);
        }
    }
}

/* Puts the placeholder of a fresh-id tag into attribute a. */
static void xp_renew_attr(xp_part *pp, xmlNode *el, xmlAttr *a, uint32_t slot, bool alloc,
                          bool name)
{
    xp_ctx ctx = {.kind = XP_CTX_ID, .slot = slot, .alloc = alloc};
    if (name) {
        xmlChar *v = xmlNodeGetContent((xmlNode *)a);
        buf b = {0};
        xp_escape_attr(&b, v ? (const char *)v : "");
        xmlFree(v);
        ctx.base = buf_steal(&b);
    }
    size_t ti = xp_tag_add(pp, TPL_TAG_VALUE, XP_ID_BODY, strlen(XP_ID_BODY), "", 0);
    pp->tags[ti].ctx = xp_ctx_add(pp->c->cx, ctx);
    char placeholder[48];
    snprintf(placeholder, sizeof placeholder, "%s_%zu", pp->prefix, ti);
    xmlSetNsProp(el, a->ns, a->name, BAD_CAST placeholder);
}

static void xp_renew_ids(xp_part *pp, xp_id_use *u, bool alloc_first)
{
    bool first = true;
    for (xmlAttr *a = u->el->properties; a; a = a->next) {
        bool id = xp_attr_is(a, u->rule->attr_ns, u->rule->id_attr);
        bool name = xp_attr_is(a, u->rule->attr_ns, u->rule->name_attr);
        if (!id && !name)
            continue;
        xp_renew_attr(pp, u->el, a, u->slot, alloc_first && first, name);
        first = false;
    }
}

static void xp_note_id_max(xp_part *pp, xmlNode *el, const xp_id_rule *r)
{
    if (!r->id_attr)
        return;
    char *v = xp_attr(el, r->attr_ns, r->id_attr);
    if (v) {
        char *end;
        unsigned long long n = strtoull(v, &end, 10);
        if (end != v && n > pp->c->id_max && n < (1ULL << 62))
            pp->c->id_max = n;
        free(v);
    }
}

/* The highest id in the part, so fresh ones start above every id of the
 * document, in parts with tags or without. */
static void xp_note_ids(xp_part *pp)
{
    const xp_dialect *dl = pp->dl;
    if (!dl->n_id_rules)
        return;
    xmlNode *root = xmlDocGetRootElement(pp->doc);
    for (xmlNode *x = root; x; x = xp_next(x, root, true))
        if (x->type == XML_ELEMENT_NODE)
            for (size_t r = 0; r < dl->n_id_rules; r++)
                if (xp_is(x, dl->id_rules[r].ns, dl->id_rules[r].elem))
                    xp_note_id_max(pp, x, &dl->id_rules[r]);
}

/* Drawings and bookmarks inside a repeating section get fresh ids on every
 * repetition (Word reports "unreadable content" for duplicates); attributes
 * unique per element are dropped there. Bookmarks are renewed only when
 * both ends repeat together. */
static void xp_fresh_ids(xp_part *pp)
{
    const xp_dialect *dl = pp->dl;
    size_t *stack = NULL, n = 0, cap = 0, repeating = 0;
    xp_id_use *uses = NULL;
    size_t n_uses = 0, cap_uses = 0;
    xmlNode *root = xmlDocGetRootElement(pp->doc);
    for (xmlNode *x = root; x; x = xp_next(x, root, true)) {
        size_t ti = xp_marker_index(pp, x);
        if (ti < pp->n_tags) {
            const xp_tag *t = &pp->tags[ti];
            if (xp_is_open(t->kind)) {
                XP_GROW(stack, n, cap);
                stack[n++] = ti;
                repeating += t->kind == TPL_TAG_SECTION;
            } else if (t->kind == TPL_TAG_CLOSE && n) {
                repeating -= pp->tags[stack[--n]].kind == TPL_TAG_SECTION;
            }
            continue;
        }
        if (x->type != XML_ELEMENT_NODE)
            continue;
        for (size_t r = 0; r < dl->n_id_rules; r++) {
            const xp_id_rule *rule = &dl->id_rules[r];
            if (!xp_is(x, rule->ns, rule->elem))
                continue;
            if (!repeating)
                continue;
            XP_GROW(uses, n_uses, cap_uses);
            uses[n_uses++] = (xp_id_use){
                .el = x,
                .rule = rule,
                .section = stack[n - 1],
                .key = rule->key_attr ? xp_attr(x, rule->attr_ns, rule->key_attr) : NULL};
        }
        if (repeating) {
            for (xmlAttr *a = x->properties; a;) {
                xmlAttr *next = a->next;
                if (dl->unique_attr(x, a))
                    xmlRemoveProp(a);
                a = next;
            }
        }
    }
    for (size_t i = 0; i < n_uses; i++) {
        xp_id_use *u = &uses[i];
        if (u->rule->role == XP_ID_SINGLE) {
            u->slot = (uint32_t)pp->c->cx->n_slots++;
            xp_renew_ids(pp, u, true);
            continue;
        }
        if (u->rule->role != XP_ID_START || !u->key)
            continue;
        for (size_t j = i + 1; j < n_uses; j++) {
            xp_id_use *e = &uses[j];
            if (e->rule->role == XP_ID_END && !e->paired && e->key && e->section == u->section &&
                strcmp(e->key, u->key) == 0) {
                u->slot = e->slot = (uint32_t)pp->c->cx->n_slots++;
                e->paired = u->paired = true;
                break;
            }
        }
        if (!u->paired)
            continue;
        xp_renew_ids(pp, u, true);
    }
    for (size_t i = 0; i < n_uses; i++)
        if (uses[i].rule->role == XP_ID_END && uses[i].paired)
            xp_renew_ids(pp, &uses[i], false);
    for (size_t i = 0; i < n_uses; i++)
        free(uses[i].key);
    free(uses);
    free(stack);
}

/* ---- value contexts ------------------------------------------------------ */

static void xp_add_qname(buf *b, const xmlNode *n)
{
    if (n->ns && n->ns->prefix) {
        buf_adds(b, (const char *)n->ns->prefix);
        buf_addc(b, ':');
    }
    buf_adds(b, (const char *)n->name);
}

static void xp_add_open_tag(xp_part *pp, buf *b, const xmlNode *e)
{
    buf_addc(b, '<');
    xp_add_qname(b, e);
    for (const xmlNs *ns = e->nsDef; ns; ns = ns->next) {
        buf_adds(b, ns->prefix ? " xmlns:" : " xmlns");
        if (ns->prefix)
            buf_adds(b, (const char *)ns->prefix);
        buf_adds(b, "=\"");
        xp_escape_attr(b, ns->href ? (const char *)ns->href : "");
        buf_addc(b, '"');
    }
    for (const xmlAttr *a = e->properties; a; a = a->next) {
        if (pp->dl->unique_attr(e, a))
            continue;
        buf_addc(b, ' ');
        if (a->ns && a->ns->prefix) {
            buf_adds(b, (const char *)a->ns->prefix);
            buf_addc(b, ':');
        }
        buf_adds(b, (const char *)a->name);
        buf_adds(b, "=\"");
        xmlChar *v = xmlNodeGetContent((const xmlNode *)a);
        xp_escape_attr(b, v ? (const char *)v : "");
        xmlFree(v);
        buf_addc(b, '"');
    }
    buf_addc(b, '>');
    for (xmlNode *ch = e->children; ch; ch = ch->next) {
        if (ch->type != XML_ELEMENT_NODE || !pp->dl->is_property(ch))
            continue;
        xmlBufferPtr xb = xmlBufferCreate();
        xmlNodeDump(xb, pp->doc, ch, 0, 0);
        buf_add(b, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
        xmlBufferFree(xb);
    }
}

/* What a blank line in a value alone in its paragraph becomes: the end of
 * every element from the value's up to the paragraph, then the same
 * elements opened again with their attributes and formatting. */
static char *xp_split_string(xp_part *pp, xmlNode *marker, xmlNode *para)
{
    buf b = {0};
    xmlNode **chain = NULL;
    size_t n = 0, cap = 0;
    for (xmlNode *e = marker->parent; e; e = e->parent) {
        XP_GROW(chain, n, cap);
        chain[n++] = e;
        buf_adds(&b, "</");
        xp_add_qname(&b, e);
        buf_addc(&b, '>');
        if (e == para)
            break;
    }
    while (n-- > 0)
        xp_add_open_tag(pp, &b, chain[n]);
    free(chain);
    return buf_steal(&b);
}

/* An empty element in the namespace of the text around a value (w:tab,
 * text:line-break), closing and reopening w:t around it where text must not
 * hold elements. With count_attr, a printf format for text:s's count. */
static char *xp_inline_element(xp_part *pp, xmlNode *text_parent, const char *local,
                               const char *count_attr)
{
    buf b = {0};
    const char *prefix = text_parent->ns && text_parent->ns->prefix
                             ? (const char *)text_parent->ns->prefix
                             : NULL;
    if (pp->dl->text_closes) {
        buf_adds(&b, "</");
        xp_add_qname(&b, text_parent);
        buf_addc(&b, '>');
    }
    buf_printf(&b, "<%s%s%s", prefix ? prefix : "", prefix ? ":" : "", local);
    if (count_attr)
        buf_printf(&b, " %s%s%s=\"%%u\"", prefix ? prefix : "", prefix ? ":" : "", count_attr);
    buf_adds(&b, "/>");
    if (pp->dl->text_closes)
        xp_add_open_tag(pp, &b, text_parent);
    return buf_steal(&b);
}

static void xp_value_contexts(xp_part *pp)
{
    for (size_t pi = 0; pi < pp->n_paras; pi++) {
        const xp_para *pa = &pp->paras[pi];
        for (size_t k = 0; k < pa->tag_n; k++) {
            xp_tag *t = &pp->tags[pa->tag_first + k];
            if ((t->kind != TPL_TAG_VALUE && t->kind != TPL_TAG_RAW) || !t->marker)
                continue;
            xp_ctx ctx = {.kind = pa->plain ? XP_CTX_PLAIN : XP_CTX_TEXT,
                          .tag = xstrdup(t->text)};
            const char *text = pp->text.data + pa->text_off;
            if (!pa->plain && pa->tag_n == 1 && xp_blank(text, t->start) &&
                xp_blank(text + t->end, pa->text_len - t->end) && t->marker->parent)
                ctx.split = xp_split_string(pp, t->marker, pa->node);
            if (!pa->plain) {
                xmlNode *tp = t->marker->parent;
                ctx.tab = xp_inline_element(pp, tp, pp->dl->tab_name, NULL);
                ctx.newline = xp_inline_element(pp, tp, pp->dl->break_name, NULL);
                if (pp->dl->space_name)
                    ctx.space_fmt = xp_inline_element(pp, tp, pp->dl->space_name,
                                                      pp->dl->space_count);
            }
            t->ctx = xp_ctx_add(pp->c->cx, ctx);
        }
    }
}

/* ---- the program --------------------------------------------------------- */

/* A prefix for markers that appears nowhere in the part as parsed:
 * "casepack" when the part never says it, else "casepackN" with N above
 * every number written after the word (of a long run of digits, its first
 * 18 count: no shorter number can then begin that run). One pass, so a part
 * saying casepack1 … casepack30000 costs no more than any other. */
static void xp_choose_prefix(xp_part *pp)
{
    static const char word[] = "casepack";
    const size_t wl = sizeof word - 1;
    xmlChar *mem = NULL;
    int len = 0;
    xmlDocDumpMemoryEnc(pp->doc, &mem, &len, "UTF-8");
    const char *s = mem ? (const char *)mem : "";
    size_t n = mem ? (size_t)len : 0, at = 0;
    bool seen = false;
    unsigned long long max = 0;
    for (const char *hit; (hit = xp_find(s + at, n - at, word, wl)) != NULL;) {
        seen = true;
        at = (size_t)(hit - s) + wl;
        unsigned long long v = 0;
        for (size_t digits = 0; at < n && s[at] >= '0' && s[at] <= '9'; at++, digits++)
            if (digits < 18)
                v = v * 10 + (unsigned long long)(s[at] - '0');
        if (v > max)
            max = v;
    }
    if (seen)
        snprintf(pp->prefix, sizeof pp->prefix, "%s%llu", word, max + 1);
    else
        snprintf(pp->prefix, sizeof pp->prefix, "%s", word);
    pp->prefix_len = strlen(pp->prefix);
    xmlFree(mem);
}

/* Serialises the part and cuts it at the markers: static XML chunks and tags
 * for the engine's builder. */
static tpl_program *xp_build(xp_part *pp)
{
    xmlChar *mem = NULL;
    int len = 0;
    xmlDocDumpMemoryEnc(pp->doc, &mem, &len, "UTF-8");
    const char *s = (const char *)mem;
    size_t n = (size_t)len, pos = 0, at = 0;
    tpl_builder *b = tpl_builder_new(pp->c->file, pp->c->max_section_depth);
    const char *hit;
    while (mem && (hit = xp_find(s + at, n - at, pp->prefix, pp->prefix_len))) {
        size_t h = (size_t)(hit - s), start, i = h + pp->prefix_len;
        bool pi = h >= 2 && s[h - 2] == '<' && s[h - 1] == '?' && i < n && s[i] == ' ';
        bool attr = i < n && s[i] == '_';
        if (!pi && !attr) {
            at = i;
            continue;
        }
        start = pi ? h - 2 : h;
        i++;
        size_t ti = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            ti = ti * 10 + (size_t)(s[i++] - '0');
        if (pi) {
            if (i + 1 < n && s[i] == '?' && s[i + 1] == '>')
                i += 2;
        }
        if (ti >= pp->n_tags) {
            at = i;
            continue;
        }
        const xp_tag *t = &pp->tags[ti];
        tpl_builder_static(b, s + pos, start - pos);
        tpl_builder_tag(b, t->kind, t->body, t->body_len, xp_place(pp, t->number), t->ctx);
        pos = at = i;
    }
    tpl_builder_static(b, s + pos, n - pos);
    xmlFree(mem);
    return tpl_builder_finish(b, pp->d);
}

static void xp_part_free(xp_part *pp)
{
    for (size_t i = 0; i < pp->n_tags; i++) {
        free(pp->tags[i].body);
        free(pp->tags[i].text);
    }
    free(pp->tags);
    free(pp->paras);
    free(pp->segs);
    for (size_t i = 0; i < pp->n_trash; i++)
        xmlFreeNode(pp->trash[i]);
    free(pp->trash);
    free(pp->touched);
    buf_free(&pp->text);
}

static bool xp_compile_tree(xp_compiler *c, const char *part, xmlDoc *doc, tpl_program **prog,
                            diag *d)
{
    xp_part pp;
    memset(&pp, 0, sizeof pp);
    pp.c = c;
    pp.dl = c->dl;
    pp.part = part;
    pp.doc = doc;
    pp.d = d;
    bool ok = false;

    xp_note_ids(&pp);
    xp_find_paragraphs(&pp);
    for (size_t i = 0; i < pp.n_paras; i++)
        xp_scan_paragraph(&pp, i);
    if (pp.n_tags == 0 && !pp.failed) {
        ok = true;
        goto done;
    }
    xp_pair_sections(&pp);
    xp_find_control_paragraphs(&pp);
    xp_resolve_reaches(&pp);
    if (pp.failed)
        goto done;
    xp_choose_prefix(&pp);
    xp_mark_tags(&pp);
    xp_place_inline(&pp);
    xp_place_blocks(&pp);
    xp_check_nesting(&pp);
    if (pp.failed)
        goto done;
    xp_fix_containers(&pp);
    xp_fresh_ids(&pp);
    xp_value_contexts(&pp);
    *prog = xp_build(&pp);
    ok = *prog != NULL;
done:
    xp_part_free(&pp);
    return ok;
}

bool xp_compile_part(xp_compiler *c, const char *part, const char *xml, size_t n,
                     tpl_program **prog, diag *d)
{
    *prog = NULL;
    xmlDoc *doc = xp_parse(xml, n, c->file, part, c->max_depth, d);
    if (!doc)
        return false;
    bool ok = xp_compile_tree(c, part, doc, prog, d);
    xmlFreeDoc(doc);
    return ok;
}

/* ---- the sink ------------------------------------------------------------ */

void xp_sink_init(xp_sink *s, const xp_contexts *cx)
{
    s->cx = cx;
    s->next_id = cx->id_base;
    s->slots = cx->n_slots ? xcalloc(cx->n_slots, sizeof *s->slots) : NULL;
}

void xp_sink_free(xp_sink *s)
{
    free(s->slots);
    s->slots = NULL;
}

static void xp_forbidden(const xp_ctx *c, const char *s, size_t i, unsigned cp,
                         const diag_place *where, diag *d)
{
    size_t from = i > 20 ? i - 20 : 0;
    diag_error(d, *where,
               "the value of %s holds the control character U+%04X (after \"%s\"), which a "
               "document "
               "cannot hold: remove it from the data",
               c && c->tag ? diag_quote(c->tag, strlen(c->tag)) : "a tag", cp,
               diag_quote(s + from, i - from));
}

/* The text of one value, escaped for XML. In runs (TEXT): tabs and line
 * breaks become the dialect's elements, a blank line splits the paragraph
 * when the tag stands alone in it, trailing line breaks (the end of a YAML
 * block scalar) are dropped, and ODT's runs of spaces become <text:s/>. */
static bool xp_write_text(buf *out, const char *s, size_t n, const xp_ctx *c,
                          const diag_place *where, diag *d)
{
    bool rich = c && c->kind == XP_CTX_TEXT;
    if (rich)
        while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
            n--;
    buf_grow(out, n + 16);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch > '>' && ch != 0xEF)
            continue;
        const char *rep;
        switch (ch) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&apos;";
            break;
        case '\t':
            if (!rich)
                continue;
            rep = c->tab;
            break;
        case '\r':
        case '\n': {
            size_t j = i, lines = 0;
            while (j < n && (s[j] == '\n' || s[j] == '\r')) {
                if (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n')
                    j++;
                lines++;
                j++;
            }
            buf_add(out, s + run, i - run);
            if (rich && lines >= 2 && c->split)
                buf_adds(out, c->split);
            else
                for (size_t k = 0; k < lines; k++)
                    buf_adds(out, rich ? c->newline : "\n");
            i = j - 1;
            run = j;
            continue;
        }
        case ' ': {
            if (!rich || !c->space_fmt || i + 1 >= n || s[i + 1] != ' ')
                continue;
            size_t j = i;
            while (j < n && s[j] == ' ')
                j++;
            buf_add(out, s + run, i + 1 - run);
            buf_printf(out, c->space_fmt, (unsigned)(j - i - 1));
            i = j - 1;
            run = j;
            continue;
        }
        case 0xEF:
            if (i + 2 < n && (unsigned char)s[i + 1] == 0xBF &&
                ((unsigned char)s[i + 2] == 0xBE || (unsigned char)s[i + 2] == 0xBF)) {
                xp_forbidden(c, s, i, (unsigned char)s[i + 2] == 0xBE ? 0xFFFE : 0xFFFF, where,
                             d);
                return false;
            }
            continue;
        default:
            if (ch < 0x20) {
                xp_forbidden(c, s, i, ch, where, d);
                return false;
            }
            continue;
        }
        buf_add(out, s + run, i - run);
        buf_adds(out, rep);
        run = i + 1;
    }
    buf_add(out, s + run, n - run);
    return true;
}

bool xp_sink_value(void *ud, buf *out, const char *s, size_t n, uint32_t ctx, bool escape,
                   const diag_place *where, diag *d)
{
    (void)escape; /* in documents, data never becomes markup */
    xp_sink *k = ud;
    const xp_contexts *cx = k->cx;
    const xp_ctx *c = ctx && ctx <= cx->n ? &cx->v[ctx - 1] : NULL;
    if (c && c->kind == XP_CTX_ID) {
        uint64_t *slot = &k->slots[c->slot];
        if (c->alloc || *slot == 0)
            *slot = k->next_id++;
        if (c->base) {
            buf_adds(out, c->base);
            buf_printf(out, "_%" PRIu64, *slot);
        } else {
            buf_printf(out, "%" PRIu64, *slot);
        }
        return true;
    }
    return xp_write_text(out, s, n, c, where, d);
}

/* ---- tags for `casepack fields` ----------------------------------------- */

typedef struct xp_each {
    tpl_tag_fn fn;
    void *ud;
} xp_each;

static void xp_each_one(void *ud, tpl_tag_kind kind, const char *body, const char *path,
                        const diag_place *where)
{
    const xp_each *e = ud;
    if (where->para == 0)
        return; /* made by the adapter, not written by the author */
    e->fn(e->ud, kind, body, path, where);
}

void xp_each_tag(const tpl_program *p, tpl_tag_fn fn, void *ud)
{
    xp_each e = {fn, ud};
    tpl_each_tag(p, xp_each_one, &e);
}

void xp_replace_all(buf *b, const char *from, const char *to)
{
    size_t fl = strlen(from);
    if (!b->len || !fl || !xp_find(b->data, b->len, from, fl))
        return;
    buf out = {0};
    size_t at = 0;
    const char *hit;
    while ((hit = xp_find(b->data + at, b->len - at, from, fl))) {
        buf_add(&out, b->data + at, (size_t)(hit - (b->data + at)));
        buf_adds(&out, to);
        at = (size_t)(hit - b->data) + fl;
    }
    buf_add(&out, b->data + at, b->len - at);
    buf_free(b);
    *b = out;
}

/* ---- tags in serialised XML (merging rendered parts) --------------------- */

bool xp_raw_next(const char *s, size_t n, size_t from, xp_raw_tag *t)
{
    while (from < n) {
        const char *lt = memchr(s + from, '<', n - from);
        if (!lt)
            return false;
        size_t i = (size_t)(lt - s);
        const char *close = NULL;
        if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0)
            close = "-->";
        else if (n - i >= 9 && memcmp(s + i, "<![CDATA[", 9) == 0)
            close = "]]>";
        else if (n - i >= 2 && (s[i + 1] == '?' || s[i + 1] == '!'))
            close = ">";
        if (close) {
            const char *end = NULL;
            size_t cl = strlen(close);
            for (size_t k = i + 2; k + cl <= n && !end; k++)
                if (memcmp(s + k, close, cl) == 0)
                    end = s + k;
            if (!end)
                return false;
            from = (size_t)(end - s) + cl;
            continue;
        }
        /* Attribute values may hold '>' in principle: skip quoted text. */
        size_t k = i + 1;
        char quote = 0;
        for (; k < n; k++) {
            if (quote) {
                if (s[k] == quote)
                    quote = 0;
            } else if (s[k] == '"' || s[k] == '\'') {
                quote = s[k];
            } else if (s[k] == '>') {
                break;
            }
        }
        if (k >= n)
            return false;
        t->start = i;
        t->end = k + 1;
        t->closing = s[i + 1] == '/';
        t->empty = s[k - 1] == '/';
        t->name = i + 1 + t->closing;
        size_t e = t->name;
        while (e < k && s[e] != ' ' && s[e] != '\t' && s[e] != '\n' && s[e] != '\r' &&
               s[e] != '/' && s[e] != '>')
            e++;
        t->name_len = e - t->name;
        return true;
    }
    return false;
}

bool xp_raw_is(const char *s, const xp_raw_tag *t, const char *qname)
{
    return strlen(qname) == t->name_len && memcmp(s + t->name, qname, t->name_len) == 0;
}

bool xp_raw_attr(const char *s, const xp_raw_tag *t, const char *qname, size_t *at, size_t *len)
{
    size_t q = strlen(qname);
    for (size_t i = t->name + t->name_len; i + q + 2 < t->end; i++) {
        if (!xp_is_space(s[i - 1]) || memcmp(s + i, qname, q) != 0 || s[i + q] != '=')
            continue;
        char quote = s[i + q + 1];
        if (quote != '"' && quote != '\'')
            continue;
        const char *end = memchr(s + i + q + 2, quote, t->end - (i + q + 2));
        if (!end)
            return false;
        *at = i + q + 2;
        *len = (size_t)(end - s) - *at;
        return true;
    }
    return false;
}

char *xp_root_prefix(const char *xml, size_t n, const char *ns)
{
    xp_raw_tag t;
    if (!xp_raw_next(xml, n, 0, &t))
        return NULL;
    size_t nl = strlen(ns);
    for (size_t i = t.name + t.name_len; i + 7 < t.end; i++) {
        if (!xp_is_space(xml[i - 1]) || memcmp(xml + i, "xmlns", 5) != 0)
            continue;
        size_t p = i + 5, plen = 0;
        if (xml[p] == ':') {
            p++;
            while (p + plen < t.end && xml[p + plen] != '=' && !xp_is_space(xml[p + plen]))
                plen++;
        }
        size_t eq = p + plen;
        if (xml[eq] != '=' || (xml[eq + 1] != '"' && xml[eq + 1] != '\''))
            continue;
        if (t.end - (eq + 2) > nl && memcmp(xml + eq + 2, ns, nl) == 0 &&
            xml[eq + 2 + nl] == xml[eq + 1])
            return plen ? xasprintf("%.*s:", (int)plen, xml + p) : xstrdup("");
    }
    return NULL;
}

bool xp_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void xp_raw_emit(buf *out, const char *s, const xp_raw_tag *t, const xp_attr_edit *edits,
                     size_t n_edits)
{
    size_t i = t->name + t->name_len;
    buf_add(out, s + t->start, i - t->start);
    size_t stop = t->end - (t->empty ? 2 : 1);
    while (i < stop) {
        while (i < stop && xp_is_space(s[i]))
            i++;
        if (i >= stop)
            break;
        size_t name = i;
        while (i < stop && s[i] != '=' && !xp_is_space(s[i]))
            i++;
        size_t name_len = i - name;
        while (i < stop && s[i] != '"' && s[i] != '\'')
            i++;
        char quote = i < stop ? s[i] : '"';
        size_t val_at = ++i;
        while (i < stop && s[i] != quote)
            i++;
        size_t val_len = i - val_at;
        i++;
        const xp_attr_edit *edit = NULL;
        for (size_t k = 0; k < n_edits && !edit; k++)
            if (strlen(edits[k].qname) == name_len && !memcmp(s + name, edits[k].qname, name_len))
                edit = &edits[k];
        if (edit && !edit->value)
            continue;
        buf_addc(out, ' ');
        buf_add(out, s + name, name_len);
        buf_adds(out, "=\"");
        if (edit)
            buf_adds(out, edit->value);
        else
            buf_add(out, s + val_at, val_len);
        buf_addc(out, '"');
    }
    buf_adds(out, t->empty ? "/>" : ">");
}

void xp_piece_put(buf *piece, size_t entry, const char *bytes, size_t len)
{
    uint64_t head[2] = {entry, len};
    buf_add(piece, head, sizeof head);
    buf_add(piece, bytes, len);
}

bool xp_piece_get(const buf *piece, size_t *at, size_t *entry, const char **bytes,
                      size_t *len)
{
    uint64_t head[2];
    if (*at + sizeof head > piece->len)
        return false;
    memcpy(head, piece->data + *at, sizeof head);
    *entry = (size_t)head[0];
    *len = (size_t)head[1];
    *bytes = piece->data + *at + sizeof head;
    *at += sizeof head + *len;
    return true;
}
