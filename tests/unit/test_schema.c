/* Unit tests for schema.c: every keyword passing and failing with its exact
 * message and place, all problems reported at once, schema errors, and the
 * skeleton (exact text, and that a filled-in skeleton passes its schema).
 * Schemas and data are written as YAML and loaded with load_yaml. */
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "schema.h"
#include "unit.h"

static value *yaml(const char *text, const char *file, diag *d)
{
    load_limits lim = load_default_limits();
    return load_yaml(text, strlen(text), file, &lim, d);
}

/* Every entry of d, one per line. Caller frees. */
static char *all_text(const diag *d)
{
    buf b = {0};
    buf_adds(&b, "");
    for (size_t i = 0; i < diag_count(d); i++)
        buf_printf(&b, "%s\n", diag_get(d, i)->text);
    return buf_steal(&b);
}

/* Compiles schema_yaml (as schema.yaml) and checks data_yaml (as case.yaml)
 * against it. *ok gets 1 when the data conforms, 0 when not, -1 when the
 * schema or either file did not load. Returns every message. Caller frees. */
static char *run(const char *schema_yaml, const char *data_yaml, int *ok)
{
    diag *d = diag_new();
    value *sv = yaml(schema_yaml, "schema.yaml", d);
    value *dv = NULL;
    schema *s = sv ? schema_compile(sv, d) : NULL;
    *ok = -1;
    if (s && (dv = yaml(data_yaml, "case.yaml", d)))
        *ok = schema_check(s, dv, d);
    char *text = all_text(d);
    value_free(dv);
    schema_free(s);
    value_free(sv);
    diag_free(d);
    return text;
}

/* Messages from compiling schema_yaml; *compiled says whether it compiled. */
static char *compile_messages(const char *schema_yaml, bool *compiled)
{
    diag *d = diag_new();
    value *sv = yaml(schema_yaml, "schema.yaml", d);
    schema *s = sv ? schema_compile(sv, d) : NULL;
    *compiled = s != NULL;
    char *text = all_text(d);
    schema_free(s);
    value_free(sv);
    diag_free(d);
    return text;
}

#define EXPECT(schema_yaml, data_yaml, want_ok, want_text)                                   \
    do {                                                                                     \
        int ok_;                                                                             \
        char *got_ = run(schema_yaml, data_yaml, &ok_);                                      \
        if (strcmp(got_, want_text) != 0) {                                                  \
            printf("FAIL %s: %s:%d: got \"%s\", want \"%s\"\n", unit_name, __FILE__,         \
                   __LINE__, got_, want_text);                                               \
            unit_failed_now = 1;                                                             \
            free(got_);                                                                      \
            return;                                                                          \
        }                                                                                    \
        free(got_);                                                                          \
        CHECK_INT(ok_, want_ok);                                                             \
    } while (0)

static const char *const TYPES_SCHEMA = "properties:\n"
                                        "  s: {type: string}\n"
                                        "  n: {type: number}\n"
                                        "  i: {type: integer}\n"
                                        "  b: {type: boolean}\n"
                                        "  o: {type: object}\n"
                                        "  m: {type: map}\n"
                                        "  a: {type: array}\n"
                                        "  l: {type: list}\n"
                                        "  z: {type: 'null'}\n"
                                        "  e: {type: [string, 'null']}\n";

static void types_that_fit_pass(void)
{
    EXPECT(TYPES_SCHEMA,
           "s: text\nn: 1.50\ni: -12\nb: false\no: {}\nm: {k: v}\na: []\nl: [1]\nz:\ne: ~\n", 1,
           "");
    EXPECT(TYPES_SCHEMA, "s: '12'\nn: 7\ni: 0\ne: x\n", 1, "");
}

