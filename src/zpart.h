/* zpart.h: rendered package parts written straight in deflate format.
 *
 * Compile once, render many, carried down to compression: when a part is
 * compiled, each static chunk of its program is deflated once into a
 * self-contained run of blocks (ended by a full flush, so nothing in it
 * refers back before its start). Rendering a record then concatenates those
 * runs as they are and puts the values between them into stored blocks; the
 * CRC-32 is combined from each chunk's precomputed one. No deflate runs per
 * document, which is where a bulk run's time went. The price is a somewhat
 * larger part: chunks cannot refer to each other and values are stored. */
#ifndef CASEPACK_ZPART_H
#define CASEPACK_ZPART_H

#include <stdbool.h>

#include "diag.h"
#include "render.h"
#include "tpl.h"
#include "value.h"
#include "zipio.h"

typedef struct zpart zpart;

/* Deflates every static chunk of p. p must outlive the zpart. */
zpart *zpart_new(const tpl_program *p);
void zpart_free(zpart *z); /* NULL is a no-op */

/* Renders the program of z over data with opt (its sink and partials) and
 * adds the result to w as entry name, already deflated. Returns false with
 * the render's errors in d (nothing is added then). Thread-safe for one z. */
bool zpart_render(const zpart *z, const value *data, const render_options *opt, zipio_writer *w,
                  const char *name, diag *d);

#endif
