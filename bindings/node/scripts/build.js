#!/usr/bin/env node
// Builds the native addon from source with cargo and puts it next to the loader as
// `captivate.node`. Needs nothing from npm, so it works when the package is installed from a
// folder or a tarball (where devDependencies are not installed).
//
//   CAPTIVATE_NODE_PROFILE=release|debug (default release)
//   CARGO=/path/to/cargo                  (default: cargo on PATH, then ~/.cargo/bin/cargo)
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const profile = process.env.CAPTIVATE_NODE_PROFILE || 'release';
if (profile !== 'release' && profile !== 'debug') {
  console.error(`captivate-chat: CAPTIVATE_NODE_PROFILE must be "release" or "debug", not "${profile}"`);
  process.exit(1);
}

function cargoCandidates() {
  const list = [];
  if (process.env.CARGO) list.push(process.env.CARGO);
  list.push('cargo');
  list.push(path.join(os.homedir(), '.cargo', 'bin', 'cargo'));
  return list;
}

const args = ['build', '--lib', '--manifest-path', path.join(root, 'Cargo.toml'), '--message-format=json-render-diagnostics'];
if (profile === 'release') args.push('--release');

let result = null;
for (const cargo of cargoCandidates()) {
  result = spawnSync(cargo, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  if (!(result.error && result.error.code === 'ENOENT')) break;
}
if (!result || result.error) {
  const why = result && result.error ? result.error.message : 'not found';
  console.error(`captivate-chat: cannot run cargo (${why}). Install Rust (https://rustup.rs) to build the addon.`);
  process.exit(1);
}
if (result.status !== 0) {
  console.error(`captivate-chat: cargo build failed (exit ${result.status})`);
  process.exit(result.status || 1);
}

let artifact = null;
for (const line of result.stdout.split('\n')) {
  if (!line.startsWith('{')) continue;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    continue;
  }
  if (msg.reason === 'compiler-artifact' && msg.target && msg.target.name === 'captivate_node') {
    const lib = (msg.filenames || []).find((f) => /\.(so|dylib|dll)$/.test(f));
    if (lib) artifact = lib;
  }
}
if (!artifact) {
  console.error('captivate-chat: cargo did not report the addon library');
  process.exit(1);
}

// Copy, then rename: a running process that has the old addon loaded keeps a valid file.
const dest = path.join(root, 'captivate.node');
const tmp = `${dest}.${process.pid}.tmp`;
fs.copyFileSync(artifact, tmp);
fs.renameSync(tmp, dest);
console.error(`captivate-chat: built ${path.relative(process.cwd(), dest) || dest} (${profile})`);
