/* xmlpart.h: what the DOCX and ODT adapters share over libxml2. One XML part
 * (document.xml, content.xml, a header…) is parsed once, safely; the text a
 * reader sees in each paragraph is searched for tags wherever the XML split
 * it; each tag is normalised into one marker; each section's reach is
 * resolved (inline, paragraphs, table rows); repeated ids are made fresh;
 * the part is serialised once and cut at the markers into a program of static
 * XML chunks and tags. Rendering then needs no XML at all: the value sink
 * here writes escaped text, tabs, line breaks and paragraph splits from
 * strings prepared at compile time.
 *
 * The adapters differ only in their XML vocabulary, which they describe with
 * an xp_dialect (docx.c: docx_dialect, odt.c: odt_dialect). */
#ifndef CASEPACK_XMLPART_H
#define CASEPACK_XMLPART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "diag.h"
#include "doc.h"
#include "tpl.h"
#include "util.h"

/* What an element means for finding tags. */
typedef enum xp_role {
    XP_ROLE_OTHER,      /* looked through: its text is not seen, its children may be */
    XP_ROLE_PARAGRAPH,  /* w:p, text:p, text:h: tags are found in its visible text */
    XP_ROLE_TEXT,       /* w:t, text:span: its text nodes are visible */
    XP_ROLE_CHAR,       /* w:tab, text:s: stands for characters (see xp_dialect.role) */
    XP_ROLE_HIDDEN,     /* w:del, office:annotation: nothing inside is seen or filled */
    XP_ROLE_PLAIN_ROOT  /* cp:coreProperties, office:meta: every element's text is plain */
} xp_role;

/* Ids that repeated content must not duplicate. An element matching a rule
 * inside a repeating section gets fresh values for id_attr and name_attr
 * (the name takes "_N") on every repetition. START and END elements with the
 * same key inside the same section share their fresh value (bookmarks). */
typedef enum xp_id_role { XP_ID_SINGLE, XP_ID_START, XP_ID_END } xp_id_role;

typedef struct xp_id_rule {
    const char *ns, *elem;   /* the element: namespace URI and local name */
    const char *attr_ns;     /* namespace of the attributes below; NULL: none */
    const char *key_attr;    /* START/END: the attribute pairing them */
    const char *id_attr;     /* a number to renew, or NULL */
    const char *name_attr;   /* a name to suffix, or NULL */
    xp_id_role role;
} xp_id_rule;

/* A document vocabulary. Every callback takes elements only. */
typedef struct xp_dialect {
    const char *paragraph_name; /* local name of a new empty paragraph ("p") */
    /* The element's role. For XP_ROLE_CHAR, *ch and *count say which
     * characters it stands for (text:s text:c="3" is three spaces). */
    xp_role (*role)(const xmlNode *n, char *ch, unsigned *count);
    bool paragraph_holds_text;  /* text directly inside a paragraph is visible (ODT) */
    bool (*is_row)(const xmlNode *n); /* w:tr, table:table-row */
    /* The element a paragraph stands for among its siblings: itself, or the
     * list item it is alone in (ODT). */
    xmlNode *(*block_of)(xmlNode *paragraph);
    /* True for content a vanishing tag paragraph must not take with it
     * (drawings, section breaks, fields, notes). */
    bool (*keeps_paragraph)(const xmlNode *n);
    /* True for containers that must keep at least one paragraph (w:tc). */
    bool (*needs_paragraph)(const xmlNode *container);
    /* True for children that carry their parent's formatting (w:rPr): copied
     * when an element is split or reopened. */
    bool (*is_property)(const xmlNode *child);
    /* True for elements worth nothing once empty (w:t, w:r, text:span). */
    bool (*drops_when_empty)(const xmlNode *n);
    /* True for attributes unique per element (w14:paraId, xml:id): dropped
     * in repeated content and in paragraphs a value splits off. */
    bool (*unique_attr)(const xmlNode *el, const xmlAttr *a);
    /* The text of n changed around a tag: keep its spaces (w:t xml:space). */
    void (*touch_text)(xmlNode *text_parent);
    const xp_id_rule *id_rules;
    size_t n_id_rules;
    /* What a value's \t and \n become: an empty element of the text's own
     * namespace (w:tab, text:tab; w:br, text:line-break). When text_closes,
     * the element holding the text is closed around it (w:t holds only
     * text); otherwise it stands inside (text:span). */
    const char *tab_name, *break_name;
    bool text_closes;
    /* ODT: a run of N+1 spaces becomes a space and <text:s text:c="N"/>;
     * NULL when spaces stay as they are. */
    const char *space_name, *space_count;
} xp_dialect;

