/* batch.h: many records through one template (a document each) or one kit
 * (a package each). Records stream in from a CSV file, a YAML or JSON list,
 * or a folder of case files; a pool of threads renders and writes; results
 * are reported in record order; a journal lets an interrupted run resume
 * with nothing lost and nothing written twice. The helpers it is built from
 * (safe names, collisions, shards, the date window, the record sources) are
 * declared here too, for the tests. */
#ifndef CASEPACK_BATCH_H
#define CASEPACK_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "doc.h"
#include "load.h"
#include "package.h"
#include "render.h"
#include "tpl.h"
#include "value.h"

/* ---- names --------------------------------------------------------------- */

/* Bytes of a file name before its extension. */
#define BATCH_NAME_MAX 120

/* Makes text usable as a file name on every system the outputs may travel
 * to: separators (/ \), the characters Windows refuses (: * ? " < > |) and
 * control characters become '_' (a run of them one '_'); spaces and dots
 * are trimmed from both ends (no hidden files, no "..", nothing Windows
 * would strip); Windows device names (CON, NUL, COM1…) get a '_'; the result
 * is cut to BATCH_NAME_MAX bytes on a character boundary. Letters of every
 * script are kept. s must be valid UTF-8. Returns "" when nothing is left.
 * Caller frees. */
char *batch_safe_name(const char *s, size_t n);

/* The names given so far in a run, to resolve collisions in record order. */
typedef struct batch_names batch_names;
batch_names *batch_names_new(void);
void batch_names_free(batch_names *ns); /* NULL is a no-op */
/* Claims "stem.ext" (ext "" for none) for record number: returns it when
 * free, else the first free "stem-2.ext", "stem-3.ext"… Names differing only
 * in letter case collide (they would on Windows and macOS).
 * *taken_by gets the number of the record holding "stem.ext" when it was
 * taken, else 0. Caller frees. */
char *batch_names_claim(batch_names *ns, const char *stem, const char *ext, size_t number,
                        size_t *taken_by);

/* ---- shards -------------------------------------------------------------- */

/* "K/N" with 1 <= K <= N. */
bool batch_parse_shard(const char *s, unsigned *k, unsigned *n);
/* Whether the record with 0-based index i belongs to shard k of n. */
bool batch_in_shard(size_t i, unsigned k, unsigned n);

/* ---- the date window ----------------------------------------------------- */

/* "YYYY-MM-DD" (a real calendar date) → days since 1970-01-01. */
bool batch_parse_date(const char *s, size_t n, long *days);
/* days since 1970-01-01 → "YYYY-MM-DD" in out (at least 11 bytes). */
void batch_format_date(long days, char *out);
/* Today in the local time zone, as days since 1970-01-01. */
long batch_today(void);

typedef enum batch_due {
    BATCH_DUE,      /* the date lies in [today, today + days] */
    BATCH_NO_DATE,  /* nothing (or an empty text) at the path */
    BATCH_BAD_DATE, /* something that is not YYYY-MM-DD */
    BATCH_BEFORE,   /* before today */
    BATCH_AFTER     /* after the window */
} batch_due;

/* Where the record's date at a dotted path (hearing.date) falls. *date gets
 * it when it parses. */
batch_due batch_check_due(const value *record, const char *path, long today, long days,
                          long *date);

/* ---- records ------------------------------------------------------------- */

typedef struct batch_source batch_source;

typedef struct batch_record {
    value *data;    /* the record (caller frees); NULL when it is bad (errors in d) */
    size_t number;  /* 1-based place among the records */
    size_t row;     /* CSV: the data row; 0 otherwise */
    unsigned line;  /* CSV and lists: the line it starts on; 0 otherwise */
    const char *file; /* where it came from; interned */
    bool own_file;    /* file holds this record alone (a folder's case file) */
} batch_record;

/* Opens a CSV file (.csv, or .tsv with tabs), a YAML or JSON file holding a
 * list of records (read as a stream, like CSV), or a
 * folder whose *.yaml, *.yml and *.json files are records, in byte order of
 * their names. NULL with the problem in d; *io_error gets errno when it
 * could not be read. */
batch_source *batch_source_open(const char *path, char csv_delimiter, const load_limits *lim,
                                diag *d, int *io_error);
/* The next record: 1 (rec filled; rec->data NULL for a bad one), 0 at the
 * end, -1 when the source cannot be read further (reported). */
int batch_source_next(batch_source *s, batch_record *rec, diag *d, int *io_error);
/* How many records there are, when known without reading them all (CSV is
 * counted quickly on demand; a YAML/JSON list is not known ahead). */
bool batch_source_count(batch_source *s, size_t *n);
void batch_source_close(batch_source *s); /* NULL is a no-op */

/* ---- the run ------------------------------------------------------------- */

typedef enum batch_progress {
    BATCH_PROGRESS_AUTO, /* a progress line when standard error is a terminal */
    BATCH_PROGRESS_NONE,
    BATCH_PROGRESS_JSON  /* one JSON object per line on standard error per event */
} batch_progress;

typedef struct batch_config {
    /* What each record becomes: a document through tpl, or, when pk is set,
     * a package through the kit (pkg gives its options). Borrowed. */
    const doc_template *tpl;
    package_kit *pk;
    const package_options *pkg;
    render_options render;     /* template mode: strict, locale, citations */
    const char *target;        /* the template or kit as the user named it */
    const char *records;       /* the records file or folder */
    char csv_delimiter;        /* 0: guessed from the header line */
    load_limits load;
    const value *common;       /* merged under every record; NULL: none */
    const char *out_dir;       /* where outputs go; NULL only with merge */
    const char *merge;         /* one document holding every record, or NULL */
    unsigned jobs;             /* threads rendering, the main one among them; at least 1 */
    bool resume;
    bool strict;               /* warnings fail a record */
    unsigned shard_k, shard_n; /* shard K of N; 0 0: every record */
    const tpl_program *name;   /* --name, compiled; NULL: the default */
    bool due;                  /* --due-within */
    long due_days, today;
    const char *date_field;
    batch_progress progress;
    /* Files whose change makes an earlier journal stale (the template, the
     * records, the common data), and the settings that shape names. */
    const char *const *inputs;
    size_t n_inputs;
    const char *settings;
} batch_config;

/* Runs the batch. Every problem goes to standard error as it happens (or as
 * JSON events), a summary line at the end, and report.json into out_dir.
 * Returns the exit status: 0 when every record was written (or skipped as
 * done), 1 when any failed, 3 on an I/O error; problems stopping the run
 * before it starts are put in d. */
int batch_run(const batch_config *cfg, diag *d);

#endif
