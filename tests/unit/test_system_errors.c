/* Unit tests for failures of the system rather than of the input, both
 * found by the fault sweep (tests/faults):
 * - they are errors marked with their errno in diag (diag_system_error), so
 *   commands exit with status 3: a zip_close that failed while a document
 *   was written was reported as a template error (status 1); documents are
 *   laid out by casepack now, and libzip closes only encrypted archives;
 * - an out-of-memory abort removes the temporary files being written
 *   (util_temp_track): a batch worker's half-written output stayed behind
 *   when another thread ran out of memory.
 * This binary defines zip_close itself, in front of libzip's, to make the
 * next one fail on request. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>

#include "diag.h"
#include "doc.h"
#include "unit.h"
#include "zipio.h"

static int fail_next_close; /* the errno the next zip_close fails with; 0: none */

int zip_close(zip_t *za)
{
    static int (*real)(zip_t *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "zip_close");
    if (fail_next_close) {
        zip_error_set(zip_get_error(za), ZIP_ER_WRITE, fail_next_close);
        fail_next_close = 0;
        return -1;
    }
    return real(za);
}

static void system_error_marks_diag(void)
{
    diag *d = diag_new();
    CHECK_INT(diag_system_errno(d), 0);
    diag_error(d, (diag_place){.file = "t.txt", .line = 2, .col = 1}, "a template error");
    CHECK_INT(diag_system_errno(d), 0);
    diag_system_error(d, (diag_place){.file = "out.docx"}, EIO, "cannot write (%s): %s", "write",
                      strerror(EIO));
    diag_system_error(d, (diag_place){0}, ENOSPC, "later");
    CHECK_INT(diag_error_count(d), 3);
    CHECK_STR(diag_get(d, 1)->text, "out.docx: cannot write (write): Input/output error");
    /* The first one decides. */
    CHECK_INT(diag_system_errno(d), EIO);
    diag_free(d);
}

static void take_moves_the_system_error(void)
{
    diag *into = diag_new(), *from = diag_new();
    diag_system_error(from, (diag_place){0}, ENOSPC, "full");
    diag_take(into, from);
    CHECK_INT(diag_system_errno(into), ENOSPC);
    CHECK_INT(diag_system_errno(from), 0);
    CHECK_INT(diag_error_count(into), 1);
    diag_free(into);
    diag_free(from);
}

static void writer_finish_failure_is_a_system_error(void)
{
    diag *d = diag_new();
    zipio_writer *w = zipio_writer_new(315532800);
    /* Only encrypted archives are written by libzip. */
    zipio_writer_set_password(w, "secret");
    zipio_add(w, "a.txt", "text", 4, true, 0);
    buf out = {0};
    fail_next_close = ENOSPC;
    bool ok = zipio_writer_finish(w, &out, d);
    zipio_writer_free(w);
    CHECK(!ok);
    CHECK_INT(out.len, 0);
    CHECK_INT(diag_error_count(d), 1);
    CHECK_STR(diag_get(d, 0)->text,
              "cannot write the zip archive (zip_close): Write error: No space left on device");
    CHECK_INT(diag_system_errno(d), ENOSPC);
    buf_free(&out);
    diag_free(d);
}

static void out_of_memory_removes_tracked_temporaries(void)
{
    /* The child makes the files, in shared memory the names come back. */
    char *names = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(names != MAP_FAILED);
    char *doomed = names, *kept = names + 64;
    strcpy(doomed, "/tmp/casepack-oom-XXXXXX.tmp");
    strcpy(kept, "/tmp/casepack-oom-XXXXXX.tmp");
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDERR_FILENO);
        int h1, h2;
        if (util_temp_create(doomed, 4, &h1) < 0 || util_temp_create(kept, 4, &h2) < 0)
            _exit(1);
        util_temp_untrack(h2); /* finished: renamed into place, say */
        buf b = {0};
        buf_grow(&b, SIZE_MAX - 1); /* out of memory: prints and aborts */
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    bool doomed_gone = access(doomed, F_OK) != 0, kept_there = access(kept, F_OK) == 0;
    unlink(doomed);
    unlink(kept);
    munmap(names, 4096);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    CHECK(doomed_gone);
    CHECK(kept_there);
}

UNIT_MAIN("system_errors", UNIT(system_error_marks_diag), UNIT(take_moves_the_system_error),
          UNIT(writer_finish_failure_is_a_system_error),
          UNIT(out_of_memory_removes_tracked_temporaries))
