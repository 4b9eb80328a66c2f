/* tpl.h: the Mustache lexer and compiler. Template source → program: a flat
 * list of static chunks and ops (emit value, enter section, leave section,
 * partial), each op keeping its place. Format-agnostic: text templates are
 * lexed here; the DOCX and ODT adapters find tags in a document's visible
 * text themselves and feed the same compiler through a builder, passing
 * static XML as chunks and each tag with an output context of their own. */
#ifndef CASEPACK_TPL_H
#define CASEPACK_TPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define TPL_MAX_DELIM 16 /* bytes in one delimiter */

typedef struct tpl_delims {
    char open[TPL_MAX_DELIM + 1];
    char close[TPL_MAX_DELIM + 1];
} tpl_delims;

/* "{{" "}}". */
tpl_delims tpl_default_delims(void);
/* Parses "L R" (as --delimiters takes it). False when malformed. */
bool tpl_parse_delims(const char *spec, tpl_delims *out);

/* What a tag is, from its first character after the delimiter. */
typedef enum tpl_tag_kind {
    TPL_TAG_VALUE,     /* {{name}} */
    TPL_TAG_RAW,       /* {{{name}}} {{&name}} */
    TPL_TAG_SECTION,   /* {{#name}} */
    TPL_TAG_INVERTED,  /* {{^name}} */
    TPL_TAG_CLOSE,     /* {{/name}} */
    TPL_TAG_PARTIAL,   /* {{>name}} */
    TPL_TAG_COMMENT,   /* {{!…}} */
    TPL_TAG_DELIMS     /* {{=L R=}} */
} tpl_tag_kind;

/* One tag found in text by tpl_scan. Offsets are into the scanned text. */
typedef struct tpl_found {
    size_t start, end;            /* the whole tag, delimiters included */
    size_t body_start, body_end;  /* between the delimiters (and braces of {{{ }}}) */
    tpl_tag_kind kind;
    bool unclosed;                /* opening delimiter without a closing one */
} tpl_found;

/* Finds the next tag in text[from, n) with the delimiters in *d. A
 * set-delimiter tag updates *d (when malformed, *d is kept and the tag is
 * returned with kind TPL_TAG_DELIMS for the compiler to report). Returns false
 * when there is none. */
bool tpl_scan(const char *text, size_t n, size_t from, tpl_delims *d, tpl_found *out);

/* The key a section is opened and closed by: the tag body with sigil and
 * surrounding spaces removed, filters normalised ("a.b|eq \"x\""). Writes at
 * most cap bytes; returns the length. A closing tag matches an opening one
 * when the keys are equal or the closing key is the opening's name alone. */
size_t tpl_section_key(const char *body, size_t n, char *out, size_t cap);
/* True when a closing tag's body closes the section opened by open_body. */
bool tpl_closes(const char *open_body, size_t open_n, const char *close_body, size_t close_n);

/* True when a tag is about citations: {{cite KEY}}, or a tag on the
 * reserved name `authorities` (the citations a document uses). The caller
 * then needs a citation library to render (render_options.citations). */
bool tpl_tag_cites(tpl_tag_kind kind, const char *body, size_t n);

typedef struct tpl_program tpl_program;

/* Sections may nest this deep unless the caller allows more
 * (--max-section-depth): no template a person writes comes near it. */
#define TPL_DEFAULT_SECTION_DEPTH 100
/* The most --max-section-depth accepts. The renderer keeps its section
 * stacks on the heap, but each name is looked up through every enclosing
 * section, so the depth multiplies the cost of every tag inside. */
#define TPL_MAX_SECTION_DEPTH 10000

/* Compiles a text template with Mustache's standalone-line rules. indent is
 * prepended to every line (for standalone partials; "" for none).
 * max_section_depth is how deep sections may nest (0: the default). Returns
 * NULL with every error reported to d (place: file, line, column; the tag
 * quoted). The program keeps copies of what it needs. */
/* The caller frees the program with tpl_free. */
tpl_program *tpl_compile_text(const char *src, size_t n, const char *file, const char *indent,
                              const tpl_delims *start, unsigned max_section_depth, diag *d);

/* The builder, for adapters that find tags themselves. max_section_depth as
 * for tpl_compile_text. */
typedef struct tpl_builder tpl_builder;
tpl_builder *tpl_builder_new(const char *file, unsigned max_section_depth);
/* Static bytes, written out verbatim. */
void tpl_builder_static(tpl_builder *b, const char *bytes, size_t n);
/* A tag: kind as tpl_scan found it, body between its delimiters. ctx is the
 * adapter's output context for value tags, handed back to its sink at render
 * time (0 for plain text). where is kept for messages. */
void tpl_builder_tag(tpl_builder *b, tpl_tag_kind kind, const char *body, size_t n,
                     diag_place where, uint32_t ctx);
/* Consumes b. Returns the program (caller frees with tpl_free), or NULL with
 * every error in d (unclosed and mismatched sections, unknown filters,
 * filters with wrong arguments). */
tpl_program *tpl_builder_finish(tpl_builder *b, diag *d);

void tpl_free(tpl_program *p); /* NULL is a no-op */

/* The ops of a program, for sinks that prepare its static chunks ahead of
 * rendering (zpart.h): how many, and the static bytes of op i (NULL when op i
 * is not static). Borrowed from the program. */
size_t tpl_op_count(const tpl_program *p);
const char *tpl_static_chunk(const tpl_program *p, size_t i, size_t *len);

/* Every tag of a program for `casepack fields`: calls fn once per tag in
 * source order with its kind, its source text (between delimiters), the data
 * path it reads (NULL for comments, partials, @-names) and its place. */
typedef void (*tpl_tag_fn)(void *ud, tpl_tag_kind kind, const char *body, const char *path,
                           const diag_place *where);
void tpl_each_tag(const tpl_program *p, tpl_tag_fn fn, void *ud);

#endif
