/* Unit tests for cite.c: the shipped library (its size and the statuses the
 * research notes give), Ukrainian forms and locale fallback, overriding by a
 * later file, and the exact text and place of every validation message. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cite.h"
#include "diag.h"
#include "unit.h"
#include "util.h"

/* ---- scratch files, removed at exit ---- */

static char scratch_dir[] = "/tmp/cp-cite-XXXXXX";
static bool scratch_made;
static char *scratch_paths[64];
static size_t scratch_n;

static void scratch_remove(void)
{
    /* Newest first, so a folder is empty by the time its turn comes. */
    while (scratch_n) {
        char *p = scratch_paths[--scratch_n];
        if (unlink(p) != 0)
            rmdir(p);
        free(p);
    }
    rmdir(scratch_dir);
}

/* The scratch folder, made on first use. NULL if it cannot be made. */
static const char *scratch_folder(void)
{
    if (!scratch_made) {
        if (!mkdtemp(scratch_dir))
            return NULL;
        scratch_made = true;
        atexit(scratch_remove);
    }
    return scratch_dir;
}

/* Writes text to a new file (or names a folder to make, when text is NULL)
 * in the scratch folder. Returns its path, freed at exit. */
static const char *scratch(const char *name, const char *text)
{
    if (!scratch_folder() || scratch_n == sizeof scratch_paths / sizeof scratch_paths[0])
        return NULL;
    char *path = xasprintf("%s/%s", scratch_dir, name);
    if (text) {
        FILE *f = fopen(path, "w");
        if (!f) {
            free(path);
            return NULL;
        }
        fputs(text, f);
        fclose(f);
    }
    scratch_paths[scratch_n++] = path;
    return path;
}

static const char *root_dir(void)
{
    const char *root = getenv("CASEPACK_ROOT");
    return root && *root ? root : ".";
}

static cite_library *shipped(diag *d)
{
    cite_library *lib = cite_new();
    char *dir = xasprintf("%s/templates/citations", root_dir());
    cite_add_dir(lib, dir, d);
    free(dir);
    return lib;
}

static const char *msg(const diag *d, size_t i)
{
    const diag_entry *e = diag_get(d, i);
    return e ? e->text : "(no such message)";
}

/* ---- the shipped library ---- */

static void shipped_library_loads_every_entry(void)
{
    diag *d = diag_new();
    cite_library *lib = shipped(d);
    CHECK_INT(diag_count(d), 0);
    CHECK_INT(cite_count(lib), 52);
    CHECK_STR(cite_key_at(lib, 0), "APD-48");
    CHECK_STR(cite_key_at(lib, 51), "WGAD");
    CHECK(cite_key_at(lib, 52) == NULL);
    size_t by_status[3] = {0};
    for (size_t i = 0; i < cite_count(lib); i++) {
        if (i)
            CHECK(strcmp(cite_key_at(lib, i - 1), cite_key_at(lib, i)) < 0);
        const cite_entry *e = cite_find(lib, cite_key_at(lib, i), NULL);
        CHECK(e && e->title[0] && e->short_form[0] && e->kind[0] && e->summary[0]);
        by_status[e->status]++;
    }
    /* A change here means an entry's grade changed: only ever downwards,
     * unless someone read the official text. */
    CHECK_INT(by_status[CITE_VERIFIED], 28);
    CHECK_INT(by_status[CITE_PARTLY], 15);
    CHECK_INT(by_status[CITE_UNVERIFIED], 9);
    cite_free(lib);
    diag_free(d);
}

