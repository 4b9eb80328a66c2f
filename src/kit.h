/* kit.h: kits, the templates of one procedure bundled with a schema for their
 * data, default data and naming rules. A kit is a folder holding kit.yaml:
 *
 *   id: ua-refugee-appeal            # the folder's name
 *   title: Appeal against a refusal of refugee status (Ukraine)
 *   description: one line for `casepack kits`
 *   locale: uk                       # default locale of its documents
 *   schema: schema.yaml              # the case data's schema (schema.h)
 *   defaults: defaults.yaml          # optional: data merged under each case
 *   documents:                       # in package order
 *     - id: claim
 *       title: Statement of claim
 *       template: claim              # claim.docx and claim.odt beside kit.yaml
 *       name: "{{case.id}}-claim"    # optional output name pattern (Mustache)
 *
 * Shipped kits live in templates/<id>/ (cli_templates_dir()); --kits DIR adds
 * folders of the user's own, searched first. A case file names its kit with
 * a top-level `kit: <id>` field. */
#ifndef CASEPACK_KIT_H
#define CASEPACK_KIT_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "schema.h"
#include "value.h"

typedef struct kit_document {
    char *id;
    char *title;
    char *template_base; /* path without extension: <kit dir>/<template> */
    char *name_pattern;  /* NULL: "<NN>-<id>" */
} kit_document;

typedef struct kit {
    char *id, *title, *description, *locale;
    char *dir;           /* the kit's folder */
    schema *schema;      /* compiled; NULL when the kit has none */
    value *defaults;     /* NULL when none */
    kit_document *documents;
    size_t n_documents;
} kit;

/* Loads the kit in folder dir (caller frees with kit_free). NULL with every
 * problem in d (at kit.yaml's line and column, or the schema's). */
kit *kit_load(const char *dir, diag *d);
/* Finds a kit by id in the search folders (each holding kit folders), first
 * match wins, or by a path to a kit folder (caller frees with kit_free).
 * NULL with a message listing the kits there are. */
kit *kit_find(const char *id_or_path, const char *const *search, size_t n_search, diag *d);
void kit_free(kit *k); /* NULL is a no-op */

/* The ids of every kit in the search folders, sorted, without duplicates.
 * Caller frees each string and the array. */
char **kit_list(const char *const *search, size_t n_search, size_t *n);

#endif
