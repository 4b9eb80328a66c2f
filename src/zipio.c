/* zipio.c: the zip stage, under every DOCX and ODT read and written. Reading
 * owns the hostile-input checks on a package (entry count, names, links,
 * encryption, declared and actual inflated sizes); writing owns deterministic
 * archives (entries in the order added, UTC timestamps, no extra fields) and
 * the raw pass-through of entries that are copied unchanged. libzip reads
 * packages and encrypts the ones with a password; unencrypted archives, ten
 * thousand of them in a bulk run, are laid out here, since every entry's
 * bytes are final by then and only headers remain to write. */
#include "zipio.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>
#include <zlib.h>

/* Past this many problems with single entries, the rest are counted, not
 * listed: a crafted package can hold thousands of bad names, and a lawyer
 * needs the first few and the total, not ten thousand lines. */
#define MAX_ENTRY_REPORTS 50

/* zipio_read grows its output by at most this much per libzip call. */
#define READ_CHUNK ((uint64_t)1 << 20)

/* The file type bits of a Unix mode as zip stores them (high half of the
 * external attributes): the format's values, whatever the host's are. */
#define UNIX_TYPE_MASK 0170000u
#define UNIX_TYPE_SYMLINK 0120000u

#define CRAFTED                                                                                    \
    "the package is damaged or was built to attack the programs that open it; do not use it as a " \
    "template"
#define RESAVE "open and save it again in Word or LibreOffice"

typedef struct zipio_entry {
    char *name;           /* UTF-8 */
    uint64_t size;        /* declared uncompressed size */
    uint64_t comp_size;
    uint32_t crc;
    int32_t method;       /* ZIP_CM_* */
    bool encrypted;       /* only in a reader opened with zipio_open_file_password */
    const unsigned char *raw; /* the compressed bytes, inside zipio_reader.raw */
} zipio_entry;

struct zipio_reader {
    unsigned char *bytes; /* the package, read by libzip until zipio_close */
    size_t n;
    zip_t *za;
    char *file;
    size_t count;
    zipio_entry *entries;
    zipio_entry **by_name; /* sorted by name, for zipio_find */
    /* Every entry's compressed bytes, copied once at open. zipio_add_copy
     * serves them to writers from here rather than through zip_source_zip,
     * which reads through (and counts references on) the one source archive
     * and so cannot be shared by renders running in parallel. */
    unsigned char *raw;
    /* Opened by zipio_open_file_password: encrypted entries are accepted,
     * read with the password libzip holds as the archive's default. */
    bool allow_encrypted;
    bool has_password;
};

zipio_limits zipio_default_limits(void)
{
    return (zipio_limits){.max_entries = ZIPIO_DEFAULT_MAX_ENTRIES,
                          .max_entry_size = ZIPIO_DEFAULT_MAX_ENTRY_SIZE,
                          .max_total_size = ZIPIO_DEFAULT_MAX_TOTAL_SIZE};
}

/* libzip's reasons read "Not a zip archive"; inside our sentence they take a
 * lower-case first letter. The result lives in one buffer the caller frees. */
static char *reason_text(zip_error_t *ze)
{
    char *s = xstrdup(zip_error_strerror(ze));
    if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
        s[0] = (char)(s[0] - 'A' + 'a');
    return s;
}

static void report_not_a_zip(diag *d, const char *file, const char *reason)
{
    diag_error(d, (diag_place){.file = file},
               "the file is not a valid DOCX/ODT package (zip): %s; it may be truncated or "
               "damaged \xE2\x80\x94 " RESAVE,
               reason);
}

static diag_place entry_place(const zipio_reader *r, const char *name)
{
    return (diag_place){.file = r->file, .part = diag_quote(name, strlen(name))};
}

/* Collects the problems of single entries during the checks at open, up to
 * MAX_ENTRY_REPORTS of them. */
typedef struct entry_reports {
    const zipio_reader *r;
    diag *d;
    size_t found;
} entry_reports;

static void entry_problem(entry_reports *rep, const char *name, const char *fmt, ...)
    CP_PRINTF(3, 4);

static void entry_problem(entry_reports *rep, const char *name, const char *fmt, ...)
{
    if (rep->found++ >= MAX_ENTRY_REPORTS)
        return;
    buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    diag_place at = name[0] ? entry_place(rep->r, name) : (diag_place){.file = rep->r->file};
    diag_error(rep->d, at, "%s", msg.data);
    buf_free(&msg);
}

/* Why an entry name is unsafe, or NULL. raw is the name's bytes as stored:
 * libzip turns control characters of CP437 names into symbols when it
 * decodes them, so they are looked for before that. (A NUL inside a stored
 * name reaches us as a space: libzip replaces it on reading, so it cannot
 * cut a name short.) */
static const char *name_problem(const char *raw)
{
    if (!raw[0])
        return "an entry has an empty name";
    for (const char *p = raw; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F)
            return "the entry name contains a control character";
    if (raw[0] == '/')
        return "the entry name is an absolute path (it starts with \"/\")";
    if (((raw[0] >= 'A' && raw[0] <= 'Z') || (raw[0] >= 'a' && raw[0] <= 'z')) && raw[1] == ':')
        return "the entry name starts with a drive letter";
    if (strchr(raw, '\\'))
        return "the entry name contains a backslash";
    for (const char *p = raw; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return "the entry name climbs out of the package with \"..\"";
        p += len;
        if (*p)
            p++;
    }
    return NULL;
}

