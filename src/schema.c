/* schema.c: the checking stage. Compiles a kit's schema (a YAML subset of
 * JSON Schema, as load_yaml gave it) once into a tree of rules with their
 * PCRE2 code, checks case data against it reporting every problem at the
 * data's line and column, and writes the commented case skeleton that
 * `casepack new` prints. Owns the rules; borrows the data it checks. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "schema.h"

#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Rules nest as deep as the schema file; this bounds the recursion of
 * compiling, checking and the skeleton even for a schema built by hand. */
#define SCHEMA_MAX_DEPTH 64
/* Past this many problems in one check the rest is noise, and a hostile list
 * of a million bad items would otherwise make a million messages. */
#define MAX_REPORTED 100
#define SUGGEST_MAX_DISTANCE 2

enum {
    T_STRING = 1u << 0,
    T_NUMBER = 1u << 1,
    T_INTEGER = 1u << 2,
    T_BOOLEAN = 1u << 3,
    T_OBJECT = 1u << 4,
    T_ARRAY = 1u << 5,
    T_NULL = 1u << 6,
};

static const struct {
    const char *name;
    unsigned bit;
} type_names[] = {
    {"string", T_STRING}, {"number", T_NUMBER}, {"integer", T_INTEGER}, {"boolean", T_BOOLEAN},
    {"object", T_OBJECT}, {"map", T_OBJECT},    {"array", T_ARRAY},     {"list", T_ARRAY},
    {"null", T_NULL},
};

/* What a lawyer reads for each type, in the order messages list them. */
static const struct {
    unsigned bit;
    const char *words;
} type_words[] = {
    {T_STRING, "text"},        {T_NUMBER, "a number"}, {T_INTEGER, "a whole number"},
    {T_BOOLEAN, "true/false"}, {T_OBJECT, "a map"},    {T_ARRAY, "a list"},
    {T_NULL, "an empty value"},
};

static const char *const keywords[] = {
    "type",      "properties", "required",    "additionalProperties", "items",
    "enum",      "pattern",    "format",      "minItems",             "maxItems",
    "minLength", "maxLength",  "description", "examples",             "title",
    "default",
    /* JSON Schema's annotations for tools: accepted and ignored, so a schema
     * written with an editor's completion still compiles. */
    "$schema", "$id", "$comment",
};

typedef struct rule rule;

typedef struct field {
    char *name;
    rule *schema;
    bool required;
} field;

struct rule {
    unsigned types; /* T_* bits; 0 takes any value */
    field *fields;  /* properties, in schema order */
    size_t nfields;
    char **required;
    size_t nrequired;
    bool closed; /* additionalProperties: false */
    rule *extra; /* additionalProperties: a schema for every other key */
    rule *items;
    value *allowed; /* enum: a list of scalars */
    pcre2_code *pattern;
    char *pattern_text;
    bool date;
    size_t min_items, max_items, min_len, max_len; /* max: SIZE_MAX when absent */
    char *title, *description;
    value *examples; /* a list */
    value *fallback; /* default */
};

struct schema {
    rule *root;
};

/* ---- shared helpers ---- */

static size_t utf8_chars(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

/* Decodes valid UTF-8 into code points; *n gets the count. Caller frees. */
static uint32_t *utf8_decode(const char *s, size_t *n)
{
    size_t len = strlen(s);
    uint32_t *out = xmalloc((len + 1) * sizeof *out);
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        uint32_t cp = extra == 3 ? c & 0x07u : extra == 2 ? c & 0x0Fu : extra == 1 ? c & 0x1Fu : c;
        i++;
        for (int e = 0; e < extra && i < len; e++, i++)
            cp = (cp << 6) | ((unsigned char)s[i] & 0x3Fu);
        out[k++] = cp;
    }
    *n = k;
    return out;
}

/* Edit distance with adjacent transpositions counting one ("nmae" → "name"),
 * over characters, not bytes, so Ukrainian names weigh the same. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t n, m;
    uint32_t *x = utf8_decode(a, &n), *y = utf8_decode(b, &m);
    size_t *rows = xmalloc(3 * (m + 1) * sizeof *rows);
    size_t *two = rows, *prev = rows + (m + 1), *cur = rows + 2 * (m + 1);
    for (size_t j = 0; j <= m; j++)
        prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t cost = x[i - 1] != y[j - 1];
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best)
                best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] &&
                two[j - 2] + 1 < best)
                best = two[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = two;
        two = prev;
        prev = cur;
        cur = t;
    }
    size_t d = prev[m];
    free(rows);
    free(x);
    free(y);
    return d;
}

/* The closest of names[0..n) to word within SUGGEST_MAX_DISTANCE, or NULL.
 * A distance as long as the word itself is no likeness ("id" vs "to"). */