static void types_that_do_not_fit_fail(void)
{
    EXPECT(TYPES_SCHEMA,
           "s: [a]\n"
           "n: \"12\"\n"
           "i: 1.5\n"
           "b: yes\n"
           "o: [1]\n"
           "m: text\n"
           "a: {k: 1}\n"
           "l: true\n"
           "z: 0\n"
           "e: 3\n"
           "s2: ok\n",
           0,
           "case.yaml:1:4: s: expected text, got a list\n"
           "case.yaml:2:4: n: expected a number, got text (\"12\"); write the number without "
           "quotes\n"
           "case.yaml:3:4: i: expected a whole number, got a number (1.5)\n"
           "case.yaml:4:4: b: expected true/false, got text (\"yes\"); write true or false, "
           "without quotes\n"
           "case.yaml:5:4: o: expected a map, got a list\n"
           "case.yaml:6:4: m: expected a map, got text (\"text\")\n"
           "case.yaml:7:4: a: expected a list, got a map\n"
           "case.yaml:8:4: l: expected a list, got true/false (true)\n"
           "case.yaml:9:4: z: expected an empty value, got a number (0)\n"
           "case.yaml:10:4: e: expected text or an empty value, got a number (3); put it in "
           "quotes to make it text\n");
}

static void empty_values_are_named(void)
{
    EXPECT("type: object\nproperties:\n  name: {type: string}\n", "name:\n", 0,
           "case.yaml:1:1: name: expected text, got an empty value; fill it in\n");
    EXPECT("type: object\n", "- 1\n", 0, "case.yaml:1:1: expected a map, got a list\n");
}

static const char *const REQUIRED_SCHEMA =
    "type: object\n"
    "required: [court, applicant]\n"
    "properties:\n"
    "  court: {type: string}\n"
    "  applicant:\n"
    "    type: object\n"
    "    required: [name, birth_date]\n"
    "    properties:\n"
    "      name:\n"
    "        type: string\n"
    "        description: |\n"
    "          the applicant's full name\n"
    "          as in their documents\n"
    "      birth_date: {type: string, format: date}\n";

static void required_fields_are_reported_at_their_map(void)
{
    EXPECT(REQUIRED_SCHEMA, "court: X\napplicant:\n  name: A\n  birth_date: '1990-01-17'\n", 1,
           "");
    EXPECT(REQUIRED_SCHEMA, "# a case\napplicant:\n  nickname: A\n", 0,
           "case.yaml:2:1: \"court\" is required\n"
           "case.yaml:3:3: applicant: \"name\" is required (the applicant's full name as in "
           "their documents)\n"
           "case.yaml:3:3: applicant: \"birth_date\" is required\n");
}

static const char *const CLOSED_SCHEMA = "type: object\n"
                                         "additionalProperties: false\n"
                                         "properties:\n"
                                         "  name: {type: string}\n"
                                         "  birth_date: {type: string}\n"
                                         "  notes:\n"
                                         "    type: object\n"
                                         "    additionalProperties: false\n"
                                         "  phones:\n"
                                         "    type: object\n"
                                         "    additionalProperties: {type: string}\n";

static void unknown_fields_suggest_the_closest_name(void)
{
    EXPECT(CLOSED_SCHEMA, "name: A\nphones: {home: '123', work: '456'}\n", 1, "");
    EXPECT(CLOSED_SCHEMA,
           "nmae: A\n"
           "birthdate: x\n"
           "zzz: 1\n"
           "notes: {a: 1}\n"
           "phones: {home: 123}\n",
           0,
           "case.yaml:1:7: nmae: unknown field \"nmae\"; did you mean \"name\"?\n"
           "case.yaml:2:12: birthdate: unknown field \"birthdate\"; did you mean "
           "\"birth_date\"?\n"
           "case.yaml:3:6: zzz: unknown field \"zzz\"; the fields allowed here are name, "
           "birth_date, notes, phones\n"
           "case.yaml:4:12: notes.a: unknown field \"a\"; no fields are allowed here\n"
           "case.yaml:5:16: phones.home: expected text, got a number (123); put it in quotes "
           "to make it text\n");
}

static void open_maps_take_any_field(void)
{
    EXPECT("properties:\n  a: {type: string}\n", "a: x\nb: [1]\n", 1, "");
}

