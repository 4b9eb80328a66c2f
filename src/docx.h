/* docx.h: the OOXML (Word) adapter. Finds tags in the visible text of each
 * part a reader sees (body, headers, footers, footnotes, endnotes, core
 * properties), resolves each section's reach (inline, paragraphs, list items,
 * table rows), and compiles each part into a program whose static chunks are
 * XML. Rendering writes a whole .docx: rendered parts deflated, every other
 * entry copied through without recompression. */
#ifndef CASEPACK_DOCX_H
#define CASEPACK_DOCX_H

#include "doc.h"

typedef struct docx_template docx_template;

/* Compiles the package in zr, which it takes over (closed by docx_free, also on
 * failure). file names the template in messages. NULL with every error in d. */
docx_template *docx_compile(zipio_reader *zr, const char *file, const doc_options *opt, diag *d);
void docx_free(docx_template *t); /* NULL is a no-op */
/* Renders one document (the whole .docx file) into out. Thread-safe. */
bool docx_render(const docx_template *t, const value *data, const render_options *opt, buf *out,
                 diag *d);
void docx_each_tag(const docx_template *t, tpl_tag_fn fn, void *ud);

/* Merged documents (doc.h's doc_merge_*): a record's rendered parts as one
 * piece (thread-safe), and the merger that adds pieces in record order and
 * writes the one .docx holding them all. */
typedef struct docx_merger docx_merger;
bool docx_merge_render(const docx_template *t, const value *data, const render_options *opt,
                       buf *piece, diag *d);
docx_merger *docx_merge_new(const docx_template *t, diag *d);
void docx_merge_add(docx_merger *m, buf *piece); /* takes the piece's bytes */
bool docx_merge_finish(docx_merger *m, buf *out, diag *d);
void docx_merge_free(docx_merger *m); /* NULL is a no-op */

#endif
