/* Unit tests for package.c: safe names, annex slugs (Ukrainian
 * transliteration included), the generation date and the password, and whole
 * packages built in memory from the tests' kit (tests/cli/kits/pkgtest):
 * their entries in order, byte-identical rebuilds, the same bytes from many
 * threads sharing one package_kit, encryption, verification, and writing.
 * Run this binary from the repository root. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "kit.h"
#include "load.h"
#include "package.h"
#include "unit.h"
#include "util.h"
#include "zipio.h"

#define KIT_DIR "tests/cli/kits/pkgtest"
#define CASE_FILE KIT_DIR "/case/case.yaml"
#define THREADS 4

/* ---- names, slugs, dates, passwords ---- */

static void safe_names(void)
{
    CHECK(package_safe_name("KOVAL-2027-01", 13));
    CHECK(package_safe_name("a_b.c", 5));
    CHECK(!package_safe_name("", 0));
    CHECK(!package_safe_name(".hidden", 7));
    CHECK(!package_safe_name("..", 2));
    CHECK(!package_safe_name("a/b", 3));
    CHECK(!package_safe_name("two words", 9));
    CHECK(!package_safe_name("a\\b", 3));
    CHECK(!package_safe_name("\xD0\x9A", 2)); /* К */
    char long_name[102];
    memset(long_name, 'x', sizeof long_name);
    CHECK(package_safe_name(long_name, 100));
    CHECK(!package_safe_name(long_name, 101));
}

static void check_slug(const char *title, const char *want)
{
    char *got = package_slug(title, strlen(title));
    int same = strcmp(got, want) == 0;
    if (!same)
        printf("  slug of \"%s\": got \"%s\", want \"%s\"\n", title, got, want);
    free(got);
    CHECK(same);
}

static void slugs(void)
{
    check_slug("Passport copy", "passport-copy");
    check_slug("  Medical report (2027), p. 3!  ", "medical-report-2027-p-3");
    check_slug("Копія паспорта", "kopiia-pasporta");
    check_slug("Заява свідка", "zaiava-svidka");
    check_slug("Юрій Яготин Їжак Єнакієве", "yurii-yahotyn-yizhak-yenakiieve");
    check_slug("Згорани, Щербухи, Гайворон", "zghorany-shcherbukhy-haivoron");
    check_slug("Ordonnance déférée", "ordonnance-deferee");
    check_slug("—", "");
    check_slug("", "");
    /* Past 60 bytes the slug ends at the last whole word. */
    check_slug("Copies of the applications to the police and the answers to them with "
               "translation",
               "copies-of-the-applications-to-the-police-and-the-answers-to");
}

static void dates(void)
{
    diag *d = diag_new();
    time_t t;
    bool fixed;
    CHECK(package_date("2027-01-17", &t, &fixed, d));
    CHECK_INT(t, 1800144000);
    CHECK(fixed);
    CHECK(!package_date("2027-02-30", &t, &fixed, d));
    CHECK(!package_date("17.01.2027", &t, &fixed, d));
    CHECK(!package_date("2027-1-17", &t, &fixed, d));
    CHECK_INT(diag_error_count(d), 3);
    CHECK_STR(diag_get(d, 2)->text, "--date takes a calendar date written YYYY-MM-DD (e.g. "
                                    "2027-01-17), not 2027-1-17");

    setenv("SOURCE_DATE_EPOCH", "1800000000", 1);
    CHECK(package_date(NULL, &t, &fixed, d));
    CHECK_INT(t, 1800000000);
    CHECK(fixed);
    setenv("SOURCE_DATE_EPOCH", "soon", 1);
    CHECK(!package_date(NULL, &t, &fixed, d));
    CHECK_STR(diag_get(d, 3)->text,
              "SOURCE_DATE_EPOCH must be a number of seconds since 1970-01-01 UTC, not soon");
    unsetenv("SOURCE_DATE_EPOCH");
    time_t before = time(NULL);
    CHECK(package_date(NULL, &t, &fixed, d));
    CHECK(!fixed);
    CHECK(t >= before && t <= before + 5);
    diag_free(d);
}

static void passwords(void)
{
    char dir[] = "/tmp/cp-package-XXXXXX";
    CHECK(mkdtemp(dir));
    char *file = xasprintf("%s/pw", dir);
    diag *d = diag_new();
    int io = 0;

    util_write_atomic(file, "correct horse\r\nsecond\n", 22, 0600, true, NULL);
    char *pw = package_password(file, d, &io);
    CHECK_STR(pw, "correct horse");
    free(pw);

    util_write_atomic(file, "\nlater\n", 7, 0600, true, NULL);
    CHECK(package_password(file, d, &io) == NULL);
    CHECK_INT(diag_error_count(d), 1);

    setenv("CASEPACK_PASSWORD", "from env", 1);
    pw = package_password(NULL, d, &io);
    CHECK_STR(pw, "from env");
    free(pw);
    setenv("CASEPACK_PASSWORD", "", 1);
    CHECK(package_password(NULL, d, &io) == NULL);
    unsetenv("CASEPACK_PASSWORD");
    CHECK(package_password(NULL, d, &io) == NULL);
    CHECK_INT(diag_error_count(d), 1);

    char *missing = xasprintf("%s/none", dir);
    CHECK(package_password(missing, d, &io) == NULL);
    CHECK_INT(io, ENOENT);

    unlink(file);
    rmdir(dir);
    free(missing);
    free(file);
    diag_free(d);
}