static const char *const LIST_SCHEMA = "properties:\n"
                                       "  orgs:\n"
                                       "    type: array\n"
                                       "    minItems: 2\n"
                                       "    maxItems: 3\n"
                                       "    items:\n"
                                       "      type: object\n"
                                       "      required: [name]\n"
                                       "      properties:\n"
                                       "        name: {type: string}\n"
                                       "  one: {type: list, minItems: 1, maxItems: 1}\n";

static void list_items_and_sizes(void)
{
    EXPECT(LIST_SCHEMA, "orgs:\n  - name: A\n  - name: B\none: [x]\n", 1, "");
    EXPECT(LIST_SCHEMA,
           "orgs:\n"
           "  - name: A\n"
           "  - name: B\n"
           "  - name: [C]\n"
           "  - {title: D}\n"
           "one: []\n",
           0,
           "case.yaml:2:3: orgs: the list has 4 items; at most 3 are allowed\n"
           "case.yaml:4:11: orgs.2.name: expected text, got a list\n"
           "case.yaml:5:5: orgs.3: \"name\" is required\n"
           "case.yaml:6:6: one: the list has 0 items; at least 1 is needed\n");
    EXPECT(LIST_SCHEMA, "orgs: [{name: A}]\none: [1, 2]\n", 0,
           "case.yaml:1:7: orgs: the list has 1 item; at least 2 are needed\n"
           "case.yaml:2:6: one: the list has 2 items; at most 1 is allowed\n");
}

static const char *const ENUM_SCHEMA = "properties:\n"
                                       "  gender: {enum: [female, male, other]}\n"
                                       "  count: {enum: [1, 2]}\n";

static void enum_compares_text_and_lists_the_values(void)
{
    EXPECT(ENUM_SCHEMA, "gender: female\ncount: '2'\n", 1, "");
    EXPECT(ENUM_SCHEMA, "gender: Female\ncount: 3\n", 0,
           "case.yaml:1:9: gender: \"Female\" is not one of the allowed values: \"female\", "
           "\"male\", \"other\"\n"
           "case.yaml:2:8: count: \"3\" is not one of the allowed values: \"1\", \"2\"\n");
    EXPECT(ENUM_SCHEMA, "gender: [female]\n", 0,
           "case.yaml:1:9: gender: expected one of \"female\", \"male\", \"other\", got a list\n");
}

static const char *const PATTERN_SCHEMA = "properties:\n"
                                          "  surname: {type: string, pattern: '^[А-ЯІЇЄҐ]'}\n"
                                          "  word: {pattern: '\\w{3}'}\n"
                                          "  tax_id:\n"
                                          "    pattern: '^[0-9]{10}$'\n"
                                          "    examples: ['1234567890']\n";

static void pattern_in_utf8_with_unicode_classes(void)
{
    EXPECT(PATTERN_SCHEMA, "surname: Ївченко\nword: '--їжа--'\ntax_id: '0123456789'\n", 1, "");
    EXPECT(PATTERN_SCHEMA, "tax_id: 1234567890\n", 1, "");
    EXPECT(PATTERN_SCHEMA, "surname: ївченко\nword: 'аб-в'\ntax_id: '123'\n", 0,
           "case.yaml:1:10: surname: \"ївченко\" does not match the pattern ^[А-ЯІЇЄҐ]\n"
           "case.yaml:2:7: word: \"аб-в\" does not match the pattern \\w{3}\n"
           "case.yaml:3:9: tax_id: \"123\" does not match the pattern ^[0-9]{10}$; for "
           "example: 1234567890\n");
}

static const char *const DATE_SCHEMA = "type: list\nitems: {type: string, format: date}\n";

