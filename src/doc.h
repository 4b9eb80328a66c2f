/* doc.h: the library API the command line and batch share. Compile once,
 * render many: a template file (text, DOCX, ODT, flat ODT) is read and
 * compiled once into a doc_template; each record is then rendered into a
 * buffer holding the finished file (a zip for DOCX and ODT) with no parsing. */
#ifndef CASEPACK_DOC_H
#define CASEPACK_DOC_H

#include <stdbool.h>
#include <time.h>

#include "cite.h"
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
    unsigned max_section_depth; /* --max-section-depth; 0 = the default */
    time_t mtime;             /* timestamp of entries in written zips */
} doc_options;

doc_options doc_default_options(void);

typedef struct doc_template doc_template;

/* Reads and compiles a template (caller frees with doc_free). Returns NULL
 * with every problem in d; *io_error gets errno when the file could not be
 * read. */
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
 * opt->value, opt->partial and the cite callbacks are set by the template
 * itself; strict, locale and citations are honoured. {{cite}} looks keys up
 * in opt->citations (an unknown key is an error, an entry not verified a
 * warning once per key); {{#authorities}} lists what the document cites, in
 * order of first use, wherever it stands: when it stands before a citation
 * it must list, the document is rendered a second time. Thread-safe for one
 * template and many renders. Returns true, or false with every error in d. */
bool doc_render(const doc_template *t, const value *data, const render_options *opt, buf *out,
                diag *d);

/* True when t has a {{cite}} or authorities tag, so that rendering it needs
 * a citation library: callers load one only then, and plain renders stay
 * fast. Text partials are not looked into (they are read as they are met);
 * a text template with a partials folder may want the library too. */
bool doc_uses_citations(const doc_template *t);

/* A key of lib close to key (other letter case, or a letter or two off),
 * for a "did you mean"; NULL when there is none. Borrowed from lib. */
const char *doc_cite_suggestion(const cite_library *lib, const char *key);

/* Every tag with its place, for `casepack fields`. */
void doc_each_tag(const doc_template *t, tpl_tag_fn fn, void *ud);

/* Merged documents (casepack batch --merge): many records in one DOCX or
 * ODT, each starting on a new page with its numbered lists restarted and its
 * own headers and footers. Records are rendered into pieces (in parallel,
 * like doc_render) and added to the merger in record order. */
typedef struct doc_merger doc_merger;

/* Caller frees with doc_merge_free; t is borrowed until then. NULL with the
 * reason in d when t's format cannot be merged (text, flat ODT). */
doc_merger *doc_merge_new(const doc_template *t, diag *d);
/* Renders one record's piece into piece (appended). Thread-safe like
 * doc_render. */
bool doc_merge_render(const doc_template *t, const value *data, const render_options *opt,
                      buf *piece, diag *d);
/* Adds the next record's piece; takes its bytes (piece is left empty). */
void doc_merge_add(doc_merger *m, buf *piece);
/* The merged document, the whole file, into out (appended). False with the
 * reason in d when nothing was added. */
bool doc_merge_finish(doc_merger *m, buf *out, diag *d);
void doc_merge_free(doc_merger *m); /* NULL is a no-op */

#endif