static uint64_t add_saturated(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static int by_name_cmp(const void *a, const void *b)
{
    return strcmp((*(zipio_entry *const *)a)->name, (*(zipio_entry *const *)b)->name);
}

/* Reads every entry's directory record and checks it against the limits.
 * Every problem goes to d; false when there was any. */
static bool check_entries(zipio_reader *r, const zipio_limits *lim, diag *d)
{
    zip_int64_t count = zip_get_num_entries(r->za, 0);
    if (count < 0)
        count = 0;
    if ((uint64_t)count > lim->max_entries) {
        diag_error(d, (diag_place){.file = r->file},
                   "the package holds %lld entries, over the limit of %zu; if the template is "
                   "genuine, raise the limit with --max-entries",
                   (long long)count, lim->max_entries);
        return false;
    }
    r->count = (size_t)count;
    r->entries = xcalloc(r->count, sizeof *r->entries);
    r->by_name = xcalloc(r->count, sizeof *r->by_name);

    entry_reports rep = {.r = r, .d = d};
    uint64_t total = 0, comp_total = 0;
    size_t locked = 0;
    bool ok = true;
    for (size_t i = 0; i < r->count; i++) {
        zipio_entry *e = &r->entries[i];
        r->by_name[i] = e;
        zip_stat_t st;
        const char *name = zip_get_name(r->za, i, 0);
        const char *raw = zip_get_name(r->za, i, ZIP_FL_ENC_RAW);
        if (!name || !raw || zip_stat_index(r->za, i, 0, &st) < 0) {
            e->name = xasprintf("#%zu", i + 1);
            entry_problem(&rep, e->name,
                          "the entry's directory record cannot be read: %s; " CRAFTED,
                          zip_strerror(r->za));
            ok = false;
            continue;
        }
        /* Names stored as UTF-8 keep their bytes (control characters
         * included, for the messages); others are CP437, decoded by libzip. */
        e->name = xstrdup(util_utf8_valid(raw, strlen(raw), NULL) ? raw : name);
        e->size = st.size;
        e->comp_size = st.comp_size;
        e->crc = st.crc;
        e->method = st.comp_method;

        const char *why = name_problem(raw);
        if (why) {
            entry_problem(&rep, e->name, "%s; " CRAFTED, why);
            ok = false;
        }

        zip_uint8_t opsys;
        zip_uint32_t attributes;
        if (zip_file_get_external_attributes(r->za, i, 0, &opsys, &attributes) == 0 &&
            opsys == ZIP_OPSYS_UNIX && ((attributes >> 16) & UNIX_TYPE_MASK) == UNIX_TYPE_SYMLINK) {
            entry_problem(&rep, e->name,
                          "the entry is a symbolic link; a package must not contain links; "
                          CRAFTED);
            ok = false;
        }

        if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
            e->encrypted = true;
            locked++;
            if (!r->allow_encrypted) {
                entry_problem(&rep, e->name,
                              "the entry is encrypted; a template must not be protected with a "
                              "password: remove the password in Word or LibreOffice and save it "
                              "again");
                ok = false;
            }
        }

        if (e->size > lim->max_entry_size) {
            entry_problem(&rep, e->name,
                          "the entry declares %llu bytes once uncompressed, over the limit of "
                          "%llu bytes; if the template is genuine, raise the limit with "
                          "--max-entry-size",
                          (unsigned long long)e->size, (unsigned long long)lim->max_entry_size);
            ok = false;
        }
        total = add_saturated(total, e->size);
        comp_total = add_saturated(comp_total, e->comp_size);
    }

    qsort(r->by_name, r->count, sizeof *r->by_name, by_name_cmp);
    for (size_t i = 0; i + 1 < r->count;) {
        size_t same = 1;
        while (i + same < r->count && strcmp(r->by_name[i]->name, r->by_name[i + same]->name) == 0)
            same++;
        if (same > 1) {
            entry_problem(&rep, r->by_name[i]->name,
                          "the package holds %zu entries with this name; " CRAFTED, same);
            ok = false;
        }
        i += same;
    }

    /* One message for a whole locked package, not one per entry. */
    if (r->allow_encrypted && !r->has_password && locked) {
        diag_error(d, (diag_place){.file = r->file},
                   "the package is encrypted (%zu of its %zu entries); give its password in "
                   "the environment variable CASEPACK_PASSWORD or with --password-file FILE",
                   locked, r->count);
        ok = false;
    }
    if (rep.found > MAX_ENTRY_REPORTS)
        diag_error(d, (diag_place){.file = r->file},
                   "%zu more problems with entries of this package are not listed",
                   rep.found - MAX_ENTRY_REPORTS);
    if (total > lim->max_total_size) {
        diag_error(d, (diag_place){.file = r->file},
                   "the entries declare %llu bytes in all once uncompressed, over the limit of "
                   "%llu bytes; if the template is genuine, raise the limit with "
                   "--max-total-size",
                   (unsigned long long)total, (unsigned long long)lim->max_total_size);
        ok = false;
    }
    /* Entries whose compressed data add up to more than the file must share
     * bytes: the overlapping-entries zip bomb. Rejecting it also bounds the
     * raw copies kept for zipio_add_copy by the size of the file. */
    if (ok && comp_total > r->n) {
        diag_error(d, (diag_place){.file = r->file},
                   "the entries' compressed data add up to more than the file itself, so entries "
                   "overlap; " CRAFTED);
        ok = false;
    }
    return ok;
}

static void report_read_error(const zipio_reader *r, const zipio_entry *e, diag *d,
                              zip_error_t *ze)
{
    diag_place at = entry_place(r, e->name);
    switch (zip_error_code_zip(ze)) {
    case ZIP_ER_NOPASSWD:
    case ZIP_ER_WRONGPASSWD:
        diag_error(d, at,
                   "the password does not open this entry; check the password given in "
                   "CASEPACK_PASSWORD or --password-file");
        break;
    case ZIP_ER_CRC:
        diag_error(d, at,
                   "the entry is damaged (its checksum does not match its contents); " RESAVE);
        break;
    case ZIP_ER_COMPNOTSUPP:
        diag_error(d, at,
                   "the entry is compressed with a method casepack cannot read (number %d); "
                   RESAVE,
                   e->method);
        break;
    default: {
        char *why = reason_text(ze);
        diag_error(d, at,
                   "the entry cannot be read: %s; the file may be truncated or damaged "
                   "\xE2\x80\x94 " RESAVE,
                   why);
        free(why);
        break;
    }
    }
}

