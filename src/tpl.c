/* tpl.c: the Mustache lexer and compiler. Owns the tag scanner (delimiters,
 * triple mustaches, set-delimiter tags), the tag-body parser (dotted names,
 * @-names, filters and their arguments), the builder that turns static
 * chunks and tags into a flat program with matched sections, and the text
 * front end that applies Mustache's standalone-line and partial-indent rules
 * before feeding the builder. Every problem is reported with its place; the
 * compiler never stops at the first. */
#include "tpl.h"

#include <stdlib.h>
#include <string.h>

#include "filters.h"
#include "tpl_prog.h"
#include "util.h"

/* Past this many problems in one template the rest is noise, and a hostile
 * template could otherwise ask for a message per tag, millions of them. */
#define TPL_MAX_REPORTED 100

/* ---- delimiters ---------------------------------------------------------- */

tpl_delims tpl_default_delims(void)
{
    tpl_delims d;
    memset(&d, 0, sizeof d);
    memcpy(d.open, "{{", 3);
    memcpy(d.close, "}}", 3);
    return d;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Two delimiters separated by blanks, each 1..TPL_MAX_DELIM bytes with no
 * blank and no '=' (the spec forbids both: they would make tags ambiguous). */
static bool delims_parse(const char *s, size_t n, tpl_delims *out)
{
    size_t i = 0, starts[2], lens[2], count = 0;
    while (i < n) {
        while (i < n && is_blank(s[i]))
            i++;
        if (i == n)
            break;
        size_t start = i;
        while (i < n && !is_blank(s[i]))
            i++;
        if (count == 2)
            return false;
        starts[count] = start;
        lens[count++] = i - start;
    }
    if (count != 2)
        return false;
    for (int k = 0; k < 2; k++) {
        if (lens[k] > TPL_MAX_DELIM || memchr(s + starts[k], '=', lens[k]))
            return false;
    }
    memset(out, 0, sizeof *out);
    memcpy(out->open, s + starts[0], lens[0]);
    memcpy(out->close, s + starts[1], lens[1]);
    return true;
}

bool tpl_parse_delims(const char *spec, tpl_delims *out)
{
    return spec && delims_parse(spec, strlen(spec), out);
}

/* A set-delimiter tag's body is "=L R=". */
static bool delims_from_body(const char *body, size_t n, tpl_delims *out)
{
    while (n && is_blank(*body))
        body++, n--;
    while (n && is_blank(body[n - 1]))
        n--;
    if (n < 2 || body[0] != '=' || body[n - 1] != '=')
        return false;
    return delims_parse(body + 1, n - 2, out);
}

/* ---- scanning ------------------------------------------------------------ */

static size_t find_bytes(const char *s, size_t n, size_t from, const char *needle, size_t nl)
{
    if (nl == 0 || nl > n)
        return SIZE_MAX;
    for (size_t i = from; i + nl <= n; i++)
        if (s[i] == needle[0] && memcmp(s + i, needle, nl) == 0)
            return i;
    return SIZE_MAX;
}

static tpl_tag_kind kind_of_sigil(char c)
{
    switch (c) {
    case '&':
        return TPL_TAG_RAW;
    case '#':
        return TPL_TAG_SECTION;
    case '^':
        return TPL_TAG_INVERTED;
    case '/':
        return TPL_TAG_CLOSE;
    case '>':
        return TPL_TAG_PARTIAL;
    case '!':
        return TPL_TAG_COMMENT;
    default:
        return TPL_TAG_VALUE;
    }
}

/* body_start..body_end keeps the sigil ("#name", "=<% %>=", "&name"), except
 * for {{{name}}}, whose braces belong to the delimiters. Blanks before a
 * sigil are forgiven ({{ #name }}): Word users type them. */
bool tpl_scan(const char *text, size_t n, size_t from, tpl_delims *d, tpl_found *out)
{
    size_t ol = strlen(d->open), cl = strlen(d->close);
    size_t start = find_bytes(text, n, from, d->open, ol);
    if (start == SIZE_MAX)
        return false;
    memset(out, 0, sizeof *out);
    out->start = start;
    size_t i = start + ol;
    size_t close_at;
    if (i < n && text[i] == '{') {
        char closer[TPL_MAX_DELIM + 2];
        closer[0] = '}';
        memcpy(closer + 1, d->close, cl + 1);
        out->kind = TPL_TAG_RAW;
        out->body_start = i + 1;
        close_at = find_bytes(text, n, i + 1, closer, cl + 1);
        if (close_at != SIZE_MAX) {
            out->body_end = close_at;
            out->end = close_at + cl + 1;
        }
    } else if (i < n && text[i] == '=') {
        out->kind = TPL_TAG_DELIMS;
        out->body_start = i;
        close_at = find_bytes(text, n, i + 1, d->close, cl);
        if (close_at != SIZE_MAX) {
            out->body_end = close_at;
            out->end = close_at + cl;
            tpl_delims nd;
            if (delims_from_body(text + i, close_at - i, &nd))
                *d = nd;
        }
    } else {
        size_t j = i;
        while (j < n && (text[j] == ' ' || text[j] == '\t'))
            j++;
        out->kind = j < n ? kind_of_sigil(text[j]) : TPL_TAG_VALUE;
        out->body_start = i;
        close_at = find_bytes(text, n, i, d->close, cl);
        if (close_at != SIZE_MAX) {
            out->body_end = close_at;
            out->end = close_at + cl;
        }
    }
    if (close_at == SIZE_MAX) {
        out->unclosed = true;
        out->body_end = out->end = n;
    }
    return true;
}

/* ---- tag bodies ---------------------------------------------------------- */

/* Blanks inside a tag: ASCII ones and the no-break space word processors put
 * after some punctuation. Returns its length at s[i], 0 when none. */
static size_t space_at(const char *s, size_t n, size_t i)
{
    if (i >= n)
        return 0;
    if (is_blank(s[i]))
        return 1;
    if ((unsigned char)s[i] == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0)
        return 2;
    return 0;
}

static size_t skip_space(const char *s, size_t n, size_t i)
{
    size_t k;
    while ((k = space_at(s, n, i)) != 0)
        i += k;
    return i;
}

static void trim(const char **s, size_t *n)
{
    size_t i = skip_space(*s, *n, 0);
    *s += i;
    *n -= i;
    for (;;) {
        if (*n && is_blank((*s)[*n - 1]))
            (*n)--;
        else if (*n >= 2 && (unsigned char)(*s)[*n - 2] == 0xC2 &&
                 (unsigned char)(*s)[*n - 1] == 0xA0)
            *n -= 2;
        else
            break;
    }
}

/* Quotes a filter argument may use: straight ones with \" and \\ escapes,
 * and the curly ones Word substitutes as the author types (“…”, „…“, „…”). */
typedef enum quote_kind { QUOTE_NONE, QUOTE_STRAIGHT, QUOTE_CURLY } quote_kind;

static quote_kind quote_at(const char *s, size_t n, size_t i)
{
    if (i < n && s[i] == '"')
        return QUOTE_STRAIGHT;
    if (i + 2 < n && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80) {
        unsigned char c = (unsigned char)s[i + 2];
        if (c == 0x9C || c == 0x9D || c == 0x9E) /* “ ” „ */
            return QUOTE_CURLY;
    }
    return QUOTE_NONE;
}

static bool curly_close_at(const char *s, size_t n, size_t i)
{
    return i + 2 < n && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
           ((unsigned char)s[i + 2] == 0x9C || (unsigned char)s[i + 2] == 0x9D);
}

static bool is_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    size_t digits = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == digits)
        return false;
    if (i < n && s[i] == '.') {
        size_t frac = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == frac)
            return false;
    }
    return i == n;
}

