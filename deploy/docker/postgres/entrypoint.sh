#!/bin/bash
# PostgreSQL's entrypoint in the compose stack: on an empty $PGDATA, initdb
# (the superuser postgres with $POSTGRES_PASSWORD), accept password logins
# (scram-sha-256) from the network, run /docker-entrypoint-initdb.d/*.sh and
# *.sql on a server that listens on its socket only, then start for real.
set -euo pipefail
if [ "${1:-}" != postgres ]; then exec "$@"; fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is not set (.env: see .env.example)}"
  echo "c12-postgres: initializing $PGDATA"
  pwfile=$(mktemp)
  printf '%s' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" --username=postgres --pwfile="$pwfile" --encoding=UTF8 --locale=C \
    --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "c12-postgres: running $f"; bash "$f" ;;
      *.sql) echo "c12-postgres: running $f"; psql -v ON_ERROR_STOP=1 -q -U postgres -d postgres -f "$f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -w -m fast stop >/dev/null
  echo "c12-postgres: initialized"
fi
exec "$@" -D "$PGDATA"
