/* load_csv.c: the CSV loader (data stage), a stream of records through
 * libcsv. libcsv splits cells and undoes quoting; this file owns what it
 * leaves to its caller: where each cell was written (libcsv reports cells,
 * not places, so input is fed to it in pieces that each end at the only kind
 * of byte where a cell can end: a delimiter or a line break), the byte-order
 * mark, guessing the delimiter, the header's dotted paths and the record each
 * row makes, and the wording of every CSV error. */
#include "load.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CSV_BLOCK 65536
#define NO_COLUMN SIZE_MAX

/* One column path's place in the record: a map key, a list position, or a
 * cell. The header is compiled into this tree once; every row is poured
 * into it. */
typedef struct shape shape;
struct shape {
    char *key;     /* under a map: the key; under a list: NULL */
    size_t index;  /* under a list: the position */
    size_t column; /* a cell: its column; NO_COLUMN for a map or a list */
    bool list;     /* map or list: holds list positions */
    shape **kids;
    size_t n_kids, cap_kids;
};

typedef struct csv_cell {
    buf text;
    uint32_t line, col;
    bool quoted;
} csv_cell;

struct csv_reader {
    const char *file; /* interned */
    load_limits lim;
    int fd;           /* -1: reading memory */
    bool close_fd, own_block;
    const char *mem;
    size_t mem_len, mem_pos;
    char *block;      /* the input being scanned */
    size_t block_len, block_pos, chunk_start;
    bool eof;
    struct csv_parser parser;
    bool parser_live;
    char delim;
    /* Where the next byte stands. */
    uint32_t line, col;
    bool prev_cr;
    /* Where the piece being fed to libcsv started. */
    uint32_t chunk_line, chunk_col;
    bool at_row_start, in_field;
    uint32_t field_line, field_col;
    bool field_quoted;
    uint32_t row_line;
    size_t row_bytes;
    bool skipping;    /* after a quoting error: drop the rest of the line */
    bool row_done, too_many_cells;
    csv_cell *cells;
    size_t n_cells, cap_cells;
    char **names;     /* the header's column names */
    size_t n_columns;
    shape *root;
    size_t rows;
    bool failed;
};

/* ---- reading bytes ------------------------------------------------------- */

/* Moves what is left of the block to its start and reads more behind it.
 * Returns 0 or an errno value. */
static int refill(csv_reader *r)
{
    if (r->fd < 0) {
        /* Memory input is scanned in place: the whole of it is one block. */
        r->eof = true;
        return 0;
    }
    size_t keep = r->block_len - r->block_pos;
    memmove(r->block, r->block + r->block_pos, keep);
    r->block_len = keep;
    r->block_pos = 0;
    r->chunk_start = 0;
    for (;;) {
        ssize_t got = read(r->fd, r->block + r->block_len, CSV_BLOCK - r->block_len);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (got == 0) {
            r->eof = true;
            break;
        }
        r->block_len += (size_t)got;
        break;
    }
    return 0;
}

/* ---- libcsv callbacks ---------------------------------------------------- */

static void on_cell(void *s, size_t len, void *ud)
{
    csv_reader *r = ud;
    r->in_field = false;
    /* More cells than any header may name: the row is wrong anyway, and
     * keeping them all would let one bad row take all memory. */
    if (r->names && r->n_cells > r->n_columns) {
        r->too_many_cells = true;
        r->n_cells++;
        return;
    }
    if (r->n_cells == r->cap_cells) {
        size_t cap = r->cap_cells ? r->cap_cells * 2 : 16;
        r->cells = xrealloc(r->cells, cap * sizeof *r->cells);
        memset(r->cells + r->cap_cells, 0, (cap - r->cap_cells) * sizeof *r->cells);
        r->cap_cells = cap;
    }
    csv_cell *c = &r->cells[r->n_cells++];
    buf_reset(&c->text);
    buf_add(&c->text, s ? s : "", len);
    c->line = r->field_line;
    c->col = r->field_col;
    c->quoted = r->field_quoted;
}