/* A tag body taken apart: the data path, the filter calls, and the key a
 * section is matched by. Problems are collected, not reported, so that
 * tpl_section_key can use the parser without a place to report to. */
typedef struct parsed_tag {
    tpl_path path;
    tpl_call *calls;
    size_t n_calls, cap_calls;
    bool has_default;
    bool bad; /* no op may be built from it */
    buf key;  /* "a.b|eq \"x\"" */
    char **errs;
    size_t n_errs, cap_errs;
} parsed_tag;

static void parsed_error(parsed_tag *t, const char *fmt, ...) CP_PRINTF(2, 3);

static void parsed_error(parsed_tag *t, const char *fmt, ...)
{
    buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (t->n_errs == t->cap_errs) {
        t->cap_errs = t->cap_errs ? t->cap_errs * 2 : 4;
        t->errs = xrealloc(t->errs, t->cap_errs * sizeof *t->errs);
    }
    t->errs[t->n_errs++] = buf_steal(&b);
    t->bad = true;
}

static void path_free(tpl_path *p)
{
    free(p->text);
    free(p->segs);
    memset(p, 0, sizeof *p);
}

static void args_free(tpl_arg *args, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        value_free(args[i].literal);
        path_free(&args[i].path);
    }
    free(args);
}

static void call_free(tpl_call *c)
{
    args_free(c->args, c->n_args);
}

static void parsed_free(parsed_tag *t)
{
    path_free(&t->path);
    for (size_t i = 0; i < t->n_calls; i++)
        call_free(&t->calls[i]);
    free(t->calls);
    buf_free(&t->key);
    for (size_t i = 0; i < t->n_errs; i++)
        free(t->errs[i]);
    free(t->errs);
    memset(t, 0, sizeof *t);
}

static bool path_parse(const char *s, size_t n, tpl_path *out, parsed_tag *t)
{
    memset(out, 0, sizeof *out);
    out->text = xstrndup(s, n);
    if (n == 1 && s[0] == '.') {
        out->kind = TPL_PATH_DOT;
        return true;
    }
    if (n == 11 && memcmp(s, "authorities", 11) == 0) {
        out->kind = TPL_PATH_AUTHORITIES;
        return true;
    }
    if (s[0] == '@') {
        static const struct {
            const char *name;
            tpl_path_kind kind;
        } specials[] = {{"@index", TPL_PATH_INDEX},
                        {"@number", TPL_PATH_NUMBER},
                        {"@first", TPL_PATH_FIRST},
                        {"@last", TPL_PATH_LAST}};
        for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) {
            if (strlen(specials[i].name) == n && memcmp(specials[i].name, s, n) == 0) {
                out->kind = specials[i].kind;
                return true;
            }
        }
        parsed_error(t,
                     "unknown name \"%s\": the names that start with @ are @index, @number, "
                     "@first and @last",
                     diag_quote(s, n));
        return false;
    }
    size_t count = 1;
    for (size_t i = 0; i < n; i++)
        count += s[i] == '.';
    out->kind = TPL_PATH_NAMES;
    out->segs = xcalloc(count, sizeof *out->segs);
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (i == start) {
            parsed_error(t,
                         "\"%s\" is not a valid name: put one dot between two names, as in "
                         "applicant.name",
                         diag_quote(s, n));
            return false;
        }
        out->segs[out->n_segs++] = (tpl_seg){start, i - start};
        start = i + 1;
    }
    return true;
}

