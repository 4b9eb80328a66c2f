/* doc.c: the library API over every template format. Picks the adapter by
 * extension, compiles once, and renders records; owns partial loading for
 * text templates (a folder the user named, nothing outside it). */
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
    tpl_program *prog; /* NULL: looked for and not found */
} partial_entry;

struct doc_template {
    doc_format fmt;
    char *file;
    char *ext;
    char *partials_dir;
    tpl_delims delims;
    tpl_program *text;
    docx_template *docx;
    odt_template *odt;
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
    t->partials_dir = opt->partials_dir ? xstrdup(opt->partials_dir) : NULL;
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

doc_template *doc_compile_memory(const char *bytes, size_t n, doc_format fmt, const char *name,
                                 const doc_options *opt, diag *d)
{
    doc_template *t = doc_alloc(fmt, name, opt);
    bool ok = false;
    switch (fmt) {
    case DOC_TEXT: {
        size_t bad;
        if (!util_utf8_valid(bytes, n, &bad)) {
            unsigned line = 1, col = 1;
            for (size_t i = 0; i < bad; i++) {
                if (bytes[i] == '\n')
                    line++, col = 1;
                else if (((unsigned char)bytes[i] & 0xC0) != 0x80)
                    col++;
            }
            diag_error(d, (diag_place){.file = name, .line = line, .col = col},
                       "the template is not valid UTF-8 (byte 0x%02X); save it as UTF-8 text",
                       (unsigned char)bytes[bad]);
            break;
        }
        t->text = tpl_compile_text(bytes, n, name, "", &opt->delims, d);
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
    for (int i = 0; i < 2 && !prog; i++) {
        if (!paths[i])
            continue;
        buf src = {0};
        if (util_read_file(paths[i], &src, (size_t)16 << 20) == 0) {
            size_t bad;
            if (util_utf8_valid(src.data ? src.data : "", src.len, &bad))
                prog = tpl_compile_text(src.data ? src.data : "", src.len, paths[i], indent,
                                        &t->delims, d);
            else
                diag_error(d, (diag_place){.file = paths[i]},
                           "the partial is not valid UTF-8; save it as UTF-8 text");
            buf_free(&src);
            break;
        }
        buf_free(&src);
    }
    free(paths[0]);
    free(paths[1]);
    return prog;
}

/* Partials compile on first use and stay cached for the template's life, per
 * name and indent (a standalone partial's lines take its indent). */
static const tpl_program *doc_partial(void *ud, const char *name, const char *indent, diag *d)
{
    doc_template *t = ud;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n_partials; i++) {
        partial_entry *e = &t->partials[i];
        if (!strcmp(e->name, name) && !strcmp(e->indent, indent)) {
            pthread_mutex_unlock(&t->lock);
            return e->prog;
        }
    }
    tpl_program *prog = partial_compile(t, name, indent, d);
    if (t->n_partials == t->cap_partials) {
        t->cap_partials = t->cap_partials ? t->cap_partials * 2 : 8;
        t->partials = xrealloc(t->partials, t->cap_partials * sizeof *t->partials);
    }
    t->partials[t->n_partials++] = (partial_entry){xstrdup(name), xstrdup(indent), prog};
    pthread_mutex_unlock(&t->lock);
    return prog;
}

bool doc_render(const doc_template *t, const value *data, const render_options *opt, buf *out,
                diag *d)
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
        /* A text partial spliced into XML would become markup: documents get
         * no partials until the clause-library form exists. */
        o.partial = NULL;
        return t->docx ? docx_render(t->docx, data, &o, out, d)
                       : odt_render(t->odt, data, &o, out, d);
    }
    return false;
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
