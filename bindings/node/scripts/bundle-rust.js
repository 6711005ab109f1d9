// The Rust sources of the addon, made to build on their own, for the main npm tarball: where no
// prebuilt addon fits, its install step builds them with `cargo build --locked`.
//
// The crates in the repository inherit their version, edition and shared dependencies from the
// Cargo workspace and depend on each other by path, so they cannot be built outside it. Here
// each crate gets a manifest written from what `cargo metadata` resolved: plain values, the
// dependencies spelled out, path dependencies pointing into the bundle, no dev-dependencies
// (their crates are not bundled). The layout:
//
//   rust/Cargo.toml     the addon (captivate-node), the root of a workspace of its own, with
//                       the repository's [profile.*] sections
//   rust/Cargo.lock     the repository's, less the packages the addon does not use
//   rust/.cargo/config.toml  musl links the C library statically by default, which a cdylib
//                       cannot do (cargo reads it when run from rust/, as scripts/build.js does)
//   rust/build.rs, rust/src/
//   rust/<dir>/         each crate the addon depends on by path (core/, binding/, sim/): its
//                       src/, build.rs, and the data files its manifest's `include` names
//                       outside src/ (sim's scripts/*.json, read with include_str!)
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ADDON = 'captivate-node';
const CRATES_IO = 'registry+https://github.com/rust-lang/crates.io-index';

/** The bundle's cargo configuration. */
const CARGO_CONFIG = `# Written by scripts/bundle-rust.js. The addon is a shared library, which musl targets can
# only build with the C library linked dynamically (they link it statically by default).
[target.'cfg(target_env = "musl")']
rustflags = ["-C", "target-feature=-crt-static"]
`;

/** @param {string[]} args @param {string} cwd */
function cargo(args, cwd) {
  return execFileSync(process.env.CARGO || 'cargo', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** A TOML value: a string, a boolean or an array of strings. @param {unknown} v @returns {string} */
function toml(v) {
  if (Array.isArray(v)) return `[${v.map(toml).join(', ')}]`;
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(String(v));
}

/** @param {Record<string, unknown>} table */
function inline(table) {
  return `{ ${Object.entries(table)
    .map(([k, v]) => `${k} = ${toml(v)}`)
    .join(', ')} }`;
}

/** The `[profile.*]` sections of a Cargo.toml, as written there. @param {string} text */
function profileSections(text) {
  const out = [];
  let keep = false;
  for (const line of text.split('\n')) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) keep = header[1].trim().startsWith('profile.');
    if (keep && line.trim() !== '' && !line.trim().startsWith('#')) out.push(line);
  }
  return out.join('\n').replace(/\n(?=\[)/g, '\n\n');
}

/**
 * The manifest of one crate of the bundle.
 * @param {any} p the package, as `cargo metadata` gives it
 * @param {Map<string, string>} dirs bundle folder of every bundled package, by name
 * @param {string} extra text appended (the root's workspace and profiles)
 */
function manifest(p, dirs, extra) {
  const here = dirs.get(p.name);
  const pkgRoot = path.dirname(p.manifest_path);
  const lines = ['# Written by scripts/bundle-rust.js from the captivate repository: do not edit.', '[package]'];
  lines.push(`name = ${toml(p.name)}`, `version = ${toml(p.version)}`, `edition = ${toml(p.edition)}`);
  if (p.rust_version) lines.push(`rust-version = ${toml(p.rust_version)}`);
  if (p.license) lines.push(`license = ${toml(p.license)}`);
  if (p.description) lines.push(`description = ${toml(p.description)}`);
  lines.push('publish = false');
  const build = p.targets.find((/** @type {any} */ t) => t.kind.includes('custom-build'));
  lines.push(`build = ${build ? toml(path.relative(pkgRoot, build.src_path)) : 'false'}`);

  const lib = p.targets.find((/** @type {any} */ t) => t.kind.some((/** @type {string} */ k) => k.endsWith('lib')));
  lines.push('', '[lib]', `name = ${toml(lib.name)}`, `path = ${toml(path.relative(pkgRoot, lib.src_path))}`);
  lines.push(`crate-type = ${toml(lib.crate_types)}`);

  /** @type {Map<string, string[]>} */
  const sections = new Map();
  for (const d of p.dependencies) {
    if (d.kind === 'dev') continue;
    /** @type {Record<string, unknown>} */
    const spec = {};
    if (d.path) {
      const dir = dirs.get(d.name);
      if (dir === undefined) throw new Error(`${p.name} depends on ${d.name} by path, which is not bundled`);
      spec.path = path.relative(/** @type {string} */ (here), dir) || '.';
    } else if (d.source === CRATES_IO) {
      spec.version = d.req;
    } else {
      throw new Error(`${p.name}: the dependency ${d.name} comes from ${d.source}, which the bundle cannot name`);
    }
    if (d.rename) spec.package = d.name;
    if (!d.uses_default_features) spec['default-features'] = false;
    if (d.features.length > 0) spec.features = d.features;
    if (d.optional) spec.optional = true;
    const table = d.kind === 'build' ? 'build-dependencies' : 'dependencies';
    const section = d.target ? `target.${toml(d.target)}.${table}` : table;
    if (!sections.has(section)) sections.set(section, []);
    /** @type {string[]} */ (sections.get(section)).push(`${d.rename || d.name} = ${inline(spec)}`);
  }
  for (const [section, deps] of sections) lines.push('', `[${section}]`, ...deps.sort());

  const features = Object.entries(p.features);
  if (features.length > 0) {
    lines.push('', '[features]', ...features.map(([name, list]) => `${toml(name)} = ${toml(list)}`));
  }
  return `${lines.join('\n')}\n${extra}`;
}

/**
 * The data files a crate's manifest names in `include` outside `src/` (and other than its
 * readme and licences, which the bundle's manifests do not name), relative to the crate: the
 * files its sources read at build time. Patterns are paths, or `dir/*.ext` globs.
 * @param {string} crateDir
 * @returns {string[]}
 */
function dataFiles(crateDir) {
  const text = fs.readFileSync(path.join(crateDir, 'Cargo.toml'), 'utf8');
  const m = /^include\s*=\s*\[([^\]]*)\]/m.exec(text);
  if (!m) return [];
  const patterns = [...m[1].matchAll(/"([^"]+)"/g)].map((p) => p[1]);
  /** @type {string[]} */
  const files = [];
  for (const pattern of patterns) {
    if (pattern.startsWith('src/') || !pattern.includes('/')) continue;
    const glob = /^([^*]+)\/\*(\.[\w.]+)?$/.exec(pattern);
    if (glob) {
      const dir = path.join(crateDir, glob[1]);
      if (!fs.existsSync(dir)) continue;
      for (const f of fs.readdirSync(dir).sort()) {
        if ((!glob[2] || f.endsWith(glob[2])) && fs.statSync(path.join(dir, f)).isFile()) files.push(`${glob[1]}/${f}`);
      }
    } else if (!pattern.includes('*')) {
      if (fs.existsSync(path.join(crateDir, pattern))) files.push(pattern);
    } else {
      throw new Error(`${crateDir}/Cargo.toml: the include pattern ${pattern} is not one the bundle can copy`);
    }
  }
  return files;
}