static void key_add_string(buf *key, const char *s, size_t n)
{
    buf_addc(key, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            buf_addc(key, '\\');
        buf_addc(key, s[i]);
    }
    buf_addc(key, '"');
}

/* Parses a quoted argument starting at s[*i]. Returns the text (caller frees)
 * or NULL when it is never closed. */
static value *string_parse(const char *s, size_t n, size_t *i, parsed_tag *t)
{
    size_t open = *i;
    buf text = {0};
    if (quote_at(s, n, open) == QUOTE_STRAIGHT) {
        size_t j = open + 1;
        for (; j < n && s[j] != '"'; j++) {
            if (s[j] == '\\' && j + 1 < n && (s[j + 1] == '"' || s[j + 1] == '\\'))
                j++;
            buf_addc(&text, s[j]);
        }
        if (j < n) {
            *i = j + 1;
            value *v = value_new_string(text.data ? text.data : "", text.len);
            buf_free(&text);
            return v;
        }
        parsed_error(t, "the text %s is never closed: end it with \"",
                     diag_quote(s + open, n - open));
    } else {
        size_t j = open + 3;
        while (j < n && !curly_close_at(s, n, j))
            j++;
        if (j < n) {
            *i = j + 3;
            buf_free(&text);
            return value_new_string(s + open + 3, j - open - 3);
        }
        parsed_error(t, "the text %s is never closed: end it with \xE2\x80\x9D",
                     diag_quote(s + open, n - open));
    }
    buf_free(&text);
    return NULL;
}

static void arity_check(const filter_def *def, size_t got, parsed_tag *t)
{
    if (got >= def->min_args && got <= def->max_args)
        return;
    char takes[64];
    if (def->min_args == def->max_args && def->max_args == 0)
        snprintf(takes, sizeof takes, "takes no arguments");
    else if (def->min_args == def->max_args)
        snprintf(takes, sizeof takes, "takes %u argument%s", def->max_args,
                 def->max_args == 1 ? "" : "s");
    else
        snprintf(takes, sizeof takes, "takes %u to %u arguments", def->min_args, def->max_args);
    parsed_error(t, "filter \"%s\" %s, not %zu: write it as %s", def->name, takes, got,
                 def->usage);
}

/* Parses the arguments of one filter call up to the next '|'. Returns false
 * on a syntax error that leaves the rest of the body unreadable. */
static bool args_parse(const char *s, size_t n, size_t *pos, tpl_call *call, parsed_tag *t)
{
    size_t i = *pos, cap = 0;
    for (;;) {
        i = skip_space(s, n, i);
        if (i >= n || s[i] == '|')
            break;
        tpl_arg arg;
        memset(&arg, 0, sizeof arg);
        if (quote_at(s, n, i) != QUOTE_NONE) {
            arg.literal = string_parse(s, n, &i, t);
            if (!arg.literal)
                return false;
            buf_addc(&t->key, ' ');
            key_add_string(&t->key, arg.literal->str, arg.literal->len);
        } else {
            size_t start = i;
            while (i < n && !space_at(s, n, i) && s[i] != '|')
                i++;
            if (is_number(s + start, i - start))
                arg.literal = value_new_number(s + start, i - start);
            else
                path_parse(s + start, i - start, &arg.path, t);
            buf_addc(&t->key, ' ');
            buf_add(&t->key, s + start, i - start);
        }
        if (call->n_args == cap) {
            cap = cap ? cap * 2 : 2;
            call->args = xrealloc(call->args, cap * sizeof *call->args);
        }
        call->args[call->n_args++] = arg;
    }
    *pos = i;
    return true;
}

/* Parses "path | filter arg … | …" (blanks already trimmed, not empty). */
static void tag_parse(const char *s, size_t n, parsed_tag *t)
{
    memset(t, 0, sizeof *t);
    size_t i = 0;
    if (quote_at(s, n, 0) != QUOTE_NONE) {
        parsed_error(t,
                     "a tag starts with a data name, not a quoted text: write the name as it "
                     "stands in the data, as in {{applicant.name}}");
        return;
    }
    while (i < n && !space_at(s, n, i) && s[i] != '|')
        i++;
    if (i == 0) {
        parsed_error(t, "there is no name before the first \"|\": write the data name first, as "
                        "in {{name | upper}}");
        return;
    }
    size_t name_len = i;
    path_parse(s, i, &t->path, t);
    buf_add(&t->key, s, i);
    for (;;) {
        i = skip_space(s, n, i);
        if (i >= n)
            break;
        if (s[i] != '|') {
            size_t start = i;
            while (i < n && !space_at(s, n, i) && s[i] != '|')
                i++;
            parsed_error(t,
                         "unexpected \"%s\" after the name \"%s\": a name has no spaces, and "
                         "filters follow a \"|\", as in {{%s | upper}}",
                         diag_quote(s + start, i - start), diag_quote(s, name_len),
                         diag_quote(s, name_len));
            return;
        }
        i = skip_space(s, n, i + 1);
        size_t start = i;
        while (i < n && !space_at(s, n, i) && s[i] != '|' && quote_at(s, n, i) == QUOTE_NONE)
            i++;
        if (i == start) {
            parsed_error(t, "\"|\" must be followed by a filter; the filters are: %s",
                         filters_names());
            return;
        }
        const filter_def *def = filters_find(s + start, i - start);
        if (!def)
            parsed_error(t, "unknown filter \"%s\"; the filters are: %s",
                         diag_quote(s + start, i - start), filters_names());
        else if (strcmp(def->name, "default") == 0)
            t->has_default = true;
        buf_addc(&t->key, '|');
        buf_add(&t->key, s + start, i - start);
        tpl_call call = {def, NULL, 0};
        bool readable = args_parse(s, n, &i, &call, t);
        if (def && readable)
            arity_check(def, call.n_args, t);
        if (t->n_calls == t->cap_calls) {
            t->cap_calls = t->cap_calls ? t->cap_calls * 2 : 2;
            t->calls = xrealloc(t->calls, t->cap_calls * sizeof *t->calls);
        }
        t->calls[t->n_calls++] = call;
        if (!readable)
            return;
    }
}

