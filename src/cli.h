/* cli.h: what the commands share: exit statuses, usage errors, the flags
 * every command that reads templates or data takes (limits, delimiters,
 * partials, locale, strict), data loading with -d merging, and where the
 * shipped kits and citations live. main.c only dispatches; each command lives
 * in its own cmd_*.c. */
#ifndef CASEPACK_CLI_H
#define CASEPACK_CLI_H

#include <stdbool.h>

#include "cite.h"
#include "diag.h"
#include "doc.h"
#include "kit.h"
#include "load.h"
#include "value.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

#ifndef CASEPACK_VERSION
#define CASEPACK_VERSION "0.1.0"
#endif

/* Prints "casepack: error: MESSAGE" and "Try 'casepack --help'." to stderr. */
void cli_usage_error(const char *fmt, ...) CP_PRINTF(1, 2);

/* True when tag (a --locale value) names a language ICU knows; otherwise
 * prints a usage error, as dates would silently come out in English. */
bool cli_locale_ok(const char *tag);

/* True when dir (the value of a flag such as --partials or --kits) is a
 * folder; otherwise prints a usage error: a mistyped folder would otherwise
 * be searched and found empty, without a word. */
bool cli_folder_ok(const char *flag, const char *dir);

/* Standard input can be read once: false, after a usage error, when "-"
 * stands more than once among names[0..n) (NULL names are skipped). */
bool cli_stdin_once(const char *const *names, size_t n);

/* "256M", "1G", "4096": a size with an optional K, M or G suffix. */
bool cli_parse_size(const char *s, unsigned long long *out);

/* The flags shared by every command that compiles templates or loads data. */
typedef struct cli_common {
    load_limits load;
    doc_options doc;
    unsigned max_partial_depth;
    const char *locale;
    bool strict;
} cli_common;

void cli_common_init(cli_common *c);

/* Takes argv[*i] (and its value, advancing *i) when it is one of the shared
 * flags: --partials, --delimiters, --locale, --strict, --max-*. Accepts
 * --flag=value too. Returns 1 when taken, 0 when it is not a shared flag, or
 * -EXIT_USAGE after printing a usage error. */
int cli_common_flag(cli_common *c, int argc, char **argv, int *i);

/* The value of a flag that takes one: "--flag=value" or "--flag value".
 * name is the flag without "=". Returns NULL (after a usage error) when the
 * value is missing; sets *taken when argv[*i] is this flag. */
const char *cli_flag_value(const char *name, int argc, char **argv, int *i, bool *taken);

/* Loads and merges data files in order (maps merge key by key, lists are
 * replaced). Problems go to d; *io_error gets errno when a file could not be
 * read. Never NULL: an empty map when there is no data. Caller frees. */
value *cli_load_data(const char *const *files, size_t n, const load_limits *lim, diag *d,
                     int *io_error);

/* The render options for the shared flags. */
render_options cli_render_options(const cli_common *c);

/* Folder of the shipped templates (kits and citations): $CASEPACK_TEMPLATES
 * if set, else the templates/ folder of the source tree when casepack runs
 * from its build folder, else the installed data folder. Borrowed. */
const char *cli_templates_dir(void);

/* Prints every diagnostic, frees d, returns status. */
int cli_finish(diag *d, int status);
/* The same for a command that wrote to standard output: a write that did not
 * get out (a full disk, a closed pipe) is reported, and the status is then
 * EXIT_IO. Consumes d. */
int cli_finish_stdout(diag *d, int status);

/* Kits and citations (cmd_kit.c), shared with render. The folders kits are
 * searched in: each --kits DIR in order, then the shipped templates folder.
 * dirs holds n_kits + 1 entries; returns how many it filled. */
size_t cli_kit_search(const char *const *kits, size_t n_kits, const char **dirs);
/* The shipped citation library with each --citations FILE over it, in order
 * (a later entry replaces an earlier one with the same key). NULL with the
 * problems in d. Caller frees with cite_free. */
cite_library *cli_load_citations(const char *const *files, size_t n, diag *d);
/* Case data for kit k: the kit's defaults merged under data (data wins, maps
 * merge key by key), then checked against the kit's schema. False with every
 * problem in d, at the data's lines and columns. */
bool cli_kit_data(const kit *k, value *data, diag *d);
/* The citation keys template t would read from data ({{cite path}}) that
 * lib lacks, each reported at its place in the data, as `check` does. False
 * when there are any. */
bool cli_check_cite_keys(const doc_template *t, const cite_library *lib, const value *data,
                         diag *d);

/* The commands. argv[0] is the command's name. */
int cmd_render(int argc, char **argv);
int cmd_fields(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_new(int argc, char **argv);
int cmd_kits(int argc, char **argv);
int cmd_cite(int argc, char **argv);
int cmd_package(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_batch(int argc, char **argv);

#endif
