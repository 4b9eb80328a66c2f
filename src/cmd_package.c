/* cmd_package.c: `casepack package` (one case → one submission zip) and
 * `casepack verify` (a zip against its manifest). Flags, kit and citation
 * loading only; the work is package.h's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kit.h"
#include "package.h"

#define PACKAGE_USAGE                                                                       \
    "package CASE [--kit KIT] [-o DIR] [--format docx|odt] [--pdf] [--pdf-timeout SECONDS]\n" \
    "        [--encrypt] [--password-file FILE] [--max-size SIZE] [--date YYYY-MM-DD]\n"       \
    "        [--citations FILE]... [--kits DIR]... [--force] [--locale TAG] [--strict]"
#define VERIFY_USAGE "verify PACKAGE.zip [--password-file FILE]"

/* Why --password does not exist, for anyone who tries it. */
#define NO_PASSWORD_FLAG                                                                           \
    "--password is not accepted: a password on the command line can be read by other users of "   \
    "this computer and stays in the shell's history; put it in a file and give --password-file "   \
    "FILE, or set the environment variable CASEPACK_PASSWORD"

typedef struct package_args {
    cli_common common;
    const char *case_file;
    const char *kit;
    const char *out_dir;
    const char *format;
    const char *date;
    const char *password_file;
    const char **citations;
    size_t n_citations;
    const char **kits;
    size_t n_kits;
    unsigned long long max_size;
    unsigned pdf_timeout;
    bool pdf, encrypt, force;
} package_args;

/* Takes argv[*i] when it is --password (refused) or --password-file. Returns
 * 1 when taken, 0 when not, -EXIT_USAGE on a usage error. */
static int password_flag(int argc, char **argv, int *i, const char **file)
{
    bool taken;
    const char *val;
    if (!strcmp(argv[*i], "--password") || !strncmp(argv[*i], "--password=", 11)) {
        cli_usage_error(NO_PASSWORD_FLAG);
        return -EXIT_USAGE;
    }
    if ((val = cli_flag_value("--password-file", argc, argv, i, &taken)) || taken) {
        if (!val)
            return -EXIT_USAGE;
        *file = val;
        return 1;
    }
    return 0;
}