/* {{cite KEY}} and {{cite KEY PINPOINT}}: the word cite, a blank, then the
 * arguments. {{cite}} and {{cite | upper}} still name a data field. */
static bool is_cite(const char *s, size_t n)
{
    if (n <= 4 || memcmp(s, "cite", 4) != 0 || !space_at(s, n, 4))
        return false;
    size_t i = skip_space(s, n, 4);
    return i < n && s[i] != '|';
}

#define CITE_USAGE                                                                           \
    "write a citation key and, if you like, a pinpoint, as in {{cite \"RC51-33\"}}, "        \
    "{{cite ground.key}} or {{cite \"HB-195-205\" \"para. 203\"}}"

/* Parses the arguments of a cite tag (s starts with "cite "). The key and
 * the pinpoint are each a quoted text or a data path; a number is a key as
 * written. */
static void cite_parse(const char *s, size_t n, parsed_tag *t, tpl_call *args)
{
    memset(t, 0, sizeof *t);
    memset(args, 0, sizeof *args);
    size_t i = 4;
    if (!args_parse(s, n, &i, args, t))
        return;
    if (i < n) {
        parsed_error(t, "a citation takes no filters: " CITE_USAGE);
        return;
    }
    if (args->n_args == 0 || args->n_args > 2) {
        parsed_error(t, "a citation takes a key and at most one pinpoint, not %zu "
                        "arguments: " CITE_USAGE,
                     args->n_args);
        return;
    }
    const value *key = args->args[0].literal;
    if (key && key->len == 0)
        parsed_error(t, "the citation key is empty: " CITE_USAGE);
}

static size_t name_end(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && !space_at(s, n, i) && s[i] != '|')
        i++;
    return i;
}

static char sigil_of(tpl_tag_kind kind)
{
    switch (kind) {
    case TPL_TAG_RAW:
        return '&';
    case TPL_TAG_SECTION:
        return '#';
    case TPL_TAG_INVERTED:
        return '^';
    case TPL_TAG_CLOSE:
        return '/';
    case TPL_TAG_PARTIAL:
        return '>';
    case TPL_TAG_COMMENT:
        return '!';
    default:
        return 0;
    }
}

/* Bodies come with or without their sigil (tpl_scan keeps it; an adapter may
 * not): one leading sigil of the tag's kind is dropped, blanks trimmed. */
static void strip_sigil(tpl_tag_kind kind, const char **s, size_t *n)
{
    trim(s, n);
    char sigil = sigil_of(kind);
    if (sigil && *n && **s == sigil) {
        (*s)++;
        (*n)--;
    }
    trim(s, n);
}

bool tpl_tag_cites(tpl_tag_kind kind, const char *body, size_t n)
{
    const char *s = body;
    size_t len = n;
    if (kind != TPL_TAG_VALUE && kind != TPL_TAG_RAW && kind != TPL_TAG_SECTION &&
        kind != TPL_TAG_INVERTED)
        return false;
    strip_sigil(kind, &s, &len);
    if ((kind == TPL_TAG_VALUE || kind == TPL_TAG_RAW) && is_cite(s, len))
        return true;
    return name_end(s, len) == 11 && memcmp(s, "authorities", 11) == 0;
}

/* The key of a body with any sigil of a section, inverted or closing tag.
 * Caller frees. A body the parser cannot read is its own key, trimmed. */
static char *key_of(const char *body, size_t n)
{
    trim(&body, &n);
    if (n && (body[0] == '#' || body[0] == '^' || body[0] == '/')) {
        body++;
        n--;
    }
    trim(&body, &n);
    if (n == 0)
        return xstrdup("");
    parsed_tag t;
    tag_parse(body, n, &t);
    char *key = t.n_errs ? xstrndup(body, n) : buf_steal(&t.key);
    parsed_free(&t);
    return key;
}

size_t tpl_section_key(const char *body, size_t n, char *out, size_t cap)
{
    char *key = key_of(body, n);
    size_t len = strlen(key);
    if (cap) {
        size_t copy = len < cap ? len : cap;
        memcpy(out, key, copy);
        if (copy < cap)
            out[copy] = '\0';
    }
    free(key);
    return len;
}

/* The name part of a key: up to its first '|' (names never hold one). */
static size_t key_name_len(const char *key)
{
    const char *bar = strchr(key, '|');
    return bar ? (size_t)(bar - key) : strlen(key);
}

static bool key_closes(const char *open_key, const char *close_key)
{
    size_t name = key_name_len(open_key);
    return strcmp(open_key, close_key) == 0 ||
           (strlen(close_key) == name && memcmp(open_key, close_key, name) == 0);
}

bool tpl_closes(const char *open_body, size_t open_n, const char *close_body, size_t close_n)
{
    char *open_key = key_of(open_body, open_n);
    char *close_key = key_of(close_body, close_n);
    bool closes = key_closes(open_key, close_key);
    free(open_key);
    free(close_key);
    return closes;
}