static const char *closest_name(const char *word, const char *const *names, size_t n)
{
    size_t wlen = utf8_chars(word, strlen(word));
    const char *best = NULL;
    size_t best_d = SUGGEST_MAX_DISTANCE + 1;
    for (size_t i = 0; i < n; i++) {
        size_t nlen = utf8_chars(names[i], strlen(names[i]));
        if (nlen + SUGGEST_MAX_DISTANCE < wlen || wlen + SUGGEST_MAX_DISTANCE < nlen)
            continue;
        size_t d = edit_distance(word, names[i]);
        if (d < best_d && d < wlen) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

static bool is_integer_text(const char *s, size_t n)
{
    size_t i = n && s[0] == '-' ? 1 : 0;
    if (i == n)
        return false;
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool is_scalar(const value *v)
{
    return v->kind != VALUE_LIST && v->kind != VALUE_MAP;
}

/* Dotted paths: push returns the old length for path_pop. */
static size_t path_push_key(buf *p, const char *key)
{
    size_t old = p->len;
    if (p->len)
        buf_addc(p, '.');
    buf_adds(p, key);
    return old;
}

static size_t path_push_index(buf *p, size_t i)
{
    size_t old = p->len;
    buf_printf(p, "%s%zu", p->len ? "." : "", i);
    return old;
}

static void path_pop(buf *p, size_t old)
{
    p->len = old;
    if (p->data)
        p->data[old] = '\0';
}

/* Reports "FILE:LINE:COL: PATH: message" at where v was written. */
static void report_at(diag *d, const value *v, const buf *path, const char *fmt, va_list ap)
{
    diag_place at = {.file = v->file, .line = v->line, .col = v->col};
    buf msg = {0};
    buf_vprintf(&msg, fmt, ap);
    if (path->len)
        diag_error(d, at, "%s: %s", path->data, msg.data);
    else
        diag_error(d, at, "%s", msg.data);
    buf_free(&msg);
}

/* A description as one line for a message: runs of white space become one space. */
static void add_one_line(buf *b, const char *s)
{
    bool space = false;
    size_t start = b->len;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
            space = true;
            continue;
        }
        if (space && b->len > start)
            buf_addc(b, ' ');
        space = false;
        buf_addc(b, *s);
    }
}

/* "text", "text or a list", "text, a number or a list". */
static void add_expected(buf *b, unsigned types)
{
    if ((types & T_NUMBER) && (types & T_INTEGER))
        types &= ~(unsigned)T_INTEGER;
    size_t total = 0, seen = 0;
    for (size_t i = 0; i < sizeof type_words / sizeof type_words[0]; i++)
        total += (types & type_words[i].bit) != 0;
    for (size_t i = 0; i < sizeof type_words / sizeof type_words[0]; i++) {
        if (!(types & type_words[i].bit))
            continue;
        if (seen)
            buf_adds(b, seen + 1 == total ? " or " : ", ");
        buf_adds(b, type_words[i].words);
        seen++;
    }
}

static void add_got(buf *b, const value *v)
{
    switch (v->kind) {
    case VALUE_NULL:
        buf_adds(b, "an empty value");
        break;
    case VALUE_BOOL:
        buf_printf(b, "true/false (%s)", v->boolean ? "true" : "false");
        break;
    case VALUE_NUMBER:
        buf_printf(b, "a number (%s)", diag_quote(v->str, v->len));
        break;
    case VALUE_STRING:
        buf_printf(b, "text (\"%s\")", diag_quote(v->str, v->len));
        break;
    case VALUE_LIST:
        buf_adds(b, "a list");
        break;
    case VALUE_MAP:
        buf_adds(b, "a map");
        break;
    }
}

/* ---- compiling ---- */

typedef struct compiler {
    diag *d;
    size_t errors;
    buf path;
} compiler;

static void compile_error(compiler *c, const value *at, const char *fmt, ...) CP_PRINTF(3, 4);

static void compile_error(compiler *c, const value *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_at(c->d, at, &c->path, fmt, ap);
    va_end(ap);
    c->errors++;
}

static void rule_free(rule *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nfields; i++) {
        free(r->fields[i].name);
        rule_free(r->fields[i].schema);
    }
    free(r->fields);
    for (size_t i = 0; i < r->nrequired; i++)
        free(r->required[i]);
    free(r->required);
    rule_free(r->extra);
    rule_free(r->items);
    value_free(r->allowed);
    pcre2_code_free(r->pattern);
    free(r->pattern_text);
    free(r->title);
    free(r->description);
    value_free(r->examples);
    value_free(r->fallback);
    free(r);
}

static rule *compile_rule(compiler *c, const value *v, unsigned depth);

static void compile_types(compiler *c, rule *r, const value *v)
{
    /* one name, or a list of them */
    const value *const *names = v->kind == VALUE_LIST ? (const value *const *)v->items : &v;
    size_t n = v->kind == VALUE_LIST ? v->len : 1;
    if (!n)
        compile_error(c, v, "list at least one type");
    for (size_t i = 0; i < n; i++) {
        const value *t = names[i];
        size_t old = v->kind == VALUE_LIST ? path_push_index(&c->path, i) : c->path.len;
        if (t->kind != VALUE_STRING) {
            compile_error(c, t, "must be a type name (string, number, integer, boolean, "
                                "object, array or null) or a list of them");
        } else {
            unsigned bit = 0;
            const char *list[sizeof type_names / sizeof type_names[0]];
            for (size_t k = 0; k < sizeof type_names / sizeof type_names[0]; k++) {
                list[k] = type_names[k].name;
                if (strcmp(t->str, type_names[k].name) == 0)
                    bit = type_names[k].bit;
            }
            const char *near = bit ? NULL : closest_name(t->str, list, sizeof list / sizeof *list);
            if (bit)
                r->types |= bit;
            else if (near)
                compile_error(c, t, "unknown type \"%s\"; did you mean \"%s\"?",
                              diag_quote(t->str, t->len), near);
            else
                compile_error(c, t,
                              "unknown type \"%s\"; use string, number, integer, boolean, "
                              "object, array or null",
                              diag_quote(t->str, t->len));
        }
        path_pop(&c->path, old);
    }
}

static void compile_properties(compiler *c, rule *r, const value *v, unsigned depth)
{
    if (v->kind != VALUE_MAP) {
        compile_error(c, v, "must be a map from field names to their schemas");
        return;
    }
    r->fields = xcalloc(v->len ? v->len : 1, sizeof *r->fields);
    for (size_t i = 0; i < v->len; i++) {
        size_t old = path_push_key(&c->path, v->keys[i]);
        field *f = &r->fields[r->nfields++];
        f->name = xstrdup(v->keys[i]);
        f->schema = compile_rule(c, v->items[i], depth + 1);
        path_pop(&c->path, old);
    }
}

