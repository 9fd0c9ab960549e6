#!/usr/bin/env bash
# Run the test command given as arguments with a private PostgreSQL server,
# so the storage and reminder tests run on PostgreSQL as well as SQLite.
#
# The server runs on loopback with its data in a temporary folder, and is
# stopped and removed when the command ends, whether it passed or not. When
# MAPBOT_TEST_POSTGRES_URL is already set, that database is used instead and
# no server is started.
set -euo pipefail

scripts=$(cd "$(dirname "$0")" && pwd)

if [[ -n "${MAPBOT_TEST_POSTGRES_URL:-}" ]]; then
    exec "$@"
fi

folder=$(mktemp -d "${TMPDIR:-/tmp}/mapbot-postgres.XXXXXX")
cleanup() {
    "$scripts/postgres.sh" stop "$folder" || echo "test-databases.sh: failed to stop the server in $folder" >&2
    rm -rf "$folder"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! url=$("$scripts/postgres.sh" start "$folder"); then
    echo "test-databases.sh: PostgreSQL did not start, so the tests did not run." >&2
    echo "test-databases.sh: fix the error above, or set MAPBOT_TEST_POSTGRES_URL to a database" \
        "URL (postgresql+psycopg://...) whose user may create schemas." >&2
    exit 1
fi
export MAPBOT_TEST_POSTGRES_URL=$url
echo "test-databases.sh: PostgreSQL for tests at $url" >&2
"$@"