/* ---- the program --------------------------------------------------------- */

/* Places point into the program, so messages at render time outlive the
 * caller's strings. */
static const char *prog_string(tpl_program *p, const char *s)
{
    if (!s)
        return NULL;
    if (p->file && strcmp(p->file, s) == 0)
        return p->file;
    for (size_t i = p->n_strings; i-- > 0;)
        if (strcmp(p->strings[i], s) == 0)
            return p->strings[i];
    if (p->n_strings == p->cap_strings) {
        p->cap_strings = p->cap_strings ? p->cap_strings * 2 : 4;
        p->strings = xrealloc(p->strings, p->cap_strings * sizeof *p->strings);
    }
    return p->strings[p->n_strings++] = xstrdup(s);
}

static diag_place prog_place(tpl_program *p, diag_place w)
{
    w.file = w.file ? prog_string(p, w.file) : p->file;
    w.part = prog_string(p, w.part);
    return w;
}

static size_t op_push(tpl_program *p, tpl_op_kind kind)
{
    if (p->n_ops == p->cap_ops) {
        p->cap_ops = p->cap_ops ? p->cap_ops * 2 : 16;
        p->ops = xrealloc(p->ops, p->cap_ops * sizeof *p->ops);
    }
    tpl_op *op = &p->ops[p->n_ops];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    return p->n_ops++;
}

void tpl_free(tpl_program *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_ops; i++) {
        tpl_op *op = &p->ops[i];
        path_free(&op->path);
        for (size_t k = 0; k < op->n_calls; k++)
            call_free(&op->calls[k]);
        free(op->calls);
        free(op->name);
        free(op->indent);
        args_free(op->args, op->n_args);
        free(op->tag);
    }
    free(p->ops);
    for (size_t i = 0; i < p->n_tags; i++) {
        free(p->tags[i].body);
        free(p->tags[i].path);
    }
    free(p->tags);
    for (size_t i = 0; i < p->n_strings; i++)
        free(p->strings[i]);
    free(p->strings);
    free(p->chunks);
    free(p->file);
    free(p);
}

void tpl_each_tag(const tpl_program *p, tpl_tag_fn fn, void *ud)
{
    for (size_t i = 0; i < p->n_tags; i++)
        fn(ud, p->tags[i].kind, p->tags[i].body, p->tags[i].path, &p->tags[i].where);
}

/* ---- the builder --------------------------------------------------------- */

typedef struct open_section {
    size_t op;
    char *key;        /* normalised, owned */
    char *name;       /* the path as written, owned */
    diag_place where; /* points into the program */
    tpl_delims delims; /* for the closing tag a message suggests */
} open_section;

struct tpl_builder {
    tpl_program *p;
    diag *errs;
    tpl_delims delims; /* current: messages show tags as the author wrote them */
    open_section *open;
    size_t n_open, cap_open;
    size_t max_open;   /* --max-section-depth */
    bool unclosed_tag; /* text: an unclosed tag swallowed the rest, closing tags included */
    bool too_deep;     /* reported once */
    bool stopped;      /* TPL_MAX_REPORTED problems told: the rest are not */
};

tpl_builder *tpl_builder_new(const char *file, unsigned max_section_depth)
{
    tpl_builder *b = xcalloc(1, sizeof *b);
    b->max_open = max_section_depth ? max_section_depth : TPL_DEFAULT_SECTION_DEPTH;
    b->p = xcalloc(1, sizeof *b->p);
    b->p->file = file ? xstrdup(file) : NULL;
    b->errs = diag_new();
    b->delims = tpl_default_delims();
    return b;
}

void tpl_builder_static(tpl_builder *b, const char *bytes, size_t n)
{
    tpl_program *p = b->p;
    if (n == 0)
        return;
    if (p->chunks_len + n + 1 > p->chunks_cap) {
        p->chunks_cap = (p->chunks_len + n + 1) * 2;
        p->chunks = xrealloc(p->chunks, p->chunks_cap);
    }
    memcpy(p->chunks + p->chunks_len, bytes, n);
    if (p->n_ops && p->ops[p->n_ops - 1].kind == TPL_OP_STATIC) {
        p->ops[p->n_ops - 1].len += n;
    } else {
        size_t at = op_push(p, TPL_OP_STATIC);
        tpl_op *op = &p->ops[at];
        op->off = p->chunks_len;
        op->len = n;
    }
    p->chunks_len += n;
    p->chunks[p->chunks_len] = '\0';
}

/* The tag as its author wrote it, with the delimiters in force. Caller frees. */
static char *tag_text(const tpl_delims *d, tpl_tag_kind kind, const char *body, size_t n)
{
    const char *s = body;
    size_t len = n;
    trim(&s, &len);
    bool triple = kind == TPL_TAG_RAW && !(len && s[0] == '&');
    return xasprintf("%s%s%.*s%s%s", d->open, triple ? "{" : "", (int)n, body, triple ? "}" : "",
                     d->close);
}

/* "12:5", or "word/document.xml:p3" for a document. Borrowed from a ring. */
static const char *place_short(const diag_place *w)
{
    static _Thread_local char ring[4][128];
    static _Thread_local unsigned next;
    char *out = ring[next++ % 4];
    if (w->line)
        snprintf(out, sizeof ring[0], "%u:%u", w->line, w->col);
    else if (w->part)
        snprintf(out, sizeof ring[0], "%s:p%u", w->part, w->para);
    else
        snprintf(out, sizeof ring[0], "p%u", w->para);
    return out;
}

