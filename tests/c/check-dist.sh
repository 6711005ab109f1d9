#!/usr/bin/env bash
# libcaptivate as it ships (`make test-dist-c`):
#  1. the archive of `make dist-c`, unpacked in a fresh place: its files, the SONAME, its
#     bin/captivate-sim (which serves every conversation below), the README's test program
#     (examples/c/app_test.c, the local hub in the process through captivate_test.h) built and
#     run from it without cargo on PATH, and examples/c/chat.c built from it five ways, each
#     holding the whole demo conversation with the local hub: pkg-config (libcaptivate.so),
#     pkg-config captivate-static (libcaptivate.a in a dynamic program), pkg-config --static
#     with -static (a fully static program), and CMake's find_package(captivate CONFIG) with
#     captivate::captivate and captivate::captivate_static;
#  2. `make install` and `make uninstall` staged with DESTDIR, with PREFIX=/usr and a multiarch
#     LIBDIR, then with LIBDIR outside the prefix: where the files land and what the .pc and
#     CMake files resolve to.
#
#   tests/c/check-dist.sh ARCHIVE [MAKE_ARGS...]
# MAKE_ARGS go to the `make install` and `make uninstall` runs (test-dist-c passes
# C_INSTALL_PROFILE=debug, the build the archive was made from).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

[ $# -ge 1 ] || fail "usage: $0 ARCHIVE [MAKE_ARGS...]"
archive=$(realpath "$1")
shift
make_args=("$@")
for tool in cc pkg-config cmake readelf; do
  command -v "$tool" >/dev/null || fail "$tool is needed for these checks (\`make test-dist-c\` takes cmake and pkg-config from PyPI when missing)"
done

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)
IFS=. read -r major minor _ <<<"$version"
soname=libcaptivate.so.$major.$minor
cflags=(-std=c99 -Wall -Wextra -Wpedantic -Werror)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The tree `make install` makes, relative to the prefix, given its LIBDIR (relative too).
expected_tree() {
  local lib=$1
  printf '%s\n' "$lib/$soname" "$lib/libcaptivate.so" "$lib/libcaptivate.a" include/captivate.h \
    include/captivate_test.h bin/captivate-sim \
    "$lib/pkgconfig/captivate.pc" "$lib/pkgconfig/captivate-static.pc" \
    "$lib/cmake/captivate/captivateConfig.cmake" "$lib/cmake/captivate/captivateConfigVersion.cmake" \
    share/doc/captivate/LICENSE-MIT share/doc/captivate/LICENSE-APACHE \
    share/doc/captivate/README.md share/doc/captivate/CHANGELOG.md | sort
}
# Every file and link under DIR, relative to it.
tree_of() { (cd "$1" && find . -type f -o -type l | sed 's|^\./||' | sort); }
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
# The demo conversation, start to end, against a fresh local hub.
converse() {
  local what=$1 out
  shift
  out=$("$root/scripts/with-sim.sh" -- "$@" 2>&1) || { echo "$out" >&2; fail "$what: the conversation failed"; }
  grep -q '^  conversation deleted$' <<<"$out" || { echo "$out" >&2; fail "$what: the conversation did not finish"; }
  echo "   $what: the conversation went through"
}
# The value of a .pc variable, resolved, with only DIR searched.
pc_var() { PKG_CONFIG_LIBDIR=$1 pkg-config --variable="$2" "$3"; }

step "the archive unpacks into one directory holding the installed tree"
mkdir "$tmp/unpacked"
tar -xzf "$archive" -C "$tmp/unpacked"
name=$(basename "$archive" .tar.gz)
[ "$(ls "$tmp/unpacked")" = "$name" ] || fail "the archive holds $(ls "$tmp/unpacked"), not just $name/"
pfx=$tmp/unpacked/$name
diff <(expected_tree lib) <(tree_of "$pfx") || fail "the archive's files differ from the expected tree (< expected, > found)"
[ "$(readlink "$pfx/lib/libcaptivate.so")" = "$soname" ] || fail "lib/libcaptivate.so does not point to $soname"
readelf -d "$pfx/lib/$soname" | grep -qF "Library soname: [$soname]" || fail "lib/$soname lacks the SONAME $soname"
for f in LICENSE-MIT LICENSE-APACHE README.md CHANGELOG.md; do
  cmp -s "$root/$f" "$pfx/share/doc/captivate/$f" || fail "share/doc/captivate/$f differs from $f"
