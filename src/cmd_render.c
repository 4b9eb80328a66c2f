/* cmd_render.c: `casepack render` (fill one template, optionally checking
 * the data against a kit first) and `casepack fields` (list its tags).
 * Flags only; the work is doc.h's and kit.h's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

typedef struct render_args {
    cli_common common;
    const char *template_path;
    const char **data;
    size_t n_data;
    const char *output;
    const char *kit;
    const char **kits, **citations;
    size_t n_kits, n_citations;
    bool force, json;
} render_args;

/* Parses render's or fields' flags. Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, render_args *a, bool for_fields)
{
    cli_common_init(&a->common);
    a->data = xcalloc((size_t)argc, sizeof *a->data);
    a->kits = xcalloc((size_t)argc, sizeof *a->kits);
    a->citations = xcalloc((size_t)argc, sizeof *a->citations);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool taken;
        const char *val;
        int common = cli_common_flag(&a->common, argc, argv, &i);
        if (common < 0)
            return -common;
        if (common > 0)
            continue;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            printf("usage: casepack %s\n",
                   for_fields ? "fields TEMPLATE [--json]"
                              : "render TEMPLATE [-d DATA]... [-o OUT] [--force] [--partials DIR] "
                                "[--delimiters 'L R'] [--locale TAG] [--strict] [--kit KIT] "
                                "[--kits DIR] [--citations FILE]");
            return cli_finish_stdout(diag_new(), EXIT_OK);
        }
        if (!for_fields && ((val = cli_flag_value("-d", argc, argv, &i, &taken)) || taken ||
                            (val = cli_flag_value("--data", argc, argv, &i, &taken)) || taken)) {
            if (!val)
                return EXIT_USAGE;
            a->data[a->n_data++] = val;
        } else if (!for_fields &&
                   ((val = cli_flag_value("-o", argc, argv, &i, &taken)) || taken ||
                    (val = cli_flag_value("--output", argc, argv, &i, &taken)) || taken)) {
            if (!val)
                return EXIT_USAGE;
            a->output = val;
        } else if (!for_fields && ((val = cli_flag_value("--kit", argc, argv, &i, &taken)) ||
                                   taken)) {
            if (!val)
                return EXIT_USAGE;
            a->kit = val;
        } else if (!for_fields && ((val = cli_flag_value("--kits", argc, argv, &i, &taken)) ||
                                   taken)) {
            if (!val || !cli_folder_ok("--kits", val))
                return EXIT_USAGE;
            a->kits[a->n_kits++] = val;
        } else if (!for_fields &&
                   ((val = cli_flag_value("--citations", argc, argv, &i, &taken)) || taken)) {
            if (!val)
                return EXIT_USAGE;
            a->citations[a->n_citations++] = val;
        } else if (!for_fields && !strcmp(arg, "--force")) {
            a->force = true;
        } else if (for_fields && !strcmp(arg, "--json")) {
            a->json = true;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            cli_usage_error("unknown option '%s'", arg);
            return EXIT_USAGE;
        } else if (!a->template_path) {
            a->template_path = arg;
        } else {
            cli_usage_error("unexpected argument '%s' (one template at a time)", arg);
            return EXIT_USAGE;
        }
    }
    if (!a->template_path) {
        cli_usage_error("%s needs a TEMPLATE", for_fields ? "fields" : "render");
        return EXIT_USAGE;
    }
    const char **inputs = xcalloc(a->n_data + 1, sizeof *inputs);
    inputs[0] = a->template_path;
    for (size_t i = 0; i < a->n_data; i++)
        inputs[i + 1] = a->data[i];
    bool once = cli_stdin_once(inputs, a->n_data + 1);
    free(inputs);
    return once ? -1 : EXIT_USAGE;
}

/* letter.docx → letter.docx in the current folder; a text template keeps its
 * own extension. */
static char *default_output(const char *template_path, const char *ext)
{
    const char *slash = strrchr(template_path, '/');
    const char *base = slash ? slash + 1 : template_path;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    return *ext ? xasprintf("%.*s.%s", (int)stem, base, ext) : xasprintf("%.*s", (int)stem, base);
}

/* Why writing out_path would destroy one of the render's own inputs (a text
 * template rendered in its own folder without -o is named as its output),
 * or NULL. --force is no answer to that, so it is asked before. */
