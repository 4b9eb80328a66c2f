/* diag.h: diagnostics. Every stage reports problems here with their place;
 * the command line prints them all at once, batch keeps them per record. */
#ifndef CASEPACK_DIAG_H
#define CASEPACK_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util.h"

/* Where a problem stands. Text files and data: line and column (1-based).
 * Documents: the part name and the paragraph number in that part (1-based).
 * Unknown fields are 0 / NULL. Strings are borrowed only for the call:
 * diag copies what it keeps. */
typedef struct diag_place {
    const char *file;
    const char *part;
    unsigned line, col;
    unsigned para;
} diag_place;

typedef enum diag_level { DIAG_ERROR, DIAG_WARNING } diag_level;

typedef struct diag_entry {
    diag_level level;
    char *text; /* the whole line without "casepack: error: " */
} diag_entry;

typedef struct diag diag;

diag *diag_new(void);
void diag_free(diag *d); /* NULL is a no-op */

void diag_error(diag *d, diag_place where, const char *fmt, ...) CP_PRINTF(3, 4);
void diag_warning(diag *d, diag_place where, const char *fmt, ...) CP_PRINTF(3, 4);
/* A failure of the system, not of the input (a write that failed, a library
 * that could not finish its work): an error like any other that also marks d
 * with err (an errno value), so that the command exits with status 3. */
void diag_system_error(diag *d, diag_place where, int err, const char *fmt, ...)
    CP_PRINTF(4, 5);
/* The errno of the first system error in d, 0 when there is none. */
int diag_system_errno(const diag *d);

size_t diag_error_count(const diag *d);
size_t diag_count(const diag *d);
const diag_entry *diag_get(const diag *d, size_t i); /* borrowed */

/* Prints every entry as "casepack: error: PLACE: message" and empties d. */
void diag_print(diag *d, FILE *to);
/* Moves all entries of src to the end of dst (its system error mark too). */
void diag_take(diag *dst, diag *src);

/* Quotes a tag for a message: the bytes with control characters shown as \n
 * etc., cut with "…" past 80 bytes. Returns a pointer into an internal
 * per-thread ring of buffers, valid for the next few calls. */
const char *diag_quote(const char *s, size_t n);

#endif
