/* schema.h: checking case data against a kit's schema, a YAML subset of JSON
 * Schema (type, properties, required, items, enum, pattern (PCRE2),
 * format: date, minItems, maxItems, minLength, maxLength, description,
 * examples, additionalProperties). Every problem is reported at once, at the
 * data file's line and column, saying what was expected. */
#ifndef CASEPACK_SCHEMA_H
#define CASEPACK_SCHEMA_H

#include <stdbool.h>

#include "diag.h"
#include "util.h"
#include "value.h"

typedef struct schema schema;

/* Compiles a schema from its value tree (as load_yaml gave it; borrowed only
 * for the call); the caller frees the schema with schema_free. Patterns are compiled once with PCRE2 (UTF mode). Returns
 * NULL with every problem of the schema itself in d, at the schema file's
 * line and column (unknown keywords, bad types, patterns that do not compile
 * with PCRE2's message and offset). */
schema *schema_compile(const value *root, diag *d);
void schema_free(schema *s); /* NULL is a no-op */

/* Checks data against s. Reports every problem to d at the value's file, line
 * and column (a missing required field: at the map that lacks it), naming the
 * path ("applicant.birth_date") and what was expected, e.g.
 *   case.yaml:4:15: applicant.birth_date: "17/01/1990" is not a date; write it as YYYY-MM-DD
 *   case.yaml:2:1: applicant: "name" is required (the applicant's full name as in their documents)
 * Returns true when the data conforms. Thread-safe for one schema. */
bool schema_check(const schema *s, const value *data, diag *d);

/* Writes a commented YAML skeleton of every field for `casepack new`: each
 * field with its description and an example as comments, example values
 * filled in (so the skeleton itself validates), lists with one item. */
void schema_skeleton(const schema *s, buf *out);

#endif