static void compile_required(compiler *c, rule *r, const value *v)
{
    if (v->kind != VALUE_LIST) {
        compile_error(c, v,
                      "must be a list of field names (it belongs to the map that holds the "
                      "fields, not to a field)");
        return;
    }
    r->required = xcalloc(v->len ? v->len : 1, sizeof *r->required);
    for (size_t i = 0; i < v->len; i++) {
        const value *name = v->items[i];
        if (name->kind != VALUE_STRING) {
            size_t old = path_push_index(&c->path, i);
            compile_error(c, name, "must be a field name (text)");
            path_pop(&c->path, old);
            continue;
        }
        r->required[r->nrequired++] = xstrdup(name->str);
    }
}

/* Once properties and required are both known: every required name should
 * be a property, or the schema has a typo no data can satisfy. */
static void link_required(compiler *c, rule *r, const value *required)
{
    if (!required || required->kind != VALUE_LIST || !r->fields)
        return;
    const char **names = xcalloc(r->nfields + 1, sizeof *names);
    for (size_t k = 0; k < r->nfields; k++)
        names[k] = r->fields[k].name;
    for (size_t i = 0; i < required->len; i++) {
        const value *name = required->items[i];
        if (name->kind != VALUE_STRING)
            continue;
        bool found = false;
        for (size_t k = 0; k < r->nfields; k++)
            if (strcmp(r->fields[k].name, name->str) == 0) {
                r->fields[k].required = found = true;
            }
        if (found)
            continue;
        size_t old = path_push_key(&c->path, "required");
        path_push_index(&c->path, i);
        const char *near = closest_name(name->str, names, r->nfields);
        if (near)
            compile_error(c, name, "\"%s\" is not among the properties; did you mean \"%s\"?",
                          diag_quote(name->str, name->len), near);
        else
            compile_error(c, name, "\"%s\" is not among the properties",
                          diag_quote(name->str, name->len));
        path_pop(&c->path, old);
    }
    free(names);
}

static void compile_enum(compiler *c, rule *r, const value *v)
{
    if (v->kind != VALUE_LIST || v->len == 0) {
        compile_error(c, v, "must be a list of the allowed values");
        return;
    }
    bool ok = true;
    for (size_t i = 0; i < v->len; i++) {
        if (is_scalar(v->items[i]))
            continue;
        size_t old = path_push_index(&c->path, i);
        compile_error(c, v->items[i],
                      "an allowed value must be text, a number, true/false or empty");
        path_pop(&c->path, old);
        ok = false;
    }
    if (ok)
        r->allowed = value_clone(v);
}

static void compile_pattern(compiler *c, rule *r, const value *v)
{
    if (v->kind != VALUE_STRING) {
        compile_error(c, v, "must be text (a PCRE2 regular expression)");
        return;
    }
    int code = 0;
    PCRE2_SIZE offset = 0;
    r->pattern = pcre2_compile((PCRE2_SPTR)v->str, v->len, PCRE2_UTF | PCRE2_UCP, &code,
                               &offset, NULL);
    if (!r->pattern) {
        PCRE2_UCHAR text[256];
        if (pcre2_get_error_message(code, text, sizeof text) < 0)
            snprintf((char *)text, sizeof text, "error %d", code);
        compile_error(c, v, "\"%s\" is not a valid pattern: %s at offset %zu",
                      diag_quote(v->str, v->len), (const char *)text, (size_t)offset);
        return;
    }
    r->pattern_text = xstrdup(v->str);
}

/* minItems and friends: a whole number, 0 or more. */
static bool compile_count(compiler *c, const value *v, size_t *out)
{
    bool ok = v->kind == VALUE_NUMBER && v->len > 0 && v->len < 19;
    for (size_t i = 0; ok && i < v->len; i++)
        ok = v->str[i] >= '0' && v->str[i] <= '9';
    if (!ok) {
        compile_error(c, v, "must be a whole number, 0 or more");
        return false;
    }
    *out = (size_t)strtoull(v->str, NULL, 10);
    return true;
}

static char *compile_text(compiler *c, const value *v)
{
    if (v->kind != VALUE_STRING) {
        compile_error(c, v, "must be text");
        return NULL;
    }
    return xstrdup(v->str);
}

static void compile_keyword(compiler *c, rule *r, const char *key, const value *v,
                            unsigned depth)
{
    if (strcmp(key, "type") == 0) {
        compile_types(c, r, v);
    } else if (strcmp(key, "properties") == 0) {
        compile_properties(c, r, v, depth);
    } else if (strcmp(key, "required") == 0) {
        compile_required(c, r, v);
    } else if (strcmp(key, "additionalProperties") == 0) {
        if (v->kind == VALUE_BOOL)
            r->closed = !v->boolean;
        else if (v->kind == VALUE_MAP)
            r->extra = compile_rule(c, v, depth + 1);
        else
            compile_error(c, v, "must be true, false or a schema for the other fields");
    } else if (strcmp(key, "items") == 0) {
        r->items = compile_rule(c, v, depth + 1);
    } else if (strcmp(key, "enum") == 0) {
        compile_enum(c, r, v);
    } else if (strcmp(key, "pattern") == 0) {
        compile_pattern(c, r, v);
    } else if (strcmp(key, "format") == 0) {
        if (v->kind == VALUE_STRING && strcmp(v->str, "date") == 0)
            r->date = true;
        else if (v->kind == VALUE_STRING)
            compile_error(c, v, "unknown format \"%s\"; casepack knows only date",
                          diag_quote(v->str, v->len));
        else
            compile_error(c, v, "must be the name of a format (date)");
    } else if (strcmp(key, "minItems") == 0) {
        compile_count(c, v, &r->min_items);
    } else if (strcmp(key, "maxItems") == 0) {
        compile_count(c, v, &r->max_items);
    } else if (strcmp(key, "minLength") == 0) {
        compile_count(c, v, &r->min_len);
    } else if (strcmp(key, "maxLength") == 0) {
        compile_count(c, v, &r->max_len);
    } else if (strcmp(key, "description") == 0) {
        free(r->description);
        r->description = compile_text(c, v);
    } else if (strcmp(key, "title") == 0) {
        free(r->title);
        r->title = compile_text(c, v);
    } else if (strcmp(key, "examples") == 0) {
        if (v->kind == VALUE_LIST)
            r->examples = value_clone(v);
        else
            compile_error(c, v, "must be a list of examples");
    } else if (strcmp(key, "default") == 0) {
        r->fallback = value_clone(v);
    } else {
        const char *near =
            closest_name(key, keywords, sizeof keywords / sizeof keywords[0]);
        if (near)
            compile_error(c, v, "unknown schema keyword \"%s\"; did you mean \"%s\"?",
                          diag_quote(key, strlen(key)), near);
        else
            compile_error(c, v,
                          "unknown schema keyword \"%s\"; casepack knows type, properties, "
                          "required, additionalProperties, items, enum, pattern, format, "
                          "minItems, maxItems, minLength, maxLength, description, examples, "
                          "title and default",
                          diag_quote(key, strlen(key)));
    }
}

