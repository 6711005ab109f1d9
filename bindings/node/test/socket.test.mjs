// `getSocket()` as a WebSocket, against the local hub: the hub's frames as `message` events,
// `close` and `open` around a drop, `send`, `close()`, and a URL without the API key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import util from 'node:util';

import { CaptivateChatAPI, CaptivateSocket, InvalidArgument } from 'captivate-chat';
import { startSim } from './sim.mjs';

/** @type {import('./sim.mjs').Sim} */
let sim;

before(async () => {
  sim = await startSim();
});
after(async () => {
  await sim.stop();
});

/**
 * The next `type` event of `target` that `accept`s, or a rejection after `ms`.
 * @template {Event} E
 * @param {EventTarget} target
 * @param {string} type
 * @param {(e: E) => boolean} [accept]
 * @param {number} [ms]
 * @returns {Promise<E>}
 */
function nextEvent(target, type, accept = () => true, ms = 5000) {
  return new Promise((resolve, reject) => {
    /** @param {Event} e */
    const on = (e) => {
      if (!accept(/** @type {E} */ (e))) return;
      clearTimeout(timer);
      target.removeEventListener(type, on);
      resolve(/** @type {E} */ (e));
    };
    const timer = setTimeout(() => {
      target.removeEventListener(type, on);
      reject(new Error(`no ${type} event within ${ms} ms`));
    }, ms);
    target.addEventListener(type, on);
  });
}

/**
 * Resolves once `check` is true (looked at every few milliseconds), or rejects after `ms`.
 * @param {() => boolean | Promise<boolean>} check
 * @param {string} what
 * @param {number} [ms]
 */
