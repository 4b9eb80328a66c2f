/* cmd_batch.c: `casepack batch`: many records through one template or kit.
 * Flags, the template or kit, the common data and the citation library;
 * the run itself is batch.h's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"
#include "kit.h"
#include "package.h"

#define BATCH_USAGE                                                                                \
    "batch KIT|TEMPLATE --records FILE [-d COMMON]... -o DIR [-j N] [--resume]\n"                 \
    "                      [--shard K/N] [--name PATTERN] [--merge FILE [--force]]\n"             \
    "                      [--due-within DAYS --date-field PATH [--today YYYY-MM-DD]]\n"          \
    "                      [--progress=json|none] [--csv-delimiter ,|;|tab] [--locale TAG]\n"     \
    "                      [--strict] [--citations FILE]... [--kits DIR]... [--format docx|odt]\n" \
    "                      [--date YYYY-MM-DD]"

typedef struct batch_args {
    cli_common common;
    const char *target, *records, *out_dir, *name, *merge, *date_field, *today, *format, *date;
    const char **data, **citations, **kits;
    size_t n_data, n_citations, n_kits;
    unsigned jobs, shard_k, shard_n;
    long due_days;
    bool resume, force, due;
    char csv_delimiter;
    batch_progress progress;
} batch_args;

/* Takes argv[*i] when it is one of batch's flags with a value. Returns 1
 * when taken, 0 when not, -EXIT_USAGE on a usage error. */
static int value_flag(batch_args *a, int argc, char **argv, int *i)
{
    static const char *const names[] = {
        "--records", "-d",          "--data",  "-o",         "--output",        "-j",
        "--jobs",    "--shard",     "--name",  "--merge",    "--due-within",    "--date-field",
        "--today",   "--progress",  "--csv-delimiter", "--citations", "--kits", "--format",
        "--date"};
    const char *val = NULL, *name = NULL;
    for (size_t k = 0; k < sizeof names / sizeof names[0] && !name; k++) {
        bool taken;
        val = cli_flag_value(names[k], argc, argv, i, &taken);
        if (taken)
            name = names[k];
    }
    if (!name)
        return 0;
    if (!val)
        return -EXIT_USAGE;
    if (!strcmp(name, "--records")) {
        a->records = val;
    } else if (!strcmp(name, "-d") || !strcmp(name, "--data")) {
        a->data[a->n_data++] = val;
    } else if (!strcmp(name, "-o") || !strcmp(name, "--output")) {
        a->out_dir = val;
    } else if (!strcmp(name, "-j") || !strcmp(name, "--jobs")) {
        char *end;
        unsigned long n = strtoul(val, &end, 10);
        if (*end || end == val || n < 1 || n > 1024 || val[0] == '-') {
            cli_usage_error("%s takes a number of threads (1 to 1024), not '%s'", name,
                            val);
            return -EXIT_USAGE;
        }
        a->jobs = (unsigned)n;
    } else if (!strcmp(name, "--shard")) {
        if (!batch_parse_shard(val, &a->shard_k, &a->shard_n)) {
            cli_usage_error("--shard takes K/N with 1 <= K <= N (e.g. --shard 2/3), not '%s'",
                            val);
            return -EXIT_USAGE;
        }
    } else if (!strcmp(name, "--name")) {
        a->name = val;
    } else if (!strcmp(name, "--merge")) {
        a->merge = val;
    } else if (!strcmp(name, "--due-within")) {
        char *end;
        long n = strtol(val, &end, 10);
        if (*end || end == val || n < 0 || n > 36500) {
            cli_usage_error("--due-within takes a number of days (0 to 36500), not '%s'", val);
            return -EXIT_USAGE;
        }
        a->due = true;
        a->due_days = n;
    } else if (!strcmp(name, "--date-field")) {
        a->date_field = val;
    } else if (!strcmp(name, "--today")) {
        a->today = val;
    } else if (!strcmp(name, "--progress")) {
        if (!strcmp(val, "json"))
            a->progress = BATCH_PROGRESS_JSON;
        else if (!strcmp(val, "none"))
            a->progress = BATCH_PROGRESS_NONE;
        else if (!strcmp(val, "auto"))
            a->progress = BATCH_PROGRESS_AUTO;
        else {
            cli_usage_error("--progress takes json, none or auto, not '%s'", val);
            return -EXIT_USAGE;
        }
    } else if (!strcmp(name, "--csv-delimiter")) {
        if (!strcmp(val, ",") || !strcmp(val, ";"))
            a->csv_delimiter = val[0];
        else if (!strcmp(val, "tab") || !strcmp(val, "\\t") || !strcmp(val, "\t"))
            a->csv_delimiter = '\t';
        else {
            cli_usage_error("--csv-delimiter takes , or ; or tab, not '%s'", val);
            return -EXIT_USAGE;
        }
    } else if (!strcmp(name, "--citations")) {
        a->citations[a->n_citations++] = val;
    } else if (!strcmp(name, "--kits")) {
        a->kits[a->n_kits++] = val;
    } else if (!strcmp(name, "--format")) {
        if (strcmp(val, "docx") && strcmp(val, "odt")) {
            cli_usage_error("--format takes docx or odt, not '%s'", val);
            return -EXIT_USAGE;
        }
        a->format = val;
    } else if (!strcmp(name, "--date")) {
        a->date = val;
    }
    return 1;
}

