/* cmd_kit.c: the commands about kits and citations: `casepack check` (case
 * data against a kit's schema and the citation keys its templates read),
 * `new` (a commented case skeleton), `kits` (the kits there are) and
 * `cite list|show`. Also what render shares with them: where kits are
 * searched, loading the citation library, and a kit's defaults and schema
 * applied to case data. Flags and output only; the work is kit.h's,
 * schema.h's and cite.h's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "schema.h"

/* ---- shared with render -------------------------------------------------- */

size_t cli_kit_search(const char *const *kits, size_t n_kits, const char **dirs)
{
    for (size_t i = 0; i < n_kits; i++)
        dirs[i] = kits[i];
    dirs[n_kits] = cli_templates_dir();
    return n_kits + 1;
}

cite_library *cli_load_citations(const char *const *files, size_t n, diag *d)
{
    size_t errors = diag_error_count(d);
    cite_library *lib = cite_new();
    char *dir = xasprintf("%s/citations", cli_templates_dir());
    cite_add_dir(lib, dir, d);
    free(dir);
    for (size_t i = 0; i < n; i++)
        cite_add_file(lib, files[i], d);
    if (diag_error_count(d) != errors) {
        cite_free(lib);
        return NULL;
    }
    return lib;
}

/* Defaults go under the data, keeping the data's own maps (and so their
 * places, which messages about a missing field point at). */
static void merge_under(value *data, const value *defaults)
{
    if (data->kind != VALUE_MAP || defaults->kind != VALUE_MAP)
        return;
    for (size_t i = 0; i < defaults->len; i++) {
        const char *key = defaults->keys[i];
        value *have = value_map_get(data, key, strlen(key));
        if (!have)
            value_map_add(data, key, strlen(key), value_clone(defaults->items[i]));
        else
            merge_under(have, defaults->items[i]);
    }
}

bool cli_kit_data(const kit *k, value *data, diag *d)
{
    if (k->defaults)
        merge_under(data, k->defaults);
    return !k->schema || schema_check(k->schema, data, d);
}

/* ---- flags --------------------------------------------------------------- */

enum { TAKES_LIMITS = 1, TAKES_LOCALE = 2, TAKES_VERBOSE = 4 };

typedef struct kit_args {
    cli_common common;
    const char **kits, **citations, **pos;
    size_t n_kits, n_citations, n_pos;
    bool verbose;
} kit_args;

static void kit_args_free(kit_args *a)
{
    free(a->kits);
    free(a->citations);
    free(a->pos);
}

/* Parses the flags of check, new, kits and cite. Returns -1 to go on, or an
 * exit status. */
static int parse_args(int argc, char **argv, kit_args *a, const char *usage, unsigned takes)
{
    memset(a, 0, sizeof *a);
    cli_common_init(&a->common);
    a->kits = xcalloc((size_t)argc, sizeof *a->kits);
    a->citations = xcalloc((size_t)argc, sizeof *a->citations);
    a->pos = xcalloc((size_t)argc, sizeof *a->pos);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool taken;
        const char *val;
        if (takes & TAKES_LIMITS) {
            int common = cli_common_flag(&a->common, argc, argv, &i);
            if (common < 0)
                return -common;
            if (common > 0)
                continue;
        }
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            printf("usage: casepack %s\n", usage);
            return cli_finish_stdout(diag_new(), EXIT_OK);
        }
        if ((val = cli_flag_value("--kits", argc, argv, &i, &taken)) || taken) {
            if (!val || !cli_folder_ok("--kits", val))
                return EXIT_USAGE;
            a->kits[a->n_kits++] = val;
        } else if ((val = cli_flag_value("--citations", argc, argv, &i, &taken)) || taken) {
            if (!val)
                return EXIT_USAGE;
            a->citations[a->n_citations++] = val;
        } else if ((takes & TAKES_LOCALE) &&
                   ((val = cli_flag_value("--locale", argc, argv, &i, &taken)) || taken)) {
            if (!val || !cli_locale_ok(val))
                return EXIT_USAGE;
            a->common.locale = val;
        } else if ((takes & TAKES_VERBOSE) && (!strcmp(arg, "-v") || !strcmp(arg, "--verbose"))) {
            a->verbose = true;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            cli_usage_error("unknown option '%s'", arg);
            return EXIT_USAGE;
        } else {
            a->pos[a->n_pos++] = arg;
        }
    }
    return -1;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The template file of a kit's document: .docx first, then .odt, .fodt, or
 * the file itself (a text template). Caller frees; NULL when none. */
