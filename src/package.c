/* package.c: the packaging stage, the last one. Owns everything between a
 * loaded case and the zip handed to a court: merging the kit's defaults,
 * checking the schema, the safety of the case id and of every annex path,
 * annex numbering (given to the templates before rendering), rendering each
 * document, the PDF run through LibreOffice, the manifest, the size limit,
 * encryption, and checking a package against its manifest (verify).
 * Rendering itself is doc.h's, zips are zipio.h's, hashes are OpenSSL's. */
#include "package.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>
#include <unistd.h>

#include "cli.h" /* CASEPACK_VERSION, for the manifest */
#include "load.h"

extern char **environ;

/* What verify recognises: a manifest names its format on its first line. */
#define MANIFEST_FORMAT "casepack package manifest 1"
#define MANIFEST_NAME "manifest.json"
#define MAX_CASE_ID 100
/* A document's name from its kit's pattern: with the case folder, its
 * number and extension, a path still inside what every system accepts. */
#define MAX_DOCUMENT_NAME 140
#define MAX_SLUG 60
#define MAX_EXT 10
/* Files whose bytes are already compressed are stored: deflating them again
 * costs time and gains nothing. Everything else is deflated at this level. */
#define PACKAGE_DEFLATE_LEVEL 6
/* Annex names in Latin letters: Cyrillic by Ukraine's official
 * transliteration (Cabinet of Ministers resolution 55 of 2010, the one in
 * passports: "я" is "ya" first in a word and "ia" inside one), which ICU does
 * not ship; then any other script through ICU's Any-Latin, accents away. */
static const char slug_rules[] =
    ":: Lower ;"
    "зг > zgh ;"
    "[ʼ’'ь] > ;"
    "[^[:L:]] { є > ye ; є > ie ;"
    "[^[:L:]] { ї > yi ; ї > i ;"
    "[^[:L:]] { й > y ; й > i ;"
    "[^[:L:]] { ю > yu ; ю > iu ;"
    "[^[:L:]] { я > ya ; я > ia ;"
    "а > a ; б > b ; в > v ; г > h ; ґ > g ; д > d ; е > e ; ж > zh ; з > z ; и > y ;"
    "і > i ; к > k ; л > l ; м > m ; н > n ; о > o ; п > p ; р > r ; с > s ; т > t ;"
    "у > u ; ф > f ; х > kh ; ц > ts ; ч > ch ; ш > sh ; щ > shch ;"
    ":: Any-Latin ; :: Latin-ASCII ;";
#define NO_SOFFICE                                                                                 \
    "LibreOffice is needed for --pdf: install the Debian package libreoffice-writer-nogui"

/* ---- small helpers ---- */

static void sha256_hex(const void *p, size_t n, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) || len != 32) {
        /* Only a broken OpenSSL installation gets here. */
        fputs("casepack: fatal: OpenSSL cannot compute SHA-256\n", stderr);
        abort();
    }
    for (unsigned i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* "12 bytes", "3.4 KB", "1.2 MB": powers of 1024, as --max-size counts. */
static void human_size(unsigned long long n, char out[32])
{
    if (n < 1024)
        snprintf(out, 32, "%llu bytes", n);
    else if (n < 1024ULL * 1024)
        snprintf(out, 32, "%.1f KB", (double)n / 1024);
    else if (n < 1024ULL * 1024 * 1024)
        snprintf(out, 32, "%.1f MB", (double)n / (1024.0 * 1024));
    else
        snprintf(out, 32, "%.1f GB", (double)n / (1024.0 * 1024 * 1024));
}

static diag_place place_of(const value *v)
{
    return (diag_place){.file = v->file, .line = v->line, .col = v->col};
}

/* A string or number field of a map, or NULL. */
static const value *scalar_field(const value *map, const char *key)
{
    if (!map || map->kind != VALUE_MAP)
        return NULL;
    const value *v = value_map_get(map, key, strlen(key));
    return v && (v->kind == VALUE_STRING || v->kind == VALUE_NUMBER) ? v : NULL;
}

static void replay(diag *d, const diag *from)
{
    for (size_t i = 0; i < diag_count(from); i++) {
        const diag_entry *e = diag_get(from, i);
        if (e->level == DIAG_ERROR)
            diag_error(d, (diag_place){0}, "%s", e->text);
        else
            diag_warning(d, (diag_place){0}, "%s", e->text);
    }
}

/* Letters, digits, '-', '_' and '.', not '.' first, 1 to max bytes: a name
 * that means the same file on every system and climbs nowhere. */
static bool safe_file_name(const char *s, size_t n, size_t max)
{
    if (n == 0 || n > max || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isascii(c) && (isalnum(c) || c == '-' || c == '_' || c == '.')))
            return false;
    }
    return true;
}

bool package_safe_name(const char *s, size_t n)
{
    return safe_file_name(s, n, MAX_CASE_ID);
}

/* Lower-case ASCII letters and digits, other runs as one '-', no '-' at
 * either end; past max bytes cut at the last whole word that fits. */
static char *ascii_slug(const char *s, size_t n, size_t max)
{
    buf b = {0};
    bool dash = false;
    for (size_t i = 0; i < n && b.len <= max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isascii(c) && isalnum(c)) {
            if (dash && b.len)
                buf_addc(&b, '-');
            buf_addc(&b, (char)tolower(c));
            dash = false;
        } else {
            dash = true;
        }
    }
    if (b.len > max) {
        size_t cut = max;
        while (cut > max / 2 && b.data[cut] != '-')
            cut--;
        if (b.data[cut] != '-')
            cut = max;
        b.len = cut;
        b.data[cut] = '\0';
    }
    return b.data ? buf_steal(&b) : xstrdup("");
}

static UTransliterator *slug_proto; /* built once, cloned per use; lives until exit */
static pthread_once_t slug_once = PTHREAD_ONCE_INIT;

static void slug_build(void)
{
    UErrorCode e = U_ZERO_ERROR;
    int32_t n = 0;
    u_strFromUTF8(NULL, 0, &n, slug_rules, -1, &e);
    UChar *rules = xmalloc(((size_t)n + 1) * sizeof *rules);
    e = U_ZERO_ERROR;
    u_strFromUTF8(rules, n + 1, NULL, slug_rules, -1, &e);
    UChar id[] = {'c', 'a', 's', 'e', 'p', 'a', 'c', 'k', '-', 's', 'l', 'u', 'g', 0};
    UParseError pe;
    if (U_SUCCESS(e))
        slug_proto = utrans_openU(id, -1, UTRANS_FORWARD, rules, n, &pe, &e);
    if (U_FAILURE(e))
        slug_proto = NULL;
    free(rules);
}

char *package_slug(const char *title, size_t n)
{
    bool ascii = true;
    for (size_t i = 0; i < n && ascii; i++)
        ascii = !((unsigned char)title[i] & 0x80);
    if (ascii)
        return ascii_slug(title, n, MAX_SLUG);

    char *out = NULL;
    UErrorCode e = U_ZERO_ERROR;
    pthread_once(&slug_once, slug_build);
    /* A transliterator is not for two threads at once: each call its own. */
    UTransliterator *tr = slug_proto ? utrans_clone(slug_proto, &e) : NULL;
    if (U_FAILURE(e))
        tr = NULL;
    e = U_ZERO_ERROR;
    int32_t len = 0;
    u_strFromUTF8(NULL, 0, &len, title, (int32_t)n, &e);
    if (e == U_BUFFER_OVERFLOW_ERROR)
        e = U_ZERO_ERROR;
    /* Transliteration may lengthen the text: "Щ" becomes "Shch". */
    int32_t cap = len * 4 + 16;
    UChar *u = xmalloc((size_t)cap * sizeof *u);
    u_strFromUTF8(u, cap, &len, title, (int32_t)n, &e);
    int32_t limit = len;
    if (tr)
        utrans_transUChars(tr, u, &len, cap, 0, &limit, &e);
    if (U_SUCCESS(e)) {
        int32_t n8 = 0;
        UErrorCode e8 = U_ZERO_ERROR;
        u_strToUTF8(NULL, 0, &n8, u, len, &e8);
        char *utf8 = xmalloc((size_t)n8 + 1);
        e8 = U_ZERO_ERROR;
        u_strToUTF8(utf8, n8 + 1, NULL, u, len, &e8);
        out = ascii_slug(utf8, (size_t)n8, MAX_SLUG);
        free(utf8);
    }
    if (tr)
        utrans_close(tr);
    free(u);
    return out ? out : ascii_slug(title, n, MAX_SLUG);
}

