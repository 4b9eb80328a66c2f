/* render.c: the renderer. Walks a compiled program over a data tree: a loop
 * over ops with an explicit stack of contexts and of frames (sections being
 * repeated, partials being rendered), so neither deep templates nor deep
 * partials recurse in C. Owns name resolution, @-names, the application of
 * filters, and the HTML-escaping text sink. Citations are the caller's: a
 * {{cite}} asks render_options.cite for its text, `authorities` asks
 * render_options.authorities for its list. All state lives in one render
 * call: a program may be rendered by many threads at once. */
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters.h"
#include "tpl_prog.h"

bool render_text_value(void *ud, buf *out, const char *s, size_t n, uint32_t ctx, bool escape,
                       const diag_place *where, diag *d)
{
    (void)ud;
    (void)ctx;
    (void)where;
    (void)d;
    if (!escape) {
        buf_add(out, s, n);
        return true;
    }
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        default:
            continue;
        }
        buf_add(out, s + run, i - run);
        buf_adds(out, rep);
        run = i + 1;
    }
    buf_add(out, s + run, n - run);
    return true;
}

/* A section being repeated, or a partial being rendered. */
typedef struct frame {
    bool partial;
    const tpl_program *prog; /* partial: the program to go back to */
    size_t ret;              /* partial: the op to go back to */
    const value *list;       /* a section over a list: the list */
    size_t i;                /* ... and the item being rendered */
    value *owned;            /* a filter's result the section stands on */
} frame;

typedef struct render_state {
    const render_options *opt;
    render_value_fn sink;
    void *sink_ud;
    diag *d;
    const char *locale;
    const value **ctx; /* the context stack; the top is the innermost */
    size_t n_ctx, cap_ctx;
    frame *frames;
    size_t n_frames, cap_frames;
    const tpl_op **warned; /* tags warned about once already, not once per item */
    size_t n_warned, cap_warned;
    const char **broken; /* partials whose loading reported errors in this render */
    size_t n_broken, cap_broken;
} render_state;

static void ctx_push(render_state *st, const value *v)
{
    if (st->n_ctx == st->cap_ctx) {
        st->cap_ctx = st->cap_ctx ? st->cap_ctx * 2 : 16;
        st->ctx = xrealloc(st->ctx, st->cap_ctx * sizeof *st->ctx);
    }
    st->ctx[st->n_ctx++] = v;
}

static void frame_push(render_state *st, frame f)
{
    if (st->n_frames == st->cap_frames) {
        st->cap_frames = st->cap_frames ? st->cap_frames * 2 : 16;
        st->frames = xrealloc(st->frames, st->cap_frames * sizeof *st->frames);
    }
    st->frames[st->n_frames++] = f;
}

static const frame *innermost_list(const render_state *st)
{
    for (size_t i = st->n_frames; i-- > 0;)
        if (st->frames[i].list)
            return &st->frames[i];
    return NULL;
}

/* Mustache's lookup: the first name is searched from the innermost context
 * outwards, the rest only inside what it found ({{a.b}} never falls back to
 * an outer b). *owned gets a value made for an @-name (caller frees). */
static const value *resolve(const render_state *st, const tpl_path *path, value **owned)
{
    *owned = NULL;
    switch (path->kind) {
    case TPL_PATH_DOT:
        return st->n_ctx ? st->ctx[st->n_ctx - 1] : NULL;
    case TPL_PATH_NAMES: {
        const value *v = NULL;
        const tpl_seg *first = &path->segs[0];
        for (size_t i = st->n_ctx; i-- > 0 && !v;)
            v = value_map_get(st->ctx[i], path->text + first->off, first->len);
        for (size_t k = 1; v && k < path->n_segs; k++)
            v = value_map_get(v, path->text + path->segs[k].off, path->segs[k].len);
        return v;
    }
    case TPL_PATH_INDEX:
    case TPL_PATH_NUMBER: {
        const frame *f = innermost_list(st);
        /* Outside every list section, a batch's record is the item: its
         * place among the records answers. */
        if (!f && !st->opt->record_number)
            return NULL;
        size_t i = f ? f->i : st->opt->record_number - 1;
        char num[32];
        int len = snprintf(num, sizeof num, "%zu", i + (path->kind == TPL_PATH_NUMBER));
        return *owned = value_new_number(num, (size_t)len);
    }
    case TPL_PATH_FIRST:
    case TPL_PATH_LAST: {
        const frame *f = innermost_list(st);
        if (!f)
            return NULL;
        bool b = path->kind == TPL_PATH_FIRST ? f->i == 0 : f->i + 1 == f->list->len;
        return *owned = value_new_bool(b);
    }
    case TPL_PATH_AUTHORITIES:
        return st->opt->authorities ? st->opt->authorities(st->opt->cite_ud) : NULL;
    }
    return NULL;
}

