/* inject.c: a fault-injection shim for casepack's tests, loaded with
 * LD_PRELOAD (build/faults/inject.so, `make faults`). It stands in front of
 * write, read, fsync, fdatasync, rename (and renameat2), link, close,
 * malloc (calloc, realloc) and libzip's zip_close, counts their calls, and
 * makes a chosen one fail. Closes come in two kinds: "close" of a descriptor written since its
 * last fsync, where a failure can mean lost data, and "close-clean" of one
 * only read from or already synced, where it cannot:
 *
 *   CASEPACK_FAULT=write:7:ENOSPC     the 7th write fails with ENOSPC
 *   CASEPACK_FAULT=write:7+:EIO       the 7th and every later one fail
 *   CASEPACK_FAULT=malloc:120         the 120th allocation returns NULL
 *   CASEPACK_FAULT_COUNT=FILE         at exit, append "NAME COUNT" per function
 *
 * Several faults may be given, separated by commas. Only allocations made by
 * the program itself are counted and failed (the caller's return address is
 * inside the executable): casepack's policy is that xmalloc aborts with a
 * message, and what third-party libraries do without memory is theirs. Calls
 * that glibc makes internally (stdio's own writes) never pass through here.
 * Test code, not part of casepack. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

enum {
    F_WRITE,
    F_READ,
    F_FSYNC,
    F_FDATASYNC,
    F_RENAME,
    F_LINK,
    F_CLOSE,
    F_CLOSE_CLEAN,
    F_MALLOC,
    F_ZIP_CLOSE,
    F_COUNT
};
static const char *const names[F_COUNT] = {
    [F_WRITE] = "write",         [F_READ] = "read",
    [F_FSYNC] = "fsync",         [F_FDATASYNC] = "fdatasync",
    [F_RENAME] = "rename",       [F_LINK] = "link",
    [F_CLOSE] = "close",         [F_CLOSE_CLEAN] = "close-clean",
    [F_MALLOC] = "malloc",       [F_ZIP_CLOSE] = "zip_close",
};

typedef struct fault {
    unsigned long nth; /* 0: none */
    bool onwards;
    int err;
} fault;

static unsigned long counts[F_COUNT];
static fault faults[F_COUNT];
static uintptr_t exe_lo, exe_hi; /* the executable's mapped range */
static bool ready;

static int errno_named(const char *s)
{
    static const struct {
        const char *name;
        int err;
    } table[] = {{"ENOSPC", ENOSPC}, {"EIO", EIO},       {"EDQUOT", EDQUOT},
                 {"EFBIG", EFBIG},   {"ENOMEM", ENOMEM}, {"EACCES", EACCES},
                 {"EROFS", EROFS},   {"EINTR", EINTR},   {"EXDEV", EXDEV}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(s, table[i].name))
            return table[i].err;
    return atoi(s) > 0 ? atoi(s) : EIO;
}

static int find_exe(struct dl_phdr_info *info, size_t size, void *ud)
{
    (void)size;
    (void)ud;
    /* The first object reported is the executable. */
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (!exe_lo || lo < exe_lo)
            exe_lo = lo;
        if (hi > exe_hi)
            exe_hi = hi;
    }
    return 1;
}

__attribute__((constructor)) static void inject_init(void)
{
    dl_iterate_phdr(find_exe, NULL);
    const char *spec = getenv("CASEPACK_FAULT");
    if (spec) {
        char copy[512];
        snprintf(copy, sizeof copy, "%s", spec);
        char *save = NULL;
        for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
            char *name = item, *nth = strchr(item, ':'), *err = NULL;
            if (!nth)
                continue;
            *nth++ = '\0';
            if ((err = strchr(nth, ':')))
                *err++ = '\0';
            for (int f = 0; f < F_COUNT; f++) {
                if (strcmp(name, names[f]) != 0)
                    continue;
                faults[f].nth = strtoul(nth, NULL, 10);
                faults[f].onwards = strchr(nth, '+') != NULL;
                faults[f].err = err ? errno_named(err) : (f == F_MALLOC ? ENOMEM : EIO);
            }
        }
    }
    ready = true;
}

__attribute__((destructor)) static void inject_report(void)
{
    const char *path = getenv("CASEPACK_FAULT_COUNT");
    if (!path)
        return;
    char line[1024];
    int len = 0;
    for (int f = 0; f < F_COUNT; f++)
        len += snprintf(line + len, sizeof line - (size_t)len, "%s %lu\n", names[f], counts[f]);
    ready = false; /* our own report is not counted, nor failed */
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        if (write(fd, line, (size_t)len) != len)
            perror(path);
        close(fd);
    }
}

