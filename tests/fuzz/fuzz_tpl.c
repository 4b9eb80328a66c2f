/* fuzz_tpl.c: the Mustache compiler for text templates (tpl_compile_text).
 * The first byte picks the starting delimiters and whether the template is
 * compiled as an indented partial; the rest is the template. A compiled
 * program is walked for `casepack fields`. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static void count_tag(void *ud, tpl_tag_kind kind, const char *body, const char *path,
                      const diag_place *where)
{
    size_t *n = ud;
    *n += (size_t)kind + strlen(body) + (path ? strlen(path) : 0) + where->line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const delims[] = {"{{ }}", "<% %>", "{ }", "[[ ]]"};
    tpl_delims dl;
    if (!tpl_parse_delims(delims[data[0] & 3], &dl))
        dl = tpl_default_delims();
    const char *indent = (data[0] & 4) ? "  \t" : "";
    diag *d = diag_new();
    tpl_program *p =
        tpl_compile_text((const char *)data + 1, size - 1, "fuzz.txt", indent, &dl, 0, d);
    if (p) {
        size_t n = 0;
        tpl_each_tag(p, count_tag, &n);
    }
    /* Messages quote the template: format them all, as the command line would. */
    for (size_t i = 0; i < diag_count(d); i++)
        (void)strlen(diag_get(d, i)->text);
    tpl_free(p);
    diag_free(d);
    return 0;
}
