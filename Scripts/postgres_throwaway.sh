#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the tests, and prints the two
# variables the tests read (eval its output, or source the file it writes):
#
#   CHATBOTS_TEST_POSTGRES_URL       postgres://chatbots@127.0.0.1:PORT/chatbots
#   CHATBOTS_TEST_POSTGRES_PASSWORD  the role's password
#
# Installs PostgreSQL from Debian's packages when it is missing (as root), and
# pgbouncer with it, for the tests that run through a pooler in transaction mode.
# The cluster lives in $CHATBOTS_PG_DIR (a new one each run: the data is throwaway,
# fsync is off) and listens on 127.0.0.1 only; the role may create databases, so each
# test makes its own. `Scripts/postgres_throwaway.sh stop` stops it; `restart N` takes
# it away for N seconds and brings it back with its data.
set -euo pipefail

PORT=${CHATBOTS_PG_PORT:-54329}
BOUNCER_PORT=${CHATBOTS_PGBOUNCER_PORT:-54339}
DIR=${CHATBOTS_PG_DIR:-/tmp/chatbots-postgres}
PASSWORD=${CHATBOTS_PG_PASSWORD:-chatbots-test}

as_owner() {
    # PostgreSQL and pgbouncer refuse to run as root.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

find_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

start_server() {
    as_owner "$1/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
}

if [ "${1:-}" = restart ]; then
    # The server goes away for $2 seconds (default 5), then comes back with its data:
    # for scripts that test what runtimes do while the database is down.
    BIN=$(find_bin)
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null
    sleep "${2:-5}"
    start_server "$BIN"
    exit 0
fi

if [ "${1:-}" = stop ]; then
    BIN=$(find_bin)
    [ -n "$BIN" ] && [ -d "$DIR/data" ] && as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
    [ -f "$DIR/pgbouncer.pid" ] && kill "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null || true
    exit 0
fi

if [ -z "$(find_bin)" ] || ! command -v pgbouncer >/dev/null; then
    if [ "$(id -u)" != 0 ]; then
        echo "PostgreSQL (and pgbouncer) are not installed: apt-get install postgresql pgbouncer" >&2
        exit 1
    fi
    echo "installing PostgreSQL and pgbouncer from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql pgbouncer >&2
fi
BIN=$(find_bin)

# A new cluster each run: stop one left from an earlier run first.
"$0" stop
rm -rf "$DIR"
mkdir -p "$DIR"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
printf '%s\n' "$PASSWORD" > "$DIR/password"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR/password"
as_owner "$BIN/initdb" -D "$DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --pwfile="$DIR/password" >"$DIR/initdb.log"
start_server "$BIN"
as_owner psql -h "$DIR" -p "$PORT" -U postgres -q -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE chatbots LOGIN CREATEDB PASSWORD '$PASSWORD'" \
    -c "CREATE DATABASE chatbots OWNER chatbots" >/dev/null

# pgbouncer in transaction mode in front of it: a server connection per transaction,
# so nothing that lives in a session (advisory locks, SET, LISTEN) survives.
VERIFIER=$(as_owner psql -h "$DIR" -p "$PORT" -U postgres -Atq -c "SELECT rolpassword FROM pg_authid WHERE rolname = 'chatbots'")
printf '"chatbots" "%s"\n' "$VERIFIER" > "$DIR/userlist.txt"
cat > "$DIR/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$PORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $DIR/userlist.txt
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
pidfile = $DIR/pgbouncer.pid
logfile = $DIR/pgbouncer.log
INI
[ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"/*
as_owner pgbouncer -d "$DIR/pgbouncer.ini"

cat > "$DIR/env" <<ENV
export CHATBOTS_TEST_POSTGRES_URL=postgres://chatbots@127.0.0.1:$PORT/chatbots
export CHATBOTS_TEST_PGBOUNCER_URL=postgres://chatbots@127.0.0.1:$BOUNCER_PORT/chatbots
export CHATBOTS_TEST_POSTGRES_PASSWORD=$PASSWORD
ENV
cat "$DIR/env"
