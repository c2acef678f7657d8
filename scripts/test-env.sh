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
# pipefail: a failing producer must fail its pipeline. Hence no `grep -q` at the end of a pipe: it
# stops reading at the first match and the producer's SIGPIPE would fail a check that succeeded.
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
# Output goes through a file, not a pipe: a daemon the command starts (a package's init script) may
# keep the descriptor open, and reading a pipe to its end would then never finish.
try() {
  local what=$1 out rc
  shift
  log "+ $*"
  out=$(mktemp)
  "$@" >"$out" 2>&1 </dev/null 9>&-
  rc=$?
  cat "$out" >>"$LOG"
  if [ $rc -ne 0 ]; then
    LAST_ERR="$what failed (exit $rc): $(tail -n 3 "$out" | tr '\n' ' ' | cut -c1-400)"
    log "! $LAST_ERR"
  fi
  rm -f "$out"
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

# same_command PIDFILE CMD...: the daemon behind PIDFILE was started with CMD. A changed recipe (flags,
# paths) thus replaces a running daemon instead of being silently ignored by the next run.
same_command() {
  local pidfile=$1
  shift
  [ "$(cat "$pidfile.cmd" 2>/dev/null)" = "$*" ]
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
  if ! node "$RECIPES/state.mjs" write "$STATE" "${args[@]}" >>"$LOG" 2>&1; then
    say "  FAIL  state: could not write $STATE (is node installed?)"
  fi
}

# Suites of other people read state.json while a run goes on, so a run starts from the recorded state
# and replaces each part as it checks it, instead of publishing a half-empty file.
read_state() {
  local key value
  while IFS=$'\t' read -r key value; do
    if [ "${key:0:1}" = '!' ]; then ERR[${key:1}]=$value; else PART[$key]=$value; fi
  done < <(node "$RECIPES/state.mjs" read "$STATE" 2>>"$LOG")
}

# part NAME FUNCTION: provisions one part; its outcome goes to PART/ERR, and into state.json at once
# when the part was slow (so that suites started meanwhile see it).
part() {
  local name=$1 fn=$2 t0=$SECONDS
  LAST_ERR=''
  NOTE=''
  log "== $name"
  unset "ERR[$name]"
  if "$fn"; then
    say "  ok    $name ($((SECONDS - t0)) s)${NOTE:+ — $NOTE}"
  else
    unset "PART[$name]"
    ERR[$name]=${LAST_ERR:-failed without a reason (see $LOG)}
    say "  FAIL  $name ($((SECONDS - t0)) s): ${ERR[$name]}"
  fi
  # A slow part is worth publishing at once; quick ones wait for the final write (node costs ~0.5 s).
  [ $((SECONDS - t0)) -ge 2 ] && write_state
}

# ---------------------------------------------------------------------------------------------- apt
PACKAGES=(docker.io podman uidmap runc openssh-server openssh-client prometheus-node-exporter chromium
  debootstrap busybox-static iproute2 iptables mosquitto mosquitto-clients openssl psmisc curl util-linux
  docker-compose)

missing_packages() {
  local installed
  installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null | awk '/ install ok installed$/ { print $1 }')
  printf '%s\n' "${PACKAGES[@]}" | grep -vxF "$installed"
}