/* ---- options, date, password ---- */

bool package_date(const char *date_flag, time_t *date, bool *reproducible, diag *d)
{
    *reproducible = false;
    if (date_flag) {
        bool shape = strlen(date_flag) == 10;
        for (int i = 0; shape && i < 10; i++)
            shape = i == 4 || i == 7 ? date_flag[i] == '-' : isdigit((unsigned char)date_flag[i]);
        if (shape) {
            int y = atoi(date_flag), m = atoi(date_flag + 5), dd = atoi(date_flag + 8);
            struct tm tm = {0};
            tm.tm_year = y - 1900;
            tm.tm_mon = m - 1;
            tm.tm_mday = dd;
            time_t t = timegm(&tm);
            struct tm back;
            if (t != (time_t)-1 && gmtime_r(&t, &back) && back.tm_year == y - 1900 &&
                back.tm_mon == m - 1 && back.tm_mday == dd) {
                *date = t;
                *reproducible = true;
                return true;
            }
        }
        diag_error(d, (diag_place){0},
                   "--date takes a calendar date written YYYY-MM-DD (e.g. 2027-01-17), not %s",
                   diag_quote(date_flag, strlen(date_flag)));
        return false;
    }
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        errno = 0;
        long long t = strtoll(sde, &end, 10);
        if (*end || errno || t < 0 || !isdigit((unsigned char)sde[0])) {
            diag_error(d, (diag_place){0},
                       "SOURCE_DATE_EPOCH must be a number of seconds since 1970-01-01 UTC, not "
                       "%s",
                       diag_quote(sde, strlen(sde)));
            return false;
        }
        *date = (time_t)t;
        *reproducible = true;
        return true;
    }
    *date = time(NULL);
    return true;
}

void package_options_init(package_options *o)
{
    memset(o, 0, sizeof *o);
    o->pdf_timeout = PACKAGE_DEFAULT_PDF_TIMEOUT;
    diag *ignored = diag_new();
    if (!package_date(NULL, &o->date, &o->reproducible, ignored)) {
        o->date = time(NULL);
        o->reproducible = false;
    }
    diag_free(ignored);
}

char *package_password(const char *password_file, diag *d, int *io_error)
{
    *io_error = 0;
    if (!password_file) {
        const char *env = getenv("CASEPACK_PASSWORD");
        return env && *env ? xstrdup(env) : NULL;
    }
    buf b = {0};
    int err = util_read_file(password_file, &b, 1 << 16);
    if (err) {
        diag_error(d, (diag_place){.file = password_file}, "cannot read the password file: %s",
                   err == EFBIG ? "it is larger than 64 KB, so it is not a password file"
                                : strerror(err));
        if (err != EFBIG)
            *io_error = err;
        buf_free(&b);
        return NULL;
    }
    size_t n = b.data ? strcspn(b.data, "\n") : 0;
    if (n && b.data[n - 1] == '\r')
        n--;
    char *pw = NULL;
    if (n == 0 || memchr(b.data, '\0', n))
        diag_error(d, (diag_place){.file = password_file},
                   "the password file holds no password on its first line");
    else
        pw = xstrndup(b.data, n);
    if (b.data)
        memset(b.data, 0, b.len);
    buf_free(&b);
    return pw;
}

/* ---- the kit, compiled once ---- */

/* One document's template in one format, compiled on first use. */
typedef struct pk_slot {
    bool tried;
    doc_template *t;
    char *path;
    char sha256[65];
    diag *problems; /* from compiling, replayed to every build that needs it */
    int io_error;
} pk_slot;

/* One document's name pattern, compiled at package_kit_new. */
typedef struct pk_name {
    tpl_program *prog; /* NULL: no pattern, or it did not compile */
    diag *problems;
} pk_name;

enum { FMT_DOCX, FMT_ODT, FMT_COUNT };
static const char *const format_ext[FMT_COUNT] = {[FMT_DOCX] = "docx", [FMT_ODT] = "odt"};

struct package_kit {
    const kit *k;
    doc_options doc;
    pthread_mutex_t lock; /* guards slots: builds run in parallel under batch */
    pk_slot *slots[FMT_COUNT];
    pk_name *names;
};

package_kit *package_kit_new(const kit *k, const doc_options *doc_opt)
{
    package_kit *pk = xcalloc(1, sizeof *pk);
    pk->k = k;
    pk->doc = *doc_opt;
    pthread_mutex_init(&pk->lock, NULL);
    for (int f = 0; f < FMT_COUNT; f++)
        pk->slots[f] = xcalloc(k->n_documents + 1, sizeof *pk->slots[f]);
    pk->names = xcalloc(k->n_documents + 1, sizeof *pk->names);
    char *kit_yaml = xasprintf("%s/kit.yaml", k->dir);
    tpl_delims delims = tpl_default_delims();
    for (size_t i = 0; i < k->n_documents; i++) {
        const char *pat = k->documents[i].name_pattern;
        pk->names[i].problems = diag_new();
        if (pat)
            pk->names[i].prog = tpl_compile_text(pat, strlen(pat), kit_yaml, "", &delims,
                                                 doc_opt->max_section_depth,
                                                 pk->names[i].problems);
    }
    free(kit_yaml);
    return pk;
}

void package_kit_free(package_kit *pk)
{
    if (!pk)
        return;
    for (int f = 0; f < FMT_COUNT; f++) {
        for (size_t i = 0; i < pk->k->n_documents; i++) {
            doc_free(pk->slots[f][i].t);
            free(pk->slots[f][i].path);
            diag_free(pk->slots[f][i].problems);
        }
        free(pk->slots[f]);
    }
    for (size_t i = 0; i < pk->k->n_documents; i++) {
        tpl_free(pk->names[i].prog);
        diag_free(pk->names[i].problems);
    }
    free(pk->names);
    pthread_mutex_destroy(&pk->lock);
    free(pk);
}

/* Where a document's template for format f may be, in order: the format's
 * own files, then the base itself (a text template serves both formats). */
static const char *const template_candidates[FMT_COUNT][3] = {
    [FMT_DOCX] = {".docx", "", NULL},
    [FMT_ODT] = {".odt", ".fodt", ""},
};

/* Finds and reads the template of document i in format f into s. */
static void slot_load(package_kit *pk, int f, size_t i, pk_slot *s)
{
    const kit_document *doc = &pk->k->documents[i];
    buf b = {0};
    size_t cap = pk->doc.zip.max_total_size ? (size_t)pk->doc.zip.max_total_size : 0;
    int err = ENOENT;
    for (size_t c = 0; c < 3 && template_candidates[f][c] && err == ENOENT; c++) {
        free(s->path);
        s->path = xasprintf("%s%s", doc->template_base, template_candidates[f][c]);
        struct stat st;
        if (stat(s->path, &st) == 0 && !S_ISREG(st.st_mode))
            continue;
        buf_reset(&b);
        err = util_read_file(s->path, &b, cap);
    }
    if (err == ENOENT) {
        free(s->path);
        s->path = xasprintf("%s.%s", doc->template_base, format_ext[f]);
        diag_error(s->problems, (diag_place){.file = s->path},
                   "the kit %s has no %s template for its document %s; use --format %s, or add "
                   "the template to the kit",
                   pk->k->id, f == FMT_DOCX ? "DOCX" : "ODT", doc->id,
                   f == FMT_DOCX ? "odt" : "docx");
    } else if (err == EFBIG) {
        diag_error(s->problems, (diag_place){.file = s->path},
                   "the template is larger than the limit of %zu bytes; raise it with "
                   "--max-total-size",
                   cap);
    } else if (err) {
        diag_error(s->problems, (diag_place){.file = s->path}, "cannot read the template: %s",
                   strerror(err));
        s->io_error = err;
    } else {
        sha256_hex(b.data ? b.data : "", b.len, s->sha256);
        s->t = doc_compile_memory(b.data ? b.data : "", b.len, doc_format_of(s->path), s->path,
                                  &pk->doc, s->problems);
    }
    buf_free(&b);
}

