/*  report_model.h - a report as data, between the queries that fill it
 *  (report_query.c) and the renderers (markdown, JSON, HTML).
 *
 *  A report is a list of sections; a section has key figures and tables, or
 *  says why it has nothing to show ("none": no data in the period, or not
 *  configured) - never a zero in place of a missing figure. Charts are lines
 *  of values over the period's steps, and deploys mark them.
 */
#ifndef REPORT_MODEL_H
#define REPORT_MODEL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double v;
    int has; /* 0: no data (rendered "-", null in JSON) */
} report_val_t;

typedef enum {
    REPORT_UNIT_COUNT,    /* 12,345 */
    REPORT_UNIT_PERCENT,  /* a share, 0..1, shown as 1.23 % */
    REPORT_UNIT_SECONDS,  /* 1.234 s, 850 ms */
    REPORT_UNIT_BYTES,    /* 850 MB */
    REPORT_UNIT_MONEY,    /* 12.34 (the report's currency) */
    REPORT_UNIT_CPU,      /* 12.5 % (of one CPU) */
    REPORT_UNIT_RATE,     /* 3.2/min */
    REPORT_UNIT_DURATION, /* seconds as people say a wait: 45 s, 12m 30s, 3h 05m, 2d 4h */
} report_unit_t;

#define REPORT_MAX_COLS 8

typedef struct {
    char *key;
    report_val_t vals[REPORT_MAX_COLS];
    char *note; /* after the row: "⚠"; may be NULL */
} report_row_t;

typedef struct {
    char *id;    /* stable, for JSON: "by_status" */
    char *title; /* "By status code" */
    char *key_name;
    size_t ncols;
    const char *col_ids[REPORT_MAX_COLS];   /* for JSON: "requests" */
    const char *col_names[REPORT_MAX_COLS]; /* for people: "Requests" */
    report_unit_t col_units[REPORT_MAX_COLS];
    report_row_t *rows;
    size_t nrows, rows_cap;
} report_table_t;

typedef struct {
    const char *id;    /* "p95" */
    const char *label; /* "P95" */
    report_val_t val;
    report_unit_t unit;
    char *note; /* shown after the value: "(api-1)"; may be NULL */
} report_fig_t;

#define REPORT_MAX_FIGS   10
#define REPORT_MAX_TABLES 3

typedef struct {
    const char *id;    /* "requests", "latency"... */
    const char *title; /* "Requests and success rate" */
    char *none;        /* why it shows nothing; NULL when it has figures or tables */
    char *warning;     /* a warning to put forward (the P95 drifting up); may be NULL */
    report_fig_t figs[REPORT_MAX_FIGS];
    size_t nfigs;
    report_table_t tables[REPORT_MAX_TABLES];
    size_t ntables;
} report_section_t;

#define REPORT_MAX_LINES 3

typedef struct {
    const char *name;   /* "P95" */
    report_val_t *vals; /* one per point */
} report_line_t;

typedef struct {
    const char *id, *title;
    report_unit_t unit;
    size_t npoints;
    int64_t *ts_ms; /* the start of each step */
    char **labels;  /* each step's local time, for the x axis: "13:00", "06-09" */
    report_line_t lines[REPORT_MAX_LINES];
    size_t nlines;
} report_chart_t;

/* A deploy: a row of the deploys section and a marker on every chart. */
typedef struct {
    int64_t ts_ms;
    char *when; /* local time: "2025-06-15 10:30" */
    char *service, *version, *note, *source;
} report_mark_t;

#define REPORT_MAX_SECTIONS 20
#define REPORT_MAX_CHARTS   6

typedef struct {
    char *kind;     /* daily, weekly, monthly */
    char *tz;       /* Asia/Seoul */
    char *selector; /* as given, "" for none */
    char *first_day, *last_day;
    char *currency;
    int64_t from_ms, to_ms, generated_ms;
    char *step_name; /* "hour" or "day": the rows of the by-time table */
    report_section_t sections[REPORT_MAX_SECTIONS];
    size_t nsections;
    report_chart_t charts[REPORT_MAX_CHARTS];
    size_t ncharts;
    report_mark_t *marks;
    size_t nmarks;
} report_t;

/* A new, empty report; caller owns it. */
report_t *report_model_new (void);
void report_model_destroy (report_t **self_p);

/* The next section, titled; NULL past REPORT_MAX_SECTIONS (never, with the
 * sections a report has). */
report_section_t *report_model_section (report_t *self, const char *id, const char *title);
/* Says why the section shows nothing (printf-style), emptying its tables. */
void report_model_none (report_section_t *section, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
void report_model_fig (report_section_t *section, const char *id, const char *label,
                       report_val_t val, report_unit_t unit, const char *note);
report_table_t *report_model_table (report_section_t *section, const char *id, const char *title,
                                    const char *key_name);
void report_model_col (report_table_t *table, const char *id, const char *name, report_unit_t unit);
/* The row of key, or NULL. */
report_row_t *report_model_find (report_table_t *table, const char *key);
/* The row of key (made when new). */
report_row_t *report_model_row (report_table_t *table, const char *key);
/* Sorts the rows by column col, largest first, rows without it last. */
void report_model_sort_desc (report_table_t *table, size_t col);
/* Keeps the first n rows. */
void report_model_truncate (report_table_t *table, size_t n);
report_chart_t *report_model_chart (report_t *self, const char *id, const char *title,
                                    report_unit_t unit, size_t npoints);

/* A value, or a missing one. */
static inline report_val_t
report_val (double v)
{
    return (report_val_t){v, 1};
}
static inline report_val_t
report_val_none (void)
{
    return (report_val_t){0, 0};
}

#endif
