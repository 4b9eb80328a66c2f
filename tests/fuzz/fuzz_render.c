/* fuzz_render.c: a text template rendered over fuzzed data. The input is
 * the template, a NUL byte, then YAML or JSON data (no NUL: the fixed data).
 * Every partial tag loads the template itself, so partial recursion and its
 * depth limit are exercised too. Renders whose cost (fuzz_render_cost)
 * would be exponential in the nesting are skipped: those run as long as the
 * template asks, which is no bug. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "render.h"

#define PARTIAL_DEPTH 4

typedef struct partials {
    const char *src;
    size_t n;
    const tpl_delims *dl;
    struct {
        char *indent;
        tpl_program *p;
    } cache[8];
    size_t n_cache;
} partials;

static const tpl_program *load_partial(void *ud, const char *name, const char *indent, diag *d)
{
    partials *ps = ud;
    if (name[0] == '!')
        return NULL; /* a partial that is not there */
    for (size_t i = 0; i < ps->n_cache; i++)
        if (!strcmp(ps->cache[i].indent, indent))
            return ps->cache[i].p;
    if (ps->n_cache == sizeof ps->cache / sizeof ps->cache[0])
        return NULL;
    tpl_program *p = tpl_compile_text(ps->src, ps->n, "partial.txt", indent, ps->dl, 0, d);
    ps->cache[ps->n_cache].indent = xstrdup(indent);
    ps->cache[ps->n_cache].p = p;
    ps->n_cache++;
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *src = (const char *)data;
    const char *nul = memchr(src, '\0', size);
    size_t n = nul ? (size_t)(nul - src) : size;
    tpl_delims dl = tpl_default_delims();
    diag *d = diag_new();
    load_limits lim = fuzz_load_limits();
    lim.max_nodes = 2000;
    value *loaded = nul ? load_yaml(nul + 1, size - n - 1, "data.yaml", &lim, d) : NULL;
    const value *ctx = nul ? loaded : fuzz_fixed_data();
    tpl_program *p = tpl_compile_text(src, n, "fuzz.txt", "", &dl, 0, d);
    if (p && ctx && fuzz_render_cost(p, ctx, PARTIAL_DEPTH) < FUZZ_WORK_BUDGET) {
        partials ps = {.src = src, .n = n, .dl = &dl};
        /* Strict and lax: they take different paths through lookups. */
        for (int strict = 0; strict < 2; strict++) {
            render_options ro;
            memset(&ro, 0, sizeof ro);
            ro.strict = strict;
            ro.max_partial_depth = PARTIAL_DEPTH;
            ro.partial = load_partial;
            ro.partial_ud = &ps;
            buf out = {0};
            render_program(p, ctx, &ro, &out, d);
            buf_free(&out);
        }
        for (size_t i = 0; i < ps.n_cache; i++) {
            free(ps.cache[i].indent);
            tpl_free(ps.cache[i].p);
        }
    }
    tpl_free(p);
    value_free(loaded);
    diag_free(d);
    return 0;
}
