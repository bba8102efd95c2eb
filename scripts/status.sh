#!/usr/bin/env bash
# `npm run status`: which parts of the stack run. Exit 0 when all run, 3 when none does, 1 when only some do.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

declare -A WHERE=([postgres]="port $PG_PORT" [broker]="port $KAFKA_PORT" [offline]="http port $HTTP_PORT")
running=0 total=0
external_db=$(grep -s '^EXTERNAL_DATABASE=yes' "$RUN_DIR/stack.env")
for name in stack "${COMPONENTS[@]}"; do
  total=$((total + 1))
  if [[ $name == postgres && -n $external_db ]] && running_pid stack >/dev/null; then
    running=$((running + 1))
    printf '%-9s external (DATABASE_URL), not managed by the stack\n' "$name"
  elif pid=$(running_pid "$name"); then
    running=$((running + 1))
    printf '%-9s running  pid %-7s %s\n' "$name" "$pid" "${WHERE[$name]:-}"
  else
    printf '%-9s stopped\n' "$name"
  fi
done
echo "data $DATA_DIR"
[[ -f $RUN_DIR/stack.env ]] && cat "$RUN_DIR/stack.env"
if ((running == total)); then exit 0; fi
if ((running == 0)); then exit 3; fi
exit 1