static void report_missing(render_state *st, const tpl_path *path, const diag_place *where)
{
    /* Inside a section, say which entry lacks it: the same tag runs once
     * per item of a list. */
    char entry[256] = "";
    for (size_t i = st->n_ctx; i-- > 1;) {
        const value *c = st->ctx[i];
        if (c && c->kind == VALUE_MAP && c->line) {
            snprintf(entry, sizeof entry, " (in the entry at %s:%u:%u)",
                     c->file ? c->file : "data", (unsigned)c->line, (unsigned)c->col);
            break;
        }
    }
    if (path->kind == TPL_PATH_NAMES)
        diag_error(st->d, *where,
                   "\"%s\" is missing from the data%s: add it, or give the tag a fallback with "
                   "| default \"...\"",
                   diag_quote(path->text, strlen(path->text)), entry);
    else if (path->kind == TPL_PATH_AUTHORITIES)
        diag_error(st->d, *where,
                   "\"authorities\" lists the citations a document uses, and no citation "
                   "library is loaded here");
    else if (path->kind != TPL_PATH_DOT)
        diag_error(st->d, *where,
                   "\"%s\" has a value only inside a section over a list: move the tag into one",
                   path->text);
}

#define ARGS_ON_STACK 4

/* The value a tag stands for: its path, then its filters left to right.
 * *owned gets what the caller frees. NULL when missing or a filter failed
 * (reported). strict_miss: a missing name is an error under --strict. */
static const value *evaluate(render_state *st, const tpl_op *op, bool strict_miss, value **owned)
{
    const value *v = resolve(st, &op->path, owned);
    if (!v && strict_miss && st->opt->strict && !op->has_default)
        report_missing(st, &op->path, &op->where);
    for (size_t c = 0; c < op->n_calls; c++) {
        const tpl_call *call = &op->calls[c];
        const value *args_small[ARGS_ON_STACK];
        value *owned_small[ARGS_ON_STACK];
        const value **args = args_small;
        value **arg_owned = owned_small;
        if (call->n_args > ARGS_ON_STACK) {
            args = xcalloc(call->n_args, sizeof *args);
            arg_owned = xcalloc(call->n_args, sizeof *arg_owned);
        }
        for (size_t k = 0; k < call->n_args; k++) {
            const tpl_arg *a = &call->args[k];
            arg_owned[k] = NULL;
            if (a->literal) {
                args[k] = a->literal;
            } else {
                args[k] = resolve(st, &a->path, &arg_owned[k]);
                if (!args[k] && st->opt->strict)
                    report_missing(st, &a->path, &op->where);
            }
        }
        char *err = NULL;
        value *r = filters_apply(call->def, v, args, call->n_args, st->locale, &err);
        for (size_t k = 0; k < call->n_args; k++)
            value_free(arg_owned[k]);
        if (args != args_small) {
            free(args);
            free(arg_owned);
        }
        value_free(*owned);
        *owned = r;
        v = r;
        if (!r) {
            diag_error(st->d, op->where, "%s: %s", diag_quote(op->tag, strlen(op->tag)),
                       err ? err : "the filter failed");
            free(err);
            return NULL;
        }
    }
    return v;
}

/* A list or a map has no text of its own: Mustache renders it empty, which
 * an author rarely means, so say what to write instead. */
static void warn_container(render_state *st, const tpl_op *op, const value *v)
{
    for (size_t i = 0; i < st->n_warned; i++)
        if (st->warned[i] == op)
            return;
    if (st->n_warned == st->cap_warned) {
        st->cap_warned = st->cap_warned ? st->cap_warned * 2 : 8;
        st->warned = xrealloc(st->warned, st->cap_warned * sizeof *st->warned);
    }
    st->warned[st->n_warned++] = op;
    const char *name = diag_quote(op->path.text, strlen(op->path.text));
    if (v->kind == VALUE_LIST)
        diag_warning(st->d, op->where,
                     "\"%s\" is a list, which a value tag shows as nothing: repeat over it with "
                     "a section ({{#%s}}...{{/%s}}) or join it ({{%s | join \", \"}})",
                     name, name, name, name);
    else
        diag_warning(st->d, op->where,
                     "\"%s\" is a map, which a value tag shows as nothing: name one of its "
                     "fields, as in {{%s.FIELD}}",
                     name, name);
}

