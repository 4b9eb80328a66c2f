/* zipio.h: zip packages in and out (reading and encryption through libzip).
 * Reading enforces the hostile-input limits (entry count, declared and
 * actual inflated sizes, entry names); writing is deterministic (entries in
 * the order added, fixed timestamps) so identical input gives identical
 * bytes. */
#ifndef CASEPACK_ZIPIO_H
#define CASEPACK_ZIPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "diag.h"
#include "util.h"

typedef struct zipio_limits {
    size_t max_entries;       /* --max-entries */
    uint64_t max_entry_size;  /* inflated size of one entry; --max-entry-size */
    uint64_t max_total_size;  /* inflated size of all entries; --max-total-size */
} zipio_limits;

#define ZIPIO_DEFAULT_MAX_ENTRIES 10000
#define ZIPIO_DEFAULT_MAX_ENTRY_SIZE ((uint64_t)256 << 20)
#define ZIPIO_DEFAULT_MAX_TOTAL_SIZE ((uint64_t)1 << 30)

zipio_limits zipio_default_limits(void);

typedef struct zipio_reader zipio_reader;

/* Opens a zip from memory (the bytes are copied). Checks every entry name
 * (no "..", no absolute path, no backslash, no drive letter, no NUL, no
 * symlink entries, no duplicates), the entry count and the declared sizes
 * against lim. Returns NULL with the reasons in d (place: file, part = entry
 * name). file is used in messages only. */
zipio_reader *zipio_open_memory(const void *data, size_t n, const char *file,
                                const zipio_limits *lim, diag *d);
/* The same for a file on disk; *io_error gets errno when it cannot be read. */
zipio_reader *zipio_open_file(const char *path, const zipio_limits *lim, diag *d, int *io_error);
/* The same for a package casepack wrote, which may be encrypted (`casepack
 * verify`): encrypted entries are read with password; without one they are
 * refused with one error asking for it, and a password that does not open
 * the first encrypted entry is refused at open. All other checks apply.
 * zipio_add_copy refuses the encrypted entries of such a reader. */
zipio_reader *zipio_open_file_password(const char *path, const char *password,
                                       const zipio_limits *lim, diag *d, int *io_error);
void zipio_close(zipio_reader *r); /* NULL is a no-op */

size_t zipio_count(const zipio_reader *r);
const char *zipio_name(const zipio_reader *r, size_t i); /* borrowed until zipio_close */
/* Index of an entry by exact name, or -1. */
long zipio_find(const zipio_reader *r, const char *name);
/* Not thread-safe: one thread reads a given reader at a time (compile time).
 * Inflates entry i into out (appended), stopping with an error in d as soon as
 * it grows past the per-entry or total limit (a zip bomb lies about sizes).
 * Returns true on success. */
bool zipio_read(zipio_reader *r, size_t i, buf *out, diag *d);

typedef struct zipio_writer zipio_writer;

/* A new archive, built in memory. mtime is written as every entry's
 * timestamp (use a fixed value for reproducible output). */
zipio_writer *zipio_writer_new(time_t mtime);
void zipio_writer_free(zipio_writer *w); /* NULL is a no-op */
/* Encrypts every entry with AES-256 under password (copied); set it before
 * the first entry (after one, finishing fails with an internal error).
 * libzip draws a random salt for each entry, so encrypted archives differ
 * from run to run. */
void zipio_writer_set_password(zipio_writer *w, const char *password);
/* Adds an entry with the given bytes (copied). store = no compression (ODT's
 * mimetype must be stored). level: deflate level 1..9 (0 = zlib's default).
 * An entry that deflating would not shrink is stored. */
void zipio_add(zipio_writer *w, const char *name, const void *data, size_t n, bool store, int level);
/* Adds an entry whose bytes are already a raw deflate stream (zpart.h),
 * with the CRC-32 and size of what it inflates to. The bytes are copied. */
void zipio_add_deflated(zipio_writer *w, const char *name, const void *deflated, size_t n,
                        uint32_t crc, uint64_t size);
/* Copies entry i of r as it is, compressed bytes unchanged (no re-deflate).
 * r must outlive zipio_writer_finish. Safe from many threads on one reader:
 * the compressed bytes were taken when the reader was opened. */
void zipio_add_copy(zipio_writer *w, zipio_reader *r, size_t i);
/* Writes the archive into out (appended). Returns true, or false with the
 * reason in d. The writer can be freed afterwards either way. */
bool zipio_writer_finish(zipio_writer *w, buf *out, diag *d);

#endif