/* The compiled template of document i in format f, or NULL with its
 * problems replayed into d. The slot stays valid until package_kit_free. */
static const pk_slot *kit_template(package_kit *pk, int f, size_t i, diag *d, int *io_error)
{
    pthread_mutex_lock(&pk->lock);
    pk_slot *s = &pk->slots[f][i];
    if (!s->tried) {
        s->tried = true;
        s->problems = diag_new();
        slot_load(pk, f, i, s);
    }
    pthread_mutex_unlock(&pk->lock);
    /* Filled once under the lock above and never changed after. */
    if (!s->t) {
        replay(d, s->problems);
        if (s->io_error)
            *io_error = s->io_error;
        return NULL;
    }
    return s;
}

/* ---- one package in the making ---- */

typedef struct pk_file {
    char *path; /* inside the case folder: "01-claim.docx", "annexes/A01-passport.pdf" */
    buf data;
    bool store;
} pk_file;

typedef struct pk_annex {
    char number[24];
    char *name;   /* "A01-passport.pdf" */
    char *title;  /* as the case gives it, or NULL */
    char *source; /* as the case writes it */
    char *real;   /* resolved */
    const value *at;
} pk_annex;

typedef struct pk_warning {
    char *document; /* NULL: the package as a whole */
    char *key;      /* a citation not verified: its key and status; else NULL */
    const char *status;
    char *text;     /* the message, its place relative to the kit's folder */
} pk_warning;

typedef struct pk_build {
    package_kit *pk;
    const package_options *opt;
    diag *d;
    int *io_error;
    const char *case_file;
    value *data; /* the kit's defaults under the case, annex numbers added */
    char *id;
    int fmt;
    pk_file *files;
    size_t n_files;
    size_t n_documents; /* the first n_documents files are the rendered documents */
    pk_annex *annexes;
    size_t n_annexes;
    pk_warning *warnings;
    size_t n_warnings;
    bool pdf_varies; /* a PDF keeps LibreOffice's date and ID (pdf_normalise) */
} pk_build;

static pk_file *add_file(pk_build *b, char *path, bool store)
{
    b->files = xrealloc(b->files, (b->n_files + 1) * sizeof *b->files);
    pk_file *f = &b->files[b->n_files++];
    memset(f, 0, sizeof *f);
    f->path = path;
    f->store = store;
    return f;
}

/* Keeps a render warning for the manifest. The place loses the kit's
 * folder, which differs between machines, so the manifest does not. A
 * citation warning (doc.c writes them as `citation "KEY" is …`) also gets
 * its key and the entry's status, looked up in the library. */
static void add_warning(pk_build *b, const char *document, const char *text)
{
    b->warnings = xrealloc(b->warnings, (b->n_warnings + 1) * sizeof *b->warnings);
    pk_warning *w = &b->warnings[b->n_warnings++];
    memset(w, 0, sizeof *w);
    w->document = document ? xstrdup(document) : NULL;
    const char *dir = b->pk->k->dir;
    size_t dl = strlen(dir);
    w->text = xstrdup(!strncmp(text, dir, dl) && text[dl] == '/' ? text + dl + 1 : text);
    const char *c = strstr(text, ": citation \"");
    const char *end = c ? strstr(c + 12, "\" is ") : NULL;
    if (end && b->opt->citations) {
        char *key = xstrndup(c + 12, (size_t)(end - (c + 12)));
        const cite_entry *e = cite_find(b->opt->citations, key, NULL);
        if (e) {
            w->key = key;
            w->status = cite_status_name(e->status);
        } else {
            free(key);
        }
    }
}

static void build_free(pk_build *b)
{
    value_free(b->data);
    free(b->id);
    for (size_t i = 0; i < b->n_files; i++) {
        free(b->files[i].path);
        buf_free(&b->files[i].data);
    }
    free(b->files);
    for (size_t i = 0; i < b->n_annexes; i++) {
        free(b->annexes[i].name);
        free(b->annexes[i].title);
        free(b->annexes[i].source);
        free(b->annexes[i].real);
    }
    free(b->annexes);
    for (size_t i = 0; i < b->n_warnings; i++) {
        free(b->warnings[i].document);
        free(b->warnings[i].key);
        free(b->warnings[i].text);
    }
    free(b->warnings);
}

/* Extensions of formats that are compressed already. */
static bool already_compressed(const char *ext)
{
    static const char *const exts[] = {"docx", "docm", "xlsx", "pptx", "odt", "ods", "odp",
                                       "zip",  "gz",   "7z",   "jpg",  "jpeg", "png", "gif",
                                       "webp", "heic", "mp3",  "mp4",  "m4a", "ogg", "mov"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (!strcasecmp(ext, exts[i]))
            return true;
    return false;
}

/* Adds what defaults has and top lacks, key by key through maps: the same
 * result as value_merge(defaults, top), but every value the case wrote keeps
 * its place, the root map included, so schema errors point into the case. */
static void merge_under(value *top, const value *defaults)
{
    if (top->kind != VALUE_MAP || defaults->kind != VALUE_MAP)
        return;
    for (size_t i = 0; i < defaults->len; i++) {
        const char *key = defaults->keys[i];
        value *have = value_map_get(top, key, strlen(key));
        if (!have)
            value_map_add(top, key, strlen(key), value_clone(defaults->items[i]));
        else
            merge_under(have, defaults->items[i]);
    }
}

/* The case id: case.id, else a top-level id. It names the zip and the folder
 * inside it, so it must be a plain file name. */
static bool check_case_id(pk_build *b)
{
    const value *c = value_map_get(b->data, "case", 4);
    const value *id = scalar_field(c, "id");
    const char *path = "case.id";
    if (!id) {
        id = scalar_field(b->data, "id");
        path = "id";
    }
    if (!id) {
        diag_error(b->d, (diag_place){.file = b->case_file ? b->case_file : "(case)"},
                   "the case has no id; add one as `case: {id: ...}` (letters, digits, \"-\", "
                   "\"_\" and \".\"): it names the package");
        return false;
    }
    size_t n;
    const char *s = value_text(id, &n);
    if (!package_safe_name(s, n)) {
        diag_error(b->d, place_of(id),
                   "%s: \"%s\" cannot name the package: use only letters, digits, \"-\", \"_\" "
                   "and \".\" (not first), at most %d characters",
                   path, diag_quote(s, n), MAX_CASE_ID);
        return false;
    }
    b->id = xstrndup(s, n);
    return true;
}

/* The folder annex paths are relative to, resolved. */
static char *case_folder(const char *case_file)
{
    char *dir;
    const char *slash = case_file ? strrchr(case_file, '/') : NULL;
    if (!case_file || !strcmp(case_file, "-"))
        dir = xstrdup(".");
    else if (!slash)
        dir = xstrdup(".");
    else if (slash == case_file)
        dir = xstrdup("/");
    else
        dir = xstrndup(case_file, (size_t)(slash - case_file));
    char *real = realpath(dir, NULL);
    if (real) {
        free(dir);
        return real;
    }
    return dir;
}

/* True when path, taken lexically, climbs out of its base with "..". */
static bool climbs_out(const char *path)
{
    if (path[0] == '/')
        return true;
    long depth = 0;
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            depth--;
        else if (len && !(len == 1 && p[0] == '.'))
            depth++;
        if (depth < 0)
            return true;
        p += len;
        if (*p)
            p++;
    }
    return false;
}