static void dates_must_exist(void)
{
    EXPECT(DATE_SCHEMA, "- 2027-01-17\n- 2028-02-29\n- 2000-02-29\n- 2027-12-31\n", 1, "");
    EXPECT(DATE_SCHEMA,
           "- 2027-02-30\n"
           "- 2100-02-29\n"
           "- 17/01/1990\n"
           "- 2027-13-01\n"
           "- 2027-04-00\n"
           "- 2027-04-31\n"
           "- '2027-1-7'\n",
           0,
           "case.yaml:1:3: 0: \"2027-02-30\" is not a date: February 2027 has 28 days\n"
           "case.yaml:2:3: 1: \"2100-02-29\" is not a date: February 2100 has 28 days\n"
           "case.yaml:3:3: 2: \"17/01/1990\" is not a date; write it as YYYY-MM-DD\n"
           "case.yaml:4:3: 3: \"2027-13-01\" is not a date: there is no month 13; write it as "
           "YYYY-MM-DD\n"
           "case.yaml:5:3: 4: \"2027-04-00\" is not a date: there is no day 0\n"
           "case.yaml:6:3: 5: \"2027-04-31\" is not a date: April 2027 has 30 days\n"
           "case.yaml:7:3: 6: \"2027-1-7\" is not a date; write it as YYYY-MM-DD\n");
}

static void lengths_count_characters(void)
{
    const char *sch = "properties:\n"
                      "  city: {type: string, minLength: 4, maxLength: 4}\n"
                      "  code: {minLength: 1, maxLength: 1}\n";
    EXPECT(sch, "city: Київ\ncode: Ї\n", 1, "");
    EXPECT(sch, "city: Кий\ncode: ''\n", 0,
           "case.yaml:1:7: city: \"Кий\" is 3 characters long; at least 4 are needed\n"
           "case.yaml:2:7: code: \"\" is 0 characters long; at least 1 is needed\n");
    EXPECT(sch, "city: Київщина\ncode: ab\n", 0,
           "case.yaml:1:7: city: \"Київщина\" is 8 characters long; at most 4 are allowed\n"
           "case.yaml:2:7: code: \"ab\" is 2 characters long; at most 1 is allowed\n");
}

/* A broken case file: every problem, each at its own line, in file order. */
static void every_problem_at_once(void)
{
    diag *d = diag_new();
    value *sv = yaml(REQUIRED_SCHEMA, "schema.yaml", d);
    CHECK(sv);
    schema *s = schema_compile(sv, d);
    CHECK(s);
    value *dv = yaml("court: 12\n"
                     "applicant:\n"
                     "  name: [A]\n"
                     "  birth_date: 2027-02-30\n",
                     "case.yaml", d);
    CHECK(dv);
    CHECK(!schema_check(s, dv, d));
    CHECK_INT(diag_error_count(d), 3);
    CHECK_STR(diag_get(d, 0)->text, "case.yaml:1:8: court: expected text, got a number (12); "
                                    "put it in quotes to make it text");
    CHECK_STR(diag_get(d, 1)->text, "case.yaml:3:9: applicant.name: expected text, got a list");
    CHECK_STR(diag_get(d, 2)->text, "case.yaml:4:15: applicant.birth_date: \"2027-02-30\" is not "
                                    "a date: February 2027 has 28 days");
    /* The same compiled schema checks another case; problems only add up. */
    value *good = yaml("court: X\napplicant: {name: A, birth_date: '1990-01-17'}\n", "b.yaml", d);
    CHECK(good);
    CHECK(schema_check(s, good, d));
    CHECK_INT(diag_error_count(d), 3);
    value_free(good);
    value_free(dv);
    schema_free(s);
    value_free(sv);
    diag_free(d);
}

static void a_flood_of_problems_is_cut_short(void)
{
    buf data = {0};
    for (int i = 0; i < 150; i++)
        buf_adds(&data, "- x\n");
    diag *d = diag_new();
    value *sv = yaml("items: {type: number}\n", "schema.yaml", d);
    schema *s = schema_compile(sv, d);
    CHECK(s);
    value *dv = yaml(data.data, "case.yaml", d);
    CHECK(!schema_check(s, dv, d));
    CHECK_INT(diag_error_count(d), 101);
    CHECK_STR(diag_get(d, 99)->text,
              "case.yaml:100:3: 99: expected a number, got text (\"x\")");
    CHECK_STR(diag_get(d, 100)->text, "case.yaml:100:3: too many problems (100); fix these first");
    value_free(dv);
    schema_free(s);
    value_free(sv);
    diag_free(d);
    buf_free(&data);
}

