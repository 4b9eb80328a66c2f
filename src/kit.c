/* kit.c: kits (the data stage of a procedure). Reads a kit folder's
 * kit.yaml, checking every field at its line and column, finds each
 * document's template beside it, compiles the kit's schema (schema.h) and
 * loads its default data. Owns the kit struct and everything in it; finds
 * kits by id in search folders and lists them. Paths a kit.yaml names stay
 * inside the kit's folder. */
#include "kit.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "filters.h"
#include "load.h"
#include "util.h"

#define KIT_FILE "kit.yaml"

static const char *const kit_fields[] = {"id",     "title",    "description", "locale",
                                         "schema", "defaults", "documents"};
static const char *const document_fields[] = {"id", "title", "template", "name"};

/* The text of kit.yaml, to find where a key stands: the value tree keeps the
 * places of values, and a map or list value starts on the line below its key. */
typedef struct kit_src {
    const char *file; /* interned */
    const char *s;
    size_t n;
    diag *d;
} kit_src;

static size_t line_start(const kit_src *src, unsigned line)
{
    size_t i = 0;
    for (unsigned l = 1; l < line && i < src->n; i++)
        if (src->s[i] == '\n')
            l++;
    return i;
}

static bool key_at(const kit_src *src, size_t p, size_t end, const char *key, size_t klen)
{
    if (p + klen > end || memcmp(src->s + p, key, klen) != 0)
        return false;
    char before = p > 0 ? src->s[p - 1] : '\n';
    if (before != '\n' && before != ' ' && before != '\t' && before != '-' && before != '{' &&
        before != ',')
        return false;
    size_t after = p + klen;
    while (after < end && (src->s[after] == ' ' || src->s[after] == '\t'))
        after++;
    return after < end && src->s[after] == ':';
}

/* The place of key, whose value is v: on v's line before v, else on one of
 * the few lines above it. Falls back to v's own place. */
static diag_place key_place(const kit_src *src, const value *v, const char *key)
{
    diag_place at = {.file = src->file, .line = v->line, .col = v->col};
    size_t klen = strlen(key);
    for (unsigned line = v->line; line > 0 && line + 8 > v->line; line--) {
        size_t start = line_start(src, line), end = start;
        while (end < src->n && src->s[end] != '\n')
            end++;
        unsigned col = 1;
        for (size_t p = start; p < end; p++) {
            if (line == v->line && col >= v->col)
                break;
            if (key_at(src, p, end, key, klen)) {
                at.line = line;
                at.col = col;
                return at;
            }
            if (((unsigned char)src->s[p] & 0xC0) != 0x80)
                col++;
        }
    }
    return at;
}

static diag_place value_place(const kit_src *src, const value *v)
{
    return (diag_place){.file = v->file ? v->file : src->file, .line = v->line, .col = v->col};
}