/* The lower-case extension of a file name, kept to letters and digits. */
static char *annex_ext(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return xstrdup("");
    return ascii_slug(dot + 1, strlen(dot + 1), MAX_EXT);
}

/* Checks every annex the case lists and gives each its number and name.
 * Every problem is reported at the line of the entry at fault. */
static bool check_annexes(pk_build *b)
{
    const value *list = value_map_get(b->data, "annexes", 7);
    if (!list || list->kind == VALUE_NULL)
        return true;
    if (list->kind != VALUE_LIST) {
        diag_error(b->d, place_of(list),
                   "annexes: expected a list of annexes, each with `file` and `title`, not a %s",
                   value_kind_name(list->kind));
        return false;
    }
    char *folder = case_folder(b->case_file);
    size_t folder_len = strlen(folder);
    const char *shown_dir = NULL;
    size_t shown_len = 0;
    if (b->case_file && strcmp(b->case_file, "-") && strrchr(b->case_file, '/')) {
        shown_dir = b->case_file;
        shown_len = (size_t)(strrchr(b->case_file, '/') - b->case_file);
    }
    b->annexes = xcalloc(list->len + 1, sizeof *b->annexes);
    bool ok = true;
    for (size_t i = 0; i < list->len; i++) {
        value *item = list->items[i];
        const value *file = scalar_field(item, "file");
        if (!file) {
            diag_error(b->d, place_of(item),
                       "annex A%02zu: each annex needs `file`, the path of the file to attach "
                       "(relative to the case file's folder)",
                       i + 1);
            ok = false;
            continue;
        }
        size_t flen;
        const char *fname = value_text(file, &flen);
        char *joined = fname[0] == '/' ? xstrdup(fname)
                                       : xasprintf("%s/%s", folder, fname);
        char *shown = fname[0] == '/' || !shown_dir
                          ? xstrdup(fname)
                          : xasprintf("%.*s/%s", (int)shown_len, shown_dir, fname);
        char *real = realpath(joined, NULL);
        struct stat st = {0};
        const char *quoted = diag_quote(fname, flen);
        if (!real) {
            int err = errno;
            if (err == ENOENT || err == ENOTDIR)
                diag_error(b->d, place_of(file),
                           "annex A%02zu: file \"%s\" does not exist (looked for %s); annex paths "
                           "are relative to the folder of the case file",
                           i + 1, quoted, shown);
            else
                diag_error(b->d, place_of(file), "annex A%02zu: file \"%s\" cannot be opened: %s",
                           i + 1, quoted, strerror(err));
            ok = false;
        } else if (strncmp(real, folder, folder_len) != 0 ||
                   (real[folder_len] != '/' && !(folder_len == 1 && folder[0] == '/'))) {
            if (climbs_out(fname))
                diag_error(b->d, place_of(file),
                           "annex A%02zu: file \"%s\" is outside the case's folder; copy the "
                           "file into the folder of the case file (or a folder inside it) and "
                           "name it from there",
                           i + 1, quoted);
            else
                diag_error(b->d, place_of(file),
                           "annex A%02zu: file \"%s\" leads outside the case's folder through a "
                           "symbolic link; copy the file itself into the case's folder",
                           i + 1, quoted);
            ok = false;
        } else if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
            diag_error(b->d, place_of(file),
                       "annex A%02zu: file \"%s\" is %s, not a regular file; name the file to "
                       "attach",
                       i + 1, quoted, S_ISDIR(st.st_mode) ? "a folder" : "a special file");
            ok = false;
        } else {
            pk_annex *a = &b->annexes[b->n_annexes++];
            snprintf(a->number, sizeof a->number, "A%02zu", i + 1);
            const value *title = scalar_field(item, "title");
            size_t tlen = 0;
            const char *ttext = title ? value_text(title, &tlen) : NULL;
            char *slug = ttext ? package_slug(ttext, tlen) : xstrdup("");
            if (!slug[0]) {
                free(slug);
                const char *slash = strrchr(fname, '/');
                const char *base = slash ? slash + 1 : fname;
                const char *dot = strrchr(base, '.');
                size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
                slug = package_slug(base, stem);
            }
            if (!slug[0]) {
                free(slug);
                slug = xstrdup("annex");
            }
            char *ext = annex_ext(fname);
            a->name = xasprintf("%s-%s%s%s", a->number, slug, ext[0] ? "." : "", ext);
            a->title = ttext ? xstrndup(ttext, tlen) : NULL;
            a->source = xstrndup(fname, flen);
            a->real = real;
            a->at = file;
            real = NULL;
            /* The number tells annexes apart, but a list with two of the same
             * name (or the same file twice) is a mistake in the case. */
            for (size_t j = 0; j + 1 < b->n_annexes; j++) {
                pk_annex *o = &b->annexes[j];
                if (!strcmp(o->real, a->real)) {
                    diag_error(b->d, place_of(file),
                               "annex %s: file \"%s\" is the same file as annex %s (line %u); "
                               "list each file once",
                               a->number, quoted, o->number, o->at->line);
                    ok = false;
                } else if (!strcmp(strchr(o->name, '-'), strchr(a->name, '-'))) {
                    diag_error(b->d, place_of(item),
                               "annex %s: annexes %s and %s would have the same name \"%s\" "
                               "after their numbers; give them different titles",
                               a->number, o->number, a->number, strchr(a->name, '-') + 1);
                    ok = false;
                }
            }
            free(ext);
            free(slug);
        }
        free(real);
        free(joined);
        free(shown);
    }
    free(folder);
    if (!ok)
        return false;
    /* The templates list the annexes as they will be filed. */
    for (size_t i = 0; i < b->n_annexes; i++) {
        value *item = list->items[i];
        value_map_set(item, "number", 6, value_new_string(b->annexes[i].number,
                                                          strlen(b->annexes[i].number)));
        value_map_set(item, "filename", 8,
                      value_new_string(b->annexes[i].name, strlen(b->annexes[i].name)));
    }
    return true;
}

/* docx or odt: the option, else the case's `format`, else docx. */
static bool choose_format(pk_build *b)
{
    const char *want = b->opt->format;
    const value *v = NULL;
    if (!want) {
        v = value_map_get(b->data, "format", 6);
        if (v && v->kind == VALUE_STRING)
            want = v->str;
        else if (v && v->kind != VALUE_NULL) {
            diag_error(b->d, place_of(v), "format: expected docx or odt, not a %s",
                       value_kind_name(v->kind));
            return false;
        }
    }
    if (!want || !strcasecmp(want, "docx")) {
        b->fmt = FMT_DOCX;
        return true;
    }
    if (!strcasecmp(want, "odt")) {
        b->fmt = FMT_ODT;
        return true;
    }
    diag_place at = v ? place_of(v) : (diag_place){0};
    diag_error(b->d, at, "%s\"%s\" is not a format casepack writes documents in; use docx or odt",
               v ? "format: " : "--format: ", diag_quote(want, strlen(want)));
    return false;
}

/* Writes values as they are: a document's name is not HTML. */
static bool raw_value(void *ud, buf *out, const char *s, size_t n, uint32_t ctx, bool escape,
                      const diag_place *where, diag *d)
{
    (void)ud, (void)ctx, (void)escape, (void)where, (void)d;
    buf_add(out, s, n);
    return true;
}

