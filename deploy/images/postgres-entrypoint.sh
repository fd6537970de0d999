#!/bin/bash
# The official image's contract, for Debian's PostgreSQL: a cluster made at the
# first start with POSTGRES_USER as its superuser (password POSTGRES_PASSWORD,
# scram-sha-256 over TCP from anywhere on the container's networks), then the
# server in the foreground as the postgres user.
set -euo pipefail
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
: "${POSTGRES_USER:=postgres}"
[ -n "${POSTGRES_PASSWORD:-}" ] || { echo "postgres: POSTGRES_PASSWORD is required" >&2; exit 1; }
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  echo "postgres: cluster made in $PGDATA (superuser $POSTGRES_USER)"
fi
exec runuser -u postgres -- "$PG_BIN/postgres" -D "$PGDATA" -c listen_addresses='*' -c max_connections=200 \
  -c unix_socket_directories=/run/postgresql
