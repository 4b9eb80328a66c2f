/* main.c: the command line's front door. Finds the command and hands over;
 * each command parses its own flags in its cmd_*.c (see cli.h). Exit: 0 ok,
 * 1 template/data/render errors, 2 usage, 3 I/O or system error. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

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

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    {"render", cmd_render},
    {"fields", cmd_fields},
};

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
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    cli_usage_error("unknown command '%s'", cmd);
    return EXIT_USAGE;
}