static void shipped_statuses_follow_the_notes(void)
{
    diag *d = diag_new();
    cite_library *lib = shipped(d);
    CHECK_INT(cite_find(lib, "RC51-31", NULL)->status, CITE_VERIFIED);
    CHECK_INT(cite_find(lib, "QD-9-2-e", NULL)->status, CITE_PARTLY);
    CHECK_INT(cite_find(lib, "RC51-1C", NULL)->status, CITE_UNVERIFIED);
    CHECK_INT(cite_find(lib, "PACE-1900", NULL)->status, CITE_VERIFIED);
    CHECK_INT(cite_find(lib, "RC51-1A2", NULL)->status, CITE_PARTLY);
    CHECK_INT(cite_find(lib, "GIP9-SOGI", NULL)->status, CITE_PARTLY);
    CHECK_INT(cite_find(lib, "UA-KAS-122", NULL)->status, CITE_VERIFIED);
    CHECK_INT(cite_find(lib, "UA-FEE", NULL)->status, CITE_UNVERIFIED);
    CHECK(cite_find(lib, "NO-SUCH-KEY", NULL) == NULL);
    CHECK(cite_find(lib, NULL, NULL) == NULL);
    cite_free(lib);
    diag_free(d);
}

static void shipped_entry_fields(void)
{
    diag *d = diag_new();
    cite_library *lib = shipped(d);
    const cite_entry *e = cite_find(lib, "RC51-33", "en");
    CHECK(e != NULL);
    CHECK_STR(e->key, "RC51-33");
    CHECK_STR(e->kind, "treaty-article");
    CHECK_STR(e->short_form, "1951 Convention, Art. 33");
    CHECK_STR(e->pinpoint, "Art. 33");
    CHECK_STR(e->date, "1951-07-28");
    CHECK_STR(e->url, "https://ja.scribd.com/document/340673923/Refugees");
    CHECK_INT(e->line, 59);
    size_t flen = strlen(e->file);
    CHECK(flen >= 12 && strcmp(e->file + flen - 12, "refugee.yaml") == 0);

    e = cite_find(lib, "CJEU-EZ", NULL);
    CHECK_STR(e->short_form, "CJEU, C-238/19 EZ");
    CHECK_STR(e->title, "CJEU, Case C-238/19, EZ v Bundesrepublik Deutschland, judgment of 19 "
                        "November 2020, ECLI:EU:C:2020:945");
    CHECK_STR(e->date, "2020-11-19");
    e = cite_find(lib, "HB-195-205", NULL);
    CHECK_STR(e->pinpoint, "paras 195–205");
    CHECK_STR(e->date, "December 2011");
    cite_free(lib);
    diag_free(d);
}

/* ---- locales ---- */

static void ukrainian_forms(void)
{
    diag *d = diag_new();
    cite_library *lib = shipped(d);
    const cite_entry *uk = cite_find(lib, "RC51-33", "uk");
    CHECK_STR(uk->short_form, "ст. 33 Конвенції про статус біженців 1951 року");
    CHECK_STR(uk->title, "Конвенція про статус біженців");
    /* Not translated: the English summary, and the rest as it is. */
    CHECK_STR(uk->summary, cite_find(lib, "RC51-33", NULL)->summary);
    CHECK_STR(uk->pinpoint, "Art. 33");
    CHECK_INT(uk->status, CITE_VERIFIED);

    uk = cite_find(lib, "UA-KAS-160", "uk");
    CHECK_STR(uk->short_form, "ст. 160 КАС України");
    CHECK_STR(uk->title, "Кодекс адміністративного судочинства України");
    uk = cite_find(lib, "UA-REF-LAW", "uk");
    CHECK_STR(uk->short_form,
              "Закон України «Про біженців та осіб, які потребують додаткового або тимчасового "
              "захисту»");
    uk = cite_find(lib, "ECHR-ARTS", "uk");
    CHECK_STR(uk->title, "Конвенція про захист прав людини і основоположних свобод");
    cite_free(lib);
    diag_free(d);
}