/* "01-claim", or "01-" and the document's name pattern rendered. */
static char *document_name(pk_build *b, size_t i, const render_options *ro)
{
    const kit_document *doc = &b->pk->k->documents[i];
    const pk_name *pn = &b->pk->names[i];
    if (!doc->name_pattern)
        return xasprintf("%02zu-%s", i + 1, doc->id);
    if (!pn->prog) {
        replay(b->d, pn->problems);
        return NULL;
    }
    render_options nro = *ro;
    nro.value = raw_value;
    nro.partial = NULL;
    buf out = {0};
    char *name = NULL;
    if (render_program(pn->prog, b->data, &nro, &out, b->d)) {
        const char *s = out.data ? out.data : "";
        if (safe_file_name(s, out.len, MAX_DOCUMENT_NAME)) {
            name = xasprintf("%02zu-%s", i + 1, s);
        } else {
            char *kit_yaml = xasprintf("%s/kit.yaml", b->pk->k->dir);
            diag_error(b->d, (diag_place){.file = kit_yaml},
                       "the name pattern of document %s gives \"%s\" for this case, which cannot "
                       "name a file: it may hold only letters, digits, \"-\", \"_\" and \".\" "
                       "(not first), at most %d of them",
                       doc->id, diag_quote(s, out.len), MAX_DOCUMENT_NAME);
            free(kit_yaml);
        }
    }
    buf_free(&out);
    return name;
}

static bool render_documents(pk_build *b)
{
    const kit *k = b->pk->k;
    render_options ro = b->opt->render;
    ro.value = NULL;
    ro.partial = NULL;
    ro.citations = b->opt->citations;
    /* The kit's language unless the case or the command line says another. */
    if (!ro.locale && !value_map_get(b->data, "locale", 6))
        ro.locale = k->locale;
    bool ok = true;
    for (size_t i = 0; i < k->n_documents; i++) {
        const pk_slot *s = kit_template(b->pk, b->fmt, i, b->d, b->io_error);
        char *name = document_name(b, i, &ro);
        if (!s || !name) {
            free(name);
            ok = false;
            continue;
        }
        diag *dd = diag_new();
        buf out = {0};
        bool rendered = doc_render(s->t, b->data, &ro, &out, dd);
        for (size_t w = 0; w < diag_count(dd); w++)
            if (diag_get(dd, w)->level == DIAG_WARNING)
                add_warning(b, k->documents[i].id, diag_get(dd, w)->text);
        diag_take(b->d, dd);
        diag_free(dd);
        if (!rendered) {
            buf_free(&out);
            free(name);
            ok = false;
            continue;
        }
        const char *ext = doc_output_extension(s->t);
        pk_file *f = add_file(b, xasprintf("%s%s%s", name, *ext ? "." : "", ext),
                              already_compressed(ext));
        f->data = out;
        free(name);
    }
    b->n_documents = b->n_files;
    if (ok && b->opt->render.strict && b->n_warnings) {
        diag_error(b->d, (diag_place){0},
                   "--strict makes the warnings above errors: no package was written");
        ok = false;
    }
    return ok;
}

static bool read_annexes(pk_build *b)
{
    bool ok = true;
    for (size_t i = 0; i < b->n_annexes; i++) {
        pk_annex *a = &b->annexes[i];
        pk_file *f = add_file(b, xasprintf("annexes/%s", a->name),
                              already_compressed(util_extension(a->name)));
        int err = util_read_file(a->real, &f->data, 0);
        if (err) {
            diag_error(b->d, place_of(a->at), "annex %s: file \"%s\" cannot be read: %s",
                       a->number, diag_quote(a->source, strlen(a->source)), strerror(err));
            *b->io_error = err;
            ok = false;
        }
    }
    return ok;
}

/* ---- PDF through LibreOffice ---- */

/* The soffice to run: $CASEPACK_SOFFICE, else the first on PATH. Caller
 * frees; NULL when there is none. */
static char *find_soffice(void)
{
    const char *env = getenv("CASEPACK_SOFFICE");
    if (env && *env)
        return access(env, X_OK) == 0 ? xstrdup(env) : NULL;
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;;) {
        size_t len = strcspn(p, ":");
        char *cand = xasprintf("%.*s/soffice", (int)len, len ? p : ".");
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return cand;
        free(cand);
        if (!p[len])
            break;
        p += len + 1;
    }
    return NULL;
}

/* Removes a folder and everything in it, following no links. */
static void remove_tree(int parent, const char *name)
{
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (fd >= 0) {
        DIR *dir = fdopendir(fd);
        if (dir) {
            struct dirent *e;
            while ((e = readdir(dir))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                struct stat st;
                if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
                    remove_tree(fd, e->d_name);
                else
                    unlinkat(fd, e->d_name, 0);
            }
            closedir(dir);
        } else {
            close(fd);
        }
    }
    unlinkat(parent, name, AT_REMOVEDIR);
}

/* file:// URL of an absolute path, bytes outside the unreserved set escaped. */
static char *file_url(const char *path)
{
    buf b = {0};
    buf_adds(&b, "file://");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (isascii(*p) && (isalnum(*p) || strchr("/-._~", *p)))
            buf_addc(&b, (char)*p);
        else
            buf_printf(&b, "%%%02X", *p);
    }
    return buf_steal(&b);
}

/* The last non-empty line of LibreOffice's output, for a message. */
static char *last_line(const char *log_path)
{
    buf b = {0};
    util_read_file(log_path, &b, 1 << 20);
    char *line = NULL;
    if (b.data) {
        size_t end = b.len;
        while (end && strchr("\n\r ", b.data[end - 1]))
            end--;
        size_t start = end;
        while (start && b.data[start - 1] != '\n')
            start--;
        if (end > start)
            line = xstrndup(b.data + start, end - start);
    }
    buf_free(&b);
    return line;
}

/* Runs argv with output to log_path, waits at most timeout seconds (then
 * kills its whole process group). Returns the exit status, -1 when it could
 * not start (errno in *err), -2 on timeout. */
static int run_with_timeout(char **argv, const char *log_path, unsigned timeout, int *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    /* Its own process group: soffice starts soffice.bin, and a timeout
     * must end both. */
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    /* In UTC, LibreOffice writes the same date stamp on every machine
     * (pdf_normalise then rewrites its digits). */
    size_t n_env = 0;
    while (environ[n_env])
        n_env++;
    char **envp = xcalloc(n_env + 2, sizeof *envp);
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++)
        if (strncmp(environ[i], "TZ=", 3) != 0)
            envp[k++] = environ[i];
    envp[k++] = "TZ=UTC";
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp);
    free(envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        *err = rc;
        return -1;
    }
    struct timespec step = {0, 20 * 1000 * 1000};
    unsigned long long waited_ms = 0, limit_ms = (unsigned long long)timeout * 1000;
    for (;;) {
        int status;
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (got < 0 && errno != EINTR) {
            *err = errno;
            return -1;
        }
        if (waited_ms >= limit_ms) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            return -2;
        }
        nanosleep(&step, NULL);
        waited_ms += 20;
    }
}

/* The last occurrence of what[0..n) in b, or NULL. */
static char *find_last(const buf *b, const char *what)
{
    size_t n = strlen(what);
    if (!b->data || b->len < n)
        return NULL;
    for (size_t i = b->len - n + 1; i-- > 0;)
        if (b->data[i] == what[0] && !memcmp(b->data + i, what, n))
            return b->data + i;
    return NULL;
}

/* LibreOffice stamps each PDF with the time of conversion (/CreationDate,
 * local time with its offset) and a random /ID in the trailer; everything
 * else it writes is the same for the same document. Both are overwritten in
 * place with as many bytes, so the cross-reference offsets stay right: the
 * date becomes the package's (in UTC), the ID a hash of the PDF. False when
 * either is not where LibreOffice puts it; the PDF is then left as it is. */