/* ---- whole packages ---- */

typedef struct fixture {
    kit *k;
    package_kit *pk;
    value *data;
    package_options opt;
} fixture;

static bool fixture_open(fixture *f)
{
    memset(f, 0, sizeof *f);
    diag *d = diag_new();
    f->k = kit_load(KIT_DIR, d);
    load_limits lim = load_default_limits();
    int io = 0;
    f->data = load_data_file(CASE_FILE, &lim, d, &io);
    bool ok = f->k && f->data && diag_error_count(d) == 0;
    if (!ok)
        diag_print(d, stdout);
    diag_free(d);
    if (!ok)
        return false;
    doc_options doc = doc_default_options();
    doc.mtime = 1800000000;
    f->pk = package_kit_new(f->k, &doc);
    package_options_init(&f->opt);
    f->opt.date = 1800000000;
    f->opt.reproducible = true;
    return true;
}

static void fixture_close(fixture *f)
{
    package_kit_free(f->pk);
    kit_free(f->k);
    value_free(f->data);
}

static bool build(fixture *f, buf *zip, char **name)
{
    diag *d = diag_new();
    int io = 0;
    bool ok = package_build(f->pk, f->data, CASE_FILE, &f->opt, d, &io, zip, name);
    if (!ok)
        diag_print(d, stdout);
    diag_free(d);
    return ok;
}

static void entries_in_order(void)
{
    fixture f;
    CHECK(fixture_open(&f));
    buf zip = {0};
    char *name = NULL;
    CHECK(build(&f, &zip, &name));
    CHECK_STR(name, "KOVAL-2027-01.zip");
    diag *d = diag_new();
    zipio_reader *r = zipio_open_memory(zip.data, zip.len, name, NULL, d);
    CHECK(r);
    CHECK_INT(zipio_count(r), 5);
    CHECK_STR(zipio_name(r, 0), "KOVAL-2027-01/01-letter.docx");
    CHECK_STR(zipio_name(r, 1), "KOVAL-2027-01/02-KOVAL-2027-01-note.docx");
    CHECK_STR(zipio_name(r, 2), "KOVAL-2027-01/annexes/A01-passport-copy.pdf");
    CHECK_STR(zipio_name(r, 3), "KOVAL-2027-01/annexes/A02-zaiava-svidka.txt");
    CHECK_STR(zipio_name(r, 4), "KOVAL-2027-01/manifest.json");
    buf annex = {0};
    CHECK(zipio_read(r, 3, &annex, d));
    CHECK_STR(annex.data, "The witness statement of the tests.\n");
    buf_free(&annex);
    zipio_close(r);
    diag_free(d);
    free(name);
    buf_free(&zip);
    fixture_close(&f);
}

static void rebuild_is_identical(void)
{
    fixture f;
    CHECK(fixture_open(&f));
    buf a = {0}, b = {0};
    char *na = NULL, *nb = NULL;
    CHECK(build(&f, &a, &na));
    CHECK(build(&f, &b, &nb));
    CHECK_INT(a.len, b.len);
    CHECK(memcmp(a.data, b.data, a.len) == 0);
    f.opt.date += 86400;
    buf c = {0};
    char *nc = NULL;
    CHECK(build(&f, &c, &nc));
    CHECK(c.len != a.len || memcmp(a.data, c.data, a.len) != 0);
    free(na), free(nb), free(nc);
    buf_free(&a), buf_free(&b), buf_free(&c);
    fixture_close(&f);
}

typedef struct job {
    fixture *f;
    buf zip;
    bool ok;
} job;

static void *build_job(void *ud)
{
    job *j = ud;
    char *name = NULL;
    for (int i = 0; i < 3; i++) {
        buf_reset(&j->zip);
        j->ok = build(j->f, &j->zip, &name);
        free(name);
        name = NULL;
        if (!j->ok)
            break;
    }
    return NULL;
}

/* One package_kit, many builds at once (batch): templates are compiled once,
 * by whichever build needs them first, and every build gets the same bytes. */
