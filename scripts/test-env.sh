#!/usr/bin/env bash
# Warren's own test environment: installs and starts the real services the integration suites use and
# records them in /var/lib/warren-test/state.json (shape: TestEnvState in test/helpers/services.ts).
#
#   bash scripts/test-env.sh up       provision everything (idempotent; a re-run on a ready machine takes seconds)
#   bash scripts/test-env.sh status   check what is recorded and whether it answers, change nothing
#   bash scripts/test-env.sh down     stop what `up` started (device daemons, namespaces); caches stay
#
# Every part is provisioned on its own: a part that fails is named with its reason in state.json's
# `errors` and the rest carries on, so one broken piece skips (or, in CI, fails) only the suites needing it.
# Runs as root on Debian 12. Details go to /var/log/warren-test-env.log; stdout gets one line per part.
set -o pipefail
umask 022
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RECIPES=$HERE/test-env
LIB=/var/lib/warren-test
CACHE=/var/cache/warren-test
RUN=/run/warren-test
LOGDIR=/var/log/warren-test
LOG=/var/log/warren-test-env.log
STATE=${WARREN_TEST_STATE:-$LIB/state.json}

declare -A PART=() ERR=()
LAST_ERR=''
NOTE=''

log() { printf '%s %s\n' "$(date -u +%FT%TZ)" "$*" >>"$LOG"; }
say() { printf '%s\n' "$*"; log "$*"; }
fail() { LAST_ERR=$*; log "! $*"; return 1; }

# try WHAT CMD...: runs a command that terminates, its output to the log; on failure LAST_ERR says why.
try() {
  local what=$1 out rc
  shift
  log "+ $*"
  out=$("$@" 2>&1 </dev/null 9>&-)
  rc=$?
  [ -n "$out" ] && printf '%s\n' "$out" >>"$LOG"
  if [ $rc -ne 0 ]; then
    LAST_ERR="$what failed (exit $rc): $(printf '%s' "$out" | tail -n 3 | tr '\n' ' ' | cut -c1-400)"
    log "! $LAST_ERR"
  fi
  return $rc
}

# spawn LOGFILE CMD...: starts a daemon that outlives this script. It must hold none of our descriptors:
# not the lock (fd 9, or every later run would wait for it) and not stdout (a caller reading our output
# until EOF would hang).
spawn() {
  local logfile=$1
  shift
  log "spawn: $* (log: $logfile)"
  (exec setsid "$@" </dev/null >>"$logfile" 2>&1 9>&-) &
  SPAWNED=$!
}

# wait_for SECONDS CMD...: polls CMD until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  while ! "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.3
  done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

# stop_pidfile PIDFILE [SECONDS]: TERM, then KILL after the grace period.
stop_pidfile() {
  local pidfile=$1 grace=${2:-10} pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile" 2>/dev/null)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    local deadline=$((SECONDS + grace))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$pidfile"
}

unix_get() { curl -sf --max-time "${3:-3}" --unix-socket "$1" "http://localhost$2"; }
docker_ping() { [ "$(unix_get "$1" /_ping)" = OK ]; }
podman_ping() { [ "$(unix_get "$1" /v4.0.0/libpod/_ping)" = OK ]; }

write_state() {
  local args=() k
  for k in "${!PART[@]}"; do args+=("$k=${PART[$k]}"); done
  for k in "${!ERR[@]}"; do args+=("!$k=${ERR[$k]}"); done
  mkdir -p "$(dirname "$STATE")"
  if ! node "$RECIPES/write-state.mjs" "$STATE" "${args[@]}" >>"$LOG" 2>&1; then
    say "  FAIL  state: could not write $STATE (is node installed?)"
  fi
}

# part NAME FUNCTION: provisions one part; its outcome goes to PART/ERR and straight into state.json so
# that suites started meanwhile (and other people's runs) see each part as soon as it is up.
part() {
  local name=$1 fn=$2 t0=$SECONDS
  LAST_ERR=''
  NOTE=''
  log "== $name"
  if "$fn"; then
    unset "ERR[$name]"
    say "  ok    $name ($((SECONDS - t0)) s)${NOTE:+ — $NOTE}"
  else
    unset "PART[$name]"
    ERR[$name]=${LAST_ERR:-failed without a reason (see $LOG)}
    say "  FAIL  $name ($((SECONDS - t0)) s): ${ERR[$name]}"
  fi
  write_state
}

# ---------------------------------------------------------------------------------------------- apt
PACKAGES=(docker.io podman uidmap runc openssh-server openssh-client prometheus-node-exporter chromium
  debootstrap busybox-static iproute2 iptables mosquitto mosquitto-clients openssl psmisc curl util-linux)

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

