/* doc.c: the library API over every template format. Picks the adapter by
 * extension, compiles once, and renders records; owns partial loading for
 * text templates (a folder the user named, nothing outside it), and the
 * citations of one rendered document: which entries it cites in order of
 * first use, their pinpoints, the warnings for entries not verified, and the
 * list {{#authorities}} walks. */
#include "doc.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "docx.h"
#include "odt.h"

/* The zip epoch: entries get a fixed timestamp unless SOURCE_DATE_EPOCH says
 * otherwise, so the same input always gives the same bytes. */
#define DOC_DEFAULT_MTIME ((time_t)315532800) /* 1980-01-01T00:00:00Z */
#define DOC_DEFAULT_MAX_XML_DEPTH 256

typedef struct partial_entry {
    char *name, *indent;
    tpl_program *prog; /* NULL: not found, or unusable (errs says why) */
    diag *errs;        /* why it is unusable, told again to every render; NULL: nothing */
} partial_entry;

struct doc_template {
    doc_format fmt;
    char *file;
    char *ext;
    char *partials_dir;
    size_t max_partial_bytes; /* a partial is a template: --max-total-size caps it too */
    tpl_delims delims;
    unsigned max_section_depth; /* partials are compiled with it too */
    tpl_program *text;
    docx_template *docx;
    odt_template *odt;
    bool cites;           /* a cite or authorities tag: doc_uses_citations */
    pthread_mutex_t lock; /* guards the partial cache: renders may run in parallel */
    partial_entry *partials;
    size_t n_partials, cap_partials;
};

doc_format doc_format_of(const char *path)
{
    const char *ext = util_extension(path);
    if (!strcasecmp(ext, "docx") || !strcasecmp(ext, "docm") || !strcasecmp(ext, "dotx"))
        return DOC_DOCX;
    if (!strcasecmp(ext, "odt") || !strcasecmp(ext, "ott"))
        return DOC_ODT;
    if (!strcasecmp(ext, "fodt"))
        return DOC_FODT;
    return DOC_TEXT;
}

doc_options doc_default_options(void)
{
    doc_options o;
    memset(&o, 0, sizeof o);
    o.delims = tpl_default_delims();
    o.zip = zipio_default_limits();
    o.max_xml_depth = DOC_DEFAULT_MAX_XML_DEPTH;
    o.max_section_depth = TPL_DEFAULT_SECTION_DEPTH;
    o.mtime = DOC_DEFAULT_MTIME;
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        long long t = strtoll(sde, &end, 10);
        /* Zip timestamps cannot go before 1980. */
        if (*end == '\0' && t >= (long long)DOC_DEFAULT_MTIME)
            o.mtime = (time_t)t;
    }
    return o;
}