/* True while another problem may be told; the first one past the cap says
 * that the rest go untold. */
static bool room_for_error(tpl_builder *b, diag_place where)
{
    if (b->stopped)
        return false;
    if (diag_error_count(b->errs) < TPL_MAX_REPORTED)
        return true;
    diag_error(b->errs, where,
               "too many problems in this template; stopping here (fix these first)");
    b->stopped = true;
    return false;
}

static void tag_error(tpl_builder *b, diag_place where, const char *tag, const char *msg)
{
    if (room_for_error(b, where))
        diag_error(b->errs, where, "%s: %s", diag_quote(tag, strlen(tag)), msg);
}

static void section_open(tpl_builder *b, tpl_tag_kind kind, parsed_tag *t, const char *s,
                         size_t n, diag_place where, char *tag)
{
    tpl_program *p = b->p;
    if (b->n_open >= b->max_open && !b->too_deep) {
        b->too_deep = true;
        char *msg = xasprintf("sections are nested %zu deep here, more than the limit of %zu; "
                              "close some sections before opening others, or raise the limit "
                              "with --max-section-depth",
                              b->n_open + 1, b->max_open);
        tag_error(b, where, tag, msg);
        free(msg);
    }
    size_t at = op_push(p, kind == TPL_TAG_SECTION ? TPL_OP_SECTION : TPL_OP_INVERTED);
    tpl_op *op = &p->ops[at];
    op->where = where;
    op->tag = tag;
    if (!t->bad) {
        op->path = t->path;
        op->calls = t->calls;
        op->n_calls = t->n_calls;
        op->has_default = t->has_default;
        memset(&t->path, 0, sizeof t->path);
        t->calls = NULL;
        t->n_calls = 0;
    }
    if (b->n_open == b->cap_open) {
        b->cap_open = b->cap_open ? b->cap_open * 2 : 8;
        b->open = xrealloc(b->open, b->cap_open * sizeof *b->open);
    }
    open_section *o = &b->open[b->n_open++];
    o->op = at;
    o->key = t->bad ? xstrndup(s, n) : xstrdup(t->key.data);
    o->name = xstrndup(o->key, key_name_len(o->key));
    o->where = where;
    o->delims = b->delims;
}

static void open_pop(tpl_builder *b, size_t end_op)
{
    open_section *o = &b->open[--b->n_open];
    if (end_op != SIZE_MAX) {
        b->p->ops[end_op].jump = o->op;
        b->p->ops[o->op].jump = end_op;
    }
    free(o->key);
    free(o->name);
}

static void section_close(tpl_builder *b, parsed_tag *t, const char *s, size_t n,
                          diag_place where, const char *tag)
{
    char *key = t->bad ? xstrndup(s, n) : xstrdup(t->key.data);
    char *name = xstrndup(key, key_name_len(key));
    char *msg = NULL;
    if (b->n_open == 0) {
        msg = xasprintf("this closing tag has no open section to close: remove it, or open "
                        "the section with %s#%s%s before it",
                        b->delims.open, diag_quote(name, strlen(name)), b->delims.close);
        goto done;
    }
    size_t top = b->n_open - 1, k = top + 1;
    for (size_t i = b->n_open; i-- > 0;) {
        if (key_closes(b->open[i].key, key)) {
            k = i;
            break;
        }
    }
    if (k == top || t->bad) {
        /* A closing tag we cannot read still closes the innermost section, so
         * that one typo gives one message. */
        size_t end = op_push(b->p, TPL_OP_END);
        b->p->ops[end].where = where;
        open_pop(b, end);
    } else if (k <= top) {
        for (size_t i = top; i > k; i--) {
            const open_section *o = &b->open[i];
            msg = xasprintf("this closing tag closes section \"%s\" opened at %s, but section "
                            "\"%s\" opened at %s is still open: add %s/%s%s before it",
                            diag_quote(b->open[k].name, strlen(b->open[k].name)),
                            place_short(&b->open[k].where), diag_quote(o->name, strlen(o->name)),
                            place_short(&o->where), o->delims.open,
                            diag_quote(o->name, strlen(o->name)), o->delims.close);
            tag_error(b, where, tag, msg);
            free(msg);
            msg = NULL;
        }
        while (b->n_open > k + 1)
            open_pop(b, SIZE_MAX);
        size_t end = op_push(b->p, TPL_OP_END);
        b->p->ops[end].where = where;
        open_pop(b, end);
    } else {
        /* Most often a misspelt name: it closes the innermost section. */
        const open_section *o = &b->open[top];
        msg = xasprintf("this closing tag does not match section \"%s\" opened at %s: close "
                        "that section with %s/%s%s",
                        diag_quote(o->name, strlen(o->name)), place_short(&o->where),
                        o->delims.open, diag_quote(o->name, strlen(o->name)), o->delims.close);
        open_pop(b, SIZE_MAX);
    }
done:
    if (msg)
        tag_error(b, where, tag, msg);
    free(msg);
    free(name);
    free(key);
}

static void tag_record(tpl_program *p, tpl_tag_kind kind, const char *body, size_t n,
                       const char *path, diag_place where)
{
    if (p->n_tags == p->cap_tags) {
        p->cap_tags = p->cap_tags ? p->cap_tags * 2 : 16;
        p->tags = xrealloc(p->tags, p->cap_tags * sizeof *p->tags);
    }
    tpl_tag_rec *r = &p->tags[p->n_tags++];
    r->kind = kind;
    r->body = xstrndup(body, n);
    r->path = path ? xstrdup(path) : NULL;
    r->where = where;
}

