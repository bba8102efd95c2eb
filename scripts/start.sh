#!/usr/bin/env bash
# `npm start`: the whole stack on one machine — embedded PostgreSQL (unless DATABASE_URL is set), the development
# Kafka broker, topics, migrations, reference data, then `sls offline start` with the Kafka event-source plugin.
# Ctrl-C (or `npm run stop` from another terminal) stops offline first, so in-flight batches are committed, then
# the broker, then PostgreSQL.
#
# Settings (environment): POSTTRADE_DATA_DIR (.local), KAFKA_PORT (9092), PG_PORT (5433), HTTP_PORT (3000),
# LAMBDA_PORT (3002), DATABASE_URL (an external database instead of the embedded one).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

if pid=$(running_pid stack); then
  say "the stack is already running (pid $pid, data $DATA_DIR); stop it with: npm run stop"
  exit 1
fi
for name in "${COMPONENTS[@]}"; do
  if pid=$(running_pid "$name"); then
    say "$name from an earlier start is still running (pid $pid, data $DATA_DIR); stop it with: npm run stop"
    exit 1
  fi
done

mkdir -p "$RUN_DIR" "$LOG_DIR"
echo $$ >"$(pid_file stack)"
TAIL_PID=

SHUT_DOWN=
shutdown() {
  [[ -n $SHUT_DOWN ]] && return
  SHUT_DOWN=1
  trap '' INT TERM
  [[ -n $TAIL_PID ]] && kill "$TAIL_PID" 2>/dev/null
  stop_components
  rm -f "$(pid_file stack)" "$RUN_DIR/stack.env"
  say "stopped"
}
on_signal() {
  say "$1: stopping the stack"
  shutdown
  exit 0
}
trap 'on_signal SIGINT' INT
trap 'on_signal SIGTERM' TERM
trap 'status=$?; if ((status != 0)); then shutdown; fi' EXIT

# launch NAME LOG CMD...: runs CMD in a session of its own, so a Ctrl-C in this terminal reaches only this script,
# which then stops the components in order.
launch() {
  local name=$1 log=$2
  shift 2
  : >"$log"
  setsid "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
}

# wait_for NAME LOG PATTERN SECONDS: waits for the component's readiness line; prints the line.
wait_for() {
  local name=$1 log=$2 pattern=$3 deadline=$((SECONDS + $4)) pid line
  pid=$(<"$(pid_file "$name")")
  while ! line=$(grep -m1 -E "$pattern" "$log"); do
    if ! is_alive "$pid"; then
      say "$name exited before it was ready; last lines of $log:"
      tail -n 20 "$log" >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      say "$name not ready after $4 s; see $log"
      return 1
    fi
    sleep 0.2
  done
  printf '%s' "$line"
}

EXTERNAL_DATABASE=${DATABASE_URL:+yes}
if [[ -z ${DATABASE_URL:-} ]]; then
  launch postgres "$LOG_DIR/postgres.log" node --import tsx localstack/postgres-cli.ts \
    --data-dir "$DATA_DIR/postgres" --port "$PG_PORT"
  line=$(wait_for postgres "$LOG_DIR/postgres.log" '^postgres (ready|already running)' 120)
  DATABASE_URL=$(grep -oE 'postgres://[^ ]+' <<<"$line")
  # A server started by someone else is theirs to stop.
  if [[ $line == *'already running'* ]]; then
    rm -f "$(pid_file postgres)"
    EXTERNAL_DATABASE=yes
  fi
  say "postgres ready at $DATABASE_URL"
else
  say "using DATABASE_URL from the environment; no embedded PostgreSQL"
fi
export DATABASE_URL

launch broker "$LOG_DIR/broker.log" node --import tsx localstack/broker/cli.ts \
  --port "$KAFKA_PORT" --data-dir "$DATA_DIR/kafka" --log-level warn
line=$(wait_for broker "$LOG_DIR/broker.log" '^broker listening on ' 60)
export KAFKA_BROKERS=${line#broker listening on }
KAFKA_BROKERS=${KAFKA_BROKERS%% *}
say "broker listening on $KAFKA_BROKERS"

node --import tsx localstack/topics.ts --brokers "$KAFKA_BROKERS" | sed 's/^/[posttrade] /'
node --import tsx lib/db/migrate-cli.ts | sed 's/^/[posttrade] /'
node scripts/posttrade.js refdata load --dir migrations/seed | sed 's/^/[posttrade] /'

export HTTP_PORT LAMBDA_PORT
launch offline "$LOG_DIR/offline.log" node node_modules/osls/bin/serverless.js offline start \
  --httpPort "$HTTP_PORT" --lambdaPort "$LAMBDA_PORT"
tail -n +1 -f "$LOG_DIR/offline.log" &
TAIL_PID=$!
wait_for offline "$LOG_DIR/offline.log" '\[serverless-offline-kafka\] polling ' 180 >/dev/null
printf 'DATABASE_URL=%s\nKAFKA_BROKERS=%s\nHTTP_URL=http://localhost:%s\nEXTERNAL_DATABASE=%s\n' \
  "$DATABASE_URL" "$KAFKA_BROKERS" "$HTTP_PORT" "$EXTERNAL_DATABASE" >"$RUN_DIR/stack.env"
say "stack ready: http://localhost:$HTTP_PORT  kafka $KAFKA_BROKERS  $DATABASE_URL  (data $DATA_DIR)"
say "Ctrl-C or 'npm run stop' stops it; 'npm run status' shows it"

# Runs until a signal (the traps stop everything) or until offline exits on its own (then the rest stops too).
offline_pid=$(<"$(pid_file offline)")
while is_alive "$offline_pid"; do
  sleep 1 &
  wait $! || true
done
# offline is this shell's child: wait reports how it ended (128 + n for signal n, e.g. 134 = SIGABRT on out of memory).
code=0
wait "$offline_pid" 2>/dev/null || code=$?
[[ -n $TAIL_PID ]] && kill "$TAIL_PID" 2>/dev/null || true
TAIL_PID=
# esbuild's service process dumps its goroutines once its parent is gone; the lines before that say why offline died.
say "serverless-offline exited with status $code; last lines of $LOG_DIR/offline.log:"
awk '/^fatal error: all goroutines are asleep/ { exit } { print }' "$LOG_DIR/offline.log" | tail -n 20 >&2
say "stopping the rest"
shutdown
exit 1