static bool known(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

static void unknown_fields(const kit_src *src, const value *map, const char *const *names,
                           size_t n, const char *what, const char *list)
{
    for (size_t i = 0; i < map->len; i++)
        if (!known(map->keys[i], names, n))
            diag_error(src->d, key_place(src, map->items[i], map->keys[i]),
                       "unknown field \"%s\" in %s; the fields are %s",
                       diag_quote(map->keys[i], strlen(map->keys[i])), what, list);
}

/* A text field of map: a copy, or NULL when absent (reported when
 * required). Numbers count as text, as written. */
static char *text_field(const kit_src *src, const value *map, const char *name, bool required,
                        const char *what)
{
    const value *v = value_map_get(map, name, strlen(name));
    if (!v || v->kind == VALUE_NULL || (v->kind == VALUE_STRING && v->len == 0)) {
        if (required)
            diag_error(src->d, v ? key_place(src, v, name) : value_place(src, map),
                       "%s has no \"%s\"; add it", what, name);
        return NULL;
    }
    if (v->kind != VALUE_STRING && v->kind != VALUE_NUMBER) {
        diag_error(src->d, key_place(src, v, name), "\"%s\" of %s must be text, not a %s", name,
                   what, value_kind_name(v->kind));
        return NULL;
    }
    return xstrndup(v->str, v->len);
}

/* A path kit.yaml names: relative, and never above the kit's folder. */
static bool inside_path(const char *p)
{
    if (!*p || p[0] == '/')
        return false;
    for (const char *q = p; *q;) {
        size_t len = strcspn(q, "/");
        if (len == 2 && q[0] == '.' && q[1] == '.')
            return false;
        q += len + (q[len] == '/');
    }
    return true;
}

/* A kit-relative path field, checked; NULL when absent or bad (reported). */
static char *path_field(const kit_src *src, const value *map, const char *name, bool required,
                        const char *what)
{
    char *p = text_field(src, map, name, required, what);
    if (p && !inside_path(p)) {
        const value *v = value_map_get(map, name, strlen(name));
        diag_error(src->d, value_place(src, v),
                   "\"%s\" names \"%s\", which is outside the kit's folder: give a path inside "
                   "it, such as %s",
                   name, diag_quote(p, strlen(p)),
                   strcmp(name, "template") == 0 ? "claim" : "schema.yaml");
        free(p);
        return NULL;
    }
    return p;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return xasprintf("%.*s/%s", (int)n, dir, name);
}

/* The folder's own name: "ua-refugee-appeal" for templates/ua-refugee-appeal/. */
static char *folder_name(const char *dir)
{
    char *buf_ = xstrdup(dir);
    size_t n = strlen(buf_);
    while (n > 1 && buf_[n - 1] == '/')
        buf_[--n] = '\0';
    char *slash = strrchr(buf_, '/');
    char *name = xstrdup(slash ? slash + 1 : buf_);
    free(buf_);
    return name;
}

/* Reads the YAML file kit.yaml's field name (schema, defaults) names inside
 * the kit's folder. NULL when the field is absent, or with the problem in d,
 * reported at the field. Caller frees. */
static value *load_named(const kit_src *src, const kit *k, const value *root, const char *name,
                         diag *d)
{
    char *rel = path_field(src, root, name, false, "the kit");
    if (!rel)
        return NULL;
    char *path = join(k->dir, rel);
    buf text = {0};
    value *v = NULL;
    load_limits lim = load_default_limits();
    int err = util_read_file(path, &text, lim.max_bytes);
    if (err) {
        /* A file the kit names but lacks is the kit's fault; a disk that
         * fails to give it is the system's (exit status 3). */
        diag_place at = value_place(src, value_map_get(root, name, strlen(name)));
        const char *q = diag_quote(path, strlen(path));
        if (err == ENOENT || err == EFBIG)
            diag_error(d, at, "cannot read \"%s\": %s", q, strerror(err));
        else
            diag_system_error(d, at, err, "cannot read \"%s\": %s", q, strerror(err));
    } else {
        v = load_yaml(text.data ? text.data : "", text.len, path, &lim, d);
    }
    buf_free(&text);
    free(path);
    free(rel);
    return v;
}

/* Every case file may name its kit (kit: ua-refugee-appeal), so the schema
 * knows the field even when its author did not write it: first, so that
 * `casepack new` prints it first, and with the kit's id as its one value. */
static void schema_add_kit_field(value *root, const char *id)
{
    if (root->kind != VALUE_MAP)
        return;
    value *props = value_map_get(root, "properties", 10);
    if (!props) {
        props = value_new(VALUE_MAP, NULL, 0, 0);
        value_map_add(root, "properties", 10, props);
    }
    if (props->kind != VALUE_MAP || value_map_get(props, "kit", 3))
        return;
    value *field = value_new(VALUE_MAP, NULL, 0, 0);
    value_map_add(field, "type", 4, value_new_string("string", 6));
    value *allowed = value_new(VALUE_LIST, NULL, 0, 0);
    value_list_push(allowed, value_new_string(id, strlen(id)));
    value_map_add(field, "enum", 4, allowed);
    const char *desc = "the kit this case is for: keep it as it is";
    value_map_add(field, "description", 11, value_new_string(desc, strlen(desc)));
    value_map_add(props, "kit", 3, field);
    size_t last = props->len - 1;
    value *item = props->items[last];
    char *key = props->keys[last];
    memmove(props->items + 1, props->items, last * sizeof *props->items);
    memmove(props->keys + 1, props->keys, last * sizeof *props->keys);
    props->items[0] = item;
    props->keys[0] = key;
}

static const char *const template_exts[] = {"docx", "odt", "fodt"};

/* A document's template: <base>.docx, <base>.odt or <base>.fodt beside
 * kit.yaml, or (a text template, or one written with its extension) the
 * file <base> itself. A .docx/.odt/.fodt extension is dropped from base. */
static bool document_template(const kit_src *src, kit *k, kit_document *doc, const value *field,
                              const char *rel)
{
    char *base = join(k->dir, rel);
    const char *ext = util_extension(base);
    for (size_t i = 0; i < sizeof template_exts / sizeof template_exts[0]; i++)
        if (strcmp(ext, template_exts[i]) == 0) {
            base[strlen(base) - strlen(ext) - 1] = '\0';
            break;
        }
    bool found = is_file(base);
    for (size_t i = 0; !found && i < sizeof template_exts / sizeof template_exts[0]; i++) {
        char *p = xasprintf("%s.%s", base, template_exts[i]);
        found = is_file(p);
        free(p);
    }
    if (!found) {
        diag_error(src->d, value_place(src, field),
                   "the template of document \"%s\" is missing: put %s.docx or %s.odt (or both) "
                   "in the kit's folder",
                   diag_quote(doc->id, strlen(doc->id)), base, base);
        free(base);
        return false;
    }
    doc->template_base = base;
    return true;
}

static void documents_load(const kit_src *src, kit *k, const value *list)
{
    if (list->kind != VALUE_LIST || list->len == 0) {
        diag_error(src->d, key_place(src, list, "documents"),
                   "\"documents\" must be a list of the kit's documents, each with an id and a "
                   "template (- id: claim / template: claim)");
        return;
    }
    k->documents = xcalloc(list->len, sizeof *k->documents);
    for (size_t i = 0; i < list->len; i++) {
        const value *m = list->items[i];
        if (m->kind != VALUE_MAP) {
            diag_error(src->d, value_place(src, m),
                       "each document is a map with an id and a template (id: claim / "
                       "template: claim), not a %s",
                       value_kind_name(m->kind));
            continue;
        }
        unknown_fields(src, m, document_fields, sizeof document_fields / sizeof *document_fields,
                       "a document", "id, title, template and name");
        kit_document *doc = &k->documents[k->n_documents];
        memset(doc, 0, sizeof *doc);
        doc->id = text_field(src, m, "id", true, "this document");
        doc->title = text_field(src, m, "title", false, "this document");
        doc->name_pattern = text_field(src, m, "name", false, "this document");
        char *rel = path_field(src, m, "template", true, "this document");
        for (size_t j = 0; doc->id && j < k->n_documents; j++)
            if (k->documents[j].id && strcmp(k->documents[j].id, doc->id) == 0) {
                diag_error(src->d, value_place(src, value_map_get(m, "id", 2)),
                           "two documents have the id \"%s\"; give each its own",
                           diag_quote(doc->id, strlen(doc->id)));
                break;
            }
        if (rel && doc->id)
            document_template(src, k, doc, value_map_get(m, "template", 8), rel);
        free(rel);
        k->n_documents++;
    }
}

static void kit_schema_load(const kit_src *src, kit *k, const value *root, diag *d)
{
    value *sv = load_named(src, k, root, "schema", d);
    if (sv) {
        if (k->id)
            schema_add_kit_field(sv, k->id);
        k->schema = schema_compile(sv, d);
    }
    value_free(sv);
}

static void kit_defaults_load(const kit_src *src, kit *k, const value *root, diag *d)
{
    value *dv = load_named(src, k, root, "defaults", d);
    if (dv && dv->kind != VALUE_MAP) {
        diag_error(d, (diag_place){.file = dv->file, .line = dv->line, .col = dv->col},
                   "default data must be a map of fields, as a case file is, not a %s",
                   value_kind_name(dv->kind));
        value_free(dv);
        dv = NULL;
    }
    k->defaults = dv;
}

kit *kit_load(const char *dir, diag *d)
{
    size_t errors = diag_error_count(d);
    char *path = join(dir, KIT_FILE);
    buf text = {0};
    value *root = NULL;
    kit *k = NULL;
    if (!is_file(path)) {
        diag_error(d, (diag_place){.file = dir},
                   is_dir(dir) ? "is not a kit: it has no " KIT_FILE
                               : "is not a kit: there is no such folder");
        goto done;
    }
    load_limits lim = load_default_limits();
    int err = util_read_file(path, &text, lim.max_bytes);
    if (err) {
        if (err == ENOENT || err == EFBIG)
            diag_error(d, (diag_place){.file = path}, "cannot read the kit: %s", strerror(err));
        else
            diag_system_error(d, (diag_place){.file = path}, err, "cannot read the kit: %s",
                              strerror(err));
        goto done;
    }
    root = load_yaml(text.data ? text.data : "", text.len, path, &lim, d);
    if (!root)
        goto done;
    kit_src src = {value_intern(path), text.data ? text.data : "", text.len, d};
    if (root->kind != VALUE_MAP) {
        diag_error(d, value_place(&src, root),
                   "a kit.yaml is a map of fields (id, title, documents, …), not a %s",
                   value_kind_name(root->kind));
        goto done;
    }
    k = xcalloc(1, sizeof *k);
    k->dir = xstrdup(dir);
    unknown_fields(&src, root, kit_fields, sizeof kit_fields / sizeof *kit_fields, "the kit",
                   "id, title, description, locale, schema, defaults and documents");
    k->id = text_field(&src, root, "id", true, "the kit");
    k->title = text_field(&src, root, "title", true, "the kit");
    k->description = text_field(&src, root, "description", false, "the kit");
    k->locale = text_field(&src, root, "locale", false, "the kit");
    if (k->locale && !filters_locale_known(k->locale))
        diag_error(d, value_place(&src, value_map_get(root, "locale", 6)),
                   "the kit's locale \"%s\" is not a language casepack knows; write a language "
                   "code such as uk, en or en-GB",
                   diag_quote(k->locale, strlen(k->locale)));
    if (k->id) {
        char *folder = folder_name(dir);
        if (strcmp(folder, k->id) != 0)
            diag_error(d, value_place(&src, value_map_get(root, "id", 2)),
                       "the kit's id \"%s\" differs from its folder's name \"%s\": a kit is "
                       "found by its folder, so rename one to match the other",
                       diag_quote(k->id, strlen(k->id)), diag_quote(folder, strlen(folder)));
        free(folder);
    }
    const value *docs = value_map_get(root, "documents", 9);
    if (docs)
        documents_load(&src, k, docs);
    else
        diag_error(d, value_place(&src, root),
                   "the kit has no \"documents\"; list its documents, each with an id and a "
                   "template");
    kit_schema_load(&src, k, root, d);
    kit_defaults_load(&src, k, root, d);
done:
    if (k && diag_error_count(d) != errors) {
        kit_free(k);
        k = NULL;
    }
    value_free(root);
    buf_free(&text);
    free(path);
    return k;
}

void kit_free(kit *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n_documents; i++) {
        free(k->documents[i].id);
        free(k->documents[i].title);
        free(k->documents[i].template_base);
        free(k->documents[i].name_pattern);
    }
    free(k->documents);
    schema_free(k->schema);
    value_free(k->defaults);
    free(k->id);
    free(k->title);
    free(k->description);
    free(k->locale);
    free(k->dir);
    free(k);
}

