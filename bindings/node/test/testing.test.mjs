// captivate-chat/testing: the local hub in this process (no captivate-sim binary), its script,
// controls, inspection, faults, reset and close, through the package's own client.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';

import { CaptivateChatAPI, ClosedError, InvalidArgumentError, TimeoutError } from 'captivate-chat';
import * as testing from 'captivate-chat/testing';
import { FAULTS, Hub, startHub } from 'captivate-chat/testing';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repo = path.resolve(pkgDir, '..', '..');
const require = createRequire(import.meta.url);

/** @type {import('captivate-chat/testing').HubScript} */
const SHOP = {
  greeting: [{ bot: 'Welcome to the shop.' }],
  rules: [
    { when: { live: true, exact: 'bye' }, then: [{ agent: 'Bye from {agent}.' }, { end_handover: {} }] },
    { when: { live: true }, then: [{ agent: '{agent} read: {text}' }] },
    { when: { regex: '^order (?P<n>\\d+)$' }, then: [{ bot: 'Order {n} ships tomorrow.' }] },
    {
      when: { contains: 'human' },
      then: [{ bot: 'Connecting you.' }, { handover: { agent: 'Ada' } }, { agent: 'Ada here, how can I help?', after_ms: 0 }],
    },
    { then: [{ bot: 'I only know about orders.' }] },
  ],
};

/**
 * Every event of a conversation, kept, and a wait for the first (from the start) that matches.
 * @param {import('captivate-chat').Conversation} c
 */