static void on_row(int term, void *ud)
{
    (void)term;
    csv_reader *r = ud;
    r->row_done = true;
    r->at_row_start = true;
}

/* RFC 4180 keeps spaces around cells: they are part of the text. */
static int never_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void parser_start(csv_reader *r)
{
    if (r->parser_live)
        csv_free(&r->parser);
    csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
    csv_set_delim(&r->parser, (unsigned char)r->delim);
    csv_set_space_func(&r->parser, never_space);
    csv_set_realloc_func(&r->parser, xrealloc);
    csv_set_free_func(&r->parser, free);
    r->parser_live = true;
}

/* ---- scanning ------------------------------------------------------------ */

static void advance(csv_reader *r, unsigned char b)
{
    if (b == '\r') {
        r->line++;
        r->col = 1;
        r->prev_cr = true;
        return;
    }
    if (b == '\n') {
        if (!r->prev_cr)
            r->line++;
        r->col = 1;
    } else if ((b & 0xC0) != 0x80) {
        r->col++;
    }
    r->prev_cr = false;
}

/* The column of byte k of the piece being fed (a piece holds no line break
 * before its last byte). */
static uint32_t chunk_col_at(const csv_reader *r, size_t k)
{
    uint32_t col = r->chunk_col;
    for (size_t i = r->chunk_start; i < r->chunk_start + k; i++)
        if (((unsigned char)r->block[i] & 0xC0) != 0x80)
            col++;
    return col;
}

/* Feeds block[chunk_start, end) to libcsv. False on a quoting error
 * (reported): the row is dropped, and when its line goes on past the piece,
 * r->skipping drops the rest of the line. */
static bool feed(csv_reader *r, size_t end, diag *d)
{
    size_t n = end - r->chunk_start;
    size_t used = n ? csv_parse(&r->parser, r->block + r->chunk_start, n, on_cell, on_row, r) : 0;
    if (used != n) {
        diag_error(d,
                   (diag_place){.file = r->file, .line = r->chunk_line,
                                .col = chunk_col_at(r, used)},
                   "a quote in the wrong place: a cell with quotes in it must start and end "
                   "with a quote, and each quote inside must be doubled (\"\"); this row is "
                   "skipped");
        parser_start(r);
        char last = r->block[end - 1];
        r->skipping = last != '\n' && last != '\r';
        r->at_row_start = !r->skipping;
        r->in_field = false;
        r->n_cells = 0;
        r->too_many_cells = false;
    }
    r->chunk_start = end;
    r->chunk_line = r->line;
    r->chunk_col = r->col;
    return used == n;
}

typedef enum scan_result { SCAN_ROW, SCAN_BAD, SCAN_END, SCAN_FAILED } scan_result;

/* Reads on until libcsv finishes a row (SCAN_ROW, cells in r->cells), a row
 * is dropped for its quoting (SCAN_BAD), or the input ends. */