done

step "bin/captivate-sim runs from the archive and prints its URL first"
"$pfx/bin/captivate-sim" --port 0 --api-key dist-key >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
for _ in $(seq 1 200); do
  [ -s "$tmp/sim.out" ] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$tmp/sim.err" >&2; fail "bin/captivate-sim did not start"; }
  sleep 0.05
done
sim_url=$(head -n1 "$tmp/sim.out")
kill "$sim_pid" && wait "$sim_pid" 2>/dev/null || true
[[ "$sim_url" =~ ^ws://127\.0\.0\.1:[0-9]+/dev\?apiKey=dist-key$ ]] || fail "bin/captivate-sim printed \"$sim_url\", not its URL"
# Every conversation below is with the archive's own hub (scripts/with-sim.sh runs CAPTIVATE_SIM).
export CAPTIVATE_SIM=$pfx/bin/captivate-sim
echo "   $sim_url"

step "pkg-config resolves the unpacked tree from the .pc files' own location"
export PKG_CONFIG_LIBDIR=$pfx/lib/pkgconfig
[ "$(pkg-config --modversion captivate)" = "$version" ] || fail "captivate.pc's version is not $version"
for pc in captivate captivate-static; do
  [ "$(realpath -e "$(pkg-config --variable=libdir $pc)")" = "$pfx/lib" ] || fail "$pc.pc's libdir is not the unpacked lib/"
  [ "$(realpath -e "$(pkg-config --variable=includedir $pc)")" = "$pfx/include" ] || fail "$pc.pc's includedir is not the unpacked include/"
done

step "the README's test program (examples/c/app_test.c, captivate_test.h) builds and passes, without cargo"
# shellcheck disable=SC2046
cc "${cflags[@]}" "$root/examples/c/app_test.c" -o "$tmp/app_test" $(pkg-config --cflags --libs captivate) \
  -Wl,-rpath,"$(pkg-config --variable=libdir captivate)" -lpthread
bare_path=/usr/bin:/bin
! env PATH=$bare_path sh -c 'command -v cargo' >/dev/null || fail "cargo is on $bare_path"
# (The in-process hub notes its connections on stderr: shown when the program fails.)
out=$(env PATH=$bare_path "$tmp/app_test" 2>"$tmp/app_test.err") ||
  { echo "$out" >&2; cat "$tmp/app_test.err" >&2; fail "examples/c/app_test.c failed"; }
echo "   $out"

step "pkg-config, dynamic: needs $soname, found through the .pc's libdir"
# shellcheck disable=SC2046 # pkg-config's output is a list of words
cc "${cflags[@]}" "$root/examples/c/chat.c" -o "$tmp/chat-dynamic" $(pkg-config --cflags --libs captivate) -lpthread
needed "$tmp/chat-dynamic" | grep -qx "$soname" || fail "the dynamic program does not need $soname"
LD_LIBRARY_PATH=$(pkg-config --variable=libdir captivate) converse "dynamic" "$tmp/chat-dynamic"

step "pkg-config captivate-static: libcaptivate.a in a dynamic program, no libcaptivate.so needed"
# shellcheck disable=SC2046
cc "${cflags[@]}" "$root/examples/c/chat.c" -o "$tmp/chat-archive" $(pkg-config --cflags --libs captivate-static) -lpthread
needed "$tmp/chat-archive" | grep -qx 'libc.so.6' || fail "the program with the archive is not a dynamic program"
! needed "$tmp/chat-archive" | grep -q libcaptivate || fail "the program with the archive still needs libcaptivate.so"
converse "libcaptivate.a, dynamic program" "$tmp/chat-archive"

step "pkg-config --static with -static: a fully static program"
# glibc warns that getaddrinfo and getpwuid_r in a static program want its shared NSS modules at
# run time; the warnings are shown only when the link fails.
# shellcheck disable=SC2046
cc -static "${cflags[@]}" "$root/examples/c/chat.c" -o "$tmp/chat-static" \
  $(pkg-config --cflags --static --libs captivate) -lpthread 2>"$tmp/static-link.log" ||
  { cat "$tmp/static-link.log" >&2; fail "the fully static link failed"; }
readelf -d "$tmp/chat-static" | grep -q 'There is no dynamic section' || fail "the -static program is not fully static"
converse "fully static" "$tmp/chat-static"
unset PKG_CONFIG_LIBDIR

# Configures a project with CMAKE_PREFIX_PATH=PREFIX. (Where the package was found is checked
# by each project: an installed copy elsewhere on the machine must not stand in for this one.)
cmake_configure() {
  local src=$1 build=$2 prefix=$3
  cmake -S "$src" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" >"$build.log" 2>&1 ||
    { cat "$build.log" >&2; fail "cmake could not configure $src against $prefix"; }
}

# CMake lines that write, after find_package(captivate), where the package's targets point.
# shellcheck disable=SC2016 # CMake's variables
cmake_report='
get_target_property(shared captivate::captivate IMPORTED_LOCATION)
get_target_property(static captivate::captivate_static IMPORTED_LOCATION)
get_target_property(include captivate::captivate INTERFACE_INCLUDE_DIRECTORIES)
file(WRITE "${CMAKE_BINARY_DIR}/found.txt" "${shared}\n${static}\n${include}\n")'
# Compares found.txt of a configured BUILD with the files under LIBDIR and INCLUDEDIR.
cmake_found() {
  diff <(printf '%s\n' "$2/$soname" "$2/libcaptivate.a" "$3") "$1/found.txt" ||
    fail "the CMake targets point elsewhere (< expected, > found)"
}

step "CMake: find_package(captivate $major.$minor CONFIG REQUIRED), both imported targets"
mkdir "$tmp/cmake"
cp "$root/examples/c/chat.c" "$tmp/cmake/"
cat >"$tmp/cmake/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.16)
project(chat C)
set(CMAKE_C_STANDARD 99)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS OFF)
find_package(Threads REQUIRED)
# Each minor version before 1.0 is its own ABI: the next one is refused.
find_package(captivate $major.$((minor + 1)) CONFIG QUIET)
if(captivate_FOUND)
  message(FATAL_ERROR "captivate $version was taken for $major.$((minor + 1))")
endif()
find_package(captivate $major.$minor CONFIG REQUIRED)
$cmake_report
add_executable(chat_shared chat.c)
target_compile_options(chat_shared PRIVATE -Wall -Wextra -Wpedantic -Werror)
target_link_libraries(chat_shared PRIVATE captivate::captivate Threads::Threads)
add_executable(chat_static chat.c)
target_compile_options(chat_static PRIVATE -Wall -Wextra -Wpedantic -Werror)
target_link_libraries(chat_static PRIVATE captivate::captivate_static Threads::Threads)
EOF
cmake_configure "$tmp/cmake" "$tmp/cmake-build" "$pfx"
cmake_found "$tmp/cmake-build" "$pfx/lib" "$pfx/include"
cmake --build "$tmp/cmake-build" >"$tmp/cmake-build.log" 2>&1 || { cat "$tmp/cmake-build.log" >&2; fail "the CMake build failed"; }
needed "$tmp/cmake-build/chat_shared" | grep -qx "$soname" || fail "captivate::captivate did not link $soname"
! needed "$tmp/cmake-build/chat_static" | grep -q libcaptivate || fail "captivate::captivate_static still needs libcaptivate.so"
# CMake gives the program a build-tree RPATH to the imported library's directory.
converse "CMake, captivate::captivate" "$tmp/cmake-build/chat_shared"
converse "CMake, captivate::captivate_static" "$tmp/cmake-build/chat_static"

# A project that only finds the package and writes where its targets point.
mkdir "$tmp/probe"
{
  echo 'cmake_minimum_required(VERSION 3.16)'
  echo 'project(probe C)'
  echo 'find_package(captivate CONFIG REQUIRED)'
  echo "$cmake_report"
} >"$tmp/probe/CMakeLists.txt"
# Installs with MAKE_ARGS and the given variables under a fresh DESTDIR, then checks: the files
# (LIB and INCLUDE are the absolute LIBDIR and include directory), the .pc variables, and the
# CMake targets, found from FIND_PREFIX (in DESTDIR; Debian's CMake looks in PREFIX/lib/ARCH/cmake
# but not in PREFIX/lib64/cmake).
check_install() {
  local label=$1 lib=$2 include=$3 pc_prefix=$4 pc_libdir=$5 pc_includedir=$6 find_prefix=$7
  shift 7
  local destdir=$tmp/destdir-$label
  make -C "$root" --no-print-directory -s install "${make_args[@]}" DESTDIR="$destdir" "$@" >/dev/null
  local f expected
  expected=$(printf '%s\n' "$lib/$soname" "$lib/libcaptivate.so" "$lib/libcaptivate.a" \
    "$lib/pkgconfig/captivate.pc" "$lib/pkgconfig/captivate-static.pc" \
    "$lib/cmake/captivate/captivateConfig.cmake" "$lib/cmake/captivate/captivateConfigVersion.cmake" \
    "$include/captivate.h" "$include/captivate_test.h" "$pc_prefix/bin/captivate-sim" | sed 's|^/||'
    for f in LICENSE-MIT LICENSE-APACHE README.md CHANGELOG.md; do echo "${pc_prefix#/}/share/doc/captivate/$f"; done)
  diff <(sort <<<"$expected") <(tree_of "$destdir") || fail "$label: the installed files differ (< expected, > found)"
  grep -qx "prefix=$pc_prefix" "$destdir$lib/pkgconfig/captivate.pc" || fail "$label: captivate.pc's prefix is not $pc_prefix"
  grep -qxF "libdir=$pc_libdir" "$destdir$lib/pkgconfig/captivate.pc" || fail "$label: captivate.pc's libdir is not $pc_libdir"
  grep -qxF "includedir=$pc_includedir" "$destdir$lib/pkgconfig/captivate.pc" || fail "$label: captivate.pc's includedir is not $pc_includedir"
  [ "$(pc_var "$destdir$lib/pkgconfig" libdir captivate-static)" = "$lib" ] || fail "$label: captivate-static.pc's libdir is not $lib"
  [ "$(pc_var "$destdir$lib/pkgconfig" includedir captivate)" = "$include" ] || fail "$label: captivate.pc's includedir is not $include"
  cmake_configure "$tmp/probe" "$tmp/probe-$label" "$destdir$find_prefix"
  cmake_found "$tmp/probe-$label" "$destdir$lib" "$destdir$include"

  make -C "$root" --no-print-directory -s uninstall "${make_args[@]}" DESTDIR="$destdir" "$@" >/dev/null
  [ -z "$(tree_of "$destdir")" ] || fail "$label: make uninstall left $(tree_of "$destdir")"
  [ ! -e "$destdir$lib/cmake/captivate" ] && [ ! -e "$destdir$pc_prefix/share/doc/captivate" ] ||
    fail "$label: make uninstall left the package's own directories"
  echo "   $label: installed where expected and removed"
}

step "make install / uninstall, DESTDIR with PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu"
check_install multiarch /usr/lib/x86_64-linux-gnu /usr/include \
  /usr '${prefix}/lib/x86_64-linux-gnu' '${prefix}/include' /usr \
  PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu

step "make install / uninstall, DESTDIR with LIBDIR outside the prefix (PREFIX=/opt/captivate LIBDIR=/usr/lib64)"
check_install outside /usr/lib64 /opt/captivate/include \
  /opt/captivate /usr/lib64 '${prefix}/include' /usr/lib64/cmake \
  PREFIX=/opt/captivate LIBDIR=/usr/lib64