/* The value of a cite argument: a literal, or what its path holds. */
static const value *arg_value(render_state *st, const tpl_arg *a, const tpl_op *op,
                              value **owned)
{
    *owned = NULL;
    if (a->literal)
        return a->literal;
    const value *v = resolve(st, &a->path, owned);
    if ((!v || v->kind == VALUE_NULL) && st->opt->strict)
        report_missing(st, &a->path, &op->where);
    return v;
}

/* {{cite KEY [PINPOINT]}}: the citation callback gives the text (and
 * records the use), the sink writes it like a value. A key path that holds
 * nothing renders nothing, as a missing value does. */
static void cite_op(render_state *st, const tpl_op *op, buf *out)
{
    value *key_owned = NULL, *pin_owned = NULL;
    const value *key = arg_value(st, &op->args[0], op, &key_owned);
    const char *pinpoint = NULL;
    buf text = {0};
    if (op->n_args > 1) {
        const value *pin = arg_value(st, &op->args[1], op, &pin_owned);
        size_t n;
        const char *s = value_text(pin, &n);
        if (pin && (pin->kind == VALUE_LIST || pin->kind == VALUE_MAP)) {
            diag_error(st->d, op->where,
                       "%s: the pinpoint \"%s\" holds %s, not text such as \"para. 203\"",
                       diag_quote(op->tag, strlen(op->tag)),
                       diag_quote(op->args[1].path.text, strlen(op->args[1].path.text)),
                       pin->kind == VALUE_LIST ? "a list" : "a map");
            goto done;
        }
        if (n)
            pinpoint = s;
    }
    size_t n;
    const char *k = value_text(key, &n);
    if (key && (key->kind == VALUE_LIST || key->kind == VALUE_MAP)) {
        diag_error(st->d, op->where,
                   "%s: \"%s\" holds %s, not a citation key: name the field that holds the key "
                   "itself",
                   diag_quote(op->tag, strlen(op->tag)),
                   diag_quote(op->args[0].path.text, strlen(op->args[0].path.text)),
                   key->kind == VALUE_LIST ? "a list" : "a map");
        goto done;
    }
    if (n == 0)
        goto done;
    if (!st->opt->cite) {
        diag_error(st->d, op->where,
                   "%s: no citation library is loaded here, so \"%s\" cannot be looked up",
                   diag_quote(op->tag, strlen(op->tag)), diag_quote(k, n));
        goto done;
    }
    render_cite c = {.key = k,
                     .pinpoint = pinpoint,
                     .locale = st->locale,
                     .tag = op->tag,
                     .where = &op->where,
                     .from = op->args[0].literal ? NULL : key};
    if (st->opt->cite(st->opt->cite_ud, &c, &text, st->d))
        st->sink(st->sink_ud, out, text.data ? text.data : "", text.len, op->ctx, op->escape,
                 &op->where, st->d);
done:
    buf_free(&text);
    value_free(key_owned);
    value_free(pin_owned);
}

/* A partial that failed to compile has said why; the loader keeps answering
 * NULL for it (and saying why again), which must not read as "not found". */
static void remember_broken(render_state *st, const char *name)
{
    if (st->n_broken == st->cap_broken) {
        st->cap_broken = st->cap_broken ? st->cap_broken * 2 : 4;
        st->broken = xrealloc(st->broken, st->cap_broken * sizeof *st->broken);
    }
    st->broken[st->n_broken++] = name;
}

static bool is_broken(const render_state *st, const char *name)
{
    for (size_t i = 0; i < st->n_broken; i++)
        if (strcmp(st->broken[i], name) == 0)
            return true;
    return false;
}

/* The locale filters use: the caller's, else the data's `locale`, else en. */
static const char *render_locale(const render_options *opt, const value *data)
{
    if (opt->locale && *opt->locale)
        return opt->locale;
    const value *l = value_map_get(data, "locale", 6);
    if (l && l->kind == VALUE_STRING && l->len)
        return l->str;
    return "en";
}

