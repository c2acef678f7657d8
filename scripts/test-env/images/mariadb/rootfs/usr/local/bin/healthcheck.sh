#!/bin/sh
# Health check of warren-test/mariadb: the server answers over TCP (so initialisation is over). Like
# upstream's healthcheck.sh it needs no password: `mariadb-admin ping` succeeds even on access denied.
exec mariadb-admin --protocol=tcp --host=127.0.0.1 --port=3306 --connect-timeout=2 ping >/dev/null 2>&1