#define EXPECT_SCHEMA_ERRORS(schema_yaml, want_text)                                         \
    do {                                                                                     \
        bool compiled_;                                                                      \
        char *got_ = compile_messages(schema_yaml, &compiled_);                              \
        if (strcmp(got_, want_text) != 0) {                                                  \
            printf("FAIL %s: %s:%d: got \"%s\", want \"%s\"\n", unit_name, __FILE__,         \
                   __LINE__, got_, want_text);                                               \
            unit_failed_now = 1;                                                             \
            free(got_);                                                                      \
            return;                                                                          \
        }                                                                                    \
        free(got_);                                                                          \
        CHECK(!compiled_);                                                                   \
    } while (0)

static void schema_errors_are_all_reported(void)
{
    EXPECT_SCHEMA_ERRORS(
        "type: objct\n"
        "requird: [a]\n"
        "required: [nmae]\n"
        "properties:\n"
        "  name:\n"
        "    type: [string, nul]\n"
        "    pattern: '([a-z'\n"
        "    format: email\n"
        "    minLength: -1\n"
        "    maxItems: 2\n"
        "    minItems: 3\n"
        "  list: 5\n"
        "  e: {enum: []}\n"
        "  f: {examples: 3, description: 4, $comment: fine}\n"
        "  g: {$ref: '#/x', additionalProperties: 3, items: [1]}\n"
        "  h: {colour: red}\n",
        "schema.yaml:1:7: type: unknown type \"objct\"; did you mean \"object\"?\n"
        "schema.yaml:2:10: requird: unknown schema keyword \"requird\"; did you mean "
        "\"required\"?\n"
        "schema.yaml:6:20: properties.name.type.1: unknown type \"nul\"; did you mean "
        "\"null\"?\n"
        "schema.yaml:7:14: properties.name.pattern: \"([a-z\" is not a valid pattern: missing "
        "terminating ] for character class at offset 5\n"
        "schema.yaml:8:13: properties.name.format: unknown format \"email\"; casepack knows "
        "only date\n"
        "schema.yaml:9:16: properties.name.minLength: must be a whole number, 0 or more\n"
        "schema.yaml:6:5: properties.name: minItems (3) is more than maxItems (2)\n"
        "schema.yaml:12:9: properties.list: a schema must be a map of keywords (type, "
        "properties, …), got a number (5)\n"
        "schema.yaml:13:13: properties.e.enum: must be a list of the allowed values\n"
        "schema.yaml:14:17: properties.f.examples: must be a list of examples\n"
        "schema.yaml:14:33: properties.f.description: must be text\n"
        "schema.yaml:15:13: properties.g.$ref: unknown schema keyword \"$ref\"; casepack "
        "accepts only $schema, $id and $comment among the $ keywords\n"
        "schema.yaml:15:42: properties.g.additionalProperties: must be true, false or a schema "
        "for the other fields\n"
        "schema.yaml:15:52: properties.g.items: a schema must be a map of keywords (type, "
        "properties, …), got a list\n"
        "schema.yaml:16:15: properties.h.colour: unknown schema keyword \"colour\"; casepack "
        "knows type, properties, required, additionalProperties, items, enum, pattern, format, "
        "minItems, maxItems, minLength, maxLength, description, examples, title and default\n"
        "schema.yaml:3:12: required.0: \"nmae\" is not among the properties; did you mean "
        "\"name\"?\n");
    EXPECT_SCHEMA_ERRORS("- type: string\n",
                         "schema.yaml:1:1: a schema must be a map of keywords (type, properties, "
                         "…), got a list\n");
    EXPECT_SCHEMA_ERRORS("required: true\n",
                         "schema.yaml:1:11: required: must be a list of field names (it belongs "
                         "to the map that holds the fields, not to a field)\n");
}

/* The skeleton is made of examples, so each must pass its own rule. */
static void examples_must_pass_their_rule(void)
{
    EXPECT_SCHEMA_ERRORS("properties:\n"
                         "  id:\n"
                         "    type: string\n"
                         "    pattern: '^A'\n"
                         "    examples: [A1, B2, 3]\n"
                         "    default: C\n",
                         "schema.yaml:5:20: properties.id.examples.1: \"B2\" does not match the "
                         "pattern ^A; for example: A1\n"
                         "schema.yaml:5:24: properties.id.examples.2: expected text, got a "
                         "number (3); put it in quotes to make it text\n"
                         "schema.yaml:6:14: properties.id.default: \"C\" does not match the "
                         "pattern ^A; for example: A1\n");
}

