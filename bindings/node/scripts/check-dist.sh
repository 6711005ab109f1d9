#!/usr/bin/env bash
# Installs the npm tarballs made by scripts/pack.js the way a user would, each time in a new empty
# folder, and holds conversations with the local hub through `require` (check-dist/conversation.cjs)
# and `import` (examples/node/chat.mjs), and runs the README's testing example
# (examples/node/testing: `node --test` with the hub of captivate-chat/testing, in-process).
#
#   check-dist.sh DIR                 on a PATH without cargo or rustc (and a HOME without ~/.cargo):
#     1. the main tarball and this platform's prebuilt package: nothing is built, the addon is
#        the prebuilt one, conversations work;
#     2. the same with --ignore-scripts (as pnpm and yarn install: no install script);
#     3. the main tarball without the prebuilt package (--omit=optional): the install fails and
#        says which package is missing and that Rust 1.88 builds it; with --ignore-scripts the
#        install works and `require` and `import` throw that error.
#   check-dist.sh --source-build DIR  with cargo: the main tarball without the prebuilt package
#     builds the addon from its bundled sources (a release build), then conversations work.
#
# Nothing comes from the registry (npm install --offline).
# DIR holds captivate-chat-<version>.tgz and captivate-chat-<target>-<version>.tgz. The local hub
# is CAPTIVATE_SIM (default: the workspace's debug build).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pkg_dir=$(cd "$here/.." && pwd)
repo=$(cd "$pkg_dir/../.." && pwd)
with_sim="$repo/scripts/with-sim.sh"
export CAPTIVATE_SIM="${CAPTIVATE_SIM:-${CARGO_TARGET_DIR:-$repo/target}/debug/captivate-sim}"
# --offline: the tarballs given are what gets installed, never a published version (the prebuilt
# packages of the other platforms, not to be had offline, are optional and so left out).
npm_install=(npm install --offline --no-audit --no-fund --no-update-notifier --loglevel=error)

mode=prebuilt
if [ "${1:-}" = "--source-build" ]; then mode=source; shift; fi
dist=$(cd "${1:?usage: check-dist.sh [--source-build] DIR}" && pwd)

version=$(node -p "require('$pkg_dir/package.json').version")
platform_pkg=$(node -p "require('$pkg_dir/addon.js').platformPackage()")
main_tgz="$dist/captivate-chat-$version.tgz"
platform_tgz="$dist/$platform_pkg-$version.tgz"
for f in "$main_tgz" "$platform_tgz"; do
  [ -f "$f" ] || { echo "check-dist: $f is missing" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "check-dist: FAILED: $*" >&2; exit 1; }

# A new empty project folder; prints its path.
new_project() {
  local dir="$work/$1"
  mkdir -p "$dir"
  printf '{"name":"install-check","private":true}\n' > "$dir/package.json"
  cp "$repo/examples/node/chat.mjs" "$here/check-dist/conversation.cjs" "$repo/examples/node/testing/app.mjs" \
    "$repo/examples/node/testing/app.test.mjs" "$dir/"
  echo "$dir"
}

# Runs a command with neither cargo nor rustc on PATH, and a HOME without ~/.cargo.
no_rust_path=
IFS=: read -r -a path_dirs <<< "$PATH"
for d in "${path_dirs[@]}"; do
  [ -n "$d" ] && [ ! -e "$d/cargo" ] && [ ! -e "$d/rustc" ] && no_rust_path="$no_rust_path${no_rust_path:+:}$d"
done
mkdir -p "$work/home"
without_rust() (
  unset CARGO CARGO_HOME RUSTUP_HOME RUSTUP_TOOLCHAIN RUSTC
  export HOME="$work/home" npm_config_cache="$work/npm-cache" npm_config_update_notifier=false PATH="$no_rust_path"
  "$@"
)

# Conversations through require and import, from the project folder.
converse() {
  (cd "$1" && "$with_sim" -- node conversation.cjs) || fail "the conversation through require ($1)"
  (cd "$1" && "$with_sim" -- node chat.mjs > chat.log) || { cat "$1/chat.log" >&2; fail "the conversation through import ($1)"; }
  grep -q 'conversation deleted' "$1/chat.log" || fail "the example did not finish its conversation ($1)"
  echo "import: the example's whole conversation, $(grep -c '›' "$1/chat.log") lines of chat"
  # The testing example brings its own hub (captivate-chat/testing): no CAPTIVATE_SIM.
  (cd "$1" && env -u CAPTIVATE_SIM node --test --test-reporter=tap app.test.mjs > testing.log 2>&1) \
    || { cat "$1/testing.log" >&2; fail "the testing example ($1)"; }
  grep -q '^# fail 0' "$1/testing.log" && ! grep -q '^# pass 0' "$1/testing.log" || fail "the testing example ran no test ($1)"
  echo "captivate-chat/testing: the README's example, $(grep '^# pass' "$1/testing.log" | cut -c3-)"
}