/* Parses batch's flags. Returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, batch_args *a)
{
    cli_common_init(&a->common);
    a->data = xcalloc((size_t)argc, sizeof *a->data);
    a->citations = xcalloc((size_t)argc, sizeof *a->citations);
    a->kits = xcalloc((size_t)argc, sizeof *a->kits);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int taken = cli_common_flag(&a->common, argc, argv, &i);
        if (taken == 0)
            taken = value_flag(a, argc, argv, &i);
        if (taken < 0)
            return -taken;
        if (taken > 0)
            continue;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            printf("usage: casepack " BATCH_USAGE "\n");
            return EXIT_OK;
        }
        if (!strcmp(arg, "--resume"))
            a->resume = true;
        else if (!strcmp(arg, "--force"))
            a->force = true;
        else if (arg[0] == '-' && arg[1] != '\0') {
            cli_usage_error("unknown option '%s'", arg);
            return EXIT_USAGE;
        } else if (!a->target)
            a->target = arg;
        else {
            cli_usage_error("unexpected argument '%s' (one template or kit; the records come "
                            "with --records)",
                            arg);
            return EXIT_USAGE;
        }
    }
    const char *problem = NULL;
    if (!a->target)
        problem = "batch needs a TEMPLATE or a KIT";
    else if (!a->records)
        problem = "batch needs --records FILE (a CSV file, a YAML or JSON list, or a folder of "
                  "case files)";
    else if (!a->out_dir && !a->merge)
        problem = "batch needs -o DIR, the folder the documents go to (or --merge FILE)";
    else if (a->merge && a->resume)
        problem = "--resume continues a run of separate documents; a --merge run is made whole "
                  "again";
    else if (a->due && !a->date_field)
        problem = "--due-within needs --date-field PATH, the field holding each record's date "
                  "(e.g. --date-field hearing.date)";
    else if (!a->due && (a->date_field || a->today))
        problem = "--date-field and --today go with --due-within DAYS";
    if (problem) {
        cli_usage_error("%s", problem);
        return EXIT_USAGE;
    }
    if (!a->jobs) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        a->jobs = n > 0 ? (unsigned)(n > 1024 ? 1024 : n) : 1;
    }
    return -1;
}

static void args_free(batch_args *a)
{
    free(a->data);
    free(a->citations);
    free(a->kits);
}

/* A folder with kit.yaml, or a name that is not a file: a kit. */
static bool names_kit(const char *target)
{
    struct stat st;
    if (stat(target, &st) != 0)
        return !strchr(target, '/') && !*util_extension(target);
    return S_ISDIR(st.st_mode);
}

/* What a journal's fingerprint covers besides the input files. Today's date
 * counts only when it selects records: a run killed before midnight must
 * resume after it. */
static char *settings_text(const batch_args *a, long today)
{
    if (!a->due)
        today = 0;
    return xasprintf("name=%s\nshard=%u/%u\ndue=%d %ld %s %ld\nlocale=%s\nstrict=%d\n"
                     "format=%s\ndelimiter=%d\ndate=%s",
                     a->name ? a->name : "", a->shard_k, a->shard_n, a->due, a->due_days,
                     a->date_field ? a->date_field : "", today,
                     a->common.locale ? a->common.locale : "", a->common.strict,
                     a->format ? a->format : "", a->csv_delimiter, a->date ? a->date : "");
}

