#!/usr/bin/env bash
# `make bench-profile`: where the client's time goes in the pipelined run, for the library and
# for the bare client doing the same exchange by hand. Each runs `bench client IMPL pipelined`
# (batches of 20,000 messages, as `make bench` sends one) against the benchmark's hub (which sends
# the hub's echoes in every item kind and key order), under `perf record` sampling the client
# process only, the client pinned to one core and the hub to the other; the top symbols by
# self time go to bench/PROFILE.md, beside bench/RESULTS.md.
#
# Needs `perf` (Debian's linux-perf) and a kernel that lets this user sample its own processes
# (perf_event_paranoid 2 or lower); without either it says so and exits non-zero. Not part of
# `make test`. PROFILE_MESSAGES=N changes the batch (default 20000), PROFILE_BATCHES=N their
# number (default 5, for enough samples), PROFILE_TOP=N the rows.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
bench="$CARGO_TARGET_DIR/release/bench"
out="$root/build/bench/profile"
report="$root/bench/PROFILE.md"
messages="${PROFILE_MESSAGES:-20000}"
batches="${PROFILE_BATCHES:-5}"
top="${PROFILE_TOP:-25}"
mkdir -p "$out"

command -v perf > /dev/null || { echo "bench-profile: perf is not installed (Debian: linux-perf)" >&2; exit 2; }
if ! perf record -q -o "$out/check.data" -- true > /dev/null 2>&1; then
  echo "bench-profile: perf cannot sample here (see /proc/sys/kernel/perf_event_paranoid)" >&2
  exit 2
fi

echo "== release build of the benchmark" >&2
cargo build -q --release -p captivate-bench

pin_client=(taskset -c 0)
pin_hub=(taskset -c 1)
[ "$(nproc)" -ge 2 ] && command -v taskset > /dev/null || { pin_client=(); pin_hub=(); }

hub_pid=""
cleanup() { [ -n "$hub_pid" ] && kill "$hub_pid" 2> /dev/null; true; }
trap cleanup EXIT

# The hub, and its URL from the first line it prints.
"${pin_hub[@]}" "$bench" hub > "$out/hub.out" 2> "$out/hub.err" &
hub_pid=$!
for _ in $(seq 1 200); do
  url=$(head -n1 "$out/hub.out" 2> /dev/null || true)
  [ -n "$url" ] && break
  sleep 0.05
done
[ -n "${url:-}" ] || { echo "bench-profile: the hub printed no URL" >&2; exit 1; }

profile() { # IMPL: records the client, prints its figures line, writes $out/IMPL.txt
  local impl=$1
  "${pin_client[@]}" perf record -q -F 2999 -g -o "$out/$impl.data" -- \
    "$bench" client "$impl" pipelined "$url" "$hub_pid" "$messages" "$batches" > "$out/$impl.json" 2> "$out/$impl.err"
  perf report -q -i "$out/$impl.data" --stdio --no-children --sort dso,sym --percent-limit 0.3 2> /dev/null |
    awk -v top="$top" '/^ +[0-9]+\.[0-9]+%/ && n < top { print; n++ }' > "$out/$impl.txt"
}

echo "== the library (rust-lib), pipelined" >&2
profile rust-lib
echo "== the bare client (rust-bare), pipelined" >&2
profile rust-bare

table() { # IMPL
  echo "| self | where | symbol |"
  echo "|---:|---|---|"
  while read -r pct dso _ rest; do
    # rest: "SYMBOL" after perf's "[.]" or "[k]" column
    sym=${rest#*] }
    printf '| %s | %s | `%s` |\n' "$pct" "$dso" "${sym//|/\\|}"
  done < "$out/$1.txt"
}

{
  echo "# Where the time goes: the pipelined run"
  echo
  echo "Written by \`make bench-profile\` (bench/profile.sh) at commit $(git rev-parse --short HEAD 2> /dev/null || echo unknown),"
  echo "$(date -u +%Y-%m-%d). $batches batches of $messages messages on one conversation against the benchmark's hub, the"
  echo "client sampled by \`perf record -F 2999 -g\` (its process only; the hub on the other core)."
  echo "Self time per symbol, the top $top above 0.3%; release build without debug info, so inlined"
  echo "functions count in their callers. Figures of the run (under the profiler, so not the"
  echo "benchmark's): the library \`$(cat "$out/rust-lib.json")\`; the bare client"
  echo "\`$(cat "$out/rust-bare.json")\`."
  echo
  echo "## The library (rust-lib)"
  echo
  table rust-lib
  echo
  echo "## The bare client doing the same exchange by hand (rust-bare)"
  echo
  table rust-bare
} > "$report"
echo "bench-profile: wrote $report" >&2