static scan_result scan_row(csv_reader *r, diag *d, int *io_error)
{
    r->n_cells = 0;
    r->row_done = false;
    r->too_many_cells = false;
    for (;;) {
        if (r->block_pos == r->block_len) {
            if (!feed(r, r->block_len, d) && !r->skipping)
                return SCAN_BAD;
            if (r->eof) {
                if (r->skipping) {
                    r->skipping = false;
                    return SCAN_BAD;
                }
                int before = csv_fini(&r->parser, on_cell, on_row, r);
                if (before != 0) {
                    diag_error(d,
                               (diag_place){.file = r->file, .line = r->field_line,
                                            .col = r->field_col},
                               "this quoted cell is never closed: the file ends before its "
                               "closing quote; add the quote where the cell should end");
                    parser_start(r);
                    r->n_cells = 0;
                    return SCAN_BAD;
                }
                return r->row_done ? SCAN_ROW : SCAN_END;
            }
            int err = refill(r);
            if (err) {
                diag_error(d, (diag_place){.file = r->file}, "cannot read the records: %s",
                           strerror(err));
                *io_error = err;
                return SCAN_FAILED;
            }
            continue;
        }
        if (r->in_field && !r->skipping && r->row_bytes < r->lim.max_bytes) {
            /* Inside a cell, up to the next delimiter or line break: only
             * the column and the row's length change (what advance does
             * for such bytes), so take them in one pass. */
            const unsigned char *p = (const unsigned char *)r->block;
            size_t i = r->block_pos;
            size_t end = r->block_len;
            if (end - i > r->lim.max_bytes - r->row_bytes)
                end = i + (r->lim.max_bytes - r->row_bytes);
            unsigned char delim = (unsigned char)r->delim;
            uint32_t cols = 0;
            while (i < end && p[i] != delim && p[i] != '\n' && p[i] != '\r') {
                cols += (p[i] & 0xC0) != 0x80;
                i++;
            }
            if (i > r->block_pos) {
                r->col += cols;
                r->prev_cr = false;
                r->row_bytes += i - r->block_pos;
                r->block_pos = i;
                continue;
            }
        }
        size_t i = r->block_pos;
        unsigned char b = (unsigned char)r->block[i];
        r->block_pos++;
        if (r->skipping) {
            advance(r, b);
            if (b == '\n' || b == '\r') {
                r->skipping = false;
                r->at_row_start = true;
                r->chunk_start = r->block_pos;
                r->chunk_line = r->line;
                r->chunk_col = r->col;
                return SCAN_BAD;
            }
            r->chunk_start = r->block_pos;
            r->chunk_line = r->line;
            r->chunk_col = r->col;
            continue;
        }
        if (!r->in_field) {
            if (r->at_row_start && (b == '\r' || b == '\n')) {
                /* A blank line: libcsv skips it too. */
                advance(r, b);
                r->chunk_start = r->block_pos;
                r->chunk_line = r->line;
                r->chunk_col = r->col;
                continue;
            }
            r->in_field = true;
            r->field_line = r->line;
            r->field_col = r->col;
            r->field_quoted = b == '"';
            if (r->at_row_start) {
                r->at_row_start = false;
                r->row_line = r->line;
                r->row_bytes = 0;
            }
        }
        advance(r, b);
        if (++r->row_bytes > r->lim.max_bytes) {
            diag_error(d, (diag_place){.file = r->file, .line = r->row_line},
                       "this row is longer than the limit of %zu bytes (is a closing quote "
                       "missing?); if it is genuine, raise the limit with --max-data-size",
                       r->lim.max_bytes);
            return SCAN_FAILED;
        }
        if (b == (unsigned char)r->delim || b == '\r' || b == '\n') {
            if (!feed(r, r->block_pos, d) && !r->skipping)
                return SCAN_BAD;
            if (r->row_done)
                return SCAN_ROW;
        }
    }
}

/* ---- the header ---------------------------------------------------------- */

static void shape_free(shape *s)
{
    if (!s)
        return;
    /* Header paths are at most max_depth deep: recursion is bounded. */
    for (size_t i = 0; i < s->n_kids; i++)
        shape_free(s->kids[i]);
    free(s->kids);
    free(s->key);
    free(s);
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0 || n > 9)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static shape *shape_child(shape *parent, const char *seg, size_t n, bool as_index)
{
    size_t index = as_index ? (size_t)strtoul(seg, NULL, 10) : 0;
    for (size_t i = 0; i < parent->n_kids; i++) {
        shape *k = parent->kids[i];
        if (as_index ? k->index == index
                     : strlen(k->key) == n && memcmp(k->key, seg, n) == 0)
            return k;
    }
    shape *k = xcalloc(1, sizeof *k);
    k->key = as_index ? NULL : xstrndup(seg, n);
    k->index = index;
    k->column = NO_COLUMN;
    if (parent->n_kids == parent->cap_kids) {
        parent->cap_kids = parent->cap_kids ? parent->cap_kids * 2 : 4;
        parent->kids = xrealloc(parent->kids, parent->cap_kids * sizeof *parent->kids);
    }
    parent->kids[parent->n_kids++] = k;
    return k;
}

