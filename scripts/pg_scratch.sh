#!/usr/bin/env bash
# pg_scratch.sh - a throw-away PostgreSQL server for the tests (Debian's
# `postgresql` package): its data directory under DIR, owned by an
# unprivileged user when run as root (PostgreSQL refuses to run as root),
# on a free port of 127.0.0.1 and a socket in DIR, with password
# (scram-sha-256) authentication for the role c12 over TCP.
#
#   pg_scratch.sh start DIR           initdb the first time, then start; prints the DSN of database c12
#   pg_scratch.sh stop DIR            stop at once (-m fast: sessions are cut, as by a restart)
#   pg_scratch.sh restart DIR         pg_ctl restart -m fast: sessions cut, the server back at once
#   pg_scratch.sh createdb DIR NAME   a new database NAME owned by c12; prints its DSN
#   pg_scratch.sh psql DIR DB SQL     run SQL in database DB as the superuser; prints the rows
#
# DIR is a new, empty folder that the unprivileged user can reach (one made
# by mktemp -d under /tmp); remove it after `stop`. Every wait is bounded.
set -eu
cmd=${1:?usage: pg_scratch.sh start|stop|restart|createdb|psql DIR ...}
dir=${2:?DIR missing}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "pg_scratch: PostgreSQL's server is not installed (Debian package postgresql: scripts/deps.sh --test)" >&2
  exit 1
fi
as=()
if [ "$(id -u)" = 0 ]; then
  as=(runuser -u nobody --)
fi

run() { "${as[@]}" "$@"; }

superuser() { # DB SQL
  run "$bin/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$dir" -p "$(cat "$dir/port")" -U postgres -d "$1" -c "$2"
}

dsn() { # DB
  echo "host=127.0.0.1 port=$(cat "$dir/port") dbname=$1 user=c12 password=$(cat "$dir/password")"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

init() {
  [ ${#as[@]} = 0 ] || chown nobody "$dir"
  chmod 700 "$dir"
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/password"
  free_port > "$dir/port"
  run "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=trust \
    --auth-host=scram-sha-256 > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
}

start() {
  local first=0
  [ -d "$dir/data" ] || { init; first=1; }
  # fsync off: a throw-away server; a fast stop still checkpoints every committed row
  run "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $(cat "$dir/port") -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start > /dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  if [ $first = 1 ]; then
    superuser postgres "CREATE ROLE c12 LOGIN PASSWORD '$(cat "$dir/password")'"
    superuser postgres "CREATE DATABASE c12 OWNER c12"
  fi
  dsn c12
}

case "$cmd" in
  start) start ;;
  stop) run "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop > /dev/null ;;
  restart) run "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 30 restart > /dev/null ;;
  createdb)
    superuser postgres "CREATE DATABASE \"${3:?NAME missing}\" OWNER c12"
    dsn "$3" ;;
  psql) superuser "${3:?DB missing}" "${4:?SQL missing}" ;;
  *) echo "pg_scratch: unknown command $cmd" >&2; exit 2 ;;
esac
