/* load_yaml.c: the YAML 1.2 and JSON loader (data stage). Reads libfyaml's
 * parse events, never its document tree, and builds the value tree itself:
 * it owns the core-schema typing of scalars (only true/false are booleans),
 * anchors and aliases (expanded here, each copy counted against the limits,
 * so an alias bomb stops early), duplicate keys, the text of quoted scalars,
 * and the wording of every data error. libfyaml's own diagnostics are
 * collected and re-reported with their places; nothing is printed from here. */
#define _GNU_SOURCE /* O_TMPFILE */
#include "load.h"

#include <errno.h>
#include <fcntl.h>
#include <libfyaml.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#define CORE_TAG "tag:yaml.org,2002:"
#define CORE_TAG_LEN (sizeof CORE_TAG - 1)

/* Past this many errors in one file the rest is noise (and a hostile file
 * could otherwise make millions of messages). */
#define MAX_REPORTED 50

typedef struct anchor {
    char *name;
    const value *v;  /* borrowed from the tree (or the discarded list), or own */
    value *own;      /* streaming: a copy, as the item holding v is handed out */
    size_t nodes;    /* values one copy costs */
    size_t bytes;    /* text one copy costs */
    unsigned height; /* levels of lists and maps in v: 0 for a scalar */
} anchor;

/* A list or map being filled. */
typedef struct frame {
    value *v;
    char *anchor; /* owned; registered when the frame closes */
    size_t nodes0, text0; /* counters when opened: what one copy costs */
    unsigned height;
    /* maps only: the key waiting for its value */
    bool have_key, key_bad;
    char *key;
    uint32_t kline, kcol;
    uint32_t *kpos; /* line, column of each key added, for duplicate reports */
    size_t kpos_cap;
    size_t *kslots; /* open addressing over the keys added: index + 1, 0 empty */
    size_t nkslots;
} frame;

typedef struct loader {
    const char *input;
    size_t input_len;
    const char *file;
    load_limits lim;
    diag *d;
    frame *frames;
    size_t nframes, cap_frames;
    value *root;
    bool have_root;
    /* Values dropped after an error (a duplicate key's value, a complex key):
     * kept alive to the end because anchors may point into them. */
    value *discarded;
    anchor *anchors;
    size_t nanchors, cap_anchors;
    size_t *slots; /* open addressing over anchor names: index + 1, 0 empty */
    size_t nslots;
    size_t nodes;
    size_t text;   /* bytes of keys and strings built, copies included */
    size_t copied; /* bytes of them copied by aliases */
    unsigned documents;
    size_t errors;
    bool stop;
    uint32_t last_line, last_col;
    /* Streaming a top-level list (load_list_next): frames[0] is that list,
     * and its items are handed out one by one instead of added to it. */
    bool streaming;
    size_t kept_nodes; /* values in the anchors' copies, over the whole file */
    value *item;
    int shift; /* bytes before the file's first line in input (list_prefix) */
} loader;

static void report(loader *L, uint32_t line, uint32_t col, const char *fmt, ...) CP_PRINTF(4, 5);

static void report(loader *L, uint32_t line, uint32_t col, const char *fmt, ...)
{
    diag_place at = {.file = L->file, .line = line, .col = col};
    if (L->errors >= MAX_REPORTED) {
        L->stop = true;
        return;
    }
    buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    diag_error(L->d, at, "%s", b.data);
    buf_free(&b);
    if (++L->errors == MAX_REPORTED) {
        diag_error(L->d, at, "too many problems in this file; stopping here (fix these first)");
        L->stop = true;
    }
}

/* ---- where a node was written ---- */

typedef struct spot {
    size_t pos;
    int line, col;
    bool set;
} spot;

/* back: libfyaml marks anchors, aliases and quoted scalars just past their
 * first character (&, *, the quote); we point at that character. shift: the
 * bytes put before the file's first line (see list_prefix). */
static void spot_consider(spot *best, const struct fy_mark *m, int back, int shift)
{
    int cut = back + (m && m->line == 0 ? shift : 0);
    if (!m || m->line < 0 || m->column < cut || m->input_pos < (size_t)back)
        return;
    size_t pos = m->input_pos - (size_t)back;
    if (!best->set || pos < best->pos)
        *best = (spot){pos, m->line, m->column - cut, true};
}

/* The node starts at its anchor or tag when it has one, else at its own token.
 * Implicit empty scalars have no mark: they take the place of what came before
 * (the key they belong to). */
static void event_place(loader *L, struct fy_event *e, uint32_t *line, uint32_t *col)
{
    spot best = {0};
    struct fy_token *t;
    int back = 0;
    if (e->type == FYET_ALIAS) {
        back = 1;
    } else {
        if ((t = fy_event_get_anchor_token(e)))
            spot_consider(&best, fy_token_start_mark(t), 1, L->shift);
        if ((t = fy_event_get_tag_token(e)))
            spot_consider(&best, fy_token_start_mark(t), 0, L->shift);
    }
    if (e->type == FYET_SCALAR) {
        enum fy_scalar_style st = fy_token_scalar_style(fy_event_get_token(e));
        back = st == FYSS_SINGLE_QUOTED || st == FYSS_DOUBLE_QUOTED;
    }
    spot_consider(&best, fy_event_start_mark(e), back, L->shift);
    if (best.set) {
        L->last_line = (uint32_t)best.line + 1;
        L->last_col = (uint32_t)best.col + 1;
    }
    *line = L->last_line;
    *col = L->last_col;
}

/* ---- limits ---- */

static bool count_nodes(loader *L, size_t nodes, uint32_t line, uint32_t col)
{
    if (nodes > L->lim.max_nodes - L->nodes) {
        report(L, line, col,
               "the data makes more than %zu values (every use of an alias counts again); "
               "if it is genuine, raise the limit with --max-nodes",
               L->lim.max_nodes);
        L->stop = true;
        return false;
    }
    L->nodes += nodes;
    return true;
}

/* Text read from the file is bounded by its size; text copied by aliases is
 * bounded here, by the same limit (a short anchored string used a million
 * times is within --max-nodes but not within memory). */
static bool count_copied_text(loader *L, size_t bytes, uint32_t line, uint32_t col)
{
    if (L->lim.max_bytes && bytes > L->lim.max_bytes - L->copied) {
        report(L, line, col,
               "aliases copy more than %zu bytes of text; if it is genuine, raise the limit "
               "with --max-data-size",
               L->lim.max_bytes);
        L->stop = true;
        return false;
    }
    L->copied += bytes;
    return true;
}

static void report_too_deep(loader *L, uint32_t line, uint32_t col)
{
    report(L, line, col,
           "the data nests lists and maps more than %u levels deep; simplify it or raise the "
           "limit with --max-depth",
           L->lim.max_depth);
    L->stop = true;
}

