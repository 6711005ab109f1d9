#!/usr/bin/env node
// Makes the npm tarballs of captivate-chat from a checkout of the repository:
//   - captivate-chat-<version>.tgz, the package itself: the JavaScript, the loader, the install
//     step, and the Rust sources of the addon with a Cargo.toml of their own and the
//     workspace's Cargo.lock (rust/), for platforms without a prebuilt addon; its
//     optionalDependencies name the prebuilt package of every target in package.json's `napi`;
//   - captivate-chat-<target>-<version>.tgz, one per prebuilt addon in the artifacts folder or
//     its subfolders (`captivate.<target>.node`, as `napi build --platform` names them), from
//     npm/<target>/.
// Every tarball carries LICENSE-MIT, LICENSE-APACHE and CHANGELOG.md; the contents are checked
// after packing (no build output in the main tarball, only the addon in a platform one).
//
//   node scripts/pack.js --artifacts DIR --out DIR [--all-targets]
//     (--all-targets: fail unless DIR has the addon of every target, as a release must)
//   node scripts/pack.js --refuse   (npm's prepack in this folder: packing it as is would leave
//                                    the Rust sources out, so it stops and says how to pack;
//                                    `npm pack --dry-run` still lists the files)
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { bundleRust } = require('./bundle-rust.js');

const pkgDir = path.resolve(__dirname, '..');
const repo = path.resolve(pkgDir, '..', '..');
const EXTRA_FILES = ['LICENSE-MIT', 'LICENSE-APACHE', 'CHANGELOG.md'];

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {Record<string, string | boolean>} */
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--refuse' || a === '--all-targets') opts[a === '--refuse' ? 'refuse' : 'allTargets'] = true;
    else if (a === '--artifacts' || a === '--out') opts[a.slice(2)] = path.resolve(argv[++i] ?? '');
    else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

/** @param {string} file */
function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** @param {string} file @param {unknown} value */
function writeJson(file, value) {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** The platform packages of npm/: target name (the folder) and package.json. */
function platformPackages() {
  const npmDir = path.join(pkgDir, 'npm');
  return fs
    .readdirSync(npmDir)
    .sort()
    .map((t) => ({ target: t, dir: path.join(npmDir, t), manifest: readJson(path.join(npmDir, t, 'package.json')) }));
}

/** Copies a file or folder. @param {string} from @param {string} to */
function copy(from, to) {
  fs.cpSync(from, to, { recursive: true, errorOnExist: true, force: false });
}

/**
 * Packs a folder with npm into `out`; returns the tarball's path and the files it holds.
 * @param {string} dir @param {string} out
 */
function npmPack(dir, out) {
  const json = execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: dir, encoding: 'utf8' });
  const [info] = JSON.parse(json);
  return { tarball: path.join(out, info.filename), files: info.files.map((/** @type {{path: string}} */ f) => f.path) };
}

/**
 * The `.node` files in a folder and its subfolders (CI downloads put each in a folder of its
 * own): their paths, by file name.
 * @param {string} dir
 * @returns {Map<string, string[]>}
 */
function addonFiles(dir) {
  /** @type {Map<string, string[]>} */
  const files = new Map();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const found = entry.isDirectory() ? [...addonFiles(full)] : entry.name.endsWith('.node') ? [[entry.name, [full]]] : [];
    for (const [name, paths] of /** @type {[string, string[]][]} */ (found)) files.set(name, [...(files.get(name) ?? []), ...paths]);
  }
  return files;
}

/** Stops with a message when `problems` is not empty. @param {string} what @param {string[]} problems */
function check(what, problems) {
  if (problems.length > 0) throw new Error(`${what}:\n  ${problems.join('\n  ')}`);
}

/**
 * Stages the main package in `stage` and returns its folder.
 * @param {string} stage @param {Record<string, any>} pkg @param {ReturnType<typeof platformPackages>} platforms
 */
function stageMain(stage, pkg, platforms) {
  const dir = path.join(stage, 'captivate-chat');
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of pkg.files) {
    if (entry === 'rust' || EXTRA_FILES.includes(entry)) continue;
    copy(path.join(pkgDir, entry), path.join(dir, entry));
  }
  for (const f of EXTRA_FILES) copy(path.join(repo, f), path.join(dir, f));
  const addonVersion = bundleRust(repo, path.join(dir, 'rust'));
  // The loader takes only an addon whose version() is the package's.
  check('the versions differ', addonVersion === pkg.version ? [] : [`the addon's crate is ${addonVersion}, package.json says ${pkg.version}`]);

  const staged = { ...pkg };
  staged.optionalDependencies = Object.fromEntries(platforms.map((p) => [p.manifest.name, pkg.version]));
  staged.scripts = { install: pkg.scripts.install, build: pkg.scripts.build };
  delete staged.devDependencies;
  writeJson(path.join(dir, 'package.json'), staged);
  return dir;
}

