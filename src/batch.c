/* batch.c: the bulk stage. Many records through one compiled template (a
 * document each) or one kit (a package each). Owns the record sources (CSV
 * streamed, YAML/JSON lists, folders of case files), output names (safe,
 * collision-free in record order), shards, the hearing-date window, the
 * worker pool with its ordered reporting, the journal that makes a killed
 * run resumable, progress, the summary and report.json.
 *
 * The pool: the main thread reads records and hands each to a ring of
 * slots; workers take slots in order, render and write, and so does the
 * main thread while the ring is full; it reports finished slots in record
 * order, so memory stays flat whatever the number of records. */
#define _GNU_SOURCE /* syncfs, renameat2 */
#include "batch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unicode/stringoptions.h>
#include <unicode/ustring.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"

#define JOURNAL_NAME ".casepack-journal"
/* The first line of a journal; the number grows when the lines change. */
#define JOURNAL_MAGIC_STEM "casepack batch journal "
#define JOURNAL_MAGIC JOURNAL_MAGIC_STEM "2"
/* Journal entries are written within 10 ms of their document (a killed run
 * loses at most those) and made durable (fdatasync) in groups: one fsync per
 * document would cost more than rendering it (0.4 ms against 0.1 ms on the
 * bench), and resume checks every output's hash anyway, so an entry lost to
 * a power cut only means the document is made again. */
#define JOURNAL_WRITE_SECONDS 0.01
#define JOURNAL_WRITE_BYTES 4096
#define JOURNAL_SYNC_SECONDS 0.2
#define PROGRESS_SECONDS 0.1
#define MAX_PRINTED 50

/* ---- names --------------------------------------------------------------- */

static bool name_forbidden(unsigned char c)
{
    return c < 0x20 || c == 0x7F || (c && strchr("/\\:*?\"<>|", c));
}

static bool windows_device(const char *s, size_t n)
{
    static const char *const devices[] = {"CON", "PRN", "AUX", "NUL"};
    for (size_t i = 0; i < 4; i++)
        if (n == 3 && strncasecmp(s, devices[i], 3) == 0)
            return true;
    return n == 4 && (strncasecmp(s, "COM", 3) == 0 || strncasecmp(s, "LPT", 3) == 0) &&
           s[3] >= '1' && s[3] <= '9';
}

static void trim_name(buf *b)
{
    size_t start = 0;
    while (start < b->len && (b->data[start] == ' ' || b->data[start] == '.'))
        start++;
    size_t end = b->len;
    while (end > start && (b->data[end - 1] == ' ' || b->data[end - 1] == '.'))
        end--;
    memmove(b->data, b->data + start, end - start);
    b->len = end - start;
    b->data[b->len] = '\0';
}

char *batch_safe_name(const char *s, size_t n)
{
    buf b = {0};
    buf_grow(&b, n + 2);
    bool replaced = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        /* C1 controls are two bytes in UTF-8: C2 80 to C2 9F. */
        bool c1 = c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
                  (unsigned char)s[i + 1] <= 0x9F;
        if (name_forbidden(c) || c1) {
            if (!replaced)
                buf_addc(&b, '_');
            replaced = true;
            i += c1;
            continue;
        }
        replaced = false;
        buf_addc(&b, (char)c);
    }
    trim_name(&b);
    if (b.len > BATCH_NAME_MAX) {
        size_t cut = BATCH_NAME_MAX;
        while (cut > 0 && ((unsigned char)b.data[cut] & 0xC0) == 0x80)
            cut--;
        b.len = cut;
        b.data[cut] = '\0';
        trim_name(&b);
    }
    size_t stem = strcspn(b.data, ".");
    if (windows_device(b.data, stem)) {
        buf tail = {0};
        buf_adds(&tail, b.data + stem);
        b.len = stem;
        buf_addc(&b, '_');
        buf_add(&b, tail.data ? tail.data : "", tail.len);
        buf_free(&tail);
    }
    return buf_steal(&b);
}

typedef struct name_slot {
    char *folded; /* NULL: empty */
    size_t number;
} name_slot;

struct batch_names {
    name_slot *slots;
    size_t n, cap;
};

batch_names *batch_names_new(void)
{
    batch_names *ns = xcalloc(1, sizeof *ns);
    ns->cap = 64;
    ns->slots = xcalloc(ns->cap, sizeof *ns->slots);
    return ns;
}

void batch_names_free(batch_names *ns)
{
    if (!ns)
        return;
    for (size_t i = 0; i < ns->cap; i++)
        free(ns->slots[i].folded);
    free(ns->slots);
    free(ns);
}

static size_t fnv(const char *s)
{
    size_t h = 1469598103934665603ULL & SIZE_MAX;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
    return h;
}

static name_slot *names_find(const batch_names *ns, const char *folded)
{
    size_t i = fnv(folded) & (ns->cap - 1);
    while (ns->slots[i].folded && strcmp(ns->slots[i].folded, folded) != 0)
        i = (i + 1) & (ns->cap - 1);
    return &ns->slots[i];
}

static void names_grow(batch_names *ns)
{
    name_slot *old = ns->slots;
    size_t old_cap = ns->cap;
    ns->cap *= 2;
    ns->slots = xcalloc(ns->cap, sizeof *ns->slots);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].folded)
            *names_find(ns, old[i].folded) = old[i];
    free(old);
}

/* The name as case-insensitive file systems compare it: Unicode case
 * folding ("MÜLLER" and "müller" are one file on Windows and macOS). */
static char *fold_name(const char *s)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t n16 = 0;
    u_strFromUTF8(NULL, 0, &n16, s, -1, &err);
    err = U_ZERO_ERROR;
    UChar *u = xcalloc((size_t)n16 + 1, sizeof *u);
    UChar *f = xcalloc(2 * (size_t)n16 + 4, sizeof *f);
    u_strFromUTF8(u, n16 + 1, NULL, s, -1, &err);
    int32_t nf = U_SUCCESS(err) ? u_strFoldCase(f, 2 * n16 + 4, u, n16, U_FOLD_CASE_DEFAULT, &err)
                                : 0;
    char *out = NULL;
    if (U_SUCCESS(err)) {
        int32_t n8 = 0;
        u_strToUTF8(NULL, 0, &n8, f, nf, &err);
        err = U_ZERO_ERROR;
        out = xcalloc((size_t)n8 + 1, 1);
        u_strToUTF8(out, n8 + 1, NULL, f, nf, &err);
    }
    free(u);
    free(f);
    if (!out || U_FAILURE(err)) {
        free(out);
        out = xstrdup(s);
    }
    return out;
}

/* Adds key (taken over) unless it is there; true when it was there. */
static bool names_seen(batch_names *ns, char *key, size_t number)
{
    name_slot *slot = names_find(ns, key);
    if (slot->folded) {
        free(key);
        return true;
    }
    if (2 * (ns->n + 1) > ns->cap) {
        names_grow(ns);
        slot = names_find(ns, key);
    }
    slot->folded = key;
    slot->number = number;
    ns->n++;
    return false;
}

char *batch_names_claim(batch_names *ns, const char *stem, const char *ext, size_t number,
                        size_t *taken_by)
{
    *taken_by = 0;
    for (unsigned k = 1;; k++) {
        char *name = k == 1 ? xasprintf("%s%s%s", stem, *ext ? "." : "", ext)
                            : xasprintf("%s-%u%s%s", stem, k, *ext ? "." : "", ext);
        char *folded = fold_name(name);
        size_t holder = names_find(ns, folded)->number;
        if (!names_seen(ns, folded, number))
            return name;
        if (k == 1)
            *taken_by = holder;
        free(name);
    }
}

/* ---- shards and dates ---------------------------------------------------- */

bool batch_parse_shard(const char *s, unsigned *k, unsigned *n)
{
    char *end;
    errno = 0;
    unsigned long a = strtoul(s, &end, 10);
    if (end == s || *end != '/' || errno || s[0] == '-' || s[0] == '+')
        return false;
    const char *t = end + 1;
    unsigned long b = strtoul(t, &end, 10);
    if (end == t || *end || errno || t[0] == '-' || t[0] == '+')
        return false;
    if (a < 1 || b < 1 || a > b || b > 1000000)
        return false;
    *k = (unsigned)a;
    *n = (unsigned)b;
    return true;
}

bool batch_in_shard(size_t i, unsigned k, unsigned n)
{
    return n == 0 || i % n == (size_t)(k - 1);
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar. */
static long days_from_civil(long y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, long *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

bool batch_parse_date(const char *s, size_t n, long *days)
{
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    long y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > month_days[m - 1] + (m == 2 && leap))
        return false;
    *days = days_from_civil(y, m, d);
    return true;
}

void batch_format_date(long days, char *out)
{
    long y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%04ld-%02d-%02d", y % 10000, m, d);
    memcpy(out, tmp, 10);
    out[10] = '\0';
}

long batch_today(void)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    return days_from_civil(tm.tm_year + 1900L, tm.tm_mon + 1, tm.tm_mday);
}

