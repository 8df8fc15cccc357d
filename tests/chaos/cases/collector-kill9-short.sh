#!/usr/bin/env bash
# chaos: short
# collector-kill9-short - the collector SIGKILLed 4 times during 25 s while 10
# agents send: every acknowledged sample stored, none twice.
set -euo pipefail
source "$(dirname "$0")/../lib/collector.sh"
kill9_case collector-kill9-short 10 25 4