/* Counts a call; true when this one must fail (errno is then set). */
static bool hit(int f)
{
    if (!ready)
        return false;
    unsigned long n = __atomic_add_fetch(&counts[f], 1, __ATOMIC_RELAXED);
    const fault *x = &faults[f];
    if (!x->nth || n < x->nth || (n > x->nth && !x->onwards))
        return false;
    errno = x->err;
    return true;
}

#define REAL(ret, name, args)                                                                \
    static ret(*real_##name) args;                                                           \
    if (!real_##name)                                                                        \
        *(void **)&real_##name = dlsym(RTLD_NEXT, #name);

/* Descriptors written to since their last fsync: their close may fail
 * for data still on its way to the disk (NFS reports errors there). */
#define MAX_TRACKED_FD 4096
static unsigned char dirty[MAX_TRACKED_FD];

static void mark(int fd, unsigned char v)
{
    if (fd >= 0 && fd < MAX_TRACKED_FD)
        __atomic_store_n(&dirty[fd], v, __ATOMIC_RELAXED);
}

ssize_t write(int fd, const void *p, size_t n)
{
    REAL(ssize_t, write, (int, const void *, size_t));
    if (hit(F_WRITE))
        return -1;
    mark(fd, 1);
    return real_write(fd, p, n);
}

ssize_t read(int fd, void *p, size_t n)
{
    REAL(ssize_t, read, (int, void *, size_t));
    if (hit(F_READ))
        return -1;
    return real_read(fd, p, n);
}

int fsync(int fd)
{
    REAL(int, fsync, (int));
    if (hit(F_FSYNC))
        return -1;
    int r = real_fsync(fd);
    if (r == 0)
        mark(fd, 0);
    return r;
}

int rename(const char *from, const char *to)
{
    REAL(int, rename, (const char *, const char *));
    if (hit(F_RENAME))
        return -1;
    return real_rename(from, to);
}

int fdatasync(int fd)
{
    REAL(int, fdatasync, (int));
    if (hit(F_FDATASYNC))
        return -1;
    int r = real_fdatasync(fd);
    if (r == 0)
        mark(fd, 0);
    return r;
}

/* Counted as a rename: batch publishes its outputs with it. */
int renameat2(int from_dir, const char *from, int to_dir, const char *to, unsigned flags)
{
    REAL(int, renameat2, (int, const char *, int, const char *, unsigned));
    if (hit(F_RENAME))
        return -1;
    return real_renameat2(from_dir, from, to_dir, to, flags);
}

int link(const char *from, const char *to)
{
    REAL(int, link, (const char *, const char *));
    if (hit(F_LINK))
        return -1;
    return real_link(from, to);
}

int close(int fd)
{
    REAL(int, close, (int));
    bool was_dirty = fd < 0 || fd >= MAX_TRACKED_FD || dirty[fd];
    mark(fd, 0);
    if (hit(was_dirty ? F_CLOSE : F_CLOSE_CLEAN)) {
        /* POSIX leaves the descriptor's state unspecified after a failed
         * close; Linux always releases it, and so do we. */
        int err = errno;
        real_close(fd);
        errno = err;
        return -1;
    }
    return real_close(fd);
}

int zip_close(zip_t *za)
{
    REAL(int, zip_close, (zip_t *));
    if (hit(F_ZIP_CLOSE)) {
        /* libzip reports a failed write of the archive this way. */
        zip_error_t *(*get_error)(zip_t *) = NULL;
        void (*set_error)(zip_error_t *, int, int) = NULL;
        *(void **)&get_error = dlsym(RTLD_DEFAULT, "zip_get_error");
        *(void **)&set_error = dlsym(RTLD_DEFAULT, "zip_error_set");
        int err = errno;
        if (get_error && set_error)
            set_error(get_error(za), ZIP_ER_WRITE, err);
        errno = err;
        return -1;
    }
    return real_zip_close(za);
}

/* Allocation: glibc's own entry points, counted only for the program's calls. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static bool from_program(const void *ra)
{
    return ready && (uintptr_t)ra >= exe_lo && (uintptr_t)ra < exe_hi;
}

void *malloc(size_t n)
{
    if (from_program(__builtin_return_address(0)) && hit(F_MALLOC))
        return NULL;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (from_program(__builtin_return_address(0)) && hit(F_MALLOC))
        return NULL;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    if (from_program(__builtin_return_address(0)) && hit(F_MALLOC))
        return NULL;
    return __libc_realloc(p, n);
}