/* The value at a dotted path: map keys, and list positions by number. */
static const value *value_at_path(const value *v, const char *path)
{
    const char *p = path;
    while (v && *p) {
        size_t n = strcspn(p, ".");
        if (v->kind == VALUE_MAP) {
            v = value_map_get(v, p, n);
        } else if (v->kind == VALUE_LIST && n > 0 && strspn(p, "0123456789") >= n) {
            size_t i = (size_t)strtoul(p, NULL, 10);
            v = i < v->len ? v->items[i] : NULL;
        } else {
            v = NULL;
        }
        p += n;
        if (*p == '.')
            p++;
    }
    return v;
}

batch_due batch_check_due(const value *record, const char *path, long today, long days,
                          long *date)
{
    const value *v = value_at_path(record, path);
    if (!v || v->kind == VALUE_NULL || (v->kind == VALUE_STRING && v->len == 0))
        return BATCH_NO_DATE;
    if (v->kind != VALUE_STRING && v->kind != VALUE_NUMBER)
        return BATCH_BAD_DATE;
    /* A time after the date (2025-03-04T10:00) is allowed; the day counts. */
    size_t n = v->len > 10 && v->str[10] == 'T' ? 10 : v->len;
    if (!batch_parse_date(v->str, n, date))
        return BATCH_BAD_DATE;
    if (*date < today)
        return BATCH_BEFORE;
    if (*date > today + days)
        return BATCH_AFTER;
    return BATCH_DUE;
}

/* ---- record sources ------------------------------------------------------ */

typedef enum source_kind { SOURCE_CSV, SOURCE_LIST, SOURCE_FOLDER } source_kind;

struct batch_source {
    source_kind kind;
    char *path;
    const char *file; /* interned */
    load_limits lim;
    csv_reader *csv;
    load_list_reader *list;
    char **files;
    size_t n_files;
    size_t next;   /* file to read next */
    size_t number; /* records read */
    bool counted;
    size_t count;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_case_file(const char *name)
{
    const char *ext = util_extension(name);
    return name[0] != '.' && (!strcasecmp(ext, "yaml") || !strcasecmp(ext, "yml") ||
                              !strcasecmp(ext, "json"));
}

static bool source_open_folder(batch_source *s, diag *d, int *io_error)
{
    DIR *dir = opendir(s->path);
    if (!dir) {
        *io_error = errno;
        diag_error(d, (diag_place){.file = s->path}, "cannot read the folder of records: %s",
                   strerror(errno));
        return false;
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (!is_case_file(e->d_name))
            continue;
        if (s->n_files == cap) {
            cap = cap ? cap * 2 : 64;
            s->files = xrealloc(s->files, cap * sizeof *s->files);
        }
        s->files[s->n_files++] = xstrdup(e->d_name);
    }
    closedir(dir);
    qsort(s->files, s->n_files, sizeof *s->files, by_name);
    s->counted = true;
    s->count = s->n_files;
    return true;
}

batch_source *batch_source_open(const char *path, char csv_delimiter, const load_limits *lim,
                                diag *d, int *io_error)
{
    *io_error = 0;
    batch_source *s = xcalloc(1, sizeof *s);
    s->path = xstrdup(path);
    s->file = value_intern(strcmp(path, "-") == 0 ? "<stdin>" : path);
    s->lim = lim ? *lim : load_default_limits();
    const char *ext = util_extension(path);
    struct stat st;
    bool ok;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        s->kind = SOURCE_FOLDER;
        ok = source_open_folder(s, d, io_error);
    } else if (!strcasecmp(ext, "yaml") || !strcasecmp(ext, "yml") || !strcasecmp(ext, "json")) {
        /* Read as a stream, so the number of records is not known ahead. */
        s->kind = SOURCE_LIST;
        s->list = load_list_open(path, &s->lim, d, io_error);
        ok = s->list != NULL;
    } else {
        s->kind = SOURCE_CSV;
        load_csv_options o = {.delimiter = csv_delimiter};
        if (!o.delimiter && !strcasecmp(ext, "tsv"))
            o.delimiter = '\t';
        s->csv = load_csv_open(path, &o, &s->lim, d, io_error);
        ok = s->csv != NULL;
    }
    if (!ok) {
        batch_source_close(s);
        return NULL;
    }
    return s;
}

int batch_source_next(batch_source *s, batch_record *rec, diag *d, int *io_error)
{
    memset(rec, 0, sizeof *rec);
    *io_error = 0;
    rec->file = s->file;
    switch (s->kind) {
    case SOURCE_CSV: {
        load_csv_row where = {0};
        load_csv_status st = load_csv_next(s->csv, &rec->data, &where, d, io_error);
        if (st == LOAD_CSV_END)
            return 0;
        if (st == LOAD_CSV_FAILED)
            return -1;
        rec->row = where.row;
        rec->line = where.line;
        break;
    }
    case SOURCE_LIST: {
        value *item = NULL;
        uint32_t line = 0;
        int got = load_list_next(s->list, &item, &line, d);
        if (got <= 0)
            return got;
        rec->line = line;
        if (item && item->kind != VALUE_MAP) {
            diag_error(d, (diag_place){.file = s->file, .line = item->line, .col = item->col},
                       "this record is a %s, not a map of fields (like recipient: {name: …})",
                       value_kind_name(item->kind));
            value_free(item);
        } else {
            rec->data = item;
        }
        break;
    }
    case SOURCE_FOLDER: {
        if (s->next >= s->n_files)
            return 0;
        char *full = xasprintf("%s/%s", s->path, s->files[s->next++]);
        rec->file = value_intern(full);
        rec->own_file = true;
        int err = 0;
        value *v = load_data_file(full, &s->lim, d, &err);
        if (v && v->kind != VALUE_MAP) {
            diag_error(d, (diag_place){.file = rec->file},
                       "a case file must hold one case (a map of fields), not a %s",
                       value_kind_name(v->kind));
            value_free(v);
            v = NULL;
        }
        rec->data = v;
        free(full);
        break;
    }
    }
    rec->number = ++s->number;
    return 1;
}

bool batch_source_count(batch_source *s, size_t *n)
{
    if (!s->counted && s->kind == SOURCE_CSV && strcmp(s->path, "-") != 0)
        s->counted = load_csv_count_rows(s->path, &s->count);
    *n = s->count;
    return s->counted;
}

void batch_source_close(batch_source *s)
{
    if (!s)
        return;
    load_csv_close(s->csv);
    load_list_close(s->list);
    for (size_t i = 0; i < s->n_files; i++)
        free(s->files[i]);
    free(s->files);
    free(s->path);
    free(s);
}

/* ---- the journal --------------------------------------------------------- */

/* One output of an earlier run: "NUMBER\tSIZE\tCRC32\tNAME\n". The size and
 * the CRC-32 of the whole file (as zip checks each entry) tell an output a
 * kill, a crash or a power cut left short or torn; a cryptographic hash
 * would guard against no one the journal does not already trust, and cost
 * as much as rendering the letter. */
typedef struct journal_entry {
    size_t number; /* 0: empty slot */
    size_t size;
    uint32_t crc;
    char *name;
} journal_entry;

typedef struct journal {
    char *path;
    int fd;
    buf pending;      /* entries not yet written */
    double written_at, synced_at;
    bool resumed;        /* an earlier run's journal is being continued */
    journal_entry *done; /* --resume: what the earlier run finished */
    size_t n_done, cap_done;
} journal;

static journal_entry *journal_slot(journal *j, size_t number)
{
    size_t i = (number * 11400714819323198485ULL) & (j->cap_done - 1);
    while (j->done[i].number && j->done[i].number != number)
        i = (i + 1) & (j->cap_done - 1);
    return &j->done[i];
}

