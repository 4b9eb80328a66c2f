/* Unit tests for util.c and diag.c: buffers, UTF-8 checks, atomic writes,
 * and the exact shape of every kind of diagnostic place. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "unit.h"
#include "util.h"

static void buf_grows_and_terminates(void)
{
    buf b = {0};
    for (int i = 0; i < 1000; i++)
        buf_addc(&b, 'x');
    buf_printf(&b, "%d-%s", 42, "end");
    CHECK_INT(b.len, 1006);
    CHECK_STR(b.data + 1000, "42-end");
    buf_reset(&b);
    CHECK_STR(b.data, "");
    buf_free(&b);
}

static void json_strings_are_escaped(void)
{
    buf b = {0};
    buf_add_json(&b, "a\"b\\c\nd\x01", 8);
    CHECK_STR(b.data, "\"a\\\"b\\\\c\\nd\\u0001\"");
    buf_free(&b);
}

static void utf8_validation(void)
{
    size_t at = 99;
    CHECK(util_utf8_valid("plain", 5, &at));
    CHECK(util_utf8_valid("\xD0\xBA\xD0\xB8\xD1\x97\xD0\xB2", 8, &at)); /* київ */
    CHECK(!util_utf8_valid("ab\xFF", 3, &at));
    CHECK_INT(at, 2);
    CHECK(!util_utf8_valid("\xC0\xAF", 2, &at)); /* overlong "/" */
    CHECK_INT(at, 0);
    CHECK(!util_utf8_valid("x\xED\xA0\x80", 4, &at)); /* surrogate */
    CHECK_INT(at, 1);
    CHECK(!util_utf8_valid("\xE2\x82", 2, &at)); /* truncated */
    CHECK_INT(at, 0);
}

static void extensions(void)
{
    CHECK_STR(util_extension("a/b/claim.docx"), "docx");
    CHECK_STR(util_extension("dir.d/README"), "");
    CHECK_STR(util_extension(".hidden"), "");
}

static void atomic_write_leaves_nothing_on_refusal(void)
{
    char dir[] = "/tmp/cp-util-XXXXXX";
    CHECK(mkdtemp(dir));
    char *path = xasprintf("%s/out.txt", dir);
    const char *op = NULL;
    CHECK_INT(util_write_atomic(path, "one", 3, 0600, false, &op), 0);
    CHECK_INT(util_write_atomic(path, "two", 3, 0600, false, &op), EEXIST);
    CHECK_STR(op, "create");
    buf b = {0};
    CHECK_INT(util_read_file(path, &b, 0), 0);
    CHECK_STR(b.data, "one");
    struct stat st;
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    CHECK_INT(util_write_atomic(path, "two", 3, 0600, true, &op), 0);
    buf_reset(&b);
    CHECK_INT(util_read_file(path, &b, 0), 0);
    CHECK_STR(b.data, "two");
    CHECK_INT(util_read_file(path, &b, 2), EFBIG);
    buf_free(&b);
    char *missing = xasprintf("%s/no/such/dir/out.txt", dir);
    CHECK_INT(util_write_atomic(missing, "x", 1, 0600, false, &op), ENOENT);
    CHECK_STR(op, "open");
    unlink(path);
    CHECK_INT(rmdir(dir), 0); /* no temporary file was left behind */
    free(missing);
    free(path);
}

static void diag_places(void)
{
    diag *d = diag_new();
    diag_error(d, (diag_place){.file = "t.txt", .line = 3, .col = 7}, "bad %s", "tag");
    diag_error(d, (diag_place){.file = "c.docx", .part = "word/document.xml", .para = 12}, "x");
    diag_warning(d, (diag_place){.file = "d.yaml"}, "w");
    diag_error(d, (diag_place){0}, "plain");
    CHECK_INT(diag_error_count(d), 3);
    CHECK_INT(diag_count(d), 4);
    CHECK_STR(diag_get(d, 0)->text, "t.txt:3:7: bad tag");
    CHECK_STR(diag_get(d, 1)->text, "c.docx:word/document.xml:p12: x");
    CHECK_STR(diag_get(d, 2)->text, "d.yaml: w");
    CHECK_INT(diag_get(d, 2)->level, DIAG_WARNING);
    CHECK_STR(diag_get(d, 3)->text, "plain");
    diag *all = diag_new();
    diag_take(all, d);
    CHECK_INT(diag_count(d), 0);
    CHECK_INT(diag_error_count(all), 3);
    diag_free(d);
    diag_free(all);
}

static void quoting(void)
{
    CHECK_STR(diag_quote("a\nb\tc\x01", 6), "a\\nb\\tc\\x01");
    char long_tag[200];
    memset(long_tag, 'y', sizeof long_tag);
    const char *q = diag_quote(long_tag, sizeof long_tag);
    CHECK_INT(strlen(q), 83);
    CHECK_STR(q + 80, "\xE2\x80\xA6");
}

UNIT_MAIN("util", UNIT(buf_grows_and_terminates), UNIT(json_strings_are_escaped),
          UNIT(utf8_validation), UNIT(extensions), UNIT(atomic_write_leaves_nothing_on_refusal),
          UNIT(diag_places), UNIT(quoting))
