/* cite.c: the citation library (data stage). Reads the YAML files of
 * templates/citations and the user's --citations files through load_yaml,
 * checks every entry (required fields, status, types, unknown fields, each at
 * its line and column), and keeps the entries sorted by key. Each entry is
 * resolved once for every language it has a translation in, so a lookup
 * builds nothing and any number of threads may look up at once. */
#include "cite.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

/* The fields an entry may have, besides translations (title_uk, …). */
typedef enum field {
    F_KIND,
    F_TITLE,
    F_SHORT,
    F_PINPOINT,
    F_DATE,
    F_SOURCE,
    F_SOURCE_NOTE,
    F_SUMMARY,
    F_STATUS,
    F_COUNT
} field;

static const char *const field_names[F_COUNT] = {
    [F_KIND] = "kind",       [F_TITLE] = "title",   [F_SHORT] = "short",
    [F_PINPOINT] = "pinpoint", [F_DATE] = "date",   [F_SOURCE] = "source",
    [F_SOURCE_NOTE] = "source_note", [F_SUMMARY] = "summary", [F_STATUS] = "status",
};

static const bool field_required[F_COUNT] = {
    [F_TITLE] = true,
    [F_SHORT] = true,
    [F_STATUS] = true,
};

/* The fields a translation may give, e.g. title_uk, short_uk, summary_uk. */
typedef enum tfield { T_TITLE, T_SHORT, T_SUMMARY, T_COUNT } tfield;

static const char *const tfield_prefix[T_COUNT] = {
    [T_TITLE] = "title_",
    [T_SHORT] = "short_",
    [T_SUMMARY] = "summary_",
};

/* Names people reach for out of habit, mapped to ours. They are checked
 * before the translation prefixes, so "short_form" is not read as a short
 * form in a language called "form". */
static const struct {
    const char *wrong, *right;
} field_aliases[] = {
    {"url", "source"},
    {"link", "source"},
    {"short_form", "short"},
    {"name", "title"},
    {"description", "summary"},
};

static const char *const status_names[] = {
    [CITE_VERIFIED] = "verified",
    [CITE_PARTLY] = "partly",
    [CITE_UNVERIFIED] = "unverified",
};

#define STATUS_COUNT (sizeof status_names / sizeof status_names[0])

#define FIELD_LIST                                                                           \
    "the fields are kind, title, short, pinpoint, date, source, source_note, summary and "   \
    "status, and title_xx, short_xx or summary_xx for a translation (xx: a language code "   \
    "such as uk)"

typedef struct translation {
    char lang[4];
    char *text[T_COUNT]; /* owned; NULL where the entry has no such translation */
} translation;

typedef struct stored {
    char *key;
    char *text[F_COUNT]; /* owned; NULL where the entry lacks the field */
    translation *tr;
    size_t ntr;
    /* [0] in English, [1 + i] in tr[i].lang: built once, handed out by cite_find. */
    cite_entry *resolved;
} stored;

struct cite_library {
    stored **entries; /* sorted by key (byte order) */
    size_t n, cap;
    /* Entries a later file replaced. Kept until cite_free, because a
     * cite_entry handed out earlier promises to stay valid that long. */
    stored **retired;
    size_t nretired, cap_retired;
};

/* One file's text, with where each line starts, to find the place of a key
 * (the value tree remembers where values are, not where their keys are). */
typedef struct source_text {
    const char *file;
    const char *s;
    size_t n;
    size_t *line_start;
    size_t nlines;
} source_text;

static void source_init(source_text *t, const char *file, const char *s, size_t n)
{
    t->file = file;
    t->s = s;
    t->n = n;
    t->nlines = 1;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n')
            t->nlines++;
    t->line_start = xmalloc(t->nlines * sizeof *t->line_start);
    size_t line = 0;
    t->line_start[line++] = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n')
            t->line_start[line++] = i + 1;
}

static void source_release(source_text *t)
{
    free(t->line_start);
    t->line_start = NULL;
}

static size_t line_end(const source_text *t, size_t line0)
{
    size_t end = line0 + 1 < t->nlines ? t->line_start[line0 + 1] : t->n;
    while (end > t->line_start[line0] && (t->s[end - 1] == '\n' || t->s[end - 1] == '\r'))
        end--;
    return end;
}

/* Columns count characters, as the YAML loader's do. */
static unsigned column_of(const source_text *t, size_t line0, size_t at)
{
    unsigned col = 1;
    for (size_t i = t->line_start[line0]; i < at; i++)
        if (((unsigned char)t->s[i] & 0xC0) != 0x80)
            col++;
    return col;
}

