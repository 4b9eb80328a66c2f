/* doc.h: the library API the command line and batch share. Compile once,
 * render many: a template file (text, DOCX, ODT, flat ODT) is read and
 * compiled once into a doc_template; each record is then rendered into a
 * buffer holding the finished file (a zip for DOCX and ODT) with no parsing. */
#ifndef CASEPACK_DOC_H
#define CASEPACK_DOC_H

#include <stdbool.h>
#include <time.h>

#include "diag.h"
#include "render.h"
#include "tpl.h"
#include "util.h"
#include "value.h"
#include "zipio.h"

/* Deflate level of rendered parts: on the bench letter level 1 takes 0.18 s
 * per 1,000 documents where level 6 takes 0.25 s, for 4% more bytes; bulk
 * runs are bound by deflate. Parts under DOC_STORE_BELOW bytes (a header,
 * the core properties) are stored: setting a deflate stream up costs more
 * than the few hundred bytes it saves. The bench's baseline uses the same. */
#define DOC_DEFLATE_LEVEL 1
#define DOC_STORE_BELOW 2048

typedef enum doc_format { DOC_TEXT, DOC_DOCX, DOC_ODT, DOC_FODT } doc_format;

/* The format a template's extension names: .docx .docm .dotx → DOCX,
 * .odt .ott → ODT, .fodt → flat ODT, anything else → text. */
doc_format doc_format_of(const char *path);

typedef struct doc_options {
    tpl_delims delims;        /* starting delimiters */
    const char *partials_dir; /* --partials, or NULL */
    zipio_limits zip;         /* limits for reading template packages */
    size_t max_xml_depth;     /* --max-xml-depth */
    time_t mtime;             /* timestamp of entries in written zips */
} doc_options;

doc_options doc_default_options(void);

typedef struct doc_template doc_template;

/* Reads and compiles a template. Returns NULL with every problem in d;
 * *io_error gets errno when the file could not be read. */
doc_template *doc_compile_file(const char *path, const doc_options *opt, diag *d, int *io_error);
/* The same from bytes already in memory (fuzzing, tests). */
doc_template *doc_compile_memory(const char *bytes, size_t n, doc_format fmt, const char *name,
                                 const doc_options *opt, diag *d);
void doc_free(doc_template *t); /* NULL is a no-op */

doc_format doc_template_format(const doc_template *t);
/* The extension rendered files take ("docx", "odt", "fodt", or the text
 * template's own, "" when it has none). Borrowed. */
const char *doc_output_extension(const doc_template *t);

/* Renders data through t into out (appended): the whole output file.
 * opt->value and opt->partial are set by the template itself; strict and
 * locale are honoured. Thread-safe for one template and many renders.
 * Returns true, or false with every error in d. */
bool doc_render(const doc_template *t, const value *data, const render_options *opt, buf *out,
                diag *d);

/* Every tag with its place, for `casepack fields`. */
void doc_each_tag(const doc_template *t, tpl_tag_fn fn, void *ud);

#endif