static void journal_remember(journal *j, const journal_entry *e)
{
    if (2 * (j->n_done + 1) > j->cap_done) {
        journal_entry *old = j->done;
        size_t old_cap = j->cap_done;
        j->cap_done = j->cap_done ? j->cap_done * 2 : 1024;
        j->done = xcalloc(j->cap_done, sizeof *j->done);
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].number)
                *journal_slot(j, old[i].number) = old[i];
        free(old);
    }
    journal_entry *slot = journal_slot(j, e->number);
    if (slot->number) {
        free(slot->name);
        j->n_done--;
    }
    *slot = *e;
    j->n_done++;
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool journal_parse_line(const char *s, size_t n, journal_entry *e)
{
    char *line = xstrndup(s, n);
    char *tab1 = strchr(line, '\t');
    char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
    char *tab3 = tab2 ? strchr(tab2 + 1, '\t') : NULL;
    bool ok = tab3 && tab3 - tab2 == 9 && tab3[1];
    if (ok) {
        char *end;
        e->number = (size_t)strtoull(line, &end, 10);
        ok = end == tab1 && e->number > 0;
        e->size = (size_t)strtoull(tab1 + 1, &end, 10);
        ok = ok && end == tab2;
        e->crc = 0;
        for (size_t i = 0; ok && i < 8; i++) {
            int v = hex_value(tab2[1 + i]);
            ok = v >= 0;
            e->crc = e->crc << 4 | (uint32_t)(v < 0 ? 0 : v);
        }
        if (ok)
            e->name = xstrdup(tab3 + 1);
    }
    free(line);
    return ok;
}

/* Reads an earlier run's journal: checks it belongs to the same inputs, and
 * cuts off a last line the kill left half written. */
static bool journal_load(journal *j, const char *fingerprint, diag *d, int *io_error)
{
    buf b = {0};
    int err = util_read_file(j->path, &b, 0);
    if (err) {
        *io_error = err;
        diag_error(d, (diag_place){.file = j->path}, "cannot read the journal: %s",
                   strerror(err));
        buf_free(&b);
        return false;
    }
    const char *s = b.data ? b.data : "";
    const char *nl = memchr(s, '\n', b.len);
    char *want = xasprintf("%s\t%s", JOURNAL_MAGIC, fingerprint);
    bool ok = nl && (size_t)(nl - s) == strlen(want) && memcmp(s, want, strlen(want)) == 0;
    free(want);
    size_t stem = strlen(JOURNAL_MAGIC_STEM);
    if (!ok && nl && (size_t)(nl - s) > stem && memcmp(s, JOURNAL_MAGIC_STEM, stem) == 0 &&
        memcmp(s, JOURNAL_MAGIC "\t", stem + 2) != 0) {
        diag_error(d, (diag_place){.file = j->path},
                   "this journal was written by another version of casepack; finish the run "
                   "with that version, or start again in a new folder");
        buf_free(&b);
        return false;
    }
    if (!ok) {
        diag_error(d, (diag_place){.file = j->path},
                   "this journal belongs to a run with another template, other records or "
                   "other settings (or they changed since); resuming would mix the two: "
                   "finish in a new folder, or delete the folder's contents first");
        buf_free(&b);
        return false;
    }
    size_t complete = (size_t)(nl - s) + 1;
    for (size_t at = complete; at < b.len;) {
        const char *end = memchr(s + at, '\n', b.len - at);
        if (!end)
            break;
        journal_entry e = {0};
        if (journal_parse_line(s + at, (size_t)(end - s - at), &e))
            journal_remember(j, &e);
        at = (size_t)(end - s) + 1;
        complete = at;
    }
    buf_free(&b);
    if (truncate(j->path, (off_t)complete) != 0) {
        *io_error = errno;
        diag_error(d, (diag_place){.file = j->path}, "cannot repair the journal: %s",
                   strerror(errno));
        return false;
    }
    return true;
}

static bool journal_open(journal *j, const char *dir, const char *suffix, bool resume,
                         const char *fingerprint, diag *d, int *io_error)
{
    j->fd = -1;
    j->path = xasprintf("%s/%s%s", dir, JOURNAL_NAME, suffix);
    bool exists = access(j->path, F_OK) == 0;
    if (exists && !resume) {
        diag_error(d, (diag_place){.file = dir},
                   "this folder holds an earlier batch run (its journal %s%s); add --resume to "
                   "finish that run, or choose another folder",
                   JOURNAL_NAME, suffix);
        return false;
    }
    if (exists && !journal_load(j, fingerprint, d, io_error))
        return false;
    j->resumed = exists;
    j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (j->fd < 0) {
        *io_error = errno;
        diag_error(d, (diag_place){.file = j->path}, "cannot write the journal: %s",
                   strerror(errno));
        return false;
    }
    if (!exists) {
        buf_printf(&j->pending, "%s\t%s\n", JOURNAL_MAGIC, fingerprint);
    }
    return true;
}

/* Writes the pending entries (they then survive the process being killed)
 * and, with sync, makes them durable (they then survive a power cut). */
static int journal_flush(journal *j, bool sync)
{
    if (j->fd < 0)
        return 0;
    const char *p = j->pending.data;
    size_t left = j->pending.len;
    while (left) {
        ssize_t n = write(j->fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        p += n;
        left -= (size_t)n;
    }
    buf_reset(&j->pending);
    return sync && fdatasync(j->fd) != 0 ? errno : 0;
}

static void journal_close(journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    for (size_t i = 0; i < j->cap_done; i++)
        free(j->done[i].name);
    free(j->done);
    buf_free(&j->pending);
    free(j->path);
}

/* ---- writing outputs ----------------------------------------------------- */

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes name in the output folder (open as dirfd, at path dir) through a
 * temporary ".NAME.XXXXXX.tmp" beside it (the naming util_write_atomic
 * uses), then renames it; without overwrite, the rename refuses an existing
 * file rather than replace it. Names are taken relative to the folder, so
 * the kernel does not walk the folder's path three times per document. No
 * fsync here: the journal and the hash check on resume make a lost write
 * harmless, and the whole folder is synced once at the end. Returns 0 or an
 * errno value. */
static int write_output(int dirfd, const char *dir, const char *name, const char *data,
                        size_t len, bool overwrite, const char **op)
{
    char *tmp = xasprintf(".%s.XXXXXX.tmp", name);
    int err = 0, tracked = -1;
    *op = "open";
    /* Tracked: should this run die (memory, a signal), it is removed. */
    int fd = util_temp_createat(dirfd, dir, tmp, 4, &tracked);
    if (fd < 0) {
        err = errno;
        goto done;
    }
    *op = "write";
    err = write_all(fd, data, len);
    if (close(fd) != 0 && !err) {
        err = errno;
        *op = "close";
    }
    if (err)
        goto done;
    *op = "rename";
    bool linked = false;
    if (overwrite) {
        if (renameat2(dirfd, tmp, dirfd, name, 0) != 0)
            err = errno;
    } else if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) != 0) {
        err = errno;
        /* File systems without RENAME_NOREPLACE: a link refuses an existing
         * name too; without links either, check and rename. */
        if (err == EINVAL || err == ENOSYS) {
            err = linkat(dirfd, tmp, dirfd, name, 0) == 0 ? 0 : errno;
            linked = err == 0;
            if (err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == EXDEV)
                err = faccessat(dirfd, name, F_OK, 0) == 0            ? EEXIST
                      : renameat(dirfd, tmp, dirfd, name) == 0 ? 0
                                                                : errno;
        }
    }
done:
    if (fd >= 0 && (err || linked))
        unlinkat(dirfd, tmp, 0);
    util_temp_untrack(tracked);
    free(tmp);
    return err;
}

static void sha_hex(const unsigned char sha[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = digits[sha[i] >> 4];
        out[2 * i + 1] = digits[sha[i] & 15];
    }
    out[64] = '\0';
}

static uint32_t file_crc(const void *data, size_t len)
{
    return (uint32_t)crc32_z(0, data, len);
}

/* True when dir/name is there, complete, with the size and CRC-32 the
 * journal recorded. */
static bool output_matches(const char *dir, const journal_entry *e)
{
    char *path = xasprintf("%s/%s", dir, e->name);
    struct stat st;
    bool ok = stat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == e->size;
    if (ok) {
        buf b = {0};
        ok = util_read_file(path, &b, e->size + 1) == 0 && b.len == e->size &&
             file_crc(b.data ? b.data : "", b.len) == e->crc;
        buf_free(&b);
    }
    free(path);
    return ok;
}

/* ---- the run ------------------------------------------------------------- */

typedef enum job_kind {
    JOB_RENDER, /* render and write */
    JOB_BAD,    /* failed before rendering: its errors are in d */
    JOB_SKIPPED /* complete from an earlier run */
} job_kind;

typedef struct job {
    job_kind kind;
    size_t number, row;
    unsigned line;
    const char *file;
    bool own_file;
    char *name;
    value *data;
    size_t nodes; /* values in data, counted against the run's budget */
    diag *d;
    /* Results. */
    bool ok;
    int io_error;
    size_t size;
    uint32_t crc;
    buf piece; /* merge: this record's share of the document */
} job;

