/* load.h: data files → value tree. YAML 1.2 and JSON (load_yaml.c, through
 * libfyaml), CSV (load_csv.c, through libcsv). The engine never sees formats. */
#ifndef CASEPACK_LOAD_H
#define CASEPACK_LOAD_H

#include <stddef.h>

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
 * input, read as YAML). Returns NULL on error: *io_error is set to the errno
 * value when the file could not be read (exit status 3), 0 when its content
 * is at fault (exit status 1). Messages go to d. */
value *load_data_file(const char *path, const load_limits *lim, diag *d, int *io_error);

#endif