/* Copies every entry's compressed bytes out of the package (see
 * zipio_reader.raw). Nothing is inflated here. */
static bool keep_raw(zipio_reader *r, diag *d)
{
    size_t total = 0;
    for (size_t i = 0; i < r->count; i++)
        total += (size_t)r->entries[i].comp_size; /* no overflow: at most r->n in all */
    r->raw = xmalloc(total);
    size_t at = 0;
    bool ok = true;
    for (size_t i = 0; i < r->count && ok; i++) {
        zipio_entry *e = &r->entries[i];
        e->raw = r->raw + at;
        if (e->comp_size == 0)
            continue;
        /* Encrypted entries are kept as stored, still encrypted: only
         * zipio_read needs the password. */
        zip_file_t *zf =
            zip_fopen_index(r->za, i, e->encrypted ? ZIP_FL_ENCRYPTED : ZIP_FL_COMPRESSED);
        if (!zf) {
            report_read_error(r, e, d, zip_get_error(r->za));
            ok = false;
            break;
        }
        zip_int64_t got = zip_fread(zf, r->raw + at, e->comp_size);
        if (got < 0)
            report_read_error(r, e, d, zip_file_get_error(zf));
        else if ((uint64_t)got != e->comp_size)
            diag_error(d, entry_place(r, e->name),
                       "the entry's compressed data end early; the file may be truncated or "
                       "damaged \xE2\x80\x94 " RESAVE);
        ok = got >= 0 && (uint64_t)got == e->comp_size;
        zip_fclose(zf);
        at += (size_t)e->comp_size;
    }
    return ok;
}

/* A wrong password is refused at open with one message: AES checks it
 * against two bytes stored with each entry, so opening the first encrypted
 * entry for reading tells. */
static bool check_password(zipio_reader *r, diag *d)
{
    for (size_t i = 0; i < r->count; i++) {
        if (!r->entries[i].encrypted)
            continue;
        zip_file_t *zf = zip_fopen_index(r->za, i, 0);
        if (zf) {
            zip_fclose(zf);
            return true;
        }
        zip_error_t *ze = zip_get_error(r->za);
        if (zip_error_code_zip(ze) == ZIP_ER_WRONGPASSWD)
            diag_error(d, (diag_place){.file = r->file},
                       "the password does not open the package; check the password given in "
                       "CASEPACK_PASSWORD or --password-file");
        else
            report_read_error(r, &r->entries[i], d, ze);
        return false;
    }
    return true;
}

/* Opens the package in bytes[0..n), which the reader takes over. With
 * allow_encrypted, encrypted entries are accepted and read with password
 * (NULL: refused, asking for one). */
static zipio_reader *open_owned(unsigned char *bytes, size_t n, const char *file,
                                const zipio_limits *lim, bool allow_encrypted,
                                const char *password, diag *d)
{
    zipio_limits defaults = zipio_default_limits();
    if (!lim)
        lim = &defaults;
    zipio_reader *r = xcalloc(1, sizeof *r);
    r->bytes = bytes;
    r->n = n;
    r->file = file ? xstrdup(file) : NULL;
    r->allow_encrypted = allow_encrypted;
    r->has_password = password != NULL;

    zip_error_t ze;
    zip_error_init(&ze);
    if (n == 0) {
        /* libzip would open an empty file as an empty archive. */
        report_not_a_zip(d, file, "the file is empty");
        goto fail;
    }
    zip_source_t *src = zip_source_buffer_create(bytes, n, 0, &ze);
    if (!src) {
        char *why = reason_text(&ze);
        report_not_a_zip(d, file, why);
        free(why);
        goto fail;
    }
    /* No ZIP_CHECKCONS: it refuses some packages that Word and LibreOffice
     * accept, and what it guards against is checked here instead (sizes
     * while inflating, names from the central directory that libzip uses). */
    r->za = zip_open_from_source(src, ZIP_RDONLY, &ze);
    if (!r->za) {
        zip_source_free(src);
        char *why = reason_text(&ze);
        report_not_a_zip(d, file, why);
        free(why);
        goto fail;
    }
    if (password && zip_set_default_password(r->za, password) < 0) {
        diag_error(d, (diag_place){.file = file}, "cannot use the password: %s",
                   zip_strerror(r->za));
        goto fail;
    }
    if (!check_entries(r, lim, d) || !keep_raw(r, d) || (password && !check_password(r, d)))
        goto fail;
    zip_error_fini(&ze);
    return r;

fail:
    zip_error_fini(&ze);
    zipio_close(r);
    return NULL;
}

zipio_reader *zipio_open_memory(const void *data, size_t n, const char *file,
                                const zipio_limits *lim, diag *d)
{
    unsigned char *copy = xmalloc(n);
    if (n)
        memcpy(copy, data, n);
    return open_owned(copy, n, file, lim, false, NULL, d);
}

static zipio_reader *open_file(const char *path, const zipio_limits *lim, bool allow_encrypted,
                               const char *password, diag *d, int *io_error)
{
    zipio_limits defaults = zipio_default_limits();
    if (!lim)
        lim = &defaults;
    if (io_error)
        *io_error = 0;
    /* A package larger than the inflated total it may hold is refused before
     * it is read whole into memory. */
    size_t cap = lim->max_total_size > SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t)lim->max_total_size;
    buf b = {0};
    int err = util_read_file(path, &b, cap ? cap : 1);
    if (err == EFBIG) {
        diag_error(d, (diag_place){.file = path},
                   "the file is larger than the limit of %llu bytes; if the template is genuine, "
                   "raise the limit with --max-total-size",
                   (unsigned long long)lim->max_total_size);
        buf_free(&b);
        return NULL;
    }
    if (err) {
        diag_error(d, (diag_place){.file = path}, "cannot read the file: %s", strerror(err));
        if (io_error)
            *io_error = err;
        buf_free(&b);
        return NULL;
    }
    size_t n = b.len;
    return open_owned((unsigned char *)buf_steal(&b), n, path, lim, allow_encrypted, password, d);
}