/* Parses package's flags. Returns -1 to go on, or an exit status. */
static int parse_package_args(int argc, char **argv, package_args *a)
{
    cli_common_init(&a->common);
    a->citations = xcalloc((size_t)argc, sizeof *a->citations);
    a->kits = xcalloc((size_t)argc, sizeof *a->kits);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool taken;
        const char *val;
        int common = cli_common_flag(&a->common, argc, argv, &i);
        if (common == 0)
            common = password_flag(argc, argv, &i, &a->password_file);
        if (common < 0)
            return -common;
        if (common > 0)
            continue;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            printf("usage: casepack " PACKAGE_USAGE "\n");
            return EXIT_OK;
        }
        if ((val = cli_flag_value("--kit", argc, argv, &i, &taken)) || taken) {
            if (!val)
                return EXIT_USAGE;
            a->kit = val;
        } else if ((val = cli_flag_value("-o", argc, argv, &i, &taken)) || taken ||
                   (val = cli_flag_value("--output", argc, argv, &i, &taken)) || taken) {
            if (!val)
                return EXIT_USAGE;
            a->out_dir = val;
        } else if ((val = cli_flag_value("--format", argc, argv, &i, &taken)) || taken) {
            if (!val)
                return EXIT_USAGE;
            if (strcmp(val, "docx") && strcmp(val, "odt")) {
                cli_usage_error("--format takes docx or odt, not '%s'", val);
                return EXIT_USAGE;
            }
            a->format = val;
        } else if ((val = cli_flag_value("--date", argc, argv, &i, &taken)) || taken) {
            if (!val)
                return EXIT_USAGE;
            a->date = val;
        } else if ((val = cli_flag_value("--citations", argc, argv, &i, &taken)) || taken) {
            if (!val)
                return EXIT_USAGE;
            a->citations[a->n_citations++] = val;
        } else if ((val = cli_flag_value("--kits", argc, argv, &i, &taken)) || taken) {
            if (!val)
                return EXIT_USAGE;
            a->kits[a->n_kits++] = val;
        } else if ((val = cli_flag_value("--max-size", argc, argv, &i, &taken)) || taken) {
            if (!val)
                return EXIT_USAGE;
            if (!cli_parse_size(val, &a->max_size) || a->max_size == 0) {
                cli_usage_error("--max-size takes a positive size (K, M or G may follow, e.g. "
                                "10M), not '%s'",
                                val);
                return EXIT_USAGE;
            }
        } else if ((val = cli_flag_value("--pdf-timeout", argc, argv, &i, &taken)) || taken) {
            unsigned long long s;
            if (!val)
                return EXIT_USAGE;
            if (!cli_parse_size(val, &s) || s == 0 || s > 86400) {
                cli_usage_error("--pdf-timeout takes a number of seconds (1 to 86400), not '%s'",
                                val);
                return EXIT_USAGE;
            }
            a->pdf_timeout = (unsigned)s;
        } else if (!strcmp(arg, "--pdf")) {
            a->pdf = true;
        } else if (!strcmp(arg, "--encrypt")) {
            a->encrypt = true;
        } else if (!strcmp(arg, "--force")) {
            a->force = true;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            cli_usage_error("unknown option '%s'", arg);
            return EXIT_USAGE;
        } else if (!a->case_file) {
            a->case_file = arg;
        } else {
            cli_usage_error("unexpected argument '%s' (one case at a time; for many, use batch)",
                            arg);
            return EXIT_USAGE;
        }
    }
    if (!a->case_file) {
        cli_usage_error("package needs a CASE file (YAML or JSON)");
        return EXIT_USAGE;
    }
    if (!strcmp(a->case_file, "-")) {
        cli_usage_error("package reads its CASE from a file, not standard input: annex paths are "
                        "relative to the case file's folder");
        return EXIT_USAGE;
    }
    return -1;
}

/* The kit the case names: --kit, else its top-level `kit` field. */
static const char *kit_name(const package_args *a, const value *data, diag *d)
{
    if (a->kit)
        return a->kit;
    const value *v = data->kind == VALUE_MAP ? value_map_get(data, "kit", 3) : NULL;
    if (v && v->kind == VALUE_STRING && v->len)
        return v->str;
    if (v)
        diag_error(d, (diag_place){.file = v->file, .line = v->line, .col = v->col},
                   "kit: expected the id of a kit (see `casepack kits`)");
    else
        diag_error(d, (diag_place){.file = a->case_file},
                   "the case names no kit; add a line `kit: <kit id>` at the top of the case "
                   "file (see `casepack kits`), or give --kit KIT");
    return NULL;
}

static void print_written(const char *dir, const char *name, size_t len)
{
    char size[32];
    if (len < 1024)
        snprintf(size, sizeof size, "%zu bytes", len);
    else if (len < 1024 * 1024)
        snprintf(size, sizeof size, "%.1f KB", (double)len / 1024);
    else
        snprintf(size, sizeof size, "%.1f MB", (double)len / (1024.0 * 1024));
    printf("wrote %s%s%s (%s)\n", dir ? dir : "", dir ? "/" : "", name, size);
}