/* The name of column c's path up to (not including) byte end, for messages. */
static const char *path_prefix(const csv_reader *r, size_t c, size_t end)
{
    return diag_quote(r->names[c], end);
}

/* Adds column c's dotted path to the shape. False (reported) when it
 * repeats or contradicts an earlier column. */
static bool shape_add(csv_reader *r, size_t c, diag *d)
{
    const char *name = r->names[c];
    const csv_cell *cell = &r->cells[c];
    diag_place at = {.file = r->file, .line = cell->line, .col = cell->col};
    shape *node = r->root;
    size_t depth = 0;
    const char *p = name;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 0) {
            diag_error(d, at,
                       "the column name \"%s\" has an empty part between dots; write names "
                       "like recipient.name or orgs.0.name",
                       diag_quote(name, strlen(name)));
            return false;
        }
        if (++depth > r->lim.max_depth) {
            diag_error(d, at,
                       "the column name \"%s\" nests deeper than the limit of %u levels; raise "
                       "it with --max-depth",
                       diag_quote(name, strlen(name)), r->lim.max_depth);
            return false;
        }
        bool as_index = node != r->root && all_digits(p, n);
        if (node->column != NO_COLUMN) {
            diag_error(d, at,
                       "the column \"%s\" puts a value inside \"%s\", which another column "
                       "already holds as a single value; rename one of them",
                       diag_quote(name, strlen(name)), r->names[node->column]);
            return false;
        }
        if (node->n_kids > 0 && node->list != as_index) {
            diag_error(d, at,
                       "the column \"%s\" uses \"%s\" as a %s, but other columns use it as a "
                       "%s; numbers after a dot are list positions (orgs.0.name), names are "
                       "fields (recipient.name)",
                       diag_quote(name, strlen(name)),
                       path_prefix(r, c, (size_t)(p - name) - 1),
                       as_index ? "list" : "map", node->list ? "list" : "map");
            return false;
        }
        node->list = as_index;
        size_t before = node->n_kids;
        shape *kid = shape_child(node, p, n, as_index);
        bool existed = node->n_kids == before;
        if (!dot) {
            if (existed) {
                const char *other =
                    kid->column != NO_COLUMN ? "is already a column" : "already has columns "
                                                                       "inside it";
                diag_error(d, at, "the column \"%s\" %s; each column name must be unique and "
                                  "no column may sit inside another",
                           diag_quote(name, strlen(name)), other);
                return false;
            }
            kid->column = c;
            return true;
        }
        node = kid;
        p = dot + 1;
    }
}