static bool pdf_normalise(buf *pdf, time_t date)
{
    char *cd = find_last(pdf, "/CreationDate(D:");
    char *id = find_last(pdf, "/ID [");
    if (!cd || !id)
        return false;
    char *digits = cd + strlen("/CreationDate(D:");
    char *end = memchr(digits, ')', (size_t)(pdf->data + pdf->len - digits));
    struct tm tm;
    if (!end || end - digits < 14 || !gmtime_r(&date, &tm))
        return false;
    for (int i = 0; i < 14; i++)
        if (!isdigit((unsigned char)digits[i]))
            return false;
    char stamp[32];
    if (strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm) != 14)
        return false;
    memcpy(digits, stamp, 14);
    /* "+02'00'" becomes "+00'00'"; "Z'" stays. */
    for (char *p = digits + 14; p < end; p++) {
        if (isdigit((unsigned char)*p))
            *p = '0';
        else if (*p == '-')
            *p = '+';
    }
    /* Two hex strings: zeroed, then the hash of the whole PDF written in. */
    char *hex[2];
    size_t hex_len[2];
    char *p = id + strlen("/ID [");
    char *limit = pdf->data + pdf->len;
    for (int k = 0; k < 2; k++) {
        while (p < limit && (*p == ' ' || *p == '\n' || *p == '\r'))
            p++;
        if (p >= limit || *p != '<')
            return false;
        hex[k] = ++p;
        while (p < limit && isxdigit((unsigned char)*p))
            p++;
        if (p >= limit || *p != '>')
            return false;
        hex_len[k] = (size_t)(p - hex[k]);
        p++;
    }
    /* LibreOffice's own checksum of the document, taken with the original
     * date, goes the same way when it is there. */
    char *sum = find_last(pdf, "/DocChecksum /");
    size_t sum_len = 0;
    if (sum) {
        sum += strlen("/DocChecksum /");
        while (sum + sum_len < limit && isxdigit((unsigned char)sum[sum_len]))
            sum_len++;
    }
    for (int k = 0; k < 2; k++)
        memset(hex[k], '0', hex_len[k]);
    if (sum)
        memset(sum, '0', sum_len);
    char sha[65];
    sha256_hex(pdf->data, pdf->len, sha);
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < hex_len[k]; i++)
            hex[k][i] = (char)toupper((unsigned char)sha[i % 64]);
    for (size_t i = 0; i < sum_len; i++)
        sum[i] = (char)toupper((unsigned char)sha[(i + 32) % 64]);
    return true;
}

/* Converts every rendered document to PDF with one LibreOffice run in a
 * private temporary folder (its own profile: a LibreOffice the user has
 * open, or another package converting at the same time, is not disturbed).
 * Each PDF follows its document in the package. */
static bool make_pdfs(pk_build *b, const char *soffice)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/casepack-pdf-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        int err = errno;
        diag_error(b->d, (diag_place){0}, "cannot make a temporary folder for --pdf in %s: %s",
                   tmp && *tmp ? tmp : "/tmp", strerror(err));
        *b->io_error = err;
        free(dir);
        return false;
    }
    bool ok = true;
    size_t nd = b->n_documents;
    char **argv = xcalloc(nd + 9, sizeof *argv);
    char *profile_dir = xasprintf("%s/profile", dir);
    char *profile_url = file_url(profile_dir);
    char *env_arg = xasprintf("-env:UserInstallation=%s", profile_url);
    char *outdir = xasprintf("%s/out", dir);
    char *log_path = xasprintf("%s/soffice.log", dir);
    size_t a = 0;
    argv[a++] = (char *)soffice;
    argv[a++] = "--headless";
    argv[a++] = "--norestore";
    argv[a++] = env_arg;
    argv[a++] = "--convert-to";
    argv[a++] = "pdf";
    argv[a++] = "--outdir";
    argv[a++] = outdir;
    for (size_t i = 0; i < nd && ok; i++) {
        char *p = xasprintf("%s/%s", dir, b->files[i].path);
        int err = util_write_atomic(p, b->files[i].data.data ? b->files[i].data.data : "",
                                    b->files[i].data.len, 0600, true, NULL);
        if (err) {
            diag_error(b->d, (diag_place){.file = p}, "cannot write for --pdf: %s",
                       strerror(err));
            *b->io_error = err;
            ok = false;
        }
        argv[a++] = p;
    }
    if (ok) {
        int err = 0;
        unsigned timeout = b->opt->pdf_timeout ? b->opt->pdf_timeout : PACKAGE_DEFAULT_PDF_TIMEOUT;
        int rc = run_with_timeout(argv, log_path, timeout, &err);
        if (rc == -1) {
            diag_error(b->d, (diag_place){.file = soffice}, "cannot run LibreOffice for --pdf: %s",
                       strerror(err));
            *b->io_error = err;
            ok = false;
        } else if (rc == -2) {
            diag_error(b->d, (diag_place){0},
                       "LibreOffice did not finish converting the documents to PDF within %u "
                       "seconds and was stopped; try again, or allow more time with "
                       "--pdf-timeout",
                       timeout);
            *b->io_error = ETIMEDOUT;
            ok = false;
        }
        /* Each PDF is inserted right after its document. */
        for (size_t i = 0; ok && i < nd; i++) {
            size_t at = i * 2; /* documents before it each have their PDF by now */
            const char *docpath = b->files[at].path;
            const char *dot = strrchr(docpath, '.');
            char *pdfname = xasprintf("%.*s.pdf", (int)(dot - docpath), docpath);
            char *pdfpath = xasprintf("%s/%s", outdir, pdfname);
            buf pdf = {0};
            int rerr = util_read_file(pdfpath, &pdf, 0);
            if (rerr || pdf.len == 0) {
                char *why = last_line(log_path);
                diag_error(b->d, (diag_place){0},
                           "LibreOffice made no PDF of %s (it exited with status %d%s%s); open "
                           "the document in LibreOffice to see why, or package without --pdf",
                           docpath, rc, why ? ": " : "", why ? why : "");
                free(why);
                *b->io_error = rerr ? rerr : EIO;
                ok = false;
                buf_free(&pdf);
                free(pdfname);
                free(pdfpath);
                break;
            }
            if (!pdf_normalise(&pdf, b->opt->date))
                b->pdf_varies = true;
            pk_file *f = add_file(b, pdfname, false);
            f->data = pdf;
            /* Move it from the end to just after its document. */
            pk_file moved = *f;
            memmove(&b->files[at + 2], &b->files[at + 1],
                    (b->n_files - 1 - (at + 1)) * sizeof *b->files);
            b->files[at + 1] = moved;
            free(pdfpath);
        }
    }
    for (size_t i = 8; i < a; i++)
        free(argv[i]);
    free(argv);
    free(profile_dir);
    free(profile_url);
    free(env_arg);
    free(outdir);
    free(log_path);
    remove_tree(AT_FDCWD, dir);
    free(dir);
    return ok;
}

/* ---- the manifest ---- */

static void json_str(buf *j, const char *s)
{
    if (s)
        buf_add_json(j, s, strlen(s));
    else
        buf_adds(j, "null");
}

static void format_date(time_t t, char out[32])
{
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(out, 32, "%lld", (long long)t);
}

/* Keys in a fixed order, two-space indentation, one file per line: the same
 * package gives the same bytes, and a person can read it. */