static doc_template *doc_alloc(doc_format fmt, const char *name, const doc_options *opt)
{
    doc_template *t = xcalloc(1, sizeof *t);
    t->fmt = fmt;
    t->file = xstrdup(name);
    t->delims = opt->delims;
    t->max_section_depth = opt->max_section_depth;
    t->partials_dir = opt->partials_dir ? xstrdup(opt->partials_dir) : NULL;
    t->max_partial_bytes = (size_t)opt->zip.max_total_size;
    switch (fmt) {
    case DOC_DOCX:
        /* Macro-enabled content types need the .docm name or Word refuses
         * the file; templates (.dotx) become documents. */
        t->ext = xstrdup(!strcasecmp(util_extension(name), "docm") ? "docm" : "docx");
        break;
    case DOC_ODT:
        t->ext = xstrdup("odt");
        break;
    case DOC_FODT:
        t->ext = xstrdup("fodt");
        break;
    case DOC_TEXT:
        t->ext = xstrdup(util_extension(name));
        break;
    }
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

static void note_citing_tag(void *ud, tpl_tag_kind kind, const char *body, const char *path,
                            const diag_place *where)
{
    (void)path;
    (void)where;
    if (tpl_tag_cites(kind, body, strlen(body)))
        *(bool *)ud = true;
}

/* A text template or partial must be UTF-8: false, with the place of the
 * first bad byte in d, when it is not. what: "template" or "partial". */
static bool text_is_utf8(const char *bytes, size_t n, const char *name, const char *what,
                         diag *d)
{
    size_t bad;
    if (util_utf8_valid(bytes, n, &bad))
        return true;
    unsigned line = 1, col = 1;
    for (size_t i = 0; i < bad; i++) {
        if (bytes[i] == '\n')
            line++, col = 1;
        else if (((unsigned char)bytes[i] & 0xC0) != 0x80)
            col++;
    }
    diag_error(d, (diag_place){.file = name, .line = line, .col = col},
               "the %s is not valid UTF-8 (byte 0x%02X); save it as UTF-8 text", what,
               (unsigned char)bytes[bad]);
    return false;
}

typedef struct partial_warning {
    const doc_template *t;
    diag *d;
} partial_warning;

/* Documents take no partials until the clause library exists (a text
 * partial spliced into XML would become markup): each such tag is told, so
 * that nothing goes missing from a filed document without a word. */
static void warn_document_partial(void *ud, tpl_tag_kind kind, const char *body, const char *path,
                                  const diag_place *where)
{
    (void)path;
    const partial_warning *w = ud;
    if (kind != TPL_TAG_PARTIAL)
        return;
    char *tag = xasprintf("%s%s%s", w->t->delims.open, body, w->t->delims.close);
    diag_warning(w->d, *where,
                 "%s: partials work only in text templates for now, so in a document this tag "
                 "shows nothing; write the clause into the document itself",
                 diag_quote(tag, strlen(tag)));
    free(tag);
}

doc_template *doc_compile_memory(const char *bytes, size_t n, doc_format fmt, const char *name,
                                 const doc_options *opt, diag *d)
{
    doc_template *t = doc_alloc(fmt, name, opt);
    bool ok = false;
    switch (fmt) {
    case DOC_TEXT: {
        if (!text_is_utf8(bytes, n, name, "template", d))
            break;
        t->text = tpl_compile_text(bytes, n, name, "", &opt->delims, opt->max_section_depth, d);
        ok = t->text != NULL;
        break;
    }
    case DOC_DOCX:
    case DOC_ODT: {
        zipio_reader *zr = zipio_open_memory(bytes, n, name, &opt->zip, d);
        if (!zr)
            break;
        if (fmt == DOC_DOCX)
            ok = (t->docx = docx_compile(zr, name, opt, d)) != NULL;
        else
            ok = (t->odt = odt_compile(zr, name, opt, d)) != NULL;
        break;
    }
    case DOC_FODT:
        ok = (t->odt = odt_compile_flat(bytes, n, name, opt, d)) != NULL;
        break;
    }
    if (!ok) {
        doc_free(t);
        return NULL;
    }
    doc_each_tag(t, note_citing_tag, &t->cites);
    if (fmt != DOC_TEXT) {
        partial_warning w = {t, d};
        doc_each_tag(t, warn_document_partial, &w);
    }
    return t;
}

doc_template *doc_compile_file(const char *path, const doc_options *opt, diag *d, int *io_error)
{
    *io_error = 0;
    buf b = {0};
    size_t cap = opt->zip.max_total_size ? (size_t)opt->zip.max_total_size : 0;
    int err = util_read_file(path, &b, cap);
    if (err) {
        if (err == EFBIG)
            diag_error(d, (diag_place){.file = path},
                       "the template is larger than the limit of %zu bytes; raise it with "
                       "--max-total-size",
                       cap);
        else {
            diag_error(d, (diag_place){.file = path}, "cannot read the template: %s",
                       strerror(err));
            *io_error = err;
        }
        buf_free(&b);
        return NULL;
    }
    doc_template *t = doc_compile_memory(b.data ? b.data : "", b.len, doc_format_of(path), path,
                                         opt, d);
    buf_free(&b);
    return t;
}

void doc_free(doc_template *t)
{
    if (!t)
        return;
    tpl_free(t->text);
    docx_free(t->docx);
    odt_free(t->odt);
    for (size_t i = 0; i < t->n_partials; i++) {
        free(t->partials[i].name);
        free(t->partials[i].indent);
        tpl_free(t->partials[i].prog);
        diag_free(t->partials[i].errs);
    }
    free(t->partials);
    pthread_mutex_destroy(&t->lock);
    free(t->partials_dir);
    free(t->ext);
    free(t->file);
    free(t);
}

doc_format doc_template_format(const doc_template *t)
{
    return t->fmt;
}

const char *doc_output_extension(const doc_template *t)
{
    return t->ext;
}

/* A partial name may name a file below the partials folder, never above it:
 * no absolute paths and no ".." components. */
static bool partial_name_safe(const char *name)
{
    if (!*name || name[0] == '/')
        return false;
    for (const char *p = name; *p;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += len + (slash ? 1 : 0);
    }
    return true;
}

static tpl_program *partial_compile(doc_template *t, const char *name, const char *indent,
                                    diag *d)
{
    if (!t->partials_dir || !partial_name_safe(name))
        return NULL;
    char *paths[2] = {xasprintf("%s/%s", t->partials_dir, name),
                      *t->ext ? xasprintf("%s/%s.%s", t->partials_dir, name, t->ext) : NULL};
    tpl_program *prog = NULL;
    for (int i = 0; i < 2; i++) {
        if (!paths[i])
            continue;
        buf src = {0};
        int err = util_read_file(paths[i], &src, t->max_partial_bytes);
        const char *text = src.data ? src.data : "";
        if (err == 0 && text_is_utf8(text, src.len, paths[i], "partial", d))
            prog = tpl_compile_text(text, src.len, paths[i], indent, &t->delims,
                                    t->max_section_depth, d);
        buf_free(&src);
        /* Not there (or a folder of that name): the other spelling may be. */
        if (err == ENOENT || err == ENOTDIR || err == EISDIR)
            continue;
        if (err == EFBIG)
            diag_error(d, (diag_place){.file = paths[i]},
                       "the partial is larger than the limit of %zu bytes; raise it with "
                       "--max-total-size",
                       t->max_partial_bytes);
        else if (err)
            diag_system_error(d, (diag_place){.file = paths[i]}, err,
                              "cannot read the partial: %s", strerror(err));
        break;
    }
    free(paths[0]);
    free(paths[1]);
    return prog;
}

/* Tells d again what made a cached partial unusable. */
static void partial_retell(const diag *errs, diag *d)
{
    int sys = diag_system_errno(errs);
    for (size_t i = 0; i < diag_count(errs); i++) {
        const diag_entry *e = diag_get(errs, i);
        if (e->level == DIAG_WARNING)
            diag_warning(d, (diag_place){0}, "%s", e->text);
        else if (sys)
            diag_system_error(d, (diag_place){0}, sys, "%s", e->text);
        else
            diag_error(d, (diag_place){0}, "%s", e->text);
    }
}

/* Partials compile on first use and stay cached for the template's life, per
 * name and indent (a standalone partial's lines take its indent). What made
 * one unusable is kept with it and told to every render that asks for it: a
 * second pass, or the next record of a batch, must fail as the first did. */
static const tpl_program *doc_partial(void *ud, const char *name, const char *indent, diag *d)
{
    doc_template *t = ud;
    pthread_mutex_lock(&t->lock);
    partial_entry *e = NULL;
    for (size_t i = 0; i < t->n_partials && !e; i++)
        if (!strcmp(t->partials[i].name, name) && !strcmp(t->partials[i].indent, indent))
            e = &t->partials[i];
    if (!e) {
        diag *errs = diag_new();
        tpl_program *prog = partial_compile(t, name, indent, errs);
        if (diag_count(errs) == 0) {
            diag_free(errs);
            errs = NULL;
        }
        if (t->n_partials == t->cap_partials) {
            t->cap_partials = t->cap_partials ? t->cap_partials * 2 : 8;
            t->partials = xrealloc(t->partials, t->cap_partials * sizeof *t->partials);
        }
        e = &t->partials[t->n_partials++];
        *e = (partial_entry){xstrdup(name), xstrdup(indent), prog, errs};
    }
    if (e->errs)
        partial_retell(e->errs, d);
    const tpl_program *prog = e->prog;
    pthread_mutex_unlock(&t->lock);
    return prog;
}

/* ---- citations ---------------------------------------------------------- */

typedef struct cite_use {
    const cite_entry *entry;
    char **pins; /* distinct pinpoint arguments in order of use: owned */
    size_t n_pins, cap_pins;
    bool warned; /* its status warning was given in this pass */
} cite_use;

/* What one render of one document cites. It lives on doc_render's stack, so
 * many threads may render one template at once. */
typedef struct cite_tracker {
    const cite_library *lib;
    cite_use *uses; /* in order of first use */
    size_t n_uses, cap_uses;
    value *list; /* the authorities as last built; NULL when out of date */
    value **old; /* lists handed out before a change: a section may be walking one */
    size_t n_old, cap_old;
    bool listed;       /* the authorities were read in this pass */
    bool listed_early; /* ... and a citation changed them afterwards */
} cite_tracker;

static void tracker_changed(cite_tracker *ct)
{
    if (ct->list) {
        if (ct->n_old == ct->cap_old) {
            ct->cap_old = ct->cap_old ? ct->cap_old * 2 : 4;
            ct->old = xrealloc(ct->old, ct->cap_old * sizeof *ct->old);
        }
        ct->old[ct->n_old++] = ct->list;
        ct->list = NULL;
    }
    if (ct->listed)
        ct->listed_early = true;
}

const char *doc_cite_suggestion(const cite_library *lib, const char *key)
{
    const char *best = NULL;
    size_t best_d = 3, n = cite_count(lib);
    for (size_t i = 0; i < n; i++) {
        const char *k = cite_key_at(lib, i);
        if (strcasecmp(k, key) == 0)
            return k;
        size_t dist = cite_edit_distance(k, key);
        if (dist < best_d && dist * 3 <= strlen(key)) {
            best_d = dist;
            best = k;
        }
    }
    return best;
}

static void report_unknown(const cite_tracker *ct, const render_cite *c, diag *d)
{
    const char *tag = diag_quote(c->tag, strlen(c->tag));
    buf why = {0};
    if (c->from && c->from->line)
        buf_printf(&why, "the value at %s:%u:%u", c->from->file ? c->from->file : "data",
                   (unsigned)c->from->line, (unsigned)c->from->col);
    const char *near = doc_cite_suggestion(ct->lib, c->key);
    if (near)
        buf_printf(&why, "%sdid you mean \"%s\"?", why.len ? "; " : "", near);
    if (why.len) {
        buf wrapped = {0};
        buf_printf(&wrapped, " (%s)", why.data);
        buf_free(&why);
        why = wrapped;
    }
    diag_error(d, *c->where, "%s: unknown citation \"%s\"%s; `casepack cite list` shows the keys",
               tag, diag_quote(c->key, strlen(c->key)), why.data ? why.data : "");
    buf_free(&why);
}

static bool tracker_cite(void *ud, const render_cite *c, buf *text, diag *d)
{
    cite_tracker *ct = ud;
    if (!ct->lib) {
        diag_error(d, *c->where, "%s: no citation library is loaded here, so \"%s\" cannot be "
                                 "looked up",
                   diag_quote(c->tag, strlen(c->tag)), diag_quote(c->key, strlen(c->key)));
        return false;
    }
    const cite_entry *e = cite_find(ct->lib, c->key, c->locale);
    if (!e) {
        report_unknown(ct, c, d);
        return false;
    }
    cite_use *u = NULL;
    for (size_t i = 0; i < ct->n_uses && !u; i++)
        if (strcmp(ct->uses[i].entry->key, e->key) == 0)
            u = &ct->uses[i];
    if (!u) {
        if (ct->n_uses == ct->cap_uses) {
            ct->cap_uses = ct->cap_uses ? ct->cap_uses * 2 : 8;
            ct->uses = xrealloc(ct->uses, ct->cap_uses * sizeof *ct->uses);
        }
        u = &ct->uses[ct->n_uses++];
        memset(u, 0, sizeof *u);
        u->entry = e;
        tracker_changed(ct);
    }
    if (c->pinpoint) {
        bool seen = false;
        for (size_t i = 0; i < u->n_pins && !seen; i++)
            seen = strcmp(u->pins[i], c->pinpoint) == 0;
        if (!seen) {
            if (u->n_pins == u->cap_pins) {
                u->cap_pins = u->cap_pins ? u->cap_pins * 2 : 4;
                u->pins = xrealloc(u->pins, u->cap_pins * sizeof *u->pins);
            }
            u->pins[u->n_pins++] = xstrdup(c->pinpoint);
            tracker_changed(ct);
        }
    }
    if (!u->warned && e->status != CITE_VERIFIED) {
        u->warned = true;
        diag_warning(d, *c->where,
                     "citation \"%s\" is %s: check it against the official text before filing",
                     e->key, e->status == CITE_PARTLY ? "only partly verified" : "unverified");
    }
    buf_adds(text, e->short_form);
    if (c->pinpoint) {
        buf_adds(text, ", ");
        buf_adds(text, c->pinpoint);
    }
    return true;
}

static void item_add(value *item, const char *key, const char *text)
{
    value_map_add(item, key, strlen(key), value_new_string(text, strlen(text)));
}

/* Every field is there, "" when the entry lacks it: inside the section a
 * missing name would otherwise be looked up in the case data around it. */
static value *authority_item(const cite_use *u)
{
    const cite_entry *e = u->entry;
    value *item = value_new(VALUE_MAP, NULL, 0, 0);
    item_add(item, "key", e->key);
    item_add(item, "short", e->short_form);
    item_add(item, "title", e->title);
    item_add(item, "kind", e->kind);
    item_add(item, "pinpoint", e->pinpoint);
    value *pins = value_new(VALUE_LIST, NULL, 0, 0);
    for (size_t i = 0; i < u->n_pins; i++)
        value_list_push(pins, value_new_string(u->pins[i], strlen(u->pins[i])));
    value_map_add(item, "pinpoints", 9, pins);
    item_add(item, "date", e->date);
    item_add(item, "source", e->url);
    item_add(item, "source_note", e->source_note);
    item_add(item, "status", cite_status_name(e->status));
    item_add(item, "summary", e->summary);
    return item;
}

static const value *tracker_authorities(void *ud)
{
    cite_tracker *ct = ud;
    ct->listed = true;
    if (!ct->list) {
        ct->list = value_new(VALUE_LIST, NULL, 0, 0);
        for (size_t i = 0; i < ct->n_uses; i++)
            value_list_push(ct->list, authority_item(&ct->uses[i]));
    }
    return ct->list;
}

/* A second pass starts knowing every citation and pinpoint of the first, in
 * the first's order, which the second then meets again unchanged. */
static void tracker_restart(cite_tracker *ct)
{
    for (size_t i = 0; i < ct->n_uses; i++)
        ct->uses[i].warned = false;
    for (size_t i = 0; i < ct->n_old; i++)
        value_free(ct->old[i]);
    ct->n_old = 0;
    ct->listed = ct->listed_early = false;
}

static void tracker_release(cite_tracker *ct)
{
    for (size_t i = 0; i < ct->n_uses; i++) {
        for (size_t k = 0; k < ct->uses[i].n_pins; k++)
            free(ct->uses[i].pins[k]);
        free(ct->uses[i].pins);
    }
    free(ct->uses);
    for (size_t i = 0; i < ct->n_old; i++)
        value_free(ct->old[i]);
    free(ct->old);
    value_free(ct->list);
}

bool doc_uses_citations(const doc_template *t)
{
    return t->cites;
}

/* ---- rendering ----------------------------------------------------------- */

/* One pass over the template; piece: a record's share of a merged document
 * (doc_merge_render) rather than a whole file. */
static bool render_once(const doc_template *t, const value *data, const render_options *opt,
                        buf *out, diag *d, bool piece)
{
    render_options o = *opt;
    o.partial = doc_partial;
    o.partial_ud = (void *)t;
    switch (t->fmt) {
    case DOC_TEXT:
        o.value = NULL;
        return render_program(t->text, data, &o, out, d);
    case DOC_DOCX:
    case DOC_ODT:
    case DOC_FODT:
        /* No partials in documents yet: warn_document_partial told why. */
        o.partial = NULL;
        if (piece)
            return t->docx ? docx_merge_render(t->docx, data, &o, out, d)
                           : odt_merge_render(t->odt, data, &o, out, d);
        return t->docx ? docx_render(t->docx, data, &o, out, d)
                       : odt_render(t->odt, data, &o, out, d);
    }
    return false;
}

static bool render_cited(const doc_template *t, const value *data, const render_options *opt,
                         buf *out, diag *d, bool piece)
{
    cite_tracker ct;
    memset(&ct, 0, sizeof ct);
    ct.lib = opt->citations;
    render_options o = *opt;
    o.cite = tracker_cite;
    o.authorities = tracker_authorities;
    o.cite_ud = &ct;
    /* Text partials are compiled as they are met, and may cite. */
    if (!t->cites && !(t->fmt == DOC_TEXT && t->partials_dir)) {
        bool ok = render_once(t, data, &o, out, d, piece);
        tracker_release(&ct);
        return ok;
    }
    size_t start = out->len;
    diag *pass = diag_new();
    bool ok = render_once(t, data, &o, out, pass, piece);
    if (ct.listed_early) {
        /* The authorities stood before a citation they must list (a table of
         * authorities at the top): render again, every citation known from
         * the start. Only then does a document cost two renders. */
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
        diag_free(pass);
        pass = diag_new();
        tracker_restart(&ct);
        ok = render_once(t, data, &o, out, pass, piece);
    }
    diag_take(d, pass);
    diag_free(pass);
    tracker_release(&ct);
    return ok;
}

bool doc_render(const doc_template *t, const value *data, const render_options *opt, buf *out,
                diag *d)
{
    return render_cited(t, data, opt, out, d, false);
}

void doc_each_tag(const doc_template *t, tpl_tag_fn fn, void *ud)
{
    if (t->text)
        tpl_each_tag(t->text, fn, ud);
    else if (t->docx)
        docx_each_tag(t->docx, fn, ud);
    else if (t->odt)
        odt_each_tag(t->odt, fn, ud);
}

/* ---- merged documents ---------------------------------------------------- */

struct doc_merger {
    docx_merger *docx;
    odt_merger *odt;
};

doc_merger *doc_merge_new(const doc_template *t, diag *d)
{
    docx_merger *dm = NULL;
    odt_merger *om = NULL;
    if (t->fmt == DOC_DOCX)
        dm = docx_merge_new(t->docx, d);
    else if (t->fmt == DOC_ODT || t->fmt == DOC_FODT)
        om = odt_merge_new(t->odt, d);
    else
        diag_error(d, (diag_place){.file = t->file},
                   "--merge needs a .docx or .odt template: records are merged into one "
                   "document (write each record to its own file with -o DIR instead)");
    if (!dm && !om)
        return NULL;
    doc_merger *m = xcalloc(1, sizeof *m);
    m->docx = dm;
    m->odt = om;
    return m;
}

bool doc_merge_render(const doc_template *t, const value *data, const render_options *opt,
                      buf *piece, diag *d)
{
    return render_cited(t, data, opt, piece, d, true);
}

void doc_merge_add(doc_merger *m, buf *piece)
{
    if (m->docx)
        docx_merge_add(m->docx, piece);
    else
        odt_merge_add(m->odt, piece);
}

bool doc_merge_finish(doc_merger *m, buf *out, diag *d)
{
    return m->docx ? docx_merge_finish(m->docx, out, d) : odt_merge_finish(m->odt, out, d);
}

void doc_merge_free(doc_merger *m)
{
    if (!m)
        return;
    docx_merge_free(m->docx);
    odt_merge_free(m->odt);
    free(m);
}