static int by_index(const void *a, const void *b)
{
    const shape *x = *(shape *const *)a, *y = *(shape *const *)b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Orders list positions and refuses gaps. Recursion is bounded by depth. */
static bool shape_check_lists(csv_reader *r, shape *s, buf *path, diag *d)
{
    if (s->list) {
        qsort(s->kids, s->n_kids, sizeof *s->kids, by_index);
        for (size_t i = 0; i < s->n_kids; i++) {
            if (s->kids[i]->index != i) {
                diag_error(d, (diag_place){.file = r->file, .line = 1},
                           "the header has columns for %s.%zu but none for %s.%zu: list "
                           "positions count from 0 without gaps",
                           path->data, s->kids[i]->index, path->data, i);
                return false;
            }
        }
    }
    for (size_t i = 0; i < s->n_kids; i++) {
        size_t len = path->len;
        if (len)
            buf_addc(path, '.');
        if (s->kids[i]->key)
            buf_adds(path, s->kids[i]->key);
        else
            buf_printf(path, "%zu", s->kids[i]->index);
        bool ok = shape_check_lists(r, s->kids[i], path, d);
        path->len = len;
        path->data[len] = '\0';
        if (!ok)
            return false;
    }
    return true;
}

static bool header_compile(csv_reader *r, diag *d)
{
    size_t errors = diag_error_count(d);
    if (r->n_cells > r->lim.max_nodes) {
        diag_error(d, (diag_place){.file = r->file, .line = r->row_line},
                   "the header names %zu columns, more than the limit of %zu values; raise it "
                   "with --max-nodes",
                   r->n_cells, r->lim.max_nodes);
        return false;
    }
    r->n_columns = r->n_cells;
    r->names = xcalloc(r->n_columns ? r->n_columns : 1, sizeof *r->names);
    r->root = xcalloc(1, sizeof *r->root);
    r->root->column = NO_COLUMN;
    for (size_t c = 0; c < r->n_columns; c++) {
        csv_cell *cell = &r->cells[c];
        diag_place at = {.file = r->file, .line = cell->line, .col = cell->col};
        size_t bad;
        const char *s = cell->text.data ? cell->text.data : "";
        size_t n = cell->text.len;
        if (!util_utf8_valid(s, n, &bad)) {
            diag_error(d, at,
                       "the header is not valid UTF-8 (byte 0x%02X); save the file as UTF-8 "
                       "(in Excel: \"CSV UTF-8\")",
                       (unsigned char)s[bad]);
            r->names[c] = xstrdup("");
            continue;
        }
        while (n && s[0] == ' ')
            s++, n--;
        while (n && s[n - 1] == ' ')
            n--;
        r->names[c] = xstrndup(s, n);
        if (n == 0) {
            diag_error(d, at,
                       "column %zu of the header has no name; name it (e.g. recipient.name) or "
                       "delete the column",
                       c + 1);
            continue;
        }
        if (memchr(s, '\n', n) || memchr(s, '\r', n)) {
            diag_error(d, at, "the column name \"%s\" has a line break in it; remove it",
                       diag_quote(s, n));
            continue;
        }
        shape_add(r, c, d);
    }
    if (diag_error_count(d) == errors) {
        buf path = {0};
        shape_check_lists(r, r->root, &path, d);
        buf_free(&path);
    }
    return diag_error_count(d) == errors;
}

/* ',' ';' or tab: whichever the first line holds most often outside
 * quotes; ',' when it holds none. */
static char guess_delimiter(const char *s, size_t n)
{
    size_t comma = 0, semi = 0, tab = 0;
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"')
            quoted = !quoted;
        else if (quoted)
            continue;
        else if (c == '\n' || c == '\r')
            break;
        else if (c == ',')
            comma++;
        else if (c == ';')
            semi++;
        else if (c == '\t')
            tab++;
    }
    if (semi > comma && semi >= tab)
        return ';';
    if (tab > comma && tab > semi)
        return '\t';
    return ',';
}

/* ---- records ------------------------------------------------------------- */

static const csv_cell *cell_of(const csv_reader *r, size_t column)
{
    return column < r->n_cells ? &r->cells[column] : NULL;
}

/* True when every cell below s is empty (or missing from a short row). */
static bool shape_empty(const csv_reader *r, const shape *s)
{
    if (s->column != NO_COLUMN) {
        const csv_cell *c = cell_of(r, s->column);
        return !c || c->text.len == 0;
    }
    for (size_t i = 0; i < s->n_kids; i++)
        if (!shape_empty(r, s->kids[i]))
            return false;
    return true;
}

static value *shape_build(const csv_reader *r, const shape *s)
{
    if (s->column != NO_COLUMN) {
        const csv_cell *c = cell_of(r, s->column);
        value *v = c ? value_new(VALUE_STRING, r->file, c->line, c->col)
                     : value_new(VALUE_STRING, r->file, r->row_line, 0);
        v->str = c ? xstrndup(c->text.data ? c->text.data : "", c->text.len) : xstrdup("");
        v->len = c ? c->text.len : 0;
        return v;
    }
    value *v = value_new(s->list ? VALUE_LIST : VALUE_MAP, r->file, r->row_line, 1);
    bool placed = false;
    for (size_t i = 0; i < s->n_kids; i++) {
        const shape *k = s->kids[i];
        if (s->list && shape_empty(r, k))
            continue;
        value *kv = shape_build(r, k);
        if (!placed && kv->col) {
            v->line = kv->line;
            v->col = kv->col;
            placed = true;
        }
        if (s->list)
            value_list_push(v, kv);
        else
            value_map_add(v, k->key, strlen(k->key), kv);
    }
    return v;
}

