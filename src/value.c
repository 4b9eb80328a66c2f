/* value.c: the data tree every loader builds and the renderer reads. Owns
 * allocation, lookup and merging of values; knows nothing of file formats. */
#include "value.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;
static char **interned;
static size_t n_interned, cap_interned;

static void intern_release(void)
{
    for (size_t i = 0; i < n_interned; i++)
        free(interned[i]);
    free(interned);
    interned = NULL;
    n_interned = cap_interned = 0;
}

const char *value_intern(const char *file)
{
    if (!file)
        return NULL;
    pthread_mutex_lock(&intern_lock);
    const char *found = NULL;
    for (size_t i = 0; i < n_interned && !found; i++)
        if (strcmp(interned[i], file) == 0)
            found = interned[i];
    if (!found) {
        if (n_interned == 0)
            atexit(intern_release);
        if (n_interned == cap_interned) {
            cap_interned = cap_interned ? cap_interned * 2 : 16;
            interned = xrealloc(interned, cap_interned * sizeof *interned);
        }
        found = interned[n_interned++] = xstrdup(file);
    }
    pthread_mutex_unlock(&intern_lock);
    return found;
}

value *value_new(value_kind kind, const char *file, uint32_t line, uint32_t col)
{
    value *v = xcalloc(1, sizeof *v);
    v->kind = kind;
    v->file = file;
    v->line = line;
    v->col = col;
    return v;
}

value *value_new_string(const char *s, size_t n)
{
    value *v = value_new(VALUE_STRING, NULL, 0, 0);
    v->str = xstrndup(s, n);
    v->len = n;
    return v;
}

value *value_new_bool(bool b)
{
    value *v = value_new(VALUE_BOOL, NULL, 0, 0);
    v->boolean = b;
    return v;
}

value *value_new_number(const char *text, size_t n)
{
    value *v = value_new_string(text, n);
    v->kind = VALUE_NUMBER;
    return v;
}

/* Frees without recursion: children are pushed onto an explicit stack, so a
 * deeply nested hostile document cannot exhaust the C stack. */
void value_free(value *v)
{
    if (!v)
        return;
    value **stack = NULL;
    size_t n = 0, cap = 0;
    value *cur = v;
    while (cur) {
        if (cur->kind == VALUE_LIST || cur->kind == VALUE_MAP) {
            if (n + cur->len > cap) {
                cap = (n + cur->len) * 2 + 8;
                stack = xrealloc(stack, cap * sizeof *stack);
            }
            for (size_t i = 0; i < cur->len; i++) {
                stack[n++] = cur->items[i];
                if (cur->keys)
                    free(cur->keys[i]);
            }
            free(cur->items);
            free(cur->keys);
        }
        free(cur->str);
        free(cur);
        cur = n ? stack[--n] : NULL;
    }
    free(stack);
}

value *value_clone(const value *v)
{
    if (!v)
        return NULL;
    value *c = value_new(v->kind, v->file, v->line, v->col);
    c->boolean = v->boolean;
    if (v->str) {
        c->str = xstrndup(v->str, v->len);
        c->len = v->len;
    }
    if (v->kind == VALUE_LIST || v->kind == VALUE_MAP) {
        c->cap = c->len = v->len;
        c->items = xcalloc(v->len, sizeof *c->items);
        if (v->kind == VALUE_MAP)
            c->keys = xcalloc(v->len, sizeof *c->keys);
        for (size_t i = 0; i < v->len; i++) {
            c->items[i] = value_clone(v->items[i]);
            if (v->kind == VALUE_MAP)
                c->keys[i] = xstrdup(v->keys[i]);
        }
    }
    return c;
}

static void value_reserve(value *v)
{
    if (v->len < v->cap)
        return;
    v->cap = v->cap ? v->cap * 2 : 4;
    v->items = xrealloc(v->items, v->cap * sizeof *v->items);
    if (v->kind == VALUE_MAP)
        v->keys = xrealloc(v->keys, v->cap * sizeof *v->keys);
}

void value_list_push(value *list, value *item)
{
    value_reserve(list);
    list->items[list->len++] = item;
}

static long map_index(const value *map, const char *key, size_t klen)
{
    for (size_t i = 0; i < map->len; i++)
        if (strncmp(map->keys[i], key, klen) == 0 && map->keys[i][klen] == '\0')
            return (long)i;
    return -1;
}

