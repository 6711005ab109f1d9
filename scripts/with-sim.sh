#!/usr/bin/env bash
# Runs a command against a freshly started local hub, then stops the hub.
#   scripts/with-sim.sh [--tls] -- COMMAND ARGS...
# The command sees CAPTIVATE_URL (ws:// or wss:// URL without the key), CAPTIVATE_API_KEY,
# CAPTIVATE_API_KEY_2 (a second key the hub accepts, for listings across keys),
# CAPTIVATE_HTTP_URL (the hub's HTTP base, for its control endpoints) and, with --tls,
# CAPTIVATE_CA_FILE (the hub's self-signed certificate).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sim="${CAPTIVATE_SIM:-${CARGO_TARGET_DIR:-$root/target}/debug/captivate-sim}"
export CAPTIVATE_API_KEY_2="test-key-2"
args=(--port 0 --agent-delay-ms "${CAPTIVATE_AGENT_DELAY_MS:-300}" --extra-api-key "$CAPTIVATE_API_KEY_2")
tmp=$(mktemp -d)
if [ "${1:-}" = "--tls" ]; then
  shift
  args+=(--tls --cert-out "$tmp/ca.pem")
  export CAPTIVATE_CA_FILE="$tmp/ca.pem"
fi
[ "${1:-}" = "--" ] && shift
"$sim" "${args[@]}" >"$tmp/out" 2>"$tmp/err" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
for _ in $(seq 1 200); do
  [ -s "$tmp/out" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/err" >&2; echo "the local hub did not start" >&2; exit 1; }
  sleep 0.05
done
url=$(head -n1 "$tmp/out")
export CAPTIVATE_URL="${url%%\?*}"
export CAPTIVATE_API_KEY="${url#*apiKey=}"
scheme="${url%%://*}"; rest="${url#*://}"; hostport="${rest%%/*}"
if [ "$scheme" = "wss" ]; then export CAPTIVATE_HTTP_URL="https://$hostport"; else export CAPTIVATE_HTTP_URL="http://$hostport"; fi
"$@"
