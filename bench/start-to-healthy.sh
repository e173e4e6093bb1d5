#!/usr/bin/env bash
# `npm start` until GET /api/v1/health answers 200, then stops the server (SIGTERM to its process
# group) and waits for it to exit. Time the whole script from outside, e.g.
#   /usr/bin/time -f %e bench/start-to-healthy.sh
# Run it once first: the first start may build dist/ and initialise the data directory.
# Env: PORT (18080), SWITCHBOARD_DATA_DIR or DATABASE_URL as for `npm start`; output goes to
# START_LOG (/dev/null).
set -euo pipefail
cd "$(dirname "$0")/.."
export PORT="${PORT:-18080}" LOG_LEVEL="${LOG_LEVEL:-warn}"
set -m # the server gets a process group of its own: npm, its shell and node stop together
npm start >>"${START_LOG:-/dev/null}" 2>&1 &
server=$!
trap 'kill -TERM -- "-$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/v1/health"; do
  kill -0 "$server" 2>/dev/null || { echo "npm start exited before it was healthy" >&2; exit 1; }
  sleep 0.02
done
