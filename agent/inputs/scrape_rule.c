/*  scrape_rule.c - the names of the rules an exposition can break. */
#include "scrape_rule.h"

static const char *const s_names[SCRAPE_RULE_COUNT] = {
    [SCRAPE_RULE_NONE] = "none",
    [SCRAPE_RULE_LINE_SYNTAX] = "line_syntax",
    [SCRAPE_RULE_BLANK_LINE] = "blank_line",
    [SCRAPE_RULE_COMMENT] = "comment",
    [SCRAPE_RULE_CARRIAGE_RETURN] = "carriage_return",
    [SCRAPE_RULE_FINAL_NEWLINE] = "final_newline",
    [SCRAPE_RULE_UTF8] = "utf8",
    [SCRAPE_RULE_METRIC_NAME] = "metric_name",
    [SCRAPE_RULE_LABEL_SYNTAX] = "label_syntax",
    [SCRAPE_RULE_LABEL_NAME] = "label_name",
    [SCRAPE_RULE_LABEL_DUPLICATE] = "label_duplicate",
    [SCRAPE_RULE_RESERVED_NAME] = "reserved_name",
    [SCRAPE_RULE_ESCAPE] = "escape",
    [SCRAPE_RULE_VALUE] = "value",
    [SCRAPE_RULE_TIMESTAMP] = "timestamp",
    [SCRAPE_RULE_METADATA_SYNTAX] = "metadata_syntax",
    [SCRAPE_RULE_TYPE_UNKNOWN] = "type_unknown",
    [SCRAPE_RULE_METADATA_REPEATED] = "metadata_repeated",
    [SCRAPE_RULE_METADATA_AFTER_SAMPLES] = "metadata_after_samples",
    [SCRAPE_RULE_UNIT] = "unit",
    [SCRAPE_RULE_FAMILY_INTERLEAVED] = "family_interleaved",
    [SCRAPE_RULE_NAME_CLASH] = "name_clash",
    [SCRAPE_RULE_SUFFIX] = "suffix",
    [SCRAPE_RULE_METRIC_INTERLEAVED] = "metric_interleaved",
    [SCRAPE_RULE_TIMESTAMP_ORDER] = "timestamp_order",
    [SCRAPE_RULE_COUNTER_VALUE] = "counter_value",
    [SCRAPE_RULE_INTEGER_VALUE] = "integer_value",
    [SCRAPE_RULE_STATESET] = "stateset",
    [SCRAPE_RULE_INFO_VALUE] = "info_value",
    [SCRAPE_RULE_QUANTILE_VALUE] = "quantile_value",
    [SCRAPE_RULE_BUCKET_LABEL] = "bucket_label",
    [SCRAPE_RULE_QUANTILE_LABEL] = "quantile_label",
    [SCRAPE_RULE_BUCKET_ORDER] = "bucket_order",
    [SCRAPE_RULE_QUANTILE_ORDER] = "quantile_order",
    [SCRAPE_RULE_BUCKET_CUMULATIVE] = "bucket_cumulative",
    [SCRAPE_RULE_BUCKET_INF] = "bucket_inf",
    [SCRAPE_RULE_COUNT_MISMATCH] = "count_mismatch",
    [SCRAPE_RULE_COUNT_SUM] = "count_sum",
    [SCRAPE_RULE_NEGATIVE_BUCKET_SUM] = "negative_bucket_sum",
    [SCRAPE_RULE_EXEMPLAR] = "exemplar",
    [SCRAPE_RULE_EXEMPLAR_PLACEMENT] = "exemplar_placement",
    [SCRAPE_RULE_EXEMPLAR_SIZE] = "exemplar_size",
    [SCRAPE_RULE_EXEMPLAR_VALUE] = "exemplar_value",
    [SCRAPE_RULE_EOF_MISSING] = "eof_missing",
    [SCRAPE_RULE_AFTER_EOF] = "after_eof",
    [SCRAPE_RULE_SAMPLE_LIMIT] = "sample_limit",
    [SCRAPE_RULE_LABEL_LIMIT] = "label_limit",
    [SCRAPE_RULE_BODY_LIMIT] = "body_limit",
    [SCRAPE_RULE_CONTENT_TYPE] = "content_type",
};

const char *
scrape_rule_name (scrape_rule_t rule)
{
    if ((unsigned)rule < SCRAPE_RULE_COUNT && s_names[rule])
        return s_names[rule];
    return "unknown";
}