bool value_map_add(value *map, const char *key, size_t klen, value *v)
{
    if (map_index(map, key, klen) >= 0)
        return false;
    value_reserve(map);
    map->keys[map->len] = xstrndup(key, klen);
    map->items[map->len++] = v;
    return true;
}

void value_map_set(value *map, const char *key, size_t klen, value *v)
{
    long i = map_index(map, key, klen);
    if (i < 0) {
        value_map_add(map, key, klen, v);
        return;
    }
    value_free(map->items[i]);
    map->items[i] = v;
}

value *value_map_get(const value *map, const char *key, size_t klen)
{
    if (!map || map->kind != VALUE_MAP)
        return NULL;
    long i = map_index(map, key, klen);
    return i < 0 ? NULL : map->items[i];
}

/* A hash table of a map's key positions, for merging two large maps in
 * linear time: searching the base map for each key of the other made two
 * data files of 100,000 keys take 20 seconds. Open addressing; a slot holds
 * a position in the map, or SIZE_MAX. */
typedef struct key_table {
    size_t *slots;
    size_t mask;
} key_table;

static size_t key_hash(const char *s)
{
    size_t h = 14695981039346656037u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static void key_table_init(key_table *t, size_t entries)
{
    size_t cap = 64;
    while (cap < 2 * entries)
        cap *= 2;
    t->slots = xmalloc(cap * sizeof *t->slots);
    for (size_t i = 0; i < cap; i++)
        t->slots[i] = SIZE_MAX;
    t->mask = cap - 1;
}

/* The position of key in map, or -1; with add, a key not found is recorded
 * at position add_at. */
static long key_table_find(key_table *t, const value *map, const char *key, bool add,
                           size_t add_at)
{
    for (size_t h = key_hash(key) & t->mask;; h = (h + 1) & t->mask) {
        if (t->slots[h] == SIZE_MAX) {
            if (add)
                t->slots[h] = add_at;
            return -1;
        }
        if (strcmp(map->keys[t->slots[h]], key) == 0)
            return (long)t->slots[h];
    }
}

/* Fewer keys than this to merge in are looked up key by key, which is
 * quicker than hashing. */
#define MERGE_TABLE_FROM 64

value *value_merge(value *base, value *over)
{
    if (!base)
        return over;
    if (!over)
        return base;
    if (base->kind != VALUE_MAP || over->kind != VALUE_MAP) {
        value_free(base);
        return over;
    }
    key_table table = {0};
    /* Many keys to look up: hash, whatever the base's size, since the base
     * grows with each key added. */
    bool hashed = over->len >= MERGE_TABLE_FROM;
    if (hashed) {
        key_table_init(&table, base->len + over->len);
        for (size_t i = 0; i < base->len; i++)
            key_table_find(&table, base, base->keys[i], true, i);
    }
    for (size_t i = 0; i < over->len; i++) {
        const char *k = over->keys[i];
        long at = hashed ? key_table_find(&table, base, k, true, base->len)
                         : map_index(base, k, strlen(k));
        if (at < 0) {
            value_reserve(base);
            base->keys[base->len] = over->keys[i];
            base->items[base->len++] = over->items[i];
        } else {
            base->items[at] = value_merge(base->items[at], over->items[i]);
            free(over->keys[i]);
        }
    }
    free(table.slots);
    free(over->keys);
    free(over->items);
    free(over->str);
    free(over);
    return base;
}

bool value_truthy(const value *v)
{
    if (!v)
        return false;
    switch (v->kind) {
    case VALUE_NULL:
        return false;
    case VALUE_BOOL:
        return v->boolean;
    case VALUE_STRING:
        return v->len > 0;
    case VALUE_LIST:
        return v->len > 0;
    case VALUE_NUMBER:
    case VALUE_MAP:
        return true;
    }
    return false;
}

const char *value_text(const value *v, size_t *len)
{
    const char *s = "";
    size_t n = 0;
    if (v) {
        switch (v->kind) {
        case VALUE_STRING:
        case VALUE_NUMBER:
            s = v->str;
            n = v->len;
            break;
        case VALUE_BOOL:
            s = v->boolean ? "true" : "false";
            n = v->boolean ? 4 : 5;
            break;
        default:
            break;
        }
    }
    if (len)
        *len = n;
    return s;
}

const char *value_kind_name(value_kind k)
{
    static const char *const names[] = {
        [VALUE_NULL] = "null",     [VALUE_BOOL] = "boolean", [VALUE_NUMBER] = "number",
        [VALUE_STRING] = "string", [VALUE_LIST] = "list",    [VALUE_MAP] = "map",
    };
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "value";
}