part_apt() {
  local missing p failed=()
  mapfile -t missing < <(missing_packages)
  if [ ${#missing[@]} -eq 0 ]; then NOTE='all installed'; return 0; fi
  try 'apt-get update' apt-get update || true
  if ! try "apt-get install ${missing[*]}" apt-get install -y -o Dpkg::Options::=--force-confold "${missing[@]}"; then
    # One unavailable package must not keep the others out.
    for p in "${missing[@]}"; do
      try "apt-get install $p" apt-get install -y -o Dpkg::Options::=--force-confold "$p" || failed+=("$p")
    done
  fi
  NOTE="installed ${missing[*]}"
  [ ${#failed[@]} -eq 0 ] || fail "could not install: ${failed[*]} ($LAST_ERR)"
}

# ------------------------------------------------------------------------------------------- docker
DOCKER_SOCK=/var/run/docker.sock

part_docker() {
  command -v dockerd >/dev/null || fail 'dockerd is not installed (package docker.io)' || return 1
  if docker_ping "$DOCKER_SOCK"; then NOTE='already running'; else
    if ! pid_alive /var/run/docker.pid; then
      # A pid file left by a killed daemon makes the next one refuse to start.
      rm -f /var/run/docker.pid
      spawn "$LOGDIR/dockerd.log" dockerd
      touch "$RUN/started-dockerd"
      NOTE='started'
    fi
    wait_for 60 docker_ping "$DOCKER_SOCK" ||
      fail "dockerd does not answer /_ping on $DOCKER_SOCK after 60 s (see $LOGDIR/dockerd.log)" || return 1
  fi
  PART[docker]="{\"socket\":\"$DOCKER_SOCK\"}"
}

# ------------------------------------------------------------------------------------------- podman
PODMAN_SOCK=$RUN/podman.sock
CONTAINERS_CONF=/etc/containers/containers.conf

# Without these, every container fails with "error setting rlimit ... operation not permitted", and
# crun refuses the hybrid cgroup setup of these machines.
containers_conf() {
  cat <<'EOF'
# Written by warren scripts/test-env.sh: rlimits the sandbox allows, and runc (crun rejects hybrid cgroups).
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"
EOF
}

part_podman() {
  command -v podman >/dev/null || fail 'podman is not installed' || return 1
  local changed=0
  if [ "$(cat "$CONTAINERS_CONF" 2>/dev/null)" != "$(containers_conf)" ]; then
    mkdir -p /etc/containers
    [ -f "$CONTAINERS_CONF" ] && ! grep -q 'warren scripts/test-env.sh' "$CONTAINERS_CONF" &&
      cp "$CONTAINERS_CONF" "$CONTAINERS_CONF.before-warren"
    containers_conf >"$CONTAINERS_CONF"
    changed=1
  fi
  # The service reads containers.conf once, so a changed file means a restart.
  if [ $changed = 1 ] && pid_alive "$RUN/podman.pid"; then stop_pidfile "$RUN/podman.pid"; fi
  if podman_ping "$PODMAN_SOCK"; then NOTE='already running'; else
    stop_pidfile "$RUN/podman.pid" 2
    rm -f "$PODMAN_SOCK"
    spawn "$LOGDIR/podman.log" podman system service --time=0 "unix://$PODMAN_SOCK"
    echo "$SPAWNED" >"$RUN/podman.pid"
    NOTE='started'
    wait_for 30 podman_ping "$PODMAN_SOCK" ||
      fail "podman system service does not answer on $PODMAN_SOCK after 30 s (see $LOGDIR/podman.log)" || return 1
  fi
  PART[podman]="{\"socket\":\"$PODMAN_SOCK\"}"
}

# ------------------------------------------------------------------------------------------ commands
cmd_up() {
  local t0=$SECONDS
  say "warren test environment: up (log: $LOG)"
  part apt part_apt
  part docker part_docker
  part podman part_podman
  say "warren test environment: up done in $((SECONDS - t0)) s; state: $STATE"
}

cmd_status() {
  if [ ! -f "$STATE" ]; then echo "no $STATE: run bash scripts/test-env.sh up"; return 1; fi
  local bad=0
  check() { if "${@:2}" >/dev/null 2>&1; then echo "  ok    $1"; else echo "  DOWN  $1"; bad=1; fi; }
  check "docker $DOCKER_SOCK" docker_ping "$DOCKER_SOCK"
  check "podman $PODMAN_SOCK" podman_ping "$PODMAN_SOCK"
  node -e 'const s=require(process.argv[1]); for (const [k,v] of Object.entries(s.errors??{})) console.log(`  error ${k}: ${v}`)' "$STATE"
  return $bad
}

cmd_down() {
  say "warren test environment: down"
  stop_pidfile "$RUN/podman.pid" 10 && rm -f "$PODMAN_SOCK"
  if [ -f "$RUN/started-dockerd" ]; then stop_pidfile /var/run/docker.pid 30; rm -f "$RUN/started-dockerd"; fi
  local k
  for k in docker podman; do ERR[$k]='stopped by scripts/test-env.sh down'; done
  write_state
  say "warren test environment: down done"
}

main() {
  [ "$(id -u)" = 0 ] || { echo "test-env.sh: must run as root" >&2; exit 1; }
  mkdir -p "$LIB" "$CACHE" "$RUN" "$LOGDIR" "$(dirname "$LOG")"
  local cmd=${1:-}
  case $cmd in
    up | down | status) ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
  esac
  # Suites of several people may call `up` at once; the second run waits and then finds all up.
  exec 9>"$RUN/lock"
  if ! flock -w 3600 9; then echo "test-env.sh: another run holds $RUN/lock" >&2; exit 1; fi
  log "=== $cmd (pid $$)"
  "cmd_$cmd"
}

main "$@"
