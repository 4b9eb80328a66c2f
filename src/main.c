/* main.c: the command line. Commands and flags only: each command parses its
 * flags, calls the library (doc.h, load.h) and turns diagnostics into
 * messages and exit statuses. Exit: 0 ok, 1 template/data/render errors,
 * 2 usage, 3 I/O or system error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "doc.h"
#include "load.h"
#include "util.h"
#include "value.h"

#ifndef CASEPACK_VERSION
#define CASEPACK_VERSION "0.1.0"
#endif

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

static const char usage_text[] =
    "usage: casepack COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  render TEMPLATE [-d DATA]... [-o OUT]   fill a template (.docx .odt .fodt or text)\n"
    "  fields TEMPLATE [--json]                list every tag with its place\n"
    "\n"
    "render options:\n"
    "  -d, --data FILE        data (YAML or JSON); repeat to merge, later files win; - is stdin\n"
    "  -o, --output FILE      where to write (- for standard output); default: the template's\n"
    "                         name in the current folder\n"
    "  --force                overwrite an existing output file\n"
    "  --partials DIR         where {{> name}} finds DIR/name or DIR/name.EXT\n"
    "  --delimiters 'L R'     starting tag delimiters, e.g. '<% %>'\n"
    "  --locale TAG           locale for dates and case mapping (default: the data's `locale`, "
    "else en)\n"
    "  --strict               a missing value is an error; warnings fail the run\n"
    "\n"
    "limits (raise them for unusually large inputs):\n"
    "  --max-data-size N      bytes in one data file (default 256M)\n"
    "  --max-depth N          nesting of data lists and maps (default 64)\n"
    "  --max-nodes N          values in one data file, aliases expanded (default 1000000)\n"
    "  --max-entries N        entries in a template package (default 10000)\n"
    "  --max-entry-size N     inflated size of one package entry (default 256M)\n"
    "  --max-total-size N     inflated size of a whole package (default 1G)\n"
    "  --max-xml-depth N      element nesting in a document part (default 256)\n"
    "  --max-partial-depth N  partials within partials (default 64)\n"
    "\n"
    "  -h, --help             this text\n"
    "  --version              the version\n";

static void usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "casepack: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'casepack --help'.\n");
}

/* "256M", "1G", "4096": a size with an optional K, M or G suffix. */
static bool parse_size(const char *s, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno || *s == '-')
        return false;
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1ULL << 10, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1ULL << 20, end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1ULL << 30, end++;
    if (*end || (v && mul > ~0ULL / v))
        return false;
    *out = v * mul;
    return true;
}

typedef struct render_args {
    const char *template_path;
    const char **data;
    size_t n_data;
    const char *output;
    bool force, strict, json;
    const char *locale;
    load_limits load;
    doc_options doc;
    unsigned max_partial_depth;
} render_args;

/* Parses the flags shared by render and fields. Returns -1 to go on, or an
 * exit status. */
static int parse_args(int argc, char **argv, render_args *a, bool for_fields)
{
    a->load = load_default_limits();
    a->doc = doc_default_options();
    a->data = xcalloc((size_t)argc, sizeof *a->data);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;
        char name[64];
        if (strncmp(arg, "--", 2) == 0 && strchr(arg, '=')) {
            size_t len = (size_t)(strchr(arg, '=') - arg);
            if (len >= sizeof name) {
                usage_error("unknown option '%s'", arg);
                return EXIT_USAGE;
            }
            memcpy(name, arg, len);
            name[len] = '\0';
            val = strchr(arg, '=') + 1;
            arg = name;
        }
#define TAKES_VALUE()                                                                          \
    do {                                                                                       \
        if (!val) {                                                                            \
            if (i + 1 >= argc) {                                                               \
                usage_error("option '%s' needs a value", arg);                                 \
                return EXIT_USAGE;                                                             \
            }                                                                                  \
            val = argv[++i];                                                                   \
        }                                                                                      \
    } while (0)
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            fputs(usage_text, stdout);
            return EXIT_OK;
        } else if (!for_fields && (!strcmp(arg, "-d") || !strcmp(arg, "--data"))) {
            TAKES_VALUE();
            a->data[a->n_data++] = val;
        } else if (!for_fields && (!strcmp(arg, "-o") || !strcmp(arg, "--output"))) {
            TAKES_VALUE();
            a->output = val;
        } else if (!for_fields && !strcmp(arg, "--force")) {
            a->force = true;
        } else if (!for_fields && !strcmp(arg, "--strict")) {
            a->strict = true;
        } else if (for_fields && !strcmp(arg, "--json")) {
            a->json = true;
        } else if (!strcmp(arg, "--partials")) {
            TAKES_VALUE();
            a->doc.partials_dir = val;
        } else if (!strcmp(arg, "--delimiters")) {
            TAKES_VALUE();
            if (!tpl_parse_delims(val, &a->doc.delims)) {
                usage_error("--delimiters takes two delimiters separated by a space, e.g. "
                            "--delimiters '<%% %%>', not '%s'",
                            val);
                return EXIT_USAGE;
            }
        } else if (!for_fields && !strcmp(arg, "--locale")) {
            TAKES_VALUE();
            a->locale = val;
        } else if (!strncmp(arg, "--max-", 6)) {
            TAKES_VALUE();
            unsigned long long n;
            if (!parse_size(val, &n) || n == 0) {
                fprintf(stderr,
                        "casepack: error: %s takes a positive number (K, M or G may follow), not "
                        "'%s'\n",
                        arg, val);
                return EXIT_USAGE;
            }
            if (!strcmp(arg, "--max-data-size"))
                a->load.max_bytes = (size_t)n;
            else if (!strcmp(arg, "--max-depth"))
                a->load.max_depth = (unsigned)n;
            else if (!strcmp(arg, "--max-nodes"))
                a->load.max_nodes = (size_t)n;
            else if (!strcmp(arg, "--max-entries"))
                a->doc.zip.max_entries = (size_t)n;
            else if (!strcmp(arg, "--max-entry-size"))
                a->doc.zip.max_entry_size = n;
            else if (!strcmp(arg, "--max-total-size"))
                a->doc.zip.max_total_size = n;
            else if (!strcmp(arg, "--max-xml-depth"))
                a->doc.max_xml_depth = (size_t)n;
            else if (!strcmp(arg, "--max-partial-depth"))
                a->max_partial_depth = (unsigned)n;
            else {
                usage_error("unknown option '%s'", arg);
                return EXIT_USAGE;
            }
        } else if (arg[0] == '-' && arg[1] != '\0') {
            usage_error("unknown option '%s'", arg);
            return EXIT_USAGE;
        } else if (!a->template_path) {
            a->template_path = arg;
        } else {
            usage_error("unexpected argument '%s' (one template at a time)", arg);
            return EXIT_USAGE;
        }