/* ---- anchors ---- */

static size_t name_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return (size_t)h;
}

/* The slot holding name, or the empty slot where it would go. */
static size_t *anchor_slot(const loader *L, size_t *slots, size_t nslots, const char *name,
                           size_t n)
{
    size_t i = name_hash(name, n) & (nslots - 1);
    while (slots[i]) {
        const anchor *a = &L->anchors[slots[i] - 1];
        if (strncmp(a->name, name, n) == 0 && a->name[n] == '\0')
            break;
        i = (i + 1) & (nslots - 1);
    }
    return &slots[i];
}

static const anchor *anchor_find(const loader *L, const char *name, size_t n)
{
    if (!L->nslots)
        return NULL;
    size_t at = *anchor_slot(L, L->slots, L->nslots, name, n);
    return at ? &L->anchors[at - 1] : NULL;
}

/* A later anchor of the same name hides the earlier one (YAML says an alias
 * refers to the most recent). */
static void anchor_define(loader *L, const char *name, const value *v, size_t nodes, size_t bytes,
                          unsigned height)
{
    size_t at = L->nslots ? *anchor_slot(L, L->slots, L->nslots, name, strlen(name)) : 0;
    value *own = NULL;
    if (L->streaming) {
        /* Streaming, each anchor keeps a copy for later records; the copies
         * of a whole file count against --max-nodes, or anchoring every
         * record would hold them all. */
        size_t replaced = at && L->anchors[at - 1].own ? L->anchors[at - 1].nodes : 0;
        size_t kept = L->kept_nodes - replaced;
        if (nodes > L->lim.max_nodes - kept) {
            report(L, v->line, v->col,
                   "the anchors of this file keep more than %zu values for later records; "
                   "remove anchors (&name) that no later record uses, or raise the limit "
                   "with --max-nodes",
                   L->lim.max_nodes);
            L->stop = true;
            return;
        }
        L->kept_nodes = kept + nodes;
        own = value_clone(v);
        v = own;
    }
    if (at) { /* the earlier one can never be used again */
        anchor *a = &L->anchors[at - 1];
        value_free(a->own);
        a->v = v;
        a->own = own;
        a->nodes = nodes;
        a->bytes = bytes;
        a->height = height;
        return;
    }
    if ((L->nanchors + 1) * 2 > L->nslots) {
        size_t n = L->nslots ? L->nslots * 2 : 64;
        size_t *slots = xcalloc(n, sizeof *slots);
        for (size_t i = 0; i < L->nslots; i++)
            if (L->slots[i]) {
                const char *nm = L->anchors[L->slots[i] - 1].name;
                *anchor_slot(L, slots, n, nm, strlen(nm)) = L->slots[i];
            }
        free(L->slots);
        L->slots = slots;
        L->nslots = n;
    }
    if (L->nanchors == L->cap_anchors) {
        L->cap_anchors = L->cap_anchors ? L->cap_anchors * 2 : 16;
        L->anchors = xrealloc(L->anchors, L->cap_anchors * sizeof *L->anchors);
    }
    anchor *a = &L->anchors[L->nanchors++];
    *a = (anchor){xstrdup(name), v, own, nodes, bytes, height};
    *anchor_slot(L, L->slots, L->nslots, name, strlen(name)) = L->nanchors;
}

static char *anchor_name(struct fy_event *e)
{
    struct fy_token *t = fy_event_get_anchor_token(e);
    size_t n;
    const char *s = t ? fy_token_get_text(t, &n) : NULL;
    return s ? xstrndup(s, n) : NULL;
}

/* ---- tags ---- */

/* The tag as the user wrote it: !!str for the core ones. Borrowed (diag ring). */
static const char *tag_display(const char *tag, size_t n)
{
    static _Thread_local char out[400];
    if (n >= CORE_TAG_LEN && memcmp(tag, CORE_TAG, CORE_TAG_LEN) == 0) {
        snprintf(out, sizeof out, "!!%s", diag_quote(tag + CORE_TAG_LEN, n - CORE_TAG_LEN));
        return out;
    }
    return diag_quote(tag, n);
}

static bool core_tag_is(const char *tag, size_t n, const char *name)
{
    size_t k = strlen(name);
    return n == CORE_TAG_LEN + k && memcmp(tag, CORE_TAG, CORE_TAG_LEN) == 0 &&
           memcmp(tag + CORE_TAG_LEN, name, k) == 0;
}

/* The tag of an event, or NULL when it has none or only the non-specific "!". */
static const char *event_tag(struct fy_event *e, size_t *n)
{
    struct fy_token *t = fy_event_get_tag_token(e);
    const char *s = t ? fy_token_get_text(t, n) : NULL;
    if (!s || (*n == 1 && s[0] == '!'))
        return NULL;
    return s;
}

/* Lists and maps may carry only their own core tag. */
static void check_collection_tag(loader *L, struct fy_event *e, bool is_map, uint32_t line,
                                 uint32_t col)
{
    size_t n = 0;
    const char *tag = event_tag(e, &n);
    if (!tag || core_tag_is(tag, n, is_map ? "map" : "seq"))
        return;
    if (core_tag_is(tag, n, "map") || core_tag_is(tag, n, "seq") || core_tag_is(tag, n, "str") ||
        core_tag_is(tag, n, "int") || core_tag_is(tag, n, "float") ||
        core_tag_is(tag, n, "bool") || core_tag_is(tag, n, "null"))
        report(L, line, col, "the tag %s cannot be put on a %s; remove the tag",
               tag_display(tag, n), is_map ? "map" : "list");
    else
        report(L, line, col,
               "unknown tag %s: casepack reads plain data only (text, numbers, true/false, "
               "lists and maps); remove the tag",
               tag_display(tag, n));
}

/* ---- the core schema ---- */

static bool all_in(const char *s, size_t n, const char *set)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(set, s[i]))
            return false;
    return true;
}

static bool is_null_text(const char *s, size_t n)
{
    return n == 0 || (n == 1 && s[0] == '~') || (n == 4 && (!memcmp(s, "null", 4) ||
                                                             !memcmp(s, "Null", 4) ||
                                                             !memcmp(s, "NULL", 4)));
}

/* 1 for true, 0 for false, -1 for neither. */
static int bool_text(const char *s, size_t n)
{
    if (n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) || !memcmp(s, "TRUE", 4)))
        return 1;
    if (n == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) || !memcmp(s, "FALSE", 5)))
        return 0;
    return -1;
}

