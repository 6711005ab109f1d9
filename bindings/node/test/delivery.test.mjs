// The delivery scenarios of tests/delivery/scenarios.json (the same table the Rust, Python and
// C tests run): each against a local hub of its own, started with the scenario's script.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { CaptivateChatAPI } from 'captivate-chat';
import { startHub } from 'captivate-chat/testing';

/**
 * @typedef {{do: string, [key: string]: any}} Step
 * @typedef {{name: string, why: string, only?: string[], script: any, client: Record<string, unknown>, steps: Step[], expect: Record<string, any>}} Scenario
 * @typedef {{kind: string, [key: string]: unknown}} Recorded
 */

/** @type {{steps: Record<string, string>, wait_limit_ms: number, scenarios: Scenario[]}} */
const table = JSON.parse(readFileSync(new URL('../../../tests/delivery/scenarios.json', import.meta.url), 'utf8'));
const LIMIT = table.wait_limit_ms;

/** `initial_delay_ms` → `initialDelayMs`, through nested objects. @param {unknown} v @returns {any} */
function camel(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), camel(x)]));
}

/**
 * What a listener records of an event, or null.
 * @param {any} ev
 * @returns {Recorded | null}
 */
function record(ev) {
  switch (ev.kind) {
    case 'bot_message':
    case 'livechat_message':
      return { kind: ev.kind, text: ev.text };
    case 'error':
      return { kind: 'error', code: ev.code };
    case 'lagged':
      return { kind: 'lagged', missed: ev.missed };
    default:
      return null;
  }
}

/**
 * Resolves once `check()` holds, re-checked each time `poke` is called; rejects after the limit.
 * @param {string} what
 * @param {() => boolean} check
 * @param {Set<() => void>} pokes
 * @returns {Promise<void>}
 */
function until(what, check, pokes) {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const poke = () => {
      if (check()) {
        clearTimeout(timer);
        pokes.delete(poke);
        resolve();
      }
    };
    const timer = setTimeout(() => {
      pokes.delete(poke);
      reject(new Error(`${what}: not within ${LIMIT} ms`));
    }, LIMIT);
    pokes.add(poke);
  });
}

