#!/usr/bin/env bash
# Builds the Python package from its sdist away from the repository, as pip does for a user
# with Rust: the sdist unpacked in a temporary folder, a fresh virtualenv, `pip wheel` with
# cargo's own target folder in there (a release build), then the wheel installed, imported and
# holding a conversation with the local hub.
#   scripts/check-python-sdist.sh SDIST
# The interpreter is $PYTHON (python3 by default).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sdist=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tar xzf "$sdist" -C "$tmp"
src=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d)
"${PYTHON:-python3}" -m venv "$tmp/venv"
echo "== pip wheel $(basename "$sdist"), unpacked in $tmp"
start=$SECONDS
(cd "$src" && env -u CARGO_TARGET_DIR "$tmp/venv/bin/pip" wheel -q --no-deps -w "$tmp/wheel" .)
echo "   built $(basename "$tmp"/wheel/*.whl) in $((SECONDS - start)) s"
[ -d "$src/target" ] || { echo "the build did not use the sdist's own target folder" >&2; exit 1; }
"$tmp/venv/bin/pip" install -q "$tmp"/wheel/*.whl
(cd "$tmp" && "$tmp/venv/bin/python" -c 'import captivate, sys; print("   imports:", captivate.__file__)')
"$root/scripts/with-sim.sh" -- "$tmp/venv/bin/python" "$root/examples/python/chat.py" >"$tmp/chat.log" 2>&1 \
  || { tail -n 40 "$tmp/chat.log" >&2; echo "the conversation with the local hub failed" >&2; exit 1; }
grep -q "conversation deleted" "$tmp/chat.log" || { cat "$tmp/chat.log" >&2; exit 1; }
echo "== the sdist builds away from the repository, and its package talks to the local hub"