static bool is_ignored_annotation(const char *key)
{
    return strcmp(key, "$schema") == 0 || strcmp(key, "$id") == 0 ||
           strcmp(key, "$comment") == 0;
}

static rule *compile_rule(compiler *c, const value *v, unsigned depth)
{
    if (depth > SCHEMA_MAX_DEPTH) {
        compile_error(c, v, "the schema nests deeper than %d levels", SCHEMA_MAX_DEPTH);
        return NULL;
    }
    if (v->kind != VALUE_MAP) {
        buf got = {0};
        add_got(&got, v);
        compile_error(c, v, "a schema must be a map of keywords (type, properties, …), got %s",
                      got.data);
        buf_free(&got);
        return NULL;
    }
    rule *r = xcalloc(1, sizeof *r);
    r->max_items = r->max_len = SIZE_MAX;
    const value *required = NULL;
    for (size_t i = 0; i < v->len; i++) {
        const char *key = v->keys[i];
        if (is_ignored_annotation(key))
            continue;
        if (key[0] == '$') {
            size_t old = path_push_key(&c->path, key);
            compile_error(c, v->items[i],
                          "unknown schema keyword \"%s\"; casepack accepts only $schema, $id "
                          "and $comment among the $ keywords",
                          diag_quote(key, strlen(key)));
            path_pop(&c->path, old);
            continue;
        }
        if (strcmp(key, "required") == 0)
            required = v->items[i];
        size_t old = path_push_key(&c->path, key);
        compile_keyword(c, r, key, v->items[i], depth);
        path_pop(&c->path, old);
    }
    link_required(c, r, required);
    if (r->min_items > r->max_items)
        compile_error(c, v, "minItems (%zu) is more than maxItems (%zu)", r->min_items,
                      r->max_items);
    if (r->min_len > r->max_len)
        compile_error(c, v, "minLength (%zu) is more than maxLength (%zu)", r->min_len,
                      r->max_len);
    return r;
}

/* ---- checking ---- */

typedef struct checker {
    diag *d;
    size_t errors;
    bool stopped;
    buf path;
} checker;

static void check_error(checker *k, const value *at, const char *fmt, ...) CP_PRINTF(3, 4);

static void check_error(checker *k, const value *at, const char *fmt, ...)
{
    if (k->stopped)
        return;
    va_list ap;
    va_start(ap, fmt);
    report_at(k->d, at, &k->path, fmt, ap);
    va_end(ap);
    if (++k->errors == MAX_REPORTED) {
        diag_place place = {.file = at->file, .line = at->line, .col = at->col};
        diag_error(k->d, place, "too many problems (%d); fix these first", MAX_REPORTED);
        k->stopped = true;
    }
}

static bool type_accepts(unsigned types, const value *v)
{
    if (!types)
        return true;
    switch (v->kind) {
    case VALUE_NULL:
        return types & T_NULL;
    case VALUE_BOOL:
        return types & T_BOOLEAN;
    case VALUE_NUMBER:
        return (types & T_NUMBER) || ((types & T_INTEGER) && is_integer_text(v->str, v->len));
    case VALUE_STRING:
        return types & T_STRING;
    case VALUE_LIST:
        return types & T_ARRAY;
    case VALUE_MAP:
        return types & T_OBJECT;
    }
    return false;
}

static void check_type(checker *k, const rule *r, const value *v)
{
    buf msg = {0};
    buf_adds(&msg, "expected ");
    add_expected(&msg, r->types);
    buf_adds(&msg, ", got ");
    add_got(&msg, v);
    if ((r->types & T_STRING) && (v->kind == VALUE_NUMBER || v->kind == VALUE_BOOL))
        buf_adds(&msg, "; put it in quotes to make it text");
    else if (v->kind == VALUE_NULL)
        buf_adds(&msg, "; fill it in");
    else if ((r->types & T_BOOLEAN) && v->kind == VALUE_STRING)
        buf_adds(&msg, "; write true or false, without quotes");
    else if ((r->types & (T_NUMBER | T_INTEGER)) && v->kind == VALUE_STRING &&
             is_integer_text(v->str, v->len))
        buf_adds(&msg, "; write the number without quotes");
    check_error(k, v, "%s", msg.data);
    buf_free(&msg);
}

