#!/bin/bash
# Entrypoint of warren-test/postgres:15, honouring the official postgres image's variables so that
# catalog apps written for `postgres:15` run unchanged: POSTGRES_PASSWORD (required unless
# POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_USER, POSTGRES_DB, PGDATA, POSTGRES_INITDB_ARGS,
# POSTGRES_HOST_AUTH_METHOD. Remote connections use scram-sha-256, local socket ones trust, as upstream.
set -euo pipefail

if [ "${1:0:1}" = '-' ]; then set -- postgres "$@"; fi
if [ "$1" != postgres ]; then exec "$@"; fi

export PGDATA=${PGDATA:-/var/lib/postgresql/data}
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
AUTH=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
# A cluster initialised when the image was built (warren-make-template), superuser "postgres".
TEMPLATE=/usr/local/share/warren/pgdata-template

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

sql_str() { printf "'%s'" "${1//\'/\'\'}"; }
sql_id() { printf '"%s"' "${1//\"/\"\"}"; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$AUTH" != trust ]; then
    echo 'error: database is uninitialized and POSTGRES_PASSWORD is not set.' >&2
    echo '       Set POSTGRES_PASSWORD, or POSTGRES_HOST_AUTH_METHOD=trust to allow connections without one.' >&2
    exit 1
  fi
  if [ -z "${POSTGRES_INITDB_ARGS:-}" ] && [ -s "$TEMPLATE/PG_VERSION" ] && [ -z "$(ls -A "$PGDATA")" ]; then
    # initdb takes 5-15 s on a busy machine; a copy of the template, its superuser renamed (the
    # bootstrap superuser cannot be renamed by ALTER ROLE) and given the password, takes about one.
    cp -a "$TEMPLATE/." "$PGDATA/"
    sed -i "s/scram-sha-256\$/$AUTH/" "$PGDATA/pg_hba.conf"
    {
      [ "$POSTGRES_USER" = postgres ] || echo "UPDATE pg_authid SET rolname = $(sql_str "$POSTGRES_USER") WHERE oid = 10"
      [ -n "${POSTGRES_PASSWORD:-}" ] && echo "ALTER ROLE $(sql_id "$POSTGRES_USER") PASSWORD $(sql_str "$POSTGRES_PASSWORD")"
      [ "$POSTGRES_DB" = postgres ] || echo "CREATE DATABASE $(sql_id "$POSTGRES_DB")"
    } | postgres --single -D "$PGDATA" postgres >/dev/null
  else
    pwfile=$(mktemp)
    printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
    # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words, as upstream.
    initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
      --auth-local=trust --auth-host="$AUTH" ${POSTGRES_INITDB_ARGS:-} >/dev/null
    rm -f "$pwfile"
    printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
    printf 'host all all all %s\n' "$AUTH" >>"$PGDATA/pg_hba.conf"
    if [ "$POSTGRES_DB" != postgres ]; then
      # Single-user mode creates the database without starting (and waiting for) a server.
      echo "CREATE DATABASE $(sql_id "$POSTGRES_DB")" | postgres --single -D "$PGDATA" postgres >/dev/null
    fi
  fi
  echo 'PostgreSQL init process complete; ready for start up.'
fi

# Docker stops containers with SIGTERM, a "smart" shutdown that waits for every client to leave;
# upstream sets STOPSIGNAL SIGINT (fast shutdown), which `docker import` cannot, so translate here.
"$@" &
pid=$!
trap 'kill -INT "$pid" 2>/dev/null' TERM INT
wait "$pid"
rc=$?
if kill -0 "$pid" 2>/dev/null; then wait "$pid"; rc=$?; fi
exit "$rc"