/* Where byte k of a cell's text stands in the file. */
static void cell_place(const csv_cell *c, size_t k, uint32_t *line, uint32_t *col)
{
    *line = c->line;
    *col = c->col + (c->quoted ? 1 : 0);
    const char *s = c->text.data;
    for (size_t i = 0; i < k; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b == '\n' || (b == '\r' && (i + 1 == k || s[i + 1] != '\n'))) {
            ++*line;
            *col = 1;
        } else if (b == '"' && c->quoted) {
            *col += 2;
        } else if ((b & 0xC0) != 0x80 && b != '\r') {
            ++*col;
        }
    }
}

static const char *delimiter_name(char delim)
{
    return delim == '\t' ? "a tab" : delim == ';' ? "a semicolon" : "a comma";
}

/* Checks a data row and makes its record. False when the row is wrong
 * (every problem reported). */
static bool row_record(csv_reader *r, value **record, diag *d)
{
    bool ok = true;
    if (r->too_many_cells || r->n_cells > r->n_columns) {
        const csv_cell *extra = &r->cells[r->n_columns];
        diag_error(d, (diag_place){.file = r->file, .line = extra->line, .col = extra->col},
                   "this row has %zu cells but the header names %zu columns; remove the extra "
                   "cells, or put quotes around a cell that holds %s",
                   r->n_cells, r->n_columns, delimiter_name(r->delim));
        ok = false;
    }
    size_t n = r->n_cells < r->n_columns ? r->n_cells : r->n_columns;
    for (size_t c = 0; c < n; c++) {
        const csv_cell *cell = &r->cells[c];
        size_t bad;
        if (util_utf8_valid(cell->text.data ? cell->text.data : "", cell->text.len, &bad))
            continue;
        uint32_t line, col;
        cell_place(cell, bad, &line, &col);
        diag_error(d, (diag_place){.file = r->file, .line = line, .col = col},
                   "the cell in column \"%s\" is not valid UTF-8 (byte 0x%02X); save the file "
                   "as UTF-8 (in Excel: \"CSV UTF-8\")",
                   r->names[c], (unsigned char)cell->text.data[bad]);
        ok = false;
    }
    if (ok)
        *record = shape_build(r, r->root);
    return ok;
}

/* ---- opening and reading ------------------------------------------------- */

static csv_reader *reader_new(const char *name, const load_csv_options *opt,
                              const load_limits *lim)
{
    csv_reader *r = xcalloc(1, sizeof *r);
    r->file = value_intern(name);
    r->lim = lim ? *lim : load_default_limits();
    if (r->lim.max_bytes == 0)
        r->lim.max_bytes = LOAD_DEFAULT_MAX_BYTES;
    r->fd = -1;
    r->line = r->col = 1;
    r->chunk_line = r->chunk_col = 1;
    r->at_row_start = true;
    r->delim = opt ? opt->delimiter : 0;
    return r;
}

/* Skips a byte-order mark, settles the delimiter, reads the header. */
static bool reader_start(csv_reader *r, diag *d, int *io_error)
{
    if (r->block_len >= 3 && memcmp(r->block, "\xEF\xBB\xBF", 3) == 0)
        r->block_pos = r->chunk_start = 3;
    if (!r->delim)
        r->delim = guess_delimiter(r->block + r->block_pos, r->block_len - r->block_pos);
    parser_start(r);
    size_t errors = diag_error_count(d);
    scan_result got = scan_row(r, d, io_error);
    if (got == SCAN_END && diag_error_count(d) == errors) {
        diag_error(d, (diag_place){.file = r->file},
                   "the records file is empty; its first line must name the columns (e.g. "
                   "recipient.name,recipient.email)");
        return false;
    }
    if (got != SCAN_ROW)
        return false;
    return header_compile(r, d);
}