typedef struct run {
    const batch_config *cfg;
    const char *ext;
    bool kit_mode;
    char *report_path;
    int out_fd; /* the output folder, open */
    /* The pool. */
    pthread_mutex_t lock;
    pthread_cond_t work_cond, done_cond;
    job *ring;
    atomic_bool *done; /* per slot: its job is finished */
    size_t cap;
    atomic_size_t submitted, claimed;
    size_t reported;   /* main thread only */
    size_t held_nodes;  /* values in the records submitted, not yet reported */
    size_t node_budget; /* ... kept under this, past one record (--max-nodes) */
    atomic_int sleepers;
    atomic_bool main_waiting;
    atomic_size_t wait_seq; /* the job the main thread sleeps on */
    bool closing;      /* under lock */
    /* Outputs. */
    journal jn;
    bool overwrite;
    char **stale; /* temporaries an earlier run left */
    size_t n_stale;
    doc_merger *merger;
    size_t merged;
    /* Counts. */
    size_t read, in_shard, written, failed, skipped, not_selected, bad_reads;
    size_t selected, no_date, bad_date, outside;
    int io_error;
    diag *stopped; /* why the records could not be read to the end, or NULL */
    /* Reports. */
    buf failures, renamed, selection_in, selection_out;
    size_t n_failures, n_renamed, n_sel_in, n_sel_out;
    size_t printed;
    batch_names *warned; /* warnings printed so far */
    size_t repeated;     /* ... and how often one came again */
    /* Progress. */
    batch_progress progress;
    bool tty_line;
    double started, shown_at;
    size_t total;
    bool total_known;
} run;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void clear_progress(run *R)
{
    if (R->tty_line) {
        fputs("\r\033[K", stderr);
        R->tty_line = false;
    }
}

static void show_progress(run *R)
{
    if (R->progress != BATCH_PROGRESS_AUTO)
        return;
    double t = now_seconds();
    if (t - R->shown_at < PROGRESS_SECONDS)
        return;
    R->shown_at = t;
    double elapsed = t - R->started;
    size_t handled = R->written + R->failed + R->skipped + R->not_selected;
    fprintf(stderr, "\r\033[Kcasepack: %zu", handled);
    if (R->total_known)
        fprintf(stderr, "/%zu", R->total);
    fprintf(stderr, " records, %zu written", R->written);
    /* A rate over the first moments says more about start-up than speed. */
    if (elapsed > 0.5)
        fprintf(stderr, ", %.0f %s/s", (double)R->written / elapsed,
                R->kit_mode ? "packages" : "documents");
    if (R->failed)
        fprintf(stderr, ", %zu failed", R->failed);
    if (R->total_known && handled > 0 && handled < R->total && elapsed > 0.5) {
        double eta = elapsed / (double)handled * (double)(R->total - handled);
        fprintf(stderr, ", ETA %ld:%02ld", (long)eta / 60, (long)eta % 60);
    }
    R->tty_line = true;
}

/* Splits "PLACE: message" where a place is recognisable: no spaces in it, or
 * ending in :LINE, :LINE:COL or :pN. */
static size_t place_length(const char *text)
{
    const char *sep = strstr(text, ": ");
    if (!sep)
        return 0;
    size_t n = (size_t)(sep - text);
    if (!memchr(text, ' ', n))
        return n;
    size_t i = n;
    while (i > 0 && text[i - 1] >= '0' && text[i - 1] <= '9')
        i--;
    if (i == n)
        return 0;
    if (i > 0 && text[i - 1] == 'p')
        i--;
    return i > 0 && text[i - 1] == ':' ? n : 0;
}

static void json_messages(buf *b, const diag *d, diag_level level)
{
    bool first = true;
    buf_addc(b, '[');
    for (size_t i = 0; i < diag_count(d); i++) {
        const diag_entry *e = diag_get(d, i);
        if (e->level != level)
            continue;
        size_t pl = place_length(e->text);
        buf_adds(b, first ? "{" : ", {");
        first = false;
        if (pl) {
            buf_adds(b, "\"place\": ");
            buf_add_json(b, e->text, pl);
            buf_adds(b, ", \"message\": ");
            buf_add_json(b, e->text + pl + 2, strlen(e->text + pl + 2));
        } else {
            buf_adds(b, "\"message\": ");
            buf_add_json(b, e->text, strlen(e->text));
        }
        buf_addc(b, '}');
    }
    buf_addc(b, ']');
}

/* "record 17" and where it came from, for messages. */
static void job_where(const job *j, buf *b)
{
    buf_printf(b, "\"record\": %zu", j->number);
    if (j->row)
        buf_printf(b, ", \"row\": %zu", j->row);
    if (j->line)
        buf_printf(b, ", \"line\": %u", j->line);
    if (j->file) {
        buf_adds(b, ", \"file\": ");
        buf_add_json(b, j->file, strlen(j->file));
    }
}

static void emit_json(const buf *b)
{
    fwrite(b->data, 1, b->len, stderr);
    fputc('\n', stderr);
}

/* Whether another problem line may go to standard error: a run prints
 * MAX_PRINTED of them, then says where the rest are. */
static bool may_print(run *R)
{
    if (R->printed == MAX_PRINTED) {
        clear_progress(R);
        if (R->report_path)
            fprintf(stderr, "casepack: note: more problems are listed in %s\n",
                    R->report_path);
        else
            fprintf(stderr, "casepack: note: more problems were found; only the first %d are "
                            "shown\n",
                    MAX_PRINTED);
    }
    if (R->printed++ >= MAX_PRINTED)
        return false;
    clear_progress(R);
    return true;
}

/* Prints a record's problems on standard error, each followed by which
 * record it is. */
static void print_problems(run *R, const job *j)
{
    for (size_t i = 0; i < diag_count(j->d); i++) {
        const diag_entry *e = diag_get(j->d, i);
        /* The same warning from every record (an unverified citation in
         * the template) is said once. */
        if (e->level == DIAG_WARNING && names_seen(R->warned, xstrdup(e->text), j->number)) {
            R->repeated++;
            continue;
        }
        if (!may_print(R))
            continue;
        fprintf(stderr, "casepack: %s: %s (record %zu",
                e->level == DIAG_ERROR ? "error" : "warning", e->text, j->number);
        /* Say where the record is unless the message already does. */
        if (j->file && strncmp(e->text, j->file, strlen(j->file)) != 0) {
            if (j->line)
                fprintf(stderr, ", %s line %u", j->file, j->line);
            else if (j->own_file)
                fprintf(stderr, ", %s", j->file);
        }
        fputs(")\n", stderr);
    }
}

static void report_failure(run *R, job *j)
{
    R->failed++;
    buf *b = &R->failures;
    buf_adds(b, R->n_failures++ ? ",\n    {" : "\n    {");
    job_where(j, b);
    if (j->name) {
        buf_adds(b, ", \"name\": ");
        buf_add_json(b, j->name, strlen(j->name));
    }
    buf_adds(b, ", \"errors\": ");
    json_messages(b, j->d, DIAG_ERROR);
    bool warned = false;
    for (size_t i = 0; i < diag_count(j->d) && !warned; i++)
        warned = diag_get(j->d, i)->level == DIAG_WARNING;
    if (warned) {
        buf_adds(b, ", \"warnings\": ");
        json_messages(b, j->d, DIAG_WARNING);
    }
    buf_addc(b, '}');
    if (R->progress == BATCH_PROGRESS_JSON) {
        buf e = {0};
        buf_adds(&e, "{\"event\": \"failed\", ");
        job_where(j, &e);
        buf_adds(&e, ", \"errors\": ");
        json_messages(&e, j->d, DIAG_ERROR);
        buf_addc(&e, '}');
        emit_json(&e);
        buf_free(&e);
    } else {
        print_problems(R, j);
    }
}

