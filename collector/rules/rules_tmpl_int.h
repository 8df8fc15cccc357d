/*  rules_tmpl_int.h - a compiled template, shared by the compiler
 *  (rules_tmpl.c) and the expander (rules_tmpl_expand.c). */
#ifndef RULES_TMPL_INT_H
#define RULES_TMPL_INT_H

#include "rules_tmpl.h"

#include <stddef.h>

typedef enum {
    S_ROOT_DOT,        /* . or $ */
    S_ROOT_VALUE,      /* $value */
    S_ROOT_LABELS,     /* $labels */
    S_ROOT_EXT_LABELS, /* $externalLabels */
    S_ROOT_EXT_URL,    /* $externalURL */
} rules_tmpl_root_t;

typedef enum {
    S_ARG_NUMBER,
    S_ARG_STRING,
    S_ARG_VAR,  /* a variable or .Field chain */
    S_ARG_FUNC, /* a function name */
    S_ARG_PIPE, /* ( pipeline ) */
} rules_tmpl_arg_kind_t;

typedef struct rules_tmpl_pipe_t rules_tmpl_pipe_t;

typedef struct {
    rules_tmpl_arg_kind_t kind;
    double num;
    char *str;              /* STRING: the text; FUNC: the name */
    rules_tmpl_root_t root; /* VAR */
    char **fields;
    size_t nfields;
    rules_tmpl_pipe_t *pipe;
} rules_tmpl_arg_t;

typedef struct {
    rules_tmpl_arg_t *args;
    size_t nargs;
} rules_tmpl_cmd_t;

struct rules_tmpl_pipe_t {
    rules_tmpl_cmd_t *cmds;
    size_t ncmds;
};

typedef struct {
    char *text;              /* a text piece, or NULL for an action */
    rules_tmpl_pipe_t *pipe; /* an action */
} rules_tmpl_piece_t;

struct rules_tmpl_t {
    rules_tmpl_piece_t *pieces;
    size_t n;
};

#endif
