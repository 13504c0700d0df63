#!/bin/sh
# db's first start (/docker-entrypoint-initdb.d/): let db-replica connect for
# replication from the compose network, with the same password as any client.
set -eu
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