bool render_program(const tpl_program *p, const value *data, const render_options *opt, buf *out,
                    diag *d)
{
    render_state st;
    memset(&st, 0, sizeof st);
    st.opt = opt;
    st.sink = opt->value ? opt->value : render_text_value;
    st.sink_ud = opt->value ? opt->value_ud : NULL;
    st.d = d;
    st.locale = render_locale(opt, data);
    unsigned max_depth = opt->max_partial_depth ? opt->max_partial_depth
                                                : RENDER_DEFAULT_PARTIAL_DEPTH;
    unsigned depth = 0;
    size_t errors_before = diag_error_count(d);
    if (data)
        ctx_push(&st, data);

    const tpl_program *prog = p;
    size_t pc = 0;
    for (;;) {
        if (pc >= prog->n_ops) {
            if (st.n_frames == 0)
                break;
            /* Sections close inside the program they open in, so the frame
             * on top at a program's end is the partial that called it. */
            const frame *f = &st.frames[--st.n_frames];
            prog = f->prog;
            pc = f->ret;
            depth--;
            continue;
        }
        const tpl_op *op = &prog->ops[pc];
        value *owned = NULL;
        const value *v;
        switch (op->kind) {
        case TPL_OP_STATIC:
            if (opt->static_chunk && prog == p)
                opt->static_chunk(opt->static_ud, out, pc);
            else
                buf_add(out, prog->chunks + op->off, op->len);
            pc++;
            break;
        case TPL_OP_VALUE: {
            v = evaluate(&st, op, true, &owned);
            if (v && (v->kind == VALUE_LIST || v->kind == VALUE_MAP))
                warn_container(&st, op, v);
            size_t n;
            const char *s = value_text(v, &n);
            st.sink(st.sink_ud, out, s, n, op->ctx, op->escape, &op->where, d);
            value_free(owned);
            pc++;
            break;
        }
        case TPL_OP_CITE:
            cite_op(&st, op, out);
            pc++;
            break;
        case TPL_OP_SECTION:
            /* Not an error under --strict when missing: {{#spouse}}…{{/spouse}}
             * is how a template says "if there is one". */
            v = evaluate(&st, op, false, &owned);
            if (v && v->kind == VALUE_LIST && v->len > 0) {
                frame_push(&st, (frame){.list = v, .owned = owned});
                ctx_push(&st, v->items[0]);
                pc++;
            } else if (v && v->kind != VALUE_LIST && value_truthy(v)) {
                frame_push(&st, (frame){.owned = owned});
                ctx_push(&st, v);
                pc++;
            } else {
                value_free(owned);
                pc = op->jump + 1;
            }
            break;
        case TPL_OP_INVERTED:
            v = evaluate(&st, op, false, &owned);
            pc = value_truthy(v) ? op->jump + 1 : pc + 1;
            value_free(owned);
            break;
        case TPL_OP_END: {
            if (prog->ops[op->jump].kind == TPL_OP_INVERTED) {
                pc++;
                break;
            }
            frame *f = &st.frames[st.n_frames - 1];
            if (f->list && ++f->i < f->list->len) {
                st.ctx[st.n_ctx - 1] = f->list->items[f->i];
                pc = op->jump + 1;
                break;
            }
            st.n_ctx--;
            value_free(f->owned);
            st.n_frames--;
            pc++;
            break;
        }
        case TPL_OP_PARTIAL: {
            if (depth >= max_depth) {
                /* Past the limit the template is almost surely recursing
                 * without end; going on would only repeat this message. */
                diag_error(d, op->where,
                           "%s: partials are nested more than %u deep (does a partial include "
                           "itself with no end?); if the template is right, raise the limit "
                           "with --max-partial-depth",
                           diag_quote(op->tag, strlen(op->tag)), max_depth);
                goto done;
            }
            /* A partial that did not compile has said so once in this render;
             * its loader would say it again at every tag. */
            if (is_broken(&st, op->name)) {
                pc++;
                break;
            }
            size_t errors = diag_error_count(d);
            const tpl_program *pp =
                opt->partial ? opt->partial(opt->partial_ud, op->name, op->indent, d) : NULL;
            if (diag_error_count(d) > errors)
                remember_broken(&st, op->name);
            if (!pp) {
                /* Without a loader, the caller has said why there are none. */
                if (opt->strict && opt->partial && !is_broken(&st, op->name))
                    diag_error(d, op->where,
                               "partial \"%s\" was not found: check its name, and that "
                               "--partials names the folder it is in",
                               diag_quote(op->name, strlen(op->name)));
                pc++;
                break;
            }
            frame_push(&st, (frame){.partial = true, .prog = prog, .ret = pc + 1});
            depth++;
            prog = pp;
            pc = 0;
            break;
        }
        }
    }
done:
    for (size_t i = 0; i < st.n_frames; i++)
        value_free(st.frames[i].owned);
    free(st.frames);
    free(st.ctx);
    free(st.warned);
    free(st.broken);
    return diag_error_count(d) == errors_before;
}
