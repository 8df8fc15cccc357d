#!/usr/bin/env bash
# collector-kill9 - the collector SIGKILLed 20 times during 5 minutes while 50
# agents send: every acknowledged sample stored, none twice.
# (collector-kill9-short is the variant CI runs.)
set -euo pipefail
source "$(dirname "$0")/../lib/collector.sh"
kill9_case collector-kill9 50 300 20
