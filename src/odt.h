/* odt.h: the OpenDocument (LibreOffice) adapter, shaped like docx.h. Finds
 * tags in content.xml, styles.xml (headers, footers) and meta.xml, resolves
 * reaches, compiles each part. Rendering writes a whole .odt (mimetype first
 * and stored) or, for flat ODT, the single XML file. */
#ifndef CASEPACK_ODT_H
#define CASEPACK_ODT_H

#include "doc.h"

typedef struct odt_template odt_template;

/* Compiles the package in zr, which it takes over (closed by odt_free, also on
 * failure). NULL with every error in d. */
odt_template *odt_compile(zipio_reader *zr, const char *file, const doc_options *opt, diag *d);
/* Compiles a flat ODT (.fodt): one XML document. */
odt_template *odt_compile_flat(const char *xml, size_t n, const char *file, const doc_options *opt,
                               diag *d);
void odt_free(odt_template *t); /* NULL is a no-op */
bool odt_render(const odt_template *t, const value *data, const render_options *opt, buf *out,
                diag *d);
void odt_each_tag(const odt_template *t, tpl_tag_fn fn, void *ud);

/* Merged documents, as docx.h's: a record's rendered parts as one piece
 * (thread-safe), and the merger that writes the one .odt holding them all.
 * Flat ODT cannot be merged. */
typedef struct odt_merger odt_merger;
bool odt_merge_render(const odt_template *t, const value *data, const render_options *opt,
                      buf *piece, diag *d);
odt_merger *odt_merge_new(const odt_template *t, diag *d);
void odt_merge_add(odt_merger *m, buf *piece); /* takes the piece's bytes */
bool odt_merge_finish(odt_merger *m, buf *out, diag *d);
void odt_merge_free(odt_merger *m); /* NULL is a no-op */

#endif
