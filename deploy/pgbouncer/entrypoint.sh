#!/bin/sh
# Fills pgbouncer.ini from the environment and runs PgBouncer in the foreground.
# DATABASE_USER / DATABASE_PASSWORD: the one role the application connects as
# (PgBouncer checks it with SCRAM against this list, then logs in to PostgreSQL
# with the same password).
set -eu
: "${DATABASE_HOST:=db}" "${DATABASE_PORT:=5432}" "${LISTEN_ADDR:=*}" "${LISTEN_PORT:=6432}"
: "${AUTH_TYPE:=scram-sha-256}" "${POOL_SIZE:=20}" "${DATABASE_USER:?}" "${DATABASE_PASSWORD:?}"
ADMIN_USER="$DATABASE_USER"
AUTH_FILE=/tmp/userlist.txt
export DATABASE_HOST DATABASE_PORT LISTEN_ADDR LISTEN_PORT AUTH_TYPE POOL_SIZE ADMIN_USER AUTH_FILE
umask 077
printf '"%s" "%s"\n' "$DATABASE_USER" "$DATABASE_PASSWORD" > "$AUTH_FILE"
envsubst < /etc/pgbouncer/pgbouncer.ini.template > /tmp/pgbouncer.ini
exec pgbouncer /tmp/pgbouncer.ini
