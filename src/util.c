/* util.c: memory, buffers, whole-file reads and atomic writes. Every stage
 * uses these; none of them knows about templates or data. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The tracked temporaries: a fixed table, each slot claimed with an atomic
 * state, so that removing them needs no lock and no allocation. While a
 * thread makes one, creating counts it; once dying is set nobody starts
 * making one, and whoever removes them waits for those under way. */
/* One per thread that writes (batch -j allows 1024), and a few more. Only
 * the slots used are ever touched, so the rest cost no memory. */
#define TEMP_SLOTS 1040
enum { TEMP_FREE, TEMP_FILLING, TEMP_TRACKED };
static struct {
    atomic_int state;
    char path[PATH_MAX];
} temps[TEMP_SLOTS];
static atomic_int temp_dying, temp_creating;

static int temp_track(const char *path)
{
    size_t n = strlen(path);
    if (n >= PATH_MAX)
        return -1;
    for (int i = 0; i < TEMP_SLOTS; i++) {
        int expected = TEMP_FREE;
        if (atomic_compare_exchange_strong(&temps[i].state, &expected, TEMP_FILLING)) {
            memcpy(temps[i].path, path, n + 1);
            atomic_store(&temps[i].state, TEMP_TRACKED);
            return i;
        }
    }
    return -1;
}

/* Fills the six X before the suffix with random letters and digits. */
static void temp_name(char *x6)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static _Thread_local uint64_t state;
    if (!state) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        state = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
                (uint64_t)(uintptr_t)&state;
        state |= 1;
    }
    for (int i = 0; i < 6; i++) {
        state ^= state << 13; /* xorshift64 */
        state ^= state >> 7;
        state ^= state << 17;
        x6[i] = alphabet[state % 62];
    }
}

/* The name is tracked before the file exists, so that whichever thread a
 * fatal signal interrupts, and wherever, the file is never there untracked:
 * a signal before the open leaves nothing to remove, one after it finds the
 * name in the table. */
int util_temp_create(char *template, int suffixlen, int *handle)
{
    return util_temp_createat(AT_FDCWD, NULL, template, suffixlen, handle);
}