zipio_reader *zipio_open_file(const char *path, const zipio_limits *lim, diag *d, int *io_error)
{
    return open_file(path, lim, false, NULL, d, io_error);
}

zipio_reader *zipio_open_file_password(const char *path, const char *password,
                                       const zipio_limits *lim, diag *d, int *io_error)
{
    return open_file(path, lim, true, password, d, io_error);
}

void zipio_close(zipio_reader *r)
{
    if (!r)
        return;
    if (r->za)
        zip_discard(r->za);
    for (size_t i = 0; i < r->count; i++)
        free(r->entries[i].name);
    free(r->entries);
    free(r->by_name);
    free(r->raw);
    free(r->bytes);
    free(r->file);
    free(r);
}

size_t zipio_count(const zipio_reader *r)
{
    return r->count;
}

const char *zipio_name(const zipio_reader *r, size_t i)
{
    return i < r->count ? r->entries[i].name : NULL;
}

static int find_cmp(const void *key, const void *elem)
{
    return strcmp((const char *)key, (*(zipio_entry *const *)elem)->name);
}

long zipio_find(const zipio_reader *r, const char *name)
{
    zipio_entry **hit = bsearch(name, r->by_name, r->count, sizeof *r->by_name, find_cmp);
    return hit ? (long)(*hit - r->entries) : -1;
}

/* The limits need no second check while inflating: at open every declared
 * size was held to --max-entry-size and their sum to --max-total-size, and
 * here no entry may grow one byte past its declared size. That stops a bomb
 * whose headers lie after (declared size + 1) bytes, not after the limit. */
bool zipio_read(zipio_reader *r, size_t i, buf *out, diag *d)
{
    if (i >= r->count) {
        diag_error(d, (diag_place){.file = r->file},
                   "internal error: the package has no entry number %zu", i + 1);
        return false;
    }
    const zipio_entry *e = &r->entries[i];
    size_t start = out->len;
    uint64_t got = 0;
    bool ok = false;
    zip_file_t *zf = zip_fopen_index(r->za, i, 0);
    if (!zf) {
        report_read_error(r, e, d, zip_get_error(r->za));
        goto done;
    }
    for (;;) {
        uint64_t left = e->size - got;
        size_t want = (size_t)(left < READ_CHUNK ? left + 1 : READ_CHUNK);
        buf_grow(out, want);
        zip_int64_t k = zip_fread(zf, out->data + out->len, want);
        if (k < 0) {
            report_read_error(r, e, d, zip_file_get_error(zf));
            goto done;
        }
        if (k == 0)
            break;
        out->len += (size_t)k;
        got += (uint64_t)k;
        if (got > e->size) {
            diag_error(d, entry_place(r, e->name),
                       "the entry inflates to more than the %llu bytes its header declares, so "
                       "reading stopped (a zip bomb lies about sizes); " CRAFTED,
                       (unsigned long long)e->size);
            goto done;
        }
    }
    if (got != e->size) {
        diag_error(d, entry_place(r, e->name),
                   "the entry inflates to %llu bytes but its header declares %llu; the file is "
                   "damaged \xE2\x80\x94 " RESAVE,
                   (unsigned long long)got, (unsigned long long)e->size);
        goto done;
    }
    ok = true;

done:
    if (zf)
        zip_fclose(zf);
    if (!ok)
        out->len = start;
    if (out->data)
        out->data[out->len] = '\0';
    return ok;
}

/* ---- writing ---- */

/* An entry waiting in a writer. Its bytes are either final (compressed or
 * stored as they go into the archive: raw) or, in an encrypted archive,
 * plain bytes that libzip compresses and encrypts at the end. */
typedef struct wentry {
    char *name;
    uint16_t method;           /* ZIP_CM_*, of the bytes in the archive */
    uint32_t crc;              /* of the uncompressed bytes */
    uint64_t size, comp_size;  /* uncompressed; as stored in the archive */
    const unsigned char *data; /* comp_size bytes (plain: size bytes) */
    uint64_t offset;           /* of its local header, once laid out */
    unsigned char *owned;      /* data, when the writer owns it */
    bool plain;                /* encrypted archives only: data are uncompressed */
    int level;                 /* plain: deflate level, 0 for libzip's default */
} wentry;

struct zipio_writer {
    time_t mtime;
    uint16_t dos_time, dos_date; /* mtime in UTC, as the archive's headers store it */
    diag *problems;              /* from adding entries, reported by zipio_writer_finish */
    char *password;              /* NULL: entries are not encrypted */
    bool finished;
    wentry *entries;
    size_t count, cap;
};

/* DOS date and time fields for t in UTC, held to the range they can show
 * (1980-01-01 to 2107-12-31). */
static void dos_stamp(time_t t, uint16_t *dos_time, uint16_t *dos_date)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year < 80) {
        *dos_time = 0;
        *dos_date = (1 << 5) | 1;
        return;
    }
    if (tm.tm_year > 207) {
        *dos_time = (uint16_t)((23 << 11) | (59 << 5) | 29);
        *dos_date = (uint16_t)((127 << 9) | (12 << 5) | 31);
        return;
    }
    int sec = tm.tm_sec > 59 ? 59 : tm.tm_sec;
    *dos_time = (uint16_t)((tm.tm_hour << 11) | (tm.tm_min << 5) | (sec / 2));
    *dos_date = (uint16_t)(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
}

/* The errno behind a libzip error: the system's own when libzip has one,
 * ENOMEM for its allocation failures, EIO for the rest. */
