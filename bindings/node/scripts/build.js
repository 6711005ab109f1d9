#!/usr/bin/env node
// Builds the native addon from source with cargo and puts it next to the loader as
// `captivate.node`. Needs nothing from npm, so it works wherever the package is:
//   - in a checkout of the repository, it builds this folder's crate in the Cargo workspace
//     (the workspace's target directory, so the tests reuse what is built);
//   - in an installed package, it builds the Rust sources bundled in `rust/` with their
//     Cargo.lock (`--locked`) and cargo configuration (so from that folder), in `rust/target`,
//     which it removes afterwards.
//
//   CAPTIVATE_NODE_PROFILE=release|debug (default release)
//   CARGO=/path/to/cargo                  (default: cargo on PATH, then ~/.cargo/bin/cargo)
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { BUILT, RUST_FLOOR, inCheckout } = require('../addon.js');

const root = path.resolve(__dirname, '..');

/** The cargo to run: the first candidate that starts, or null. */
function findCargo() {
  const candidates = [process.env.CARGO, 'cargo', path.join(os.homedir(), '.cargo', 'bin', 'cargo')];
  for (const cargo of candidates) {
    if (!cargo) continue;
    const probe = spawnSync(cargo, ['--version'], { encoding: 'utf8' });
    if (!probe.error && probe.status === 0) return cargo;
  }
  return null;
}

/**
 * Builds the addon; returns the path of the library cargo made.
 * @param {string} cargo
 * @param {'release' | 'debug'} profile
 */
function cargoBuild(cargo, profile) {
  const checkout = inCheckout();
  const cwd = checkout ? root : path.join(root, 'rust');
  const args = ['build', '--lib', '--message-format=json-render-diagnostics', '--manifest-path', path.join(cwd, 'Cargo.toml')];
  if (!checkout) args.push('-p', 'captivate-node', '--locked', '--target-dir', path.join(cwd, 'target'));
  if (profile === 'release') args.push('--release');
  const result = spawnSync(cargo, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  if (result.error) throw new Error(`cannot run ${cargo}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`cargo build failed (exit ${result.status}); building the addon needs Rust ${RUST_FLOOR} or newer`);
  }
  for (const line of result.stdout.split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    const msg = JSON.parse(line);
    if (msg.reason === 'compiler-artifact' && msg.target && msg.target.name === 'captivate_node') {
      const lib = (msg.filenames || []).find((/** @type {string} */ f) => /\.(so|dylib|dll)$/.test(f));
      if (lib) return lib;
    }
  }
  throw new Error('cargo did not report the addon library');
}

/**
 * Builds the addon and installs it as `captivate.node`.
 * @param {{ cargo: string, profile?: string }} options
 */
function build({ cargo, profile = process.env.CAPTIVATE_NODE_PROFILE || 'release' }) {
  if (profile !== 'release' && profile !== 'debug') {
    throw new Error(`CAPTIVATE_NODE_PROFILE must be "release" or "debug", not "${profile}"`);
  }
  const artifact = cargoBuild(cargo, profile);
  // Copy, then rename: a running process that has the old addon loaded keeps a valid file.
  const tmp = `${BUILT}.${process.pid}.tmp`;
  fs.copyFileSync(artifact, tmp);
  fs.renameSync(tmp, BUILT);
  if (!inCheckout()) fs.rmSync(path.join(root, 'rust', 'target'), { recursive: true, force: true });
  console.error(`captivate-chat: built ${BUILT} (${profile})`);
}

module.exports = { findCargo, build };

if (require.main === module) {
  const cargo = findCargo();
  if (!cargo) {
    console.error(`captivate-chat: cargo not found. Install Rust ${RUST_FLOOR} or newer (https://rustup.rs) to build the addon.`);
    process.exit(1);
  }
  try {
    build({ cargo });
  } catch (err) {
    console.error(`captivate-chat: ${/** @type {Error} */ (err).message}`);
    process.exit(1);
  }
}
