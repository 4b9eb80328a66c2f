/* cli.c: what every command shares: usage errors, the common flags, data
 * loading, and where shipped templates live. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filters.h"

#ifndef CASEPACK_DATADIR
#define CASEPACK_DATADIR "/usr/local/share/casepack"
#endif

void cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("casepack: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nTry 'casepack --help'.\n", stderr);
    va_end(ap);
}

bool cli_parse_size(const char *s, unsigned long long *out)
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

bool cli_locale_ok(const char *tag)
{
    if (filters_locale_known(tag))
        return true;
    cli_usage_error("--locale '%s' is not a language casepack knows; write a language code such "
                    "as uk, en or en-GB",
                    tag);
    return false;
}

bool cli_folder_ok(const char *flag, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return true;
    cli_usage_error("%s '%s' is not a folder; name the folder that holds them", flag, dir);
    return false;
}

bool cli_stdin_once(const char *const *names, size_t n)
{
    size_t uses = 0;
    for (size_t i = 0; i < n; i++)
        uses += names[i] && strcmp(names[i], "-") == 0;
    if (uses <= 1)
        return true;
    cli_usage_error("standard input is named twice ('-'), and it can be read only once");
    return false;
}

void cli_common_init(cli_common *c)
{
    memset(c, 0, sizeof *c);
    c->load = load_default_limits();
    c->doc = doc_default_options();
}

const char *cli_flag_value(const char *name, int argc, char **argv, int *i, bool *taken)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    *taken = false;
    if (strncmp(arg, name, n) != 0)
        return NULL;
    if (arg[n] == '=') {
        *taken = true;
        return arg + n + 1;
    }
    if (arg[n] != '\0')
        return NULL;
    *taken = true;
    if (*i + 1 >= argc) {
        cli_usage_error("option '%s' needs a value", name);
        return NULL;
    }
    return argv[++*i];
}

/* The --max-* flags: each one's name, and the most it takes: what its field
 * holds (a larger number would wrap to a small limit, or to 0, which means
 * the default), or less where the limit guards a cost (TPL_MAX_SECTION_DEPTH). */
typedef enum limit_id {
    LIMIT_DATA_SIZE,
    LIMIT_DEPTH,
    LIMIT_NODES,
    LIMIT_ENTRIES,
    LIMIT_ENTRY_SIZE,
    LIMIT_TOTAL_SIZE,
    LIMIT_XML_DEPTH,
    LIMIT_PARTIAL_DEPTH,
    LIMIT_SECTION_DEPTH,
    LIMIT_COUNT
} limit_id;

static const struct {
    const char *name;
    unsigned long long most;
} limit_flags[LIMIT_COUNT] = {
    [LIMIT_DATA_SIZE] = {"--max-data-size", SIZE_MAX},
    [LIMIT_DEPTH] = {"--max-depth", UINT_MAX},
    [LIMIT_NODES] = {"--max-nodes", SIZE_MAX},
    [LIMIT_ENTRIES] = {"--max-entries", SIZE_MAX},
    [LIMIT_ENTRY_SIZE] = {"--max-entry-size", UINT64_MAX},
    [LIMIT_TOTAL_SIZE] = {"--max-total-size", UINT64_MAX},
    [LIMIT_XML_DEPTH] = {"--max-xml-depth", SIZE_MAX},
    [LIMIT_PARTIAL_DEPTH] = {"--max-partial-depth", UINT_MAX},
    [LIMIT_SECTION_DEPTH] = {"--max-section-depth", TPL_MAX_SECTION_DEPTH},
};

static void set_limit(cli_common *c, limit_id id, unsigned long long n)
{
    switch (id) {
    case LIMIT_DATA_SIZE:
        c->load.max_bytes = (size_t)n;
        break;
    case LIMIT_DEPTH:
        c->load.max_depth = (unsigned)n;
        break;
    case LIMIT_NODES:
        c->load.max_nodes = (size_t)n;
        break;
    case LIMIT_ENTRIES:
        c->doc.zip.max_entries = (size_t)n;
        break;
    case LIMIT_ENTRY_SIZE:
        c->doc.zip.max_entry_size = n;
        break;
    case LIMIT_TOTAL_SIZE:
        c->doc.zip.max_total_size = n;
        break;
    case LIMIT_XML_DEPTH:
        c->doc.max_xml_depth = (size_t)n;
        break;
    case LIMIT_PARTIAL_DEPTH:
        c->max_partial_depth = (unsigned)n;
        break;
    case LIMIT_SECTION_DEPTH:
        c->doc.max_section_depth = (unsigned)n;
        break;
    case LIMIT_COUNT:
        break;
    }
}

