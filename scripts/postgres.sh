#!/usr/bin/env bash
# Run a private PostgreSQL server for tests: loopback only, data in a folder
# of its own, no password (trust), fsync off. Never use it for real data.
#
#   scripts/postgres.sh start DIR   start a server in DIR and print its URL
#   scripts/postgres.sh stop DIR    stop the server in DIR (fine if not running)
#
# Installs Debian's `postgresql` package when no server binaries are found
# and this runs as root. As root the server runs as the `postgres` user,
# because initdb and postgres refuse to run as root.
set -euo pipefail

DATABASE=mapbot_test
SUPERUSER=mapbot

die() {
    echo "postgres.sh: $*" >&2
    exit 1
}

find_bindir() {
    local candidate
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]]; then
            echo "$candidate"
            return 0
        fi
    done
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"
        return 0
    fi
    return 1
}

install_server() {
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        die "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with" \
            "'sudo apt-get install postgresql' (Debian, Ubuntu) or put initdb on PATH," \
            "or set MAPBOT_TEST_POSTGRES_URL to a database whose user may create schemas."
    fi
    echo "postgres.sh: installing Debian's postgresql package" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

# Run a command as the user that owns the server's files.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    local dir=$1 bindir port
    bindir=$(find_bindir) || { install_server; bindir=$(find_bindir) || die "initdb is still missing after installing postgresql"; }
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "the postgres user is missing: reinstall Debian's postgresql package"
        chown postgres "$dir"
    fi

    as_owner "$bindir/initdb" --pgdata="$dir/data" --username="$SUPERUSER" --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || die "initdb failed: see $dir/initdb.log"
    port=$(free_port)
    # Sockets go in DIR, so nothing is written to /var/run/postgresql.
    as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait \
        --options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null || die "the server did not start: see $dir/server.log"
    echo "$port" >"$dir/port"
    as_owner "$bindir/createdb" --host=127.0.0.1 --port="$port" --username="$SUPERUSER" "$DATABASE" \
        || die "createdb $DATABASE failed: see $dir/server.log"
    echo "postgresql+psycopg://$SUPERUSER@127.0.0.1:$port/$DATABASE"
}

stop() {
    local dir=$1 bindir
    [[ -f "$dir/data/postmaster.pid" ]] || return 0
    bindir=$(find_bindir) || die "pg_ctl was not found, so the server in $dir/data was left running"
    as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait stop >/dev/null
}

case "${1:-}" in
    start) [[ $# -eq 2 ]] || die "usage: $0 start DIR"; start "$2" ;;
    stop) [[ $# -eq 2 ]] || die "usage: $0 stop DIR"; stop "$2" ;;
    *) die "usage: $0 start DIR | stop DIR" ;;
esac
