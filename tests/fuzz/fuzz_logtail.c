/*  fuzz_logtail.c - libFuzzer target for the log rule engine.
 *
 *  A fixed rule set - regex rules for access-log and application lines, JSON
 *  rules with nested paths, array elements, an escaped key, where conditions
 *  and numbers that may come as strings - is applied to the input split into
 *  lines, as the follower hands them out. Every input ends with an emit into
 *  a batch, so label values reach the batch builder as they would on a host.
 *  The rule set lives across inputs (compiling JIT regexes per input would
 *  leave little time for fuzzing); max_series keeps its tables small.
 */
#include "agent_sink.h"
#include "logtail_json.h"
#include "logtail_rules.h"
#include "vg_batch.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static logtail_rules_t *s_rules;
static vg_batch_t *s_batch;

static void
s_add (const logtail_rule_spec_t *spec)
{
    char err[512];
    if (logtail_rules_add (s_rules, spec, err, sizeof err) != 0) {
        fprintf (stderr, "fuzz_logtail: rule %s: %s\n", spec->name, err);
        abort ();
    }
}

static void
s_setup (void)
{
    s_rules = logtail_rules_new ();
    s_batch = vg_batch_new ("fuzz-agent", "fuzz-host");

    static const vg_label_t access[] = {
        {"method", "method"}, {"path", "path"}, {"status", "status"}};
    s_add (&(logtail_rule_spec_t){
        .name = "access_seconds",
        .type = LOGTAIL_RULE_DISTRIBUTION,
        .regex = "^(?<addr>\\S+) \\S+ \\S+ \\[[^\\]]+\\] \"(?<method>[A-Z]+) (?<path>[^ ?\"]*)"
                 "[^ \"]* [^\"]*\" (?<status>\\d{3}) (?<bytes>\\d+|-)(?: \"[^\"]*\" \"[^\"]*\")?"
                 "(?: (?<rt>[\\d.]+|-))?$",
        .value = "rt",
        .labels = access,
        .nlabels = 3,
        .max_series = 64});
    s_add (&(logtail_rule_spec_t){.name = "access_bytes_total",
                                  .regex = "\" \\d{3} (?<bytes>\\d+) ",
                                  .value = "bytes",
                                  .max_series = 64});
    static const vg_label_t app[] = {{"level", "level"}, {"logger", "logger"}};
    s_add (&(logtail_rule_spec_t){
        .name = "app_errors_total",
        .regex = "^\\S+ \\S+ (?<level>ERROR|CRITICAL|WARN\\w*) \\[[^\\]]*\\] (?<logger>[\\w.]+)?:",
        .match = "(?i)error|critical|warn",
        .labels = app,
        .nlabels = 2,
        .max_series = 64});
    s_add (&(logtail_rule_spec_t){.name = "app_last_gauge",
                                  .type = LOGTAIL_RULE_GAUGE,
                                  .regex = "queue=(?<q>[-+.\\deE]+)",
                                  .value = "q"});

    static const vg_label_t chat[] = {{"endpoint", "jsonPayload.endpoint"},
                                      {"persona", "jsonPayload.persona_used"},
                                      {"status", "status_code"},
                                      {"first", "items[0]"},
                                      {"nested", "a.b[1][2].c"}};
    s_add (&(logtail_rule_spec_t){.name = "json_request_seconds",
                                  .type = LOGTAIL_RULE_DISTRIBUTION,
                                  .json = 1,
                                  .value = "jsonPayload.process_time_ms",
                                  .value_scale = 0.001,
                                  .labels = chat,
                                  .nlabels = 5,
                                  .max_series = 64});
    static const vg_label_t where[] = {{"severity", "ERROR"}, {"jsonPayload.ok", "false"}};
    static const vg_label_t key[] = {{"dotted", "odd\\.key"}, {"model", "usage.model"}};
    s_add (&(logtail_rule_spec_t){.name = "json_errors_total",
                                  .json = 1,
                                  .where = where,
                                  .nwhere = 2,
                                  .labels = key,
                                  .nlabels = 2,
                                  .max_series = 64});
    s_add (&(logtail_rule_spec_t){
        .name = "json_tokens_total", .json = 1, .value = "usage.tokens", .match = "tokens"});
    s_add (&(logtail_rule_spec_t){.name = "json_payloads_total",
                                  .json = 1,
                                  .labels = (const vg_label_t[]){{"p", "jsonPayload"}},
                                  .nlabels = 1,
                                  .max_series = 8});
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_rules)
        s_setup ();
    /* The line starts and lengths the follower would hand out. Each line is
     * also tried as the payload of an error record, so that the fuzzer
     * reaches the nested paths without a seed corpus. */
    static const char prefix[] = "{\"severity\":\"ERROR\",\"jsonPayload\":";
    static char wrapped[4096];
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        logtail_rules_line (s_rules, p, len);
        if (len + sizeof prefix + 1 <= sizeof wrapped) {
            memcpy (wrapped, prefix, sizeof prefix - 1);
            memcpy (wrapped + sizeof prefix - 1, p, len);
            wrapped[sizeof prefix - 1 + len] = '}';
            logtail_rules_line (s_rules, wrapped, sizeof prefix + len);
        }
        p += len + 1;
    }
    agent_sink_t *sink = agent_sink_new (s_batch, 1700000000000LL, NULL, 0);
    logtail_rules_emit (s_rules, sink);
    agent_sink_destroy (&sink);
    vg_batch_clear (s_batch);

    /* The number parser alone, on the whole input. */
    double v;
    if (logtail_json_parse_number ((const char *)data, size, &v) == 0 && v != v)
        abort (); /* never NaN */
    return 0;
}
