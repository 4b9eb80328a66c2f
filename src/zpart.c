/* zpart.c: precompressed static chunks, stored values, combined CRCs. See
 * zpart.h for why; RFC 1951 section 3.2.4 for the stored blocks. */
#include "zpart.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Static chunks are deflated once, so compile time can afford the best level. */
#define ZPART_LEVEL 9
#define STORED_MAX 65535u /* bytes in one stored block */

typedef struct zchunk {
    unsigned char *bytes; /* raw deflate blocks, byte-aligned at both ends */
    size_t n;
    size_t len;           /* inflated length */
    uint32_t crc;         /* CRC-32 of the inflated bytes */
    uLong combine;        /* crc32_combine_gen(len): appends this chunk's CRC fast */
} zchunk;

struct zpart {
    const tpl_program *prog;
    zchunk *chunks; /* indexed by op number; empty for ops that are not static */
    size_t n_ops;
};

zpart *zpart_new(const tpl_program *p)
{
    zpart *z = xcalloc(1, sizeof *z);
    z->prog = p;
    z->n_ops = tpl_op_count(p);
    z->chunks = xcalloc(z->n_ops ? z->n_ops : 1, sizeof *z->chunks);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* Raw deflate (negative window bits): the zip entry has no zlib header. */
    if (deflateInit2(&zs, ZPART_LEVEL, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        abort(); /* only out of memory fails here, and that policy is abort */
    for (size_t i = 0; i < z->n_ops; i++) {
        size_t len;
        const char *s = tpl_static_chunk(p, i, &len);
        if (!s || !len)
            continue;
        zchunk *c = &z->chunks[i];
        size_t cap = deflateBound(&zs, (uLong)len) + 16;
        c->bytes = xmalloc(cap);
        zs.next_in = (Bytef *)s;
        zs.avail_in = (uInt)len;
        zs.next_out = c->bytes;
        zs.avail_out = (uInt)cap;
        /* A full flush ends the run byte-aligned and forgets the history, so
         * the run can follow anything. */
        deflate(&zs, Z_FULL_FLUSH);
        c->n = cap - zs.avail_out;
        c->len = len;
        c->crc = (uint32_t)crc32(0, (const Bytef *)s, (uInt)len);
        c->combine = crc32_combine_gen((z_off_t)len);
        deflateReset(&zs);
    }
    deflateEnd(&zs);
    return z;
}

void zpart_free(zpart *z)
{
    if (!z)
        return;
    for (size_t i = 0; i < z->n_ops; i++)
        free(z->chunks[i].bytes);
    free(z->chunks);
    free(z);
}

typedef struct zrender {
    const zpart *z;
    buf deflated;
    uLong crc;
    uint64_t size;
} zrender;

/* What the sink wrote since the last chunk goes out as stored blocks. */
static void flush_values(zrender *r, buf *values)
{
    const unsigned char *p = (const unsigned char *)values->data;
    size_t left = values->len;
    while (left) {
        size_t n = left < STORED_MAX ? left : STORED_MAX;
        unsigned char head[5] = {0x00, (unsigned char)(n & 0xFF), (unsigned char)(n >> 8),
                                 (unsigned char)(~n & 0xFF), (unsigned char)((~n >> 8) & 0xFF)};
        buf_add(&r->deflated, head, sizeof head);
        buf_add(&r->deflated, p, n);
        r->crc = crc32(r->crc, p, (uInt)n);
        r->size += n;
        p += n;
        left -= n;
    }
    buf_reset(values);
}

static void emit_chunk(void *ud, buf *values, size_t op)
{
    zrender *r = ud;
    flush_values(r, values);
    const zchunk *c = &r->z->chunks[op];
    if (!c->len)
        return;
    buf_add(&r->deflated, c->bytes, c->n);
    r->crc = crc32_combine_op(r->crc, c->crc, c->combine);
    r->size += c->len;
}

bool zpart_render(const zpart *z, const value *data, const render_options *opt, zipio_writer *w,
                  const char *name, diag *d)
{
    zrender r = {.z = z, .crc = crc32(0, NULL, 0)};
    render_options o = *opt;
    o.static_chunk = emit_chunk;
    o.static_ud = &r;
    buf values = {0};
    bool ok = render_program(z->prog, data, &o, &values, d);
    if (ok) {
        flush_values(&r, &values);
        /* The last block: an empty stored block with BFINAL set. */
        static const unsigned char final_block[5] = {0x01, 0x00, 0x00, 0xFF, 0xFF};
        buf_add(&r.deflated, final_block, sizeof final_block);
        zipio_add_deflated(w, name, r.deflated.data, r.deflated.len, (uint32_t)r.crc, r.size);
    }
    buf_free(&values);
    buf_free(&r.deflated);
    return ok;
}