static int zip_errno(zip_error_t *ze)
{
    if (zip_error_system_type(ze) == ZIP_ET_SYS && zip_error_code_system(ze) > 0)
        return zip_error_code_system(ze);
    return zip_error_code_zip(ze) == ZIP_ER_MEMORY ? ENOMEM : EIO;
}

zipio_writer *zipio_writer_new(time_t mtime)
{
    zipio_writer *w = xcalloc(1, sizeof *w);
    w->mtime = mtime;
    w->problems = diag_new();
    dos_stamp(mtime, &w->dos_time, &w->dos_date);
    return w;
}

void zipio_writer_free(zipio_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->count; i++) {
        free(w->entries[i].name);
        free(w->entries[i].owned);
    }
    free(w->entries);
    diag_free(w->problems);
    free(w->password);
    free(w);
}

void zipio_writer_set_password(zipio_writer *w, const char *password)
{
    if (w->count) {
        diag_error(w->problems, (diag_place){0},
                   "internal error: the archive's password is set after its first entry");
        return;
    }
    free(w->password);
    w->password = password ? xstrdup(password) : NULL;
}

/* A new entry at the end of w, or NULL when nothing more may be added. */
static wentry *writer_push(zipio_writer *w, const char *name)
{
    if (w->finished)
        return NULL;
    if (strlen(name) > 0xFFFF) {
        diag_error(w->problems, (diag_place){.part = diag_quote(name, 60)},
                   "internal error: an entry name longer than a zip archive can hold");
        return NULL;
    }
    if (w->count == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 16;
        w->entries = xrealloc(w->entries, w->cap * sizeof *w->entries);
    }
    wentry *e = &w->entries[w->count++];
    *e = (wentry){.name = xstrdup(name)};
    return e;
}

/* The entry's bytes become a copy of p[0..n), which the writer owns. */
static void take_copy(wentry *e, const void *p, size_t n)
{
    e->owned = xmalloc(n ? n : 1);
    if (n)
        memcpy(e->owned, p, n);
    e->data = e->owned;
}

/* Makes data[0..n) a new entry's bytes: stored, or deflated raw (no zlib
 * header) at level (0: zlib's default); one that would not shrink is stored
 * instead. */