static char *document_file(const kit_document *doc)
{
    static const char *const exts[] = {"docx", "odt", "fodt"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        char *p = xasprintf("%s.%s", doc->template_base, exts[i]);
        if (is_file(p))
            return p;
        free(p);
    }
    return is_file(doc->template_base) ? xstrdup(doc->template_base) : NULL;
}

/* ---- check: the citation keys a kit's templates read from the data ------ */

/* A {{cite path}} of a kit's template, with the sections around it: the
 * key is looked up as the renderer would, inside each of them. */
typedef struct cite_ref {
    char **sections; /* outermost first; NULL: a condition that enters no value */
    size_t n_sections;
    char *path;
} cite_ref;

typedef struct ref_collect {
    cite_ref *refs;
    size_t n, cap;
    char **open; /* the sections open at the current tag */
    size_t n_open, cap_open;
} ref_collect;

static void ref_tag(void *ud, tpl_tag_kind kind, const char *body, const char *path,
                    const diag_place *where)
{
    (void)where;
    ref_collect *rc = ud;
    switch (kind) {
    case TPL_TAG_SECTION:
    case TPL_TAG_INVERTED:
        if (rc->n_open == rc->cap_open) {
            rc->cap_open = rc->cap_open ? rc->cap_open * 2 : 8;
            rc->open = xrealloc(rc->open, rc->cap_open * sizeof *rc->open);
        }
        /* A filtered section ({{#x | eq "a"}}) enters a true/false, not x. */
        rc->open[rc->n_open++] =
            kind == TPL_TAG_SECTION && path && !strchr(body, '|') ? xstrdup(path) : NULL;
        break;
    case TPL_TAG_CLOSE:
        if (rc->n_open)
            free(rc->open[--rc->n_open]);
        break;
    case TPL_TAG_VALUE:
    case TPL_TAG_RAW:
        if (!path || !tpl_tag_cites(kind, body, strlen(body)))
            break;
        if (rc->n == rc->cap) {
            rc->cap = rc->cap ? rc->cap * 2 : 8;
            rc->refs = xrealloc(rc->refs, rc->cap * sizeof *rc->refs);
        }
        cite_ref *r = &rc->refs[rc->n++];
        r->n_sections = rc->n_open;
        r->sections = xcalloc(rc->n_open ? rc->n_open : 1, sizeof *r->sections);
        for (size_t i = 0; i < rc->n_open; i++)
            r->sections[i] = rc->open[i] ? xstrdup(rc->open[i]) : NULL;
        r->path = xstrdup(path);
        break;
    default:
        break;
    }
}

static void refs_free(ref_collect *rc)
{
    for (size_t i = 0; i < rc->n; i++) {
        for (size_t k = 0; k < rc->refs[i].n_sections; k++)
            free(rc->refs[i].sections[k]);
        free(rc->refs[i].sections);
        free(rc->refs[i].path);
    }
    free(rc->refs);
    for (size_t i = 0; i < rc->n_open; i++)
        free(rc->open[i]);
    free(rc->open);
}

/* Compiles each of the kit's documents for its {{cite path}} tags. A
 * template that does not compile is reported: the kit cannot render. */
static void refs_collect(const kit *k, const doc_options *opt, ref_collect *rc, diag *d,
                         int *io_error)
{
    for (size_t i = 0; i < k->n_documents; i++) {
        char *file = document_file(&k->documents[i]);
        if (!file)
            continue;
        int err = 0;
        doc_template *t = doc_compile_file(file, opt, d, &err);
        if (err)
            *io_error = err;
        if (t && doc_uses_citations(t))
            doc_each_tag(t, ref_tag, rc);
        while (rc->n_open)
            free(rc->open[--rc->n_open]);
        doc_free(t);
        free(file);
    }
}

