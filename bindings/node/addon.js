// Where the native addon of captivate-chat comes from, and loading it.
//
// The addon is looked for, in order:
//   1. `captivate.node` next to this file: built from source by scripts/build.js (in a checkout
//      of the repository, or at install time from the Rust sources bundled in the package);
//   2. `captivate.<target>.node` next to this file: what `napi build --platform` writes;
//   3. the prebuilt package of this platform, `captivate-chat-<target>` (an optional dependency).
// The first that loads and has the package's version wins. When none does, `load` throws an
// error that names what is missing and what to do.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const pkg = require('./package.json');

/** Rust 1.88 is the oldest that builds the addon (napi's floor). */
const RUST_FLOOR = '1.88';

/** Whether the C library of this Linux system is musl rather than glibc. */
function isMusl() {
  try {
    return fs.readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
  } catch {
    /** @type {any} */
    const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
    if (!report || report.header?.glibcVersionRuntime) return false;
    return Array.isArray(report.sharedObjects) && report.sharedObjects.some((/** @type {string} */ f) => f.includes('musl'));
  }
}

/**
 * The napi-rs name of this platform, as in `captivate.<target>.node` and the package
 * `captivate-chat-<target>`: `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`, ...
 */
function target() {
  const { platform, arch } = process;
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** The name of the prebuilt package of a target. */
function platformPackage(t = target()) {
  return `${pkg.name}-${t}`;
}

/** Whether this package declares a prebuilt package for the target (the published ones do). */
function hasPrebuilt(t = target()) {
  return Boolean(pkg.optionalDependencies && platformPackage(t) in pkg.optionalDependencies);
}

/** Whether this is the package's folder in a checkout of the repository (not an installed copy). */
function inCheckout() {
  return fs.existsSync(path.join(__dirname, 'Cargo.toml'));
}

/** The file a source build writes. */
const BUILT = path.join(__dirname, 'captivate.node');

/**
 * Tries every place in turn.
 * @returns {{ addon: any, from: string } | { addon: null, tried: string[] }}
 */
function find() {
  const t = target();
  const places = [
    { what: BUILT, file: BUILT },
    { what: path.join(__dirname, `captivate.${t}.node`), file: path.join(__dirname, `captivate.${t}.node`) },
    { what: `the package ${platformPackage(t)}`, module: platformPackage(t) },
  ];
  /** @type {string[]} */
  const tried = [];
  for (const place of places) {
    let addon;
    try {
      if (place.file !== undefined) {
        if (!fs.existsSync(place.file)) {
          tried.push(`${place.what}: not there`);
          continue;
        }
        addon = require(place.file);
      } else {
        addon = require(/** @type {string} */ (place.module));
      }
    } catch (err) {
      const e = /** @type {NodeJS.ErrnoException} */ (err);
      const missing = e.code === 'MODULE_NOT_FOUND' && place.module !== undefined && e.message.includes(`'${place.module}'`);
      tried.push(`${place.what}: ${missing ? 'not installed' : `does not load (${e.message.split('\n')[0]})`}`);
      continue;
    }
    const version = typeof addon.version === 'function' ? addon.version() : '(unknown)';
    if (version !== pkg.version) {
      tried.push(`${place.what}: version ${version}, but ${pkg.name} is ${pkg.version}`);
      continue;
    }
    return { addon, from: place.what };
  }
  return { addon: null, tried };
}

/** What to do when no addon fits. */
function advice() {
  const t = target();
  const rust = `install Rust ${RUST_FLOOR} or newer (https://rustup.rs)`;
  if (inCheckout()) return `Build it: ${rust}, then run \`npm run build\` in ${__dirname}.`;
  const fromSource = `build the addon from the Rust sources in the package: ${rust}, then run \`npm rebuild ${pkg.name}\` (with pnpm or yarn, their own rebuild, with the package's build script allowed).`;
  if (!hasPrebuilt(t)) return `No prebuilt addon is published for ${t}. To ${fromSource}`;
  const dep = `${platformPackage(t)}@${pkg.version}`;
  return [
    `The prebuilt addon for ${t} comes in the optional dependency ${dep}, which is not installed. Either:`,
    `  - install it: \`npm install ${dep}\` (installs with --omit=optional leave it out, and so does npm when`,
    `    package-lock.json was made on another platform: then remove node_modules and package-lock.json and install again);`,
    `  - or ${fromSource}`,
  ].join('\n');
}

/**
 * Loads the addon.
 * @returns {any} the addon's exports
 * @throws {Error} naming what was tried and what to do
 */
function load() {
  const found = find();
  if (found.addon) return found.addon;
  const lines = found.tried.map((line) => `  - ${line}`).join('\n');
  throw new Error(`${pkg.name}: no native addon for this platform (${target()}). Looked for:\n${lines}\n${advice()}`);
}

module.exports = { target, platformPackage, hasPrebuilt, inCheckout, find, load, BUILT, RUST_FLOOR };