static void threads_share_a_kit(void)
{
    fixture f;
    CHECK(fixture_open(&f));
    job jobs[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (job){.f = &f};
        CHECK(pthread_create(&th[i], NULL, build_job, &jobs[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    bool same = true;
    for (int i = 0; i < THREADS; i++)
        same = same && jobs[i].ok && jobs[i].zip.len == jobs[0].zip.len &&
               memcmp(jobs[i].zip.data, jobs[0].zip.data, jobs[0].zip.len) == 0;
    for (int i = 0; i < THREADS; i++)
        buf_free(&jobs[i].zip);
    fixture_close(&f);
    CHECK(same);
}

static void write_and_verify(void)
{
    fixture f;
    CHECK(fixture_open(&f));
    char dir[] = "/tmp/cp-package-XXXXXX";
    CHECK(mkdtemp(dir));
    buf zip = {0};
    char *name = NULL;
    CHECK(build(&f, &zip, &name));
    diag *d = diag_new();
    CHECK_INT(package_write(dir, name, &zip, false, d), 0);
    char *path = xasprintf("%s/%s", dir, name);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    CHECK_INT(package_write(dir, name, &zip, false, d), EEXIST);
    CHECK_INT(diag_error_count(d), 1);
    CHECK_INT(package_write(dir, name, &zip, true, d), 0);

    diag *dv = diag_new();
    int io = 0;
    size_t n = 0;
    CHECK(package_verify(path, NULL, NULL, dv, &io, &n));
    CHECK_INT(n, 4);
    CHECK_INT(diag_count(dv), 0);

    /* The same package with one byte of an annex changed. */
    zipio_reader *r = zipio_open_memory(zip.data, zip.len, name, NULL, d);
    CHECK(r);
    zipio_writer *w = zipio_writer_new(1800000000);
    for (size_t i = 0; i < zipio_count(r); i++) {
        buf e = {0};
        CHECK(zipio_read(r, i, &e, d));
        if (!strcmp(zipio_name(r, i), "KOVAL-2027-01/annexes/A02-zaiava-svidka.txt"))
            e.data[0] = 'W';
        zipio_add(w, zipio_name(r, i), e.data, e.len, false, 6);
        buf_free(&e);
    }
    buf changed = {0};
    CHECK(zipio_writer_finish(w, &changed, d));
    zipio_writer_free(w);
    zipio_close(r);
    CHECK_INT(package_write(dir, name, &changed, true, d), 0);
    buf_free(&changed);
    CHECK(!package_verify(path, NULL, NULL, dv, &io, &n));
    CHECK_INT(diag_error_count(dv), 1);
    CHECK(strstr(diag_get(dv, 0)->text,
                 ":KOVAL-2027-01/annexes/A02-zaiava-svidka.txt: changed: its SHA-256 is ") != NULL);

    unlink(path);
    rmdir(dir);
    free(path);
    free(name);
    buf_free(&zip);
    diag_free(d);
    diag_free(dv);
    fixture_close(&f);
}

static void encrypted_round_trip(void)
{
    fixture f;
    CHECK(fixture_open(&f));
    f.opt.password = "correct horse";
    char dir[] = "/tmp/cp-package-XXXXXX";
    CHECK(mkdtemp(dir));
    buf zip = {0};
    char *name = NULL;
    CHECK(build(&f, &zip, &name));
    diag *d = diag_new();
    CHECK_INT(package_write(dir, name, &zip, false, d), 0);
    char *path = xasprintf("%s/%s", dir, name);
    int io = 0;
    size_t n = 0;
    CHECK(package_verify(path, "correct horse", NULL, d, &io, &n));
    CHECK_INT(n, 4);
    CHECK(!package_verify(path, "wrong horse", NULL, d, &io, &n));
    CHECK(!package_verify(path, NULL, NULL, d, &io, &n));
    CHECK_INT(diag_error_count(d), 2);
    CHECK(strstr(diag_get(d, 0)->text, "the password does not open the package") != NULL);
    CHECK(strstr(diag_get(d, 1)->text, "the package is encrypted (5 of its 5 entries)") != NULL);
    /* The template reader still refuses encrypted entries. */
    diag *dt = diag_new();
    CHECK(zipio_open_memory(zip.data, zip.len, name, NULL, dt) == NULL);
    CHECK_INT(diag_error_count(dt), 5);
    unlink(path);
    rmdir(dir);
    free(path);
    free(name);
    buf_free(&zip);
    diag_free(d);
    diag_free(dt);
    fixture_close(&f);
}

static void max_size_refuses(void)
{
    fixture f;
    CHECK(fixture_open(&f));
    f.opt.max_size = 1024;
    buf zip = {0};
    char *name = NULL;
    diag *d = diag_new();
    int io = 0;
    CHECK(!package_build(f.pk, f.data, CASE_FILE, &f.opt, d, &io, &zip, &name));
    CHECK(name == NULL);
    CHECK_INT(zip.len, 0);
    CHECK_INT(diag_error_count(d), 1);
    CHECK(strstr(diag_get(d, 0)->text,
                 "its largest files are 02-KOVAL-2027-01-note.docx (4.0 KB), 01-letter.docx "
                 "(1.3 KB) and annexes/A01-passport-copy.pdf (58 bytes)") != NULL);
    diag_free(d);
    fixture_close(&f);
}

UNIT_MAIN("package", UNIT(safe_names), UNIT(slugs), UNIT(dates), UNIT(passwords),
          UNIT(entries_in_order), UNIT(rebuild_is_identical), UNIT(threads_share_a_kit),
          UNIT(write_and_verify), UNIT(encrypted_round_trip), UNIT(max_size_refuses))