static void write_manifest(pk_build *b, const char *case_sha, buf *j)
{
    const kit *k = b->pk->k;
    const package_options *opt = b->opt;
    char date[32];
    format_date(opt->date, date);
    bool reproducible = opt->reproducible && !b->pdf_varies && !opt->password;

    buf_adds(j, "{\n  \"manifest\": ");
    json_str(j, MANIFEST_FORMAT);
    buf_adds(j, ",\n  \"tool\": {\"name\": \"casepack\", \"version\": ");
    json_str(j, CASEPACK_VERSION);
    buf_adds(j, "},\n  \"generated\": ");
    json_str(j, date);
    buf_printf(j, ",\n  \"reproducible\": %s,\n  \"notes\": [", reproducible ? "true" : "false");
    const char *notes[3];
    size_t nn = 0;
    if (!opt->reproducible)
        notes[nn++] = "the date was taken from the clock: set SOURCE_DATE_EPOCH or --date for "
                      "a package that can be rebuilt byte for byte";
    if (b->pdf_varies)
        notes[nn++] = "a PDF keeps the time of conversion and the random ID LibreOffice wrote "
                      "into it: the PDFs differ from run to run";
    else if (opt->pdf)
        notes[nn++] = "the PDFs were made by LibreOffice; their creation date is the generation "
                      "date and their ID a hash of their content, so the same LibreOffice "
                      "version makes the same bytes";
    if (opt->password)
        notes[nn++] = "the package is encrypted with AES-256 under random salts: its bytes "
                      "differ from run to run, the files inside do not";
    for (size_t i = 0; i < nn; i++) {
        buf_adds(j, i ? ",\n    " : "\n    ");
        json_str(j, notes[i]);
    }
    buf_adds(j, nn ? "\n  ],\n" : "],\n");

    buf_adds(j, "  \"kit\": {\n    \"id\": ");
    json_str(j, k->id);
    buf_adds(j, ",\n    \"title\": ");
    json_str(j, k->title);
    buf_adds(j, ",\n    \"templates\": [");
    for (size_t i = 0; i < k->n_documents; i++) {
        const pk_slot *s = &b->pk->slots[b->fmt][i];
        const char *slash = strrchr(s->path, '/');
        buf_adds(j, i ? ",\n      {\"document\": " : "\n      {\"document\": ");
        json_str(j, k->documents[i].id);
        buf_adds(j, ", \"file\": ");
        json_str(j, slash ? slash + 1 : s->path);
        buf_adds(j, ", \"sha256\": ");
        json_str(j, s->sha256);
        buf_adds(j, "}");
    }
    buf_adds(j, k->n_documents ? "\n    ]\n  },\n" : "]\n  },\n");

    buf_adds(j, "  \"case\": {\"id\": ");
    json_str(j, b->id);
    buf_adds(j, ", \"file\": ");
    const char *cf = b->case_file && strcmp(b->case_file, "-") ? b->case_file : NULL;
    const char *slash = cf ? strrchr(cf, '/') : NULL;
    json_str(j, slash ? slash + 1 : cf);
    buf_adds(j, ", \"sha256\": ");
    json_str(j, case_sha);
    buf_adds(j, "},\n  \"format\": ");
    json_str(j, format_ext[b->fmt]);
    buf_printf(j, ",\n  \"encrypted\": %s,\n", opt->password ? "true" : "false");

    buf_adds(j, "  \"annexes\": [");
    for (size_t i = 0; i < b->n_annexes; i++) {
        const pk_annex *a = &b->annexes[i];
        buf_adds(j, i ? ",\n    {\"number\": " : "\n    {\"number\": ");
        json_str(j, a->number);
        buf_adds(j, ", \"title\": ");
        json_str(j, a->title);
        buf_adds(j, ", \"source\": ");
        json_str(j, a->source);
        buf_printf(j, ", \"path\": \"%s/annexes/", b->id);
        buf_adds(j, a->name);
        buf_adds(j, "\"}");
    }
    buf_adds(j, b->n_annexes ? "\n  ],\n" : "],\n");

    buf_adds(j, "  \"files\": [");
    for (size_t i = 0; i < b->n_files; i++) {
        const pk_file *f = &b->files[i];
        char sha[65];
        sha256_hex(f->data.data ? f->data.data : "", f->data.len, sha);
        char *path = xasprintf("%s/%s", b->id, f->path);
        buf_adds(j, i ? ",\n    {\"path\": " : "\n    {\"path\": ");
        json_str(j, path);
        buf_printf(j, ", \"size\": %zu, \"sha256\": \"%s\"}", f->data.len, sha);
        free(path);
    }
    buf_adds(j, b->n_files ? "\n  ],\n" : "],\n");

    buf_adds(j, "  \"warnings\": [");
    for (size_t i = 0; i < b->n_warnings; i++) {
        buf_adds(j, i ? ",\n    {\"document\": " : "\n    {\"document\": ");
        json_str(j, b->warnings[i].document);
        buf_adds(j, ", \"citation\": ");
        json_str(j, b->warnings[i].key);
        buf_adds(j, ", \"status\": ");
        json_str(j, b->warnings[i].status);
        buf_adds(j, ", \"message\": ");
        json_str(j, b->warnings[i].text);
        buf_adds(j, "}");
    }
    buf_adds(j, b->n_warnings ? "\n  ]\n}\n" : "]\n}\n");
}

/* ---- assembling ---- */

static int by_size_desc(const void *a, const void *b)
{
    const pk_file *x = *(pk_file *const *)a, *y = *(pk_file *const *)b;
    if (x->data.len != y->data.len)
        return x->data.len < y->data.len ? 1 : -1;
    return strcmp(x->path, y->path);
}

/* Refuses a package over --max-size, naming its three largest files. */
static bool check_size(pk_build *b, size_t zip_len)
{
    if (!b->opt->max_size || zip_len <= b->opt->max_size)
        return true;
    pk_file **by = xcalloc(b->n_files + 1, sizeof *by);
    for (size_t i = 0; i < b->n_files; i++)
        by[i] = &b->files[i];
    qsort(by, b->n_files, sizeof *by, by_size_desc);
    buf list = {0};
    size_t shown = b->n_files < 3 ? b->n_files : 3;
    for (size_t i = 0; i < shown; i++) {
        char sz[32];
        human_size(by[i]->data.len, sz);
        buf_printf(&list, "%s%s (%s)", i == 0 ? "" : i + 1 == shown ? " and " : ", ",
                   by[i]->path, sz);
    }
    char total[32], limit[32];
    human_size(zip_len, total);
    human_size(b->opt->max_size, limit);
    char *zip_name = xasprintf("%s.zip", b->id);
    diag_error(b->d, (diag_place){.file = zip_name},
               "the package would be %s (%zu bytes), over the limit of %s (%llu bytes) set with "
               "--max-size; its largest file%s %s %s: leave out or shrink an annex, or raise "
               "--max-size",
               total, zip_len, limit, b->opt->max_size, shown == 1 ? "" : "s",
               shown == 1 ? "is" : "are", list.data ? list.data : "none");
    free(zip_name);
    buf_free(&list);
    free(by);
    return false;
}

static bool assemble(pk_build *b, const char *case_sha, buf *zip_out)
{
    buf manifest = {0};
    write_manifest(b, case_sha, &manifest);
    zipio_writer *w = zipio_writer_new(b->opt->date);
    if (b->opt->password)
        zipio_writer_set_password(w, b->opt->password);
    for (size_t i = 0; i < b->n_files; i++) {
        const pk_file *f = &b->files[i];
        char *name = xasprintf("%s/%s", b->id, f->path);
        zipio_add(w, name, f->data.data ? f->data.data : "", f->data.len, f->store,
                  PACKAGE_DEFLATE_LEVEL);
        free(name);
    }
    char *mname = xasprintf("%s/%s", b->id, MANIFEST_NAME);
    zipio_add(w, mname, manifest.data, manifest.len, false, PACKAGE_DEFLATE_LEVEL);
    free(mname);
    buf_free(&manifest);
    buf zip = {0};
    bool ok = zipio_writer_finish(w, &zip, b->d);
    zipio_writer_free(w);
    if (ok)
        ok = check_size(b, zip.len);
    if (ok)
        buf_add(zip_out, zip.data, zip.len);
    buf_free(&zip);
    return ok;
}

