// The tables the package is built from: every error kind of the library has its class (one flat
// hierarchy under CaptivateError, with the kind's code), and every kind and key of the
// canonical JSON of events (core/tests/fixtures/canonical/events.json) is a typed field of the
// JavaScript event objects, read through the same batches a client receives.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as esm from 'captivate-chat';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = path.resolve(pkgDir, '..', '..');
const require = createRequire(import.meta.url);
// The package's own modules, loaded by path (they are its internals, not its typed API).
/** @type {any} */
const native = require(path.join(pkgDir, 'native.js'));
/** @type {any} */
const pkg = require('captivate-chat');
/** @type {any} */
const events = require(path.join(pkgDir, 'lib', 'events.js'));
const dts = fs.readFileSync(path.join(pkgDir, 'index.d.ts'), 'utf8');

/** @param {string} k */
const camel = (k) => k.replace(/_([a-z])/g, (_, c) => c.toUpperCase());

test('every error kind has its class, directly under CaptivateError, with its code, exported and declared', () => {
  /** @type {{code: string, className: string, doc: string}[]} */
  const kinds = native.errorKinds();
  assert.ok(kinds.length >= 14);
  for (const { code, className: kindName } of kinds) {
    // JavaScript's names for errors end in `Error`; the first versions' names are aliases.
    const className = kindName.endsWith('Error') ? kindName : `${kindName}Error`;
    const cls = pkg[className];
    assert.equal(pkg[kindName], cls, `${kindName} is an alias of ${className}`);
    assert.equal(typeof cls, 'function', `${className} is exported`);
    assert.equal(/** @type {any} */ (esm)[className], cls, `${className} is exported by the ES module`);
    assert.equal(Object.getPrototypeOf(cls), pkg.CaptivateError, `${className} derives from CaptivateError directly`);
    assert.equal(cls.code, code);
    /** @type {any} */
    const e = new cls('message');
    assert.equal(e.code, code);
    assert.equal(e.name, className);
    assert.ok(e instanceof pkg.CaptivateError && e instanceof Error);
    assert.match(dts, new RegExp(`^export class ${className} extends CaptivateError \\{`, 'm'), `${className} is declared`);
    assert.match(dts, new RegExp(`static readonly code: '${code}';`), `${className}.code is declared`);
    assert.match(dts, new RegExp(`\\| '${code}'`), `${code} is in ErrorCode`);
  }
  const exported = Object.keys(pkg).filter((k) => typeof pkg[k] === 'function' && pkg[k].prototype instanceof pkg.CaptivateError);
  const names = kinds.map((k) => k.className).flatMap((n) => (n.endsWith('Error') ? [n] : [n, `${n}Error`]));
  assert.deepEqual(exported.sort(), names.sort(), 'no error class beyond the kinds (and their aliases)');
});

/** Free JSON: kept as the hub (or the library) made it, names and all. */
const FREE = new Set(['metadata', 'data', 'payload', 'raw', 'cards']);

/**
 * Asserts that `actual` (a JavaScript value) carries everything of `expected` (canonical JSON),
 * with camelCase names outside free JSON.
 * @param {any} expected
 * @param {any} actual
 * @param {string} where
 */
function sameShape(expected, actual, where) {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where} is an array`);
    assert.equal(actual.length, expected.length, `${where}.length`);
    expected.forEach((e, i) => sameShape(e, actual[i], `${where}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${where} is an object`);
    for (const [k, v] of Object.entries(expected)) {
      const js = camel(k);
      assert.ok(js in actual, `${where}.${js} exists`);
      if (FREE.has(k)) assert.deepEqual(actual[js], v, `${where}.${js}`);
      else sameShape(v, actual[js], `${where}.${js}`);
    }
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).map(camel).sort(), `${where} has no other fields`);
  } else {
    assert.equal(actual, expected, where);
  }
}

/**
 * The fields index.d.ts declares for an event kind: its interface's own, and those of the base
 * it extends.
 * @param {string} kind
 * @returns {Set<string>}
 */
function declaredFields(kind) {
  const interfaces = [...dts.matchAll(/^export interface (\w+)(?: extends (\w+))? \{\n([\s\S]*?)^\}/gm)];
  /** @param {string} body */
  const fields = (body) => [...body.matchAll(/^ {2}(?:readonly )?(\w+)\??:/gm)].map((m) => m[1]);
  const own = interfaces.find((m) => new RegExp(`^ {2}kind: [^;]*'${kind}'`, 'm').test(m[3]));
  assert.ok(own, `an interface of index.d.ts has kind '${kind}'`);
  const out = new Set(fields(own[3]));
  if (own[2]) {
    const base = interfaces.find((m) => m[1] === own[2]);
    assert.ok(base, own[2]);
    for (const f of fields(base[3])) out.add(f);
  }
  return out;
}

test('every kind and key of the canonical event JSON is a typed field of the event objects', () => {
  /** @type {Record<string, any>} */
  const canonical = JSON.parse(fs.readFileSync(path.join(root, 'core/tests/fixtures/canonical/events.json'), 'utf8'));
  const receive = path.join(root, 'core/tests/fixtures/receive');
  const names = Object.keys(canonical);
  const fromHub = names.filter((n) => fs.existsSync(path.join(receive, `${n}.json`)));
  const fromLibrary = names.filter((n) => !fromHub.includes(n));
  assert.ok(fromHub.length > 10 && fromLibrary.length >= 5, `${fromHub.length} hub and ${fromLibrary.length} library events`);
  const b = native.encodeForTest(
    fromHub.map((n) => fs.readFileSync(path.join(receive, `${n}.json`), 'utf8')),
    fromLibrary.map((n) => canonical[n]),
  );
  const r = new events.Reader(b.nums, b.text, b.vals, b.raws);
  assert.equal(b.nums[1], names.length);
  const kinds = new Set();
  for (const name of [...fromHub, ...fromLibrary]) {
    const tag = r.num();
    const ev = events.readEvent(r, tag);
    if (tag & events.ROUTE_OTHER) r.str();
    const expected = canonical[name];
    kinds.add(expected.kind);
    sameShape(expected, ev, name);
    const declared = declaredFields(expected.kind);
    for (const k of Object.keys(expected)) assert.ok(declared.has(camel(k)), `${name}: ${camel(k)} is declared for kind ${expected.kind}`);
    if (fromHub.includes(name)) {
      // The frame, exactly as received, on demand.
      const frame = JSON.parse(fs.readFileSync(path.join(receive, `${name}.json`), 'utf8'));
      assert.deepEqual(ev.raw, frame, `${name}.raw`);
      assert.ok(!Object.keys(ev).includes('raw'), 'raw is a getter, not a copied field');
    }
  }
  assert.equal(r.i, b.nums.length, 'every number read');
  assert.equal(r.at, b.text.length, 'every text field read');
  for (const k of native.eventKinds()) assert.ok(kinds.has(k) || k === 'unknown', `a canonical example of ${k}`);
});
