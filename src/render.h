/* render.h: program × data → bytes. The renderer walks a compiled program,
 * resolves names against a stack of values, applies filters, and hands each
 * value to the output sink, which owns escaping (HTML for text, XML, line
 * breaks, tabs and paragraph splits for documents). No parsing happens here. */
#ifndef CASEPACK_RENDER_H
#define CASEPACK_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "tpl.h"
#include "util.h"
#include "value.h"

/* Writes one value's text. escape is false for {{{ }}} / {{& }} in text mode.
 * ctx is what the adapter passed to tpl_builder_tag (0 for text templates).
 * Returns false when the value cannot be written (e.g. a character XML 1.0
 * forbids); the sink then reports to d with where. */
typedef bool (*render_value_fn)(void *ud, buf *out, const char *s, size_t n, uint32_t ctx,
                                bool escape, const diag_place *where, diag *d);

/* Loads a partial by name for a standalone tag with the given indent ("" for
 * inline ones). Returns a program the loader keeps owning (it caches), or
 * NULL when there is none (renders empty; an error under --strict). */
typedef const tpl_program *(*render_partial_fn)(void *ud, const char *name, const char *indent,
                                                 diag *d);

/* A {{cite}} tag as the renderer met it. Everything is borrowed for the call. */
typedef struct render_cite {
    const char *key;         /* the citation key */
    const char *pinpoint;    /* the second argument's text, or NULL when there is none */
    const char *locale;      /* the render's locale (titles and short forms per language) */
    const char *tag;         /* the tag as written, for messages */
    const diag_place *where; /* the tag's place */
    const value *from;       /* the data value the key was read from; NULL for a literal */
} render_cite;

/* Writes one citation's text into text (the short form, then ", " and the
 * pinpoint when there is one) and records that the document used it.
 * Returns false after reporting to d (an unknown key); warnings (an
 * unverified entry) go to d as well. The text then goes through the value
 * sink, escaped like any value. */
typedef bool (*render_cite_fn)(void *ud, const render_cite *c, buf *text, diag *d);

/* The citations used so far, for {{#authorities}}: a list of maps, one per
 * citation in order of first use (key, short, title, kind, pinpoint,
 * pinpoints, date, source, source_note, status, summary). Borrowed until the
 * render is over: later cites may make a new list, never change this one. */
typedef const value *(*render_authorities_fn)(void *ud);

struct cite_library;

/* Emits the static chunk of op number op (of the program render_program was
 * given, never of a partial) in place of copying it into out: precompressed
 * parts (zpart.h) keep the chunks deflated and flush what out holds first. */
typedef void (*render_static_fn)(void *ud, buf *out, size_t op);

typedef struct render_options {
    bool strict;               /* a missing name is an error */
    const char *locale;        /* ICU locale for filters; NULL: the data's `locale`, else "en" */
    unsigned max_partial_depth;/* --max-partial-depth; 0 = the default */
    render_value_fn value;     /* NULL: HTML-escaping text sink */
    void *value_ud;
    render_partial_fn partial; /* NULL: partials render empty, even under strict */
    render_static_fn static_chunk; /* NULL: static chunks are copied into out */
    void *static_ud;
    void *partial_ud;
    /* doc_render: the library {{cite}} looks keys up in (cite.h), borrowed;
     * NULL when none is loaded. doc_render sets the three below from it. */
    const struct cite_library *citations;
    render_cite_fn cite;               /* NULL: a {{cite}} is an error */
    render_authorities_fn authorities; /* NULL: authorities is missing (renders empty) */
    void *cite_ud;
    /* batch: this record's 1-based place among the records, which {{@number}}
     * and {{@index}} give outside list sections; 0: not in a batch. */
    size_t record_number;
} render_options;

#define RENDER_DEFAULT_PARTIAL_DEPTH 64

/* The text sink: HTML-escapes & < > " when escape is set. */
bool render_text_value(void *ud, buf *out, const char *s, size_t n, uint32_t ctx, bool escape,
                       const diag_place *where, diag *d);

/* Renders p over data (the bottom of the context stack) into out (appended).
 * Returns true, or false with every error in d (strict misses, bad values,
 * filter failures); rendering goes on past errors so that all are reported. */
bool render_program(const tpl_program *p, const value *data, const render_options *opt, buf *out,
                    diag *d);

#endif