static void nesting_is_bounded(void)
{
    buf text = {0};
    for (int i = 0; i < 70; i++) {
        for (int k = 0; k < i; k++)
            buf_adds(&text, "  ");
        buf_adds(&text, "items:\n");
    }
    for (int k = 0; k < 70; k++)
        buf_adds(&text, "  ");
    buf_adds(&text, "type: string\n");
    load_limits lim = load_default_limits();
    lim.max_depth = 200;
    diag *d = diag_new();
    value *sv = load_yaml(text.data, text.len, "deep.yaml", &lim, d);
    CHECK(sv);
    CHECK(!schema_compile(sv, d));
    CHECK_INT(diag_error_count(d), 1);
    CHECK(strstr(diag_get(d, 0)->text, ": the schema nests deeper than 64 levels"));
    CHECK(strncmp(diag_get(d, 0)->text, "deep.yaml:66:131: items.items.", 30) == 0);
    value_free(sv);
    diag_free(d);
    buf_free(&text);
}

static char *skeleton_of(const char *schema_yaml)
{
    diag *d = diag_new();
    value *sv = yaml(schema_yaml, "schema.yaml", d);
    schema *s = sv ? schema_compile(sv, d) : NULL;
    buf out = {0};
    buf_adds(&out, "");
    if (s)
        schema_skeleton(s, &out);
    else
        diag_print(d, stdout);
    schema_free(s);
    value_free(sv);
    diag_free(d);
    return buf_steal(&out);
}

static void skeleton_exact_text(void)
{
    char *got = skeleton_of("title: Letter to a Senator\n"
                            "type: object\n"
                            "required: [senator, demands]\n"
                            "properties:\n"
                            "  senator:\n"
                            "    type: object\n"
                            "    description: Who the letter goes to\n"
                            "    required: [name]\n"
                            "    properties:\n"
                            "      name:\n"
                            "        type: string\n"
                            "        description: Full name\n"
                            "        examples: [Jane Roe]\n"
                            "      state: {type: string, enum: [NY, 'NO']}\n"
                            "      since: {type: string, format: date}\n"
                            "  demands:\n"
                            "    type: array\n"
                            "    description: |\n"
                            "      What we ask for,\n"
                            "      one per item\n"
                            "    items:\n"
                            "      type: object\n"
                            "      required: [text]\n"
                            "      properties:\n"
                            "        text: {type: string, examples: ['Act: now']}\n"
                            "        urgent: {type: boolean}\n"
                            "  copies: {type: integer}\n"
                            "  tags: {type: list, items: {type: string}}\n"
                            "  signed: {type: boolean, default: true}\n");
    CHECK_STR(got, "# Letter to a Senator\n"
                   "\n"
                   "# Who the letter goes to (required)\n"
                   "senator:\n"
                   "  # Full name (required)\n"
                   "  # e.g. Jane Roe\n"
                   "  name: Jane Roe\n"
                   "  # one of: NY, NO\n"
                   "  state: NY\n"
                   "  since: \"\"\n"
                   "\n"
                   "# What we ask for,\n"
                   "# one per item (required)\n"
                   "demands:\n"
                   "  # (required)\n"
                   "  # e.g. Act: now\n"
                   "  - text: \"Act: now\"\n"
                   "    urgent: false\n"
                   "\n"
                   "copies: 0\n"
                   "\n"
                   "tags:\n"
                   "  - \"\"\n"
                   "\n"
                   "signed: true\n");
    free(got);
}

