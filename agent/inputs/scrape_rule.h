/*  scrape_rule.h - the rules an exposition can break, one name each.
 *
 *  Every error the exposition parser reports names one of these; the scrape
 *  input counts invalid expositions by that name (the reason label of
 *  scrape_invalid_total) and logs it beside the line and column. The names
 *  are stable: operators alert on them. docs/inputs/scrape.md lists each with
 *  an exposition that breaks it (tests/data/exposition/ holds them all).
 */
#ifndef SCRAPE_RULE_H
#define SCRAPE_RULE_H

typedef enum {
    SCRAPE_RULE_NONE = 0,
    /* lines and tokens */
    SCRAPE_RULE_LINE_SYNTAX,     /* a token missing, malformed or badly spaced */
    SCRAPE_RULE_BLANK_LINE,      /* OpenMetrics has no empty lines */
    SCRAPE_RULE_COMMENT,         /* OpenMetrics: a # line other than TYPE, HELP, UNIT, EOF */
    SCRAPE_RULE_CARRIAGE_RETURN, /* lines end with LF alone */
    SCRAPE_RULE_FINAL_NEWLINE,   /* 0.0.4: the last line ends with a LF */
    SCRAPE_RULE_UTF8,            /* a label value or HELP text that is not UTF-8 */
    SCRAPE_RULE_METRIC_NAME,     /* not [a-zA-Z_:][a-zA-Z0-9_:]* */
    SCRAPE_RULE_LABEL_SYNTAX,    /* braces, '=', quotes, commas */
    SCRAPE_RULE_LABEL_NAME,      /* not [a-zA-Z_][a-zA-Z0-9_]* */
    SCRAPE_RULE_LABEL_DUPLICATE, /* a label name twice on one sample */
    SCRAPE_RULE_RESERVED_NAME,   /* a reserved metric or label name */
    SCRAPE_RULE_ESCAPE,          /* 0.0.4: an escape other than \\, \" and \n */
    SCRAPE_RULE_VALUE,           /* not a number */
    SCRAPE_RULE_TIMESTAMP,       /* not a timestamp */
    /* metadata */
    SCRAPE_RULE_METADATA_SYNTAX,        /* a malformed TYPE, HELP or UNIT line */
    SCRAPE_RULE_TYPE_UNKNOWN,           /* a type the format does not have */
    SCRAPE_RULE_METADATA_REPEATED,      /* a second TYPE, HELP or UNIT for a family */
    SCRAPE_RULE_METADATA_AFTER_SAMPLES, /* TYPE (OpenMetrics: any metadata) after samples */
    SCRAPE_RULE_UNIT,                   /* a unit the name does not end with, or not allowed */
    /* families and metrics */
    SCRAPE_RULE_FAMILY_INTERLEAVED, /* OpenMetrics: a family's lines after another's */
    SCRAPE_RULE_NAME_CLASH,         /* OpenMetrics: two families whose sample names clash */
    SCRAPE_RULE_SUFFIX,             /* a sample name the family's type cannot have */
    SCRAPE_RULE_METRIC_INTERLEAVED, /* OpenMetrics: a metric's samples after another's */
    SCRAPE_RULE_TIMESTAMP_ORDER,    /* OpenMetrics: a metric's timestamps go back or mix */
    /* values */
    SCRAPE_RULE_COUNTER_VALUE,  /* a count, sum or total that is negative or NaN */
    SCRAPE_RULE_INTEGER_VALUE,  /* OpenMetrics: a bucket or count that is not an integer */
    SCRAPE_RULE_STATESET,       /* OpenMetrics: a state not 0 or 1, or without its label */
    SCRAPE_RULE_INFO_VALUE,     /* OpenMetrics: an info value other than 1 */
    SCRAPE_RULE_QUANTILE_VALUE, /* OpenMetrics: a negative quantile value */
    /* histograms and summaries */
    SCRAPE_RULE_BUCKET_LABEL,        /* le missing, not a number, or where it cannot be */
    SCRAPE_RULE_QUANTILE_LABEL,      /* quantile missing, not a number, or outside [0, 1] */
    SCRAPE_RULE_BUCKET_ORDER,        /* buckets not in increasing le order */
    SCRAPE_RULE_QUANTILE_ORDER,      /* 0.0.4: quantiles not in increasing order */
    SCRAPE_RULE_BUCKET_CUMULATIVE,   /* OpenMetrics: a bucket below the one before */
    SCRAPE_RULE_BUCKET_INF,          /* no le="+Inf" bucket */
    SCRAPE_RULE_COUNT_MISMATCH,      /* _count differs from the +Inf bucket */
    SCRAPE_RULE_COUNT_SUM,           /* OpenMetrics: _sum without _count, or the reverse */
    SCRAPE_RULE_NEGATIVE_BUCKET_SUM, /* OpenMetrics: a sum that negative buckets forbid */
    /* exemplars */
    SCRAPE_RULE_EXEMPLAR,           /* a malformed exemplar */
    SCRAPE_RULE_EXEMPLAR_PLACEMENT, /* an exemplar on a sample that cannot have one */
    SCRAPE_RULE_EXEMPLAR_SIZE,      /* exemplar labels over 128 characters */
    SCRAPE_RULE_EXEMPLAR_VALUE,     /* an exemplar above its bucket's bound */
    /* the end */
    SCRAPE_RULE_EOF_MISSING, /* OpenMetrics: no # EOF at the end */
    SCRAPE_RULE_AFTER_EOF,   /* OpenMetrics: anything after # EOF */
    /* what the input allows, beyond the specifications */
    SCRAPE_RULE_SAMPLE_LIMIT, /* more samples than max_samples */
    SCRAPE_RULE_LABEL_LIMIT,  /* a sample over max_label_count or max_label_length */
    SCRAPE_RULE_BODY_LIMIT,   /* a body larger than max_body */
    SCRAPE_RULE_CONTENT_TYPE, /* a Content-Type that names no text exposition format */
    SCRAPE_RULE_COUNT
} scrape_rule_t;

/* "line_syntax", "counter_value", ...: the reason label and the log's word. */
const char *scrape_rule_name (scrape_rule_t rule);

#endif