/** @param {Record<string, string | boolean>} opts */
function pack(opts) {
  const artifacts = /** @type {string} */ (opts.artifacts);
  const out = /** @type {string} */ (opts.out);
  if (!artifacts || !out) throw new Error('usage: node scripts/pack.js --artifacts DIR --out DIR [--all-targets]');
  const pkg = readJson(path.join(pkgDir, 'package.json'));
  const platforms = platformPackages();

  const targets = pkg.napi.targets.length;
  check('npm/ does not match package.json (run `npx napi create-npm-dirs` and `npx napi version`)', [
    ...(platforms.length === targets ? [] : [`${platforms.length} folders for ${targets} targets`]),
    ...platforms
      .filter((p) => p.manifest.version !== pkg.version || p.manifest.name !== `${pkg.name}-${p.target}`)
      .map((p) => `npm/${p.target}: ${p.manifest.name}@${p.manifest.version}`),
  ]);

  fs.mkdirSync(out, { recursive: true });
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'captivate-chat-pack-'));
  try {
    const mainDir = stageMain(stage, pkg, platforms);

    // The platform packages, each with its addon when the artifacts folder has it. (`napi
    // artifacts` does the same copy but insists on an addon for every target, which only the
    // release workflow has.)
    const known = new Set(platforms.map((p) => p.manifest.main));
    const found = addonFiles(artifacts);
    check(`unexpected files in ${artifacts}`, [
      ...[...found.keys()].filter((f) => !known.has(f)).map((f) => `${f} is not the addon of a target in package.json`),
      ...[...found].filter(([, paths]) => paths.length > 1).map(([f, paths]) => `${f} is there ${paths.length} times`),
    ]);
    const built = platforms.filter((p) => found.has(p.manifest.main));
    const missing = platforms.filter((p) => !built.includes(p)).map((p) => `${p.manifest.main} is missing`);
    if (opts.allTargets) check(`the addon of every target is needed in ${artifacts}`, missing);
    check(`no prebuilt addon in ${artifacts}`, built.length > 0 ? [] : missing);
    const npmStage = path.join(stage, 'npm');
    for (const p of built) {
      const dir = path.join(npmStage, p.target);
      copy(p.dir, dir);
      copy(/** @type {string[]} */ (found.get(p.manifest.main))[0], path.join(dir, p.manifest.main));
      for (const f of EXTRA_FILES) copy(path.join(repo, f), path.join(dir, f));
    }

    const tarballs = [];
    const main = npmPack(mainDir, out);
    check(`${main.tarball} is not as it should be`, [
      ...['package.json', 'native.js', 'addon.js', 'scripts/install.js', 'rust/Cargo.toml', 'rust/Cargo.lock', 'rust/.cargo/config.toml', ...EXTRA_FILES]
        .filter((f) => !main.files.includes(f))
        .map((f) => `${f} is missing`),
      ...main.files.filter((f) => /\.(node|so|dylib|dll|rlib|tmp)$|^rust\/target\//.test(f)).map((f) => `${f} is build output`),
    ]);
    tarballs.push(main.tarball);
    for (const p of built) {
      const plat = npmPack(path.join(npmStage, p.target), out);
      const expected = ['package.json', 'README.md', p.manifest.main, ...EXTRA_FILES].sort();
      check(`${plat.tarball} is not as it should be`, [...plat.files].sort().join() === expected.join() ? [] : [`holds ${plat.files.join(', ')}; expected ${expected.join(', ')}`]);
      tarballs.push(plat.tarball);
    }
    for (const t of tarballs) console.log(t);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.refuse) {
    const how = 'Run `make dist-node` at the top of the repository (or `node scripts/pack.js --artifacts DIR --out DIR` after `napi build --platform --release --output-dir DIR`).';
    if (process.env.npm_config_dry_run === 'true') {
      console.error(`captivate-chat pack: a dry run lists this folder's files; the tarballs to publish add the Rust sources, the licences and the platform packages. ${how}`);
      return;
    }
    throw new Error(`this folder is not packed as is: its tarball would miss the Rust sources, the licences and the platform packages. ${how}`);
  }
  pack(opts);
}

try {
  main();
} catch (err) {
  console.error(`captivate-chat pack: ${/** @type {Error} */ (err).message}`);
  process.exit(1);
}