static void skeleton_quotes_what_yaml_would_misread(void)
{
    char *got = skeleton_of("properties:\n"
                            "  a: {examples: ['yes']}\n"
                            "  b: {examples: ['null']}\n"
                            "  c: {examples: ['12']}\n"
                            "  d: {examples: ['2027-01-17']}\n"
                            "  e: {examples: ['- dash']}\n"
                            "  f: {examples: ['say \"hi\"\\']}\n"
                            "  g: {examples: [\"tab\\there\"]}\n"
                            "  h: {examples: ['a #b']}\n"
                            "  i: {examples: ['12 Main Street']}\n"
                            "  j: {examples: ['']}\n"
                            "  k: {examples: [\"line one\\nline two\\n\"]}\n"
                            "  l: {examples: [\"x\\ny\"]}\n"
                            "  m: {examples: [1.50]}\n"
                            "  n: {examples: [\"\\\"quoted\\\"\"]}\n"
                            "  'on': {examples: [[]]}\n"
                            "  p: {examples: [{k: [1, {z: Off}]}]}\n");
    CHECK_STR(got, "# e.g. yes\n"
                   "a: \"yes\"\n"
                   "\n"
                   "# e.g. null\n"
                   "b: \"null\"\n"
                   "\n"
                   "# e.g. 12\n"
                   "c: \"12\"\n"
                   "\n"
                   "# e.g. 2027-01-17\n"
                   "d: \"2027-01-17\"\n"
                   "\n"
                   "# e.g. - dash\n"
                   "e: \"- dash\"\n"
                   "\n"
                   "# e.g. say \"hi\"\\\n"
                   "f: say \"hi\"\\\n"
                   "\n"
                   "# e.g. tab\there\n"
                   "g: \"tab\\there\"\n"
                   "\n"
                   "# e.g. a #b\n"
                   "h: \"a #b\"\n"
                   "\n"
                   "# e.g. 12 Main Street\n"
                   "i: 12 Main Street\n"
                   "\n"
                   "j: \"\"\n"
                   "\n"
                   "k: |\n"
                   "  line one\n"
                   "  line two\n"
                   "\n"
                   "l: |-\n"
                   "  x\n"
                   "  y\n"
                   "\n"
                   "# e.g. 1.50\n"
                   "m: 1.50\n"
                   "\n"
                   "# e.g. \"quoted\"\n"
                   "\"n\": \"\\\"quoted\\\"\"\n"
                   "\n"
                   "\"on\": []\n"
                   "\n"
                   "p:\n"
                   "  k:\n"
                   "    - 1\n"
                   "    - z: \"Off\"\n");
    /* and it reads back as the same values */
    diag *d = diag_new();
    value *back = yaml(got, "skeleton.yaml", d);
    CHECK(back);
    CHECK_INT(diag_count(d), 0);
    CHECK_STR(value_map_get(back, "a", 1)->str, "yes");
    CHECK_STR(value_map_get(back, "f", 1)->str, "say \"hi\"\\");
    CHECK_STR(value_map_get(back, "g", 1)->str, "tab\there");
    CHECK_STR(value_map_get(back, "k", 1)->str, "line one\nline two\n");
    CHECK_STR(value_map_get(back, "l", 1)->str, "x\ny");
    CHECK_INT(value_map_get(back, "m", 1)->kind, VALUE_NUMBER);
    CHECK_STR(value_map_get(back, "n", 1)->str, "\"quoted\"");
    CHECK_INT(value_map_get(back, "on", 2)->kind, VALUE_LIST);
    value_free(back);
    diag_free(d);
    free(got);
}

/* A kit-sized schema whose every field has an example: its skeleton, read
 * back, passes. */
