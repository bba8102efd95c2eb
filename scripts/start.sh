#!/usr/bin/env bash
# `npm start`: the whole stack on one machine — embedded PostgreSQL (unless DATABASE_URL is set), the development
# Kafka broker, topics, migrations, reference data, then `sls offline start` with the Kafka event-source plugin.
# Ctrl-C (or `npm run stop` from another terminal) stops offline first, so in-flight batches are committed, then
# the broker, then PostgreSQL. While it runs it supervises them: one that dies is started again (see the end).
#
# Settings (environment): POSTTRADE_DATA_DIR (.local), KAFKA_PORT (9092), PG_PORT (5433), HTTP_PORT (3000),
# LAMBDA_PORT (3002), DATABASE_URL (an external database instead of the embedded one); for the fault suite,
# KAFKA_ADVERTISED_PORT and HANDLERS_DATABASE_URL (see below), and HANDLERS_BUNDLE_DIR (serverless.yml reads it).
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
rm -f "$RUN_DIR"/*.restarts "$RUN_DIR"/*.starting
echo $$ >"$(pid_file stack)"
TAIL_PID=

SHUT_DOWN=
shutdown() {
  [[ -n $SHUT_DOWN ]] && return
  SHUT_DOWN=1
  trap '' INT TERM
  [[ -n $TAIL_PID ]] && kill "$TAIL_PID" 2>/dev/null
  stop_components
  rm -f "$(pid_file stack)" "$RUN_DIR/stack.env" "$RUN_DIR"/*.restarts "$RUN_DIR"/*.starting
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
# which then stops the components in order. The command is kept for restarts; the log is appended to (a restart
# keeps the lines that say why the process died) and LOG_MARK remembers where this run's lines begin.
declare -A COMMAND=() LOG_OF=() LOG_MARK=()
launch() {
  local name=$1 log=$2
  shift 2
  COMMAND[$name]=$(printf '%q ' "$@")
  LOG_OF[$name]=$log
  if [[ -z ${RESTARTING:-} ]]; then : >"$log"; fi
  LOG_MARK[$name]=$(($(stat -c %s "$log") + 1))
  setsid "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
}

# wait_for NAME LOG PATTERN SECONDS: waits for the component's readiness line (in this run's part of the log);
# prints the line.
wait_for() {
  local name=$1 log=$2 pattern=$3 deadline=$((SECONDS + $4)) pid line
  pid=$(<"$(pid_file "$name")")
  while ! line=$(tail -c +"${LOG_MARK[$name]:-1}" "$log" | grep -m1 -E "$pattern"); do
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

# What each component prints once it serves, and how long it may take, for the first start and every restart.
declare -A READY=([postgres]='^postgres (ready|already running)' [broker]='^broker listening on '
  [offline]='\[serverless-offline-kafka\] polling ')
declare -A READY_SECONDS=([postgres]=120 [broker]=60 [offline]=180)

EXTERNAL_DATABASE=${DATABASE_URL:+yes}
if [[ -z ${DATABASE_URL:-} ]]; then
  launch postgres "$LOG_DIR/postgres.log" node --import tsx localstack/postgres-cli.ts \
    --data-dir "$DATA_DIR/postgres" --port "$PG_PORT"
  line=$(wait_for postgres "$LOG_DIR/postgres.log" "${READY[postgres]}" "${READY_SECONDS[postgres]}")
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

# KAFKA_ADVERTISED_PORT: clients are told to connect there after bootstrapping (something in between, e.g. the
# fault suite's TCP proxy, forwards it to KAFKA_PORT).
launch broker "$LOG_DIR/broker.log" node --import tsx localstack/broker/cli.ts \
  --port "$KAFKA_PORT" --data-dir "$DATA_DIR/kafka" --log-level warn \
  ${KAFKA_ADVERTISED_PORT:+--advertised-port "$KAFKA_ADVERTISED_PORT"}
line=$(wait_for broker "$LOG_DIR/broker.log" "${READY[broker]}" "${READY_SECONDS[broker]}")
export KAFKA_BROKERS=${line#broker listening on }
KAFKA_BROKERS=${KAFKA_BROKERS%% *}
say "broker listening on $KAFKA_BROKERS"

node --import tsx localstack/topics.ts --brokers "$KAFKA_BROKERS" | sed 's/^/[posttrade] /'
node scripts/posttrade.js migrate | sed 's/^/[posttrade] /'
node scripts/posttrade.js refdata load --dir migrations/seed --price-history 251 | sed 's/^/[posttrade] /'

export HTTP_PORT LAMBDA_PORT
# HANDLERS_DATABASE_URL: the handlers reach PostgreSQL there instead (e.g. through the fault suite's TCP proxy);
# everything else, and stack.env, keeps DATABASE_URL.
launch offline "$LOG_DIR/offline.log" env DATABASE_URL="${HANDLERS_DATABASE_URL:-$DATABASE_URL}" \
  node node_modules/osls/bin/serverless.js offline start --httpPort "$HTTP_PORT" --lambdaPort "$LAMBDA_PORT"
tail -n +1 -f "$LOG_DIR/offline.log" &
TAIL_PID=$!
wait_for offline "$LOG_DIR/offline.log" "${READY[offline]}" "${READY_SECONDS[offline]}" >/dev/null
printf 'DATABASE_URL=%s\nKAFKA_BROKERS=%s\nHTTP_URL=http://localhost:%s\nEXTERNAL_DATABASE=%s\n' \
  "$DATABASE_URL" "$KAFKA_BROKERS" "$HTTP_PORT" "$EXTERNAL_DATABASE" >"$RUN_DIR/stack.env"
say "stack ready: http://localhost:$HTTP_PORT  kafka $KAFKA_BROKERS  $DATABASE_URL  (data $DATA_DIR)"
say "Ctrl-C or 'npm run stop' stops it; 'npm run status' shows it"

# Supervision: runs until a signal (the traps stop everything). A component that dies without a stop (a crash,
# out of memory, kill -9) is started again with the same command on the same data directory, after a backoff that
# doubles with each restart in a row (1 s up to 30 s) and starts over once it has served for a minute. Each restart
# is recorded in run/<name>.restarts (epoch seconds, then the reason), which `npm run status` shows.
SUPERVISED=(broker offline)
[[ -z $EXTERNAL_DATABASE ]] && SUPERVISED=(postgres broker offline)
declare -A BACKOFF=() UP_SINCE=()
for name in "${SUPERVISED[@]}"; do
  BACKOFF[$name]=1
  UP_SINCE[$name]=$SECONDS
done

# exit_reason PID: sets REASON to how a child of this shell ended (wait reports 128 + n for signal n, e.g.
# 137 = SIGKILL). Not in a $(...): a subshell cannot wait for its parent's children.
exit_reason() {
  local code=0 signal
  wait "$1" 2>/dev/null || code=$?
  if ((code > 128)) && signal=$(kill -l $((code - 128)) 2>/dev/null); then
    REASON="killed by SIG$signal"
  else
    REASON="exited with status $code"
  fi
}

# restart NAME: records why NAME died, backs off, then starts it again and waits for it to serve.
restart() {
  local name=$1 pid reason delay last
  pid=$(<"$(pid_file "$name")")
  exit_reason "$pid"
  reason=$REASON
  # The component's own last words when it exited on its own (postgres-cli says the server exited unexpectedly).
  last=$(tail -c +"${LOG_MARK[$name]:-1}" "${LOG_OF[$name]}" | grep -v '^\s*$' | tail -n 1 | cut -c1-160)
  [[ -n $last && $reason != killed* ]] && reason="$reason: $last"
  ((SECONDS - UP_SINCE[$name] >= 60)) && BACKOFF[$name]=1
  delay=${BACKOFF[$name]}
  BACKOFF[$name]=$((delay * 2 > 30 ? 30 : delay * 2))
  printf '%s %s\n' "$(date +%s)" "$reason" >>"$RUN_DIR/$name.restarts"
  say "$name (pid $pid) $reason; restarting it in $delay s on $DATA_DIR"
  sleep "$delay" &
  wait $! || true
  [[ -n $SHUT_DOWN ]] && return
  RESTARTING=1
  : >"$RUN_DIR/$name.starting"
  # shellcheck disable=SC2086 # COMMAND holds the words launch was given, quoted with printf %q.
  eval "launch $name \"\${LOG_OF[$name]}\" ${COMMAND[$name]}"
  RESTARTING=
  if wait_for "$name" "${LOG_OF[$name]}" "${READY[$name]}" "${READY_SECONDS[$name]}" >/dev/null; then
    say "$name restarted (pid $(<"$(pid_file "$name")"))"
  fi
  rm -f "$RUN_DIR/$name.starting"
  UP_SINCE[$name]=$SECONDS
}

while :; do
  for name in "${SUPERVISED[@]}"; do
    [[ -n $SHUT_DOWN ]] && break 2
    running_pid "$name" >/dev/null || restart "$name"
  done
  sleep 1 &
  wait $! || true
done