typedef struct walk_frame {
    const value *v;
    char *path; /* where it is in the data ("grounds.1"), "" for the root */
} walk_frame;

typedef struct bad_key {
    const value *v;
    char *msg;
} bad_key;

typedef struct cite_walk {
    const cite_library *lib;
    walk_frame *frames;
    size_t n, cap;
    bad_key *bad; /* each key value once, however many tags read it */
    size_t n_bad, cap_bad;
} cite_walk;

static void walk_push(cite_walk *w, const value *v, char *path)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 8;
        w->frames = xrealloc(w->frames, w->cap * sizeof *w->frames);
    }
    w->frames[w->n++] = (walk_frame){v, path};
}

static void walk_pop(cite_walk *w)
{
    free(w->frames[--w->n].path);
}

static char *path_join(const char *base, const char *name)
{
    return *base ? xasprintf("%s.%s", base, name) : xstrdup(name);
}

/* Mustache's lookup, as render.c does it: the first name from the innermost
 * context outwards, the rest inside what it found. *where gets the data
 * path of the result (caller frees). */
static const value *walk_lookup(const cite_walk *w, const char *dotted, char **where)
{
    *where = NULL;
    if (strcmp(dotted, ".") == 0) {
        *where = xstrdup(w->frames[w->n - 1].path);
        return w->frames[w->n - 1].v;
    }
    size_t first = strcspn(dotted, ".");
    for (size_t i = w->n; i-- > 0;) {
        const value *v = value_map_get(w->frames[i].v, dotted, first);
        if (!v)
            continue;
        for (const char *seg = dotted + first; v && *seg == '.';) {
            seg++;
            size_t len = strcspn(seg, ".");
            v = value_map_get(v, seg, len);
            seg += len;
        }
        *where = path_join(w->frames[i].path, dotted);
        return v;
    }
    return NULL;
}

static void walk_key(cite_walk *w, const value *v, const char *where)
{
    if (!v || (v->kind != VALUE_STRING && v->kind != VALUE_NUMBER) || v->len == 0 ||
        cite_find(w->lib, v->str, NULL))
        return;
    for (size_t i = 0; i < w->n_bad; i++)
        if (w->bad[i].v == v)
            return;
    const char *near = doc_cite_suggestion(w->lib, v->str);
    char *hint = near ? xasprintf(" (did you mean \"%s\"?)", near) : xstrdup("");
    if (w->n_bad == w->cap_bad) {
        w->cap_bad = w->cap_bad ? w->cap_bad * 2 : 8;
        w->bad = xrealloc(w->bad, w->cap_bad * sizeof *w->bad);
    }
    w->bad[w->n_bad++] = (bad_key){
        v, xasprintf("%s: unknown citation \"%s\"%s; `casepack cite list` shows the keys", where,
                     diag_quote(v->str, v->len), hint)};
    free(hint);
}

static void walk_ref(cite_walk *w, const cite_ref *r, size_t i)
{
    char *where;
    if (i == r->n_sections) {
        const value *v = walk_lookup(w, r->path, &where);
        walk_key(w, v, where ? where : r->path);
        free(where);
        return;
    }
    if (!r->sections[i]) {
        walk_ref(w, r, i + 1);
        return;
    }
    const value *s = walk_lookup(w, r->sections[i], &where);
    if (s && s->kind == VALUE_LIST) {
        for (size_t k = 0; k < s->len; k++) {
            char index[32];
            snprintf(index, sizeof index, "%zu", k);
            walk_push(w, s->items[k], path_join(where, index));
            walk_ref(w, r, i + 1);
            walk_pop(w);
        }
    } else if (s && s->kind == VALUE_MAP) {
        walk_push(w, s, xstrdup(where));
        walk_ref(w, r, i + 1);
        walk_pop(w);
    } else if (value_truthy(s)) {
        walk_ref(w, r, i + 1);
    }
    free(where);
}