function record(c) {
  /** @type {import('captivate-chat').CaptivateEvent[]} */
  const events = [];
  /** @type {Set<() => void>} */
  const waiters = new Set();
  c.onEvent((e) => {
    events.push(e);
    for (const w of [...waiters]) w();
  });
  return {
    events,
    /** The texts of bot and agent messages so far. */
    texts: () => events.flatMap((e) => (e.kind === 'bot_message' || e.kind === 'livechat_message' ? [`${e.kind === 'bot_message' ? 'bot' : 'agent'}: ${e.text}`] : [])),
    /**
     * @param {(e: import('captivate-chat').CaptivateEvent) => boolean} accept
     * @param {number} [from] the index of the first event to look at
     * @returns {Promise<import('captivate-chat').CaptivateEvent>}
     */
    until(accept, from = 0, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.slice(from).find(accept);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such event within ${ms} ms; got ${JSON.stringify(events.map((e) => e.kind))}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

/** @param {string} text */
const botSaid = (text) => (/** @type {import('captivate-chat').CaptivateEvent} */ e) => e.kind === 'bot_message' && e.text === text;
/** @param {string} text */
const agentSaid = (text) => (/** @type {import('captivate-chat').CaptivateEvent} */ e) => e.kind === 'livechat_message' && e.text === text;

/**
 * The states a client goes through from the next time it leaves `connected` until it is back.
 * @param {CaptivateChatAPI} api
 * @returns {Promise<string[]>}
 */
function reconnected(api, ms = 10_000) {
  return new Promise((resolve, reject) => {
    /** @type {string[]} */
    const states = [];
    const timer = setTimeout(() => {
      off();
      reject(new Error(`not reconnected within ${ms} ms: ${states.join(', ')}`));
    }, ms);
    const off = api.onStateChange((s) => {
      if (states.length === 0 && s.current.state === 'connected') return;
      states.push(s.current.state);
      if (s.current.state === 'connected') {
        clearTimeout(timer);
        off();
        resolve(states);
      }
    });
  });
}

/** Whether something listens on the port. @param {number} port */
function listening(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('a hub with a script', () => {
  /** @type {Hub} */
  let hub;
  /** @type {CaptivateChatAPI} */
  let api;

  before(async () => {
    hub = await startHub({ script: SHOP, apiKey: 'shop-key', agentDelayMs: 10 });
    api = await CaptivateChatAPI.create(hub.apiKey, 'dev', {
      ...hub.clientOptions(),
      shared: false,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    });
  });
  after(async () => {
    await api.dispose();
    await hub.close();
  });
  beforeEach(() => hub.reset());

  test('its address, its key kept out of print, and the options a client needs', () => {
    assert.match(hub.url, /^ws:\/\/127\.0\.0\.1:\d+\/dev$/);
    assert.equal(hub.httpUrl, `http://127.0.0.1:${hub.port}`);
    assert.equal(hub.url, `ws://127.0.0.1:${hub.port}/dev`);
    assert.equal(hub.apiKey, 'shop-key');
    assert.equal(hub.caPem, null);
    assert.equal(hub.running, true);
    assert.deepEqual(hub.clientOptions(), { url: hub.url, httpUrl: hub.httpUrl, filesUrl: hub.httpUrl });
    assert.ok(!inspect(hub, { showHidden: true, getters: false }).includes('shop-key'), inspect(hub));
    assert.ok(!JSON.stringify(hub).includes('shop-key'));
    assert.ok(hub instanceof Hub);
    assert.throws(() => new (/** @type {any} */ (Hub))(), TypeError);
    assert.deepEqual(hub.script, SHOP);
  });

  test('a conversation follows the script: greeting, a regex rule, a hand-over to a named agent and her lines', async () => {
    const c = await api.createConversation('shopper', { firstName: 'Lin' });
    const r = record(c);
    await r.until(botSaid('Welcome to the shop.'));

    await c.sendMessage('order 42');
    await r.until(botSaid('Order 42 ships tomorrow.'));
    await c.sendMessage('where is it?');
    await r.until(botSaid('I only know about orders.'));

    const handed = r.events.length;
    await c.sendMessage('a human please');
    const connected = await r.until((e) => e.kind === 'conversation_update' && e.update === 'agent_connected', handed);
    assert.equal(connected.kind === 'conversation_update' && /** @type {any} */ (connected.data).agentInfo.name, 'Ada');
    await r.until(agentSaid('Ada here, how can I help?'), handed);
    await c.sendMessage('my parcel is late');
    await r.until(agentSaid('Ada read: my parcel is late'), handed);
    await c.sendMessage('bye');
    await r.until(agentSaid('Bye from Ada.'), handed);
    await r.until((e) => e.kind === 'conversation_update' && e.update === 'agent_disconnected', handed);

    assert.deepEqual(r.texts(), [
      'bot: Welcome to the shop.',
      'bot: Order 42 ships tomorrow.',
      'bot: I only know about orders.',
      'bot: Connecting you.',
      'agent: Ada here, how can I help?',
      'agent: Ada read: my parcel is late',
      'agent: Bye from Ada.',
    ]);
    const [conv] = hub.conversations();
    assert.equal(conv.conversationId, c.conversationId);
    assert.equal(conv.userId, 'shopper');
    assert.equal(conv.live, false);
    assert.equal(conv.agent, 'Ada');
  });

  test('what the hub received, narrowed to a conversation and an event type', async () => {
    const a = await api.createConversation('a', {}, {}, 'user-first');
    const b = await api.createConversation('b', {}, {}, 'user-first');
    const ra = record(a);
    const rb = record(b);
    await a.sendMessage('order 1');
    await b.sendMessage('order 2');
    await a.sendMessage('order 3');
    await ra.until(botSaid('Order 3 ships tomorrow.'));
    await rb.until(botSaid('Order 2 ships tomorrow.'));

    const texts = (/** @type {import('captivate-chat/testing').ReceivedFrame[]} */ frames) =>
      frames.map((f) => /** @type {any} */ (f.event.event_payload.content).text);
    assert.deepEqual(texts(hub.received({ conversationId: a.conversationId, eventType: 'user_message' })), ['order 1', 'order 3']);
    assert.deepEqual(texts(hub.received({ conversationId: b.conversationId, eventType: 'user_message' })), ['order 2']);
    assert.equal(hub.received({ eventType: 'user_message' }).length, 3);
    assert.equal(hub.received({ eventType: 'conversation_start' }).length, 2);
    assert.ok(hub.received().length >= 5);
    assert.deepEqual(hub.received({ conversationId: 'nobody' }), []);
    assert.ok(hub.received().every((f) => !JSON.stringify(f).includes('shop-key')));
    assert.deepEqual(
      hub.conversations().map((c) => c.conversationId).sort(),
      [a.conversationId, b.conversationId].sort(),
    );
  });

  test('a dropped link: the client reconnects and the conversation goes on', async () => {
    const c = await api.createConversation('dropped', {}, {}, 'user-first');
    const r = record(c);
    await c.sendMessage('order 7');
    await r.until(botSaid('Order 7 ships tomorrow.'));
    const accepted = hub.connectionsAccepted;
    assert.equal(hub.liveConnections, 1);

    const from = r.events.length;
    const back = reconnected(api);
    hub.drop();
    assert.deepEqual(await back, ['disconnected', 'connecting', 'connected']);
    await r.until((e) => e.kind === 'discontinuity', from);
    assert.ok(hub.connectionsAccepted > accepted);

    await c.sendMessage('order 8');
    await r.until(botSaid('Order 8 ships tomorrow.'), from);
    assert.equal(api.isSocketActive(), true);
  });

  test('the bot, the agent and updates on demand; frames pushed as they are', async () => {
    const c = await api.createConversation('controls', {}, {}, 'user-first');
    const r = record(c);
    await c.sendMessage('order 5');
    await r.until(botSaid('Order 5 ships tomorrow.'));

    hub.botSays(c.conversationId, 'A word from the bot.');
    await r.until(botSaid('A word from the bot.'));
    hub.agentSays(c.conversationId, ['Two lines', { type: 'text', text: 'from the agent' }]);
    await r.until(agentSaid('Two lines\nfrom the agent'));
    hub.botSays(c.conversationId, 'Only in the transcript.', { send: false });
    hub.update(c.conversationId, 'livechatAgentConnected', { agentInfo: { name: 'Bo' } });
    const u = await r.until((e) => e.kind === 'conversation_update');
    assert.equal(u.kind === 'conversation_update' && u.update, 'agent_connected');
    const transcript = await c.getTranscript();
    assert.ok(transcript.some((t) => t.text === 'Only in the transcript.'), JSON.stringify(transcript.map((t) => t.text)));
    assert.ok(!r.texts().includes('bot: Only in the transcript.'));

    hub.push({ event: { event_type: 'bot_message', event_payload: { conversation_id: c.conversationId, content: [{ type: 'text', text: 'pushed' }] } } });
    await r.until(botSaid('pushed'));
    const malformed = new Promise((resolve) => {
      const off = api.onEvent((e) => {
        if (e.kind === 'malformed') {
          off();
          resolve(e);
        }
      });
    });
    hub.pushText('{not json');
    await malformed;

    assert.throws(() => hub.botSays('no-such-conversation', 'hi'), InvalidArgumentError);
    assert.throws(() => hub.agentSays(c.conversationId, /** @type {any} */ ([{ no: 'type' }])), InvalidArgumentError);
  });

  test('faults: set, read back, cleared; unknown names refused', async () => {
    const impatient = await CaptivateChatAPI.create(hub.apiKey, 'dev', { ...hub.clientOptions(), shared: false, requestTimeoutMs: 300 });
    try {
      const c = await impatient.createConversation('faulty', {}, {}, 'user-first');
      hub.setFaults({ neverAnswer: ['metadata_request'] });
      assert.deepEqual(hub.faults.neverAnswer, ['metadata_request']);
      await assert.rejects(c.getMetadata(), TimeoutError);
      hub.clearFaults();
      assert.deepEqual(hub.faults.neverAnswer, []);
      const d = await impatient.createConversation('fine', {}, {}, 'user-first');
      assert.deepEqual(await d.getMetadata(), {});
    } finally {
      await impatient.dispose();
    }

    hub.setFaults(/** @type {any} */ ({ reply_delay_ms: 5, duplicateEvents: true }));
    assert.equal(hub.faults.replyDelayMs, 5);
    assert.equal(hub.faults.duplicateEvents, true);
    assert.throws(() => hub.setFaults(/** @type {any} */ ({ replyDelay: 5 })), (e) => e instanceof InvalidArgumentError && /replyDelay/.test(e.message));
    hub.setFaults({});
    assert.equal(hub.faults.replyDelayMs, 0);
    assert.deepEqual([...FAULTS].sort(), Object.keys(hub.faults).sort());
  });

  test('reset forgets what happened and puts the starting script back', async () => {
    const c = await api.createConversation('resetting', {}, {}, 'user-first');
    const r = record(c);
    await c.sendMessage('order 9');
    await r.until(botSaid('Order 9 ships tomorrow.'));
    hub.setScript({ rules: [{ then: [{ bot: 'other script' }] }] });
    hub.setFaults({ duplicateEvents: true });
    assert.equal(hub.conversations().length, 1);
    assert.ok(hub.received().length > 0);

    hub.reset();
    assert.deepEqual(hub.conversations(), []);
    assert.deepEqual(hub.received(), []);
    assert.deepEqual(hub.requests(), []);
    assert.deepEqual(hub.files(), []);
    assert.equal(hub.faults.duplicateEvents, false);
    assert.deepEqual(hub.script, SHOP);
    assert.equal(hub.liveConnections, 1, 'connections stay open');

    hub.setScript(null);
    assert.deepEqual(hub.script.rules?.at(-1), { then: [{ bot: 'You said: {text}' }] }, 'the usual flow');
    hub.setScript(SHOP);
  });

  test('wrong argument types throw TypeError; wrong values InvalidArgumentError', () => {
    const h = /** @type {any} */ (hub);
    assert.throws(() => h.setScript('nope'), TypeError);
    assert.throws(() => h.setScript({ rules: 5 }), InvalidArgumentError);
    assert.throws(() => h.setScript({ rulez: [] }), InvalidArgumentError);
    assert.throws(() => h.setFaults('x'), TypeError);
    assert.throws(() => h.botSays(5, 'x'), TypeError);
    assert.throws(() => h.botSays('c', 5), TypeError);
    assert.throws(() => h.botSays('c', 'x', { send: 'yes' }), TypeError);
    assert.throws(() => h.push('x'), TypeError);
    assert.throws(() => h.pushText({}), TypeError);
    assert.throws(() => h.received('c'), TypeError);
    assert.throws(() => h.received({ eventType: 5 }), TypeError);
    assert.throws(() => h.closeConnections('1000'), TypeError);
    assert.throws(() => h.closeConnections(70000, 'x'), InvalidArgumentError);
    assert.throws(() => h.restart(-1), InvalidArgumentError);
    assert.throws(() => h.expireFiles(5), TypeError);
    assert.throws(() => h.update('c', 5), TypeError);
    assert.equal(hub.expireFiles(), 0);
  });
});

describe('starting and closing', () => {
  test('options: types checked at once, values and names by the hub', async () => {
    const start = /** @type {any} */ (startHub);
    assert.throws(() => start('x'), TypeError);
    assert.throws(() => start({ apiKey: 5 }), TypeError);
    assert.throws(() => start({ extraApiKeys: 'k' }), TypeError);
    assert.throws(() => start({ port: '80' }), TypeError);
    assert.throws(() => start({ script: [] }), TypeError);
    await assert.rejects(start({ apiKee: 'k' }), (e) => e instanceof InvalidArgumentError && /apiKee/.test(e.message));
    await assert.rejects(start({ port: 70000 }), InvalidArgumentError);
    await assert.rejects(start({ script: { greeting: [{ say: 'x' }] } }), InvalidArgumentError);
    await assert.rejects(start({ apiKey: ' ' }), InvalidArgumentError);
  });

  test('close: the port stops listening, calls throw ClosedError, closing again does nothing', async () => {
    const hub = await startHub();
    assert.equal(hub.apiKey, 'test-key');
    const port = hub.port;
    assert.equal(await listening(port), true);
    const api = await CaptivateChatAPI.create(hub.apiKey, 'dev', { ...hub.clientOptions(), shared: false, reconnect: { enabled: false } });
    const closed = new Promise((resolve) => {
      const off = api.onStateChange((s) => {
        if (s.current.state !== 'connected') {
          off();
          resolve(undefined);
        }
      });
    });
    const done = hub.close();
    assert.equal(hub.running, false);
    assert.equal(hub.close(), done);
    await done;
    await closed;
    assert.equal(await listening(port), false);
    assert.throws(() => hub.received(), ClosedError);
    assert.throws(() => hub.liveConnections, ClosedError);
    assert.throws(() => hub.drop(), ClosedError);
    assert.equal(hub.url, `ws://127.0.0.1:${port}/dev`, 'the address stays readable');
    await hub.close();
    await api.dispose();
  });

  test('Symbol.asyncDispose closes it (what `await using` calls)', async () => {
    const hub = await startHub();
    assert.equal(typeof hub[Symbol.asyncDispose], 'function');
    await hub[Symbol.asyncDispose]();
    assert.equal(hub.running, false);
    assert.equal(await listening(hub.port), false);
  });

  test('`await using`, where this Node supports it', async (t) => {
    let supported = true;
    try {
      new Function('async () => { await using x = null; }');
    } catch {
      supported = false;
    }
    if (!supported) {
      t.skip(`Node ${process.version} has no \`await using\` (Symbol.asyncDispose is tested above)`);
      return;
    }
    const run = new Function('startHub', 'return (async () => { let port; { await using hub = await startHub(); port = hub.port; } return port; })()');
    const port = await run(startHub);
    assert.equal(await listening(port), false);
  });

  test('restart: down for a while, then the same port again, conversations kept', async () => {
    const hub = await startHub({ script: SHOP });
    const api = await CaptivateChatAPI.create(hub.apiKey, 'dev', { ...hub.clientOptions(), shared: false, reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
    try {
      const c = await api.createConversation('restarting', {}, {}, 'user-first');
      const r = record(c);
      const from = r.events.length;
      hub.restart(100);
      await r.until((e) => e.kind === 'discontinuity', from);
      await c.sendMessage('order 11');
      await r.until(botSaid('Order 11 ships tomorrow.'), from);
      assert.equal(hub.conversations().length, 1);
    } finally {
      await api.dispose();
      await hub.close();
    }
  });

  test('closeConnections: a close frame with its code and reason', async () => {
    const hub = await startHub();
    const api = await CaptivateChatAPI.create(hub.apiKey, 'dev', { ...hub.clientOptions(), shared: false, reconnect: { initialDelayMs: 20 } });
    try {
      const socket = /** @type {WebSocket} */ (api.getSocket());
      /** @type {Promise<CloseEvent>} */
      const closed = new Promise((resolve) => socket.addEventListener('close', resolve, { once: true }));
      hub.closeConnections(4001, 'going away');
      const ev = await closed;
      assert.deepEqual([ev.code, ev.reason, ev.wasClean], [4001, 'going away', true]);
    } finally {
      await api.dispose();
      await hub.close();
    }
  });

  test('TLS: wss:// with a certificate the client is given to trust', async () => {
    const hub = await startHub({ tls: true });
    try {
      assert.match(hub.url, /^wss:\/\/localhost:\d+\/dev$/);
      assert.match(String(hub.caPem), /BEGIN CERTIFICATE/);
      assert.equal(hub.clientOptions().caPem, hub.caPem);
      const api = await CaptivateChatAPI.create(hub.apiKey, 'dev', { ...hub.clientOptions(), shared: false });
      const c = await api.createConversation('secure', {}, {}, 'user-first');
      assert.deepEqual(await c.getMetadata(), {});
      await api.dispose();
    } finally {
      await hub.close();
    }
  });

  test('two hubs side by side are independent', async () => {
    const [a, b] = await Promise.all([startHub(), startHub({ apiKey: 'b' })]);
    assert.notEqual(a.port, b.port);
    a.setFaults({ stall: true });
    assert.equal(b.faults.stall, false);
    await Promise.all([a.close(), b.close()]);
  });

  test('an unclosed hub does not keep the process alive; nor does a closed one', () => {
    for (const close of [false, true]) {
      const script = `const { startHub } = require('captivate-chat/testing');
        startHub().then(async (hub) => { console.log('listening', hub.port); ${close ? 'await hub.close();' : ''} });`;
      const started = Date.now();
      const run = spawnSync(process.execPath, ['-e', script], { cwd: pkgDir, encoding: 'utf8', timeout: 20_000 });
      assert.equal(run.status, 0, `exit ${run.status} ${run.signal}: ${run.stderr}`);
      assert.match(run.stdout, /^listening \d+/);
      assert.ok(Date.now() - started < 15_000);
    }
  });
});

describe('the fault proxy in front of the hub', () => {
  /** @type {Hub} */
  let hub;
  /** @type {CaptivateChatAPI} */
  let api;
  /** @type {import('captivate-chat').Conversation} */
  let c;
  /** @type {ReturnType<typeof record>} */
  let r;
  let n = 0;

  /** Sends the next order and waits for its answer; the ms it took. */
  async function order() {
    n += 1;
    const from = r.events.length;
    const asked = performance.now();
    await c.sendMessage(`order ${n}`);
    await r.until(botSaid(`Order ${n} ships tomorrow.`), from);
    return performance.now() - asked;
  }

  before(async () => {
    hub = await startHub({ script: SHOP, proxy: true, agentDelayMs: 10 });
    api = await CaptivateChatAPI.create(hub.apiKey, 'dev', {
      ...hub.clientOptions(),
      shared: false,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    c = await api.createConversation('proxied', {}, {}, 'user-first');
    r = record(c);
  });
  after(async () => {
    await api.dispose();
    await hub.close();
  });
  beforeEach(() => hub.clearProxyFaults());

  test('clients go through it: clientOptions() has its URLs, url and httpUrl stay the hub\'s own', async () => {
    assert.match(hub.proxyUrl, /^ws:\/\/127\.0\.0\.1:\d+\/dev$/);
    assert.notEqual(hub.proxyUrl, hub.url);
    assert.equal(hub.url, `ws://127.0.0.1:${hub.port}/dev`);
    assert.equal(hub.httpUrl, `http://127.0.0.1:${hub.port}`);
    const o = hub.clientOptions();
    assert.equal(o.url, hub.proxyUrl);
    const proxyPort = new URL(hub.proxyUrl).port;
    assert.equal(new URL(o.httpUrl).port, proxyPort);
    assert.equal(new URL(o.filesUrl).port, proxyPort);
    await order();
    const stats = hub.proxyStats;
    assert.deepEqual(Object.keys(stats).sort(), ['accepted', 'bytesDown', 'bytesUp', 'live', 'resets', 'truncated']);
    assert.ok(stats.accepted >= 1, JSON.stringify(stats));
    assert.equal(stats.live, 1);
    assert.equal(hub.liveConnections, 1);
  });

  test('a frame cut in the middle: the client comes back through the proxy and the conversation goes on', async () => {
    await order();
    const before = hub.proxyStats;
    const from = r.events.length;
    const back = reconnected(api);
    assert.equal(hub.proxyTruncate(), 1);
    hub.botSays(c.conversationId, 'this frame is cut');
    const states = await back;
    assert.equal(states.at(-1), 'connected');
    assert.ok(states.length > 1, states.join());
    await r.until((e) => e.kind === 'discontinuity', from);
    await order();
    const stats = hub.proxyStats;
    assert.equal(stats.truncated, before.truncated + 1);
    assert.ok(stats.accepted > before.accepted, JSON.stringify([before, stats]));
    assert.equal(stats.live, 1);
  });

  test('latency: set, read back, applied each way, cleared; snake_case names too', async () => {
    hub.setProxyFaults({ latencyMs: 40 });
    assert.deepEqual(hub.proxyFaults, { latencyMs: 40, bandwidthBps: 0, blackhole: false });
    const slow = await order();
    assert.ok(slow >= 78, `a round trip through 40 ms each way took ${slow} ms`);
    hub.clearProxyFaults();
    assert.deepEqual(hub.proxyFaults, { latencyMs: 0, bandwidthBps: 0, blackhole: false });
    hub.setProxyFaults(/** @type {any} */ ({ bandwidth_bps: 1_000_000, blackhole: true }));
    assert.deepEqual(hub.proxyFaults, { latencyMs: 0, bandwidthBps: 1_000_000, blackhole: true });
    hub.setProxyFaults({ blackhole: null });
    assert.deepEqual(hub.proxyFaults, { latencyMs: 0, bandwidthBps: 0, blackhole: false }, 'setting replaces every fault');
    hub.setProxyFaults({ blackhole: false });
    await order();
  });

  test('reset: every connection through the proxy gets an RST; the client comes back', async () => {
    await order();
    const before = hub.proxyStats;
    const from = r.events.length;
    const back = reconnected(api);
    assert.equal(hub.proxyReset(), 1);
    await back;
    await r.until((e) => e.kind === 'discontinuity', from);
    await order();
    const stats = hub.proxyStats;
    assert.equal(stats.resets, before.resets + 1);
    assert.ok(stats.accepted > before.accepted);
  });

  test('restart: resolves once the proxy refuses, the hub itself still listening; then clients come back', async () => {
    await order();
    const before = hub.proxyStats;
    const proxyPort = Number(new URL(hub.proxyUrl).port);
    const from = r.events.length;
    const back = reconnected(api);
    const restarting = hub.proxyRestart(500);
    assert.ok(restarting instanceof Promise);
    assert.equal(await restarting, undefined);
    assert.equal(await listening(proxyPort), false, 'the proxy refuses while down');
    assert.equal(await listening(hub.port), true, 'the hub runs on');
    await back;
    await r.until((e) => e.kind === 'discontinuity', from);
    await order();
    assert.equal(await listening(proxyPort), true);
    assert.ok(hub.proxyStats.accepted > before.accepted);
  });

  test('stats: bytes each way grow with the traffic', async () => {
    const before = hub.proxyStats;
    await order();
    const stats = hub.proxyStats;
    assert.ok(stats.bytesUp > before.bytesUp, JSON.stringify([before, stats]));
    assert.ok(stats.bytesDown > before.bytesDown, JSON.stringify([before, stats]));
    assert.equal(stats.live, 1);
    for (const v of Object.values(stats)) assert.ok(Number.isInteger(v) && v >= 0);
  });

  test('wrong types throw TypeError; unknown names and wrong values InvalidArgumentError', async () => {
    const h = /** @type {any} */ (hub);
    assert.throws(() => h.setProxyFaults('x'), TypeError);
    assert.throws(() => h.setProxyFaults({ latencyMs: '5' }), TypeError);
    assert.throws(() => h.setProxyFaults({ latency_ms: '5' }), TypeError);
    assert.throws(() => h.setProxyFaults({ bandwidthBps: true }), TypeError);
    assert.throws(() => h.setProxyFaults({ blackhole: 1 }), TypeError);
    assert.throws(() => h.proxyRestart('100'), TypeError);
    assert.throws(() => h.setProxyFaults({ latency: 5 }), (e) => e instanceof InvalidArgumentError && /latency/.test(e.message));
    assert.throws(() => h.setProxyFaults({ latencyMs: -1 }), InvalidArgumentError);
    assert.throws(() => h.setProxyFaults({ latencyMs: 1.5 }), InvalidArgumentError);
    assert.throws(() => h.proxyRestart(-1), InvalidArgumentError);
    assert.throws(() => (/** @type {any} */ (startHub))({ proxy: 'yes' }), TypeError);
    assert.deepEqual(hub.proxyFaults, { latencyMs: 0, bandwidthBps: 0, blackhole: false }, 'nothing changed');
  });

  test('without the proxy, its members throw InvalidArgumentError; after close(), ClosedError', async () => {
    const plain = await startHub({ proxy: false });
    const calls = {
      proxyUrl: () => plain.proxyUrl,
      proxyFaults: () => plain.proxyFaults,
      proxyStats: () => plain.proxyStats,
      setProxyFaults: () => plain.setProxyFaults({ latencyMs: 5 }),
      clearProxyFaults: () => plain.clearProxyFaults(),
      proxyReset: () => plain.proxyReset(),
      proxyTruncate: () => plain.proxyTruncate(),
      proxyRestart: () => plain.proxyRestart(10),
    };
    for (const [name, call] of Object.entries(calls)) {
      assert.throws(call, (e) => e instanceof InvalidArgumentError && /no fault proxy/.test(e.message), name);
    }
    assert.equal(plain.clientOptions().url, plain.url);
    await plain.close();
    for (const [name, call] of Object.entries(calls)) assert.throws(call, ClosedError, name);

    const proxied = await startHub({ proxy: true });
    const through = proxied.proxyUrl;
    await proxied.close();
    assert.equal(proxied.proxyUrl, through, 'the address stays readable');
    assert.throws(() => proxied.proxyStats, ClosedError);
    assert.throws(() => proxied.proxyRestart(10), ClosedError);
  });
});

describe('the package', () => {
  test('testing.d.ts declares what captivate-chat/testing exports, and Hub its members', () => {
    const dts = fs.readFileSync(path.join(pkgDir, 'testing.d.ts'), 'utf8');
    const declared = [...dts.matchAll(/^export (?:declare )?(?:class|const|function) (\w+)/gm)].map((m) => m[1]);
    assert.deepEqual(declared.sort(), Object.keys(testing).filter((k) => k !== 'default').sort());
    assert.deepEqual(Object.keys(require('captivate-chat/testing')).sort(), declared);
    const body = dts.slice(dts.indexOf('export declare class Hub'), dts.indexOf('\n}', dts.indexOf('export declare class Hub')));
    const members = [...body.matchAll(/^ {2}(?:readonly )?(\w+)[?(:]/gm)].map((m) => m[1]).filter((m) => m !== 'constructor');
    assert.ok(members.length > 25, members.join());
    for (const m of members) assert.ok(m in Hub.prototype || m === 'port', `Hub.${m} is declared but missing`);
    for (const m of Object.getOwnPropertyNames(Hub.prototype)) {
      if (m !== 'constructor') assert.ok(members.includes(m), `Hub.${m} exists but is not declared`);
    }
  });

  test('the README\'s testing example is the file under examples/node/testing', () => {
    const readme = fs.readFileSync(path.join(pkgDir, 'README.md'), 'utf8');
    for (const name of ['app.mjs', 'app.test.mjs']) {
      const file = fs.readFileSync(path.join(repo, 'examples', 'node', 'testing', name), 'utf8');
      const marker = `<!-- examples/node/testing/${name} -->`;
      const at = readme.indexOf(marker);
      assert.ok(at >= 0, `the README has no ${marker}`);
      const block = /^```\w*\n([\s\S]*?)^```$/m.exec(readme.slice(at));
      assert.ok(block, `no code block after ${marker}`);
      assert.equal(block[1], file, `the README's block after ${marker} differs from examples/node/testing/${name}`);
    }
  });

  test('the testing example runs with node --test, from a folder where the package is installed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'captivate-testing-'));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules'));
      fs.symlinkSync(pkgDir, path.join(dir, 'node_modules', 'captivate-chat'), 'dir');
      for (const name of ['app.mjs', 'app.test.mjs']) fs.copyFileSync(path.join(repo, 'examples', 'node', 'testing', name), path.join(dir, name));
      // Without NODE_TEST_CONTEXT, the runner of this suite: the example reports as it would alone.
      const env = { ...process.env };
      delete env.NODE_TEST_CONTEXT;
      const run = spawnSync(process.execPath, ['--test', '--test-reporter=tap', 'app.test.mjs'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
      assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /# pass 3\b/);
      assert.match(run.stdout, /# fail 0\b/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