#undef TAKES_VALUE
    }
    if (!a->template_path) {
        usage_error("%s needs a TEMPLATE", for_fields ? "fields" : "render");
        return EXIT_USAGE;
    }
    return -1;
}

/* Loads and merges every -d file, reporting all of their problems. The root
 * is usually a map; any value is allowed ({{.}} renders a lone string). */
static value *load_all_data(const render_args *a, diag *d, int *io_error)
{
    value *root = NULL;
    for (size_t i = 0; i < a->n_data; i++) {
        int err = 0;
        value *v = load_data_file(a->data[i], &a->load, d, &err);
        if (err)
            *io_error = err;
        if (v)
            root = value_merge(root, v);
    }
    return root ? root : value_new(VALUE_MAP, NULL, 0, 0);
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

static int finish(diag *d, int status)
{
    diag_print(d, stderr);
    diag_free(d);
    return status;
}

static int cmd_render(int argc, char **argv)
{
    render_args a = {0};
    int status = parse_args(argc, argv, &a, false);
    if (status >= 0) {
        free(a.data);
        return status;
    }
    diag *d = diag_new();
    int io_error = 0, tpl_io = 0;
    value *data = load_all_data(&a, d, &io_error);
    doc_template *t = doc_compile_file(a.template_path, &a.doc, d, &tpl_io);
    if (tpl_io)
        io_error = tpl_io;
    char *out_path = NULL;
    buf out = {0};
    if (diag_error_count(d) == 0) {
        render_options ro = {0};
        ro.strict = a.strict;
        ro.locale = a.locale;
        ro.max_partial_depth = a.max_partial_depth;
        if (doc_render(t, data, &ro, &out, d) && !(a.strict && diag_count(d) > 0)) {
            out_path = a.output ? xstrdup(a.output)
                                : default_output(a.template_path, doc_output_extension(t));
            const char *op;
            /* Rendered documents hold case data: only their owner reads them. */
            int err = util_write_atomic(out_path, out.data ? out.data : "", out.len, 0600,
                                        a.force, &op);
            if (err == EEXIST)
                diag_error(d, (diag_place){.file = out_path},
                           "already exists; casepack does not overwrite it without --force "
                           "(or choose another name with -o)");
            else if (err) {
                diag_error(d, (diag_place){.file = out_path}, "cannot write (%s): %s", op,
                           strerror(err));
                io_error = err;
            }
        }
    }
    status = diag_error_count(d) ? (io_error ? EXIT_IO : EXIT_INPUT) : EXIT_OK;
    if (status == EXIT_OK && a.strict && diag_count(d) > 0)
        status = EXIT_INPUT;
    buf_free(&out);
    free(out_path);
    doc_free(t);
    value_free(data);
    free(a.data);
    return finish(d, status);
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
        buf_printf(&s->out, "\t%s\t%s\t%s\n", tag_kind_name(kind), body, path ? path : "-");
    }
    s->n++;
}

static int cmd_fields(int argc, char **argv)
{
    render_args a = {0};
    int status = parse_args(argc, argv, &a, true);
    free(a.data);
    if (status >= 0)
        return status;
    diag *d = diag_new();
    int io_error = 0;
    doc_template *t = doc_compile_file(a.template_path, &a.doc, d, &io_error);
    if (!t)
        return finish(d, io_error ? EXIT_IO : EXIT_INPUT);
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
    status = fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_IO;
    if (status == EXIT_IO)
        diag_error(d, (diag_place){0}, "cannot write to standard output: %s", strerror(errno));
    buf_free(&s.out);
    doc_free(t);
    return finish(d, status);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("casepack %s\n", CASEPACK_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "render"))
        return cmd_render(argc - 1, argv + 1);
    if (!strcmp(cmd, "fields"))
        return cmd_fields(argc - 1, argv + 1);
    usage_error("unknown command '%s'", cmd);
    return EXIT_USAGE;
}
