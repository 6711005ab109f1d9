#!/usr/bin/env bash
# Installs the Python package as a user without Rust would: fresh virtualenvs, and a PATH with
# no cargo, rustc or rustup on it.
#   scripts/check-python-install.sh DIR      (DIR holds one wheel and one sdist)
# - the wheel installs, is imported from the virtualenv and holds a whole conversation with the
#   local hub (examples/python/chat.py);
# - its testing kit works from the wheel alone: captivate.testing imports without pytest, and,
#   pytest installed, the README's tests (examples/python/testing) pass with the in-process hub
#   and the `captivate_hub` fixture of the plugin pytest finds through the package's entry point;
# - the sdist, and the source tree, fail at once with the message asking for Rust, and nothing
#   fetches a toolchain (the toolchain servers are unreachable and the cache stays empty).
# The interpreter is $PYTHON (python3 by default); the local hub is scripts/with-sim.sh's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist=$(cd "$1" && pwd)
wheels=("$dist"/*.whl) sdists=("$dist"/*.tar.gz)
[ "${#wheels[@]}" -eq 1 ] && [ -f "${wheels[0]}" ] || { echo "no single wheel in $dist" >&2; exit 1; }
[ "${#sdists[@]}" -eq 1 ] && [ -f "${sdists[0]}" ] || { echo "no single sdist in $dist" >&2; exit 1; }
rust_version=$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' "$root/Cargo.toml")
[ -n "$rust_version" ] || { echo "no rust-version in Cargo.toml" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAILED: $1" >&2; [ -n "${2:-}" ] && tail -n 40 "$2" >&2; exit 1; }

# The virtualenvs are made while the interpreter's own PATH (pyenv's, say) still works.
"${PYTHON:-python3}" -m venv "$tmp/wheel-env"
"${PYTHON:-python3}" -m venv "$tmp/sdist-env"

# PATH without any folder that holds a Rust tool; caches and toolchain servers out of reach.
no_rust=""
IFS=: read -r -a folders <<<"$PATH"
for d in "${folders[@]}"; do
  [ -n "$d" ] || continue
  [ -e "$d/cargo" ] || [ -e "$d/rustc" ] || [ -e "$d/rustup" ] || no_rust="$no_rust:$d"
done
export PATH="${no_rust#:}"
export XDG_CACHE_HOME="$tmp/cache" CARGO_HOME="$tmp/cargo-home" RUSTUP_HOME="$tmp/rustup-home"
export RUSTUP_DIST_SERVER="http://127.0.0.1:9" RUSTUP_UPDATE_ROOT="http://127.0.0.1:9/rustup"
unset MATURIN_NO_INSTALL_RUST
! command -v cargo >/dev/null && ! command -v rustc >/dev/null || fail "cargo or rustc is still on PATH"
echo "== no cargo or rustc on PATH"

echo "== the wheel: $(basename "${wheels[0]}")"
"$tmp/wheel-env/bin/pip" install -q --disable-pip-version-check "${wheels[0]}" >"$tmp/wheel.log" 2>&1 \
  || fail "the wheel does not install" "$tmp/wheel.log"
where=$(cd "$tmp" && "$tmp/wheel-env/bin/python" -c 'import captivate; print(captivate.__file__)')
case "$where" in
  "$tmp/wheel-env/"*) echo "   installed; captivate imports from the virtualenv" ;;
  *) fail "captivate imports from $where, not from the virtualenv" ;;
esac
"$root/scripts/with-sim.sh" -- "$tmp/wheel-env/bin/python" "$root/examples/python/chat.py" >"$tmp/chat.log" 2>&1 \
  || fail "the conversation with the local hub failed" "$tmp/chat.log"
grep -q "agent > " "$tmp/chat.log" && grep -q "conversation deleted" "$tmp/chat.log" \
  || fail "the conversation did not reach the agent and the deletion" "$tmp/chat.log"
echo "   held a conversation with the local hub (examples/python/chat.py)"

(cd "$tmp" && "$tmp/wheel-env/bin/python" -c 'import sys, captivate.testing; sys.exit("pytest" in sys.modules)') \
  >"$tmp/testing-import.log" 2>&1 || fail "captivate.testing does not import without pytest" "$tmp/testing-import.log"
"$tmp/wheel-env/bin/pip" install -q --disable-pip-version-check pytest >"$tmp/pytest.log" 2>&1 \
  || fail "pytest does not install" "$tmp/pytest.log"
(cd "$tmp" && PYTHONDONTWRITEBYTECODE=1 "$tmp/wheel-env/bin/python" -m pytest -p no:cacheprovider --trace-config \
  "$root/examples/python/testing") >"$tmp/testing.log" 2>&1 || fail "the testing example failed" "$tmp/testing.log"
grep -qE "registered.*captivate\.pytest_plugin" "$tmp/testing.log" && grep -qE "^=+ [0-9]+ passed" "$tmp/testing.log" \
  || fail "the testing example did not run with the package's pytest plugin" "$tmp/testing.log"
echo "   examples/python/testing: $(grep -oE '[0-9]+ passed' "$tmp/testing.log" | tail -n1), the pytest plugin found through its entry point"

# Building from source without Rust stops before anything is built or fetched.
expect_refusal() {
  local what=$1 source=$2 log="$tmp/$1.log" start=$SECONDS
  if "$tmp/sdist-env/bin/pip" install -v --disable-pip-version-check "$source" >"$log" 2>&1; then
    fail "the $what installed without Rust" "$log"
  fi
  grep -qF "needs Rust $rust_version or newer, and no \`cargo\` is on PATH" "$log" \
    || fail "the $what did not ask for Rust $rust_version" "$log"
  grep -qF "pip install --only-binary captivate-chat captivate-chat" "$log" \
    || fail "the $what did not point to the wheel" "$log"
  ! grep -qiE "puccinialin|installing into a temporary directory|Installing backend dependencies" "$log" \
    || fail "the $what went for a Rust toolchain" "$log"
  [ ! -e "$tmp/cache/puccinialin" ] && [ ! -e "$tmp/rustup-home/toolchains" ] \
    || fail "the $what left a toolchain behind" "$log"
  echo "   refused in $((SECONDS - start)) s, asking for Rust $rust_version or the wheel"
}
echo "== the sdist without Rust: $(basename "${sdists[0]}")"
expect_refusal sdist "${sdists[0]}"
echo "== the source tree without Rust: bindings/python"
expect_refusal source-tree "$root/bindings/python"
echo "== the Python package installs from its wheel without Rust, and its sources ask for Rust"
