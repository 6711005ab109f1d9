#!/usr/bin/env node
// The package's install step (npm's `install` script).
//   - In a checkout of the repository it always builds the addon from source, since the Rust
//     sources may have changed (scripts/build.js).
//   - In an installed package it does nothing when an addon fits, normally the prebuilt package
//     of this platform; so no Rust is needed then. When none fits, it builds the addon from the
//     Rust sources bundled in the package if cargo is there, and fails saying what to do if not.
// Installs that skip scripts (`--ignore-scripts`, pnpm, yarn) load the prebuilt package all the
// same: the loader (addon.js) does not depend on this step.
'use strict';

const addon = require('../addon.js');
const { findCargo, build } = require('./build.js');

function main() {
  if (!addon.inCheckout()) {
    const found = addon.find();
    if (found.addon) {
      console.error(`captivate-chat: using the addon in ${found.from}`);
      return;
    }
  }
  const cargo = findCargo();
  if (!cargo) {
    // The loader's error names the missing package and what to do.
    addon.load();
    return;
  }
  if (!addon.inCheckout()) {
    console.error(`captivate-chat: no prebuilt addon fits ${addon.target()}; building it from source with ${cargo}`);
  }
  build({ cargo });
  addon.load();
}

try {
  main();
} catch (err) {
  console.error(/** @type {Error} */ (err).message.replace(/^(?!captivate-chat: )/, 'captivate-chat: '));
  process.exit(1);
}
