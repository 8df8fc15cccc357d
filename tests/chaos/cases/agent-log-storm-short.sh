#!/usr/bin/env bash
# chaos: short
# agent-log-storm-short: agent-log-storm at 20k lines/s for 15 s, 4 kills.
STORM_RATE=20000 STORM_SECONDS=15 STORM_KILLS=4 CHAOS_NAME=agent-log-storm-short \
    exec bash "$(dirname "${BASH_SOURCE[0]}")/agent-log-storm.sh"
