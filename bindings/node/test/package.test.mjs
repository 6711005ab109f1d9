// The package itself: index.d.ts declares what the runtime has (and the runtime has what it
// declares), and the built addon is not older than the Rust sources it comes from.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
/** @type {Record<string, any>} */
const runtime = require('captivate-chat');
const dts = fs.readFileSync(path.join(pkgDir, 'index.d.ts'), 'utf8');

/** Top-level `export class|const` names of index.d.ts. */
function declaredValues() {
  return [...dts.matchAll(/^export (?:declare )?(?:class|const) (\w+)/gm)].map((m) => m[1]);
}

/** Top-level `export class` names of index.d.ts (the deprecated aliases are `const`s). */
function declaredClasses() {
  return [...dts.matchAll(/^export (?:declare )?class (\w+)/gm)].map((m) => m[1]);
}

/**
 * The members of `export class name { ... }`: [static?, member name].
 * @param {string} name
 * @returns {[boolean, string][]}
 */
function declaredMembers(name) {
  const start = dts.search(new RegExp(`^export class ${name}\\b.*\\{`, 'm'));
  assert.ok(start >= 0, name);
  const body = dts.slice(dts.indexOf('{', start) + 1, dts.indexOf('\n}', start));
  /** @type {[boolean, string][]} */
  const members = [];
  for (const m of body.matchAll(/^ {2}(static )?(?:readonly )?(\w+)[?(:<]/gm)) {
    if (m[2] !== 'constructor') members.push([Boolean(m[1]), m[2]]);
  }
  return members;
}

test('every value index.d.ts declares exists at runtime, and every runtime export is declared', () => {
  const declared = declaredValues();
  for (const name of declared) assert.ok(name in runtime, `${name} is declared but not exported`);
  for (const name of Object.keys(runtime)) assert.ok(declared.includes(name), `${name} is exported but not declared`);
});

test('the members of the declared classes exist on the runtime classes', () => {
  const api = new runtime.CaptivateChatAPI('k', 'dev', { url: 'ws://127.0.0.1:9/dev' });
  const textContent = { type: 'file_content', text: 't', metadata: { source: 'file_attachment', originalFileName: 'a.txt' } };
  /** @type {Record<string, object>} */
  const instances = {
    CaptivateChatAPI: api,
    CaptivateChatManager: new runtime.CaptivateChatManager(['k'], 'dev', { url: 'ws://127.0.0.1:9/dev' }),
    CaptivateChatFileManager: new runtime.CaptivateChatFileManager(Buffer.from('t'), textContent, 'text/plain'),
    CaptivateSocket: new runtime.CaptivateSocket(api),
    CaptivateError: new runtime.CaptivateError('m', 'internal'),
  };
  for (const name of declaredClasses()) {
    const cls = runtime[name];
    if (typeof cls !== 'function') continue;
    const members = declaredMembers(name);
    for (const [isStatic, member] of members) {
      if (isStatic) {
        assert.ok(member in cls, `static ${name}.${member}`);
      } else if (name === 'Conversation') {
        const instanceFields = ['conversationId', 'metadata'];
        assert.ok(member in cls.prototype || instanceFields.includes(member), `${name}#${member}`);
      } else if (cls.prototype instanceof runtime.CaptivateError) {
        const err = new cls('m', { status: 1, operation: 'o', millis: 1, clientMsgId: 'c', hubCode: 1, description: 'd', conversationId: null, unconfirmed: true });
        Object.assign(err, err.details);
        assert.ok(member in err, `${name}#${member}`);
        if (member === 'code') assert.equal(err.code, cls.code);
      } else {
        const instance = instances[name];
        assert.ok(instance && member in instance, `${name}#${member}`);
      }
    }
  }
  api.dispose();
});

test('the built addon is not older than the Rust sources (run `npm run build` if it is)', () => {
  const addon = fs.statSync(path.join(pkgDir, 'captivate.node')).mtimeMs;
  const root = path.resolve(pkgDir, '..', '..');
  /** @param {string} dir @returns {string[]} */
  const rustFiles = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? rustFiles(p) : e.name.endsWith('.rs') ? [p] : [];
    });
  const sources = [pkgDir, path.join(root, 'binding'), path.join(root, 'core')].flatMap((d) => rustFiles(path.join(d, 'src')));
  const stale = sources.filter((f) => fs.statSync(f).mtimeMs > addon + 1000);
  assert.deepEqual(stale, [], 'the addon is older than these sources');
  assert.equal(runtime.version, require('../package.json').version);
});