static void compress_into(wentry *e, const void *data, size_t n, bool store, int level)
{
    e->size = n;
    e->crc = (uint32_t)crc32_z(0, data, n);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (n && !store && deflateInit2(&zs, level > 0 && level <= 9 ? level : Z_DEFAULT_COMPRESSION,
                          Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK) {
        uLong bound = deflateBound(&zs, (uLong)n);
        unsigned char *out = xmalloc(bound ? bound : 1);
        zs.next_in = (Bytef *)data;
        zs.next_out = out;
        /* deflateBound is for one call, but zlib counts in unsigned int:
         * feed it in pieces that fit. */
        size_t in_left = n, out_left = bound;
        int rc = Z_OK;
        while (rc == Z_OK) {
            uInt in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
            uInt out_avail = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
            zs.avail_in = in;
            zs.avail_out = out_avail;
            rc = deflate(&zs, in == in_left ? Z_FINISH : Z_NO_FLUSH);
            in_left -= in - zs.avail_in;
            out_left -= out_avail - zs.avail_out;
        }
        deflateEnd(&zs);
        if (rc == Z_STREAM_END && bound - out_left < n) {
            e->method = ZIP_CM_DEFLATE;
            e->comp_size = bound - out_left;
            e->owned = out;
            e->data = out;
            return;
        }
        free(out);
    }
    e->method = ZIP_CM_STORE;
    e->comp_size = n;
    take_copy(e, data, n);
}

void zipio_add(zipio_writer *w, const char *name, const void *data, size_t n, bool store,
               int level)
{
    wentry *e = writer_push(w, name);
    if (!e)
        return;
    if (w->password) {
        /* libzip compresses, then encrypts, at the end. */
        e->plain = true;
        e->method = store ? ZIP_CM_STORE : ZIP_CM_DEFLATE;
        e->level = store ? 0 : level;
        e->size = n;
        take_copy(e, data, n);
    } else {
        compress_into(e, data, n, store, level);
    }
}

void zipio_add_deflated(zipio_writer *w, const char *name, const void *deflated, size_t n,
                        uint32_t crc, uint64_t size)
{
    wentry *e = writer_push(w, name);
    if (!e)
        return;
    e->method = ZIP_CM_DEFLATE;
    e->crc = crc;
    e->size = size;
    e->comp_size = n;
    take_copy(e, deflated, n);
}

void zipio_add_copy(zipio_writer *w, zipio_reader *r, size_t i)
{
    if (w->finished)
        return;
    if (i >= r->count) {
        diag_error(w->problems, (diag_place){.file = r->file},
                   "internal error: the package has no entry number %zu", i + 1);
        return;
    }
    const zipio_entry *src = &r->entries[i];
    if (src->encrypted) {
        diag_error(w->problems, entry_place(r, src->name),
                   "internal error: an encrypted entry cannot be copied into another archive");
        return;
    }
    wentry *e = writer_push(w, src->name);
    if (!e)
        return;
    /* Borrowed: the reader outlives the writer's finish. Whatever the
     * method, the bytes go out as they came in. */
    e->method = (uint16_t)src->method;
    e->crc = src->crc;
    e->size = src->size;
    e->comp_size = src->comp_size;
    e->data = src->raw;
}

static uint16_t get16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

#define U32_FULL 0xFFFFFFFFu

/* Little-endian fields; each returns the byte after the one it wrote. */
static unsigned char *put_u16(unsigned char *p, uint64_t v)
{
    p[0] = (unsigned char)(v & 0xFF);
    p[1] = (unsigned char)((v >> 8) & 0xFF);
    return p + 2;
}

static unsigned char *put_u32(unsigned char *p, uint64_t v)
{
    return put_u16(put_u16(p, v & 0xFFFF), (v >> 16) & 0xFFFF);
}

static unsigned char *put_u64(unsigned char *p, uint64_t v)
{
    return put_u32(put_u32(p, v & U32_FULL), v >> 32);
}

/* The local header offset of the central directory record c (whose extra
 * field the caller has bounds-checked), looking in its zip64 extra field when
 * the fixed field is full. */
static bool local_offset(const unsigned char *c, uint64_t *off)
{
    *off = get32(c + 42);
    if (*off != 0xFFFFFFFF)
        return true;
    size_t name_len = get16(c + 28), extra_len = get16(c + 30);
    const unsigned char *x = c + 46 + name_len, *end = x + extra_len;
    while (end - x >= 4) {
        uint16_t id = get16(x), len = get16(x + 2);
        if (len > end - x - 4)
            return false;
        if (id == 0x0001) {
            /* The zip64 fields come in a fixed order, each only when its
             * fixed field is full: uncompressed size, compressed size, offset. */
            size_t skip = (get32(c + 24) == 0xFFFFFFFF ? 8 : 0) +
                          (get32(c + 20) == 0xFFFFFFFF ? 8 : 0);
            if ((size_t)len < skip + 8)
                return false;
            *off = get64(x + 4 + skip);
            return true;
        }
        x += 4 + len;
    }
    return false;
}

/* Writes the DOS time and date into every local and central header of the
 * archive z[0..n) that libzip has just written. libzip converts timestamps
 * with the machine's time zone, and DOS fields carry no zone, so its output
 * would differ between machines (and shift by an hour inside a daylight-
 * saving gap); reproducible packages store UTC instead. */
static bool stamp_times(unsigned char *z, size_t n, uint16_t dos_time, uint16_t dos_date)
{
    if (n < 22 || get32(z + n - 22) != 0x06054b50)
        return false;
    const unsigned char *eocd = z + n - 22;
    uint64_t count = get16(eocd + 10), pos = get32(eocd + 16);
    if (count == 0xFFFF || pos == 0xFFFFFFFF) {
        if (n < 22 + 20 || get32(eocd - 20) != 0x07064b50)
            return false;
        uint64_t z64 = get64(eocd - 20 + 8);
        if (z64 > n || n - z64 < 56 || get32(z + z64) != 0x06064b50)
            return false;
        count = get64(z + z64 + 32);
        pos = get64(z + z64 + 48);
    }
    for (uint64_t k = 0; k < count; k++) {
        if (pos > n || n - pos < 46 || get32(z + pos) != 0x02014b50)
            return false;
        unsigned char *c = z + pos;
        size_t rec_len = 46 + (size_t)get16(c + 28) + get16(c + 30) + get16(c + 32);
        uint64_t local;
        if (n - pos < rec_len || !local_offset(c, &local))
            return false;
        if (local > n || n - local < 30 || get32(z + local) != 0x04034b50)
            return false;
        put_u16(c + 12, dos_time);
        put_u16(c + 14, dos_date);
        put_u16(z + local + 10, dos_time);
        put_u16(z + local + 12, dos_date);
        pos += rec_len;
    }
    return true;
}

/* ---- the archive, written by casepack ----
 *
 * An unencrypted archive is laid out here rather than by libzip: every
 * entry's bytes are final when it is added (copied raw, deflated once at
 * compile time, or deflated on adding), so what is left is headers, and a
 * bulk run writes ten thousand archives. Zip64 fields (APPNOTE 4.5.3) appear
 * only where a size, an offset or the entry count overflows its field. */

/* The general-purpose flags: bit 11 when the name is not plain ASCII (it is
 * UTF-8, as every name casepack writes). */
static uint16_t entry_flags(const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p >= 0x80)
            return 1u << 11;
    return 0;
}

/* Version needed to extract: 2.0 for deflate, 4.5 with zip64 fields, 6.3
 * for the methods that came later (a copied entry keeps its method). */
static uint16_t entry_version(const wentry *e, bool zip64)
{
    if (e->method != ZIP_CM_STORE && e->method != ZIP_CM_DEFLATE)
        return 63;
    return zip64 ? 45 : 20;
}

/* The zip64 extra field's size in a central record: 8 bytes per overflowing
 * field, plus its 4-byte header; 0 when nothing overflows. */
static size_t central_extra(const wentry *e, uint64_t offset)
{
    size_t n = (e->size >= U32_FULL ? 8 : 0) + (e->comp_size >= U32_FULL ? 8 : 0) +
               (offset >= U32_FULL ? 8 : 0);
    return n ? n + 4 : 0;
}

static bool local_zip64(const wentry *e)
{
    return e->size >= U32_FULL || e->comp_size >= U32_FULL;
}

