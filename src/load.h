/* load.h: data files → value tree. YAML 1.2 and JSON (load_yaml.c, through
 * libfyaml), CSV (load_csv.c, through libcsv). The engine never sees formats. */
#ifndef CASEPACK_LOAD_H
#define CASEPACK_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "value.h"

/* Limits on what a data file may make us build. Each has a command-line flag. */
typedef struct load_limits {
    size_t max_bytes;    /* size of one data file; --max-data-size */
    unsigned max_depth;  /* nesting of lists and maps; --max-depth */
    size_t max_nodes;    /* values built, aliases expanded included; --max-nodes */
} load_limits;

#define LOAD_DEFAULT_MAX_BYTES ((size_t)256 << 20)
#define LOAD_DEFAULT_MAX_DEPTH 64
#define LOAD_DEFAULT_MAX_NODES ((size_t)1000000)

load_limits load_default_limits(void);

/* Parses YAML 1.2 (core schema: only true/false are booleans, null/~/empty are
 * null, numbers kept as written) or JSON from bytes. file names the source in
 * messages (interned). Returns the root (caller frees) or NULL with every
 * problem reported to d with its line and column: syntax errors, duplicate
 * keys, invalid UTF-8, nesting or alias expansion past the limits, tags we do
 * not understand. An empty document gives an empty map. */
value *load_yaml(const char *bytes, size_t n, const char *file, const load_limits *lim, diag *d);

/* Loads a data file by its extension (.yaml, .yml, .json; "-" is standard
 * input, read as YAML). Returns the root (caller frees), or NULL on error: *io_error is set to the errno
 * value when the file could not be read (exit status 3), 0 when its content
 * is at fault (exit status 1). Messages go to d. */
value *load_data_file(const char *path, const load_limits *lim, diag *d, int *io_error);

/* A YAML or JSON file whose top level is a list, read as a stream: each item
 * is built when the parser reaches its end and handed out, so memory follows
 * the largest item, not the file (load_yaml.c). --max-nodes and the text
 * aliases copy count per item; --max-depth counts the list as one level;
 * --max-data-size bounds the file, whose bytes are checked whole at open
 * (UTF-8, no NUL). Anchors work across items. */
typedef struct load_list_reader load_list_reader;

/* Opens path and reads up to the list's first item. Returns NULL with the
 * problems in d: an unreadable file (*io_error gets errno), bad bytes, a
 * syntax error before the list, or a top level that is not a list (reported
 * as a records file that must hold a list). Close with load_list_close. */
load_list_reader *load_list_open(const char *path, const load_limits *lim, diag *d,
                                 int *io_error);
/* The next item: 1 with *item (caller frees) and *line, the line it starts
 * on; *item is NULL when that item has data errors (a duplicate key, a limit
 * passed; reported to d), and the next call reads on. 0 at the end of the
 * list, -1 when the file cannot be read further (a syntax error, a second
 * document; reported to d). */
int load_list_next(load_list_reader *r, value **item, uint32_t *line, diag *d);
void load_list_close(load_list_reader *r); /* NULL is a no-op */

/* CSV records (load_csv.c, through libcsv): RFC 4180 quoting, cells over
 * several lines, UTF-8 with or without a byte-order mark, `,` `;` or tab.
 * The first line names the columns; each later row becomes one record, a
 * map built from the column names: `recipient.name` makes a nested map,
 * `orgs.0.name` a list (positions count from 0; a list item whose cells are
 * all empty is left out, so columns for five organisations serve a row that
 * has two). Every cell is a string (CSV has no types; an empty cell is "")
 * that remembers its line and column. Rows are read one at a time: memory
 * does not grow with the number of rows. */
typedef struct load_csv_options {
    char delimiter; /* ',' ';' '\t', or 0: whichever the header line uses most */
} load_csv_options;

typedef struct csv_reader csv_reader;

/* Opens path ("-": standard input) and reads its header line. Returns NULL
 * with every problem in d (an empty file, a bad header: unnamed, duplicate
 * or conflicting columns such as `a` and `a.b`); *io_error gets errno when
 * the file could not be read. Close with load_csv_close. */
csv_reader *load_csv_open(const char *path, const load_csv_options *opt, const load_limits *lim,
                          diag *d, int *io_error);
/* The same over bytes in memory, borrowed until load_csv_close. name names
 * them in messages. */
csv_reader *load_csv_open_memory(const char *bytes, size_t n, const char *name,
                                 const load_csv_options *opt, const load_limits *lim, diag *d);

typedef enum load_csv_status {
    LOAD_CSV_RECORD, /* *record is the next row's record (caller frees) */
    LOAD_CSV_BAD,    /* that row is wrong (reported to d); the next call reads on */
    LOAD_CSV_END,    /* no more rows */
    LOAD_CSV_FAILED  /* the file cannot be read further (reported; *io_error if I/O) */
} load_csv_status;

/* Where a row stands: its 1-based number among the data rows (the header
 * is not counted) and the physical line where it starts. */
typedef struct load_csv_row {
    size_t row;
    unsigned line;
} load_csv_row;

load_csv_status load_csv_next(csv_reader *r, value **record, load_csv_row *where, diag *d,
                              int *io_error);
char load_csv_delimiter(const csv_reader *r); /* the one in use */
void load_csv_close(csv_reader *r);           /* NULL is a no-op */

/* Counts the data rows of a CSV file quickly (quotes respected, nothing
 * built), for progress reports. Returns false when the file cannot be read. */
bool load_csv_count_rows(const char *path, size_t *rows);

#endif