static size_t offset_of_column(const source_text *t, size_t line0, unsigned col, size_t end)
{
    size_t i = t->line_start[line0];
    for (unsigned c = 1; c < col && i < end; c++) {
        i++;
        while (i < end && ((unsigned char)t->s[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

/* Where "key:" (plain or quoted) starts in s[from, to), the last match, or -1. */
static long find_key(const source_text *t, size_t from, size_t to, const char *key, size_t klen)
{
    long found = -1;
    for (size_t p = from; p + klen <= to; p++) {
        if (memcmp(t->s + p, key, klen) != 0)
            continue;
        size_t start = p, after = p + klen;
        char before = p > from ? t->s[p - 1] : ' ';
        if (before == '"' || before == '\'') {
            if (after >= to || t->s[after] != before)
                continue;
            start = p - 1;
            after++;
        } else if (before != ' ' && before != '\t' && before != '{' && before != ',' &&
                   before != '?') {
            continue;
        }
        while (after < to && (t->s[after] == ' ' || t->s[after] == '\t'))
            after++;
        if (after < to && t->s[after] == ':')
            found = (long)start;
    }
    return found;
}

/* The place of the key whose value is v: on v's line before v, else on the
 * lines above it down to floor_line. Falls back to v's own place. */
static diag_place key_place(const source_text *t, const value *v, const char *key,
                            unsigned floor_line)
{
    diag_place at = {.file = t->file, .line = v->line, .col = v->col};
    size_t klen = strlen(key);
    if (v->line == 0 || v->line > t->nlines || klen == 0)
        return at;
    if (floor_line == 0)
        floor_line = 1;
    for (unsigned line = v->line; line >= floor_line && line > 0; line--) {
        size_t line0 = line - 1, end = line_end(t, line0);
        if (line == v->line)
            end = offset_of_column(t, line0, v->col, end);
        long p = find_key(t, t->line_start[line0], end, key, klen);
        if (p >= 0) {
            at.line = line;
            at.col = column_of(t, line0, (size_t)p);
            return at;
        }
    }
    return at;
}

static diag_place value_place(const source_text *t, const value *v)
{
    return (diag_place){.file = t->file, .line = v->line, .col = v->col};
}

/* What a value is, in words for a message: "not a list". */
static const char *kind_phrase(value_kind k)
{
    switch (k) {
    case VALUE_NULL:
        return "nothing";
    case VALUE_BOOL:
        return "true or false";
    case VALUE_NUMBER:
        return "a number";
    case VALUE_STRING:
        return "text";
    case VALUE_LIST:
        return "a list";
    case VALUE_MAP:
        return "a map";
    }
    return "a value";
}

/* ---- entries ---- */

static void stored_free(stored *s)
{
    if (!s)
        return;
    free(s->key);
    for (size_t f = 0; f < F_COUNT; f++)
        free(s->text[f]);
    for (size_t i = 0; i < s->ntr; i++)
        for (size_t f = 0; f < T_COUNT; f++)
            free(s->tr[i].text[f]);
    free(s->tr);
    free(s->resolved);
    free(s);
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static void stored_resolve(stored *s, const char *file, unsigned line, cite_status status)
{
    s->resolved = xcalloc(1 + s->ntr, sizeof *s->resolved);
    cite_entry *en = &s->resolved[0];
    *en = (cite_entry){
        .key = s->key,
        .kind = or_empty(s->text[F_KIND]),
        .title = or_empty(s->text[F_TITLE]),
        .short_form = or_empty(s->text[F_SHORT]),
        .pinpoint = or_empty(s->text[F_PINPOINT]),
        .date = or_empty(s->text[F_DATE]),
        .url = or_empty(s->text[F_SOURCE]),
        .summary = or_empty(s->text[F_SUMMARY]),
        .source_note = or_empty(s->text[F_SOURCE_NOTE]),
        .status = status,
        .file = file,
        .line = line,
    };
    for (size_t i = 0; i < s->ntr; i++) {
        cite_entry *e = &s->resolved[1 + i];
        *e = *en;
        if (s->tr[i].text[T_TITLE])
            e->title = s->tr[i].text[T_TITLE];
        if (s->tr[i].text[T_SHORT])
            e->short_form = s->tr[i].text[T_SHORT];
        if (s->tr[i].text[T_SUMMARY])
            e->summary = s->tr[i].text[T_SUMMARY];
    }
}

static translation *translation_for(stored *s, const char *lang)
{
    for (size_t i = 0; i < s->ntr; i++)
        if (strcmp(s->tr[i].lang, lang) == 0)
            return &s->tr[i];
    s->tr = xrealloc(s->tr, (s->ntr + 1) * sizeof *s->tr);
    translation *tr = &s->tr[s->ntr++];
    memset(tr, 0, sizeof *tr);
    strcpy(tr->lang, lang);
    return tr;
}

/* A language code as fields and locales carry it: 2 or 3 ASCII letters. */
static bool lang_code(const char *s, size_t n, bool lowercase_only, char out[4])
{
    if (n < 2 || n > 3)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z' && !lowercase_only)
            c = (char)(c - 'A' + 'a');
        if (c < 'a' || c > 'z')
            return false;
        out[i] = c;
    }
    out[n] = '\0';
    return true;
}

/* Keys are written inside {{cite "KEY"}}, so they keep to characters that
 * need no quoting there. */
static bool key_ok(const char *key)
{
    if (!*key)
        return false;
    for (const char *p = key; *p; p++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':' || c == '/';
        if (!ok)
            return false;
    }
    return true;
}

size_t cite_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return SIZE_MAX;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t corner = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = corner + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            corner = up;
        }
    }
    return row[lb];
}

static const char *field_suggestion(const char *name)
{
    for (size_t i = 0; i < sizeof field_aliases / sizeof field_aliases[0]; i++)
        if (strcmp(name, field_aliases[i].wrong) == 0)
            return field_aliases[i].right;
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t f = 0; f < F_COUNT; f++) {
        size_t d = cite_edit_distance(name, field_names[f]);
        if (d < best_d && d < strlen(field_names[f])) {
            best_d = d;
            best = field_names[f];
        }
    }
    return best;
}

/* The text of a field value, trimmed of the line break a YAML block scalar
 * ends with. Reports (at the field's key: a block scalar's own place is the
 * line below) and returns NULL when it is not usable text; *empty is set for
 * null and "" (absent, unless the field is required). */
static char *field_text(diag_place at, const char *key, const char *name, const value *fv,
                        bool *empty, diag *d)
{
    *empty = fv->kind == VALUE_NULL;
    if (*empty)
        return NULL;
    /* A number is kept as written, so "date: 2005" is the text "2005". */
    if (fv->kind != VALUE_STRING && fv->kind != VALUE_NUMBER) {
        diag_error(d, at, "the field \"%s\" of entry %s must be text, not %s",
                   name, key, kind_phrase(fv->kind));
        return NULL;
    }
    size_t n = fv->len;
    while (n && (fv->str[n - 1] == '\n' || fv->str[n - 1] == '\r' || fv->str[n - 1] == ' ' ||
                 fv->str[n - 1] == '\t'))
        n--;
    if (n == 0) {
        *empty = true;
        return NULL;
    }
    if (memchr(fv->str, '\n', n) || memchr(fv->str, '\r', n)) {
        diag_error(d, at,
                   "the field \"%s\" of entry %s runs over several lines; a citation field "
                   "must be one line (join the lines)",
                   name, key);
        return NULL;
    }
    return xstrndup(fv->str, n);
}

/* Which field a name is: a base field (*base set), a translation (*tf and
 * lang set), or neither (reported; returns false). */
static bool field_classify(const char *key, const char *name, diag_place at, int *base,
                           int *tf, char lang[4], diag *d)
{
    *base = *tf = -1;
    for (size_t f = 0; f < F_COUNT; f++)
        if (strcmp(name, field_names[f]) == 0) {
            *base = (int)f;
            return true;
        }
    const char *hint = field_suggestion(name);
    if (hint) {
        diag_error(d, at, "unknown field \"%s\" in entry %s (did you mean \"%s\"?); " FIELD_LIST,
                   diag_quote(name, strlen(name)), key, hint);
        return false;
    }
    for (size_t f = 0; f < T_COUNT; f++) {
        size_t plen = strlen(tfield_prefix[f]);
        if (strncmp(name, tfield_prefix[f], plen) != 0)
            continue;
        const char *code = name + plen;
        if (lang_code(code, strlen(code), true, lang)) {
            *tf = (int)f;
            return true;
        }
        diag_error(d, at,
                   "the field \"%s\" of entry %s has a bad language code \"%s\"; a translated "
                   "field ends in a 2- or 3-letter lowercase language code, such as %suk",
                   diag_quote(name, strlen(name)), key, diag_quote(code, strlen(code)),
                   tfield_prefix[f]);
        return false;
    }
    diag_error(d, at, "unknown field \"%s\" in entry %s; " FIELD_LIST,
               diag_quote(name, strlen(name)), key);
    return false;
}

/* Checks one entry and builds it, or reports every problem and returns NULL. */
static stored *entry_build(const source_text *t, const char *key, const value *v, diag *d)
{
    size_t errors = diag_error_count(d);
    diag_place kp = key_place(t, v, key, 1);
    /* Copied: diag_quote's buffers are reused a few calls later. */
    char *qkey = xstrdup(diag_quote(key, strlen(key)));
    stored *s = xcalloc(1, sizeof *s);
    s->key = xstrdup(key);
    const value *status_v = NULL;
    bool seen[F_COUNT] = {false};

    if (!key_ok(key))
        diag_error(d, kp,
                   "the key \"%s\" cannot be used in a template; a key is made of letters, "
                   "digits and - _ . : / only (e.g. RC51-33)",
                   qkey);
    if (v->kind != VALUE_MAP) {
        diag_error(d, value_place(t, v),
                   "the entry %s must be a map of fields (title, short, status, …) indented "
                   "below its key, not %s",
                   qkey, kind_phrase(v->kind));
        goto fail;
    }
    for (size_t i = 0; i < v->len; i++) {
        const char *name = v->keys[i];
        const value *fv = v->items[i];
        diag_place fp = key_place(t, fv, name, kp.line);
        int base, tf;
        char lang[4];
        if (!field_classify(qkey, name, fp, &base, &tf, lang, d))
            continue;
        bool empty;
        char *text = field_text(fp, qkey, name, fv, &empty, d);
        if (base >= 0)
            seen[base] = true;
        if (empty && base >= 0 && field_required[base]) {
            diag_error(d, fp,
                       "the field \"%s\" of entry %s is empty; every entry needs a title, a "
                       "short form and a status",
                       name, qkey);
            continue;
        }
        if (!text)
            continue;
        if (base >= 0) {
            s->text[base] = text;
            if (base == F_STATUS)
                status_v = fv;
        } else {
            translation *tr = translation_for(s, lang);
            tr->text[tf] = text;
        }
    }
    for (size_t f = 0; f < F_COUNT; f++)
        if (field_required[f] && !seen[f])
            diag_error(d, kp,
                       "entry %s has no \"%s\" field; every entry needs title, short and status",
                       qkey, field_names[f]);
    cite_status status = CITE_UNVERIFIED;
    if (s->text[F_STATUS]) {
        size_t k = 0;
        while (k < STATUS_COUNT && strcmp(s->text[F_STATUS], status_names[k]) != 0)
            k++;
        if (k < STATUS_COUNT)
            status = (cite_status)k;
        else
            diag_error(d, value_place(t, status_v),
                       "entry %s has status \"%s\"; it must be verified, partly or unverified, "
                       "as the research notes grade it (never raise a status without reading "
                       "the official text)",
                       qkey, diag_quote(s->text[F_STATUS], strlen(s->text[F_STATUS])));
    }
    if (diag_error_count(d) != errors)
        goto fail;
    stored_resolve(s, v->file ? v->file : t->file, kp.line, status);
    free(qkey);
    return s;

fail:
    free(qkey);
    stored_free(s);
    return NULL;
}

/* ---- the library ---- */

cite_library *cite_new(void)
{
    return xcalloc(1, sizeof(cite_library));
}

void cite_free(cite_library *lib)
{
    if (!lib)
        return;
    for (size_t i = 0; i < lib->n; i++)
        stored_free(lib->entries[i]);
    for (size_t i = 0; i < lib->nretired; i++)
        stored_free(lib->retired[i]);
    free(lib->entries);
    free(lib->retired);
    free(lib);
}

/* The index of key, or where it would go (*found false). */
static size_t library_search(const cite_library *lib, const char *key, bool *found)
{
    size_t lo = 0, hi = lib->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(lib->entries[mid]->key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static void library_put(cite_library *lib, stored *s)
{
    bool found;
    size_t at = library_search(lib, s->key, &found);
    if (found) {
        if (lib->nretired == lib->cap_retired) {
            lib->cap_retired = lib->cap_retired ? lib->cap_retired * 2 : 8;
            lib->retired = xrealloc(lib->retired, lib->cap_retired * sizeof *lib->retired);
        }
        lib->retired[lib->nretired++] = lib->entries[at];
        lib->entries[at] = s;
        return;
    }
    if (lib->n == lib->cap) {
        lib->cap = lib->cap ? lib->cap * 2 : 64;
        lib->entries = xrealloc(lib->entries, lib->cap * sizeof *lib->entries);
    }
    memmove(lib->entries + at + 1, lib->entries + at, (lib->n - at) * sizeof *lib->entries);
    lib->entries[at] = s;
    lib->n++;
}

bool cite_add_file(cite_library *lib, const char *path, diag *d)
{
    size_t errors = diag_error_count(d);
    load_limits lim = load_default_limits();
    buf text = {0};
    value *root = NULL;
    source_text src = {0};
    stored **built = NULL;
    size_t nbuilt = 0;
    bool ok = false;

    int err = util_read_file(path, &text, lim.max_bytes);
    if (err) {
        /* A missing file is the installation's or the user's to fix; a
         * disk that fails to give it is the system's (exit status 3). */
        if (err == ENOENT || err == EFBIG)
            diag_error(d, (diag_place){.file = path}, "cannot read this citation file: %s",
                       strerror(err));
        else
            diag_system_error(d, (diag_place){.file = path}, err,
                              "cannot read this citation file: %s", strerror(err));
        goto cleanup;
    }
    root = load_yaml(text.data ? text.data : "", text.len, path, &lim, d);
    if (!root)
        goto cleanup;
    source_init(&src, root->file ? root->file : value_intern(path), text.data ? text.data : "",
                text.len);
    if (root->kind != VALUE_MAP) {
        diag_error(d, value_place(&src, root),
                   "a citation file must be a map from keys to entries (a key such as RC51-33: "
                   "at the start of a line, its fields indented below), not %s",
                   kind_phrase(root->kind));
        goto cleanup;
    }
    built = xcalloc(root->len ? root->len : 1, sizeof *built);
    for (size_t i = 0; i < root->len; i++) {
        stored *s = entry_build(&src, root->keys[i], root->items[i], d);
        if (s)
            built[nbuilt++] = s;
    }
    /* A file with errors adds nothing: half a library would let a template
     * render against the wrong entry. */
    if (diag_error_count(d) != errors)
        goto cleanup;
    for (size_t i = 0; i < nbuilt; i++)
        library_put(lib, built[i]);
    nbuilt = 0;
    ok = true;

cleanup:
    for (size_t i = 0; i < nbuilt; i++)
        stored_free(built[i]);
    free(built);
    source_release(&src);
    value_free(root);
    buf_free(&text);
    return ok;
}

static int name_order(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

bool cite_add_dir(cite_library *lib, const char *dir, diag *d)
{
    DIR *dh = opendir(dir);
    if (!dh) {
        int err = errno;
        if (err == ENOENT || err == ENOTDIR)
            diag_error(d, (diag_place){.file = dir}, "cannot read the citation folder: %s",
                       strerror(err));
        else
            diag_system_error(d, (diag_place){.file = dir}, err,
                              "cannot read the citation folder: %s", strerror(err));
        return false;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        size_t len = strlen(de->d_name);
        /* Hidden names are editors' and synchronisers' scratch copies. */
        if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".yaml") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[n++] = xstrdup(de->d_name);
    }
    closedir(dh);
    if (n)
        qsort(names, n, sizeof *names, name_order);
    size_t dlen = strlen(dir);
    bool slash = dlen && dir[dlen - 1] == '/';
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        char *path = xasprintf("%s%s%s", dir, slash ? "" : "/", names[i]);
        if (!cite_add_file(lib, path, d))
            ok = false;
        free(path);
        free(names[i]);
    }
    free(names);
    return ok;
}

const cite_entry *cite_find(const cite_library *lib, const char *key, const char *locale)
{
    if (!lib || !key)
        return NULL;
    bool found;
    size_t at = library_search(lib, key, &found);
    if (!found)
        return NULL;
    const stored *s = lib->entries[at];
    char lang[4];
    if (locale) {
        /* "uk_UA.UTF-8", "uk-UA" and "uk" all mean the uk fields. */
        size_t n = strcspn(locale, "_-.@");
        if (lang_code(locale, n, false, lang))
            for (size_t i = 0; i < s->ntr; i++)
                if (strcmp(s->tr[i].lang, lang) == 0)
                    return &s->resolved[1 + i];
    }
    return &s->resolved[0];
}

size_t cite_count(const cite_library *lib)
{
    return lib ? lib->n : 0;
}

const char *cite_key_at(const cite_library *lib, size_t i)
{
    return lib && i < lib->n ? lib->entries[i]->key : NULL;
}

const char *cite_status_name(cite_status s)
{
    return (unsigned)s < STATUS_COUNT ? status_names[s] : "unverified";
}