/* Appends the archive to out; false when it would not fit in memory. */
static bool finish_plain(zipio_writer *w, buf *out)
{
    /* Sizes first, so the archive is one allocation. */
    size_t total = 22, central = 0;
    uint64_t offset = 0;
    for (size_t i = 0; i < w->count; i++) {
        wentry *e = &w->entries[i];
        size_t name = strlen(e->name);
        e->offset = offset;
        central += 46 + name + central_extra(e, offset);
        offset += 30 + name + (local_zip64(e) ? 20 : 0) + e->comp_size;
    }
    bool zip64_end = w->count >= 0xFFFF || offset >= U32_FULL || central >= U32_FULL;
    if (offset > SIZE_MAX / 2 || central > SIZE_MAX / 4)
        return false;
    total += (size_t)offset + central + (zip64_end ? 56 + 20 : 0);
    buf_grow(out, total);
    unsigned char *start = (unsigned char *)out->data + out->len, *p = start;

    for (size_t i = 0; i < w->count; i++) {
        const wentry *e = &w->entries[i];
        size_t name = strlen(e->name);
        bool z64 = local_zip64(e);
        p = put_u32(p, 0x04034b50);
        p = put_u16(p, entry_version(e, z64));
        p = put_u16(p, entry_flags(e->name));
        p = put_u16(p, e->method);
        p = put_u16(p, w->dos_time);
        p = put_u16(p, w->dos_date);
        p = put_u32(p, e->crc);
        p = put_u32(p, z64 ? U32_FULL : e->comp_size);
        p = put_u32(p, z64 ? U32_FULL : e->size);
        p = put_u16(p, name);
        p = put_u16(p, z64 ? 20 : 0);
        memcpy(p, e->name, name);
        p += name;
        if (z64) {
            p = put_u16(p, 0x0001);
            p = put_u16(p, 16);
            p = put_u64(p, e->size);
            p = put_u64(p, e->comp_size);
        }
        if (e->comp_size)
            memcpy(p, e->data, (size_t)e->comp_size);
        p += e->comp_size;
    }

    uint64_t cd_start = (uint64_t)(p - start);
    for (size_t i = 0; i < w->count; i++) {
        const wentry *e = &w->entries[i];
        uint64_t local = e->offset;
        size_t name = strlen(e->name), extra = central_extra(e, local);
        p = put_u32(p, 0x02014b50);
        p = put_u16(p, (3u << 8) | 63); /* made by: Unix, APPNOTE 6.3 */
        p = put_u16(p, entry_version(e, extra > 0));
        p = put_u16(p, entry_flags(e->name));
        p = put_u16(p, e->method);
        p = put_u16(p, w->dos_time);
        p = put_u16(p, w->dos_date);
        p = put_u32(p, e->crc);
        p = put_u32(p, e->comp_size >= U32_FULL ? U32_FULL : e->comp_size);
        p = put_u32(p, e->size >= U32_FULL ? U32_FULL : e->size);
        p = put_u16(p, name);
        p = put_u16(p, extra);
        p = put_u16(p, 0); /* comment */
        p = put_u16(p, 0); /* disk */
        p = put_u16(p, 0); /* internal attributes */
        p = put_u32(p, (uint64_t)0100644 << 16); /* a regular file, rw-r--r-- */
        p = put_u32(p, local >= U32_FULL ? U32_FULL : local);
        memcpy(p, e->name, name);
        p += name;
        if (extra) {
            p = put_u16(p, 0x0001);
            p = put_u16(p, extra - 4);
            if (e->size >= U32_FULL)
                p = put_u64(p, e->size);
            if (e->comp_size >= U32_FULL)
                p = put_u64(p, e->comp_size);
            if (local >= U32_FULL)
                p = put_u64(p, local);
        }
    }

    uint64_t cd_size = (uint64_t)(p - start) - cd_start;
    if (zip64_end) {
        uint64_t record = (uint64_t)(p - start);
        p = put_u32(p, 0x06064b50);
        p = put_u64(p, 44); /* the record's size after this field */
        p = put_u16(p, (3u << 8) | 63);
        p = put_u16(p, 45);
        p = put_u32(p, 0); /* this disk */
        p = put_u32(p, 0); /* the central directory's disk */
        p = put_u64(p, w->count);
        p = put_u64(p, w->count);
        p = put_u64(p, cd_size);
        p = put_u64(p, cd_start);
        p = put_u32(p, 0x07064b50); /* the locator */
        p = put_u32(p, 0);
        p = put_u64(p, record);
        p = put_u32(p, 1); /* disks in all */
    }
    uint64_t count = w->count >= 0xFFFF ? 0xFFFF : w->count;
    p = put_u32(p, 0x06054b50);
    p = put_u16(p, 0);
    p = put_u16(p, 0);
    p = put_u16(p, count);
    p = put_u16(p, count);
    p = put_u32(p, cd_size >= U32_FULL ? U32_FULL : cd_size);
    p = put_u32(p, cd_start >= U32_FULL ? U32_FULL : cd_start);
    p = put_u16(p, 0); /* comment */
    if ((size_t)(p - start) != total)
        abort(); /* the sizes above and the bytes written disagree: a bug */
    out->len += total;
    out->data[out->len] = '\0';
    return true;
}

/* ---- the archive, encrypted by libzip ---- */

/* A libzip source serving an entry's final bytes (already compressed, or
 * stored) with their stat, so zip_close writes them as they are. */
typedef struct raw_source {
    const wentry *e;
    uint64_t pos;
    zip_error_t error;
} raw_source;

static zip_int64_t raw_source_call(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
    raw_source *s = ud;
    switch (cmd) {
    case ZIP_SOURCE_OPEN:
        s->pos = 0;
        return 0;
    case ZIP_SOURCE_READ: {
        uint64_t left = s->e->comp_size - s->pos;
        if (len > left)
            len = left;
        if (len)
            memcpy(data, s->e->data + s->pos, (size_t)len);
        s->pos += len;
        return (zip_int64_t)len;
    }
    case ZIP_SOURCE_CLOSE:
        return 0;
    case ZIP_SOURCE_STAT: {
        zip_stat_t *st = data;
        zip_stat_init(st);
        st->valid = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD | ZIP_STAT_CRC |
                    ZIP_STAT_ENCRYPTION_METHOD;
        st->size = s->e->size;
        st->comp_size = s->e->comp_size;
        st->comp_method = s->e->method;
        st->crc = s->e->crc;
        st->encryption_method = ZIP_EM_NONE;
        return sizeof *st;
    }
    case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&s->error, data, len);
    case ZIP_SOURCE_FREE:
        zip_error_fini(&s->error);
        free(s);
        return 0;
    case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
                                              ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
                                              -1);
    default:
        zip_error_set(&s->error, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
}

/* The source for entry e: its plain bytes for libzip to compress, or its
 * final bytes as they are. Borrowed: e outlives zip_close. */