static int text_order(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **kit_list(const char *const *search, size_t n_search, size_t *n)
{
    char **ids = NULL;
    size_t count = 0, cap = 0;
    for (size_t s = 0; s < n_search; s++) {
        DIR *dh = opendir(search[s]);
        if (!dh)
            continue;
        struct dirent *de;
        while ((de = readdir(dh))) {
            if (de->d_name[0] == '.')
                continue;
            char *folder = join(search[s], de->d_name);
            char *file = join(folder, KIT_FILE);
            bool is_kit = is_file(file);
            free(file);
            free(folder);
            if (!is_kit)
                continue;
            if (count == cap) {
                cap = cap ? cap * 2 : 16;
                ids = xrealloc(ids, cap * sizeof *ids);
            }
            ids[count++] = xstrdup(de->d_name);
        }
        closedir(dh);
    }
    if (count)
        qsort(ids, count, sizeof *ids, text_order);
    size_t out = 0;
    for (size_t i = 0; i < count; i++) {
        if (out && strcmp(ids[out - 1], ids[i]) == 0)
            free(ids[i]);
        else
            ids[out++] = ids[i];
    }
    *n = out;
    return ids;
}

/* An id names a kit in the search folders; anything with a slash, or a
 * folder here when no kit has that id, is a path. */
kit *kit_find(const char *id_or_path, const char *const *search, size_t n_search, diag *d)
{
    if (strchr(id_or_path, '/') || strcmp(id_or_path, ".") == 0 ||
        strcmp(id_or_path, "..") == 0)
        return kit_load(id_or_path, d);
    for (size_t s = 0; s < n_search; s++) {
        char *folder = join(search[s], id_or_path);
        char *file = join(folder, KIT_FILE);
        bool found = is_file(file);
        free(file);
        if (found) {
            kit *k = kit_load(folder, d);
            free(folder);
            return k;
        }
        free(folder);
    }
    if (is_dir(id_or_path))
        return kit_load(id_or_path, d);
    size_t n = 0;
    char **ids = kit_list(search, n_search, &n);
    buf list = {0};
    for (size_t i = 0; i < n; i++) {
        buf_printf(&list, "%s%s", i ? ", " : "", ids[i]);
        free(ids[i]);
    }
    free(ids);
    if (n)
        diag_error(d, (diag_place){0},
                   "there is no kit \"%s\"; the kits are: %s (`casepack kits` lists them; "
                   "--kits DIR adds a folder of your own)",
                   diag_quote(id_or_path, strlen(id_or_path)), list.data);
    else
        diag_error(d, (diag_place){0},
                   "there is no kit \"%s\", and no kits were found; give the path to a kit's "
                   "folder, or a folder of kits with --kits DIR",
                   diag_quote(id_or_path, strlen(id_or_path)));
    buf_free(&list);
    return NULL;
}