/** @param {Scenario} s */
async function run(s) {
  const hub = await startHub({ script: s.script });
  /** @type {CaptivateChatAPI | null} */
  let api = null;
  try {
    api = await CaptivateChatAPI.create(hub.apiKey, 'dev', { ...hub.clientOptions(), shared: false, ...camel(s.client) });
    const client = api;
    /** @type {Map<string, any>} */
    const conversations = new Map();
    /** @type {Map<string, Recorded[]>} */
    const listeners = new Map();
    /** @type {Map<string, AsyncIterator<any>>} */
    const streams = new Map();
    /** @type {Map<string, Promise<unknown>>} */
    const calls = new Map();
    /** @type {Record<string, string>} */
    const callErrors = {};
    /** @type {Set<() => void>} */
    const pokes = new Set();
    const pokeAll = () => {
      for (const p of [...pokes]) p();
    };
    const conv = (/** @type {string} */ name) => {
      const c = conversations.get(name);
      assert.ok(c, `no conversation named ${name}`);
      return c;
    };
    for (const step of s.steps) {
      switch (step.do) {
        case 'start':
          conversations.set(step.conversation, await client.createConversation(`user-${step.conversation}`, undefined, undefined, step.mode));
          break;
        case 'listen': {
          const target = step.on === 'client' ? client : conv(step.on);
          /** @type {Recorded[]} */
          const got = [];
          listeners.set(step.listener, got);
          if (step.form === 'stream') {
            streams.set(step.listener, target.events());
            break;
          }
          /** @type {() => void} */
          let off = () => {};
          off = target.onEvent((/** @type {any} */ ev) => {
            const r = record(ev);
            if (r === null) return;
            got.push(r);
            if (step.remove_after !== undefined && got.length >= step.remove_after) off();
            pokeAll();
          });
          break;
        }
        case 'say':
          await conv(step.conversation).sendMessage(step.text);
          break;
        case 'bot':
          hub.botSays(conv(step.conversation).conversationId, step.text);
          break;
        case 'sync':
          await conv(step.conversation).getMetadata();
          break;
        case 'wait_count': {
          const got = listeners.get(step.listener);
          assert.ok(got, `no listener named ${step.listener}`);
          await until(`${step.listener} recorded ${step.count} events (has ${JSON.stringify(got)})`, () => got.length >= step.count, pokes);
          break;
        }
        case 'drain': {
          const it = streams.get(step.listener);
          const got = listeners.get(step.listener);
          assert.ok(it && got, `no stream named ${step.listener}`);
          const none = Symbol('none');
          for (;;) {
            // What is waiting is given at once; a next() that would wait loses the race.
            const n = await Promise.race([it.next(), Promise.resolve(none)]);
            if (n === none || n.done) break;
            const r = record(n.value);
            if (r !== null) got.push(r);
          }
          await it.return?.();
          break;
        }
        case 'drop': {
          /** @type {string[]} */
          const states = [];
          const off = client.onStateChange((/** @type {any} */ st) => {
            states.push(st.current.state);
            pokeAll();
          });
          hub.drop();
          try {
            await until(`connected again (states: ${states})`, () => states.length > 1 && states.at(-1) === 'connected', pokes);
          } finally {
            off();
          }
          break;
        }
        case 'faults':
          hub.setFaults(camel(step.faults));
          break;
        case 'call': {
          const p = conv(step.conversation).getMetadata();
          p.catch(() => {});
          calls.set(step.as, p);
          break;
        }
        case 'close':
          await client.dispose();
          break;
        case 'call_fails': {
          const p = calls.get(step.as);
          assert.ok(p, `no call named ${step.as}`);
          /** @type {ReturnType<typeof setTimeout> | undefined} */
          let timer;
          const outcome = await Promise.race([
            p.then(
              () => 'succeeded',
              (/** @type {any} */ e) => e.code,
            ),
            new Promise((resolve) => {
              timer = setTimeout(() => resolve('still waiting'), LIMIT);
            }),
          ]);
          clearTimeout(timer);
          assert.equal(outcome, step.error, `call ${step.as}`);
          break;
        }
        case 'call_sees': {
          const got = listeners.get(step.listener);
          assert.ok(got, `no listener named ${step.listener}`);
          /** @type {number} */
          const seen = await conv(step.conversation).getMetadata().then(() => got.length);
          assert.equal(seen, step.count, `events recorded by ${step.listener} when the call's outcome arrived`);
          break;
        }
        case 'delete':
          await conv(step.conversation).delete();
          break;
        case 'reopen': {
          const old = conv(step.conversation);
          const again = client.getConversation(old.conversationId);
          if (step.same !== undefined) assert.equal(again === old, step.same, `reopen ${step.conversation}: the same object`);
          conversations.set(step.as, again);
          break;
        }
        default:
          assert.fail(`step ${step.do} is not known to the Node runner`);
      }
    }
    for (const [name, events] of Object.entries(s.expect)) {
      if (name === 'calls') {
        assert.deepEqual(callErrors, events);
        continue;
      }
      assert.deepEqual(listeners.get(name), events, `listener ${name}`);
    }
  } finally {
    await api?.dispose();
    await hub.close();
  }
}

describe('delivery scenarios (tests/delivery/scenarios.json)', () => {
  for (const s of table.scenarios) {
    if (s.only !== undefined && !s.only.includes('node')) continue;
    test(`${s.name}: ${s.why}`, () => run(s));
  }

  test('every step of the table is one this runner knows', () => {
    const known = ['start', 'listen', 'say', 'bot', 'sync', 'wait_count', 'drain', 'drop', 'faults', 'call', 'close', 'call_fails', 'call_sees', 'delete', 'reopen'];
    const used = new Set(table.scenarios.filter((s) => s.only === undefined || s.only.includes('node')).flatMap((s) => s.steps.map((st) => st.do)));
    assert.deepEqual([...used].filter((d) => !known.includes(d)), []);
  });
});
