/* cite.h: the citation library. Entries live in YAML files (shipped: one
 * file per source in templates/citations/; the user's own through
 * --citations FILE), one entry per key, each with its verification status. Templates refer to them
 * with {{cite "key"}} or {{cite path}}; {{#authorities}} lists those used. */
#ifndef CASEPACK_CITE_H
#define CASEPACK_CITE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "value.h"

typedef enum cite_status { CITE_VERIFIED, CITE_PARTLY, CITE_UNVERIFIED } cite_status;

/* One entry, with the text fields resolved for a locale. Strings are borrowed
 * from the library; a field the entry lacks is "". */
typedef struct cite_entry {
    const char *key;
    const char *kind;       /* treaty, case, guideline, statute, rule, resolution, … */
    const char *title;
    const char *short_form; /* what {{cite}} renders */
    const char *pinpoint;   /* "Art. 1A(2)", "paras 203–204" */
    const char *date;       /* YYYY-MM-DD or as the source gives it */
    const char *url;
    const char *summary;    /* one line, in our own words */
    const char *source_note; /* e.g. "address not opened; check before filing" */
    cite_status status;
    const char *file;       /* where the entry was defined, and its line */
    unsigned line;
} cite_entry;

typedef struct cite_library cite_library;

cite_library *cite_new(void); /* caller frees with cite_free */
void cite_free(cite_library *lib); /* NULL is a no-op */

/* Adds every entry of one YAML file (a map of key → entry). An entry whose key
 * is already there replaces it (the user's file overrides the shipped one).
 * Returns false with every problem in d (missing required fields, unknown
 * status, bad types), each at its line and column. */
bool cite_add_file(cite_library *lib, const char *path, diag *d);
/* Adds every *.yaml file of a folder, in name order. */
bool cite_add_dir(cite_library *lib, const char *dir, diag *d);

/* The entry for key in the given locale ("uk": Ukrainian titles and short
 * forms where the entry has them, else English), or NULL. The returned
 * entry is valid until the library is freed. Thread-safe. */
const cite_entry *cite_find(const cite_library *lib, const char *key, const char *locale);

size_t cite_count(const cite_library *lib);
/* Keys in sorted order, for `casepack cite list`. Borrowed. */
const char *cite_key_at(const cite_library *lib, size_t i);

const char *cite_status_name(cite_status s); /* "verified", "partly", "unverified" */

/* Levenshtein distance between two short names (keys, field names), for
 * "did you mean"; SIZE_MAX when either is longer than 63 bytes. */
size_t cite_edit_distance(const char *a, const char *b);

#endif