/* Builds the op of a {{cite}} tag (s: its body without sigil). Takes *tag
 * into the op. Returns the data path the key is read from, for
 * tpl_each_tag, or NULL (a literal key, or errors). */
static const char *cite_tag(tpl_builder *b, tpl_tag_kind kind, const char *s, size_t n,
                            diag_place where, uint32_t ctx, char **tag)
{
    parsed_tag t;
    tpl_call args;
    cite_parse(s, n, &t, &args);
    for (size_t i = 0; i < t.n_errs; i++)
        tag_error(b, where, *tag, t.errs[i]);
    const char *path = NULL;
    if (t.bad) {
        args_free(args.args, args.n_args);
    } else {
        size_t at = op_push(b->p, TPL_OP_CITE);
        tpl_op *op = &b->p->ops[at];
        op->escape = kind == TPL_TAG_VALUE;
        op->ctx = ctx;
        op->where = where;
        op->tag = *tag;
        *tag = NULL;
        op->args = args.args;
        op->n_args = args.n_args;
        const tpl_path *kp = &op->args[0].path;
        if (!op->args[0].literal && (kp->kind == TPL_PATH_NAMES || kp->kind == TPL_PATH_DOT))
            path = kp->text;
    }
    parsed_free(&t);
    return path;
}

/* tpl_builder_tag, plus the indent of a standalone partial tag (text mode). */
static void builder_tag(tpl_builder *b, tpl_tag_kind kind, const char *body, size_t n,
                        diag_place where, uint32_t ctx, const char *indent, size_t indent_n)
{
    tpl_program *p = b->p;
    where = prog_place(p, where);
    char *tag = tag_text(&b->delims, kind, body, n);
    const char *s = body;
    size_t len = n;
    const char *path = NULL;
    parsed_tag t;
    memset(&t, 0, sizeof t);

    if (kind == TPL_TAG_COMMENT)
        goto record;
    if (kind == TPL_TAG_DELIMS) {
        tpl_delims nd;
        if (delims_from_body(body, n, &nd))
            b->delims = nd;
        else
            tag_error(b, where, tag,
                      "this is not a valid set-delimiter tag: write two delimiters separated by a "
                      "space, with no space or \"=\" inside them, as in {{=<% %>=}}");
        goto record;
    }
    strip_sigil(kind, &s, &len);
    if (kind == TPL_TAG_PARTIAL) {
        if (len == 0) {
            tag_error(b, where, tag,
                      "this partial tag has no name: write the partial's file name, as in "
                      "{{> signature}}");
            goto record;
        }
        size_t at = op_push(p, TPL_OP_PARTIAL);
        tpl_op *op = &p->ops[at];
        op->name = xstrndup(s, len);
        op->indent = xstrndup(indent, indent_n);
        op->where = where;
        op->tag = tag;
        tag = NULL;
        goto record;
    }
    if (len == 0) {
        tag_error(b, where, tag,
                  "this tag has no name: write the data name between the delimiters, as in "
                  "{{applicant.name}}");
        goto record;
    }
    if (is_cite(s, len) && (kind == TPL_TAG_VALUE || kind == TPL_TAG_RAW)) {
        path = cite_tag(b, kind, s, len, where, ctx, &tag);
        goto record;
    }
    if (is_cite(s, len)) {
        /* Still opened and closed (by the tag's text), so that the pair
         * gives these two messages and no others. */
        tag_error(b, where, tag,
                  "a citation shows text where it stands; it cannot open or close a section "
                  "(for the list of citations used, write {{#authorities}}...{{/authorities}})");
        t.bad = true;
    } else {
        tag_parse(s, len, &t);
        for (size_t i = 0; i < t.n_errs; i++)
            tag_error(b, where, tag, t.errs[i]);
    }
    if (t.path.text && t.path.kind != TPL_PATH_INDEX && t.path.kind != TPL_PATH_NUMBER &&
        t.path.kind != TPL_PATH_FIRST && t.path.kind != TPL_PATH_LAST &&
        t.path.kind != TPL_PATH_AUTHORITIES)
        path = t.path.text;
    switch (kind) {
    case TPL_TAG_VALUE:
    case TPL_TAG_RAW:
        if (!t.bad) {
            size_t at = op_push(p, TPL_OP_VALUE);
            tpl_op *op = &p->ops[at];
            op->escape = kind == TPL_TAG_VALUE;
            op->has_default = t.has_default;
            op->ctx = ctx;
            op->where = where;
            op->tag = tag;
            tag = NULL;
            op->path = t.path;
            op->calls = t.calls;
            op->n_calls = t.n_calls;
            memset(&t.path, 0, sizeof t.path);
            t.calls = NULL;
            t.n_calls = 0;
        }
        break;
    case TPL_TAG_SECTION:
    case TPL_TAG_INVERTED:
        section_open(b, kind, &t, s, len, where, tag);
        tag = NULL;
        break;
    case TPL_TAG_CLOSE:
        section_close(b, &t, s, len, where, tag);
        break;
    default:
        break;
    }
record:
    tag_record(p, kind, body, n, path, where);
    parsed_free(&t);
    free(tag);
}

void tpl_builder_tag(tpl_builder *b, tpl_tag_kind kind, const char *body, size_t n,
                     diag_place where, uint32_t ctx)
{
    builder_tag(b, kind, body, n, where, ctx, "", 0);
}

