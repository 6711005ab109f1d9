// The library's log records reach Node: printed with console.log in debug mode (the official
// client's switch), and handed to a logger function as {level, target, message}. A session at
// trace level — connect, start, message, a drop, a wrong key — produces records from the
// library and from its dependencies, and the API key appears in none.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { CaptivateChatAPI, Rejected } from 'captivate-chat';
import { sleep, startSim, waitFor } from './sim.mjs';

const KEY = 'log-test-key-Qx81Lm';
const OTHER_KEY = 'an-unrelated-wrong-key-Vb27';

/** @type {import('./sim.mjs').Sim} */
let sim;

before(async () => {
  sim = await startSim({ apiKey: KEY });
});
after(async () => {
  CaptivateChatAPI.setDebugMode(false);
  CaptivateChatAPI.setLogger(null);
  await sim.stop();
});

/**
 * Waits until `check` holds, looking again after each turn of the event loop (records arrive
 * asynchronously, in batches).
 * @param {() => boolean} check
 * @param {string} what
 */
async function until(check, what) {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await sleep(10);
  }
  assert.fail(`never: ${what}`);
}

test('debug mode at trace prints the records; a logger gets them; the API key appears in none', async () => {
  /** @type {string[]} */
  const printed = [];
  /** @type {import('captivate-chat').LogRecord[]} */
  const records = [];
  const log = console.log;
  console.log = (...args) => {
    printed.push(args.map(String).join(' '));
  };
  try {
    CaptivateChatAPI.setDebugMode(true, 'trace');
    assert.equal(CaptivateChatAPI.getDebugMode(), true);
    CaptivateChatAPI.setLogger((r) => records.push(r), 'trace');

    const api = await sim.client({ reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    const c = await api.createConversation('logged-user', undefined, undefined, 'user-first');
    let echo = waitFor((fn) => c.onMessage((m, t, ev) => fn(ev)), (ev) => ev.kind === 'bot_message' && ev.text === `You said: the key is ${KEY}`);
    await c.sendMessage(`the key is ${KEY}`);
    await echo;

    const back = waitFor((fn) => api.onStateChange(fn), (s) => s.current.state === 'connected');
    await sim.control('/control/drop');
    await back;
    echo = waitFor((fn) => c.onMessage((m, t, ev) => fn(ev)), (ev) => ev.kind === 'bot_message' && ev.text === 'You said: after the drop');
    await c.sendMessage('after the drop');
    await echo;

    await assert.rejects(CaptivateChatAPI.create(`${KEY}-wrong`, 'dev', { url: sim.url }), Rejected);
    await assert.rejects(CaptivateChatAPI.create(OTHER_KEY, 'dev', { url: sim.url }), Rejected);
    await api.dispose();

    await until(() => records.some((r) => r.target.startsWith('captivate') && r.message.includes('connection lost')), 'a record of the drop');
    await until(() => records.some((r) => r.target.startsWith('tungstenite')), 'a record of a dependency (log crate)');
    await until(() => records.some((r) => r.target === 'captivate_chat' && r.message.includes('bot_message')), 'a record of a delivered event');
  } finally {
    console.log = log;
    CaptivateChatAPI.setDebugMode(false);
    CaptivateChatAPI.setLogger(null);
  }
  assert.equal(CaptivateChatAPI.getDebugMode(), false);
  assert.ok(records.some((r) => r.level === 'trace'));
  assert.ok(records.some((r) => r.level === 'debug' || r.level === 'info'));
  for (const r of records) {
    assert.deepEqual(Object.keys(r).sort(), ['level', 'message', 'target']);
    assert.ok(['error', 'warn', 'info', 'debug', 'trace'].includes(r.level), r.level);
  }
  // Printed as the official client prints its own: console.log, a prefix, the level, the target.
  const lines = printed.filter((l) => l.startsWith('[captivate] '));
  assert.equal(lines.length, records.length, 'every record printed once');
  assert.ok(lines.some((l) => /^\[captivate\] TRACE tungstenite\S*: /.test(l)), lines.slice(0, 5).join('\n'));
  for (const text of [...printed, ...records.map((r) => `${r.target} ${r.message}`)]) {
    assert.ok(!text.includes(KEY), `the key leaked: ${text}`);
    assert.ok(!text.includes(OTHER_KEY), `the wrong key leaked: ${text}`);
  }
});

test('levels: debug mode at info prints no debug records; a logger at warn gets no info', async () => {
  /** @type {string[]} */
  const printed = [];
  /** @type {import('captivate-chat').LogRecord[]} */
  const records = [];
  const log = console.log;
  console.log = (...args) => {
    printed.push(args.map(String).join(' '));
  };
  try {
    CaptivateChatAPI.setDebugMode(true, 'info');
    CaptivateChatAPI.setLogger((r) => records.push(r), 'warn');
    const api = await sim.client({ reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    const c = await api.createConversation('quiet-user', undefined, undefined, 'user-first');
    const echo = waitFor((fn) => c.onMessage((m, t, ev) => fn(ev)), (ev) => ev.kind === 'bot_message');
    await c.sendMessage('hi');
    await echo;
    const back = waitFor((fn) => api.onStateChange(fn), (s) => s.current.state === 'connected');
    await sim.control('/control/drop');
    await back;
    await api.dispose();
    await until(() => printed.some((l) => l.startsWith('[captivate] INFO ') && l.includes('connection lost')), 'an info record of the drop');
  } finally {
    console.log = log;
    CaptivateChatAPI.setDebugMode(false);
    CaptivateChatAPI.setLogger(null);
  }
  assert.ok(!printed.some((l) => /^\[captivate\] (DEBUG|TRACE) /.test(l)), printed.join('\n'));
  assert.ok(records.every((r) => r.level === 'warn' || r.level === 'error'), JSON.stringify(records));
  assert.throws(() => CaptivateChatAPI.setDebugMode(true, /** @type {any} */ ('loud')), TypeError);
  assert.throws(() => CaptivateChatAPI.setLogger(/** @type {any} */ ('console')), TypeError);
});