bool package_build(package_kit *pk, const value *case_data, const char *case_file,
                   const package_options *opt, diag *d, int *io_error, buf *zip_out,
                   char **zip_name)
{
    int io_ignored = 0;
    if (!io_error)
        io_error = &io_ignored;
    *io_error = 0;
    *zip_name = NULL;
    pk_build b = {.pk = pk, .opt = opt, .d = d, .io_error = io_error, .case_file = case_file};
    size_t errors_before = diag_error_count(d);
    char *soffice = NULL;
    char case_sha[65] = "";
    bool ok = false;

    if (opt->pdf && !(soffice = find_soffice())) {
        diag_error(d, (diag_place){0}, NO_SOFFICE);
        goto done;
    }
    b.data = value_clone(case_data);
    if (pk->k->defaults)
        merge_under(b.data, pk->k->defaults);
    if (b.data->kind != VALUE_MAP) {
        diag_error(d, place_of(b.data), "the case must be a map of fields, not a %s",
                   value_kind_name(b.data->kind));
        goto done;
    }
    if (pk->k->schema)
        schema_check(pk->k->schema, b.data, d);
    check_case_id(&b);
    choose_format(&b);
    check_annexes(&b);
    if (diag_error_count(d) > errors_before)
        goto done;

    if (case_file && strcmp(case_file, "-")) {
        buf cb = {0};
        int err = util_read_file(case_file, &cb, 0);
        if (err) {
            diag_error(d, (diag_place){.file = case_file}, "cannot read the case file: %s",
                       strerror(err));
            *io_error = err;
            buf_free(&cb);
            goto done;
        }
        sha256_hex(cb.data ? cb.data : "", cb.len, case_sha);
        buf_free(&cb);
    }

    if (!render_documents(&b) || !read_annexes(&b))
        goto done;
    if (opt->pdf && !make_pdfs(&b, soffice))
        goto done;
    ok = assemble(&b, case_sha[0] ? case_sha : NULL, zip_out);
    if (ok)
        *zip_name = xasprintf("%s.zip", b.id);

done:
    if (!ok && !*io_error && diag_system_errno(d)) {
        /* The system failed while a document or the zip was built (the
         * message before says where): an I/O failure, not the case's. */
        *io_error = diag_system_errno(d);
        if (b.id)
            diag_error(d, (diag_place){0}, "%s.zip not written: %s", b.id, strerror(*io_error));
    }
    free(soffice);
    build_free(&b);
    return ok;
}

int package_write(const char *dir, const char *name, const buf *zip, bool overwrite, diag *d)
{
    char *path = dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
    int err = 0;
    if (dir && mkdir(dir, 0700) != 0 && errno != EEXIST) {
        err = errno;
        diag_error(d, (diag_place){.file = dir}, "cannot make the output folder: %s",
                   strerror(err));
        free(path);
        return err;
    }
    const char *op = "write";
    err = util_write_atomic(path, zip->data ? zip->data : "", zip->len, 0600, overwrite, &op);
    if (err == EEXIST)
        diag_error(d, (diag_place){.file = path},
                   "already exists; casepack does not overwrite a package without --force "
                   "(or choose another folder with -o)");
    else if (err)
        diag_error(d, (diag_place){.file = path}, "cannot write (%s): %s", op, strerror(err));
    free(path);
    return err;
}

/* ---- verify ---- */

typedef struct listed {
    const char *path;
    const value *at;
    bool seen;
} listed;

static int listed_cmp(const void *a, const void *b)
{
    return strcmp(((const listed *)a)->path, ((const listed *)b)->path);
}

/* The entry of the package's manifest: the one "<folder>/manifest.json". */
static long find_manifest(const zipio_reader *r, const char *zip_path, diag *d)
{
    long found = -1;
    size_t n = 0;
    for (size_t i = 0; i < zipio_count(r); i++) {
        const char *name = zipio_name(r, i);
        const char *slash = strchr(name, '/');
        if (slash && slash != name && !strcmp(slash + 1, MANIFEST_NAME)) {
            found = (long)i;
            n++;
        }
    }
    if (n == 1)
        return found;
    if (n)
        diag_error(d, (diag_place){.file = zip_path},
                   "the package holds %zu manifests; a casepack package has one, "
                   "<case-id>/" MANIFEST_NAME,
                   n);
    else
        diag_error(d, (diag_place){.file = zip_path},
                   "the package has no <case-id>/" MANIFEST_NAME
                   ": it was not made by casepack package, or its manifest was removed");
    return -1;
}

bool package_verify(const char *zip_path, const char *password, const zipio_limits *lim, diag *d,
                    int *io_error, size_t *n_files)
{
    *n_files = 0;
    *io_error = 0;
    size_t errors_before = diag_error_count(d);
    zipio_reader *r = zipio_open_file_password(zip_path, password, lim, d, io_error);
    if (!r)
        return false;
    value *m = NULL;
    listed *files = NULL;
    size_t nf = 0;
    buf mb = {0};
    long mi = find_manifest(r, zip_path, d);
    if (mi < 0 || !zipio_read(r, (size_t)mi, &mb, d))
        goto done;
    const char *mname = zipio_name(r, (size_t)mi);
    char *mplace = xasprintf("%s:%s", zip_path, mname);
    load_limits ll = load_default_limits();
    m = load_yaml(mb.data ? mb.data : "", mb.len, mplace, &ll, d);
    free(mplace);
    if (!m)
        goto done;
    const value *fmt = scalar_field(m, "manifest");
    const value *list = value_map_get(m, "files", 5);
    if (!fmt || strcmp(fmt->str, MANIFEST_FORMAT) != 0 || !list || list->kind != VALUE_LIST) {
        diag_error(d, (diag_place){.file = zip_path, .part = mname},
                   "this is not a manifest casepack can read (it lacks \"manifest\": \"%s\" or "
                   "its list of files)",
                   MANIFEST_FORMAT);
        goto done;
    }
    files = xcalloc(list->len + 1, sizeof *files);
    for (size_t i = 0; i < list->len; i++) {
        const value *e = list->items[i];
        const value *p = scalar_field(e, "path"), *sz = scalar_field(e, "size"),
                    *sha = scalar_field(e, "sha256");
        if (!p || !sz || !sha || p->kind != VALUE_STRING || sha->kind != VALUE_STRING) {
            diag_error(d, place_of(e),
                       "files.%zu: each file of the manifest needs a path, a size and a sha256",
                       i);
            continue;
        }
        files[nf++] = (listed){.path = p->str, .at = e};
    }
    qsort(files, nf, sizeof *files, listed_cmp);
    for (size_t i = 0; i + 1 < nf; i++)
        if (!strcmp(files[i].path, files[i + 1].path))
            diag_error(d, (diag_place){.file = zip_path, .part = files[i].path},
                       "the manifest lists this file twice");
    if (diag_error_count(d) > errors_before)
        goto done;

    buf data = {0};
    for (size_t i = 0; i < nf; i++) {
        diag_place at = {.file = zip_path, .part = files[i].path};
        long idx = zipio_find(r, files[i].path);
        if (idx < 0) {
            diag_error(d, at, "missing: the manifest lists this file but the package does not "
                              "hold it");
            continue;
        }
        buf_reset(&data);
        if (!zipio_read(r, (size_t)idx, &data, d))
            continue;
        const value *sz = scalar_field(files[i].at, "size");
        const value *sha = scalar_field(files[i].at, "sha256");
        char got[65];
        sha256_hex(data.data ? data.data : "", data.len, got);
        char *end;
        unsigned long long want_size = strtoull(sz->str, &end, 10);
        if (want_size != data.len || *end)
            diag_error(d, at,
                       "changed: it holds %zu bytes, the manifest says %s (SHA-256 %s, the "
                       "manifest says %s)",
                       data.len, sz->str, got, sha->str);
        else if (strcmp(got, sha->str) != 0)
            diag_error(d, at, "changed: its SHA-256 is %s, the manifest says %s", got, sha->str);
        else
            (*n_files)++;
    }
    buf_free(&data);
    for (size_t i = 0; i < zipio_count(r); i++) {
        const char *name = zipio_name(r, i);
        size_t len = strlen(name);
        if ((long)i == mi || (len && name[len - 1] == '/'))
            continue;
        listed key = {.path = name};
        if (!bsearch(&key, files, nf, sizeof *files, listed_cmp))
            diag_error(d, (diag_place){.file = zip_path, .part = name},
                       "extra: the package holds this file but the manifest does not list it");
    }

done:
    free(files);
    value_free(m);
    buf_free(&mb);
    zipio_close(r);
    return diag_error_count(d) == errors_before;
}