csv_reader *load_csv_open_memory(const char *bytes, size_t n, const char *name,
                                 const load_csv_options *opt, const load_limits *lim, diag *d)
{
    csv_reader *r = reader_new(name ? name : "<records>", opt, lim);
    r->block = (char *)(bytes ? bytes : "");
    r->block_len = bytes ? n : 0;
    r->eof = true;
    int io = 0;
    if (!reader_start(r, d, &io)) {
        load_csv_close(r);
        return NULL;
    }
    return r;
}

csv_reader *load_csv_open(const char *path, const load_csv_options *opt, const load_limits *lim,
                          diag *d, int *io_error)
{
    *io_error = 0;
    bool is_stdin = strcmp(path, "-") == 0;
    csv_reader *r = reader_new(is_stdin ? "<stdin>" : path, opt, lim);
    r->fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    r->close_fd = !is_stdin && r->fd >= 0;
    r->block = xmalloc(CSV_BLOCK);
    r->own_block = true;
    int err = r->fd < 0 ? errno : refill(r);
    if (err) {
        diag_error(d, (diag_place){.file = r->file}, "cannot read the records file: %s",
                   strerror(err));
        *io_error = err;
        load_csv_close(r);
        return NULL;
    }
    if (!reader_start(r, d, io_error)) {
        load_csv_close(r);
        return NULL;
    }
    return r;
}

load_csv_status load_csv_next(csv_reader *r, value **record, load_csv_row *where, diag *d,
                              int *io_error)
{
    *record = NULL;
    if (r->failed)
        return LOAD_CSV_FAILED;
    int io = 0;
    scan_result got = scan_row(r, d, io_error ? io_error : &io);
    switch (got) {
    case SCAN_END:
        return LOAD_CSV_END;
    case SCAN_FAILED:
        r->failed = true;
        return LOAD_CSV_FAILED;
    case SCAN_BAD:
        r->rows++;
        if (where)
            *where = (load_csv_row){r->rows, r->row_line};
        return LOAD_CSV_BAD;
    case SCAN_ROW:
        break;
    }
    r->rows++;
    if (where)
        *where = (load_csv_row){r->rows, r->row_line};
    return row_record(r, record, d) ? LOAD_CSV_RECORD : LOAD_CSV_BAD;
}

char load_csv_delimiter(const csv_reader *r)
{
    return r->delim;
}

void load_csv_close(csv_reader *r)
{
    if (!r)
        return;
    if (r->parser_live)
        csv_free(&r->parser);
    if (r->close_fd)
        close(r->fd);
    if (r->own_block)
        free(r->block);
    for (size_t i = 0; i < r->cap_cells; i++)
        buf_free(&r->cells[i].text);
    free(r->cells);
    for (size_t i = 0; i < r->n_columns; i++)
        free(r->names[i]);
    free(r->names);
    shape_free(r->root);
    free(r);
}

bool load_csv_count_rows(const char *path, size_t *rows)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char *block = xmalloc(CSV_BLOCK);
    size_t lines = 0;
    bool quoted = false, line_has_text = false, ok = true;
    for (;;) {
        ssize_t got = read(fd, block, CSV_BLOCK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            ok = false;
            break;
        }
        if (got == 0)
            break;
        for (ssize_t i = 0; i < got; i++) {
            char c = block[i];
            if (c == '"') {
                quoted = !quoted;
                line_has_text = true;
            } else if ((c == '\n' || c == '\r') && !quoted) {
                lines += line_has_text;
                line_has_text = false;
            } else {
                line_has_text = true;
            }
        }
    }
    lines += line_has_text;
    free(block);
    close(fd);
    *rows = lines ? lines - 1 : 0;
    return ok;
}