async function until(check, what, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** @param {CaptivateChatAPI} api */
const socketOf = (api) => /** @type {CaptivateSocket} */ (api.getSocket());

/**
 * A frame of a kind the library does not know.
 * @param {number} n
 */
const probe = (n) => ({ action: 'receiveMessage', event: { event_type: 'socket_probe', event_payload: { n } } });

/** @param {string} text a frame for the hub to send to every socket, as it is */
const push = (text) => fetch(`${sim.http}/control/push_text`, { method: 'POST', body: text });

describe('getSocket() as a WebSocket', () => {
  test('each frame from the hub is a message event, its data the text as sent: onmessage, addEventListener, removeEventListener', async () => {
    const api = await sim.client();
    const socket = socketOf(api);
    assert.ok(socket instanceof EventTarget);
    /** @type {string[]} */
    const handled = [];
    socket.onmessage = (e) => handled.push(e.data);
    /** @type {string[]} */
    const removed = [];
    /** @param {MessageEvent} e */
    const gone = (e) => removed.push(e.data);
    socket.addEventListener('message', gone);
    socket.removeEventListener('message', gone);

    // A bot message, spaced unusually: its text as the hub sent it, not its JSON written again.
    const c = await api.createConversation('socket-messages', undefined, undefined, 'user-first');
    const text = `{"action": "receiveMessage",  "event": {"event_type": "bot_message", "event_id": "probe-1", "event_payload": {"type": "message_create", "conversation_id": "${c.conversationId}", "content": [{"type": "text", "text": "pushed"}]}} }`;
    const first = nextEvent(socket, 'message', (/** @type {MessageEvent} */ e) => e.data === text);
    await push(text);
    const e = /** @type {MessageEvent} */ (await first);
    assert.ok(e instanceof MessageEvent);
    assert.equal(e.type, 'message');
    assert.equal(e.data, text, 'the text as the hub sent it');
    assert.equal(e.origin, new URL(sim.url).origin);
    assert.ok(handled.includes(text), 'onmessage saw it too');
    assert.deepEqual(removed.filter((d) => d.includes('probe-1')), [], 'a removed listener sees nothing');

    // A frame of a kind the library does not know arrives too.
    const unknown = nextEvent(socket, 'message', (/** @type {MessageEvent} */ m) => JSON.parse(m.data).event?.event_type === 'socket_probe');
    await push(JSON.stringify(probe(1)));
    assert.deepEqual(JSON.parse((/** @type {MessageEvent} */ (await unknown)).data), probe(1));

    // The hub's own replies.
    const reply = nextEvent(socket, 'message', (/** @type {MessageEvent} */ m) => JSON.parse(m.data).event?.event_type === 'bot_message');
    await c.sendMessage('hello');
    const payload = JSON.parse((/** @type {MessageEvent} */ (await reply)).data).event.event_payload;
    assert.equal(payload.conversation_id, c.conversationId);

    socket.onmessage = null;
    assert.equal(socket.onmessage, null);
    const count = handled.length;
    const second = nextEvent(socket, 'message', (/** @type {MessageEvent} */ m) => JSON.parse(m.data).event?.event_payload?.n === 2);
    await push(JSON.stringify(probe(2)));
    await second;
    assert.equal(handled.length, count, 'a handler set to null is not called');
    await api.dispose();
  });

  test('a drop on the hub side: close (readyState CONNECTING), then open (OPEN) on the same object; a close frame gives its code and reason', async () => {
    const api = await sim.client({ reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    const socket = socketOf(api);
    /** @type {string[]} */
    const seen = [];
    socket.onerror = () => seen.push('error');
    socket.onclose = (e) => seen.push(`close ${e.code} ${e.wasClean} ${socket.readyState}`);
    socket.addEventListener('open', () => seen.push(`open ${socket.readyState}`));

    const closed = nextEvent(socket, 'close');
    let opened = nextEvent(socket, 'open');
    await sim.control('/control/drop');
    const e = /** @type {CloseEvent} */ (await closed);
    assert.equal(e.type, 'close');
    assert.equal(e.code, 1006);
    assert.equal(e.wasClean, false);
    await opened;
    assert.equal(api.getSocket(), socket, 'one object across reconnects');
    assert.equal(socket.readyState, socket.OPEN);
    assert.deepEqual(seen, ['error', `close 1006 false ${socket.CONNECTING}`, `open ${socket.OPEN}`]);

    const again = nextEvent(socket, 'close');
    opened = nextEvent(socket, 'open');
    await sim.control('/control/close?code=4000&reason=maintenance', {});
    const frame = /** @type {CloseEvent} */ (await again);
    assert.deepEqual([frame.code, frame.reason, frame.wasClean], [4000, 'maintenance', true]);
    await opened;
    assert.equal(seen.filter((s) => s === 'error').length, 1, 'a close frame is no error');
    await api.dispose();
  });

  test('an early socket sees the first connection open; close() moves readyState to CLOSED and fires close (1000, clean)', async () => {
    const api = new CaptivateChatAPI(sim.key, 'dev', { url: sim.url, shared: false });
    const connecting = api.connect();
    const socket = socketOf(api);
    assert.equal(socket.readyState, CaptivateSocket.CONNECTING);
    await nextEvent(socket, 'open');
    await connecting;
    assert.equal(socket.readyState, CaptivateSocket.OPEN);

    assert.throws(() => socket.close(1001), InvalidArgument);
    assert.throws(() => socket.close(1000, 'x'.repeat(124)), InvalidArgument);
    assert.equal(socket.readyState, CaptivateSocket.OPEN);
    /** @type {number[]} */
    const states = [];
    const closed = nextEvent(socket, 'close');
    socket.addEventListener('close', () => states.push(socket.readyState));
    socket.close(1000, 'done');
    const e = /** @type {CloseEvent} */ (await closed);
    assert.deepEqual([e.code, e.wasClean], [1000, true]);
    assert.deepEqual(states, [CaptivateSocket.CLOSED]);
    assert.equal(socket.readyState, CaptivateSocket.CLOSED);
    await api.dispose();
    assert.deepEqual(states, [CaptivateSocket.CLOSED], 'one close');
  });

  test('send: a raw envelope (text, bytes or a Blob) reaches the hub, counted in bufferedAmount until written', async () => {
    const api = await sim.client();
    const socket = socketOf(api);
    assert.equal(socket.bufferedAmount, 0);
    /** @param {string} marker */
    const frame = (marker) => JSON.stringify({ action: 'sendMessage', event: { event_type: 'socket_probe', event_payload: { marker } } });
    const text = frame('as text');
    socket.send(text);
    assert.equal(socket.bufferedAmount, Buffer.byteLength(text));
    socket.send(new Blob([frame('as a blob')]));
    socket.send(new TextEncoder().encode(frame('as bytes')));
    /** @returns {Promise<string[]>} the markers of the probes the hub received, in order */
    const markers = async () => {
      const received = /** @type {any[]} */ (await sim.control('/control/received'));
      return received.filter((f) => f.event?.event_type === 'socket_probe').map((f) => f.event.event_payload.marker);
    };
    await until(async () => (await markers()).length === 3, 'the hub receives the three frames');
    assert.deepEqual(await markers(), ['as text', 'as a blob', 'as bytes'], 'in the order given');
    assert.equal((await sim.control('/control/received')).find((/** @type {any} */ f) => f.event?.event_type === 'socket_probe').action, 'sendMessage');
    await until(() => socket.bufferedAmount === 0, 'bufferedAmount back to 0');
    await api.dispose();
  });

  test('url is the hub URL without the API key; protocol, extensions, binaryType; an EventTarget', async () => {
    const api = await sim.client();
    const socket = socketOf(api);
    assert.equal(socket.url, sim.url);
    assert.ok(!socket.url.includes(sim.key), 'no key in the URL');
    assert.doesNotMatch(socket.url, /apikey/i);
    assert.doesNotMatch(util.inspect(socket, { depth: 5, showHidden: true }), new RegExp(sim.key));
    assert.equal(socket.protocol, '');
    assert.equal(socket.extensions, '');
    assert.equal(socket.binaryType, 'blob');
    socket.binaryType = 'arraybuffer';
    assert.equal(socket.binaryType, 'arraybuffer');
    socket.binaryType = /** @type {any} */ ('nodebuffer');
    assert.equal(socket.binaryType, 'arraybuffer', 'other values are ignored');
    const custom = nextEvent(socket, 'custom');
    assert.equal(socket.dispatchEvent(new Event('custom')), true);
    await custom;
    await api.dispose();
  });
});
