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

#endif