static const char *output_clobbers_input(const char *out_path, const render_args *a)
{
    struct stat out, in;
    if (strcmp(out_path, "-") == 0 || stat(out_path, &out) != 0)
        return NULL;
    if (stat(a->template_path, &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
        return "this is the template, which the output would overwrite; choose another name "
               "with -o";
    for (size_t i = 0; i < a->n_data; i++)
        if (stat(a->data[i], &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
            return "this is a data file of this render, which the output would overwrite; "
                   "choose another name with -o";
    return NULL;
}

/* The output could not be written: what failed, and when it is a folder
 * that is not there, what to do about it. */
static void report_write_error(diag *d, const char *out_path, int err, const char *op)
{
    const char *slash = strrchr(out_path, '/');
    if ((err == ENOENT || err == ENOTDIR) && slash && op && strcmp(op, "open") == 0) {
        int dir_len = (int)(slash - out_path);
        diag_error(d, (diag_place){.file = out_path},
                   "cannot write: there is no folder \"%.*s\"; create it first, or choose "
                   "another place with -o",
                   dir_len ? dir_len : 1, dir_len ? out_path : "/");
        return;
    }
    diag_error(d, (diag_place){.file = out_path}, "cannot write (%s): %s", op, strerror(err));
}

static void render_args_free(render_args *a)
{
    free(a->data);
    free(a->kits);
    free(a->citations);
}

/* --kit: the kit's defaults go under the data, which must then pass the
 * kit's schema; its locale is the default after --locale and the data's. */
static kit *render_kit(const render_args *a, value *data, bool data_ok, diag *d)
{
    const char **search = xcalloc(a->n_kits + 1, sizeof *search);
    size_t ns = cli_kit_search(a->kits, a->n_kits, search);
    kit *k = kit_find(a->kit, search, ns, d);
    free(search);
    if (k && data_ok)
        cli_kit_data(k, data, d);
    return k;
}

int cmd_render(int argc, char **argv)
{
    render_args a = {0};
    int status = parse_args(argc, argv, &a, false);
    if (status >= 0) {
        render_args_free(&a);
        return status;
    }
    diag *d = diag_new();
    int io_error = 0, tpl_io = 0;
    value *data = cli_load_data(a.data, a.n_data, &a.common.load, d, &io_error);
    bool data_ok = diag_error_count(d) == 0;
    kit *k = a.kit ? render_kit(&a, data, data_ok, d) : NULL;
    doc_template *t = doc_compile_file(a.template_path, &a.common.doc, d, &tpl_io);
    if (tpl_io)
        io_error = tpl_io;
    /* Only templates that cite pay for reading the library. A partial may
     * cite too: the library is offered then, but a template whose partials
     * do not cite must not fail for want of one. */
    cite_library *lib = NULL;
    if (t && (doc_uses_citations(t) || a.n_citations)) {
        lib = cli_load_citations(a.citations, a.n_citations, d);
    } else if (t && a.common.doc.partials_dir && doc_template_format(t) == DOC_TEXT) {
        diag *quiet = diag_new();
        lib = cli_load_citations(NULL, 0, quiet);
        diag_free(quiet);
    }
    /* With a kit, every problem of the data is told before rendering, the
     * unknown citation keys too, at their places in the data. */
    if (k && lib && data_ok)
        cli_check_cite_keys(t, lib, data, d);
    char *out_path = NULL;
    buf out = {0};
    if (diag_error_count(d) == 0) {
        render_options ro = cli_render_options(&a.common);
        ro.citations = lib;
        if (!ro.locale && k && k->locale && !value_map_get(data, "locale", 6))
            ro.locale = k->locale;
        if (doc_render(t, data, &ro, &out, d) && !(a.common.strict && diag_count(d) > 0)) {
            out_path = a.output ? xstrdup(a.output)
                                : default_output(a.template_path, doc_output_extension(t));
            const char *op = NULL;
            const char *clobbers = output_clobbers_input(out_path, &a);
            /* Rendered documents hold case data: only their owner reads them. */
            int err = clobbers ? 0
                               : util_write_atomic(out_path, out.data ? out.data : "", out.len,
                                                   0600, a.force, &op);
            if (clobbers)
                diag_error(d, (diag_place){.file = out_path}, "%s", clobbers);
            else if (err == EEXIST)
                diag_error(d, (diag_place){.file = out_path},
                           "already exists; casepack does not overwrite it without --force "
                           "(or choose another name with -o)");
            else if (err) {
                report_write_error(d, out_path, err, op);
                io_error = err;
            }
        } else if (diag_system_errno(d)) {
            /* The system failed us while building the document (the message
             * above says where): not the template's fault, and no file. */
            io_error = diag_system_errno(d);
            out_path = a.output ? xstrdup(a.output)
                                : default_output(a.template_path, doc_output_extension(t));
            diag_error(d, (diag_place){.file = out_path}, "not written: %s", strerror(io_error));
        }
    }
    status = diag_error_count(d) ? (io_error ? EXIT_IO : EXIT_INPUT) : EXIT_OK;
    if (status == EXIT_OK && a.common.strict && diag_count(d) > 0)
        status = EXIT_INPUT;
    buf_free(&out);
    free(out_path);
    doc_free(t);
    cite_free(lib);
    kit_free(k);
    value_free(data);
    render_args_free(&a);
    return cli_finish(d, status);
}

typedef struct fields_state {
    buf out;
    bool json;
    size_t n;
    const char *file;
} fields_state;

static const char *tag_kind_name(tpl_tag_kind k)
{
    static const char *const names[] = {
        [TPL_TAG_VALUE] = "value",     [TPL_TAG_RAW] = "raw",
        [TPL_TAG_SECTION] = "section", [TPL_TAG_INVERTED] = "inverted",
        [TPL_TAG_CLOSE] = "close",     [TPL_TAG_PARTIAL] = "partial",
        [TPL_TAG_COMMENT] = "comment", [TPL_TAG_DELIMS] = "delimiters",
    };
    return names[k];
}

/* A tag's text on one line of the listing: its tabs and line breaks (a
 * comment over several lines) shown as \t, \n and \r, so that each tag stays
 * one line of tab-separated columns. */
static void add_one_line(buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\t')
            buf_adds(out, "\\t");
        else if (*s == '\n')
            buf_adds(out, "\\n");
        else if (*s == '\r')
            buf_adds(out, "\\r");
        else
            buf_addc(out, *s);
    }
}

static void fields_one(void *ud, tpl_tag_kind kind, const char *body, const char *path,
                       const diag_place *w)
{
    fields_state *s = ud;
    if (s->json) {
        buf_adds(&s->out, s->n ? ",\n  {" : "\n  {");
        buf_printf(&s->out, "\"kind\": \"%s\", \"tag\": ", tag_kind_name(kind));
        buf_add_json(&s->out, body, strlen(body));
        buf_adds(&s->out, ", \"path\": ");
        if (path)
            buf_add_json(&s->out, path, strlen(path));
        else
            buf_adds(&s->out, "null");
        if (w->part) {
            buf_adds(&s->out, ", \"part\": ");
            buf_add_json(&s->out, w->part, strlen(w->part));
            buf_printf(&s->out, ", \"paragraph\": %u}", w->para);
        } else {
            buf_printf(&s->out, ", \"line\": %u, \"column\": %u}", w->line, w->col);
        }
    } else {
        if (w->part)
            buf_printf(&s->out, "%s:%s:p%u", s->file, w->part, w->para);
        else
            buf_printf(&s->out, "%s:%u:%u", s->file, w->line, w->col);
        buf_printf(&s->out, "\t%s\t", tag_kind_name(kind));
        add_one_line(&s->out, body);
        buf_printf(&s->out, "\t%s\n", path ? path : "-");
    }
    s->n++;
}

int cmd_fields(int argc, char **argv)
{
    render_args a = {0};
    int status = parse_args(argc, argv, &a, true);
    render_args_free(&a);
    if (status >= 0)
        return status;
    diag *d = diag_new();
    int io_error = 0;
    doc_template *t = doc_compile_file(a.template_path, &a.common.doc, d, &io_error);
    if (!t)
        return cli_finish(d, io_error ? EXIT_IO : EXIT_INPUT);
    fields_state s = {.json = a.json, .file = a.template_path};
    if (a.json) {
        buf_adds(&s.out, "{\"template\": ");
        buf_add_json(&s.out, a.template_path, strlen(a.template_path));
        buf_adds(&s.out, ", \"tags\": [");
    }
    doc_each_tag(t, fields_one, &s);
    if (a.json)
        buf_adds(&s.out, s.n ? "\n]}\n" : "]}\n");
    fwrite(s.out.data ? s.out.data : "", 1, s.out.len, stdout);
    buf_free(&s.out);
    doc_free(t);
    return cli_finish_stdout(d, EXIT_OK);
}