int util_temp_createat(int dirfd, const char *dir, char *template, int suffixlen, int *handle)
{
    *handle = -1;
    size_t n = strlen(template);
    if (suffixlen < 0 || n < (size_t)suffixlen + 6 ||
        memcmp(template + n - suffixlen - 6, "XXXXXX", 6) != 0) {
        errno = EINVAL;
        return -1;
    }
    char *x6 = template + n - suffixlen - 6;
    /* What a dying run unlinks: the path from the working directory. */
    char full[PATH_MAX];
    if (dir && (size_t)snprintf(full, sizeof full, "%s/%s", dir, template) >= sizeof full) {
        errno = ENAMETOOLONG;
        return -1;
    }
    atomic_fetch_add(&temp_creating, 1);
    int fd = -1, err = EEXIST;
    for (int attempt = 0; attempt < 100 && err == EEXIST; attempt++) {
        if (atomic_load(&temp_dying)) {
            err = ECANCELED;
            break;
        }
        temp_name(x6);
        if (dir)
            memcpy(full + strlen(full) - suffixlen - 6, x6, 6);
        *handle = temp_track(dir ? full : template);
        fd = openat(dirfd, template, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        err = fd < 0 ? errno : 0;
        if (fd < 0) {
            util_temp_untrack(*handle);
            *handle = -1;
        }
    }
    atomic_fetch_sub(&temp_creating, 1);
    errno = err;
    return fd;
}

void util_temp_untrack(int handle)
{
    if (handle >= 0 && handle < TEMP_SLOTS)
        atomic_store(&temps[handle].state, TEMP_FREE);
}

void util_temp_remove_all(void)
{
    atomic_store(&temp_dying, 1);
    /* A tenth of a second at most: the thread making one may be this one,
     * interrupted by the signal we are handling. */
    for (int i = 0; i < 1000 && atomic_load(&temp_creating) > 0; i++)
        nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
    for (int i = 0; i < TEMP_SLOTS; i++)
        if (atomic_load(&temps[i].state) == TEMP_TRACKED)
            unlink(temps[i].path);
}

static void out_of_memory(size_t n)
{
    fprintf(stderr, "casepack: error: out of memory (asked for %zu bytes)\n", n);
    util_temp_remove_all();
    abort();
}

void util_tune_malloc(void)
{
    /* Each rendered package sets up deflate state of a few hundred KiB and
     * frees it; with glibc's defaults that memory goes back to the kernel
     * and comes back as fresh zeroed pages for the next document. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    return buf_steal(&b);
}

void buf_init(buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void buf_free(buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_grow(buf *b, size_t extra)
{
    if (b->cap - b->len > extra)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len <= extra) {
        if (cap > SIZE_MAX / 2)
            out_of_memory(SIZE_MAX);
        cap *= 2;
    }
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void buf_add(buf *b, const void *p, size_t n)
{
    buf_grow(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_addc(buf *b, char c)
{
    buf_grow(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void buf_adds(buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_vprintf(buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    buf_grow(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *buf_steal(buf *b)
{
    if (!b->data)
        buf_grow(b, 0), b->data[0] = '\0';
    char *p = b->data;
    buf_init(b);
    return p;
}

void buf_add_json(buf *b, const char *s, size_t n)
{
    buf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            buf_adds(b, "\\\"");
            break;
        case '\\':
            buf_adds(b, "\\\\");
            break;
        case '\n':
            buf_adds(b, "\\n");
            break;
        case '\t':
            buf_adds(b, "\\t");
            break;
        case '\r':
            buf_adds(b, "\\r");
            break;
        default:
            if (c < 0x20)
                buf_printf(b, "\\u%04x", c);
            else
                buf_addc(b, (char)c);
        }
    }
    buf_addc(b, '"');
}

int util_read_file(const char *path, buf *out, size_t max_bytes)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    struct stat st;
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            if (fd != STDIN_FILENO)
                close(fd);
            return EISDIR;
        }
        if (S_ISREG(st.st_mode) && max_bytes && (uint64_t)st.st_size > max_bytes) {
            if (fd != STDIN_FILENO)
                close(fd);
            return EFBIG;
        }
        if (S_ISREG(st.st_mode))
            buf_grow(out, (size_t)st.st_size + 1);
    }
    size_t start = out->len;
    int err = 0;
    for (;;) {
        buf_grow(out, 65536);
        ssize_t got = read(fd, out->data + out->len, out->cap - out->len - 1);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            err = errno;
            break;
        }
        if (got == 0)
            break;
        out->len += (size_t)got;
        if (max_bytes && out->len - start > max_bytes) {
            err = EFBIG;
            break;
        }
    }
    out->data[out->len] = '\0';
    if (fd != STDIN_FILENO)
        close(fd);
    return err;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int util_write_atomic(const char *path, const void *data, size_t len, int mode, bool overwrite,
                      const char **failed_op)
{
    const char *op_dummy;
    if (!failed_op)
        failed_op = &op_dummy;
    *failed_op = NULL;
    if (strcmp(path, "-") == 0) {
        int err = write_all(STDOUT_FILENO, data, len);
        if (err)
            *failed_op = "write";
        return err;
    }
    if (!overwrite && access(path, F_OK) == 0) {
        *failed_op = "create";
        return EEXIST;
    }
    /* The temporary name sits in the same folder so rename is atomic; it starts
     * with a dot and ends in .tmp so a listing shows what it is. */
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    char *tmp = xasprintf("%.*s.%s.XXXXXX.tmp", (int)dirlen, path, slash ? slash + 1 : path);
    int tracked;
    int fd = util_temp_create(tmp, 4, &tracked);
    if (fd < 0) {
        int err = errno;
        *failed_op = "open";
        free(tmp);
        return err;
    }
    int err = 0;
    if (fchmod(fd, (mode_t)mode) != 0) {
        err = errno;
        *failed_op = "chmod";
    }
    if (!err && (err = write_all(fd, data, len)) != 0)
        *failed_op = "write";
    if (!err && fsync(fd) != 0) {
        err = errno;
        *failed_op = "fsync";
    }
    if (close(fd) != 0 && !err) {
        err = errno;
        *failed_op = "close";
    }
    if (!err && !overwrite && access(path, F_OK) == 0) {
        err = EEXIST;
        *failed_op = "create";
    }
    if (!err && rename(tmp, path) != 0) {
        err = errno;
        *failed_op = "rename";
    }
    if (err)
        unlink(tmp);
    util_temp_untrack(tracked);
    free(tmp);
    return err;
}

bool util_utf8_valid(const char *s, size_t n, size_t *bad_at)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF)
            need = 1, cp = c & 0x1F, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 2, cp = c & 0x0F, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 3, cp = c & 0x07, min = 0x10000;
        else
            goto bad;
        if (n - i <= need)
            goto bad;
        for (size_t k = 1; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                goto bad;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        i += need + 1;
    }
    return true;
bad:
    if (bad_at)
        *bad_at = i;
    return false;
}

const char *util_extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot + 1 : "";
}