static int bad_order(const void *a, const void *b)
{
    const value *x = ((const bad_key *)a)->v, *y = ((const bad_key *)b)->v;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->col < y->col ? -1 : x->col > y->col;
}

/* Reports, in the data's order, every citation key the kit's templates
 * would look up and the library lacks. */
static void check_cite_keys(const ref_collect *rc, const cite_library *lib, const value *data,
                            diag *d)
{
    if (rc->n == 0)
        return;
    cite_walk w = {.lib = lib};
    walk_push(&w, data, xstrdup(""));
    for (size_t i = 0; i < rc->n; i++)
        walk_ref(&w, &rc->refs[i], 0);
    walk_pop(&w);
    if (w.n_bad)
        qsort(w.bad, w.n_bad, sizeof *w.bad, bad_order);
    for (size_t i = 0; i < w.n_bad; i++) {
        const value *v = w.bad[i].v;
        diag_error(d, (diag_place){.file = v->file, .line = v->line, .col = v->col}, "%s",
                   w.bad[i].msg);
        free(w.bad[i].msg);
    }
    free(w.bad);
    free(w.frames);
}

bool cli_check_cite_keys(const doc_template *t, const cite_library *lib, const value *data,
                         diag *d)
{
    if (!doc_uses_citations(t))
        return true;
    size_t errors = diag_error_count(d);
    ref_collect rc = {0};
    doc_each_tag(t, ref_tag, &rc);
    check_cite_keys(&rc, lib, data, d);
    refs_free(&rc);
    return diag_error_count(d) == errors;
}

/* ---- check --------------------------------------------------------------- */

#define CHECK_USAGE                                                                          \
    "check KIT|SCHEMA DATA... [--kits DIR] [--citations FILE] [--verbose]"

static schema *schema_from_file(const char *path, const load_limits *lim, diag *d,
                                int *io_error)
{
    value *v = load_data_file(path, lim, d, io_error);
    schema *s = v ? schema_compile(v, d) : NULL;
    value_free(v);
    return s;
}

int cmd_check(int argc, char **argv)
{
    kit_args a;
    int status = parse_args(argc, argv, &a, CHECK_USAGE, TAKES_LIMITS | TAKES_VERBOSE);
    if (status >= 0) {
        kit_args_free(&a);
        return status;
    }
    if (a.n_pos < 2) {
        cli_usage_error("check needs a kit (or a schema file) and at least one data file: "
                        "casepack " CHECK_USAGE);
        kit_args_free(&a);
        return EXIT_USAGE;
    }
    if (!cli_stdin_once(a.pos, a.n_pos)) {
        kit_args_free(&a);
        return EXIT_USAGE;
    }
    diag *d = diag_new();
    int io_error = 0;
    const char *target = a.pos[0];
    kit *k = NULL;
    schema *own = NULL;
    cite_library *lib = NULL;
    ref_collect rc = {0};
    if (is_file(target)) {
        own = schema_from_file(target, &a.common.load, d, &io_error);
    } else {
        const char **search = xcalloc(a.n_kits + 1, sizeof *search);
        size_t ns = cli_kit_search(a.kits, a.n_kits, search);
        k = kit_find(target, search, ns, d);
        free(search);
        if (k)
            refs_collect(k, &a.common.doc, &rc, d, &io_error);
        if (rc.n)
            lib = cli_load_citations(a.citations, a.n_citations, d);
    }
    if (diag_error_count(d) == 0) {
        for (size_t i = 1; i < a.n_pos; i++) {
            const char *file = a.pos[i];
            size_t before = diag_error_count(d);
            int err = 0;
            value *data = load_data_file(file, &a.common.load, d, &err);
            if (err)
                io_error = err;
            if (data) {
                if (k)
                    cli_kit_data(k, data, d);
                else
                    schema_check(own, data, d);
                if (lib)
                    check_cite_keys(&rc, lib, data, d);
            }
            if (a.verbose && data && diag_error_count(d) == before)
                printf("%s: conforms to %s\n", file, target);
            value_free(data);
        }
    }
    status = io_error ? EXIT_IO : diag_error_count(d) ? EXIT_INPUT : EXIT_OK;
    refs_free(&rc);
    cite_free(lib);
    schema_free(own);
    kit_free(k);
    kit_args_free(&a);
    return cli_finish_stdout(d, status);
}

