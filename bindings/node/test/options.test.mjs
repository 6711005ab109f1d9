// Every option of the library's one schema is reachable from create(apiKey, mode, options): a
// value of its type is accepted, a value of another type is refused naming the option (so it
// reached the schema's check), and index.d.ts declares it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { CaptivateChatAPI, InvalidArgument, OPTIONS } from 'captivate-chat';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dts = fs.readFileSync(path.join(pkgDir, 'index.d.ts'), 'utf8');
const declared = dts.slice(dts.indexOf('export interface CaptivateOptions {'), dts.indexOf('export interface OptionSpec {'));

/** Good values of the text options that take URLs or names. */
/** @type {Record<string, string>} */
const TEXTS = { url: 'ws://127.0.0.1:9/dev', endpoint: 'dev', httpUrl: 'http://127.0.0.1:9', filesUrl: 'https://127.0.0.1:9/files' };

/**
 * A value of the option's type, and one of another type.
 * @param {import('captivate-chat').OptionSpec} o
 * @returns {[unknown, unknown]}
 */
function samples(o) {
  switch (o.type) {
    case 'text':
      return [TEXTS[o.name] ?? 'a text', 42];
    case 'text_list':
      return [['hub.example', 'files.example'], 'hub.example'];
    case 'one_of':
      return [/** @type {readonly string[]} */ (o.values).at(-1), 'none of them'];
    case 'millis':
      return [1234, 'soon'];
    case 'count':
      return [4096, -1];
    case 'flag':
      return [true, 'yes'];
    default:
      throw new Error(`an option of an unknown type: ${o.type}`);
  }
}

/**
 * The options object that sets `name` (`reconnect.initialDelayMs` is nested).
 * @param {string} name
 * @param {unknown} value
 */
function setting(name, value) {
  const parts = name.split('.');
  return parts.length === 1 ? { [name]: value } : { [parts[0]]: { [parts[1]]: value } };
}

test('the schema lists every option once, with a type and a doc', () => {
  assert.ok(OPTIONS.length >= 30);
  assert.equal(new Set(OPTIONS.map((o) => o.name)).size, OPTIONS.length);
  for (const o of OPTIONS) {
    assert.ok(o.doc.length > 0, o.name);
    assert.equal(o.values !== null, o.type === 'one_of', o.name);
  }
});

for (const o of OPTIONS) {
  test(`option ${o.name}`, async () => {
    const [good, bad] = samples(o);
    const leaf = /** @type {string} */ (o.name.split('.').at(-1));
    if (o.name === 'apiKey') {
      // The first argument of create.
      new CaptivateChatAPI('a key', 'dev').dispose();
      assert.throws(() => new CaptivateChatAPI('', 'dev'), (/** @type {any} */ e) => e instanceof InvalidArgument && /api_key/.test(e.message));
      return;
    }
    if (o.name === 'mode') {
      // The second argument of create.
      assert.equal(new CaptivateChatAPI('a key', /** @type {any} */ (good)).mode, good);
      assert.throws(() => new CaptivateChatAPI('a key', /** @type {any} */ (bad)), (/** @type {any} */ e) => e instanceof InvalidArgument && e.message.includes('mode'));
      return;
    }
    const api = new CaptivateChatAPI('a key', 'dev', setting(o.name, good));
    await api.dispose();
    assert.throws(
      () => new CaptivateChatAPI('a key', 'dev', setting(o.name, bad)),
      (/** @type {any} */ e) => e instanceof InvalidArgument && e.message.includes(leaf),
      `${o.name}: ${JSON.stringify(bad)} is refused`,
    );
    // The snake_case name of the schema works too.
    new CaptivateChatAPI('a key', 'dev', setting(o.schemaName, good)).dispose();
    assert.match(declared, new RegExp(`^ +${leaf}\\?:`, 'm'), `${o.name} is declared in CaptivateOptions`);
  });
}

test('an unknown option is refused, with its name', async () => {
  await assert.rejects(CaptivateChatAPI.create('a key', 'dev', /** @type {any} */ ({ requestTimeout: 5 })), (/** @type {any} */ e) => e instanceof InvalidArgument && e.message.includes('requestTimeout'));
});
