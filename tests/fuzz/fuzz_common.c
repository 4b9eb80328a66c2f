/* fuzz_common.c: fixed data and the render-cost bound shared by the fuzz
 * targets (fuzz.h). Not part of the library; linked into each target. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "tpl_prog.h"
#include "xmlpart.h"

static const char fixed_yaml[] =
    "name: \"Olena & <Petrenko> \\\"O'Brien\\\"\"\n"
    "text: \"line one\\nline two\\ttabbed   three spaces\\r\\nend\"\n"
    "empty: \"\"\n"
    "number: 1.50\n"
    "flag: true\n"
    "off: false\n"
    "nothing: null\n"
    "date: 2027-01-17\n"
    "locale: uk\n"
    "gender: female\n"
    "list: [one, two]\n"
    "items:\n"
    "  - {name: Connection e.V., n: 1, tags: [a, b]}\n"
    "  - {name: \"Зелений світ\", n: 2, tags: []}\n"
    "map: {a: 1, b: {c: deep}}\n"
    "case: {id: UA-2027-17, court: Kyiv District Administrative Court}\n";

value *fuzz_yaml(const char *yaml)
{
    diag *d = diag_new();
    load_limits lim = load_default_limits();
    value *v = load_yaml(yaml, strlen(yaml), "fixed.yaml", &lim, d);
    if (!v) {
        diag_print(d, stderr);
        abort();
    }
    diag_free(d);
    return v;
}

const value *fuzz_fixed_data(void)
{
    static value *fixed;
    if (!fixed)
        fixed = fuzz_yaml(fixed_yaml);
    return fixed;
}

load_limits fuzz_load_limits(void)
{
    load_limits lim = load_default_limits();
    lim.max_bytes = (size_t)1 << 20;
    lim.max_nodes = 20000;
    return lim;
}

/* The longest list anywhere in v and the bytes of text in all of it: a
 * section repeats at most that many times, a value (a join of everything)
 * writes at most that much. */
static void data_shape(const value *v, size_t *longest, size_t *text)
{
    size_t cap = 64, n = 0;
    const value **stack = xmalloc(cap * sizeof *stack);
    stack[n++] = v;
    while (n) {
        const value *x = stack[--n];
        if (!x)
            continue;
        if (x->kind == VALUE_STRING || x->kind == VALUE_NUMBER)
            *text += x->len;
        if (x->kind == VALUE_LIST && x->len > *longest)
            *longest = x->len;
        if (x->kind == VALUE_MAP)
            for (size_t i = 0; i < x->len; i++)
                *text += strlen(x->keys[i]);
        if (x->kind == VALUE_LIST || x->kind == VALUE_MAP) {
            for (size_t i = 0; i < x->len; i++) {
                if (n == cap) {
                    cap *= 2;
                    stack = xrealloc(stack, cap * sizeof *stack);
                }
                stack[n++] = x->items[i];
            }
        }
    }
    free(stack);
}

double fuzz_render_cost(const tpl_program *p, const value *data, unsigned partial_depth)
{
    size_t longest = 0, text = 0;
    data_shape(data, &longest, &text);
    double per_item = longest > 1 ? (double)longest : 1.0;
    /* Document sinks split paragraphs on line breaks with XML prepared from
     * the part: a value may cost as much as the part itself. */
    double per_value = 16.0 + 8.0 * (double)text + (double)p->chunks_len;
    double *mult = xmalloc((p->n_ops + 1) * sizeof *mult);
    size_t *until = xmalloc((p->n_ops + 1) * sizeof *until);
    size_t depth = 0;
    double m = 1.0, plain = 0.0, partials = 0.0;
    for (size_t i = 0; i < p->n_ops; i++) {
        const tpl_op *op = &p->ops[i];
        while (depth && i > until[depth - 1])
            m = mult[--depth];
        switch (op->kind) {
        case TPL_OP_STATIC:
            plain += m * (1.0 + (double)op->len);
            break;
        case TPL_OP_SECTION:
        case TPL_OP_INVERTED:
            plain += m * per_value;
            if (op->jump > i) {
                mult[depth] = m;
                until[depth++] = op->jump;
                if (op->kind == TPL_OP_SECTION)
                    m *= per_item;
            }
            break;
        case TPL_OP_END:
            plain += m;
            break;
        case TPL_OP_PARTIAL:
            partials += m;
            break;
        default: /* values, citations: one sink call each */
            plain += m * per_value;
            break;
        }
    }
    free(mult);
    free(until);
    double cost = plain + partials;
    for (unsigned d = 0; d < partial_depth && cost < 1e300; d++)
        cost = plain + partials * cost;
    return cost;
}

void fuzz_xml_part(const struct xp_dialect *dl, const char *file, const char *part,
                   const uint8_t *data, size_t size)
{
    doc_options opt = doc_default_options();
    diag *d = diag_new();
    xp_compiler *c = xp_compiler_new(dl, file, &opt);
    tpl_program *p = NULL;
    bool ok = xp_compile_part(c, part, (const char *)data, size, &p, d);
    xp_contexts *cx = xp_compiler_finish(c);
    if (ok && p && fuzz_render_cost(p, fuzz_fixed_data(), 0) < FUZZ_WORK_BUDGET) {
        xp_sink sink;
        xp_sink_init(&sink, cx);
        render_options ro = {.value = xp_sink_value, .value_ud = &sink};
        buf out = {0};
        render_program(p, fuzz_fixed_data(), &ro, &out, d);
        buf_free(&out);
        xp_sink_free(&sink);
    }
    tpl_free(p);
    xp_contexts_free(cx);
    diag_free(d);
}
