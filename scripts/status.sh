#!/usr/bin/env bash
# `npm run status`: which parts of the stack run. Exit 0 when all run, 3 when none does, 1 when only some do.
# When all run, it also shows whether the pipeline keeps up (`posttrade status`, whose own exit code is 0 healthy,
# 1 degraded, 2 down); that verdict does not change this script's exit code, which is about the processes.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

declare -A WHERE=([postgres]="port $PG_PORT" [broker]="port $KAFKA_PORT" [offline]="http port $HTTP_PORT")
PROBE_SECONDS=5
# serverless-offline's Lambda HTTP server answers any request at once (404 for an unknown path) while its event loop
# runs; no answer means the process is wedged, however alive its pid is.
offline_responds() {
  curl --silent --output /dev/null --max-time "$PROBE_SECONDS" "http://localhost:$LAMBDA_PORT/"
}
# restarts NAME: one line on how often the stack restarted NAME, when last and why (run/NAME.restarts).
restarts() {
  local file=$RUN_DIR/$1.restarts count at reason
  [[ -s $file ]] || return 0
  count=$(wc -l <"$file")
  read -r at reason < <(tail -n 1 "$file")
  printf '          restarted %s time(s), last %s: %s\n' "$count" "$(date -u -d "@$at" '+%Y-%m-%d %H:%M:%S UTC')" \
    "$reason"
}
rss_mb() { ps -o rss= -p "$1" 2>/dev/null | awk '{ printf "%d", $1 / 1024 }'; }

running=0 total=0
external_db=$(grep -s '^EXTERNAL_DATABASE=yes' "$RUN_DIR/stack.env")
for name in stack "${COMPONENTS[@]}"; do
  total=$((total + 1))
  if [[ $name == postgres && -n $external_db ]] && running_pid stack >/dev/null; then
    running=$((running + 1))
    printf '%-9s external (DATABASE_URL), not managed by the stack\n' "$name"
  elif pid=$(running_pid "$name"); then
    if [[ -f $RUN_DIR/$name.starting ]]; then
      # Restarted by the stack and not serving yet (not counted as running).
      printf '%-9s STARTING pid %-7s restarted by the stack, not ready yet\n' "$name" "$pid"
      restarts "$name"
      continue
    fi
    if [[ $name == offline ]] && ! offline_responds; then
      # Alive but deaf: its event loop is blocked (a heap near its limit spends it in GC), so Kafka batches and
      # heartbeats stall too. Counted as not running.
      printf '%-9s NOT RESPONDING  pid %-7s rss %s MB; lambda port %s gave no answer in %s s (see %s)\n' \
        "$name" "$pid" "$(rss_mb "$pid")" "$LAMBDA_PORT" "$PROBE_SECONDS" "$LOG_DIR/$name.log"
      restarts "$name"
      continue
    fi
    running=$((running + 1))
    printf '%-9s running  pid %-7s %s\n' "$name" "$pid" "${WHERE[$name]:-}"
  elif [[ -f $(pid_file "$name") ]]; then
    # The pid file outlived its process: it died without a stop (crash, out of memory, kill -9).
    if [[ $name != stack ]] && running_pid stack >/dev/null; then
      printf '%-9s DEAD     pid %-7s exited without a stop; the stack is restarting it\n' "$name" \
        "$(<"$(pid_file "$name")")"
    else
      printf '%-9s DEAD     pid %-7s exited without a stop\n' "$name" "$(<"$(pid_file "$name")")"
    fi
    if [[ -f $LOG_DIR/$name.log ]]; then
      printf '          last lines of %s:\n' "$LOG_DIR/$name.log"
      # Up to esbuild's goroutine dump (its service exits that way when offline dies): the lines that say why.
      awk '/^fatal error: all goroutines are asleep/ { exit } { print }' "$LOG_DIR/$name.log" | tail -n 5 |
        sed 's/^/          /'
    fi
  else
    printf '%-9s stopped\n' "$name"
  fi
  restarts "$name"
done
echo "data $DATA_DIR"
[[ -f $RUN_DIR/stack.env ]] && cat "$RUN_DIR/stack.env"
if ((running == total)); then
  echo
  node "$ROOT/scripts/posttrade.js" status || true
  exit 0
fi
if ((running == 0)); then exit 3; fi
exit 1
