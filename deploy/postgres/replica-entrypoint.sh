#!/bin/sh
# db-replica's entrypoint (docker-compose.yml): a hot standby of the primary at
# PRIMARY_HOST. The first start copies the primary with pg_basebackup -R, which
# also writes how to stream from it (primary_conninfo, standby.signal); every
# start then runs PostgreSQL on that copy, replaying what the primary writes.
# Arguments go to postgres (apps/core/tests/test_deployment.py passes a port).
set -eu
: "${PGDATA:?}" "${PRIMARY_HOST:?}" "${PGUSER:?}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pg_basebackup -h "$PRIMARY_HOST" -p "${PRIMARY_PORT:-5432}" -U "$PGUSER" \
    -D "$PGDATA" -R -X stream -c fast
  chmod 700 "$PGDATA"
fi
exec postgres -D "$PGDATA" -c hot_standby=on -c hot_standby_feedback=on "$@"