tpl_program *tpl_builder_finish(tpl_builder *b, diag *d)
{
    tpl_program *p = b->p;
    for (size_t i = 0; i < b->n_open; i++) {
        const open_section *o = &b->open[i];
        if (!b->unclosed_tag && room_for_error(b, o->where))
            diag_error(b->errs, o->where,
                       "section \"%s\" opened at %s is never closed: add %s/%s%s",
                       diag_quote(o->name, strlen(o->name)), place_short(&o->where),
                       o->delims.open, diag_quote(o->name, strlen(o->name)), o->delims.close);
    }
    while (b->n_open)
        open_pop(b, SIZE_MAX);
    free(b->open);
    if (diag_error_count(b->errs) > 0) {
        tpl_free(p);
        p = NULL;
    }
    diag_take(d, b->errs);
    diag_free(b->errs);
    free(b);
    return p;
}

/* ---- text templates ------------------------------------------------------ */

typedef struct cursor {
    size_t off;
    unsigned line, col; /* col in code points */
} cursor;

static void cursor_to(cursor *c, const char *s, size_t to)
{
    for (; c->off < to; c->off++) {
        if (s[c->off] == '\n') {
            c->line++;
            c->col = 1;
        } else if (((unsigned char)s[c->off] & 0xC0) != 0x80) {
            c->col++;
        }
    }
}

/* A tag that may stand alone: with only blanks beside it on its line, the
 * whole line goes (its newline too), as Mustache asks. */
static bool standalone_kind(tpl_tag_kind k)
{
    return k == TPL_TAG_SECTION || k == TPL_TAG_INVERTED || k == TPL_TAG_CLOSE ||
           k == TPL_TAG_PARTIAL || k == TPL_TAG_COMMENT || k == TPL_TAG_DELIMS;
}

/* When the tag at f stands alone, widens [*from, *to) to its whole line. */
static bool standalone_line(const char *s, size_t n, const tpl_found *f, size_t *from, size_t *to)
{
    size_t a = f->start;
    while (a > 0 && (s[a - 1] == ' ' || s[a - 1] == '\t'))
        a--;
    if (a > 0 && s[a - 1] != '\n')
        return false;
    size_t z = f->end;
    while (z < n && (s[z] == ' ' || s[z] == '\t'))
        z++;
    if (z < n && s[z] == '\n')
        z++;
    else if (z + 1 < n && s[z] == '\r' && s[z + 1] == '\n')
        z += 2;
    else if (z < n)
        return false;
    *from = a;
    *to = z;
    return true;
}

/* A partial's every line takes the indent of its standalone tag. The indent
 * goes into the source itself, so standalone lines inside the partial still
 * vanish whole and nested partials add their own indent to it. */
static void indent_source(const char *src, size_t n, const char *indent, buf *out)
{
    size_t il = strlen(indent);
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || src[i - 1] == '\n')
            buf_add(out, indent, il);
        buf_addc(out, src[i]);
    }
}

static size_t code_points(const char *s)
{
    size_t count = 0;
    for (; *s; s++)
        count += ((unsigned char)*s & 0xC0) != 0x80;
    return count;
}

tpl_program *tpl_compile_text(const char *src, size_t n, const char *file, const char *indent,
                              const tpl_delims *start, unsigned max_section_depth, diag *d)
{
    buf indented = {0};
    unsigned indent_cols = 0;
    if (indent && *indent && n > 0) {
        indent_source(src, n, indent, &indented);
        src = indented.data;
        n = indented.len;
        indent_cols = (unsigned)code_points(indent);
    }
    tpl_builder *b = tpl_builder_new(file, max_section_depth);
    tpl_delims cur = start ? *start : tpl_default_delims();
    b->delims = cur;
    cursor c = {0, 1, 1};
    size_t pos = 0, emitted = 0;
    tpl_found f;
    while (pos < n && !b->stopped && tpl_scan(src, n, pos, &cur, &f)) {
        cursor_to(&c, src, f.start);
        diag_place where = {.file = file, .line = c.line,
                            .col = c.col > indent_cols ? c.col - indent_cols : 1};
        if (f.unclosed) {
            size_t eol = f.start;
            while (eol < n && src[eol] != '\n' && src[eol] != '\r')
                eol++;
            size_t after = f.start + strlen(b->delims.open);
            bool triple = f.kind == TPL_TAG_RAW && after < n && src[after] == '{';
            if (room_for_error(b, where))
                diag_error(b->errs, where, "%s: this tag is never closed: end it with %s%s",
                           diag_quote(src + f.start, eol - f.start), triple ? "}" : "",
                           b->delims.close);
            b->unclosed_tag = true;
            emitted = n;
            break;
        }
        size_t from = f.start, to = f.end;
        bool alone = standalone_kind(f.kind) && standalone_line(src, n, &f, &from, &to);
        tpl_builder_static(b, src + emitted, from - emitted);
        if (alone && f.kind == TPL_TAG_PARTIAL)
            builder_tag(b, f.kind, src + f.body_start, f.body_end - f.body_start, where, 0,
                        src + from, f.start - from);
        else
            builder_tag(b, f.kind, src + f.body_start, f.body_end - f.body_start, where, 0, "",
                        0);
        emitted = pos = to;
    }
    tpl_builder_static(b, src + emitted, n - emitted);
    buf_free(&indented);
    return tpl_builder_finish(b, d);
}

size_t tpl_op_count(const tpl_program *p)
{
    return p->n_ops;
}

const char *tpl_static_chunk(const tpl_program *p, size_t i, size_t *len)
{
    if (i >= p->n_ops || p->ops[i].kind != TPL_OP_STATIC)
        return NULL;
    *len = p->ops[i].len;
    return p->chunks + p->ops[i].off;
}