static void check_enum(checker *k, const rule *r, const value *v)
{
    size_t n;
    const char *text = value_text(v, &n);
    if (is_scalar(v)) {
        for (size_t i = 0; i < r->allowed->len; i++) {
            size_t an;
            const char *a = value_text(r->allowed->items[i], &an);
            if (an == n && memcmp(a, text, n) == 0)
                return;
        }
    }
    buf msg = {0};
    if (is_scalar(v)) {
        buf_printf(&msg, "\"%s\" is not one of the allowed values: ", diag_quote(text, n));
    } else {
        buf_adds(&msg, "expected one of ");
    }
    for (size_t i = 0; i < r->allowed->len; i++) {
        size_t an;
        const char *a = value_text(r->allowed->items[i], &an);
        buf_printf(&msg, "%s\"%s\"", i ? ", " : "", diag_quote(a, an));
    }
    if (!is_scalar(v)) {
        buf_adds(&msg, ", got ");
        add_got(&msg, v);
    }
    check_error(k, v, "%s", msg.data);
    buf_free(&msg);
}

static const char *const month_names[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December",
};

static void check_date(checker *k, const value *v)
{
    const char *s = v->str;
    bool form = v->len == 10 && s[4] == '-' && s[7] == '-';
    for (size_t i = 0; form && i < 10; i++)
        if (i != 4 && i != 7)
            form = s[i] >= '0' && s[i] <= '9';
    if (!form) {
        check_error(k, v, "\"%s\" is not a date; write it as YYYY-MM-DD",
                    diag_quote(s, v->len));
        return;
    }
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int month = (s[5] - '0') * 10 + (s[6] - '0');
    int day = (s[8] - '0') * 10 + (s[9] - '0');
    if (month < 1 || month > 12) {
        check_error(k, v, "\"%s\" is not a date: there is no month %d; write it as YYYY-MM-DD",
                    s, month);
        return;
    }
    static const int days_in[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int last = days_in[month - 1] + (month == 2 && leap);
    if (day < 1)
        check_error(k, v, "\"%s\" is not a date: there is no day 0", s);
    else if (day > last)
        check_error(k, v, "\"%s\" is not a date: %s %d has %d days", s, month_names[month - 1],
                    year, last);
}

static void check_pattern(checker *k, const rule *r, const value *v)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->pattern, NULL);
    int rc = pcre2_match(r->pattern, (PCRE2_SPTR)v->str, v->len, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    if (rc >= 0)
        return;
    const char *pat = diag_quote(r->pattern_text, strlen(r->pattern_text));
    if (rc != PCRE2_ERROR_NOMATCH) {
        PCRE2_UCHAR text[256];
        if (pcre2_get_error_message(rc, text, sizeof text) < 0)
            snprintf((char *)text, sizeof text, "error %d", rc);
        check_error(k, v, "\"%s\" could not be checked against the pattern %s: %s",
                    diag_quote(v->str, v->len), pat, (const char *)text);
        return;
    }
    buf msg = {0};
    buf_printf(&msg, "\"%s\" does not match the pattern %s", diag_quote(v->str, v->len), pat);
    if (r->examples && r->examples->len && is_scalar(r->examples->items[0])) {
        size_t n;
        const char *ex = value_text(r->examples->items[0], &n);
        if (n != v->len || memcmp(ex, v->str, n) != 0)
            buf_printf(&msg, "; for example: %s", diag_quote(ex, n));
    }
    check_error(k, v, "%s", msg.data);
    buf_free(&msg);
}

static void check_string(checker *k, const rule *r, const value *v)
{
    size_t chars = utf8_chars(v->str, v->len);
    if (chars < r->min_len)
        check_error(k, v, "\"%s\" is %zu character%s long; at least %zu %s needed",
                    diag_quote(v->str, v->len), chars, chars == 1 ? "" : "s", r->min_len,
                    r->min_len == 1 ? "is" : "are");
    if (chars > r->max_len)
        check_error(k, v, "\"%s\" is %zu character%s long; at most %zu %s allowed",
                    diag_quote(v->str, v->len), chars, chars == 1 ? "" : "s", r->max_len,
                    r->max_len == 1 ? "is" : "are");
    if (r->date)
        check_date(k, v);
    if (r->pattern)
        check_pattern(k, r, v);
}

static void check_rule(checker *k, const rule *r, const value *v);

static void check_map(checker *k, const rule *r, const value *v)
{
    for (size_t i = 0; i < r->nrequired; i++) {
        const char *name = r->required[i];
        if (value_map_get(v, name, strlen(name)))
            continue;
        const rule *fr = NULL;
        for (size_t f = 0; f < r->nfields && !fr; f++)
            if (strcmp(r->fields[f].name, name) == 0)
                fr = r->fields[f].schema;
        buf msg = {0};
        buf_printf(&msg, "\"%s\" is required", diag_quote(name, strlen(name)));
        if (fr && fr->description) {
            buf_adds(&msg, " (");
            add_one_line(&msg, fr->description);
            buf_addc(&msg, ')');
        }
        check_error(k, v, "%s", msg.data);
        buf_free(&msg);
    }
    for (size_t i = 0; i < v->len && !k->stopped; i++) {
        const char *key = v->keys[i];
        const rule *fr = NULL;
        bool known = false;
        for (size_t f = 0; f < r->nfields && !known; f++)
            if (strcmp(r->fields[f].name, key) == 0) {
                fr = r->fields[f].schema;
                known = true;
            }
        size_t old = path_push_key(&k->path, key);
        if (!known && r->extra) {
            fr = r->extra;
        } else if (!known && r->closed) {
            const char **names = xcalloc(r->nfields + 1, sizeof *names);
            for (size_t f = 0; f < r->nfields; f++)
                names[f] = r->fields[f].name;
            const char *near = closest_name(key, names, r->nfields);
            buf msg = {0};
            buf_printf(&msg, "unknown field \"%s\"", diag_quote(key, strlen(key)));
            if (near)
                buf_printf(&msg, "; did you mean \"%s\"?", near);
            else if (r->nfields == 0)
                buf_adds(&msg, "; no fields are allowed here");
            else
                for (size_t f = 0; f < r->nfields; f++)
                    buf_printf(&msg, "%s%s", f ? ", " : "; the fields allowed here are ",
                               names[f]);
            check_error(k, v->items[i], "%s", msg.data);
            buf_free(&msg);
            free(names);
        }
        if (fr)
            check_rule(k, fr, v->items[i]);
        path_pop(&k->path, old);
    }
}