static const char *const FULL_SCHEMA =
    "title: Refugee appeal\n"
    "type: object\n"
    "additionalProperties: false\n"
    "required: [court, applicant, orgs]\n"
    "properties:\n"
    "  court:\n"
    "    type: string\n"
    "    description: The court's name\n"
    "    examples: [Київський окружний адміністративний суд]\n"
    "  applicant:\n"
    "    type: object\n"
    "    required: [name, birth_date]\n"
    "    additionalProperties: false\n"
    "    properties:\n"
    "      name: {type: string, pattern: '^[А-ЯІЇЄҐ]', examples: [Петренко Іван]}\n"
    "      birth_date: {type: string, format: date, examples: ['1990-01-17']}\n"
    "      gender: {enum: [male, female, other], examples: [female]}\n"
    "      tax_id: {type: string, pattern: '^[0-9]{10}$', examples: ['1234567890']}\n"
    "      passport: {type: string, examples: ['NO']}\n"
    "  orgs:\n"
    "    type: array\n"
    "    minItems: 2\n"
    "    items:\n"
    "      type: object\n"
    "      required: [name]\n"
    "      additionalProperties: false\n"
    "      properties:\n"
    "        name: {type: string, minLength: 3, examples: ['Amnesty: UA']}\n"
    "        members: {type: integer, examples: [12]}\n"
    "        founded: {type: string, format: date, examples: [2001-05-01]}\n"
    "  facts:\n"
    "    type: string\n"
    "    examples:\n"
    "      - |\n"
    "        First paragraph.\n"
    "\n"
    "        Second paragraph: with a colon.\n"
    "  hearing: {type: boolean, examples: [true]}\n"
    "  tags: {type: array, maxItems: 3, items: {type: string}, examples: [[a, 'yes', '1']]}\n"
    "  fee: {type: [number, 'null'], examples: [~]}\n"
    "  requests:\n"
    "    type: list\n"
    "    examples: [[{text: Cancel the refusal}, {text: 'Oblige: recognise'}]]\n"
    "    items: {type: object, properties: {text: {type: string}}}\n";

static void skeleton_round_trip_validates(void)
{
    diag *d = diag_new();
    value *sv = yaml(FULL_SCHEMA, "schema.yaml", d);
    CHECK(sv);
    schema *s = schema_compile(sv, d);
    CHECK(s);
    buf out = {0};
    schema_skeleton(s, &out);
    value *back = yaml(out.data, "skeleton.yaml", d);
    CHECK(back);
    bool ok = schema_check(s, back, d);
    if (!ok || diag_count(d))
        diag_print(d, stdout);
    CHECK(ok);
    CHECK_INT(diag_count(d), 0);
    const value *orgs = value_map_get(back, "orgs", 4);
    CHECK_INT(orgs->len, 2);
    CHECK_STR(value_map_get(orgs->items[1], "name", 4)->str, "Amnesty: UA");
    CHECK_STR(value_map_get(back, "facts", 5)->str,
              "First paragraph.\n\nSecond paragraph: with a colon.\n");
    CHECK_INT(value_map_get(back, "fee", 3)->kind, VALUE_NULL);
    CHECK_INT(value_map_get(back, "requests", 8)->len, 2);
    /* the skeleton of one list item, with its comments above the dash */
    CHECK(strstr(out.data, "orgs:\n"
                           "  # (required)\n"
                           "  # e.g. Amnesty: UA\n"
                           "  - name: \"Amnesty: UA\"\n"
                           "    # e.g. 12\n"
                           "    members: 12\n"
                           "    # e.g. 2001-05-01\n"
                           "    founded: \"2001-05-01\"\n"
                           "  # (required)\n"));
    value_free(back);
    buf_free(&out);
    schema_free(s);
    value_free(sv);
    diag_free(d);
}

UNIT_MAIN("schema", UNIT(types_that_fit_pass), UNIT(types_that_do_not_fit_fail),
          UNIT(empty_values_are_named), UNIT(required_fields_are_reported_at_their_map),
          UNIT(unknown_fields_suggest_the_closest_name), UNIT(open_maps_take_any_field),
          UNIT(list_items_and_sizes), UNIT(enum_compares_text_and_lists_the_values),
          UNIT(pattern_in_utf8_with_unicode_classes), UNIT(dates_must_exist),
          UNIT(lengths_count_characters), UNIT(every_problem_at_once),
          UNIT(a_flood_of_problems_is_cut_short), UNIT(schema_errors_are_all_reported),
          UNIT(examples_must_pass_their_rule), UNIT(nesting_is_bounded),
          UNIT(skeleton_exact_text), UNIT(skeleton_quotes_what_yaml_would_misread),
          UNIT(skeleton_round_trip_validates))