/* [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+ */
static bool is_int_text(const char *s, size_t n)
{
    if (n > 2 && s[0] == '0' && s[1] == 'o')
        return all_in(s + 2, n - 2, "01234567");
    if (n > 2 && s[0] == '0' && s[1] == 'x')
        return all_in(s + 2, n - 2, "0123456789abcdefABCDEF");
    if (n && (s[0] == '-' || s[0] == '+'))
        s++, n--;
    return all_in(s, n, "0123456789");
}

static size_t digits(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?  The core schema's
 * .inf and .nan are left out: they are no amount a document could show, so
 * they stay text. */
static bool is_float_text(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    size_t whole = digits(s + i, n - i);
    i += whole;
    if (i < n && s[i] == '.') {
        i++;
        size_t frac = digits(s + i, n - i);
        if (!whole && !frac)
            return false;
        i += frac;
    } else if (!whole) {
        return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t exp = digits(s + i, n - i);
        if (!exp)
            return false;
        i += exp;
    }
    return i == n;
}

/* The kind of a scalar: plain ones by the core schema, quoted and block ones
 * are text, explicit core tags are honoured when the text fits them. Returns
 * false (reported) for a tag we do not take. */
static bool scalar_kind(loader *L, struct fy_event *e, const char *s, size_t n, uint32_t line,
                        uint32_t col, value_kind *kind)
{
    size_t tn = 0;
    const char *tag = event_tag(e, &tn);
    bool plain = fy_token_scalar_style(fy_event_get_token(e)) == FYSS_PLAIN;
    if (!tag) {
        if (!plain || fy_event_get_tag_token(e))
            *kind = VALUE_STRING;
        else if (is_null_text(s, n))
            *kind = VALUE_NULL;
        else if (bool_text(s, n) >= 0)
            *kind = VALUE_BOOL;
        else if (is_int_text(s, n) || is_float_text(s, n))
            *kind = VALUE_NUMBER;
        else
            *kind = VALUE_STRING;
        return true;
    }
    const char *want = NULL;
    if (core_tag_is(tag, tn, "str")) {
        *kind = VALUE_STRING;
    } else if (core_tag_is(tag, tn, "int")) {
        *kind = VALUE_NUMBER;
        if (!is_int_text(s, n))
            want = "a whole number";
    } else if (core_tag_is(tag, tn, "float")) {
        *kind = VALUE_NUMBER;
        if (!is_int_text(s, n) && !is_float_text(s, n))
            want = "a number";
    } else if (core_tag_is(tag, tn, "bool")) {
        *kind = VALUE_BOOL;
        if (bool_text(s, n) < 0)
            want = "true or false";
    } else if (core_tag_is(tag, tn, "null")) {
        *kind = VALUE_NULL;
        if (!is_null_text(s, n))
            want = "null";
    } else if (core_tag_is(tag, tn, "map") || core_tag_is(tag, tn, "seq")) {
        report(L, line, col, "the tag %s cannot be put on a single value; remove the tag",
               tag_display(tag, tn));
        return false;
    } else {
        report(L, line, col,
               "unknown tag %s: casepack reads plain data only (text, numbers, true/false, "
               "lists and maps); remove the tag",
               tag_display(tag, tn));
        return false;
    }
    if (want) {
        report(L, line, col, "\"%s\" is tagged %s but is not %s; fix the value or remove the tag",
               diag_quote(s, n), tag_display(tag, tn), want);
        return false;
    }
    return true;
}

/* ---- building ---- */

static void discard(loader *L, value *v)
{
    if (!L->discarded)
        L->discarded = value_new(VALUE_LIST, NULL, 0, 0);
    value_list_push(L->discarded, v);
}

static frame *top(loader *L)
{
    return L->nframes ? &L->frames[L->nframes - 1] : NULL;
}

static bool wants_key(loader *L)
{
    frame *f = top(L);
    return f && f->v->kind == VALUE_MAP && !f->have_key;
}

/* The slot holding key s in the map being filled, or the empty one where it
 * would go. value_map_get searches linearly, which a hostile file with a
 * million keys would turn into hours; the loader keeps its own index. */
static size_t *key_slot(frame *f, const char *s, size_t n)
{
    size_t i = name_hash(s, n) & (f->nkslots - 1);
    while (f->kslots[i]) {
        const char *k = f->v->keys[f->kslots[i] - 1];
        if (strncmp(k, s, n) == 0 && k[n] == '\0')
            break;
        i = (i + 1) & (f->nkslots - 1);
    }
    return &f->kslots[i];
}

static void key_index_add(frame *f, size_t i)
{
    if ((f->v->len + 1) * 2 > f->nkslots) {
        size_t n = f->nkslots ? f->nkslots * 2 : 16;
        free(f->kslots);
        f->kslots = xcalloc(n, sizeof *f->kslots);
        f->nkslots = n;
        for (size_t k = 0; k < f->v->len; k++)
            if (k != i)
                *key_slot(f, f->v->keys[k], strlen(f->v->keys[k])) = k + 1;
    }
    *key_slot(f, f->v->keys[i], strlen(f->v->keys[i])) = i + 1;
}

/* Appends to the map's public arrays (value.h) directly: the key is known to
 * be new, and value_map_add would search for it again, linearly. */
static void map_append(frame *f, char *key, value *v)
{
    value *m = f->v;
    if (m->len == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 4;
        m->items = xrealloc(m->items, m->cap * sizeof *m->items);
        m->keys = xrealloc(m->keys, m->cap * sizeof *m->keys);
    }
    m->keys[m->len] = key;
    m->items[m->len++] = v;
    key_index_add(f, m->len - 1);
}

static void set_key(loader *L, const char *s, size_t n, uint32_t line, uint32_t col)
{
    frame *f = top(L);
    f->have_key = true;
    f->key_bad = false;
    f->kline = line;
    f->kcol = col;
    size_t at = f->nkslots ? *key_slot(f, s, n) : 0;
    if (at) {
        size_t i = at - 1;
        report(L, line, col,
               "the key \"%s\" appears twice in the same map (first at line %u, column %u); "
               "keep only one of them",
               diag_quote(s, n), (unsigned)f->kpos[2 * i], (unsigned)f->kpos[2 * i + 1]);
        f->key_bad = true;
        return;
    }
    f->key = xstrndup(s, n);
}

static void key_is_complex(loader *L, uint32_t line, uint32_t col)
{
    report(L, line, col, "a key must be a single value (text or a number), not a list or a map; "
                         "rewrite the key as text");
}

/* Puts a finished value where it belongs: the root, the end of a list, or a
 * map under the waiting key. height is its levels of lists and maps. */
static void attach(loader *L, value *v, unsigned height)
{
    frame *f = top(L);
    if (!f) {
        L->root = v;
        L->have_root = true;
        return;
    }
    if (L->streaming && L->nframes == 1) {
        L->item = v;
        return;
    }
    if (height + 1 > f->height)
        f->height = height + 1;
    if (f->v->kind == VALUE_LIST) {
        value_list_push(f->v, v);
        return;
    }
    if (!f->have_key) { /* a list or map used as a key: already reported */
        discard(L, v);
        f->have_key = f->key_bad = true;
        return;
    }
    if (f->key_bad) {
        discard(L, v);
        free(f->key);
    } else {
        size_t i = f->v->len;
        if (2 * i + 2 > f->kpos_cap) {
            f->kpos_cap = f->kpos_cap ? f->kpos_cap * 2 : 16;
            f->kpos = xrealloc(f->kpos, f->kpos_cap * sizeof *f->kpos);
        }
        f->kpos[2 * i] = f->kline;
        f->kpos[2 * i + 1] = f->kcol;
        map_append(f, f->key, v);
    }
    f->key = NULL;
    f->have_key = f->key_bad = false;
}

/* ---- quoted scalars ----
 * libfyaml 0.7.12 gets some quoted scalars wrong: fy_token_get_text leaks
 * memory on runs of '' in single quotes, its token iterator miscounts them,
 * and an escaped line break in double quotes can lose the characters after
 * it. Quoted scalars are therefore read here, from the input between their
 * quotes, by the YAML 1.2 rules (libfyaml has already checked their syntax). */

static bool is_break(char c)
{
    return c == '\n' || c == '\r';
}

/* Skips the line break at s[*i] and any empty lines after it, leaving *i on
 * the next line's first non-blank character. Returns the empty lines seen. */
static size_t skip_breaks(const char *s, size_t n, size_t *i)
{
    size_t empty = 0;
    for (;;) {
        *i += (s[*i] == '\r' && *i + 1 < n && s[*i + 1] == '\n') ? 2 : 1;
        while (*i < n && (s[*i] == ' ' || s[*i] == '\t'))
            ++*i;
        if (*i < n && is_break(s[*i]))
            empty++;
        else
            return empty;
    }
}

static bool hex_value(const char *s, size_t n, size_t digits, uint32_t *cp)
{
    if (n < digits)
        return false;
    *cp = 0;
    for (size_t k = 0; k < digits; k++) {
        char c = s[k];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        *cp = *cp << 4 | d;
    }
    return true;
}

/* Surrogates are encoded as they come: the UTF-8 check on the result rejects
 * them with a message. */
static bool put_utf8(buf *out, uint32_t cp)
{
    if (cp < 0x80) {
        buf_addc(out, (char)cp);
    } else if (cp < 0x800) {
        buf_addc(out, (char)(0xC0 | cp >> 6));
        buf_addc(out, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        buf_addc(out, (char)(0xE0 | cp >> 12));
        buf_addc(out, (char)(0x80 | (cp >> 6 & 0x3F)));
        buf_addc(out, (char)(0x80 | (cp & 0x3F)));
    } else if (cp <= 0x10FFFF) {
        buf_addc(out, (char)(0xF0 | cp >> 18));
        buf_addc(out, (char)(0x80 | (cp >> 12 & 0x3F)));
        buf_addc(out, (char)(0x80 | (cp >> 6 & 0x3F)));
        buf_addc(out, (char)(0x80 | (cp & 0x3F)));
    } else {
        return false;
    }
    return true;
}

/* One escape after a backslash at s[0..n); *used gets its length. */
static bool put_escape(buf *out, const char *s, size_t n, size_t *used)
{
    static const char simple[] = "0\0a\ab\bt\tn\nv\vf\fr\re\x1B \x20\"\"//\\\\\t\t";
    if (!n)
        return false;
    *used = 1;
    for (size_t k = 0; k + 1 < sizeof simple; k += 2)
        if (s[0] == simple[k]) {
            buf_addc(out, simple[k + 1]);
            return true;
        }
    uint32_t cp;
    switch (s[0]) {
    case 'N':
        return put_utf8(out, 0x85);
    case '_':
        return put_utf8(out, 0xA0);
    case 'L':
        return put_utf8(out, 0x2028);
    case 'P':
        return put_utf8(out, 0x2029);
    case 'x':
        *used = 3;
        return hex_value(s + 1, n - 1, 2, &cp) && put_utf8(out, cp);
    case 'u':
        *used = 5;
        return hex_value(s + 1, n - 1, 4, &cp) && put_utf8(out, cp);
    case 'U':
        *used = 9;
        return hex_value(s + 1, n - 1, 8, &cp) && put_utf8(out, cp);
    default:
        return false;
    }
}

/* The text of a single- or double-quoted scalar token into out. False when
 * the token's place does not look right (the caller asks libfyaml then). */
static bool quoted_text(const loader *L, struct fy_token *t, bool dbl, buf *out)
{
    const struct fy_mark *from = fy_token_start_mark(t), *to = fy_token_end_mark(t);
    if (!from || !to || from->input_pos > to->input_pos || to->input_pos > L->input_len)
        return false;
    const char *s = L->input + from->input_pos;
    size_t n = to->input_pos - from->input_pos, i = 0;
    size_t keep = 0; /* white space past this is trimmed before a line break */
    buf_reset(out);
    while (i < n) {
        char c = s[i];
        if (!dbl && c == '\'' && i + 1 < n && s[i + 1] == '\'') {
            buf_addc(out, '\'');
            i += 2;
        } else if (dbl && c == '\\' && i + 1 < n && is_break(s[i + 1])) {
            i++;
            for (size_t k = skip_breaks(s, n, &i); k; k--)
                buf_addc(out, '\n');
        } else if (dbl && c == '\\') {
            size_t used = 0;
            if (!put_escape(out, s + i + 1, n - i - 1, &used))
                return false;
            i += 1 + used;
        } else if (is_break(c)) {
            out->len = keep;
            size_t empty = skip_breaks(s, n, &i);
            if (!empty)
                buf_addc(out, ' ');
            for (; empty; empty--)
                buf_addc(out, '\n');
        } else {
            buf_addc(out, c);
            i++;
            if (c != ' ' && c != '\t')
                keep = out->len;
            continue;
        }
        keep = out->len;
    }
    return true;
}

static void on_scalar(loader *L, struct fy_event *e)
{
    uint32_t line, col;
    event_place(L, e, &line, &col);
    struct fy_token *t = fy_event_get_token(e);
    buf quoted = {0};
    size_t n = 0;
    const char *s;
    enum fy_scalar_style style = fy_token_scalar_style(t);
    if ((style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) &&
        quoted_text(L, t, style == FYSS_DOUBLE_QUOTED, &quoted))
        s = quoted.len ? quoted.data : "", n = quoted.len;
    else
        s = fy_token_get_text(t, &n);
    if (!s)
        s = "", n = 0;
    char *name = anchor_name(e);
    value_kind kind = VALUE_NULL;
    bool ok = scalar_kind(L, e, s, n, line, col, &kind);
    size_t bad;
    if (memchr(s, '\0', n)) {
        report(L, line, col,
               "this text contains a NUL character (\\0), which no document can hold; remove it");
        ok = false;
    } else if (!util_utf8_valid(s, n, &bad)) {
        report(L, line, col, "this text is not valid UTF-8 once its escapes are read; fix the "
                             "\\u or \\x escapes");
        ok = false;
    }
    bool key = wants_key(L);
    if (!count_nodes(L, key ? 0 : 1, line, col))
        goto done;
    L->text += n;
    if (key) {
        if (ok)
            set_key(L, s, n, line, col);
        else
            top(L)->have_key = top(L)->key_bad = true;
        if (!name)
            goto done;
    }
    value *v = value_new(ok ? kind : VALUE_NULL, L->file, line, col);
    if (ok && (kind == VALUE_STRING || kind == VALUE_NUMBER)) {
        v->str = xstrndup(s, n);
        v->len = n;
    } else if (ok && kind == VALUE_BOOL) {
        v->boolean = bool_text(s, n) == 1;
    }
    if (name)
        anchor_define(L, name, v, 1, n, 0);
    if (key)
        discard(L, v); /* kept only for the aliases of an anchored key */
    else
        attach(L, v, 0);
done:
    free(name);
    buf_free(&quoted);
}

static void on_alias(loader *L, struct fy_event *e)
{
    uint32_t line, col;
    event_place(L, e, &line, &col);
    size_t n = 0;
    const char *s = fy_token_get_text(fy_event_get_token(e), &n);
    if (!s)
        s = "", n = 0;
    const anchor *a = anchor_find(L, s, n);
    if (!a) {
        bool inside = false;
        for (size_t i = 0; i < L->nframes && !inside; i++) {
            const char *open = L->frames[i].anchor;
            inside = open && strncmp(open, s, n) == 0 && open[n] == '\0';
        }
        if (inside)
            report(L, line, col,
                   "the alias *%s is inside the list or map it refers to, so the data would "
                   "contain itself; copy the values you need instead",
                   diag_quote(s, n));
        else
            report(L, line, col,
                   "the alias *%s refers to no anchor &%s written before it; check the name or "
                   "define the anchor first",
                   diag_quote(s, n), diag_quote(s, n));
        if (wants_key(L))
            top(L)->have_key = top(L)->key_bad = true;
        else
            attach(L, value_new(VALUE_NULL, L->file, line, col), 0);
        return;
    }
    if (wants_key(L)) {
        if (a->v->kind == VALUE_LIST || a->v->kind == VALUE_MAP) {
            key_is_complex(L, line, col);
            top(L)->have_key = top(L)->key_bad = true;
        } else {
            size_t kn;
            const char *k = value_text(a->v, &kn);
            set_key(L, k, kn, line, col);
        }
        return;
    }
    if (L->nframes + a->height > L->lim.max_depth) {
        report_too_deep(L, line, col);
        return;
    }
    if (!count_nodes(L, a->nodes, line, col) || !count_copied_text(L, a->bytes, line, col))
        return;
    L->text += a->bytes;
    attach(L, value_clone(a->v), a->height);
}

static void on_collection_start(loader *L, struct fy_event *e, bool is_map)
{
    uint32_t line, col;
    event_place(L, e, &line, &col);
    check_collection_tag(L, e, is_map, line, col);
    if (wants_key(L))
        key_is_complex(L, line, col);
    if (L->nframes + 1 > L->lim.max_depth) {
        report_too_deep(L, line, col);
        return;
    }
    if (!count_nodes(L, 1, line, col))
        return;
    if (L->nframes == L->cap_frames) {
        L->cap_frames = L->cap_frames ? L->cap_frames * 2 : 16;
        L->frames = xrealloc(L->frames, L->cap_frames * sizeof *L->frames);
    }
    L->frames[L->nframes++] = (frame){
        .v = value_new(is_map ? VALUE_MAP : VALUE_LIST, L->file, line, col),
        .anchor = anchor_name(e),
        .nodes0 = L->nodes - 1,
        .text0 = L->text,
        .height = 1,
    };
}

static void frame_release(frame *f)
{
    free(f->anchor);
    free(f->key);
    free(f->kpos);
    free(f->kslots);
}

static void on_collection_end(loader *L)
{
    if (!L->nframes)
        return;
    frame f = L->frames[--L->nframes];
    if (f.anchor)
        anchor_define(L, f.anchor, f.v, L->nodes - f.nodes0, L->text - f.text0, f.height);
    frame_release(&f);
    attach(L, f.v, f.height);
}

static void on_document_start(loader *L, struct fy_event *e)
{
    if (++L->documents == 1)
        return;
    uint32_t line, col;
    event_place(L, e, &line, &col);
    report(L, line, col,
           "a second document starts here; a data file holds one document, so remove this "
           "\"---\" line or split the file in two");
    L->stop = true;
}

/* ---- libfyaml's diagnostics ---- */

static void fy_output_nowhere(struct fy_diag *fd, void *user, const char *b, size_t n)
{
    (void)fd, (void)user, (void)b, (void)n;
}

static size_t report_syntax_errors(loader *L, struct fy_diag *fd)
{
    size_t count = 0;
    void *it = NULL;
    struct fy_diag_error *err;
    while ((err = fy_diag_errors_iterate(fd, &it))) {
        if (err->type < FYET_ERROR)
            continue;
        uint32_t line = err->line > 0 ? (uint32_t)err->line : 0;
        uint32_t col = err->column > 0 ? (uint32_t)err->column : 0;
        if (line == 1 && col > (uint32_t)L->shift)
            col -= (uint32_t)L->shift;
        report(L, line, col,
               "this is not valid YAML or JSON: %s; check the indentation, quotes, brackets and "
               "colons here and on the line before",
               err->msg ? err->msg : "unreadable text");
        count++;
    }
    return count;
}

/* ---- the input as bytes ---- */

static void byte_place(const char *s, size_t at, uint32_t *line, uint32_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < at; i++) {
        if (s[i] == '\n')
            ++*line, *col = 1;
        else if (((unsigned char)s[i] & 0xC0) != 0x80)
            ++*col;
    }
}

/* libfyaml 0.7 (Debian 12's) crashes while freeing its parser after one
 * error: a tab between ':' and a following indicator ("? key:\t:") while an
 * explicit '?' key is open. The scan below finds that shape (a '?' followed
 * by a blank or a line break anywhere, and ':' then blanks holding a tab
 * then one of ? : | > -) in one pass over parts of a file fed in order; a
 * file with both is refused with its place before libfyaml sees it. It
 * also refuses such characters in the text of a file with a "? " in it,
 * which no case file is likely to hold. */
typedef struct tab_trap {
    bool question_key;  /* a '?' indicator seen */
    bool question;      /* the last byte was a '?' */
    int after_colon;    /* 0; 1: blanks after ':'; 2: ... with a tab */
    size_t tab_at;      /* that tab's offset */
    bool found;
    size_t at;          /* the first tab before an indicator */
    size_t offset;      /* bytes fed so far */
} tab_trap;

static void tab_trap_feed(tab_trap *t, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, t->offset++) {
        char c = s[i];
        if (t->question && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
            t->question_key = true;
        t->question = c == '?';
        if (t->after_colon) {
            if (c == ' ')
                continue;
            if (c == '\t') {
                if (t->after_colon == 1)
                    t->tab_at = t->offset;
                t->after_colon = 2;
                continue;
            }
            if (t->after_colon == 2 && !t->found && c && strchr("?:|>-", c)) {
                t->found = true;
                t->at = t->tab_at;
            }
            t->after_colon = 0;
        }
        if (c == ':')
            t->after_colon = 1;
    }
}

/* True when the file fed to t is safe to give libfyaml; else reports. */
static bool tab_trap_check(loader *L, const tab_trap *t, const char *s)
{
    if (!t->found || !(t->question_key || t->question))
        return true;
    uint32_t line, col;
    byte_place(s, t->at, &line, &col);
    report(L, line, col,
           "a tab stands before a YAML indicator here, in a file with '?' keys, which "
           "casepack's YAML reader cannot take safely; put spaces in place of the tab");
    return false;
}

static bool check_bytes(loader *L, const char *s, size_t n)
{
    size_t bad;
    uint32_t line, col;
    if (!util_utf8_valid(s, n, &bad)) {
        byte_place(s, bad, &line, &col);
        report(L, line, col,
               "the file is not UTF-8 text (byte 0x%02X cannot be read here); save it as UTF-8 "
               "in your editor",
               (unsigned char)s[bad]);
        return false;
    }
    const char *nul = memchr(s, '\0', n);
    if (nul) {
        byte_place(s, (size_t)(nul - s), &line, &col);
        report(L, line, col,
               "the file contains a NUL byte, so it is not a text file (it may be binary, or "
               "saved as UTF-16); save it as UTF-8 text");
        return false;
    }
    tab_trap t = {0};
    tab_trap_feed(&t, s, n);
    return tab_trap_check(L, &t, s);
}

/* ---- entry points ---- */

load_limits load_default_limits(void)
{
    return (load_limits){
        .max_bytes = LOAD_DEFAULT_MAX_BYTES,
        .max_depth = LOAD_DEFAULT_MAX_DEPTH,
        .max_nodes = LOAD_DEFAULT_MAX_NODES,
    };
}

static void dispatch(loader *L, struct fy_event *e, bool *finished)
{
    switch (e->type) {
    case FYET_DOCUMENT_START:
        on_document_start(L, e);
        break;
    case FYET_MAPPING_START:
    case FYET_SEQUENCE_START:
        on_collection_start(L, e, e->type == FYET_MAPPING_START);
        break;
    case FYET_MAPPING_END:
    case FYET_SEQUENCE_END:
        on_collection_end(L);
        break;
    case FYET_SCALAR:
        on_scalar(L, e);
        break;
    case FYET_ALIAS:
        on_alias(L, e);
        break;
    case FYET_STREAM_END:
        *finished = true;
        break;
    default:
        break;
    }
}

static void parse_events(loader *L, struct fy_parser *fyp, bool *finished)
{
    struct fy_event *e;
    while (!L->stop && (e = fy_parser_parse(fyp))) {
        dispatch(L, e, finished);
        fy_parser_event_free(fyp, e);
    }
}

/* The parser over bytes[0..n), its diagnostics collected in *fd. */
static bool parser_start(loader *L, const char *bytes, size_t n, struct fy_diag **fd,
                         struct fy_parser **fyp)
{
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = fy_output_nowhere;
    dcfg.colorize = false;
    *fd = fy_diag_create(&dcfg);
    if (*fd)
        fy_diag_set_collect_errors(*fd, true);
    /* Our own depth limit applies (and can be raised); libfyaml's fixed one
     * would cut it short. Its event parser does not recurse. */
    struct fy_parse_cfg pcfg = {
        .flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE |
                 FYPCF_DISABLE_DEPTH_LIMIT,
        .diag = *fd,
    };
    *fyp = *fd ? fy_parser_create(&pcfg) : NULL;
    if (!*fyp || fy_parser_set_string(*fyp, bytes, n) != 0) {
        report(L, 0, 0, "cannot start the YAML parser (out of memory?)");
        return false;
    }
    return true;
}

/* Reading stopped short of the end: says why. */
static void report_unfinished(loader *L, struct fy_diag *fd)
{
    if (!L->stop && report_syntax_errors(L, fd) == 0)
        report(L, L->last_line, L->last_col,
               "this is not valid YAML or JSON; check the indentation, quotes and brackets");
}

static void loader_release(loader *L, struct fy_diag *fd, struct fy_parser *fyp)
{
    while (L->nframes) {
        frame *f = &L->frames[--L->nframes];
        value_free(f->v);
        frame_release(f);
    }
    free(L->frames);
    value_free(L->root);
    value_free(L->discarded);
    value_free(L->item);
    for (size_t i = 0; i < L->nanchors; i++) {
        free(L->anchors[i].name);
        value_free(L->anchors[i].own);
    }
    free(L->anchors);
    free(L->slots);
    if (fyp)
        fy_parser_destroy(fyp);
    if (fd)
        fy_diag_destroy(fd);
}

value *load_yaml(const char *bytes, size_t n, const char *file, const load_limits *lim, diag *d)
{
    loader L = {
        .file = value_intern(file ? file : "<data>"),
        .lim = lim ? *lim : load_default_limits(),
        .d = d,
        .last_line = 1,
        .last_col = 1,
    };
    struct fy_diag *fd = NULL;
    struct fy_parser *fyp = NULL;
    value *result = NULL;
    bool finished = false;
    if (!bytes)
        bytes = "", n = 0;
    L.input = bytes;
    L.input_len = n;

    if (!check_bytes(&L, bytes, n) || !parser_start(&L, bytes, n, &fd, &fyp))
        goto cleanup;

    parse_events(&L, fyp, &finished);
    if (!finished)
        report_unfinished(&L, fd);
    if (L.errors || !finished)
        goto cleanup;
    if (!L.have_root || L.root->kind == VALUE_NULL) {
        value_free(L.root);
        L.root = value_new(VALUE_MAP, L.file, 1, 1);
    }
    result = L.root;
    L.root = NULL;

cleanup:
    loader_release(&L, fd, fyp);
    return result;
}

static void report_read_error(diag *d, const char *name, int err, size_t max_bytes,
                              int *io_error)
{
    if (err == EFBIG) {
        diag_error(d, (diag_place){.file = name},
                   "the data file is larger than the limit of %zu bytes; if it is genuine, raise "
                   "the limit with --max-data-size",
                   max_bytes);
    } else {
        diag_error(d, (diag_place){.file = name}, "cannot read the data file: %s",
                   strerror(err));
        *io_error = err;
    }
}

value *load_data_file(const char *path, const load_limits *lim, diag *d, int *io_error)
{
    load_limits l = lim ? *lim : load_default_limits();
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    buf b = {0};
    value *v = NULL;
    *io_error = 0;
    /* Read as YAML, a CSV file is one long text: every field would render
     * empty without a word. */
    const char *ext = util_extension(path);
    if (!strcasecmp(ext, "csv") || !strcasecmp(ext, "tsv")) {
        diag_error(d, (diag_place){.file = name},
                   "a CSV file holds records, not the data of one case (YAML or JSON); for one "
                   "document per row, use casepack batch with --records %s",
                   path);
        return NULL;
    }
    int err = util_read_file(path, &b, l.max_bytes);
    if (err)
        report_read_error(d, name, err, l.max_bytes, io_error);
    else
        v = load_yaml(b.data ? b.data : "", b.len, name, &l, d);
    buf_free(&b);
    return v;
}

/* ---- a list of records, read as a stream ----
 * The items of a top-level list are built one at a time from the events and
 * handed out, so memory follows the largest record, not the file. A private
 * copy of the file is mapped, not read into memory: its pages are the page
 * cache's, and those already parsed are given back as reading goes on
 * (MADV_DONTNEED on a private, read-only mapping only drops them; touched
 * again, they are read again). */

/* Pages are given back in steps of this much, and only behind the parser. */
#define RELEASE_STEP ((size_t)8 << 20)

/* libfyaml (0.7.12) keeps every token of a line queued while a simple key
 * may still be open on it, with no length limit, and a '[' at the start of
 * a document may begin one ("[a]: b"): a list written on one line, as JSON
 * tools write it, would stay whole in the parser. After "--- " no key can
 * start, so a file that begins with '[' is parsed with this before it; the
 * places it gives on the first line are moved back by its length. */
static const char list_prefix[] = "--- ";
#define PREFIX_LEN ((int)sizeof list_prefix - 1)

struct load_list_reader {
    loader L;
    struct fy_diag *fd;
    struct fy_parser *fyp;
    /* The file: mapped at area + one page (room for the prefix before it), or
     * read into copy after PREFIX_LEN spare bytes. */
    char *area;
    size_t area_len;
    char *map;
    buf copy;
    const char *bytes; /* the file's own bytes */
    size_t n;
    size_t released; /* bytes of the mapped file given back */
    size_t pos;      /* input read by the parser so far */
    unsigned depth;  /* lists and maps open in the event stream */
    bool in_list;    /* inside the top-level list */
    bool in_item;    /* an item has started and not ended */
    bool skipping;   /* the item went past a limit: its events are passed over */
    bool failed, finished;
    uint32_t item_line;
};

static void release_pages(load_list_reader *r, size_t upto)
{
    if (!r->map)
        return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    upto -= upto % page;
    if (upto < r->released + RELEASE_STEP)
        return;
    madvise(r->map + r->released, upto - r->released, MADV_DONTNEED);
    r->released = upto;
}

/* check_bytes over the whole file, a part at a time so that the mapped pages
 * can be given back as it goes. Parts end just before a byte that starts a
 * character, so each is valid exactly when the whole is; on a failure the
 * whole is checked again for the exact place. */
static bool check_file_bytes(load_list_reader *r)
{
    const char *s = r->bytes;
    size_t n = r->n, at = 0, bad;
    tab_trap t = {0};
    while (at < n) {
        size_t end = n - at > RELEASE_STEP ? at + RELEASE_STEP : n;
        for (int k = 0; k < 4 && end < n && ((unsigned char)s[end] & 0xC0) == 0x80; k++)
            end--;
        if (!util_utf8_valid(s + at, end - at, &bad) || memchr(s + at, '\0', end - at))
            return check_bytes(&r->L, s, n);
        tab_trap_feed(&t, s + at, end - at);
        at = end;
        release_pages(r, at);
    }
    if (!tab_trap_check(&r->L, &t, s))
        return false;
    if (r->map) {
        madvise(r->map, r->n, MADV_DONTNEED);
        r->released = 0;
    }
    return true;
}

/* A copy of the records file that no other program can reach: a file with
 * no name in the folder for temporary files, gone when casepack ends. What
 * is mapped must not be cut short while it is read (a mapped page past a
 * file's end kills the reader with SIGBUS), and a records file may be
 * rewritten by someone else during a long batch. -1 when it cannot be made
 * (then the file is read into memory). */
static int private_copy(int fd, size_t size)
{
    const char *dir = getenv("TMPDIR");
    int copy = open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (copy < 0)
        return -1;
    off_t from = 0;
    size_t left = size;
    while (left) {
        /* sendfile copies between any two files (copy_file_range refuses
         * two kinds of file system, as /dev/shm and /tmp may be). */
        ssize_t n = sendfile(copy, fd, &from, left);
        if (n <= 0) { /* an error, or the file got shorter */
            close(copy);
            return -1;
        }
        left -= (size_t)n;
    }
    return copy;
}

/* Maps a private copy of a regular file (one spare page before it), or
 * reads what cannot be mapped (a pipe). */
static bool list_read(load_list_reader *r, const char *path, const char *name, diag *d,
                      int *io_error)
{
    size_t max = r->L.lim.max_bytes;
    int fd = strcmp(path, "-") == 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    int err = 0;
    bool regular = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (regular && max && (uint64_t)st.st_size > max) {
        err = EFBIG;
    } else if (regular && st.st_size > 0) {
        size_t page = (size_t)sysconf(_SC_PAGESIZE), size = (size_t)st.st_size;
        int copy = private_copy(fd, size);
        char *area = copy < 0 ? MAP_FAILED
                              : mmap(NULL, page + size, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (area != MAP_FAILED &&
            mmap(area + page, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, copy, 0) != MAP_FAILED) {
            r->area = area;
            r->area_len = page + size;
            r->map = area + page;
            r->bytes = r->map;
            r->n = size;
            madvise(r->map, size, MADV_SEQUENTIAL);
        } else if (area != MAP_FAILED) {
            munmap(area, page + size);
        }
        if (copy >= 0)
            close(copy); /* the mapping keeps it */
    }
    if (!err && !r->map && !(regular && st.st_size == 0)) {
        buf_add(&r->copy, list_prefix, PREFIX_LEN);
        err = util_read_file(path, &r->copy, max);
        r->bytes = r->copy.data + PREFIX_LEN;
        r->n = r->copy.len - PREFIX_LEN;
    }
    if (fd >= 0)
        close(fd);
    if (err) {
        report_read_error(d, name, err, max, io_error);
        return false;
    }
    if (!r->bytes)
        r->bytes = "";
    loader *L = &r->L;
    L->input = r->bytes;
    L->input_len = r->n;
    if (r->n && r->bytes[0] == '[') {
        char *before = (char *)r->bytes - PREFIX_LEN;
        memcpy(before, list_prefix, PREFIX_LEN);
        L->input = before;
        L->input_len = r->n + PREFIX_LEN;
        L->shift = PREFIX_LEN;
    }
    return true;
}

static bool opens_collection(enum fy_event_type t)
{
    return t == FYET_MAPPING_START || t == FYET_SEQUENCE_START;
}

static bool closes_collection(enum fy_event_type t)
{
    return t == FYET_MAPPING_END || t == FYET_SEQUENCE_END;
}

static void note_position(load_list_reader *r, struct fy_event *e)
{
    const struct fy_mark *m = fy_event_end_mark(e);
    size_t shift = (size_t)r->L.shift;
    if (m && m->input_pos >= shift && m->input_pos - shift > r->pos &&
        m->input_pos - shift <= r->n)
        r->pos = m->input_pos - shift;
}

/* The file is not a list: loaded whole as before, so that its own errors
 * read as they always have, then refused. */
static void refuse_non_list(load_list_reader *r, const char *name, diag *d)
{
    value *v = load_yaml(r->bytes, r->n, name, &r->L.lim, d);
    if (v)
        diag_error(d, (diag_place){.file = r->L.file},
                   "the records file must hold a list of records (lines starting with "
                   "\"- \" in YAML, or [ … ] in JSON), not a %s; for one case use casepack "
                   "render",
                   value_kind_name(v->kind));
    value_free(v);
}

load_list_reader *load_list_open(const char *path, const load_limits *lim, diag *d,
                                 int *io_error)
{
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    load_list_reader *r = xcalloc(1, sizeof *r);
    r->L = (loader){
        .file = value_intern(name),
        .lim = lim ? *lim : load_default_limits(),
        .d = d,
        .last_line = 1,
        .last_col = 1,
        .streaming = true,
    };
    *io_error = 0;
    bool finished = false;
    if (!list_read(r, path, name, d, io_error) || !check_file_bytes(r) ||
        !parser_start(&r->L, r->L.input, r->L.input_len, &r->fd, &r->fyp))
        goto fail;
    for (;;) {
        struct fy_event *e = fy_parser_parse(r->fyp);
        if (!e) {
            report_unfinished(&r->L, r->fd);
            goto fail;
        }
        enum fy_event_type t = e->type;
        bool content = opens_collection(t) || t == FYET_SCALAR || t == FYET_ALIAS;
        if (t == FYET_SEQUENCE_START)
            dispatch(&r->L, e, &finished);
        note_position(r, e);
        fy_parser_event_free(r->fyp, e);
        if (t == FYET_SEQUENCE_START) {
            if (r->L.errors)
                goto fail;
            r->depth = 1;
            r->in_list = true;
            return r;
        }
        if (t == FYET_STREAM_END && !r->L.documents) {
            diag_error(d, (diag_place){.file = r->L.file},
                       "the records file is empty; write a list of records in it (lines "
                       "starting with \"- \" in YAML, or [ … ] in JSON)");
            goto fail;
        }
        if (content || t == FYET_STREAM_END) {
            refuse_non_list(r, name, d);
            goto fail;
        }
        if (t == FYET_DOCUMENT_START)
            r->L.documents++;
    }
fail:
    load_list_close(r);
    return NULL;
}

/* Limits and the count of problems start again with each item. */
static void item_begin(load_list_reader *r, struct fy_event *e)
{
    loader *L = &r->L;
    uint32_t col;
    event_place(L, e, &r->item_line, &col);
    L->nodes = 0;
    L->copied = 0;
    L->errors = 0;
    L->stop = false;
    r->in_item = true;
}

/* The item went past a limit: what was built of it goes, and its remaining
 * events are passed over (memory stays bounded by the limits). */
static void item_skip(load_list_reader *r)
{
    loader *L = &r->L;
    while (L->nframes > 1) {
        frame *f = &L->frames[--L->nframes];
        value_free(f->v);
        frame_release(f);
    }
    L->stop = false;
    r->skipping = true;
}

static int item_end(load_list_reader *r, value **item, uint32_t *line)
{
    loader *L = &r->L;
    value *v = L->item;
    L->item = NULL;
    if (L->errors) {
        value_free(v);
        v = NULL;
    }
    *item = v;
    *line = v ? v->line : r->item_line;
    L->errors = 0;
    /* Nothing borrows the dropped values: anchors hold copies. */
    value_free(L->discarded);
    L->discarded = NULL;
    r->in_item = r->skipping = false;
    release_pages(r, r->pos);
    return 1;
}

int load_list_next(load_list_reader *r, value **item, uint32_t *line, diag *d)
{
    loader *L = &r->L;
    *item = NULL;
    *line = 0;
    if (r->failed)
        return -1;
    if (r->finished)
        return 0;
    L->d = d;
    for (;;) {
        struct fy_event *e = fy_parser_parse(r->fyp);
        if (!e) {
            L->errors = 0;
            L->stop = false;
            report_unfinished(L, r->fd);
            r->failed = true;
            return -1;
        }
        enum fy_event_type t = e->type;
        if (r->in_list && r->depth == 1 &&
            (opens_collection(t) || t == FYET_SCALAR || t == FYET_ALIAS))
            item_begin(r, e);
        if (!r->skipping)
            dispatch(L, e, &r->finished);
        r->depth += opens_collection(t);
        r->depth -= closes_collection(t);
        note_position(r, e);
        fy_parser_event_free(r->fyp, e);
        if (r->in_item) {
            if (L->stop && !r->skipping)
                item_skip(r);
            if (r->depth == 1)
                return item_end(r, item, line);
            continue;
        }
        if (r->in_list && r->depth == 0)
            r->in_list = false;
        if (L->stop) {
            r->failed = true;
            return -1;
        }
        if (r->finished)
            return 0;
    }
}

void load_list_close(load_list_reader *r)
{
    if (!r)
        return;
    loader_release(&r->L, r->fd, r->fyp);
    if (r->area)
        munmap(r->area, r->area_len);
    buf_free(&r->copy);
    free(r);
}
