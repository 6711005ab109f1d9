#!/usr/bin/env bash
# `make bench`: builds what the benchmark measures (release builds only), installs the Python and
# Node packages it compares against, runs `bench run` and writes bench/RESULTS.md.
#
# A front end that fails to build is handed to the driver as broken: the report says so and the
# run exits non-zero at the end, after measuring everything else. BENCH_ROUNDS=N changes the
# number of rounds (default 5); extra arguments go to `bench run` (e.g. --only rust-).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
rel="$CARGO_TARGET_DIR/release"
out="$root/build/bench"
mkdir -p "$out"
started=$(date +%s)
# A thousand idle clients need a thousand sockets in the client and in the hub.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

step() { echo "== $*" >&2; }

step "release builds: the benchmark, the local hub, libcaptivate"
cargo build -q --release -p captivate-bench -p captivate-sim -p captivate-ffi || exit 1

args=(--out "$root/bench/RESULTS.md" --logs "$out/logs" --sim "$rel/captivate-sim")

step "C: libcaptivate (release) under build/bench/prefix; bench/c/bench.c at -O2"
if {
  make --no-print-directory install-lib C_PROFILE=release C_PREFIX="$out/prefix" &&
    cc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror bench/c/bench.c -o "$out/bench-c" \
      $(PKG_CONFIG_PATH="$out/prefix/lib/pkgconfig" pkg-config --cflags --libs captivate) \
      -Wl,-rpath,"$out/prefix/lib" -lpthread
} > "$out/c-build.log" 2>&1; then
  args+=(--c "$out/bench-c")
else
  args+=(--broken "c:the C program did not build (see build/bench/c-build.log)")
fi

step "Python: build/bench/venv with captivate (bindings/python, release) and websockets"
py="$out/venv/bin/python"
if {
  { [ -x "$py" ] || python3 -m venv "$out/venv"; } &&
    "$py" -m pip install -q --disable-pip-version-check websockets &&
    "$py" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./bindings/python &&
    "$py" -c "import captivate, websockets"
} > "$out/python-build.log" 2>&1; then
  args+=(--python "$py" --python-script "$root/bench/python/bench.py")
else
  args+=(--broken "python:the Python packages did not install (see build/bench/python-build.log)")
fi

step "Node: build/bench/node with captivate-chat (bindings/node, release addon) and ws"
mkdir -p "$out/node"
cat > "$out/node/package.json" <<JSON
{"name": "captivate-bench-node", "private": true,
 "dependencies": {"captivate-chat": "file:$root/bindings/node", "ws": "^8.18.0"}}
JSON
cp bench/node/bench.mjs "$out/node/bench.mjs"
if (
  cd "$out/node" &&
    CAPTIVATE_NODE_PROFILE=release npm install --no-audit --no-fund --loglevel=error --foreground-scripts &&
    node -e "require('captivate-chat'); require('ws')"
) > "$out/node-build.log" 2>&1; then
  args+=(--node node --node-script "$out/node/bench.mjs")
else
  args+=(--broken "node:the Node packages did not install (see build/bench/node-build.log)")
fi

step "measuring (the hubs on one core, the clients on the other)"
"$rel/bench" run "${args[@]}" "$@"
status=$?
echo "make bench took $(($(date +%s) - started)) s" >&2
exit $status
