#!/usr/bin/env bash
# Installs libcaptivate from a cargo build, or removes it: the recipe behind `make install`,
# `make uninstall`, `make install-lib` and `make dist-c`.
#
#   scripts/install-c.sh [--uninstall] [--relocatable] --from DIR --prefix PREFIX [--bindir DIR]
#                        [--libdir DIR] [--includedir DIR] [--docdir DIR] [--destdir DIR]
#
# --from is the cargo output directory holding libcaptivate.so and libcaptivate.a (e.g.
# target/release), and captivate-sim (the local hub; the Makefile's targets build it with the
# library, and a build without it, a sanitizer build of the library alone, installs the rest).
# --bindir (default bin), --libdir (default lib), --includedir (default include) and --docdir
# (default share/doc/captivate) are relative to the prefix or absolute. Files are written under
# DESTDIR/PREFIX (staged installs), but name PREFIX itself. --relocatable writes .pc files whose
# prefix is computed from their own location (${pcfiledir}), for an archive that works wherever
# it is unpacked; the CMake package config is always relocatable.
#
# Installed: LIBDIR/libcaptivate.so.MAJOR.MINOR (the SONAME, see ffi/build.rs) and the
# libcaptivate.so link to it, LIBDIR/libcaptivate.a, INCLUDEDIR/captivate.h and captivate_test.h
# (the local hub in the process, for an application's tests), BINDIR/captivate-sim,
# LIBDIR/pkgconfig/captivate.pc and captivate-static.pc, LIBDIR/cmake/captivate/ (the CMake
# package: captivate::captivate and captivate::captivate_static), and under DOCDIR the licences,
# the README and the changelog.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "install-c.sh: $*" >&2; exit 2; }

mode=install relocatable=0 from="" prefix="" destdir=""
bindir=bin libdir=lib includedir=include docdir=share/doc/captivate
while [ $# -gt 0 ]; do
  case "$1" in
    --uninstall) mode=uninstall; shift ;;
    --relocatable) relocatable=1; shift ;;
    --from | --prefix | --bindir | --libdir | --includedir | --docdir | --destdir)
      [ $# -ge 2 ] || die "$1 needs a value"
      declare "${1#--}=$2"
      shift 2
      ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ -n "$prefix" ] || die "--prefix is required"

# Absolute, normalised directories (lexically: symbolic links are not followed).
prefix=$(realpath -m -s "$prefix")
under_prefix() {
  case "$1" in
    /*) realpath -m -s "$1" ;;
    *) realpath -m -s "$prefix/$1" ;;
  esac
}
bindir=$(under_prefix "$bindir")
libdir=$(under_prefix "$libdir")
includedir=$(under_prefix "$includedir")
docdir=$(under_prefix "$docdir")
pcdir=$libdir/pkgconfig
cmakedir=$libdir/cmake/captivate

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)
IFS=. read -r major minor _ <<<"$version"
soname=libcaptivate.so.$major.$minor
docs=(LICENSE-MIT LICENSE-APACHE README.md CHANGELOG.md)

# What a program linking the static archive needs besides it: rustc's answer to
# `cargo rustc -p captivate-ffi --crate-type staticlib -- --print native-static-libs`
# (-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc) without -lgcc_s and -lc. The compiler driver adds
# those itself, and in the right form: libgcc_s for a dynamic program, libgcc_eh for a -static
# one, which has no libgcc_s to link.
native_libs=(util rt pthread m dl)

if [ "$mode" = uninstall ]; then
  rm -f "$destdir$libdir/$soname" "$destdir$libdir/libcaptivate.so" "$destdir$libdir/libcaptivate.a" \
    "$destdir$includedir/captivate.h" "$destdir$includedir/captivate_test.h" "$destdir$bindir/captivate-sim" \
    "$destdir$pcdir/captivate.pc" "$destdir$pcdir/captivate-static.pc" \
    "$destdir$cmakedir/captivateConfig.cmake" "$destdir$cmakedir/captivateConfigVersion.cmake"
  for f in "${docs[@]}"; do rm -f "$destdir$docdir/$f"; done
  # Only the directories that are ours alone, and only when nothing else is left in them.
  for d in "$destdir$cmakedir" "$destdir$docdir"; do
    [ -d "$d" ] && rmdir --ignore-fail-on-non-empty "$d"
  done
  exit 0
fi

[ -n "$from" ] || die "--from is required"
for f in libcaptivate.so libcaptivate.a; do
  [ -f "$from/$f" ] || die "no $from/$f: build it first (cargo build -p captivate-ffi [--release])"
done

# How the .pc files name a directory: ${prefix}/... when it is under the prefix.
pc_path() {
  case "$1" in
    "$prefix") echo '${prefix}' ;;
    "$prefix"/*) echo "\${prefix}/${1#"$prefix"/}" ;;
    *)
      [ "$relocatable" = 0 ] || die "--relocatable needs every directory under the prefix ($1 is not)"
      echo "$1"
      ;;
  esac
}
if [ "$relocatable" = 1 ]; then
  pc_prefix="\${pcfiledir}/$(realpath -m -s --relative-to="$pcdir" "$prefix")"
else
  pc_prefix=$prefix
fi
substitute() {
  sed -e "s|@PREFIX@|$pc_prefix|" -e "s|@LIBDIR@|$(pc_path "$libdir")|" \
    -e "s|@INCLUDEDIR@|$(pc_path "$includedir")|" -e "s|@VERSION@|$version|" \
    -e "s|@NATIVE_LIBS@|${native_libs[*]/#/-l}|" -e "s|@CMAKE_NATIVE_LIBS@|$(IFS=';'; echo "${native_libs[*]}")|" \
    -e "s|@SONAME@|$soname|" -e "s|@MAJOR@|$major|" -e "s|@MINOR@|$minor|" \
    -e "s|@INCLUDEDIR_FROM_CMAKEDIR@|$(realpath -m -s --relative-to="$cmakedir" "$includedir")|" \
    -e "s|@LIBDIR_FROM_CMAKEDIR@|$(realpath -m -s --relative-to="$cmakedir" "$libdir")|" \
    "$1"
}

install -D -m 0755 "$from/libcaptivate.so" "$destdir$libdir/$soname"
ln -sfn "$soname" "$destdir$libdir/libcaptivate.so"
install -D -m 0644 "$from/libcaptivate.a" "$destdir$libdir/libcaptivate.a"
install -D -m 0644 "$root/include/captivate.h" "$destdir$includedir/captivate.h"
install -D -m 0644 "$root/include/captivate_test.h" "$destdir$includedir/captivate_test.h"
if [ -f "$from/captivate-sim" ]; then
  install -D -m 0755 "$from/captivate-sim" "$destdir$bindir/captivate-sim"
else
  echo "install-c.sh: no $from/captivate-sim: the local hub's program is not installed" >&2
fi
for pc in captivate captivate-static; do
  substitute "$root/ffi/$pc.pc.in" | install -D -m 0644 /dev/stdin "$destdir$pcdir/$pc.pc"
done
for cm in captivateConfig captivateConfigVersion; do
  substitute "$root/ffi/cmake/$cm.cmake.in" | install -D -m 0644 /dev/stdin "$destdir$cmakedir/$cm.cmake"
done
for f in "${docs[@]}"; do
  install -D -m 0644 "$root/$f" "$destdir$docdir/$f"
done
