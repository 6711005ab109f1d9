// The official registry (one client per API key, mode and options; `shared: false` for one of
// one's own) and `getSocket()`, against the local hub.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import util from 'node:util';

import { CaptivateChatAPI, CaptivateSocket, Closed, FrameTooLarge, InvalidArgument } from 'captivate-chat';
import { startSim, waitFor } from './sim.mjs';

/** @type {import('./sim.mjs').Sim} */
let sim;

before(async () => {
  sim = await startSim();
});
after(async () => {
  await sim.stop();
});

/** @param {CaptivateChatAPI} api @param {string} state */
const reach = (api, state) => waitFor((fn) => api.onStateChange(fn), (s) => s.current.state === state);

describe('the registry', () => {
  test('new and create return the one client of an API key, mode and options until it is disposed', async () => {
    const hub = { url: sim.url };
    assert.equal(CaptivateChatAPI.hasInstance(sim.key, 'dev'), false);
    const a = await CaptivateChatAPI.create(sim.key, 'dev', hub);
    assert.equal(await CaptivateChatAPI.create(sim.key, 'dev', { url: sim.url }), a);
    assert.equal(new CaptivateChatAPI(sim.key, 'dev', hub), a);
    assert.equal(CaptivateChatAPI.getInstance(sim.key, 'dev'), a);
    assert.equal(CaptivateChatAPI.getInstance(sim.key, 'dev', hub), a);
    assert.equal(CaptivateChatAPI.hasInstance(sim.key, 'prod'), false);
    assert.equal(CaptivateChatAPI.getInstance(sim.key, 'dev', { url: sim.url, requestTimeoutMs: 5000 }), undefined);

    const prod = await CaptivateChatAPI.create(sim.key, 'prod', hub);
    assert.notEqual(prod, a, 'another mode, another client');
    const other = await CaptivateChatAPI.create(sim.key, 'dev', { url: sim.url, requestTimeoutMs: 5000 });
    assert.notEqual(other, a, 'other options, another client');
    assert.equal(CaptivateChatAPI.getInstance(sim.key, 'dev'), other, 'without options: the most recent');
    const own = await CaptivateChatAPI.create(sim.key, 'dev', { url: sim.url, shared: false });
    assert.notEqual(own, a);
    const own2 = await CaptivateChatAPI.create(sim.key, 'dev', { url: sim.url, shared: false });
    assert.notEqual(own2, own);
    assert.equal(CaptivateChatAPI.getInstance(sim.key, 'dev'), other, 'a client of its own is not registered');

    const disposing = a.dispose();
    assert.equal(CaptivateChatAPI.getInstance(sim.key, 'dev', hub), undefined, 'gone at once, as the official synchronous dispose');
    const b = await CaptivateChatAPI.create(sim.key, 'dev', hub);
    assert.notEqual(b, a);
    assert.equal(b.isSocketActive(), true);
    await disposing;
    assert.equal(b.isSocketActive(), true, 'the old one closing does not touch the new one');
    for (const api of [b, prod, other, own, own2]) await api.dispose();
    assert.equal(CaptivateChatAPI.hasInstance(sim.key, 'dev'), false);
    assert.equal(CaptivateChatAPI.hasInstance(sim.key, 'prod'), false);
  });

  test('create reconnects the registered client when its connection failed', async () => {
    const options = { url: sim.url, reconnect: { enabled: false } };
    const api = await CaptivateChatAPI.create(sim.key, 'dev', options);
    const failed = reach(api, 'failed');
    await sim.control('/control/drop');
    await failed;
    assert.equal(api.isSocketActive(), false);
    assert.equal(await CaptivateChatAPI.create(sim.key, 'dev', options), api);
    assert.equal(api.isSocketActive(), true);
    await api.dispose();
  });

  test('a lazy client is registered at once and create does not wait for it', async () => {
    const options = { url: sim.url, lazy: true };
    const api = await CaptivateChatAPI.create(sim.key, 'dev', options);
    assert.equal(await CaptivateChatAPI.create(sim.key, 'dev', options), api);
    if (!api.isSocketActive()) await reach(api, 'connected');
    await api.dispose();
  });
});

