#!/usr/bin/env bash
# `npm run stop`: stops a stack started by `npm start` (in any terminal): offline first so in-flight batches are
# committed, then the broker, then PostgreSQL. Honours POSTTRADE_DATA_DIR like start.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if pid=$(running_pid stack); then
  # The supervisor stops its components in order and exits; wait for it.
  say "stopping the stack (pid $pid)"
  kill -TERM "$pid"
  if ! wait_gone "$pid" $((STOP_TIMEOUT[offline] + STOP_TIMEOUT[broker] + STOP_TIMEOUT[postgres] + 10)); then
    say "the supervisor did not exit; stopping the components directly"
  fi
fi
# Components left behind by a supervisor that died (or the case above).
stop_components
rm -f "$(pid_file stack)"
say "stopped (data $DATA_DIR)"
