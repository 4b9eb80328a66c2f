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

typedef struct render_options {
    bool strict;               /* a missing name is an error */
    const char *locale;        /* ICU locale for filters; NULL: the data's `locale`, else "en" */
    unsigned max_partial_depth;/* --max-partial-depth; 0 = the default */
    render_value_fn value;     /* NULL: HTML-escaping text sink */
    void *value_ud;
    render_partial_fn partial; /* NULL: partials render empty */
    void *partial_ud;
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