/* A finished job, in record order. Runs on the main thread only. */
static void collect(run *R, job *j)
{
    R->held_nodes -= j->nodes;
    if (j->kind == JOB_SKIPPED) {
        R->skipped++;
        if (R->progress == BATCH_PROGRESS_JSON) {
            buf e = {0};
            buf_printf(&e, "{\"event\": \"skipped\", \"record\": %zu, \"name\": ", j->number);
            buf_add_json(&e, j->name, strlen(j->name));
            buf_adds(&e, ", \"reason\": \"written by an earlier run\"}");
            emit_json(&e);
            buf_free(&e);
        }
    } else if (!j->ok) {
        report_failure(R, j);
        if (j->io_error && !R->io_error)
            R->io_error = j->io_error;
    } else {
        R->written++;
        if (R->merger) {
            doc_merge_add(R->merger, &j->piece);
            R->merged++;
        } else {
            buf_printf(&R->jn.pending, "%zu\t%zu\t%08" PRIx32 "\t%s\n", j->number, j->size, j->crc,
                       j->name);
            double t = now_seconds();
            bool sync = t - R->jn.synced_at >= JOURNAL_SYNC_SECONDS;
            int err = 0;
            if (sync || R->jn.pending.len >= JOURNAL_WRITE_BYTES ||
                t - R->jn.written_at >= JOURNAL_WRITE_SECONDS) {
                err = journal_flush(&R->jn, sync);
                R->jn.written_at = t;
            }
            if (sync)
                R->jn.synced_at = t;
            if (err && !R->io_error) {
                R->io_error = err;
                clear_progress(R);
                fprintf(stderr, "casepack: error: %s: cannot write the journal: %s\n",
                        R->jn.path, strerror(err));
            }
        }
        if (diag_count(j->d) && R->progress != BATCH_PROGRESS_JSON)
            print_problems(R, j);
        if (R->progress == BATCH_PROGRESS_JSON) {
            buf e = {0};
            buf_printf(&e, "{\"event\": \"written\", \"record\": %zu", j->number);
            if (j->name) {
                buf_adds(&e, ", \"name\": ");
                buf_add_json(&e, j->name, strlen(j->name));
            }
            buf_printf(&e, ", \"bytes\": %zu}", j->size);
            emit_json(&e);
            buf_free(&e);
        }
    }
    show_progress(R);
    free(j->name);
    value_free(j->data);
    diag_free(j->d);
    buf_free(&j->piece);
    memset(j, 0, sizeof *j);
}

/* Renders one record and writes it. Runs on any of the pool's threads:
 * touches only its job and what the run shares read-only. */
static void job_work(run *R, job *j)
{
    if (j->kind != JOB_RENDER)
        return;
    const batch_config *cfg = R->cfg;
    buf out = {0};
    bool ok;
    if (R->kit_mode) {
        package_options po = *cfg->pkg;
        po.render.record_number = j->number;
        char *zip_name = NULL;
        int io = 0;
        /* A case file of its own anchors the annex paths and is hashed into
         * the manifest; a row of a CSV file or an item of a list is not. */
        const char *case_file = j->own_file ? j->file : NULL;
        ok = package_build(cfg->pk, j->data, case_file, &po, j->d, &io, &out, &zip_name);
        free(zip_name);
        if (io)
            j->io_error = io;
    } else {
        render_options ro = cfg->render;
        ro.record_number = j->number;
        if (R->merger)
            ok = doc_merge_render(cfg->tpl, j->data, &ro, &j->piece, j->d);
        else
            ok = doc_render(cfg->tpl, j->data, &ro, &out, j->d);
    }
    if (!ok && !j->io_error && diag_system_errno(j->d)) {
        /* The system failed while the document was built (the message
         * before says where): an I/O failure, not the record's fault. */
        j->io_error = diag_system_errno(j->d);
        diag_error(j->d, (diag_place){.file = cfg->out_dir}, "%s not written: %s",
                   j->name ? j->name : "this record's part of the merged document",
                   strerror(j->io_error));
    }
    if (ok && cfg->strict && diag_count(j->d) > 0)
        ok = false;
    value_free(j->data);
    j->data = NULL;
    if (ok && !R->merger) {
        const char *op;
        j->crc = file_crc(out.data ? out.data : "", out.len);
        int err = write_output(R->out_fd, cfg->out_dir, j->name, out.data ? out.data : "",
                               out.len, R->overwrite, &op);
        if (err == EEXIST) {
            diag_error(j->d, (diag_place){.file = cfg->out_dir},
                       "%s already exists; batch never replaces a file it did not write: "
                       "choose an empty folder, or --resume the run that wrote it",
                       j->name);
            ok = false;
        } else if (err) {
            diag_error(j->d, (diag_place){.file = cfg->out_dir}, "cannot write %s (%s): %s",
                       j->name, op, strerror(err));
            j->io_error = err;
            ok = false;
        }
    }
    j->size = R->merger ? j->piece.len : out.len;
    j->ok = ok;
    buf_free(&out);
}

/* The pool: -j N means N threads render and write, the main thread among
 * them. It reads records into a ring of jobs; worker threads claim jobs from
 * it, and so does the main thread whenever the ring is full, rather than
 * wait; it reports finished jobs in record order. With -j 1 the main thread
 * does everything, with no thread to hand work to.
 *
 * Locks are taken only to sleep and to wake a sleeper: slots are claimed
 * with an atomic counter and marked done with an atomic flag, so a worker
 * and the main thread do not queue on a mutex for every document. Each side
 * publishes, then looks whether the other sleeps (sequentially consistent),
 * and the sleeper re-checks under the lock before waiting, so no wake-up is
 * lost. */
/* Wakes a sleeper on cond. Taking and releasing the lock first means the
 * sleeper is either waiting already or will see what was published; the
 * signal itself comes after the unlock, so the woken thread does not wake
 * only to queue on a lock still held. */
static void wake(run *R, pthread_cond_t *cond)
{
    pthread_mutex_lock(&R->lock);
    pthread_mutex_unlock(&R->lock);
    pthread_cond_signal(cond);
}

/* Claims the oldest job no thread has taken and does it; false when every
 * job submitted is taken. On a worker thread, wakes the main thread if it
 * sleeps on this job. */
static bool work_one(run *R, bool main_thread)
{
    size_t c = atomic_load(&R->claimed);
    while (c < atomic_load(&R->submitted)) {
        if (!atomic_compare_exchange_weak(&R->claimed, &c, c + 1))
            continue; /* c now holds the new count */
        job_work(R, &R->ring[c % R->cap]);
        atomic_store(&R->done[c % R->cap], true);
        if (!main_thread && atomic_load(&R->main_waiting) && atomic_load(&R->wait_seq) == c)
            wake(R, &R->done_cond);
        return true;
    }
    return false;
}

static void *worker_main(void *arg)
{
    run *R = arg;
    for (;;) {
        if (work_one(R, false))
            continue;
        pthread_mutex_lock(&R->lock);
        atomic_fetch_add(&R->sleepers, 1);
        while (atomic_load(&R->claimed) >= atomic_load(&R->submitted) && !R->closing)
            pthread_cond_wait(&R->work_cond, &R->lock);
        atomic_fetch_sub(&R->sleepers, 1);
        bool stop = R->closing && atomic_load(&R->claimed) >= atomic_load(&R->submitted);
        pthread_mutex_unlock(&R->lock);
        if (stop)
            return NULL;
    }
}

/* Reports finished jobs in order; with wait, until at most keep are left
 * unreported. Main thread only. */
static void drain(run *R, size_t keep, bool wait)
{
    size_t submitted = atomic_load(&R->submitted);
    for (;;) {
        while (R->reported < submitted && atomic_load(&R->done[R->reported % R->cap])) {
            atomic_store(&R->done[R->reported % R->cap], false);
            collect(R, &R->ring[R->reported % R->cap]);
            R->reported++;
        }
        if (!wait || submitted - R->reported <= keep)
            return;
        /* Sleep until the last job needed is done (or, when it is, the
         * first one not yet done): one wake-up per half ring, not per job. */
        size_t need = submitted - keep - 1;
        size_t target = atomic_load(&R->done[need % R->cap]) ? R->reported : need;
        atomic_bool *flag = &R->done[target % R->cap];
        pthread_mutex_lock(&R->lock);
        atomic_store(&R->wait_seq, target);
        atomic_store(&R->main_waiting, true);
        while (!atomic_load(flag))
            pthread_cond_wait(&R->done_cond, &R->lock);
        atomic_store(&R->main_waiting, false);
        pthread_mutex_unlock(&R->lock);
    }
}

/* Hands a job to the pool (consumes its contents). While the ring is full
 * (or holds as many values as one data file may make) the main thread does
 * a job itself; when every job is taken it sleeps until one is reported. */
static void submit(run *R, job *proto)
{
    size_t submitted = atomic_load(&R->submitted);
    drain(R, R->cap, false);
    /* Limits count per record, so the ring also holds no more values than
     * one data file may make (as many records as fit, and at least one). */
    while (submitted - R->reported == R->cap ||
           (submitted > R->reported && R->held_nodes + proto->nodes > R->node_budget)) {
        if (work_one(R, true))
            drain(R, R->cap, false);
        else /* every job is taken: sleep until one more is done */
            drain(R, submitted - R->reported - 1, true);
    }
    R->held_nodes += proto->nodes;
    R->ring[submitted % R->cap] = *proto;
    atomic_store(&R->submitted, submitted + 1);
    if (atomic_load(&R->sleepers) > 0)
        wake(R, &R->work_cond);
}

/* ---- names in a run ------------------------------------------------------ */