/* ---- new ----------------------------------------------------------------- */

#define NEW_USAGE "new KIT [--kits DIR]"

int cmd_new(int argc, char **argv)
{
    kit_args a;
    int status = parse_args(argc, argv, &a, NEW_USAGE, 0);
    if (status >= 0) {
        kit_args_free(&a);
        return status;
    }
    if (a.n_pos != 1) {
        if (a.n_pos)
            cli_usage_error("new takes one kit, not %zu: casepack " NEW_USAGE, a.n_pos);
        else
            cli_usage_error("new needs a KIT: casepack " NEW_USAGE);
        kit_args_free(&a);
        return EXIT_USAGE;
    }
    diag *d = diag_new();
    const char **search = xcalloc(a.n_kits + 1, sizeof *search);
    size_t ns = cli_kit_search(a.kits, a.n_kits, search);
    kit *k = kit_find(a.pos[0], search, ns, d);
    free(search);
    if (!k) {
        kit_args_free(&a);
        return cli_finish(d, EXIT_INPUT);
    }
    /* The commands to run next, with the same --kits the kit was found by. */
    buf kits = {0};
    for (size_t i = 0; i < a.n_kits; i++)
        buf_printf(&kits, "--kits %s ", a.kits[i]);
    const char *flags = kits.data ? kits.data : "";
    buf out = {0};
    buf_printf(&out,
               "# A case for the kit %s: %s.\n"
               "# Fill in every field (the comment above each says what goes there), then check\n"
               "# the file and render the documents:\n"
               "#   casepack check %s%s case.yaml\n",
               k->id, k->title, flags, a.pos[0]);
    for (size_t i = 0; i < k->n_documents; i++) {
        char *file = document_file(&k->documents[i]);
        if (file)
            buf_printf(&out, "#   casepack render %s %s--kit %s -d case.yaml\n", file, flags,
                       a.pos[0]);
        free(file);
    }
    buf_adds(&out, "\n");
    if (k->schema)
        schema_skeleton(k->schema, &out);
    else
        buf_printf(&out, "kit: %s\n", k->id);
    fwrite(out.data, 1, out.len, stdout);
    buf_free(&out);
    buf_free(&kits);
    kit_free(k);
    kit_args_free(&a);
    return cli_finish_stdout(d, EXIT_OK);
}

/* ---- kits ---------------------------------------------------------------- */

static size_t code_points(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void pad(buf *b, const char *s, size_t width)
{
    buf_adds(b, s);
    for (size_t n = code_points(s); n < width; n++)
        buf_addc(b, ' ');
}

int cmd_kits(int argc, char **argv)
{
    kit_args a;
    int status = parse_args(argc, argv, &a, "kits [--kits DIR]", 0);
    if (status >= 0) {
        kit_args_free(&a);
        return status;
    }
    if (a.n_pos) {
        cli_usage_error("kits takes no arguments, not '%s' (to add a folder of kits: --kits DIR)",
                        a.pos[0]);
        kit_args_free(&a);
        return EXIT_USAGE;
    }
    diag *d = diag_new();
    const char **search = xcalloc(a.n_kits + 1, sizeof *search);
    size_t ns = cli_kit_search(a.kits, a.n_kits, search);
    size_t n = 0;
    char **ids = kit_list(search, ns, &n);
    kit **kits = xcalloc(n ? n : 1, sizeof *kits);
    size_t w_id = 0, w_title = 0;
    for (size_t i = 0; i < n; i++) {
        kits[i] = kit_find(ids[i], search, ns, d);
        if (!kits[i])
            continue;
        if (code_points(kits[i]->id) > w_id)
            w_id = code_points(kits[i]->id);
        if (code_points(kits[i]->title) > w_title)
            w_title = code_points(kits[i]->title);
    }
    buf out = {0};
    for (size_t i = 0; i < n; i++) {
        const kit *k = kits[i];
        if (!k)
            continue;
        pad(&out, k->id, w_id + 2);
        pad(&out, k->title, w_title + 2);
        for (size_t j = 0; j < k->n_documents; j++)
            buf_printf(&out, "%s%s", j ? ", " : "", k->documents[j].id);
        buf_addc(&out, '\n');
    }
    if (out.len)
        fwrite(out.data, 1, out.len, stdout);
    status = diag_error_count(d) ? EXIT_INPUT : EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        kit_free(kits[i]);
        free(ids[i]);
    }
    free(kits);
    free(ids);
    free(search);
    buf_free(&out);
    kit_args_free(&a);
    return cli_finish_stdout(d, status);
}

