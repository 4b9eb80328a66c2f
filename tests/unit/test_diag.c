/* test_diag.c: problems are kept with their places up to a cap, and past it
 * counted, printed as one closing line. */
#include "diag.h"

#include "unit.h"

/* What diag_print writes, as one string. */
static const char *printed(diag *d)
{
    static char text[65536];
    FILE *f = tmpfile();
    diag_print(d, f);
    rewind(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static const char *last_line(const char *text)
{
    static char line[512];
    size_t n = strlen(text);
    if (n && text[n - 1] == '\n')
        n--;
    size_t start = n;
    while (start && text[start - 1] != '\n')
        start--;
    snprintf(line, sizeof line, "%.*s", (int)(n - start), text + start);
    return line;
}

static void places_are_printed(void)
{
    diag *d = diag_new();
    diag_error(d, (diag_place){.file = "t.txt", .line = 3, .col = 7}, "%s is wrong", "x");
    diag_warning(d, (diag_place){.file = "t.docx", .part = "word/document.xml", .para = 2},
                 "odd");
    CHECK_INT(diag_error_count(d), 1);
    CHECK_INT(diag_count(d), 2);
    CHECK_STR(printed(d), "casepack: error: t.txt:3:7: x is wrong\n"
                          "casepack: warning: t.docx:word/document.xml:p2: odd\n");
    CHECK_INT(diag_count(d), 0);
    diag_free(d);
}

static void past_the_cap_problems_are_counted(void)
{
    diag *d = diag_new();
    for (int i = 0; i < 5000; i++)
        diag_error(d, (diag_place){.file = "t.txt", .line = 1, .col = 1}, "bad %d", i);
    CHECK_INT(diag_error_count(d), 5000);
    CHECK_INT(diag_count(d), 200);
    CHECK_STR(diag_get(d, 199)->text, "t.txt:1:1: bad 199");
    CHECK(diag_get(d, 200) == NULL);
    CHECK_STR(last_line(printed(d)), "casepack: error: 4800 more problems are not shown; fix "
                                     "these first");
    CHECK_INT(diag_error_count(d), 0);
    diag_free(d);
}

static void warnings_past_the_cap_close_with_a_warning(void)
{
    diag *d = diag_new();
    for (int i = 0; i < 201; i++)
        diag_warning(d, (diag_place){0}, "odd %d", i);
    CHECK_INT(diag_error_count(d), 0);
    CHECK_STR(last_line(printed(d)), "casepack: warning: 1 more problems are not shown; fix "
                                     "these first");
    diag_free(d);
}

static void taking_keeps_the_cap_and_the_counts(void)
{
    diag *a = diag_new(), *b = diag_new();
    for (int i = 0; i < 150; i++) {
        diag_error(a, (diag_place){0}, "a %d", i);
        diag_error(b, (diag_place){0}, "b %d", i);
    }
    for (int i = 0; i < 100; i++)
        diag_warning(b, (diag_place){0}, "w %d", i);
    diag_take(a, b);
    CHECK_INT(diag_count(b), 0);
    CHECK_INT(diag_error_count(b), 0);
    CHECK_INT(diag_count(a), 200);
    CHECK_INT(diag_error_count(a), 300);
    CHECK_STR(diag_get(a, 199)->text, "b 49");
    CHECK_STR(last_line(printed(a)), "casepack: error: 200 more problems are not shown; fix "
                                     "these first");
    /* A diag already past the cap hands on its count too. */
    diag *c = diag_new(), *e = diag_new();
    for (int i = 0; i < 300; i++)
        diag_error(c, (diag_place){0}, "c %d", i);
    diag_take(e, c);
    CHECK_INT(diag_count(e), 200);
    CHECK_INT(diag_error_count(e), 300);
    CHECK_STR(last_line(printed(e)), "casepack: error: 100 more problems are not shown; fix "
                                     "these first");
    diag_free(a);
    diag_free(b);
    diag_free(c);
    diag_free(e);
}

UNIT_MAIN("diag", UNIT(places_are_printed), UNIT(past_the_cap_problems_are_counted),
          UNIT(warnings_past_the_cap_close_with_a_warning),
          UNIT(taking_keeps_the_cap_and_the_counts))
