#!/usr/bin/env bash
# Run the test suite given as arguments. PostgreSQL tests join in once the
# reminder work adds a server; until then this runs the suite on SQLite.
set -euo pipefail
exec "$@"
