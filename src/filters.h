/* filters.h: the built-in filters of `{{name | f arg …}}`. The compiler checks
 * names and argument counts; the renderer resolves arguments and applies.
 * Case mapping and dates go through ICU, in the render's locale. */
#ifndef CASEPACK_FILTERS_H
#define CASEPACK_FILTERS_H

#include <stdbool.h>
#include <stddef.h>

#include "value.h"

typedef struct filter_def {
    const char *name;
    unsigned min_args, max_args;
    const char *usage; /* e.g. "date \"PATTERN\"": for messages */
} filter_def;

/* The filter called name[0..n), or NULL when there is none. */
const filter_def *filters_find(const char *name, size_t n);

/* A comma-separated list of every filter name, for "unknown filter" messages.
 * Static: never freed. */
const char *filters_names(void);

/* True when locale names a language ICU knows: an ICU id ("uk", "en_GB"), a
 * BCP 47 tag ("en-GB") or a POSIX name ("uk_UA.UTF-8"). Filters given any
 * other fall back to English, so --locale refuses it. */
bool filters_locale_known(const char *locale);

/* Applies f to in (NULL when the name is missing) with its resolved arguments
 * (string and number arguments as VALUE_STRING / VALUE_NUMBER values, data
 * paths as the values they name, NULL when missing). locale is an ICU locale
 * id ("uk", "en_GB"). Returns a new value (caller frees), or NULL with *err
 * set to a message the caller frees (e.g. "date: \"17/01/2027\" is not a date
 * (expected YYYY-MM-DD)"). */
value *filters_apply(const filter_def *f, const value *in, const value *const *args, size_t nargs,
                     const char *locale, char **err);

#endif