# The licences and the changelog are in an installed package.
expect_notices() {
  for f in LICENSE-MIT LICENSE-APACHE CHANGELOG.md; do
    cmp -s "$repo/$f" "$1/$f" || fail "$1/$f is missing or differs from the repository's"
  done
}

# The addon is the prebuilt package's: no addon of the main package's own, nothing built.
expect_prebuilt() {
  local main="$1/node_modules/captivate-chat"
  [ -f "$1/node_modules/$platform_pkg/package.json" ] || fail "$platform_pkg is not installed ($1)"
  expect_notices "$main"
  expect_notices "$1/node_modules/$platform_pkg"
  ls "$main"/*.node > /dev/null 2>&1 && fail "the main package holds an addon of its own: $(ls "$main"/*.node)"
  [ -e "$main/rust/target" ] && fail "something was built in $main/rust/target"
  return 0
}

if [ "$mode" = prebuilt ]; then
  echo "== without Rust: cargo and rustc are not on PATH"
  without_rust bash -c '! command -v cargo && ! command -v rustc && [ ! -e "$HOME/.cargo" ]' > /dev/null \
    || fail "cargo or rustc is still reachable"
  without_rust bash -c 'command -v node && command -v npm' > /dev/null || fail "node or npm is not reachable without Rust's folders"

  echo "== npm install of $(basename "$main_tgz") and $(basename "$platform_tgz")"
  p=$(new_project prebuilt)
  (cd "$p" && without_rust "${npm_install[@]}" --foreground-scripts "$main_tgz" "$platform_tgz" 2>&1 | tee install.log) \
    || fail "npm install"
  grep -q "using the addon in the package $platform_pkg" "$p/install.log" || fail "the install step did not report the prebuilt addon"
  expect_prebuilt "$p"
  without_rust converse "$p"

  echo "== npm install --ignore-scripts of the same"
  p=$(new_project ignore-scripts)
  (cd "$p" && without_rust "${npm_install[@]}" --ignore-scripts "$main_tgz" "$platform_tgz") || fail "npm install --ignore-scripts"
  expect_prebuilt "$p"
  without_rust converse "$p"

  echo "== npm install of the main tarball without $platform_pkg: fails, saying what to do"
  p=$(new_project missing)
  if (cd "$p" && without_rust "${npm_install[@]}" --omit=optional "$main_tgz" > install.log 2>&1); then
    fail "npm install succeeded without the prebuilt package and without Rust"
  fi
  for said in "$platform_pkg" "Rust 1.88"; do
    grep -q "$said" "$p/install.log" || { cat "$p/install.log" >&2; fail "the install error does not mention $said"; }
  done
  echo "install: failed as it should: $(grep -m1 'no native addon' "$p/install.log")"

  echo "== the same with --ignore-scripts: require and import throw that error"
  p=$(new_project missing-ignore-scripts)
  (cd "$p" && without_rust "${npm_install[@]}" --omit=optional --ignore-scripts "$main_tgz") || fail "npm install --ignore-scripts"
  for how in "require('captivate-chat')" "import('captivate-chat')"; do
    if (cd "$p" && without_rust node -e "Promise.resolve($how).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1) })" > load.log 2>&1); then
      fail "$how worked without an addon"
    fi
    for said in "$platform_pkg" "Rust 1.88" "npm rebuild captivate-chat"; do
      grep -q "$said" "$p/load.log" || { cat "$p/load.log" >&2; fail "the error of $how does not mention $said"; }
    done
    echo "$how: failed as it should"
  done
else
  echo "== npm install of the main tarball alone, with cargo: the addon is built from the bundled sources"
  command -v cargo > /dev/null || fail "cargo is not on PATH"
  p=$(new_project source-build)
  start=$SECONDS
  (cd "$p" && env -u CAPTIVATE_NODE_PROFILE "${npm_install[@]}" --omit=optional --foreground-scripts "$main_tgz" 2>&1 | tee install.log) \
    || fail "npm install"
  echo "install with the source build: $((SECONDS - start)) s"
  grep -q "building it from source" "$p/install.log" || fail "the install step did not build from source"
  [ -f "$p/node_modules/captivate-chat/captivate.node" ] || fail "no addon was built"
  expect_notices "$p/node_modules/captivate-chat"
  [ -e "$p/node_modules/$platform_pkg" ] && fail "$platform_pkg was installed"
  [ -e "$p/node_modules/captivate-chat/rust/target" ] && fail "the build folder was left behind"
  converse "$p"
fi
echo "check-dist: all checks passed"
