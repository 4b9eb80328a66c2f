/* value.h: the data tree. Every loader (YAML, JSON, CSV) fills it; the
 * renderer only reads it. Values remember where they were written. */
#ifndef CASEPACK_VALUE_H
#define CASEPACK_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum value_kind {
    VALUE_NULL,
    VALUE_BOOL,
    VALUE_NUMBER, /* kept as written: str holds the text ("1.50") */
    VALUE_STRING, /* str holds valid UTF-8, NUL-terminated, len bytes */
    VALUE_LIST,
    VALUE_MAP     /* ordered; keys unique */
} value_kind;

typedef struct value value;

struct value {
    value_kind kind;
    bool boolean;      /* VALUE_BOOL */
    uint32_t line, col; /* 1-based; 0 when made by the program */
    const char *file;  /* interned by value_intern: lives until exit */
    char *str;         /* NUMBER, STRING: owned */
    size_t len;        /* NUMBER, STRING: bytes; LIST, MAP: entries */
    size_t cap;
    value **items;     /* LIST items, MAP values: owned */
    char **keys;       /* MAP keys, NUL-terminated: owned */
};

/* A file name kept for the life of the process (values point at it).
 * Thread-safe. Returns the same pointer for the same name. */
const char *value_intern(const char *file);

/* New values belong to the caller, who frees them with value_free or hands
 * them to a list or map (value_list_push, value_map_add), which then owns them. */
value *value_new(value_kind kind, const char *file, uint32_t line, uint32_t col);
value *value_new_string(const char *s, size_t n); /* file/line 0; copies s */
value *value_new_bool(bool b);
value *value_new_number(const char *text, size_t n);
void value_free(value *v); /* frees the whole tree, without recursion; NULL is a no-op */
value *value_clone(const value *v); /* caller frees */

void value_list_push(value *list, value *item); /* consumes item */
/* Adds key → v at the end. Returns false (and consumes nothing) when the key is
 * already there. */
bool value_map_add(value *map, const char *key, size_t klen, value *v);
/* Sets key → v, replacing (and freeing) an existing value in place. Consumes v. */
void value_map_set(value *map, const char *key, size_t klen, value *v);
value *value_map_get(const value *map, const char *key, size_t klen); /* borrowed; NULL if absent */

/* Merges over into base and returns base: maps merge key by key (recursively),
 * anything else in over replaces. Consumes over. base may be NULL (returns over). */
value *value_merge(value *base, value *over);

/* Mustache truthiness: false for null, false, empty list, empty string. */
bool value_truthy(const value *v);

/* The text of a scalar as the renderer writes it: strings and numbers as
 * written, true/false, null as "". Lists and maps give "" too. Borrowed. */
const char *value_text(const value *v, size_t *len);

const char *value_kind_name(value_kind k); /* "string", "map", … */

#endif