static void check_list(checker *k, const rule *r, const value *v)
{
    if (v->len < r->min_items)
        check_error(k, v, "the list has %zu item%s; at least %zu %s needed", v->len,
                    v->len == 1 ? "" : "s", r->min_items, r->min_items == 1 ? "is" : "are");
    if (v->len > r->max_items)
        check_error(k, v, "the list has %zu item%s; at most %zu %s allowed", v->len,
                    v->len == 1 ? "" : "s", r->max_items, r->max_items == 1 ? "is" : "are");
    for (size_t i = 0; r->items && i < v->len && !k->stopped; i++) {
        size_t old = path_push_index(&k->path, i);
        check_rule(k, r->items, v->items[i]);
        path_pop(&k->path, old);
    }
}

/* Recursion follows the rules, which nest at most SCHEMA_MAX_DEPTH deep. */
static void check_rule(checker *k, const rule *r, const value *v)
{
    if (k->stopped)
        return;
    if (!type_accepts(r->types, v)) {
        check_type(k, r, v);
        return;
    }
    if (r->allowed)
        check_enum(k, r, v);
    if (v->kind == VALUE_STRING)
        check_string(k, r, v);
    else if (v->kind == VALUE_MAP)
        check_map(k, r, v);
    else if (v->kind == VALUE_LIST)
        check_list(k, r, v);
}

/* Examples and defaults are data a lawyer will copy, and the skeleton is made
 * of them: each must pass the rule it illustrates. */
static void check_own_examples(compiler *c, const rule *r)
{
    if (!r)
        return;
    checker k = {.d = c->d};
    for (size_t i = 0; r->examples && i < r->examples->len; i++) {
        buf_reset(&k.path);
        buf_printf(&k.path, "%s%sexamples.%zu", c->path.len ? c->path.data : "",
                   c->path.len ? "." : "", i);
        check_rule(&k, r, r->examples->items[i]);
    }
    if (r->fallback) {
        buf_reset(&k.path);
        buf_printf(&k.path, "%s%sdefault", c->path.len ? c->path.data : "",
                   c->path.len ? "." : "");
        check_rule(&k, r, r->fallback);
    }
    c->errors += k.errors;
    buf_free(&k.path);
    for (size_t i = 0; i < r->nfields; i++) {
        size_t old = path_push_key(&c->path, "properties");
        path_push_key(&c->path, r->fields[i].name);
        check_own_examples(c, r->fields[i].schema);
        path_pop(&c->path, old);
    }
    if (r->items) {
        size_t old = path_push_key(&c->path, "items");
        check_own_examples(c, r->items);
        path_pop(&c->path, old);
    }
    if (r->extra) {
        size_t old = path_push_key(&c->path, "additionalProperties");
        check_own_examples(c, r->extra);
        path_pop(&c->path, old);
    }
}

schema *schema_compile(const value *root, diag *d)
{
    compiler c = {.d = d};
    schema *s = NULL;
    rule *r = compile_rule(&c, root, 0);
    if (!c.errors)
        check_own_examples(&c, r);
    if (c.errors) {
        rule_free(r);
        goto done;
    }
    s = xcalloc(1, sizeof *s);
    s->root = r;
done:
    buf_free(&c.path);
    return s;
}

void schema_free(schema *s)
{
    if (!s)
        return;
    rule_free(s->root);
    free(s);
}

bool schema_check(const schema *s, const value *data, diag *d)
{
    checker k = {.d = d};
    check_rule(&k, s->root, data);
    buf_free(&k.path);
    return k.errors == 0;
}

/* ---- the skeleton ---- */

static void pad(buf *out, unsigned indent)
{
    for (unsigned i = 0; i < indent; i++)
        buf_addc(out, ' ');
}

/* Words a YAML reader (1.2 or the older 1.1 many tools still speak) would take
 * for something other than text. */
static bool is_reserved_word(const char *s, size_t n)
{
    static const char *const words[] = {"null", "~",   "true", "false", "yes",  "no",
                                        "on",   "off", "y",    "n",     ".inf", "-.inf",
                                        "+.inf", ".nan", "<<"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0)
            return true;
    return false;
}

/* Numbers, dates, times, hex and octal in any YAML dialect: starts like a
 * number and holds nothing a sentence would. */
static bool looks_numeric(const char *s, size_t n)
{
    size_t i = (s[0] == '+' || s[0] == '-' || s[0] == '.') ? 1 : 0;
    if (i < n && s[i] == '.')
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return false;
    for (size_t k = 0; k < n; k++)
        if (!strchr("0123456789_+-.:eExXoObBaAcCdDfFtTzZ ", s[k]))
            return false;
    return true;
}

static bool needs_quotes(const char *s, size_t n)
{
    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == ':')
        return true;
    if (strchr("-?:,[]{}#&*!|>'\"%@`", s[0]))
        return true;
    if (is_reserved_word(s, n) || looks_numeric(s, n))
        return true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            return true;
        if ((c == ':' && i + 1 < n && s[i + 1] == ' ') || (c == '#' && s[i - 1] == ' '))
            return true;
        /* U+0085, U+2028, U+2029 break lines for YAML; U+FEFF is a byte order mark */
        if ((c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0x85) ||
            (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
             ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) ||
            (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBB &&
             (unsigned char)s[i + 2] == 0xBF))
            return true;
    }
    return false;
}