part_apt() {
  local missing p failed=()
  mapfile -t missing < <(missing_packages)
  if [ ${#missing[@]} -eq 0 ]; then NOTE='all installed'; return 0; fi
  # Packages' init scripts would start services this script starts its own way (sshd on the host,
  # node_exporter on :9100); policy-rc.d tells them not to, as in container images.
  local policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# temporary, scripts/test-env.sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    policy=1
  fi
  try 'apt-get update' apt-get update -o DPkg::Lock::Timeout=600
  # Another apt run (a person, unattended upgrades) holding the lock is waited for, not a failure.
  local opts=(-y -o Dpkg::Options::=--force-confold -o DPkg::Lock::Timeout=600)
  if ! try "apt-get install ${missing[*]}" apt-get install "${opts[@]}" "${missing[@]}"; then
    # One unavailable package must not keep the others out.
    for p in "${missing[@]}"; do
      try "apt-get install $p" apt-get install "${opts[@]}" "$p" || failed+=("$p")
    done
  fi
  [ $policy = 1 ] && rm -f /usr/sbin/policy-rc.d
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

# ------------------------------------------------------------------------------------------- images
# Nothing can be pulled here, so the images the suites run are built locally: a busybox-static tree for
# the web server, Debian minbase trees (debootstrap) for the databases and the demo app. Root filesystems
# and the smoke-tested `docker save` archives are cached under $CACHE, keyed by a hash of their recipe,
# so a later run only checks labels; the archive is what gets loaded into every other engine.
IMAGES=(web postgres mariadb demo)
declare -A IMG_REF=([web]=warren-test/web:latest [postgres]=warren-test/postgres:15
  [mariadb]=warren-test/mariadb:10.11 [demo]=warren-test/demo:latest)
declare -A IMG_PACKAGES=([postgres]=postgresql-15 [mariadb]=mariadb-server
  [demo]=postgresql-client-15,mariadb-client,busybox,ca-certificates)
declare -A IMG_CHANGES
IMG_CHANGES[web]='ENV PATH=/bin
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
EXPOSE 8080/tcp'
IMG_CHANGES[postgres]='ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV PGDATA=/var/lib/postgresql/data
ENV LANG=C.UTF-8
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
EXPOSE 5432/tcp
VOLUME /var/lib/postgresql/data'
IMG_CHANGES[mariadb]='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV LANG=C.UTF-8
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["mariadbd"]
EXPOSE 3306/tcp
VOLUME /var/lib/mysql'
IMG_CHANGES[demo]='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV LANG=C.UTF-8
CMD ["demo-app"]
EXPOSE 8080/tcp'
RECIPE_LABEL=warren.test.recipe
ROOTFS_LAYOUT=1 # bump to rebuild every cached root filesystem

os_codename() { . /etc/os-release && echo "${VERSION_CODENAME:-bookworm}"; }

# The machine's own Debian mirror (it is the one known to be reachable from here).
apt_mirror() {
  local m
  m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -m1 -E '/debian/?$')
  [ -n "$m" ] || m=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
    sed 's/\[[^]]*\]//' | awk -v s="$(os_codename)" '$3 == s { print $2; exit }')
  echo "${m:-http://deb.debian.org/debian}"
}

hash_of() { sha256sum | cut -c1-16; }

# Trims what a container never needs; postgres's LLVM JIT alone is 130 MB of every engine's load time
# (without it the server just runs without JIT).
prune_rootfs() {
  local dir=$1
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/* \
    "$dir"/usr/share/doc "$dir"/usr/share/man "$dir"/usr/share/info "$dir"/usr/share/locale \
    "$dir"/usr/share/lintian "$dir"/var/log/*.log "$dir"/var/log/apt \
    "$dir"/usr/lib/x86_64-linux-gnu/libLLVM-* "$dir"/usr/lib/x86_64-linux-gnu/libz3.so* \
    "$dir"/usr/lib/postgresql/*/lib/llvmjit* "$dir"/usr/lib/postgresql/*/lib/bitcode
  # Package scripts create a cluster / data directory of their own; the entrypoints make fresh ones.
  rm -rf "$dir"/var/lib/postgresql/* "$dir"/etc/postgresql/* "$dir"/var/lib/mysql/*
}

rootfs_key() { printf '%s %s %s %s\n' "$ROOTFS_LAYOUT" "$(os_codename)" "$1" "$(declare -f prune_rootfs)" | hash_of; }

unmount_under() {
  local m
  for m in $(findmnt -l -n -o TARGET | grep -E "^$1(/|\$)" | sort -r); do umount -l "$m" 2>>"$LOG"; done
}

# Removes a build tree without following mounts a failed debootstrap may have left inside it.
remove_tree() {
  [ -d "$1" ] || return 0
  unmount_under "$1"
  rm -rf --one-file-system "$1"
}

# build_rootfs NAME: writes $CACHE/rootfs/NAME-KEY.tar (a Debian minbase tree with NAME's packages).
build_rootfs() {
  local name=$1 pkgs=${IMG_PACKAGES[$1]} key out dir p
  key=$(rootfs_key "$pkgs")
  out=$CACHE/rootfs/$name-$key.tar
  [ -s "$out" ] && return 0
  dir=$CACHE/build/$name
  remove_tree "$dir"
  mkdir -p "$CACHE/rootfs" "$dir"
  log "debootstrap $name ($pkgs) from $(apt_mirror), log $LOGDIR/debootstrap-$name.log"
  local attempt
  # A mirror hiccup costs a retry, not the image.
  for attempt in 1 2; do
    debootstrap --variant=minbase --include="$pkgs" "$(os_codename)" "$dir" "$(apt_mirror)" \
      >"$LOGDIR/debootstrap-$name.log" 2>&1 </dev/null 9>&- && break
    remove_tree "$dir"
    if [ $attempt = 2 ]; then
      echo "debootstrap of $name failed twice: $(tail -n 2 "$LOGDIR/debootstrap-$name.log" | tr '\n' ' ')"
      return 1
    fi
    mkdir -p "$dir"
  done
  # A package script may have started a server inside the tree; it would keep files open.
  for p in /proc/[0-9]*; do [ "$(readlink "$p/root" 2>/dev/null)" = "$dir" ] && kill -KILL "${p#/proc/}" 2>/dev/null; done
  prune_rootfs "$dir"
  tar -C "$dir" --numeric-owner -cf "$out.tmp" . && mv "$out.tmp" "$out"
  local rc=$?
  remove_tree "$dir"
  rm -f "$CACHE"/rootfs/"$name"-*.tar.tmp
  find "$CACHE/rootfs" -name "$name-*.tar" ! -name "$name-$key.tar" -delete
  [ $rc = 0 ] || echo "could not write $out"
  return $rc
}

# A static busybox is a whole userland in one file: the web image is that plus a page.
build_web_rootfs() {
  local dir=$1 a
  mkdir -p "$dir"/bin "$dir"/etc "$dir"/tmp "$dir"/root
  chmod 1777 "$dir"/tmp
  cp /bin/busybox "$dir"/bin/busybox || return 1
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$dir/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir"/etc/passwd
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir"/etc/group
}

# Filled once per run by part_images (command substitutions run in subshells and cannot fill it).
declare -A HASH_CACHE=()
image_hash() { if [ -n "${HASH_CACHE[$1]}" ]; then echo "${HASH_CACHE[$1]}"; else compute_image_hash "$1"; fi; }

compute_image_hash() {
  local name=$1 base
  if [ "$name" = web ]; then base="busybox $(sha256sum /bin/busybox) $(declare -f build_web_rootfs)"
  else base=$(rootfs_key "${IMG_PACKAGES[$name]}"); fi
  {
    echo "$base"
    echo "${IMG_CHANGES[$name]}"
    # Only the executable bit counts: git keeps no other mode, and a checkout's umask must not change the hash.
    (cd "$RECIPES/images/$name/rootfs" &&
      find . -type f \( -perm -u+x -printf 'x %p\n' -o -printf '- %p\n' \) | sort &&
      find . -type f -print0 | sort -z | xargs -0 cat)
  } | hash_of
}

# engine_labels ENGINE: the recipe labels of what our image names point to in ENGINE (a DOCKER_HOST,
# or podman). One CLI call per engine: on a busy machine each costs a few hundred milliseconds. Every
# recipe hash is distinct, so a hash in this list means its image is there under its name.
engine_labels() {
  local refs=() name
  for name in "${IMAGES[@]}"; do refs+=("${IMG_REF[$name]}"); done
  if [ "$1" = podman ]; then podman image inspect --format "{{index .Labels \"$RECIPE_LABEL\"}}" "${refs[@]}" 2>/dev/null
  else DOCKER_HOST=$1 docker image inspect --format "{{index .Config.Labels \"$RECIPE_LABEL\"}}" "${refs[@]}" 2>/dev/null; fi
  return 0
}


# import_image NAME HASH: builds the image into the local engine from its root filesystem and recipe.
import_image() {
  local name=$1 hash=$2 changes=() line
  local tarball=$CACHE/build/$name-image.tar
  rm -f "$tarball"
  mkdir -p "$CACHE/build"
  if [ "$name" = web ]; then
    local dir=$CACHE/build/web-rootfs
    remove_tree "$dir"
    build_web_rootfs "$dir" || fail "could not assemble the busybox tree" || return 1
    tar -C "$dir" --numeric-owner -cf "$tarball" . || fail "could not pack $dir" || return 1
    remove_tree "$dir"
  else
    cp "$CACHE/rootfs/$name-$(rootfs_key "${IMG_PACKAGES[$name]}").tar" "$tarball" 2>>"$LOG" || fail "root filesystem of $name missing" || return 1
  fi
  # The recipe's files go on top of the tree, owned by root, modes as in git.
  (cd "$RECIPES/images/$name/rootfs" && find . -type f | sort) |
    tar -rf "$tarball" --owner=0 --group=0 --numeric-owner --mode=u=rwX,go=rX --no-recursion -C "$RECIPES/images/$name/rootfs" -T - ||
    fail "could not add the recipe files of $name" || return 1
  while IFS= read -r line; do changes+=(-c "$line"); done <<<"${IMG_CHANGES[$name]}"
  changes+=(-c "LABEL $RECIPE_LABEL=$hash")
  # A recipe may prepare data once at build time (a database template that each container copies
  # instead of initialising its own): it runs in a container of the imported tree, committed on top.
  local template=$RECIPES/images/$name/rootfs/usr/local/bin/warren-make-template
  local target=${IMG_REF[$name]} builder=warren-test-build-$name
  [ -x "$template" ] && target=warren-test/build-$name:$hash
  try "docker import of $target" docker import "${changes[@]}" "$tarball" "$target" || return 1
  rm -f "$tarball"
  [ -x "$template" ] || return 0
  docker rm -f -v "$builder" >/dev/null 2>&1
  try "warren-make-template in $target" docker run --name "$builder" --entrypoint /usr/local/bin/warren-make-template "$target" &&
    try "docker commit of ${IMG_REF[$name]}" docker commit "${changes[@]}" "$builder" "${IMG_REF[$name]}"
  local rc=$?
  docker rm -f -v "$builder" >/dev/null 2>&1
  docker rmi "$target" >/dev/null 2>&1
  return $rc
}

# Smoke runs: each image must really start and serve before it is recorded. A first start initialises
# a database cluster; on a loaded 2-core machine (load 20 seen while tests and builds ran) Postgres's
# initdb alone took over 30 s, and a failed smoke run discards an image that took minutes to build:
# the waits are generous, the checks are the same.
SMOKE=warren-test-smoke
SMOKE_WAIT=${WARREN_TEST_SMOKE_WAIT:-180}
smoke_cleanup() { docker rm -f -v "$SMOKE-web" "$SMOKE-postgres" "$SMOKE-mariadb" "$SMOKE-demo" >/dev/null 2>&1; }
smoke_has() { local c=$1 want=$2; shift 2; docker exec "$c" "$@" 2>/dev/null | grep "$want" >/dev/null; }

smoke_web() {
  try 'docker run web' docker run -d --name "$SMOKE-web" "${IMG_REF[web]}" || return 1
  wait_for "$SMOKE_WAIT" smoke_has "$SMOKE-web" 'It works' wget -qO- http://127.0.0.1:8080/ ||
    fail "web: no page on :8080 after $SMOKE_WAIT s" || return 1
}

smoke_postgres() {
  try 'docker run postgres' docker run -d --name "$SMOKE-postgres" -e POSTGRES_PASSWORD=smoke -e POSTGRES_USER=smoke \
    -e POSTGRES_DB=smokedb "${IMG_REF[postgres]}" || return 1
  wait_for "$SMOKE_WAIT" docker exec "$SMOKE-postgres" pg_isready -q -h 127.0.0.1 ||
    fail "postgres: not ready after $SMOKE_WAIT s: $(docker logs "$SMOKE-postgres" 2>&1 | tail -n 3 | tr '\n' ' ')" || return 1
  smoke_has "$SMOKE-postgres" '^smokedb$' env PGPASSWORD=smoke psql -h 127.0.0.1 -U smoke -d smokedb -tAc 'select current_database()' ||
    fail 'postgres: password login over TCP to POSTGRES_DB failed' || return 1
  ! docker exec -e PGPASSWORD=wrong "$SMOKE-postgres" psql -h 127.0.0.1 -U smoke -d smokedb -c 'select 1' >/dev/null 2>&1 ||
    fail 'postgres: a wrong password was accepted over TCP' || return 1
}

smoke_mariadb() {
  try 'docker run mariadb' docker run -d --name "$SMOKE-mariadb" -e MARIADB_ROOT_PASSWORD=smoke -e MARIADB_DATABASE=smokedb \
    -e MARIADB_USER=app -e MARIADB_PASSWORD=apppw "${IMG_REF[mariadb]}" || return 1
  wait_for "$SMOKE_WAIT" docker exec "$SMOKE-mariadb" healthcheck.sh ||
    fail "mariadb: not healthy after $SMOKE_WAIT s: $(docker logs "$SMOKE-mariadb" 2>&1 | tail -n 3 | tr '\n' ' ')" || return 1
  smoke_has "$SMOKE-mariadb" '^smokedb$' mariadb -h 127.0.0.1 -u app -papppw -N -B -e 'select database()' smokedb ||
    fail 'mariadb: MARIADB_USER cannot reach MARIADB_DATABASE over TCP' || return 1
  smoke_has "$SMOKE-mariadb" '^1$' mariadb -h 127.0.0.1 -u root -psmoke -N -B -e 'select 1' ||
    fail 'mariadb: root login over TCP with MARIADB_ROOT_PASSWORD failed' || return 1
}

# The demo is checked against both database images, sharing their network namespace.
smoke_demo() {
  local db url
  for db in postgres mariadb; do
    docker inspect "$SMOKE-$db" >/dev/null 2>&1 || "smoke_$db" || fail "demo: needs a running $db to check against ($LAST_ERR)" || return 1
    if [ $db = postgres ]; then url=postgres://smoke:smoke@127.0.0.1:5432/smokedb; else url=mysql://app:apppw@127.0.0.1:3306/smokedb; fi
    docker rm -f "$SMOKE-demo" >/dev/null 2>&1
    try 'docker run demo' docker run -d --name "$SMOKE-demo" --network "container:$SMOKE-$db" -e DATABASE_URL="$url" "${IMG_REF[demo]}" || return 1
    wait_for "$SMOKE_WAIT" smoke_has "$SMOKE-demo" 'database: smokedb' busybox wget -qO- http://127.0.0.1:8080/ ||
      fail "demo: page on :8080 does not show a connection to $db: $(docker exec "$SMOKE-demo" busybox wget -qO- http://127.0.0.1:8080/ 2>&1 | tr '\n' ' ')" || return 1
    smoke_has "$SMOKE-demo" 'connected: yes' busybox wget -qO- http://127.0.0.1:8080/cgi-bin/health ||
      fail "demo: /cgi-bin/health is not 200 with $db up" || return 1
  done
}

# ensure_image NAME: the image is in the local engine, smoke-tested, with its archive cached.
ensure_image() {
  local name=$1 hash saved in_docker=0
  hash=$(image_hash "$name")
  saved=$CACHE/images/$name-$hash.tar
  mkdir -p "$CACHE/images"
  grep -xF "$hash" <<<"$LOCAL_LABELS" >/dev/null && in_docker=1
  if [ -s "$saved" ]; then
    [ $in_docker = 1 ] && return 0
    try "docker load of $name" docker load -i "$saved"
    return
  fi
  # An image that failed its smoke run is removed below, so one carrying its recipe label passed it.
  if [ $in_docker = 0 ]; then
    import_image "$name" "$hash" || return 1
    smoke_cleanup
    "smoke_$name"
    local rc=$?
    smoke_cleanup
    if [ $rc != 0 ]; then docker rmi "${IMG_REF[$name]}" >>"$LOG" 2>&1; return 1; fi
    NOTE+="built $name; "
  fi
  try "docker save of $name" docker save -o "$saved.tmp" "${IMG_REF[$name]}" || return 1
  mv "$saved.tmp" "$saved"
  find "$CACHE/images" -name "$name-*.tar" ! -name "$name-$hash.tar" -delete
}

# load_images ENGINE: copies every recorded image into another engine (a DOCKER_HOST, or podman).
load_images() {
  local engine=$1 name hash present loaded=0
  present=$(engine_labels "$engine")
  for name in "${!IMG_OK[@]}"; do
    hash=${IMG_OK[$name]}
    grep -xF "$hash" <<<"$present" >/dev/null && continue
    if [ "$engine" = podman ]; then try "podman load of $name" podman load -q -i "$CACHE/images/$name-$hash.tar" || return 1
    else try "docker load of $name into $engine" env DOCKER_HOST="$engine" docker load -q -i "$CACHE/images/$name-$hash.tar" || return 1; fi
    loaded=1
  done
  [ $loaded = 1 ] && prune_replaced "$engine"
  return 0
}

# A new recipe leaves the previous images untagged: some hundred megabytes per image and engine.
# Only untagged images with our label go, and none that a container still uses.
prune_replaced() {
  if [ "$1" = podman ]; then podman image prune -f --filter "label=$RECIPE_LABEL" >>"$LOG" 2>&1
  else DOCKER_HOST=$1 docker image prune -f --filter "label=$RECIPE_LABEL" >>"$LOG" 2>&1; fi
}

declare -A IMG_OK=() SSH_CHECK=() FRESH=()
LOCAL_LABELS=
DOCKER_SOCK_URL=unix:///var/run/docker.sock

part_images() {
  [ -n "${PART[docker]}" ] || fail 'needs the local docker engine' || return 1
  local name pkgs missing=() failed=() pids=() i
  for name in "${IMAGES[@]}"; do HASH_CACHE[$name]=$(compute_image_hash "$name"); done
  LOCAL_LABELS=$(engine_labels "$DOCKER_SOCK_URL")
  # The debootstraps are network-bound: run them side by side.
  for name in "${IMAGES[@]}"; do
    pkgs=${IMG_PACKAGES[$name]}
    [ -n "$pkgs" ] || continue
    grep -xF "$(image_hash "$name")" <<<"$LOCAL_LABELS" >/dev/null && continue
    [ -s "$CACHE/images/$name-$(image_hash "$name").tar" ] && continue
    [ -s "$CACHE/rootfs/$name-$(rootfs_key "$pkgs").tar" ] && continue
    missing+=("$name")
  done
  mkdir -p "$CACHE/build"
  for name in "${missing[@]}"; do
    (build_rootfs "$name" >"$CACHE/build/$name.err" 2>&1) &
    pids+=($!)
  done
  [ ${#missing[@]} -gt 0 ] && log "building root filesystems: ${missing[*]}"
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || log "rootfs ${missing[$i]}: $(cat "$CACHE/build/${missing[$i]}.err")"; done
  IMG_OK=()
  local images_json='{' sep=''
  for name in "${IMAGES[@]}"; do
    LAST_ERR=''
    if ensure_image "$name"; then
      IMG_OK[$name]=$(image_hash "$name")
      images_json+="$sep\"$name\":\"${IMG_REF[$name]}\""
      sep=,
    else
      [ -s "$CACHE/build/$name.err" ] && LAST_ERR="$(cat "$CACHE/build/$name.err") $LAST_ERR"
      failed+=("$name: $LAST_ERR")
    fi
  done
  images_json+='}'
  [ -n "$NOTE" ] && prune_replaced "$DOCKER_SOCK_URL"
  NOTE=${NOTE%; }
  [ ${#IMG_OK[@]} -gt 0 ] || { LAST_ERR=$(printf '%s; ' "${failed[@]}"); return 1; }
  PART[images]=$images_json
  # Podman gets the same images; if it cannot, Podman is what is broken.
  if [ -n "${PART[podman]}" ] && ! load_images podman; then
    unset 'PART[podman]'
    ERR[podman]="images could not be loaded: $LAST_ERR"
    say "  FAIL  podman: ${ERR[podman]}"
  fi
  # Images that did build stay recorded; the error names the others.
  [ ${#failed[@]} -eq 0 ] || { ERR[images]=$(printf '%s; ' "${failed[@]}"); say "  FAIL  images: ${ERR[images]}"; }
  return 0
}

# ------------------------------------------------------------------------------------- node_exporter
HOST_EXPORTER=127.0.0.1:9110

exporter_ok() { curl -sf --max-time 5 "http://$1/metrics" 2>/dev/null | grep '^node_memory_MemAvailable_bytes' >/dev/null; }

# start_exporter PIDFILE ADDRESS [PREFIX...]: one prometheus-node-exporter on ADDRESS (PREFIX: nsenter).
start_exporter() {
  local pidfile=$1 addr=$2
  shift 2
  # No systemd here: its collector would only log a dbus error on every scrape.
  local cmd=("$@" prometheus-node-exporter --web.listen-address="$addr" --no-collector.systemd)
  exporter_ok "$addr" && same_command "$pidfile" "${cmd[@]}" && return 0
  stop_pidfile "$pidfile" 3
  spawn "$LOGDIR/node-exporter-${addr//[:.]/-}.log" "${cmd[@]}"
  echo "$SPAWNED" >"$pidfile"
  echo "${cmd[*]}" >"$pidfile.cmd"
  wait_for 20 exporter_ok "$addr" || fail "node_exporter on $addr: no node_memory_MemAvailable_bytes after 20 s" || return 1
}

part_node_exporter() {
  command -v prometheus-node-exporter >/dev/null || fail 'prometheus-node-exporter is not installed' || return 1
  start_exporter "$RUN/node-exporter.pid" "$HOST_EXPORTER" || return 1
  PART[nodeExporter]="{\"url\":\"http://$HOST_EXPORTER/metrics\"}"
}

# ------------------------------------------------------------------------------------------- devices
# Each test device is a network namespace with its own address on a veth link to a host bridge, its own
# sshd (key login as root; DOCKER_HOST points `docker system dial-stdio` at the device's engine), its
# own dockerd (unix socket, and TCP with TLS client certificates) and its own node_exporter.
DEVICES=(dev1 dev2)
NET=10.231.0
HOST_ADDR=$NET.1
BRIDGE=wt-br0
SSH_DIR=$LIB/ssh
SSH_KEY=$SSH_DIR/id_ed25519
KNOWN_HOSTS=$SSH_DIR/known_hosts
TLS=$LIB/tls

dev_addr() { echo "$NET.1${1#dev}"; }
dev_sock() { echo "$RUN/$1/docker.sock"; }

ensure_bridge() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || try "creating bridge $BRIDGE" ip link add "$BRIDGE" type bridge || return 1
  ip -4 addr show dev "$BRIDGE" | grep " $HOST_ADDR/24 " >/dev/null ||
    try "address on $BRIDGE" ip addr add "$HOST_ADDR/24" dev "$BRIDGE" || return 1
  try "bringing $BRIDGE up" ip link set "$BRIDGE" up || return 1
  # Docker and netavark set FORWARD's policy to DROP; device-to-device traffic crosses the bridge.
  iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null ||
    try 'iptables rule for the device bridge' iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
}

ensure_netns() {
  local dev=$1 addr
  addr=$(dev_addr "$dev")
  [ -e "/var/run/netns/$dev" ] || try "ip netns add $dev" ip netns add "$dev" || return 1
  if ! ip link show "wt-$dev" >/dev/null 2>&1; then
    ip -n "$dev" link del eth0 >/dev/null 2>&1
    try "veth for $dev" ip link add "wt-$dev" type veth peer name eth0 netns "$dev" || return 1
  fi
  try "veth wt-$dev on $BRIDGE" ip link set "wt-$dev" master "$BRIDGE" up || return 1
  try "lo up in $dev" ip -n "$dev" link set lo up || return 1
  try "eth0 up in $dev" ip -n "$dev" link set eth0 up || return 1
  ip -n "$dev" -4 addr show dev eth0 | grep " $addr/24 " >/dev/null ||
    try "address $addr in $dev" ip -n "$dev" addr add "$addr/24" dev eth0 || return 1
  try "default route in $dev" ip -n "$dev" route replace default via "$HOST_ADDR"
}

# sign_cert NAME CN EXTENSIONS: a key and a certificate signed by the test CA, under $TLS.
sign_cert() {
  local name=$1 cn=$2 ext=$3
  mkdir -p "$(dirname "$TLS/$name")"
  try "key $name" openssl genrsa -out "$TLS/$name-key.pem" 2048 || return 1
  try "csr $name" openssl req -new -key "$TLS/$name-key.pem" -subj "/CN=$cn" -out "$TLS/$name.csr" || return 1
  printf '%s\n' "$ext" >"$TLS/$name.ext"
  try "sign $name" openssl x509 -req -in "$TLS/$name.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca-key.pem" -CAcreateserial \
    -days 3650 -sha256 -extfile "$TLS/$name.ext" -out "$TLS/$name-cert.pem" || return 1
  rm -f "$TLS/$name.csr" "$TLS/$name.ext"
  chmod 600 "$TLS/$name-key.pem"
}

# cert_valid CERT [IP]: signed by the current CA, valid for one more day, and (for servers) covering IP.
cert_valid() {
  openssl verify -CAfile "$TLS/ca.pem" "$1" >/dev/null 2>&1 &&
    openssl x509 -checkend 86400 -noout -in "$1" >/dev/null 2>&1 &&
    { [ -z "$2" ] || openssl x509 -noout -text -in "$1" 2>/dev/null | grep "IP Address:$2\b" >/dev/null; }
}

ensure_ca() {
  mkdir -p "$TLS"
  chmod 700 "$TLS"
  if ! openssl x509 -checkend 86400 -noout -in "$TLS/ca.pem" >/dev/null 2>&1; then
    try 'CA key' openssl genrsa -out "$TLS/ca-key.pem" 2048 || return 1
    try 'CA certificate' openssl req -x509 -new -key "$TLS/ca-key.pem" -sha256 -days 3650 -subj '/CN=warren-test CA' \
      -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' -out "$TLS/ca.pem" || return 1
  fi
  cert_valid "$TLS/client-cert.pem" ||
    sign_cert client warren-test-client $'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment'
}

ensure_server_cert() {
  local dev=$1 addr
  addr=$(dev_addr "$dev")
  cert_valid "$TLS/$dev/server-cert.pem" "$addr" && return 0
  sign_cert "$dev/server" "$dev" "subjectAltName=IP:$addr,IP:127.0.0.1,DNS:$dev,DNS:localhost
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature,keyEncipherment" || return 1
  CERT_CHANGED=1
}

ensure_ssh_keys() {
  mkdir -p "$SSH_DIR" /run/sshd
  chmod 700 "$SSH_DIR"
  [ -s "$SSH_KEY" ] || try 'ssh client key' ssh-keygen -q -t ed25519 -N '' -C warren-test -f "$SSH_KEY" || return 1
  cp "$SSH_KEY.pub" "$SSH_DIR/authorized_keys"
  chmod 600 "$SSH_DIR/authorized_keys"
  local dev lines=''
  for dev in "${DEVICES[@]}"; do
    [ -s "$SSH_DIR/${dev}_host_ed25519_key" ] ||
      try "host key of $dev" ssh-keygen -q -t ed25519 -N '' -C "$dev" -f "$SSH_DIR/${dev}_host_ed25519_key" || return 1
    lines+="$(dev_addr "$dev") $(cut -d' ' -f1,2 "$SSH_DIR/${dev}_host_ed25519_key.pub")"$'\n'
  done
  printf '%s' "$lines" >"$KNOWN_HOSTS"
}

ssh_dev() {
  local dev=$1
  shift
  ssh -i "$SSH_KEY" -o UserKnownHostsFile="$KNOWN_HOSTS" -o StrictHostKeyChecking=yes -o BatchMode=yes \
    -o ConnectTimeout=5 -o LogLevel=ERROR "root@$(dev_addr "$dev")" "$@"
}

sshd_config() {
  local dev=$1
  cat <<CONF
# sshd of warren test device $dev (written by scripts/test-env.sh)
ListenAddress $(dev_addr "$dev"):22
HostKey $SSH_DIR/${dev}_host_ed25519_key
PidFile $RUN/$dev/sshd.pid
AuthorizedKeysFile $SSH_DIR/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
Subsystem sftp /usr/lib/openssh/sftp-server
CONF
}

ensure_sshd() {
  local dev=$1 conf=$LIB/$1/sshd_config
  mkdir -p "$LIB/$dev" "$RUN/$dev"
  if [ "$(cat "$conf" 2>/dev/null)" != "$(sshd_config "$dev")" ]; then
    sshd_config "$dev" >"$conf"
    stop_pidfile "$RUN/$dev/sshd.pid" 3
  fi
  # A live sshd answering on its port is enough here; device_finish logs in through it anyway.
  pid_alive "$RUN/$dev/sshd.pid" && tcp_open "$(dev_addr "$dev")" 22 && return 0
  stop_pidfile "$RUN/$dev/sshd.pid" 3
  FRESH[$dev]=1
  spawn "$LOGDIR/$dev-sshd.log" nsenter --net="/var/run/netns/$dev" /usr/sbin/sshd -f "$conf" \
    -o "SetEnv=DOCKER_HOST=unix://$(dev_sock "$dev")" -E "$LOGDIR/$dev-sshd.log"
  wait_for 15 ssh_dev "$dev" true ||
    fail "sshd of $dev: no key login to root@$(dev_addr "$dev") after 15 s (see $LOGDIR/$dev-sshd.log)"
}

tcp_open() { timeout 2 bash -c ">/dev/tcp/$1/$2" 2>/dev/null; }

dev_tls_ping() {
  [ "$(curl -sf --max-time 3 --cacert "$TLS/ca.pem" --cert "$TLS/client-cert.pem" --key "$TLS/client-key.pem" \
    "https://$(dev_addr "$1"):2376/_ping")" = OK ]
}

dev_docker_ok() { docker_ping "$(dev_sock "$1")" && dev_tls_ping "$1"; }

start_dockerd() {
  local dev=$1 addr pidfile=$RUN/$1/docker.pid
  addr=$(dev_addr "$dev")
  # nsenter, not `ip netns exec`: the latter remounts /sys and dockerd then finds no devices cgroup.
  local cmd=(nsenter --net="/var/run/netns/$dev" dockerd
    --config-file "$LIB/$dev/daemon.json" --data-root "$LIB/$dev/docker" --exec-root "$RUN/$dev/exec"
    --pidfile "$pidfile" --cgroup-parent "warren-$dev"
    -H "unix://$(dev_sock "$dev")" -H "tcp://$addr:2376"
    --tlsverify --tlscacert "$TLS/ca.pem" --tlscert "$TLS/$dev/server-cert.pem" --tlskey "$TLS/$dev/server-key.pem")
  if [ "$CERT_CHANGED" = 1 ] || ! same_command "$pidfile" "${cmd[@]}"; then stop_pidfile "$pidfile" 40; fi
  dev_docker_ok "$dev" && return 0
  # A daemon still starting keeps its pid file; give it time before replacing it.
  pid_alive "$pidfile" && wait_for 30 dev_docker_ok "$dev" && return 0
  stop_pidfile "$pidfile" 40
  rm -f "$(dev_sock "$dev")"
  mkdir -p "$LIB/$dev/docker" "$RUN/$dev/exec"
  [ -f "$LIB/$dev/daemon.json" ] || echo '{}' >"$LIB/$dev/daemon.json"
  spawn "$LOGDIR/$dev-dockerd.log" "${cmd[@]}"
  echo "${cmd[*]}" >"$pidfile.cmd"
  STARTED_DOCKERD+=("$dev")
  FRESH[$dev]=1
}

# Brings up everything of one device but waits not for its dockerd, so that the engines start side by side.
device_start() {
  local dev=$1
  CERT_CHANGED=0
  ensure_netns "$dev" || return 1
  ensure_server_cert "$dev" || return 1
  ensure_sshd "$dev" || return 1
  start_exporter "$RUN/$dev/node-exporter.pid" "$(dev_addr "$dev"):9100" nsenter --net="/var/run/netns/$dev" || return 1
  start_dockerd "$dev"
}

# What the suites do: reach the device's engine through SSH (dial-stdio honours the session's
# DOCKER_HOST). A login costs a second or two on a busy machine, so it runs while images load, and only
# when this run (re)started the device's sshd or dockerd; test-env.test.ts checks it every time.
start_ssh_check() {
  local dev=$1
  rm -f "$RUN/$dev/ssh-check"
  (wait_for 60 dev_docker_ok "$dev" && ssh_dev "$dev" docker info --format '{{.DockerRootDir}}' >"$RUN/$dev/ssh-check" 2>&1) &
  SSH_CHECK[$dev]=$!
}

device_finish() {
  local dev=$1 root
  wait_for 60 dev_docker_ok "$dev" ||
    fail "dockerd of $dev: no answer on $(dev_sock "$dev") and https://$(dev_addr "$dev"):2376 after 60 s (see $LOGDIR/$dev-dockerd.log)" || return 1
  load_images "unix://$(dev_sock "$dev")" || return 1
  [ -n "${SSH_CHECK[$dev]}" ] || return 0
  wait "${SSH_CHECK[$dev]}"
  root=$(cat "$RUN/$dev/ssh-check" 2>/dev/null)
  [ "$root" = "$LIB/$dev/docker" ] || fail "ssh to $dev does not reach its own dockerd: docker info said '$root'" || return 1
}

device_json() {
  local dev=$1 addr
  addr=$(dev_addr "$dev")
  printf '{"id":"%s","address":"%s","netns":"%s",' "$dev" "$addr" "$dev"
  printf '"ssh":{"host":"%s","port":22,"username":"root","privateKeyPath":"%s","knownHostsPath":"%s"},' "$addr" "$SSH_KEY" "$KNOWN_HOSTS"
  printf '"docker":{"socket":"%s","tcp":{"host":"%s","port":2376,"tls":{"ca":"%s","cert":"%s","key":"%s"}}},' \
    "$(dev_sock "$dev")" "$addr" "$TLS/ca.pem" "$TLS/client-cert.pem" "$TLS/client-key.pem"
  printf '"nodeExporter":{"url":"http://%s:9100/metrics"}}' "$addr"
}

part_devices() {
  local dev b ok=() failed=() json sep=''
  local -A started=()
  STARTED_DOCKERD=()
  FRESH=()
  unset 'PART[network]'
  for b in ip nsenter sshd ssh dockerd openssl prometheus-node-exporter; do
    command -v "$b" >/dev/null || fail "$b is not installed" || return 1
  done
  ensure_bridge && ensure_ca && ensure_ssh_keys || return 1
  for dev in "${DEVICES[@]}"; do
    if device_start "$dev"; then started[$dev]=1; else failed+=("$dev: $LAST_ERR"); fi
  done
  SSH_CHECK=()
  for dev in "${!FRESH[@]}"; do [ -n "${started[$dev]}" ] && start_ssh_check "$dev"; done
  for dev in "${DEVICES[@]}"; do
    [ -n "${started[$dev]}" ] || continue
    if device_finish "$dev"; then ok+=("$dev"); else failed+=("$dev: $LAST_ERR"); fi
  done
  [ ${#STARTED_DOCKERD[@]} -gt 0 ] && NOTE="started the engines of ${STARTED_DOCKERD[*]}"
  [ ${#ok[@]} -gt 0 ] || { LAST_ERR=$(printf '%s; ' "${failed[@]}"); return 1; }
  json='['
  for dev in "${ok[@]}"; do json+="$sep$(device_json "$dev")"; sep=,; done
  PART[devices]="$json]"
  PART[network]="{\"cidr\":\"$NET.0/24\",\"hostAddress\":\"$HOST_ADDR\",\"bridge\":\"$BRIDGE\"}"
  # Devices that did come up stay recorded; the error names the others.
  [ ${#failed[@]} -eq 0 ] || { ERR[devices]=$(printf '%s; ' "${failed[@]}"); say "  FAIL  devices: ${ERR[devices]}"; }
  return 0
}

# ------------------------------------------------------------------------------ the machine's own services
# Recorded when they answer; they belong to the machine (trust auth, shared), so they are only used
# where isolation does not matter, e.g. the store's Postgres tests.
PG_URL=postgres://postgres@127.0.0.1:5432/postgres

pg_answers() { [ "$(PGCONNECT_TIMEOUT=3 psql "$PG_URL" -XtAc 'select 1' 2>/dev/null)" = 1 ]; }

part_postgres() {
  command -v psql >/dev/null || fail 'psql is not installed (the machine has no PostgreSQL)' || return 1
  if ! pg_answers; then
    # It is meant to run already; one attempt to start a stopped cluster costs nothing.
    command -v pg_ctlcluster >/dev/null && try 'pg_ctlcluster 15 main start' pg_ctlcluster 15 main start
    wait_for 15 pg_answers || fail "no answer from $PG_URL (the machine's PostgreSQL, trust auth)" || return 1
    NOTE='started the machine cluster'
  fi
  PART[postgres]="{\"url\":\"$PG_URL\"}"
}

part_chromium() {
  [ -x /usr/bin/chromium ] || fail '/usr/bin/chromium missing (package chromium)' || return 1
  PART[chromium]='{"path":"/usr/bin/chromium"}'
}

part_mosquitto() {
  [ -x /usr/sbin/mosquitto ] || fail '/usr/sbin/mosquitto missing (package mosquitto)' || return 1
  PART[mosquitto]='{"bin":"/usr/sbin/mosquitto"}'
}

# ------------------------------------------------------------------------------------------ commands
ALL_PARTS=(apt docker podman nodeExporter images devices postgres chromium mosquitto)

cmd_up() {
  local t0=$SECONDS
  say "warren test environment: up (log: $LOG)"
  read_state
  part apt part_apt
  part docker part_docker
  part podman part_podman
  part nodeExporter part_node_exporter
  part images part_images
  part devices part_devices
  part postgres part_postgres
  part chromium part_chromium
  part mosquitto part_mosquitto
  write_state
  say "warren test environment: up done in $((SECONDS - t0)) s (${#ERR[@]} part(s) with errors); state: $STATE"
}

# Checks what is running now, whatever state.json says; changes nothing.
cmd_status() {
  local bad=0 dev name
  check() {
    if "${@:2}" >/dev/null 2>&1; then echo "  ok    $1"; else echo "  DOWN  $1"; bad=1; fi
  }
  check "docker $DOCKER_SOCK" docker_ping "$DOCKER_SOCK"
  check "podman $PODMAN_SOCK" podman_ping "$PODMAN_SOCK"
  check "node_exporter $HOST_EXPORTER" exporter_ok "$HOST_EXPORTER"
  for name in "${IMAGES[@]}"; do
    check "image ${IMG_REF[$name]} (local docker)" docker image inspect "${IMG_REF[$name]}"
  done
  for dev in "${DEVICES[@]}"; do
    check "$dev dockerd $(dev_sock "$dev")" docker_ping "$(dev_sock "$dev")"
    check "$dev dockerd https://$(dev_addr "$dev"):2376 (TLS)" dev_tls_ping "$dev"
    check "$dev sshd $(dev_addr "$dev"):22" tcp_open "$(dev_addr "$dev")" 22
    check "$dev node_exporter $(dev_addr "$dev"):9100" exporter_ok "$(dev_addr "$dev"):9100"
  done
  check "postgres $PG_URL" pg_answers
  if [ -f "$STATE" ]; then
    node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      for (const [k, v] of Object.entries(s.errors ?? {})) console.log(`  error ${k}: ${v}`);
      console.log(`  state ${process.argv[1]} written ${s.updatedAt}`);' "$STATE"
  else
    echo "  no $STATE: run bash scripts/test-env.sh up"
    bad=1
  fi
  return $bad
}

cmd_down() {
  local dev k
  say "warren test environment: down"
  for dev in "${DEVICES[@]}"; do
    # dockerd stops its containers on TERM; give it the time to.
    stop_pidfile "$RUN/$dev/docker.pid" 40
    stop_pidfile "$RUN/$dev/sshd.pid" 5
    stop_pidfile "$RUN/$dev/node-exporter.pid" 5
    # dockerd leaves mounts behind (its data root bound onto itself, network namespace files).
    unmount_under "$LIB/$dev"
    unmount_under "$RUN/$dev"
    [ -e "/var/run/netns/$dev" ] && try "ip netns del $dev" ip netns del "$dev"
    ip link show "wt-$dev" >/dev/null 2>&1 && try "ip link del wt-$dev" ip link del "wt-$dev"
    rm -rf --one-file-system "${RUN:?}/$dev"
    say "  down  $dev"
  done
  ip link show "$BRIDGE" >/dev/null 2>&1 && try "ip link del $BRIDGE" ip link del "$BRIDGE"
  while iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do
    iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT || break
  done
  stop_pidfile "$RUN/node-exporter.pid" 5 && say "  down  nodeExporter"
  stop_pidfile "$RUN/podman.pid" 10 && rm -f "$PODMAN_SOCK" && say "  down  podman"
  # The local engine is stopped only if this script started it; images and caches stay either way.
  if [ -f "$RUN/started-dockerd" ]; then
    stop_pidfile /var/run/docker.pid 40
    rm -f "$RUN/started-dockerd"
    say "  down  docker"
  fi
  PART=()
  for k in "${ALL_PARTS[@]}"; do ERR[$k]='the test environment is down: run bash scripts/test-env.sh up'; done
  write_state
  say "warren test environment: down done"
}

main() {
  [ "$(id -u)" = 0 ] || { echo "test-env.sh: must run as root" >&2; exit 1; }
  mkdir -p "$LIB" "$CACHE" "$RUN" "$LOGDIR" "$(dirname "$LOG")"
  local action=${1:-}
  case $action in
    status) cmd_status; exit ;;
    up | down) ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
  esac
  # Several people's suites may call `up` at once; a second run waits, then finds everything up.
  exec 9>"$RUN/lock"
  if ! flock -w 3600 9; then echo "test-env.sh: another run holds $RUN/lock" >&2; exit 1; fi
  log "=== $action (pid $$)"
  "cmd_$action"
}

main "$@"