static bool raw_value(void *ud, buf *out, const char *s, size_t n, uint32_t ctx, bool escape,
                      const diag_place *where, diag *d)
{
    (void)ud, (void)ctx, (void)escape, (void)where, (void)d;
    buf_add(out, s, n);
    return true;
}

/* The stem of a record's output name: --name rendered over it, else (kits)
 * its case id, else its number. False with errors in d. */
static bool record_stem(run *R, const value *data, size_t number, char **stem, diag *d)
{
    const batch_config *cfg = R->cfg;
    buf raw = {0};
    bool ok = true;
    if (cfg->name) {
        render_options ro;
        memset(&ro, 0, sizeof ro);
        ro.value = raw_value;
        ro.record_number = number;
        ro.locale = cfg->render.locale;
        ok = render_program(cfg->name, data, &ro, &raw, d);
    } else if (R->kit_mode) {
        const value *id = value_at_path(data, "case.id");
        if (!id || (id->kind != VALUE_STRING && id->kind != VALUE_NUMBER))
            id = value_at_path(data, "id");
        if (id && (id->kind == VALUE_STRING || id->kind == VALUE_NUMBER))
            buf_add(&raw, id->str, id->len);
    }
    *stem = batch_safe_name(raw.data ? raw.data : "", raw.len);
    buf_free(&raw);
    /* "letter.docx" from a pattern that already says the extension. */
    size_t n = strlen(*stem), e = strlen(R->ext);
    if (e && n > e + 1 && (*stem)[n - e - 1] == '.' && !strcasecmp(*stem + n - e, R->ext)) {
        (*stem)[n - e - 1] = '\0';
        char *again = batch_safe_name(*stem, strlen(*stem));
        free(*stem);
        *stem = again;
    }
    if (!**stem) {
        free(*stem);
        *stem = xasprintf("%05zu", number);
    }
    return ok;
}

/* ---- temporaries of a killed run ----------------------------------------- */

static bool is_temporary(const char *name)
{
    size_t n = strlen(name);
    return name[0] == '.' && n > 12 && strcmp(name + n - 4, ".tmp") == 0 && name[n - 11] == '.';
}

static void find_stale(run *R)
{
    DIR *dir = opendir(R->cfg->out_dir);
    if (!dir)
        return;
    struct dirent *e;
    size_t cap = 0;
    while ((e = readdir(dir)) != NULL) {
        if (!is_temporary(e->d_name))
            continue;
        if (R->n_stale == cap) {
            cap = cap ? cap * 2 : 8;
            R->stale = xrealloc(R->stale, cap * sizeof *R->stale);
        }
        R->stale[R->n_stale++] = xstrdup(e->d_name);
    }
    closedir(dir);
}

/* Removes what a killed run left of name's temporary files (".NAME.XXXXXX.tmp"). */
static void remove_stale(run *R, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < R->n_stale; i++) {
        const char *t = R->stale[i];
        if (!t || strlen(t) != n + 12 || strncmp(t + 1, name, n) != 0)
            continue;
        char *path = xasprintf("%s/%s", R->cfg->out_dir, t);
        unlink(path);
        free(path);
        free(R->stale[i]);
        R->stale[i] = NULL;
    }
}

/* ---- the selection ------------------------------------------------------- */

static const char *due_reason(batch_due due)
{
    switch (due) {
    case BATCH_NO_DATE:
        return "no date";
    case BATCH_BAD_DATE:
        return "not a date (YYYY-MM-DD)";
    case BATCH_BEFORE:
        return "before the window";
    case BATCH_AFTER:
        return "after the window";
    case BATCH_DUE:
        break;
    }
    return "due";
}

static void note_selection(run *R, const batch_record *rec, const char *name, batch_due due,
                           long date)
{
    const value *v = value_at_path(rec->data, R->cfg->date_field);
    buf *b = due == BATCH_DUE ? &R->selection_in : &R->selection_out;
    size_t *n = due == BATCH_DUE ? &R->n_sel_in : &R->n_sel_out;
    buf_adds(b, (*n)++ ? ",\n      {" : "\n      {");
    job j = {.number = rec->number, .row = rec->row, .line = rec->line, .file = rec->file};
    job_where(&j, b);
    if (name) {
        buf_adds(b, ", \"name\": ");
        buf_add_json(b, name, strlen(name));
    }
    if (due == BATCH_DUE || due == BATCH_BEFORE || due == BATCH_AFTER) {
        char iso[11];
        batch_format_date(date, iso);
        buf_printf(b, ", \"date\": \"%s\"", iso);
    } else if (due == BATCH_BAD_DATE && v && (v->kind == VALUE_STRING || v->kind == VALUE_NUMBER)) {
        buf_adds(b, ", \"value\": ");
        buf_add_json(b, v->str, v->len);
    }
    if (due != BATCH_DUE) {
        buf_adds(b, ", \"reason\": ");
        buf_add_json(b, due_reason(due), strlen(due_reason(due)));
        if (R->progress == BATCH_PROGRESS_JSON) {
            buf e = {0};
            buf_printf(&e, "{\"event\": \"not_selected\", \"record\": %zu, \"reason\": ",
                       rec->number);
            buf_add_json(&e, due_reason(due), strlen(due_reason(due)));
            buf_addc(&e, '}');
            emit_json(&e);
            buf_free(&e);
        }
    }
    buf_addc(b, '}');
}

/* ---- the main loop ------------------------------------------------------- */

static value *merged_record(const batch_config *cfg, value *record)
{
    if (!cfg->common || (cfg->common->kind == VALUE_MAP && cfg->common->len == 0))
        return record;
    return value_merge(value_clone(cfg->common), record);
}

static void note_renamed(run *R, const batch_record *rec, const char *stem, const char *name,
                         size_t holder)
{
    char *wanted = xasprintf("%s%s%s", stem, *R->ext ? "." : "", R->ext);
    buf *b = &R->renamed;
    buf_printf(b, "%s{\"record\": %zu, \"name\": ", R->n_renamed++ ? ",\n    " : "\n    ",
               rec->number);
    buf_add_json(b, name, strlen(name));
    buf_adds(b, ", \"wanted\": ");
    buf_add_json(b, wanted, strlen(wanted));
    buf_printf(b, ", \"taken_by\": %zu}", holder);
    if (R->progress == BATCH_PROGRESS_JSON) {
        buf e = {0};
        buf_printf(&e, "{\"event\": \"renamed\", \"record\": %zu, \"name\": ", rec->number);
        buf_add_json(&e, name, strlen(name));
        buf_adds(&e, ", \"wanted\": ");
        buf_add_json(&e, wanted, strlen(wanted));
        buf_printf(&e, ", \"taken_by\": %zu}", holder);
        emit_json(&e);
        buf_free(&e);
    } else if (may_print(R)) {
        fprintf(stderr,
                "casepack: warning: record %zu would be named %s like record %zu; it is named "
                "%s\n",
                rec->number, wanted, holder, name);
    }
    free(wanted);
}

/* Reads every record and feeds the pool. False when the records could not
 * be read to the end. */
/* How many values a record holds (without recursion: nesting can be deep). */
static size_t value_nodes(const value *v)
{
    size_t n = 0, len = 0, cap = 16;
    const value **stack = xmalloc(cap * sizeof *stack);
    stack[len++] = v;
    while (len) {
        const value *x = stack[--len];
        n++;
        if (x->kind != VALUE_LIST && x->kind != VALUE_MAP)
            continue;
        for (size_t i = 0; i < x->len; i++) {
            if (len == cap) {
                cap *= 2;
                stack = xrealloc(stack, cap * sizeof *stack);
            }
            stack[len++] = x->items[i];
        }
    }
    free(stack);
    return n;
}