static zip_source_t *entry_source(const wentry *e, zip_error_t *ze)
{
    if (e->plain || e->method == ZIP_CM_STORE)
        return zip_source_buffer_create(e->data, e->plain ? e->size : e->comp_size, 0, ze);
    raw_source *s = xcalloc(1, sizeof *s);
    s->e = e;
    zip_error_init(&s->error);
    zip_source_t *src = zip_source_function_create(raw_source_call, s, ze);
    if (!src)
        free(s);
    return src;
}

static bool add_encrypted(zip_t *za, const wentry *e, time_t mtime, const char *password,
                          diag *d)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = entry_source(e, &ze);
    zip_int64_t idx = src ? zip_file_add(za, e->name, src, ZIP_FL_ENC_UTF_8) : -1;
    if (src && idx < 0)
        zip_source_free(src);
    zip_error_t *why = src ? zip_get_error(za) : &ze;
    /* ZIP_CM_DEFAULT keeps what a raw source is: its compressed bytes pass
     * through untouched. */
    bool ok = idx >= 0 &&
              (!e->plain || zip_set_file_compression(za, (zip_uint64_t)idx, e->method,
                                                     (zip_uint32_t)e->level) == 0) &&
              zip_file_set_mtime(za, (zip_uint64_t)idx, mtime, 0) == 0 &&
              zip_file_set_encryption(za, (zip_uint64_t)idx, ZIP_EM_AES_256, password) == 0;
    if (!ok)
        diag_system_error(d, (diag_place){.part = diag_quote(e->name, strlen(e->name))},
                          zip_errno(why), "cannot add the entry to the archive: %s",
                          zip_error_strerror(why));
    zip_error_fini(&ze);
    return ok;
}

/* Reads the archive libzip wrote into src and appends it to out. */
static bool take_archive(zip_source_t *src, buf *out, diag *d)
{
    zip_stat_t st;
    if (zip_source_stat(src, &st) < 0 || !(st.valid & ZIP_STAT_SIZE) || st.size > SIZE_MAX / 2) {
        diag_system_error(d, (diag_place){0}, zip_errno(zip_source_error(src)),
                          "cannot write the zip archive: %s",
                          zip_error_strerror(zip_source_error(src)));
        return false;
    }
    size_t start = out->len;
    buf_grow(out, (size_t)st.size);
    zip_int64_t got = -1;
    if (zip_source_open(src) == 0) {
        got = zip_source_read(src, out->data + start, st.size);
        zip_source_close(src);
    }
    if (got < 0 || (uint64_t)got != st.size) {
        diag_system_error(d, (diag_place){0}, zip_errno(zip_source_error(src)),
                          "cannot write the zip archive: %s",
                          zip_error_strerror(zip_source_error(src)));
        out->data[start] = '\0';
        return false;
    }
    out->len += (size_t)st.size;
    out->data[out->len] = '\0';
    return true;
}

/* libzip draws each entry's salt and encrypts it with AES-256. */
static bool finish_encrypted(zipio_writer *w, buf *out, diag *d)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = NULL;
    if (src) {
        zip_source_keep(src);
        za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    }
    if (!za) {
        diag_system_error(d, (diag_place){0}, zip_errno(&ze), "cannot start a zip archive: %s",
                          zip_error_strerror(&ze));
        zip_error_fini(&ze);
        zip_source_free(src);
        return false;
    }
    zip_error_fini(&ze);
    bool ok = true;
    for (size_t i = 0; ok && i < w->count; i++)
        ok = add_encrypted(za, &w->entries[i], w->mtime, w->password, d);
    if (!ok) {
        zip_discard(za);
        zip_source_free(src);
        return false;
    }
    /* The archive is built in memory, so nothing here is the input's fault:
     * a failure is the system's (memory, a write inside libzip). */
    if (zip_close(za) < 0) {
        diag_system_error(d, (diag_place){0}, zip_errno(zip_get_error(za)),
                          "cannot write the zip archive (zip_close): %s", zip_strerror(za));
        zip_discard(za);
        zip_source_free(src);
        return false;
    }
    size_t start = out->len;
    ok = take_archive(src, out, d);
    zip_source_free(src);
    if (ok && !stamp_times((unsigned char *)out->data + start, out->len - start, w->dos_time,
                           w->dos_date)) {
        diag_error(d, (diag_place){0},
                   "internal error: libzip wrote a zip archive casepack cannot stamp with its "
                   "timestamps");
        out->len = start;
        out->data[start] = '\0';
        ok = false;
    }
    return ok;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Two entries of one name would leave readers to pick one: refused. */
static bool names_unique(const zipio_writer *w, diag *d)
{
    if (w->count < 2)
        return true;
    char **names = xmalloc(w->count * sizeof *names);
    for (size_t i = 0; i < w->count; i++)
        names[i] = w->entries[i].name;
    qsort(names, w->count, sizeof *names, by_string);
    bool ok = true;
    for (size_t i = 1; i < w->count; i++)
        if (strcmp(names[i - 1], names[i]) == 0 && (i < 2 || strcmp(names[i - 2], names[i]))) {
            diag_error(d, (diag_place){.part = diag_quote(names[i], strlen(names[i]))},
                       "internal error: the entry is added twice to the same archive");
            ok = false;
        }
    free(names);
    return ok;
}

bool zipio_writer_finish(zipio_writer *w, buf *out, diag *d)
{
    if (w->finished) {
        diag_error(d, (diag_place){0}, "internal error: the zip archive was already finished");
        return false;
    }
    w->finished = true;
    if (diag_error_count(w->problems)) {
        diag_take(d, w->problems);
        return false;
    }
    if (!names_unique(w, d))
        return false;
    if (w->password && w->count)
        return finish_encrypted(w, out, d);
    if (!finish_plain(w, out)) {
        diag_error(d, (diag_place){0},
                   "internal error: the zip archive is larger than this machine can address");
        return false;
    }
    return true;
}