/** `name version` of every package of a Cargo.lock. @param {string} text */
function lockedPackages(text) {
  return [...text.matchAll(/^\[\[package\]\]\nname = "([^"]+)"\nversion = "([^"]+)"/gm)].map((m) => `${m[1]} ${m[2]}`);
}

/**
 * Writes the addon's Rust sources into `out` (which must not exist).
 * @param {string} repo the repository's root
 * @param {string} out
 * @returns {string} the addon crate's version
 */
function bundleRust(repo, out) {
  const meta = JSON.parse(cargo(['metadata', '--format-version', '1', '--no-deps'], repo));
  /** @type {Map<string, any>} */
  const byName = new Map(meta.packages.map((/** @type {any} */ p) => [p.name, p]));

  // The addon and every crate it depends on by path, each in its own folder of the bundle.
  /** @type {Map<string, string>} */
  const dirs = new Map([[ADDON, out]]);
  const todo = [ADDON];
  while (todo.length > 0) {
    const p = byName.get(/** @type {string} */ (todo.pop()));
    for (const d of p.dependencies) {
      if (d.kind === 'dev' || !d.path || dirs.has(d.name)) continue;
      const dir = path.join(out, path.basename(d.path));
      if ([...dirs.values()].includes(dir)) throw new Error(`two bundled crates would share ${dir}`);
      dirs.set(d.name, dir);
      todo.push(d.name);
    }
  }

  const root = fs.readFileSync(path.join(repo, 'Cargo.toml'), 'utf8');
  const workspace = `\n# A workspace of its own, so that no Cargo.toml above this folder is taken for its root.\n[workspace]\n\n${profileSections(root)}\n`;
  for (const [name, dir] of dirs) {
    const p = byName.get(name);
    const src = path.dirname(p.manifest_path);
    fs.mkdirSync(dir, { recursive: true });
    fs.cpSync(path.join(src, 'src'), path.join(dir, 'src'), { recursive: true });
    if (fs.existsSync(path.join(src, 'build.rs'))) fs.copyFileSync(path.join(src, 'build.rs'), path.join(dir, 'build.rs'));
    for (const f of dataFiles(src)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.copyFileSync(path.join(src, f), path.join(dir, f));
    }
    fs.writeFileSync(path.join(dir, 'Cargo.toml'), manifest(p, dirs, name === ADDON ? workspace : ''));
  }

  fs.mkdirSync(path.join(out, '.cargo'));
  fs.writeFileSync(path.join(out, '.cargo', 'config.toml'), CARGO_CONFIG);

  // The repository's lock file, pruned by cargo to the packages of the bundle; every version
  // stays the one the repository builds and tests with.
  const repoLock = fs.readFileSync(path.join(repo, 'Cargo.lock'), 'utf8');
  fs.writeFileSync(path.join(out, 'Cargo.lock'), repoLock);
  cargo(['metadata', '--format-version', '1', '--manifest-path', path.join(out, 'Cargo.toml')], out);
  cargo(['metadata', '--format-version', '1', '--locked', '--manifest-path', path.join(out, 'Cargo.toml')], out);
  const known = new Set(lockedPackages(repoLock));
  const changed = lockedPackages(fs.readFileSync(path.join(out, 'Cargo.lock'), 'utf8')).filter((p) => !known.has(p));
  if (changed.length > 0) throw new Error(`the bundle's Cargo.lock differs from the repository's: ${changed.join(', ')}`);
  return byName.get(ADDON).version;
}

module.exports = { bundleRust };