describe('getSocket', () => {
  test('null before connect and after dispose; the WebSocket constants; OPEN while connected', async () => {
    const api = new CaptivateChatAPI(sim.key, 'dev', { url: sim.url, shared: false });
    assert.equal(api.getSocket(), null);
    const connecting = api.connect();
    const early = /** @type {CaptivateSocket} */ (api.getSocket());
    assert.equal(early.readyState, CaptivateSocket.CONNECTING);
    await connecting;
    const socket = /** @type {CaptivateSocket} */ (api.getSocket());
    assert.equal(socket, early, 'one object');
    assert.ok(socket instanceof CaptivateSocket);
    assert.deepEqual([socket.CONNECTING, socket.OPEN, socket.CLOSING, socket.CLOSED], [0, 1, 2, 3]);
    assert.deepEqual([CaptivateSocket.CONNECTING, CaptivateSocket.OPEN, CaptivateSocket.CLOSING, CaptivateSocket.CLOSED], [0, 1, 2, 3]);
    assert.equal(socket.readyState, socket.OPEN);
    await api.dispose();
    assert.equal(socket.readyState, socket.CLOSED);
    assert.equal(api.getSocket(), null);
    assert.doesNotMatch(util.inspect(socket, { depth: 5 }), new RegExp(sim.key), 'printing the socket shows no API key');
  });

  test('readyState follows the connection: CONNECTING while reconnecting, OPEN again after', async () => {
    const api = await sim.client({ reconnect: { initialDelayMs: 300, maxDelayMs: 300 } });
    const socket = /** @type {CaptivateSocket} */ (api.getSocket());
    const down = reach(api, 'disconnected');
    await sim.control('/control/drop');
    await down;
    assert.equal(socket.readyState, CaptivateSocket.CONNECTING);
    await reach(api, 'connected');
    assert.equal(socket.readyState, CaptivateSocket.OPEN);
    await api.dispose();
  });

  test('send writes an envelope the way the official client did: the bot answers the message', async () => {
    const api = await sim.client();
    const c = await api.createConversation('socket-send', undefined, undefined, 'user-first');
    const reply = waitFor((fn) => c.onEvent(fn), (e) => e.kind === 'bot_message' && e.text === 'You said: over the socket');
    const socket = /** @type {CaptivateSocket} */ (api.getSocket());
    const frame = {
      action: 'sendMessage',
      event: {
        event_type: 'user_message',
        event_payload: { type: 'message_create', client_msg_id: 'm-1', conversation_id: c.conversationId, content: { type: 'text', text: 'over the socket' } },
      },
    };
    assert.equal(socket.send(JSON.stringify(frame)), undefined);
    await reply;
    socket.send(Buffer.from(JSON.stringify({ ...frame, event: { ...frame.event, event_payload: { ...frame.event.event_payload, content: { type: 'text', text: 'as bytes' } } } })));
    await waitFor((fn) => c.onEvent(fn), (e) => e.kind === 'bot_message' && e.text === 'You said: as bytes');
    assert.throws(() => socket.send('not json'), InvalidArgument);
    assert.throws(() => socket.send('{"event": {}}'), InvalidArgument);
    assert.throws(() => socket.send(/** @type {any} */ (42)), TypeError);
    await api.dispose();
    socket.send(JSON.stringify(frame));
  });

  test('a frame that cannot be sent is reported to onerror, as an error event naming the error', async () => {
    const api = await sim.client({ maxFrameSize: 2048 });
    const socket = /** @type {CaptivateSocket} */ (api.getSocket());
    /** @type {Promise<import('captivate-chat').SocketErrorEvent>} */
    const reported = new Promise((resolve) => {
      socket.onerror = (e) => resolve(/** @type {import('captivate-chat').SocketErrorEvent} */ (e));
    });
    socket.send(JSON.stringify({ action: 'sendMessage', event: { event_type: 'user_message', event_payload: { text: 'x'.repeat(4096) } } }));
    const event = await reported;
    assert.equal(event.type, 'error');
    assert.ok(event.error instanceof FrameTooLarge);
    assert.equal(socket.bufferedAmount, 0);
    await api.dispose();
  });

  test('close() closes gracefully: the client is disposed and leaves the registry', async () => {
    const options = { url: sim.url };
    const api = await CaptivateChatAPI.create(sim.key, 'dev', options);
    const socket = /** @type {CaptivateSocket} */ (api.getSocket());
    const closed = reach(api, 'closed');
    socket.close(1000, 'done');
    const state = socket.readyState;
    assert.ok(state === socket.CLOSING || state === socket.CLOSED, `readyState ${state} after close(), the client ${api.state.state}`);
    await closed;
    assert.equal(socket.readyState, socket.CLOSED);
    assert.equal(CaptivateChatAPI.getInstance(sim.key, 'dev', options), undefined);
    await assert.rejects(api.createConversation('after-close'), Closed);
  });
});
