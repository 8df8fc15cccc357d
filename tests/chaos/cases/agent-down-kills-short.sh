#!/usr/bin/env bash
# chaos: short
# agent-down-kills-short: agent-down-kills with 5 agents, 20 s down, 6 kills.
DOWN_AGENTS=5 DOWN_SECONDS=20 DOWN_KILLS=6 CHAOS_NAME=agent-down-kills-short \
    exec bash "$(dirname "${BASH_SOURCE[0]}")/agent-down-kills.sh"
