/* main.c: the command line's front door. Finds the command and hands over;
 * each command parses its own flags in its cmd_*.c (see cli.h). Exit: 0 ok,
 * 1 template/data/render errors, 2 usage, 3 I/O or system error. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: casepack COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  render TEMPLATE [-d DATA]... [-o OUT]   fill a template (.docx .odt .fodt or text)\n"
    "  fields TEMPLATE [--json]                list every tag with its place\n"
    "  check KIT|SCHEMA DATA...                check case data against a kit, all problems at once\n"
    "  new KIT                                 print a commented case skeleton for a kit\n"
    "  kits                                    list the kits (shipped, and --kits DIR)\n"
    "  cite list | cite show KEY               the citation library\n"
    "  package CASE [--kit KIT] [-o DIR]       a case's documents, annexes and manifest in one\n"
    "                                          zip (see casepack package --help)\n"
    "  verify PACKAGE.zip                      check a package against its manifest\n"
    "  batch KIT|TEMPLATE --records FILE       one document (or package) per record: letters\n"
    "                                          from a spreadsheet (see casepack batch --help)\n"
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
    "  --kit KIT              check the data against a kit first, and use its defaults and "
    "locale\n"
    "\n"
    "kits and citations (render, check, new, kits, cite):\n"
    "  --kits DIR             a folder of kits of your own, searched before the shipped ones\n"
    "  --citations FILE       citation entries of your own, added to the library (a same key "
    "wins)\n"
    "\n"
    "package options:\n"
    "  --kit KIT              the kit (default: the case's `kit` field); --kits DIR adds kits\n"
    "  -o, --output DIR       folder for CASE-ID.zip (default: the current folder)\n"
    "  --format docx|odt      document format (default: the case's `format`, else docx)\n"
    "  --pdf                  each document also as PDF (needs LibreOffice)\n"
    "  --encrypt              AES-256; password from CASEPACK_PASSWORD or --password-file F\n"
    "  --max-size SIZE        refuse a package larger than SIZE (e.g. 10M)\n"
    "  --date YYYY-MM-DD      generation date (default: SOURCE_DATE_EPOCH, else now)\n"
    "  --citations FILE       more citations, over the shipped library\n"
    "\n"
    "batch options:\n"
    "  --records FILE         a CSV file, a YAML or JSON list, or a folder of case files\n"
    "  -d, --data FILE        common data under every record; -o DIR the output folder\n"
    "  -j, --jobs N           worker threads (default: the number of processors)\n"
    "  --name PATTERN         output names, e.g. '{{@number}}-{{recipient.last_name}}'\n"
    "  --resume               finish a run that was interrupted, writing nothing twice\n"
    "  --shard K/N            only every Nth record from the Kth (to split across machines)\n"
    "  --merge FILE           every record in one document, a page each\n"
    "  --due-within DAYS --date-field PATH [--today YYYY-MM-DD]\n"
    "                         only records whose date falls within DAYS from today\n"
    "  --progress json|none   JSON lines on stderr instead of the progress line\n"
    "  --csv-delimiter C      , or ; or tab (default: guessed from the header line)\n"
    "\n";

/* Apart from usage_text: C11 compilers need only take literals of 4095 bytes. */
static const char limits_text[] =
    "limits (raise them for unusually large inputs):\n"
    "  --max-data-size N      bytes in one data file (default 256M)\n"
    "  --max-depth N          nesting of data lists and maps (default 64)\n"
    "  --max-nodes N          values in one data file, aliases expanded (default 1000000)\n"
    "  --max-entries N        entries in a template package (default 10000)\n"
    "  --max-entry-size N     inflated size of one package entry (default 256M)\n"
    "  --max-total-size N     inflated size of a whole package (default 1G)\n"
    "  --max-xml-depth N      element nesting in a document part (default 256)\n"
    "  --max-partial-depth N  partials within partials (default 64)\n"
    "  --max-section-depth N  sections within sections (default 100, at most 10000)\n"
    "\n"
    "  -h, --help             this text\n"
    "  --version              the version\n";

static void print_usage(FILE *f)
{
    fputs(usage_text, f);
    fputs(limits_text, f);
}

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    {"render", cmd_render},
    {"fields", cmd_fields},
    {"check", cmd_check},
    {"new", cmd_new},
    {"kits", cmd_kits},
    {"cite", cmd_cite},
    {"package", cmd_package},
    {"verify", cmd_verify},
    {"batch", cmd_batch},
};

static void die_cleanly(int sig)
{
    util_temp_remove_all();
    raise(sig);
}

int main(int argc, char **argv)
{
    util_tune_malloc();
    /* Past a file size limit (ulimit -f, a quota) a write must fail with
     * EFBIG, to be reported and cleaned up like a full disk; the signal's
     * default action would kill us mid-file and leave the temporary behind. */
    signal(SIGXFSZ, SIG_IGN);
    /* Interrupted (Ctrl-C, a scheduler's kill), we die as asked, but first
     * remove the temporary files being written. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = die_cleanly;
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        print_usage(stdout);
        return cli_finish_stdout(diag_new(), EXIT_OK);
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("casepack %s\n", CASEPACK_VERSION);
        return cli_finish_stdout(diag_new(), EXIT_OK);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    cli_usage_error("unknown command '%s'", cmd);
    return EXIT_USAGE;
}