extern const xp_dialect docx_dialect; /* docx.c */
extern const xp_dialect odt_dialect;  /* odt.c */

/* True when n is the element {ns}local. */
bool xp_is(const xmlNode *n, const char *ns, const char *local);

/* Parses one part with no network, no DTD, no entity expansion; refuses a
 * DOCTYPE and elements nested deeper than max_depth. Returns the tree
 * (xmlFreeDoc), or NULL with the reason in d (place: file, part). */
xmlDoc *xp_parse(const char *xml, size_t n, const char *file, const char *part, size_t max_depth,
                 diag *d);

/* The contexts value tags render in, shared by every part of one template;
 * read-only once compiled, so renders may run in parallel. */
typedef struct xp_contexts xp_contexts;
void xp_contexts_free(xp_contexts *cx); /* NULL is a no-op */
/* The first id above every drawing and bookmark id of the template's parts
 * (fresh ids in renders count up from it). */
uint64_t xp_contexts_id_base(const xp_contexts *cx);

/* Compile state for one template: the dialect, the delimiters carried from
 * part to part in document order, the contexts and the id counter base. */
typedef struct xp_compiler xp_compiler;

/* file is borrowed until xp_compiler_finish. */
xp_compiler *xp_compiler_new(const xp_dialect *dl, const char *file, const doc_options *opt);
/* Compiles one part. Returns true with *prog set (caller frees), or NULL in
 * *prog when the part holds no tag (copy it as it is); false with every
 * problem in d. */
bool xp_compile_part(xp_compiler *c, const char *part, const char *xml, size_t n,
                     tpl_program **prog, diag *d);
/* Consumes c; returns the contexts the sink needs (caller frees). */
xp_contexts *xp_compiler_finish(xp_compiler *c);

/* The value sink of one render: pass xp_sink_value as render_options.value
 * and the xp_sink as value_ud. Not shared between threads. */
typedef struct xp_sink {
    const xp_contexts *cx;
    uint64_t next_id;
    uint64_t *slots;
} xp_sink;

void xp_sink_init(xp_sink *s, const xp_contexts *cx);
void xp_sink_free(xp_sink *s);
bool xp_sink_value(void *ud, buf *out, const char *s, size_t n, uint32_t ctx, bool escape,
                   const diag_place *where, diag *d);

/* tpl_each_tag without the tags the adapter made itself (fresh ids and the
 * like): only what the author wrote. */
void xp_each_tag(const tpl_program *p, tpl_tag_fn fn, void *ud);

/* Replaces every occurrence of from by to in b (for content types and
 * manifests of templates: .dotx → .docx, .ott → .odt). */
void xp_replace_all(buf *b, const char *from, const char *to);

/* Tags in serialised XML, for merging rendered parts (batch --merge), which
 * edits a few attributes of what a render wrote without parsing it again.
 * Safe on rendered parts: values are escaped, so every '<' starts markup. */
typedef struct xp_raw_tag {
    size_t start, end;     /* from '<' to just after '>' */
    size_t name, name_len; /* the qualified name ("w:numId") */
    bool closing, empty;   /* </a>, <a/> */
} xp_raw_tag;

/* The next start, end or empty-element tag at or after from (comments,
 * processing instructions and CDATA are stepped over). False at the end. */
bool xp_raw_next(const char *s, size_t n, size_t from, xp_raw_tag *t);
/* True when t's name is qname. */
bool xp_raw_is(const char *s, const xp_raw_tag *t, const char *qname);
/* The value of attribute qname of tag t: true with s[*at, *at + *len). */
bool xp_raw_attr(const char *s, const xp_raw_tag *t, const char *qname, size_t *at, size_t *len);
/* The prefix the root element of xml binds to namespace ns, with its colon
 * ("w:"), "" when ns is the default namespace; NULL when unbound. Caller
 * frees. */
char *xp_root_prefix(const char *xml, size_t n, const char *ns);

bool xp_is_space(char c); /* XML white space */

/* An attribute to change to value, or to drop (value NULL), while copying a
 * tag with xp_raw_emit. */
typedef struct xp_attr_edit {
    const char *qname;
    const char *value;
} xp_attr_edit;

/* Copies tag t of s to out with the edits applied (attributes keep their
 * order; white space between them becomes one space). */
void xp_raw_emit(buf *out, const char *s, const xp_raw_tag *t, const xp_attr_edit *edits,
                 size_t n_edits);

/* A merge piece: one record's rendered parts, each as (entry index, length,
 * bytes). xp_piece_get walks them from *at; false after the last. */
void xp_piece_put(buf *piece, size_t entry, const char *bytes, size_t len);
bool xp_piece_get(const buf *piece, size_t *at, size_t *entry, const char **bytes, size_t *len);

#endif