static void locale_fallback(void)
{
    diag *d = diag_new();
    cite_library *lib = shipped(d);
    const cite_entry *uk = cite_find(lib, "RC51-31", "uk");
    const cite_entry *en = cite_find(lib, "RC51-31", NULL);
    CHECK(uk != en);
    CHECK(cite_find(lib, "RC51-31", "uk_UA") == uk);
    CHECK(cite_find(lib, "RC51-31", "uk-UA") == uk);
    CHECK(cite_find(lib, "RC51-31", "uk_UA.UTF-8") == uk);
    CHECK(cite_find(lib, "RC51-31", "UK") == uk);
    CHECK(cite_find(lib, "RC51-31", "en") == en);
    CHECK(cite_find(lib, "RC51-31", "en_GB") == en);
    CHECK(cite_find(lib, "RC51-31", "de-DE") == en);
    CHECK(cite_find(lib, "RC51-31", "") == en);
    CHECK(cite_find(lib, "RC51-31", "C") == en);
    CHECK(cite_find(lib, "RC51-31", "ukr") == en);
    CHECK_STR(en->short_form, "1951 Convention, Art. 31");
    /* No Ukrainian forms at all: English. */
    const cite_entry *ez = cite_find(lib, "CJEU-EZ", "uk_UA");
    CHECK(ez == cite_find(lib, "CJEU-EZ", NULL));
    CHECK_STR(ez->short_form, "CJEU, C-238/19 EZ");
    cite_free(lib);
    diag_free(d);
}

static void partial_translations_fall_back_per_field(void)
{
    const char *path = scratch("partial.yaml", "X-1:\n"
                                               "  title: Title\n"
                                               "  short: Short\n"
                                               "  summary: Summary\n"
                                               "  short_uk: Коротко\n"
                                               "  summary_de: Zusammenfassung\n"
                                               "  title_ukr: Назва\n"
                                               "  status: verified\n");
    CHECK(path);
    diag *d = diag_new();
    cite_library *lib = cite_new();
    CHECK(cite_add_file(lib, path, d));
    const cite_entry *uk = cite_find(lib, "X-1", "uk_UA");
    CHECK_STR(uk->short_form, "Коротко");
    CHECK_STR(uk->title, "Title");
    CHECK_STR(uk->summary, "Summary");
    const cite_entry *de = cite_find(lib, "X-1", "de_AT");
    CHECK_STR(de->summary, "Zusammenfassung");
    CHECK_STR(de->short_form, "Short");
    CHECK_STR(cite_find(lib, "X-1", "ukr")->title, "Назва");
    CHECK_STR(cite_find(lib, "X-1", "ukr")->short_form, "Short");
    CHECK_STR(uk->pinpoint, "");
    CHECK_STR(uk->url, "");
    CHECK_STR(uk->kind, "");
    cite_free(lib);
    diag_free(d);
}

/* ---- files and folders ---- */

static void later_file_overrides(void)
{
    const char *path = scratch("override.yaml", "RC51-31:\n"
                                                "  title: Refugee Convention\n"
                                                "  short: Refugee Convention, Art. 31\n"
                                                "  status: unverified\n"
                                                "MY-NOTE:\n"
                                                "  title: Our memo\n"
                                                "  short: memo\n"
                                                "  date: 2005\n"
                                                "  summary: >\n"
                                                "    folded over\n"
                                                "    two lines\n"
                                                "  status: partly\n");
    CHECK(path);
    diag *d = diag_new();
    cite_library *lib = shipped(d);
    const cite_entry *before = cite_find(lib, "RC51-31", NULL);
    CHECK(cite_add_file(lib, path, d));
    CHECK_INT(diag_count(d), 0);
    CHECK_INT(cite_count(lib), 53);
    const cite_entry *e = cite_find(lib, "RC51-31", "uk");
    CHECK_STR(e->short_form, "Refugee Convention, Art. 31"); /* no uk forms any more */
    CHECK_INT(e->status, CITE_UNVERIFIED);
    CHECK_STR(e->pinpoint, "");
    CHECK_STR(e->file, path);
    CHECK_INT(e->line, 1);
    /* What was handed out before stays readable until the library goes. */
    CHECK_STR(before->short_form, "1951 Convention, Art. 31");
    e = cite_find(lib, "MY-NOTE", NULL);
    CHECK_STR(e->date, "2005");
    CHECK_STR(e->summary, "folded over two lines");
    CHECK_INT(e->line, 5);
    cite_free(lib);
    diag_free(d);
}

