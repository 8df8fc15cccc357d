#!/usr/bin/env bash
# chaos: short
# agent-cutoff-short: agent-cutoff with a 30 s cut-off.
CUTOFF_SECONDS=30 CHAOS_NAME=agent-cutoff-short \
    exec bash "$(dirname "${BASH_SOURCE[0]}")/agent-cutoff.sh"
