/* tpl_prog.h: the inside of a compiled program, private to the compiler
 * (tpl.c) and the renderer (render.c); everyone else sees tpl_program as an
 * opaque type. Nothing here changes after tpl_builder_finish returns, so one
 * program can be rendered by many threads at once. */
#ifndef CASEPACK_TPL_PROG_H
#define CASEPACK_TPL_PROG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "filters.h"
#include "tpl.h"
#include "value.h"

typedef enum tpl_path_kind {
    TPL_PATH_NAMES,  /* a, a.b.c: the first name found up the context stack */
    TPL_PATH_DOT,    /* .: the top of the context stack */
    TPL_PATH_INDEX,  /* @index: 0-based, innermost list iteration */
    TPL_PATH_NUMBER, /* @number: 1-based */
    TPL_PATH_FIRST,  /* @first */
    TPL_PATH_LAST,   /* @last */
    TPL_PATH_AUTHORITIES /* authorities: the citations used so far (render_authorities_fn) */
} tpl_path_kind;

/* One name of a dotted path, as bytes of tpl_path.text. */
typedef struct tpl_seg {
    size_t off, len;
} tpl_seg;

typedef struct tpl_path {
    tpl_path_kind kind;
    char *text;     /* as written ("a.b.c"): owned, for messages */
    tpl_seg *segs;  /* TPL_PATH_NAMES only: owned */
    size_t n_segs;
} tpl_path;

/* A filter argument: a literal (string or number), or a data path resolved
 * at render time. */
typedef struct tpl_arg {
    value *literal; /* owned; NULL for a path */
    tpl_path path;
} tpl_arg;

typedef struct tpl_call {
    const filter_def *def;
    tpl_arg *args; /* owned */
    size_t n_args;
} tpl_call;

typedef enum tpl_op_kind {
    TPL_OP_STATIC,   /* chunks[off, off+len) */
    TPL_OP_VALUE,    /* path | calls → the sink */
    TPL_OP_SECTION,  /* jump: the index of its END */
    TPL_OP_INVERTED, /* jump: the index of its END */
    TPL_OP_END,      /* jump: the index of its opener */
    TPL_OP_PARTIAL,  /* name, indent */
    TPL_OP_CITE      /* args[0] the key, args[1] the pinpoint if n_args is 2 → the sink */
} tpl_op_kind;

typedef struct tpl_op {
    tpl_op_kind kind;
    bool escape;      /* VALUE, CITE: false for {{{x}}} and {{&x}} */
    bool has_default; /* a `default` filter: a missing name is expected, even under --strict */
    uint32_t ctx;     /* VALUE, CITE: the adapter's output context */
    size_t off, len;  /* STATIC */
    size_t jump;      /* SECTION, INVERTED, END */
    tpl_path path;    /* VALUE, SECTION, INVERTED */
    tpl_call *calls;  /* VALUE, SECTION, INVERTED: owned */
    size_t n_calls;
    char *name;       /* PARTIAL: owned */
    char *indent;     /* PARTIAL: the whitespace before a standalone tag, "" inline: owned */
    tpl_arg *args;    /* CITE: a literal or a path each: owned */
    size_t n_args;
    char *tag;        /* VALUE, SECTION, INVERTED, PARTIAL, CITE: the tag as written */
    diag_place where; /* file and part point into the program */
} tpl_op;

/* A tag as the author wrote it, for tpl_each_tag. */
typedef struct tpl_tag_rec {
    tpl_tag_kind kind;
    char *body;       /* owned */
    char *path;       /* owned; NULL for comments, partials, delimiters, @-names */
    diag_place where;
} tpl_tag_rec;

struct tpl_program {
    char *file;     /* owned */
    char *chunks;   /* every static byte, contiguous: owned */
    size_t chunks_len, chunks_cap;
    tpl_op *ops;
    size_t n_ops, cap_ops;
    tpl_tag_rec *tags;
    size_t n_tags, cap_tags;
    char **strings; /* part names and other files places point at: owned */
    size_t n_strings, cap_strings;
};

#endif