static void folder_in_name_order(void)
{
    const char *dir = scratch("lib", NULL);
    CHECK(dir && mkdir(dir, 0700) == 0);
    CHECK(scratch("lib/b.yaml", "K:\n  title: from b\n  short: b\n  status: partly\n"));
    CHECK(scratch("lib/a.yaml", "K:\n  title: from a\n  short: a\n  status: verified\n"
                                "L:\n  title: only a\n  short: l\n  status: verified\n"));
    CHECK(scratch("lib/.c.yaml", "not: [valid"));
    CHECK(scratch("lib/notes.txt", "not: [valid"));
    diag *d = diag_new();
    cite_library *lib = cite_new();
    CHECK(cite_add_dir(lib, dir, d));
    CHECK_INT(diag_count(d), 0);
    CHECK_INT(cite_count(lib), 2);
    CHECK_STR(cite_find(lib, "K", NULL)->title, "from b");
    CHECK_STR(cite_key_at(lib, 1), "L");
    cite_free(lib);

    lib = cite_new();
    char *missing = xasprintf("%s/nowhere", dir);
    CHECK(!cite_add_dir(lib, missing, d));
    char *want = xasprintf("%s: cannot read the citation folder: No such file or directory",
                           missing);
    CHECK_STR(msg(d, 0), want);
    free(want);
    free(missing);
    cite_free(lib);
    diag_free(d);
}

/* ---- every validation message, at its place ---- */

static void unreadable_and_non_map_files(void)
{
    diag *d = diag_new();
    cite_library *lib = cite_new();
    CHECK(scratch_folder());
    char *missing = xasprintf("%s/missing.yaml", scratch_dir);
    CHECK(!cite_add_file(lib, missing, d));
    char *want = xasprintf("%s: cannot read this citation file: No such file or directory",
                           missing);
    CHECK_STR(msg(d, 0), want);
    free(want);
    free(missing);

    const char *list = scratch("list.yaml", "- RC51-33\n- RC51-31\n");
    CHECK(list);
    CHECK(!cite_add_file(lib, list, d));
    want = xasprintf("%s:1:1: a citation file must be a map from keys to entries (a key such as "
                     "RC51-33: at the start of a line, its fields indented below), not a list",
                     list);
    CHECK_STR(msg(d, 1), want);
    free(want);

    /* The loader's own messages (here a syntax error) come through as they are. */
    const char *broken = scratch("broken.yaml", "K:\n  title: [unclosed\n");
    CHECK(broken);
    CHECK(!cite_add_file(lib, broken, d));
    CHECK(diag_error_count(d) >= 3);
    CHECK(strncmp(msg(d, 2), broken, strlen(broken)) == 0);
    CHECK_INT(cite_count(lib), 0);
    cite_free(lib);
    diag_free(d);
}

#define FIELDS                                                                                 \
    "the fields are kind, title, short, pinpoint, date, source, source_note, summary and "     \
    "status, and title_xx, short_xx or summary_xx for a translation (xx: a language code such " \
    "as uk)"