static void add_double_quoted(buf *out, const char *s, size_t n)
{
    buf_addc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf_addc(out, '\\');
            buf_addc(out, (char)c);
        } else if (c == '\n') {
            buf_adds(out, "\\n");
        } else if (c == '\t') {
            buf_adds(out, "\\t");
        } else if (c == '\r') {
            buf_adds(out, "\\r");
        } else if (c < 0x20 || c == 0x7F) {
            buf_printf(out, "\\x%02X", c);
        } else if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0x85) {
            buf_adds(out, "\\N");
            i++;
        } else if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
            buf_adds(out, (unsigned char)s[i + 2] == 0xA8 ? "\\L" : "\\P");
            i += 2;
        } else if (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBB &&
                   (unsigned char)s[i + 2] == 0xBF) {
            buf_adds(out, "\\uFEFF");
            i += 2;
        } else {
            buf_addc(out, (char)c);
        }
    }
    buf_addc(out, '"');
}

/* Several lines read best as a literal block, which a lawyer edits like
 * ordinary text. Only the simple cases: no indentation indicator, at most
 * one final line break, nothing a block cannot hold. */
static bool fits_literal_block(const char *s, size_t n)
{
    if (n == 0 || s[0] == ' ' || s[0] == '\n' || !memchr(s, '\n', n))
        return false;
    if (n >= 2 && s[n - 1] == '\n' && s[n - 2] == '\n')
        return false;
    size_t line_start = 0;
    bool blank = true;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = i < n ? (unsigned char)s[i] : '\n';
        if (c == '\n') {
            if (blank && i > line_start)
                return false; /* a line of spaces only */
            line_start = i + 1;
            blank = true;
            continue;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7F || c == 0xC2 || c == 0xE2 || c == 0xEF)
            return false; /* control characters and the odd line breaks need escapes */
        if (c != ' ' && c != '\t')
            blank = false;
    }
    return true;
}

static void add_literal_block(buf *out, const char *s, size_t n, unsigned indent)
{
    bool final_break = s[n - 1] == '\n';
    buf_adds(out, final_break ? " |\n" : " |-\n");
    if (final_break)
        n--;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '\n')
            continue;
        if (i > start) {
            pad(out, indent);
            buf_add(out, s + start, i - start);
        }
        buf_addc(out, '\n');
        start = i + 1;
    }
}

static void add_key(buf *out, const char *key)
{
    size_t n = strlen(key);
    if (needs_quotes(key, n))
        add_double_quoted(out, key, n);
    else
        buf_add(out, key, n);
}

/* A scalar after "key:" or "-"; block lines go at indent. */
static void emit_scalar(buf *out, const value *v, unsigned indent)
{
    switch (v->kind) {
    case VALUE_NULL:
        buf_adds(out, " null\n");
        return;
    case VALUE_BOOL:
        buf_adds(out, v->boolean ? " true\n" : " false\n");
        return;
    case VALUE_NUMBER:
        buf_printf(out, " %s\n", v->str);
        return;
    case VALUE_STRING:
        if (fits_literal_block(v->str, v->len)) {
            add_literal_block(out, v->str, v->len, indent);
            return;
        }
        buf_addc(out, ' ');
        if (needs_quotes(v->str, v->len))
            add_double_quoted(out, v->str, v->len);
        else
            buf_add(out, v->str, v->len);
        buf_addc(out, '\n');
        return;
    default:
        return;
    }
}

static void emit_after(buf *out, const value *v, unsigned indent);

/* Recursion over example values follows their nesting in the schema file,
 * which the loader bounded. */
static void emit_map(buf *out, const value *v, unsigned indent, bool first_inline)
{
    for (size_t i = 0; i < v->len; i++) {
        if (i || !first_inline)
            pad(out, indent);
        add_key(out, v->keys[i]);
        buf_addc(out, ':');
        emit_after(out, v->items[i], indent);
    }
}

static void emit_list(buf *out, const value *v, unsigned indent)
{
    for (size_t i = 0; i < v->len; i++) {
        const value *item = v->items[i];
        pad(out, indent);
        buf_addc(out, '-');
        if (item->kind == VALUE_MAP && item->len) {
            buf_addc(out, ' ');
            emit_map(out, item, indent + 2, true);
        } else {
            emit_after(out, item, indent);
        }
    }
}

/* The value after "key:" or "-" written at indent. */
static void emit_after(buf *out, const value *v, unsigned indent)
{
    if (is_scalar(v)) {
        emit_scalar(out, v, indent + 2);
    } else if (v->len == 0) {
        buf_adds(out, v->kind == VALUE_LIST ? " []\n" : " {}\n");
    } else {
        buf_addc(out, '\n');
        if (v->kind == VALUE_MAP)
            emit_map(out, v, indent + 2, false);
        else
            emit_list(out, v, indent + 2);
    }
}

/* The first of a rule's types, which decides the placeholder; without a
 * type, what the other keywords suggest. */
static unsigned rule_shape(const rule *r)
{
    for (size_t i = 0; i < sizeof type_words / sizeof type_words[0]; i++)
        if (r->types & type_words[i].bit)
            return type_words[i].bit;
    if (r->nfields)
        return T_OBJECT;
    if (r->items)
        return T_ARRAY;
    return T_STRING;
}

static void add_comment_lines(buf *out, const char *text, unsigned indent, bool mark_required)
{
    const char *s = text;
    while (*s) {
        const char *end = strchr(s, '\n');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        size_t trimmed = n;
        while (trimmed && (s[trimmed - 1] == ' ' || s[trimmed - 1] == '\t' ||
                           s[trimmed - 1] == '\r'))
            trimmed--;
        bool last = !end || !end[1];
        pad(out, indent);
        buf_addc(out, '#');
        if (trimmed) {
            buf_addc(out, ' ');
            buf_add(out, s, trimmed);
        }
        if (last && mark_required)
            buf_adds(out, " (required)");
        buf_addc(out, '\n');
        if (!end)
            break;
        s = end + 1;
    }
}