/* ---- cite ---------------------------------------------------------------- */

#define CITE_USAGE                                                                           \
    "cite list|show KEY [--citations FILE] [--locale TAG]"

static void cite_list(const cite_library *lib, const char *locale, buf *out)
{
    size_t n = cite_count(lib), w = 0;
    for (size_t i = 0; i < n; i++)
        if (strlen(cite_key_at(lib, i)) > w)
            w = strlen(cite_key_at(lib, i));
    for (size_t i = 0; i < n; i++) {
        const cite_entry *e = cite_find(lib, cite_key_at(lib, i), locale);
        buf_printf(out, "%-*s  %-10s  %s\n", (int)w, e->key, cite_status_name(e->status),
                   e->short_form);
    }
}

static void cite_show(const cite_entry *e, buf *out)
{
    const struct {
        const char *label, *text;
    } fields[] = {
        {"key", e->key},         {"kind", e->kind},
        {"title", e->title},     {"short", e->short_form},
        {"pinpoint", e->pinpoint}, {"date", e->date},
        {"source", e->url},      {"source_note", e->source_note},
        {"summary", e->summary}, {"status", cite_status_name(e->status)},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        char label[16];
        snprintf(label, sizeof label, "%s:", fields[i].label);
        if (*fields[i].text)
            buf_printf(out, "%-12s %s\n", label, fields[i].text);
    }
    buf_printf(out, "%-12s %s:%u\n", "defined in:", e->file, e->line);
}

int cmd_cite(int argc, char **argv)
{
    kit_args a;
    int status = parse_args(argc, argv, &a, CITE_USAGE, TAKES_LOCALE);
    if (status >= 0) {
        kit_args_free(&a);
        return status;
    }
    bool list = a.n_pos == 1 && !strcmp(a.pos[0], "list");
    bool show = a.n_pos == 2 && !strcmp(a.pos[0], "show");
    if (!list && !show) {
        if (a.n_pos && !strcmp(a.pos[0], "show"))
            cli_usage_error("cite show takes one KEY: casepack " CITE_USAGE);
        else
            cli_usage_error("cite needs list, or show and a KEY: casepack " CITE_USAGE);
        kit_args_free(&a);
        return EXIT_USAGE;
    }
    diag *d = diag_new();
    cite_library *lib = cli_load_citations(a.citations, a.n_citations, d);
    buf out = {0};
    status = lib ? EXIT_OK : EXIT_INPUT;
    if (lib && list) {
        cite_list(lib, a.common.locale, &out);
    } else if (lib) {
        const cite_entry *e = cite_find(lib, a.pos[1], a.common.locale);
        if (e) {
            cite_show(e, &out);
        } else {
            const char *near = doc_cite_suggestion(lib, a.pos[1]);
            char *hint = near ? xasprintf(" (did you mean \"%s\"?)", near) : xstrdup("");
            diag_error(d, (diag_place){0},
                       "unknown citation \"%s\"%s; `casepack cite list` shows the keys",
                       diag_quote(a.pos[1], strlen(a.pos[1])), hint);
            free(hint);
            status = EXIT_INPUT;
        }
    }
    if (out.len)
        fwrite(out.data, 1, out.len, stdout);
    buf_free(&out);
    cite_free(lib);
    kit_args_free(&a);
    return cli_finish_stdout(d, status);
}