int cmd_batch(int argc, char **argv)
{
    batch_args a;
    memset(&a, 0, sizeof a);
    int status = parse_args(argc, argv, &a);
    if (status >= 0) {
        args_free(&a);
        return status;
    }
    diag *d = diag_new();
    int io_error = 0;
    doc_template *t = NULL;
    kit *k = NULL;
    package_kit *pk = NULL;
    cite_library *lib = NULL;
    tpl_program *name = NULL;
    value *common = NULL;
    char *settings = NULL;
    const char **inputs = NULL;
    const char **search = NULL;
    status = EXIT_INPUT;

    batch_config cfg;
    memset(&cfg, 0, sizeof cfg);
    package_options pkg;
    package_options_init(&pkg);
    cfg.target = a.target;
    cfg.records = a.records;
    cfg.csv_delimiter = a.csv_delimiter;
    cfg.load = a.common.load;
    cfg.out_dir = a.out_dir;
    cfg.merge = a.merge;
    cfg.jobs = a.jobs;
    cfg.resume = a.resume;
    cfg.strict = a.common.strict;
    cfg.shard_k = a.shard_k;
    cfg.shard_n = a.shard_n;
    cfg.progress = a.progress;
    cfg.render = cli_render_options(&a.common);
    cfg.due = a.due;
    cfg.due_days = a.due_days;
    cfg.date_field = a.date_field;
    cfg.today = batch_today();
    if (a.today && !batch_parse_date(a.today, strlen(a.today), &cfg.today)) {
        cli_usage_error("--today takes a date as YYYY-MM-DD, not '%s'", a.today);
        status = EXIT_USAGE;
        goto done;
    }
    if (a.merge && !a.force && access(a.merge, F_OK) == 0) {
        diag_error(d, (diag_place){.file = a.merge},
                   "already exists; casepack does not overwrite it without --force");
        goto done;
    }

    bool kit_mode = names_kit(a.target);
    if (kit_mode && a.merge) {
        cli_usage_error("--merge puts the records into one document: give a TEMPLATE, not a "
                        "kit");
        status = EXIT_USAGE;
        goto done;
    }
    if (kit_mode) {
        search = xcalloc(a.n_kits + 1, sizeof *search);
        size_t ns = cli_kit_search(a.kits, a.n_kits, search);
        k = kit_find(a.target, search, ns, d);
        if (!k)
            goto done;
        if (!package_date(a.date, &pkg.date, &pkg.reproducible, d)) {
            status = a.date ? EXIT_USAGE : EXIT_INPUT;
            goto done;
        }
        pkg.format = a.format;
        pkg.render = cfg.render;
        lib = cli_load_citations(a.citations, a.n_citations, d);
        if (!lib)
            goto done;
        pkg.citations = lib;
        doc_options doc = a.common.doc;
        doc.mtime = pkg.date;
        pk = package_kit_new(k, &doc);
        cfg.pk = pk;
        cfg.pkg = &pkg;
    } else {
        int tpl_io = 0;
        t = doc_compile_file(a.target, &a.common.doc, d, &tpl_io);
        if (!t) {
            io_error = tpl_io;
            goto done;
        }
        cfg.tpl = t;
        if (doc_uses_citations(t) || a.n_citations) {
            lib = cli_load_citations(a.citations, a.n_citations, d);
            if (!lib)
                goto done;
            cfg.render.citations = lib;
        }
    }
    if (a.name) {
        size_t bad;
        if (!util_utf8_valid(a.name, strlen(a.name), &bad)) {
            cli_usage_error("--name is not valid UTF-8");
            status = EXIT_USAGE;
            goto done;
        }
        tpl_delims delims = tpl_default_delims();
        name = tpl_compile_text(a.name, strlen(a.name), "--name", "", &delims,
                                a.common.doc.max_section_depth, d);
        if (!name)
            goto done;
        cfg.name = name;
    }
    common = cli_load_data(a.data, a.n_data, &a.common.load, d, &io_error);
    if (diag_error_count(d))
        goto done;
    cfg.common = common;

    inputs = xcalloc(a.n_data + 3, sizeof *inputs);
    cfg.inputs = inputs;
    inputs[cfg.n_inputs++] = k ? k->dir : a.target;
    inputs[cfg.n_inputs++] = a.records;
    for (size_t i = 0; i < a.n_data; i++)
        inputs[cfg.n_inputs++] = a.data[i];
    settings = settings_text(&a, cfg.today);
    cfg.settings = settings;

    status = batch_run(&cfg, d);

done:
    if (diag_error_count(d) && status == EXIT_OK)
        status = EXIT_INPUT;
    if (status == EXIT_INPUT && io_error)
        status = EXIT_IO;
    free(settings);
    free(inputs);
    free(search);
    value_free(common);
    tpl_free(name);
    package_kit_free(pk);
    cite_free(lib);
    kit_free(k);
    doc_free(t);
    args_free(&a);
    return cli_finish(d, status);
}