static bool read_records(run *R, batch_source *src)
{
    const batch_config *cfg = R->cfg;
    batch_names *names = cfg->name || R->kit_mode ? batch_names_new() : NULL;
    bool complete = true;
    for (;;) {
        batch_record rec;
        diag *d = diag_new();
        int io = 0;
        int got = batch_source_next(src, &rec, d, &io);
        if (got <= 0) {
            if (got < 0) {
                complete = false;
                if (io && !R->io_error)
                    R->io_error = io;
                /* The records read before it are told first, in order. */
                while (work_one(R, true))
                    drain(R, R->cap, false);
                drain(R, 0, true);
                clear_progress(R);
                /* Kept for the report: the records after it are in no list. */
                R->stopped = diag_new();
                for (size_t i = 0; i < diag_count(d); i++)
                    diag_error(R->stopped, (diag_place){0}, "%s", diag_get(d, i)->text);
                diag_print(d, stderr);
            }
            diag_free(d);
            break;
        }
        R->read++;
        size_t index = rec.number - 1;
        bool mine = batch_in_shard(index, cfg->shard_k, cfg->shard_n);
        job j = {.kind = JOB_RENDER, .number = rec.number, .row = rec.row, .line = rec.line,
                 .file = rec.file, .own_file = rec.own_file, .d = d};
        if (mine)
            R->in_shard++;
        if (!rec.data) {
            if (!mine) {
                diag_free(d);
                continue;
            }
            R->bad_reads++;
            j.kind = JOB_BAD;
            submit(R, &j);
            continue;
        }
        value *data = merged_record(cfg, rec.data);
        rec.data = data;
        batch_due due = BATCH_DUE;
        long date = 0;
        if (cfg->due) {
            due = batch_check_due(data, cfg->date_field, cfg->today, cfg->due_days, &date);
            if (due != BATCH_DUE) {
                if (mine) {
                    R->not_selected++;
                    R->no_date += due == BATCH_NO_DATE;
                    R->bad_date += due == BATCH_BAD_DATE;
                    R->outside += due == BATCH_BEFORE || due == BATCH_AFTER;
                    note_selection(R, &rec, NULL, due, date);
                }
                value_free(data);
                diag_free(d);
                continue;
            }
        }
        char *stem = NULL;
        if (!record_stem(R, data, rec.number, &stem, d)) {
            free(stem);
            value_free(data);
            if (!mine) {
                diag_free(d);
                continue;
            }
            j.kind = JOB_BAD;
            submit(R, &j);
            continue;
        }
        size_t holder = 0;
        j.name = names ? batch_names_claim(names, stem, R->ext, rec.number, &holder)
                       : xasprintf("%s%s%s", stem, *R->ext ? "." : "", R->ext);
        if (!mine) {
            free(stem);
            free(j.name);
            value_free(data);
            diag_free(d);
            continue;
        }
        if (holder)
            note_renamed(R, &rec, stem, j.name, holder);
        free(stem);
        if (cfg->due) {
            R->selected++;
            note_selection(R, &rec, R->merger ? NULL : j.name, due, date);
        }
        if (R->merger) {
            free(j.name);
            j.name = NULL;
        } else if (cfg->resume) {
            if (R->n_stale)
                remove_stale(R, j.name);
            journal_entry *e = R->jn.cap_done ? journal_slot(&R->jn, rec.number) : NULL;
            if (e && e->number && strcmp(e->name, j.name) == 0 &&
                output_matches(cfg->out_dir, e)) {
                value_free(data);
                j.kind = JOB_SKIPPED;
                submit(R, &j);
                continue;
            }
        }
        j.data = data;
        j.nodes = value_nodes(data);
        submit(R, &j);
    }
    batch_names_free(names);
    return complete;
}

/* ---- setting up and finishing -------------------------------------------- */

static int make_folder(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    char *copy = xstrdup(path);
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
            int err = errno;
            free(copy);
            return err;
        }
        *p = '/';
    }
    free(copy);
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : errno;
}

/* SHA-256 over the settings and each input's name, size and time of last
 * change: a journal from other inputs must not be resumed. */
