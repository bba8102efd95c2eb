# Shared by start.sh, stop.sh and status.sh: where the stack lives and how its processes are found and stopped.
# Every process of the stack has a pid file under $RUN_DIR; a pid file whose process is gone counts as stopped.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA_DIR=${POSTTRADE_DATA_DIR:-.local}
case $DATA_DIR in /*) ;; *) DATA_DIR=$ROOT/$DATA_DIR ;; esac
RUN_DIR=$DATA_DIR/run
LOG_DIR=$DATA_DIR/logs
KAFKA_PORT=${KAFKA_PORT:-9092}
PG_PORT=${PG_PORT:-5433}
HTTP_PORT=${HTTP_PORT:-3000}
LAMBDA_PORT=${LAMBDA_PORT:-3002}
# Components in start order; they stop in reverse, so offline commits its in-flight batches while the broker is up.
COMPONENTS=(postgres broker offline)
# Seconds a component gets to stop before it is killed. offline may be finishing a batch (function timeout 60 s).
declare -A STOP_TIMEOUT=([offline]=120 [broker]=30 [postgres]=60)
declare -A STOP_SIGNAL=([offline]=INT [broker]=TERM [postgres]=TERM)

# osls is quicker and quieter without its telemetry and notifications, and never needs EC2 metadata here.
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off AWS_EC2_METADATA_DISABLED=true

say() { printf '[posttrade] %s\n' "$*"; }

pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }

# A zombie (exited, not yet reaped by a parent that is busy or by a container's PID 1 that never reaps) is gone.
is_alive() {
  local state
  [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null || return 1
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}

# Prints the pid of a running component (or the supervisor, "stack"); fails when it is not running.
running_pid() {
  local file pid
  file=$(pid_file "$1")
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  is_alive "$pid" || return 1
  printf '%s' "$pid"
}

# wait_gone PID SECONDS: waits for a process that is not our child to exit.
wait_gone() {
  local pid=$1 deadline=$((SECONDS + $2))
  while is_alive "$pid"; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.2
  done
}

# Stops one component with its signal, then SIGKILL if it overruns its timeout; removes its pid file.
stop_component() {
  local name=$1 pid
  if pid=$(running_pid "$name"); then
    say "stopping $name (pid $pid)"
    kill -s "${STOP_SIGNAL[$name]}" "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" "${STOP_TIMEOUT[$name]}"; then
      say "$name did not stop within ${STOP_TIMEOUT[$name]} s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" 5 || true
    fi
  fi
  rm -f "$(pid_file "$name")"
}

stop_components() {
  local i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop_component "${COMPONENTS[i]}"; done
}