int cmd_package(int argc, char **argv)
{
    package_args a = {0};
    int status = parse_package_args(argc, argv, &a);
    if (status >= 0) {
        free(a.citations);
        free(a.kits);
        return status;
    }
    diag *d = diag_new();
    int io_error = 0;
    char *password = NULL;
    value *data = NULL;
    kit *k = NULL;
    cite_library *cites = NULL;
    package_kit *pk = NULL;
    buf zip = {0};
    char *zip_name = NULL;
    const char **search = NULL;
    status = EXIT_INPUT;

    package_options opt;
    package_options_init(&opt);
    if (!package_date(a.date, &opt.date, &opt.reproducible, d)) {
        status = a.date ? EXIT_USAGE : EXIT_INPUT;
        goto done;
    }
    if (a.encrypt || a.password_file) {
        password = package_password(a.password_file, d, &io_error);
        if (!password) {
            if (!diag_error_count(d))
                diag_error(d, (diag_place){0},
                           "--encrypt needs a password: put it in a file and give "
                           "--password-file FILE, or set the environment variable "
                           "CASEPACK_PASSWORD");
            goto done;
        }
    }
    opt.password = password;
    opt.pdf = a.pdf;
    if (a.pdf_timeout)
        opt.pdf_timeout = a.pdf_timeout;
    opt.max_size = a.max_size;
    opt.format = a.format;
    opt.render = cli_render_options(&a.common);

    data = load_data_file(a.case_file, &a.common.load, d, &io_error);
    if (!data)
        goto done;
    const char *kit_id = kit_name(&a, data, d);
    if (!kit_id)
        goto done;
    search = xcalloc(a.n_kits + 1, sizeof *search);
    k = kit_find(kit_id, search, cli_kit_search(a.kits, a.n_kits, search), d);
    if (!k)
        goto done;
    cites = cli_load_citations(a.citations, a.n_citations, d);
    if (!cites)
        goto done;
    opt.citations = cites;

    doc_options doc = a.common.doc;
    doc.mtime = opt.date;
    pk = package_kit_new(k, &doc);
    if (!package_build(pk, data, a.case_file, &opt, d, &io_error, &zip, &zip_name))
        goto done;
    int err = package_write(a.out_dir, zip_name, &zip, a.force, d);
    if (err) {
        if (err != EEXIST)
            io_error = err;
        goto done;
    }
    print_written(a.out_dir, zip_name, zip.len);
    status = EXIT_OK;

done:
    if (status == EXIT_INPUT && io_error)
        status = EXIT_IO;
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    free(zip_name);
    buf_free(&zip);
    package_kit_free(pk);
    cite_free(cites);
    kit_free(k);
    value_free(data);
    free(search);
    free(a.citations);
    free(a.kits);
    if (fflush(stdout) != 0 && status == EXIT_OK) {
        diag_error(d, (diag_place){0}, "cannot write to standard output: %s", strerror(errno));
        status = EXIT_IO;
    }
    return cli_finish(d, status);
}

int cmd_verify(int argc, char **argv)
{
    cli_common common;
    cli_common_init(&common);
    const char *zip_path = NULL, *password_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int taken = cli_common_flag(&common, argc, argv, &i);
        if (taken == 0)
            taken = password_flag(argc, argv, &i, &password_file);
        if (taken < 0)
            return -taken;
        if (taken > 0)
            continue;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            printf("usage: casepack " VERIFY_USAGE "\n");
            return EXIT_OK;
        }
        if (arg[0] == '-' && arg[1] != '\0') {
            cli_usage_error("unknown option '%s'", arg);
            return EXIT_USAGE;
        }
        if (zip_path) {
            cli_usage_error("unexpected argument '%s' (one package at a time)", arg);
            return EXIT_USAGE;
        }
        zip_path = arg;
    }
    if (!zip_path) {
        cli_usage_error("verify needs a PACKAGE.zip");
        return EXIT_USAGE;
    }
    diag *d = diag_new();
    int io_error = 0;
    int status = EXIT_INPUT;
    char *password = package_password(password_file, d, &io_error);
    size_t n = 0;
    if (!diag_error_count(d) &&
        package_verify(zip_path, password, &common.doc.zip, d, &io_error, &n)) {
        if (n == 1)
            printf("%s: its one file matches the manifest\n", zip_path);
        else
            printf("%s: all %zu files match the manifest\n", zip_path, n);
        status = EXIT_OK;
    }
    if (status == EXIT_INPUT && io_error)
        status = EXIT_IO;
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    return cli_finish_stdout(d, status);
}