static void fingerprint(const batch_config *cfg, char out[65])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    buf b = {0};
    buf_printf(&b, "%s\n", cfg->settings ? cfg->settings : "");
    for (size_t i = 0; i < cfg->n_inputs; i++) {
        struct stat st;
        if (stat(cfg->inputs[i], &st) == 0)
            buf_printf(&b, "%s\t%lld\t%lld.%09ld\n", cfg->inputs[i], (long long)st.st_size,
                       (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
        else
            buf_printf(&b, "%s\t-\n", cfg->inputs[i]);
    }
    EVP_DigestUpdate(ctx, b.data, b.len);
    unsigned char sha[32];
    unsigned int n = 32;
    EVP_DigestFinal_ex(ctx, sha, &n);
    EVP_MD_CTX_free(ctx);
    buf_free(&b);
    sha_hex(sha, out);
}

static void write_report(run *R, double seconds)
{
    const batch_config *cfg = R->cfg;
    buf b = {0};
    buf_printf(&b, "{\n  \"tool\": \"casepack %s\",\n  \"%s\": ", CASEPACK_VERSION,
               R->kit_mode ? "kit" : "template");
    buf_add_json(&b, cfg->target, strlen(cfg->target));
    buf_adds(&b, ",\n  \"records\": ");
    buf_add_json(&b, cfg->records, strlen(cfg->records));
    if (cfg->shard_n)
        buf_printf(&b, ",\n  \"shard\": \"%u/%u\"", cfg->shard_k, cfg->shard_n);
    if (cfg->merge) {
        buf_adds(&b, ",\n  \"merged\": ");
        buf_add_json(&b, cfg->merge, strlen(cfg->merge));
    }
    buf_printf(&b,
               ",\n  \"summary\": {\"records\": %zu, \"written\": %zu, \"failed\": %zu, "
               "\"skipped\": %zu, \"not_selected\": %zu, \"seconds\": %.3f},\n",
               R->in_shard, R->written, R->failed, R->skipped, R->not_selected, seconds);
    buf_adds(&b, "  \"failures\": [");
    buf_add(&b, R->failures.data ? R->failures.data : "", R->failures.len);
    buf_adds(&b, R->n_failures ? "\n  ],\n" : "],\n");
    buf_adds(&b, "  \"renamed\": [");
    buf_add(&b, R->renamed.data ? R->renamed.data : "", R->renamed.len);
    buf_adds(&b, R->n_renamed ? "\n  ]" : "]");
    if (R->stopped) {
        buf_adds(&b, ",\n  \"stopped\": ");
        json_messages(&b, R->stopped, DIAG_ERROR);
    }
    if (cfg->due) {
        char from[11], to[11];
        batch_format_date(cfg->today, from);
        batch_format_date(cfg->today + cfg->due_days, to);
        buf_adds(&b, ",\n  \"selection\": {\"field\": ");
        buf_add_json(&b, cfg->date_field, strlen(cfg->date_field));
        buf_printf(&b, ", \"from\": \"%s\", \"to\": \"%s\",\n    \"selected\": [", from, to);
        buf_add(&b, R->selection_in.data ? R->selection_in.data : "", R->selection_in.len);
        buf_adds(&b, R->n_sel_in ? "\n    ],\n    \"not_selected\": [" : "],\n    "
                                                                      "\"not_selected\": [");
        buf_add(&b, R->selection_out.data ? R->selection_out.data : "", R->selection_out.len);
        buf_adds(&b, R->n_sel_out ? "\n    ]}" : "]}");
    }
    buf_adds(&b, "\n}\n");
    const char *op;
    int err = util_write_atomic(R->report_path, b.data, b.len, 0600, true, &op);
    if (err) {
        clear_progress(R);
        fprintf(stderr, "casepack: error: %s: cannot write the report (%s): %s\n",
                R->report_path, op, strerror(err));
        if (!R->io_error)
            R->io_error = err;
    }
    buf_free(&b);
}

static void print_summary(run *R, double seconds)
{
    const batch_config *cfg = R->cfg;
    clear_progress(R);
    double rate = seconds > 0 ? (double)R->written / seconds : 0;
    const char *unit = R->kit_mode ? "packages" : "documents";
    if (R->progress == BATCH_PROGRESS_JSON) {
        buf e = {0};
        buf_printf(&e,
                   "{\"event\": \"summary\", \"records\": %zu, \"written\": %zu, \"failed\": "
                   "%zu, \"skipped\": %zu, \"not_selected\": %zu, \"seconds\": %.3f, "
                   "\"per_second\": %.0f",
                   R->in_shard, R->written, R->failed, R->skipped, R->not_selected, seconds,
                   rate);
        if (R->stopped) {
            buf_adds(&e, ", \"stopped\": ");
            json_messages(&e, R->stopped, DIAG_ERROR);
        }
        if (R->report_path) {
            buf_adds(&e, ", \"report\": ");
            buf_add_json(&e, R->report_path, strlen(R->report_path));
        }
        buf_addc(&e, '}');
        emit_json(&e);
        buf_free(&e);
        return;
    }
    if (cfg->shard_n)
        fprintf(stderr, "casepack: shard %u/%u: %zu of %zu records\n", cfg->shard_k,
                cfg->shard_n, R->in_shard, R->read);
    if (cfg->due) {
        char from[11], to[11];
        batch_format_date(cfg->today, from);
        batch_format_date(cfg->today + cfg->due_days, to);
        fprintf(stderr,
                "casepack: selection: %zu of %zu records have %s from %s to %s; not selected: "
                "%zu without a date, %zu with a bad date, %zu outside the window\n",
                R->selected, R->selected + R->not_selected, cfg->date_field, from, to,
                R->no_date, R->bad_date, R->outside);
    }
    if (R->repeated)
        fprintf(stderr, "casepack: note: the warnings above came %zu more times from later "
                        "records\n",
                R->repeated);
    fprintf(stderr, "casepack: batch: %zu written, %zu failed, %zu skipped in %.2f s (%.0f %s/s)",
            R->written, R->failed, R->skipped, seconds, rate, unit);
    if (cfg->merge && R->merged)
        fprintf(stderr, "; merged into %s", cfg->merge);
    if (R->stopped)
        fprintf(stderr, "; reading the records stopped at the error above, later records were "
                        "not read");
    if (R->report_path)
        fprintf(stderr, "; report: %s", R->report_path);
    fputc('\n', stderr);
}

static unsigned jobs_of(const batch_config *cfg)
{
    return cfg->jobs ? cfg->jobs : 1;
}

/* The merged document, written once every record is in. */
static void finish_merge(run *R)
{
    const batch_config *cfg = R->cfg;
    diag *d = diag_new();
    buf out = {0};
    if (R->merged == 0) {
        diag_error(d, (diag_place){.file = cfg->merge},
                   "not written: no record could be rendered");
    } else if (doc_merge_finish(R->merger, &out, d)) {
        const char *op;
        int err = util_write_atomic(cfg->merge, out.data, out.len, 0600, true, &op);
        if (err) {
            diag_error(d, (diag_place){.file = cfg->merge}, "cannot write (%s): %s", op,
                       strerror(err));
            R->io_error = err;
        }
    }
    if (diag_error_count(d)) {
        clear_progress(R);
        R->failed += R->merged;
        R->written -= R->merged;
        R->merged = 0;
    }
    diag_print(d, stderr);
    diag_free(d);
    buf_free(&out);
}

int batch_run(const batch_config *cfg, diag *d)
{
    run R;
    memset(&R, 0, sizeof R);
    R.cfg = cfg;
    R.kit_mode = cfg->pk != NULL;
    R.ext = R.kit_mode ? "zip" : doc_output_extension(cfg->tpl);
    R.jn.fd = -1;
    R.out_fd = -1;
    R.progress = cfg->progress;
    if (R.progress == BATCH_PROGRESS_AUTO && !isatty(STDERR_FILENO))
        R.progress = BATCH_PROGRESS_NONE;
    R.started = now_seconds();
    R.warned = batch_names_new();
    int io_error = 0;
    int status = EXIT_INPUT;
    char shard_suffix[48] = "";
    if (cfg->shard_n)
        snprintf(shard_suffix, sizeof shard_suffix, "-%u-of-%u", cfg->shard_k, cfg->shard_n);
    batch_source *src = NULL;
    pthread_t *threads = NULL;
    unsigned started = 0;

    /* The records first: a run that cannot read them leaves no folder and
     * no journal behind, which would refuse the next run without --resume. */
    src = batch_source_open(cfg->records, cfg->csv_delimiter, &cfg->load, d, &io_error);
    if (!src)
        goto done;
    if (cfg->out_dir) {
        int err = make_folder(cfg->out_dir);
        if (err) {
            diag_error(d, (diag_place){.file = cfg->out_dir}, "cannot make the output folder: %s",
                       strerror(err));
            io_error = err;
            goto done;
        }
        R.out_fd = open(cfg->out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (R.out_fd < 0) {
            diag_error(d, (diag_place){.file = cfg->out_dir}, "cannot open the output folder: %s",
                       strerror(errno));
            io_error = errno;
            goto done;
        }
        R.report_path = shard_suffix[0]
                            ? xasprintf("%s/report%s.json", cfg->out_dir, shard_suffix)
                            : xasprintf("%s/report.json", cfg->out_dir);
    }
    if (cfg->merge) {
        R.merger = doc_merge_new(cfg->tpl, d);
        if (!R.merger)
            goto done;
    } else {
        char fp[65];
        fingerprint(cfg, fp);
        if (!journal_open(&R.jn, cfg->out_dir, shard_suffix, cfg->resume, fp, d, &io_error))
            goto done;
        int err = journal_flush(&R.jn, true);
        if (err) {
            diag_error(d, (diag_place){.file = R.jn.path}, "cannot write the journal: %s",
                       strerror(err));
            io_error = err;
            goto done;
        }
        /* Only a run that resumes its own journal may replace what it
         * finds under its names. */
        R.overwrite = cfg->resume && R.jn.resumed;
        if (R.overwrite) {
            find_stale(&R);
            remove_stale(&R, strrchr(R.report_path, '/') + 1);
        }
    }
    if (R.progress != BATCH_PROGRESS_NONE) {
        R.total_known = batch_source_count(src, &R.total);
        /* A shard has every Nth record from the Kth. */
        if (cfg->shard_n)
            R.total = R.total / cfg->shard_n + (R.total % cfg->shard_n >= cfg->shard_k);
    }
    if (R.progress == BATCH_PROGRESS_JSON) {
        buf e = {0};
        buf_adds(&e, "{\"event\": \"start\", \"records\": ");
        if (R.total_known)
            buf_printf(&e, "%zu", R.total);
        else
            buf_adds(&e, "null");
        buf_printf(&e, ", \"jobs\": %u}", jobs_of(cfg));
        emit_json(&e);
        buf_free(&e);
    }

    /* One thread reads ahead only to keep others busy: alone, it takes
     * each record as it comes. */
    R.cap = jobs_of(cfg) == 1 ? 1 : 16 * (size_t)jobs_of(cfg) + 16;
    R.node_budget = cfg->load.max_nodes ? cfg->load.max_nodes : SIZE_MAX;
    R.ring = xcalloc(R.cap, sizeof *R.ring);
    R.done = xcalloc(R.cap, sizeof *R.done);
    for (size_t i = 0; i < R.cap; i++)
        atomic_init(&R.done[i], false);
    atomic_init(&R.submitted, 0);
    atomic_init(&R.claimed, 0);
    atomic_init(&R.sleepers, 0);
    atomic_init(&R.main_waiting, false);
    atomic_init(&R.wait_seq, 0);
    pthread_mutex_init(&R.lock, NULL);
    pthread_cond_init(&R.work_cond, NULL);
    pthread_cond_init(&R.done_cond, NULL);
    /* The main thread is one of the -j threads. Should the system refuse
     * some, the run goes on with fewer. */
    threads = xcalloc(jobs_of(cfg), sizeof *threads);
    for (; started + 1 < jobs_of(cfg); started++)
        if (pthread_create(&threads[started], NULL, worker_main, &R) != 0)
            break;
    bool complete = read_records(&R, src);
    pthread_mutex_lock(&R.lock);
    R.closing = true;
    pthread_cond_broadcast(&R.work_cond);
    pthread_mutex_unlock(&R.lock);
    while (work_one(&R, true))
        drain(&R, R.cap, false);
    drain(&R, 0, true);
    for (unsigned i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    started = 0;

    if (R.merger) {
        finish_merge(&R);
    } else {
        /* Everything this run wrote reaches the disk before the run says
         * it is done; then the journal's last entries. */
        if (R.out_fd >= 0)
            syncfs(R.out_fd);
        int err = journal_flush(&R.jn, true);
        if (err && !R.io_error) {
            R.io_error = err;
            fprintf(stderr, "casepack: error: %s: cannot write the journal: %s\n", R.jn.path,
                    strerror(err));
        }
    }
    double seconds = now_seconds() - R.started;
    if (R.report_path)
        write_report(&R, seconds);
    print_summary(&R, seconds);
    status = R.io_error ? EXIT_IO : (R.failed || !complete) ? EXIT_INPUT : EXIT_OK;

done:
    if (started) {
        pthread_mutex_lock(&R.lock);
        R.closing = true;
        pthread_cond_broadcast(&R.work_cond);
        pthread_mutex_unlock(&R.lock);
        for (unsigned i = 0; i < started; i++)
            pthread_join(threads[i], NULL);
    }
    if (R.ring) {
        pthread_mutex_destroy(&R.lock);
        pthread_cond_destroy(&R.work_cond);
        pthread_cond_destroy(&R.done_cond);
    }
    if (diag_error_count(d))
        status = io_error ? EXIT_IO : EXIT_INPUT;
    free(threads);
    if (R.out_fd >= 0)
        close(R.out_fd);
    free(R.ring);
    free(R.done);
    batch_source_close(src);
    journal_close(&R.jn);
    doc_merge_free(R.merger);
    for (size_t i = 0; i < R.n_stale; i++)
        free(R.stale[i]);
    free(R.stale);
    free(R.report_path);
    batch_names_free(R.warned);
    diag_free(R.stopped);
    buf_free(&R.failures);
    buf_free(&R.renamed);
    buf_free(&R.selection_in);
    buf_free(&R.selection_out);
    return status;
}
