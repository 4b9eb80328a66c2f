/* package.h: submission packages. One case and its kit become one zip:
 *
 *   <case-id>.zip
 *     <case-id>/01-<document>.docx|.odt   (+ 01-<document>.pdf with pdf)
 *     <case-id>/annexes/A01-<slug>.<ext>  the files the case lists under `annexes`
 *     <case-id>/manifest.json             tool, kit, hashes, sizes, warnings, date
 *
 * and `casepack verify` checks such a zip against its manifest. The same
 * input and date give the same bytes (unless encrypted: see package_options).
 * Batch builds many packages at once from one package_kit. */
#ifndef CASEPACK_PACKAGE_H
#define CASEPACK_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cite.h"
#include "diag.h"
#include "doc.h"
#include "kit.h"
#include "render.h"
#include "util.h"
#include "value.h"
#include "zipio.h"

/* How long one LibreOffice run may take to convert a package's documents. */
#define PACKAGE_DEFAULT_PDF_TIMEOUT 300

typedef struct package_options {
    /* The generation date: the manifest's date and every zip timestamp.
     * From --date or SOURCE_DATE_EPOCH (package_date) the package is
     * reproducible; from the clock it is not, and the manifest says so. */
    time_t date;
    bool reproducible;
    /* "docx" or "odt"; NULL: the case's top-level `format`, else "docx". */
    const char *format;
    /* Each document also as PDF, through one LibreOffice run per package
     * (soffice on PATH, or $CASEPACK_SOFFICE). The time of conversion and
     * the random ID LibreOffice writes into each PDF are replaced by the
     * generation date and a hash, so the same LibreOffice version gives the
     * same bytes; when that fails the manifest says the PDFs vary. */
    bool pdf;
    unsigned pdf_timeout; /* seconds; 0: PACKAGE_DEFAULT_PDF_TIMEOUT */
    /* Non-NULL: every entry encrypted with AES-256. libzip draws a random
     * salt per entry, so an encrypted package is never byte-reproducible. */
    const char *password;
    unsigned long long max_size; /* bytes of the zip; 0: no limit */
    /* Rendering: strict, locale, partial depth. value/partial are set by the
     * templates themselves. */
    render_options render;
    /* For {{cite}} and the manifest's citation warnings; NULL: none. */
    const cite_library *citations;
} package_options;

/* Sets o to no PDF, no encryption, no size limit, the render defaults, and
 * the date of package_date(NULL, ...) when that is fixed, else now. */
void package_options_init(package_options *o);

/* The generation date: --date YYYY-MM-DD (midnight UTC) when date_flag is
 * given, else SOURCE_DATE_EPOCH when set, else the clock. *reproducible is
 * true for the first two. A malformed date or SOURCE_DATE_EPOCH is an error
 * in d; returns false. */
bool package_date(const char *date_flag, time_t *date, bool *reproducible, diag *d);

/* The package password: the first line of password_file (its newline
 * stripped) when given, else $CASEPACK_PASSWORD, else NULL without error.
 * An empty password is an error. Returns NULL with the reason in d; *io_error
 * gets errno when the file could not be read. Caller frees. */
char *package_password(const char *password_file, diag *d, int *io_error);

/* A kit ready to package many cases: its templates are compiled once, on
 * first use of each format, and shared by every package_build (from any
 * number of threads). Borrows k until package_kit_free. doc_opt is copied;
 * its mtime becomes the timestamp inside rendered documents. */
typedef struct package_kit package_kit;

package_kit *package_kit_new(const kit *k, const doc_options *doc_opt);
void package_kit_free(package_kit *pk); /* NULL is a no-op */

/* Builds the package of one case. case_data is the case as loaded (borrowed;
 * the kit's defaults are merged under a copy of it); its id (case.id, else a
 * top-level id) names the zip and must pass package_safe_name; its
 * `annexes: [{file, title}]` get `number` (A01) and `filename` before the
 * templates see them. case_file is the file it
 * came from: annex paths are relative to its folder, which they may not leave,
 * and its bytes are hashed into the manifest; NULL: the current folder, no
 * hash. On success *zip_out gets the archive (appended) and *zip_name
 * "<case-id>.zip" (caller frees). Returns false with every problem in d and
 * nothing in *zip_out; *io_error gets errno when a file could not be read or
 * LibreOffice could not be run. Warnings (unverified citations, …) go to d
 * and into the manifest. Thread-safe for one pk. */
bool package_build(package_kit *pk, const value *case_data, const char *case_file,
                   const package_options *opt, diag *d, int *io_error, buf *zip_out,
                   char **zip_name);

/* Writes a finished package to dir/name (dir NULL: the current folder)
 * atomically with mode 0600 (it holds case data). An existing file is
 * refused unless overwrite. Returns 0, or an errno value with the reason in d
 * (EEXIST for a refused overwrite). */
int package_write(const char *dir, const char *name, const buf *zip, bool overwrite, diag *d);

/* Checks a package against its manifest: every listed file present with its
 * size and SHA-256, and nothing else. Each mismatch, missing or extra file is
 * an error in d naming it. password opens an encrypted package (NULL: none).
 * Returns true when everything matches; *n_files gets the number of files
 * checked. *io_error gets errno when the zip could not be read. */
bool package_verify(const char *zip_path, const char *password, const zipio_limits *lim, diag *d,
                    int *io_error, size_t *n_files);

/* True when s is a safe file name for a case id: ASCII letters, digits, '-',
 * '_' and '.', not starting with '.', 1 to 100 bytes. */
bool package_safe_name(const char *s, size_t n);

/* The slug of an annex title: lower-case ASCII letters and digits, other
 * runs as single '-', at most 60 bytes; Cyrillic by Ukraine's official
 * transliteration ("Копія паспорта" → "kopiia-pasporta"), other scripts
 * through ICU. "" when nothing is left. Caller frees. Thread-safe. */
char *package_slug(const char *title, size_t n);

#endif
