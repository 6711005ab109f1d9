// Loads the native addon built by scripts/build.js and checks that it matches this package.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, 'captivate.node');
if (!fs.existsSync(file)) {
  throw new Error(
    `captivate-chat: the native addon is missing (${file}); run \`npm install\` or \`npm run build\` in ${__dirname} (needs Rust's cargo)`,
  );
}
const native = require(file);
const { version } = require('./package.json');
if (native.version() !== version) {
  throw new Error(
    `captivate-chat: the native addon is version ${native.version()} but the package is ${version}; rebuild it with \`npm run build\` in ${__dirname}`,
  );
}
module.exports = native;
