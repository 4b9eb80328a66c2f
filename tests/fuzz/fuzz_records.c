/* fuzz_records.c: the streaming reader of YAML and JSON lists of records
 * (load_list_open, load_list_next, load_list_close), as batch uses it: the
 * input is a regular file, here one in memory (memfd), so the reader maps it
 * as it maps a file on disk. Every record is read to the end of the list. */
#define _GNU_SOURCE /* memfd_create */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("records", MFD_CLOEXEC);
        if (fd < 0)
            return 0;
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        return 0;
    load_limits lim = fuzz_load_limits();
    diag *d = diag_new();
    int io = 0;
    load_list_reader *r = load_list_open(path, &lim, d, &io);
    if (r) {
        for (;;) {
            value *item = NULL;
            uint32_t line = 0;
            int got = load_list_next(r, &item, &line, d);
            value_free(item);
            if (got <= 0)
                break;
        }
        load_list_close(r);
    }
    diag_free(d);
    return 0;
}
