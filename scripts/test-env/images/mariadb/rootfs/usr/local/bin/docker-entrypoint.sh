#!/bin/bash
# Entrypoint of warren-test/mariadb:10.11, honouring the official mariadb image's variables so that
# catalog apps written for `mariadb:10.11` run unchanged: MARIADB_ROOT_PASSWORD (or
# MARIADB_ALLOW_EMPTY_ROOT_PASSWORD / MARIADB_RANDOM_ROOT_PASSWORD), MARIADB_DATABASE, MARIADB_USER,
# MARIADB_PASSWORD, and their MYSQL_* aliases. Listens on 0.0.0.0:3306.
set -euo pipefail

if [ "${1:0:1}" = '-' ]; then set -- mariadbd "$@"; fi
if [ "$1" != mariadbd ] && [ "$1" != mysqld ]; then exec "$@"; fi

env_or_alias() { local v="MARIADB_$1" a="MYSQL_$1"; printf '%s' "${!v:-${!a:-}}"; }
ROOT_PASSWORD=$(env_or_alias ROOT_PASSWORD)
ALLOW_EMPTY=$(env_or_alias ALLOW_EMPTY_ROOT_PASSWORD)
RANDOM_ROOT=$(env_or_alias RANDOM_ROOT_PASSWORD)
DATABASE=$(env_or_alias DATABASE)
USER_NAME=$(env_or_alias USER)
USER_PASSWORD=$(env_or_alias PASSWORD)
DATADIR=/var/lib/mysql
# System tables made when the image was built (warren-make-template); accounts are set below.
TEMPLATE=/usr/local/share/warren/mysql-template

mkdir -p "$DATADIR" /run/mysqld
chown mysql:mysql "$DATADIR" /run/mysqld

sql_str() { local s=${1//\\/\\\\}; s=${s//\'/\\\'}; printf "'%s'" "$s"; }
sql_id() { printf '`%s`' "${1//\`/\`\`}"; }

if [ ! -d "$DATADIR/mysql" ]; then
  if [ -z "$ROOT_PASSWORD" ] && [ -z "$ALLOW_EMPTY" ] && [ -z "$RANDOM_ROOT" ]; then
    echo 'error: database is uninitialized and password option is not specified' >&2
    echo '       You need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD' >&2
    exit 1
  fi
  if [ -n "$RANDOM_ROOT" ]; then
    ROOT_PASSWORD=$(head -c 18 /dev/urandom | base64)
    echo "GENERATED ROOT PASSWORD: $ROOT_PASSWORD"
  fi
  if [ -d "$TEMPLATE/mysql" ] && [ -z "$(ls -A "$DATADIR")" ]; then
    # mariadb-install-db takes seconds on a busy machine; the template was made by it at build time.
    cp -a "$TEMPLATE/." "$DATADIR/"
  else
    mariadb-install-db --user=mysql --datadir="$DATADIR" --auth-root-authentication-method=normal \
      --skip-test-db --skip-name-resolve >/dev/null
  fi
  init=$(mktemp)
  {
    echo 'SET @@SESSION.SQL_LOG_BIN=0;'
    # Bootstrap mode starts without grant tables; loading them makes account statements work.
    echo 'FLUSH PRIVILEGES;'
    echo "DELETE FROM mysql.global_priv WHERE user='' OR host NOT IN ('localhost');"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_str "$ROOT_PASSWORD");"
    echo "CREATE USER 'root'@'%' IDENTIFIED BY $(sql_str "$ROOT_PASSWORD");"
    echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
    if [ -n "$DATABASE" ]; then echo "CREATE DATABASE IF NOT EXISTS $(sql_id "$DATABASE");"; fi
    if [ -n "$USER_NAME" ] && [ -n "$USER_PASSWORD" ]; then
      echo "CREATE USER $(sql_str "$USER_NAME")@'%' IDENTIFIED BY $(sql_str "$USER_PASSWORD");"
      if [ -n "$DATABASE" ]; then echo "GRANT ALL ON $(sql_id "$DATABASE").* TO $(sql_str "$USER_NAME")@'%';"; fi
    fi
  } >"$init"
  # Bootstrap mode applies the SQL without starting a networked server, so no client can connect to a
  # half-initialised database (and the health check cannot pass early).
  mariadbd --user=mysql --datadir="$DATADIR" --bootstrap --skip-networking <"$init"
  rm -f "$init"
  echo 'MariaDB init process done. Ready for start up.'
fi

exec "$1" --user=mysql --datadir="$DATADIR" --bind-address=0.0.0.0 --port=3306 --skip-name-resolve "${@:2}"