static void every_entry_problem_at_once(void)
{
    const char *path = scratch("bad.yaml", "GOOD:\n"                     /* 1 */
                                           "  title: fine\n"             /* 2 */
                                           "  short: fine\n"             /* 3 */
                                           "  status: verified\n"        /* 4 */
                                           "\"RC 51\":\n"                /* 5 */
                                           "  title: T\n"                /* 6 */
                                           "  short: S\n"                /* 7 */
                                           "  status: verified\n"        /* 8 */
                                           "TEXT: just text\n"           /* 9 */
                                           "LACKS:\n"                    /* 10 */
                                           "  title: T\n"                /* 11 */
                                           "TYPO:\n"                     /* 12 */
                                           "  titel: T\n"                /* 13 */
                                           "  url: http://x\n"           /* 14 */
                                           "  colour: red\n"             /* 15 */
                                           "  title_UA: Назва\n"         /* 16 */
                                           "  short: S\n"                /* 17 */
                                           "  status: partly\n"          /* 18 */
                                           "TYPES:\n"                    /* 19 */
                                           "  title: \"\"\n"             /* 20 */
                                           "  short:\n"                  /* 21 */
                                           "  pinpoint: [1, 2]\n"        /* 22 */
                                           "  kind: true\n"              /* 23 */
                                           "  date: {y: 2005}\n"         /* 24 */
                                           "  summary: |\n"              /* 25 */
                                           "    first line\n"            /* 26 */
                                           "    second line\n"           /* 27 */
                                           "  status: checked\n"         /* 28 */
                                           "FLOW: {title: T, short: S, stauts: partly}\n"); /* 29 */
    CHECK(path);
    diag *d = diag_new();
    cite_library *lib = cite_new();
    CHECK(!cite_add_file(lib, path, d));
    /* A file with problems adds nothing, not even its good entries. */
    CHECK_INT(cite_count(lib), 0);
    CHECK(cite_find(lib, "GOOD", NULL) == NULL);

    const char *want[] = {
        "5:1: the key \"RC 51\" cannot be used in a template; a key is made of letters, digits "
        "and - _ . : / only (e.g. RC51-33)",
        "9:7: the entry TEXT must be a map of fields (title, short, status, …) indented below "
        "its key, not text",
        "10:1: entry LACKS has no \"short\" field; every entry needs title, short and status",
        "10:1: entry LACKS has no \"status\" field; every entry needs title, short and status",
        "13:3: unknown field \"titel\" in entry TYPO (did you mean \"title\"?); " FIELDS,
        "14:3: unknown field \"url\" in entry TYPO (did you mean \"source\"?); " FIELDS,
        "15:3: unknown field \"colour\" in entry TYPO; " FIELDS,
        "16:3: the field \"title_UA\" of entry TYPO has a bad language code \"UA\"; a "
        "translated field ends in a 2- or 3-letter lowercase language code, such as title_uk",
        "12:1: entry TYPO has no \"title\" field; every entry needs title, short and status",
        "20:3: the field \"title\" of entry TYPES is empty; every entry needs a title, a short "
        "form and a status",
        "21:3: the field \"short\" of entry TYPES is empty; every entry needs a title, a short "
        "form and a status",
        "22:3: the field \"pinpoint\" of entry TYPES must be text, not a list",
        "23:3: the field \"kind\" of entry TYPES must be text, not true or false",
        "24:3: the field \"date\" of entry TYPES must be text, not a map",
        "25:3: the field \"summary\" of entry TYPES runs over several lines; a citation field "
        "must be one line (join the lines)",
        "28:11: entry TYPES has status \"checked\"; it must be verified, partly or unverified, as "
        "the research notes grade it (never raise a status without reading the official text)",
        "29:28: unknown field \"stauts\" in entry FLOW (did you mean \"status\"?); " FIELDS,
        "29:1: entry FLOW has no \"status\" field; every entry needs title, short and status",
    };
    size_t n = sizeof want / sizeof want[0];
    CHECK_INT(diag_count(d), n);
    for (size_t i = 0; i < n; i++) {
        char *full = xasprintf("%s:%s", path, want[i]);
        CHECK_STR(msg(d, i), full);
        free(full);
    }
    cite_free(lib);
    diag_free(d);
}

static void names_and_nulls(void)
{
    CHECK_STR(cite_status_name(CITE_VERIFIED), "verified");
    CHECK_STR(cite_status_name(CITE_PARTLY), "partly");
    CHECK_STR(cite_status_name(CITE_UNVERIFIED), "unverified");
    cite_free(NULL);
    CHECK_INT(cite_count(NULL), 0);
    cite_library *lib = cite_new();
    CHECK_INT(cite_count(lib), 0);
    CHECK(cite_key_at(lib, 0) == NULL);
    CHECK(cite_find(lib, "RC51-33", "uk") == NULL);
    cite_free(lib);
}

UNIT_MAIN("cite", UNIT(shipped_library_loads_every_entry), UNIT(shipped_statuses_follow_the_notes),
          UNIT(shipped_entry_fields), UNIT(ukrainian_forms), UNIT(locale_fallback),
          UNIT(partial_translations_fall_back_per_field), UNIT(later_file_overrides),
          UNIT(folder_in_name_order), UNIT(unreadable_and_non_map_files),
          UNIT(every_entry_problem_at_once), UNIT(names_and_nulls))
