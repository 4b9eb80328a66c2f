/* fuzz_verify.c: `casepack verify` over a package from someone else: the
 * zip reader, then the manifest (JSON through load_yaml) and every entry it
 * lists, hashed and compared (package_verify). The bytes are handed over as
 * a file in memory (memfd), which is what package_verify reads. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "package.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("package.zip", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    zipio_limits lim = zipio_default_limits();
    lim.max_entries = 1000;
    lim.max_entry_size = (uint64_t)4 << 20;
    lim.max_total_size = (uint64_t)16 << 20;
    diag *d = diag_new();
    int io_error = 0;
    size_t n_files = 0;
    package_verify(path, NULL, &lim, d, &io_error, &n_files);
    diag_free(d);
    close(fd);
    return 0;
}