int cli_common_flag(cli_common *c, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    bool taken;
    const char *val;
    if (!strcmp(arg, "--strict")) {
        c->strict = true;
        return 1;
    }
    if ((val = cli_flag_value("--partials", argc, argv, i, &taken)) || taken) {
        if (!val || !cli_folder_ok("--partials", val))
            return -EXIT_USAGE;
        c->doc.partials_dir = val;
        return 1;
    }
    if ((val = cli_flag_value("--locale", argc, argv, i, &taken)) || taken) {
        if (!val || !cli_locale_ok(val))
            return -EXIT_USAGE;
        c->locale = val;
        return 1;
    }
    if ((val = cli_flag_value("--delimiters", argc, argv, i, &taken)) || taken) {
        if (!val)
            return -EXIT_USAGE;
        if (!tpl_parse_delims(val, &c->doc.delims)) {
            cli_usage_error("--delimiters takes two delimiters separated by a space, e.g. "
                            "--delimiters '<%% %%>', not '%s'",
                            val);
            return -EXIT_USAGE;
        }
        return 1;
    }
    if (strncmp(arg, "--max-", 6) == 0) {
        char name[64];
        size_t len = strcspn(arg, "=");
        if (len >= sizeof name)
            return 0;
        memcpy(name, arg, len);
        name[len] = '\0';
        limit_id id = 0;
        while (id < LIMIT_COUNT && strcmp(name, limit_flags[id].name) != 0)
            id++;
        if (id == LIMIT_COUNT)
            return 0;
        unsigned long long probe, most = limit_flags[id].most;
        val = cli_flag_value(name, argc, argv, i, &taken);
        if (!val)
            return -EXIT_USAGE;
        if (!cli_parse_size(val, &probe) || probe == 0) {
            fprintf(stderr,
                    "casepack: error: %s takes a positive number (K, M or G may follow), not "
                    "'%s'\n",
                    name, val);
            return -EXIT_USAGE;
        }
        if (probe > most) {
            fprintf(stderr, "casepack: error: %s is at most %llu, not '%s'\n", name, most, val);
            return -EXIT_USAGE;
        }
        set_limit(c, id, probe);
        return 1;
    }
    return 0;
}

value *cli_load_data(const char *const *files, size_t n, const load_limits *lim, diag *d,
                     int *io_error)
{
    value *root = NULL;
    for (size_t i = 0; i < n; i++) {
        int err = 0;
        value *v = load_data_file(files[i], lim, d, &err);
        if (err)
            *io_error = err;
        if (v)
            root = value_merge(root, v);
    }
    return root ? root : value_new(VALUE_MAP, NULL, 0, 0);
}

render_options cli_render_options(const cli_common *c)
{
    render_options ro;
    memset(&ro, 0, sizeof ro);
    ro.strict = c->strict;
    ro.locale = c->locale;
    ro.max_partial_depth = c->max_partial_depth;
    return ro;
}

const char *cli_templates_dir(void)
{
    static char found[PATH_MAX];
    if (found[0])
        return found;
    const char *env = getenv("CASEPACK_TEMPLATES");
    if (env && *env) {
        snprintf(found, sizeof found, "%s", env);
        return found;
    }
    /* Running from a build folder of the source tree: build/casepack sits
     * beside templates/ one level up. */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 3; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash)
                break;
            *slash = '\0';
            char probe[PATH_MAX + 32];
            snprintf(probe, sizeof probe, "%s/templates/citations", exe);
            if (access(probe, F_OK) == 0 && strlen(exe) + 11 < sizeof found) {
                snprintf(found, sizeof found, "%s/templates", exe);
                return found;
            }
        }
    }
    snprintf(found, sizeof found, "%s", CASEPACK_DATADIR);
    return found;
}

int cli_finish_stdout(diag *d, int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        diag_error(d, (diag_place){0}, "cannot write to standard output: %s", strerror(errno));
        status = EXIT_IO;
    }
    return cli_finish(d, status);
}

int cli_finish(diag *d, int status)
{
    /* Whatever the command made of it, a failure of the system's
     * (diag_system_error) is an I/O or system error. */
    if (status == EXIT_INPUT && diag_system_errno(d))
        status = EXIT_IO;
    diag_print(d, stderr);
    diag_free(d);
    return status;
}