static void skel_comments(buf *out, const rule *r, bool required, unsigned indent)
{
    bool has_desc = r->description && r->description[0];
    if (r->title && r->title[0])
        add_comment_lines(out, r->title, indent, required && !has_desc);
    if (has_desc)
        add_comment_lines(out, r->description, indent, required);
    if (required && !has_desc && !(r->title && r->title[0])) {
        pad(out, indent);
        buf_adds(out, "# (required)\n");
    }
    if (r->allowed) {
        pad(out, indent);
        buf_adds(out, "# one of:");
        for (size_t i = 0; i < r->allowed->len; i++) {
            size_t n;
            const char *t = value_text(r->allowed->items[i], &n);
            buf_adds(out, i ? ", " : " ");
            buf_add(out, t, n);
        }
        buf_addc(out, '\n');
    }
    if (r->examples && r->examples->len && is_scalar(r->examples->items[0])) {
        size_t n;
        const char *t = value_text(r->examples->items[0], &n);
        if (n && !memchr(t, '\n', n)) {
            pad(out, indent);
            buf_adds(out, "# e.g. ");
            buf_add(out, t, n);
            buf_addc(out, '\n');
        }
    }
}

static void skel_after(buf *out, const rule *r, const value *inherited, unsigned indent);

/* The fields of a map rule at indent. With dash, the map is a list item:
 * the first field shares the "- " line, its comments stand above it. */
static void skel_fields(buf *out, const rule *r, const value *inherited, unsigned indent,
                        bool dash)
{
    for (size_t i = 0; i < r->nfields; i++) {
        const field *f = &r->fields[i];
        bool first_dash = dash && i == 0;
        unsigned at = first_dash ? indent - 2 : indent;
        if (indent == 0 && i > 0)
            buf_addc(out, '\n');
        skel_comments(out, f->schema, f->required, at);
        pad(out, at);
        if (first_dash)
            buf_adds(out, "- ");
        add_key(out, f->name);
        buf_addc(out, ':');
        const value *sub = inherited && inherited->kind == VALUE_MAP
                               ? value_map_get(inherited, f->name, strlen(f->name))
                               : NULL;
        skel_after(out, f->schema, sub, indent);
    }
}

static const value *rule_sample(const rule *r, const value *inherited)
{
    if (r->examples && r->examples->len)
        return r->examples->items[0];
    if (inherited)
        return inherited;
    return r->fallback;
}

/* As many items as minItems asks, at least one, so a filled-in skeleton
 * shows the shape of an item and still passes. */
static void skel_items(buf *out, const rule *r, unsigned indent)
{
    size_t n = r->min_items > 1 ? r->min_items : 1;
    if (n > 100)
        n = 100;
    for (size_t i = 0; i < n; i++) {
        const rule *it = r->items;
        const value *sample = rule_sample(it, NULL);
        if (rule_shape(it) == T_OBJECT && it->nfields) {
            skel_fields(out, it, sample, indent + 2, true);
            continue;
        }
        pad(out, indent);
        buf_addc(out, '-');
        if (sample && sample->kind == VALUE_MAP && sample->len) {
            buf_addc(out, ' ');
            emit_map(out, sample, indent + 2, true);
        } else {
            skel_after(out, it, NULL, indent);
        }
    }
}

/* The value after "key:" or "-" written at indent: the example, or what the
 * rule's shape suggests. Recursion follows the rules (bounded at compile). */
static void skel_after(buf *out, const rule *r, const value *inherited, unsigned indent)
{
    unsigned shape = rule_shape(r);
    const value *sample = rule_sample(r, inherited);
    if (shape == T_OBJECT && r->nfields) {
        buf_addc(out, '\n');
        skel_fields(out, r, sample, indent + 2, false);
        return;
    }
    if (sample) {
        emit_after(out, sample, indent);
        return;
    }
    if (r->allowed) {
        emit_scalar(out, r->allowed->items[0], indent + 2);
        return;
    }
    switch (shape) {
    case T_ARRAY:
        if (r->items) {
            buf_addc(out, '\n');
            skel_items(out, r, indent + 2);
        } else {
            buf_adds(out, " []\n");
        }
        break;
    case T_OBJECT:
        buf_adds(out, " {}\n");
        break;
    case T_NUMBER:
    case T_INTEGER:
        buf_adds(out, " 0\n");
        break;
    case T_BOOLEAN:
        buf_adds(out, " false\n");
        break;
    case T_NULL:
        buf_adds(out, " null\n");
        break;
    default:
        buf_adds(out, " \"\"\n");
        break;
    }
}

void schema_skeleton(const schema *s, buf *out)
{
    const rule *r = s->root;
    bool heading = false;
    if (r->title && r->title[0]) {
        add_comment_lines(out, r->title, 0, false);
        heading = true;
    }
    if (r->description && r->description[0]) {
        add_comment_lines(out, r->description, 0, false);
        heading = true;
    }
    if (heading)
        buf_addc(out, '\n');
    const value *sample = rule_sample(r, NULL);
    if (rule_shape(r) == T_OBJECT && r->nfields) {
        skel_fields(out, r, sample, 0, false);
    } else if (sample && sample->kind == VALUE_MAP && sample->len) {
        emit_map(out, sample, 0, false);
    } else if (sample && sample->kind == VALUE_LIST && sample->len) {
        emit_list(out, sample, 0);
    } else if (!sample && rule_shape(r) == T_ARRAY && r->items) {
        skel_items(out, r, 0);
    } else {
        buf buf_value = {0};
        skel_after(&buf_value, r, NULL, 0);
        /* a lone scalar: drop the space that follows "key:" elsewhere */
        buf_adds(out, buf_value.data[0] == ' ' ? buf_value.data + 1 : buf_value.data);
        buf_free(&buf_value);
    }
}
