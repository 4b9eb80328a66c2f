/* util.h: what every stage shares. Memory (abort on out-of-memory, decided once),
 * a growable byte buffer, whole-file reading and atomic file writing. */
#ifndef CASEPACK_UTIL_H
#define CASEPACK_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#if defined(__GNUC__)
#define CP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CP_PRINTF(f, a)
#endif

/* Out of memory prints one line and aborts: error paths elsewhere handle only
 * real failures (I/O, template, data). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n); /* always NUL-terminates */
char *xasprintf(const char *fmt, ...) CP_PRINTF(1, 2);

/* Process-wide allocator policy, set once by main() before any work: keep
 * freed memory instead of returning it to the kernel after every document
 * (the cost of page faults was half of a bulk run's time). */
void util_tune_malloc(void);

/* Temporary files being written (util_write_atomic's, batch's outputs) are
 * made here and tracked until untracked, so that a dying run (out of memory,
 * a fatal signal) removes them and leaves nothing half-written. Creates the
 * file as mkstemps(template, suffixlen) does and returns its descriptor, or
 * -1 with errno; *handle is for util_temp_untrack, once the file is renamed
 * or removed (-1 when it could not be tracked; untracking -1 is a no-op). */
int util_temp_create(char *template, int suffixlen, int *handle);
/* The same with template relative to the folder open as dirfd, whose path
 * (from the working directory) is dir. */
int util_temp_createat(int dirfd, const char *dir, char *template, int suffixlen, int *handle);
void util_temp_untrack(int handle);
/* The process is about to die: no temporary file is made from now on, and
 * every tracked one is removed. Takes no lock and no memory: called on
 * running out of memory, and safe in a signal handler. */
void util_temp_remove_all(void);

/* A growable byte buffer, always NUL-terminated after len. Zero-initialise
 * ({0}) or buf_init; buf_free releases the storage. */
typedef struct buf {
    char *data;
    size_t len, cap;
} buf;

void buf_init(buf *b);
void buf_free(buf *b);
void buf_reset(buf *b); /* len = 0, storage kept */
void buf_grow(buf *b, size_t extra);
void buf_add(buf *b, const void *p, size_t n);
void buf_addc(buf *b, char c);
void buf_adds(buf *b, const char *s);
void buf_printf(buf *b, const char *fmt, ...) CP_PRINTF(2, 3);
void buf_vprintf(buf *b, const char *fmt, va_list ap);
char *buf_steal(buf *b); /* caller frees; b is left empty */

/* Appends s[0..n) as a JSON string literal, quotes included. */
void buf_add_json(buf *b, const char *s, size_t n);

/* Reads a whole file ("-" reads standard input) into out (appended).
 * Returns 0, or an errno value; a file over max_bytes (0: no cap) gives EFBIG. */
int util_read_file(const char *path, buf *out, size_t max_bytes);

/* Writes data to path atomically: a temporary file in the same folder, fsync,
 * then rename. Nothing is left behind on failure. mode is for the new file
 * (e.g. 0644, 0600). Unless overwrite, an existing path is refused with EEXIST.
 * Returns 0 or an errno value; *failed_op (if given) names what failed
 * ("open", "write", "fsync", "close", "rename"). "-" writes standard output. */
int util_write_atomic(const char *path, const void *data, size_t len, int mode,
                      bool overwrite, const char **failed_op);

/* True when s[0..n) is valid UTF-8 (no overlongs, no surrogates). When not,
 * *bad_at gets the offset of the first bad byte. */
bool util_utf8_valid(const char *s, size_t n, size_t *bad_at);

/* The file name's extension without its dot ("docx"), or "" when none. Borrowed from path. */
const char *util_extension(const char *path);

#endif
