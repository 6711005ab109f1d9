// Each error, provoked for real: TypeError synchronously for wrong argument types, and Error
// subclasses with a stable `code` for everything that fails later.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import {
  CaptivateChatAPI,
  CaptivateError,
  ClosedError,
  ConnectError,
  ConnectionLostError,
  FailedError,
  FrameTooLargeError,
  HubError,
  InvalidArgumentError,
  PossiblyNotDeliveredError,
  ProtocolError,
  QueueFullError,
  RejectedError,
  TimeoutError,
} from 'captivate-chat';
import { sleep, startSim, waitFor } from './sim.mjs';

/**
 * Waits until the hub has read a frame of this event type for this conversation (so that a
 * request is known to be written before the test drops the connection).
 * @param {any} sim
 * @param {string} eventType
 * @param {string} conversationId
 */
async function hubReceived(sim, eventType, conversationId) {
  for (let i = 0; i < 200; i++) {
    const frames = await sim.control('/control/received');
    const got = (/** @type {any} */ f) =>
      f.event?.event_type === eventType && f.event?.event_payload?.conversation_id === conversationId;
    if (frames.some(got)) return;
    await sleep(25);
  }
  throw new Error(`the hub never received ${eventType} for ${conversationId}`);
}

/** Waits (at most 10 s) until the hub accepts connections again after a restart. */
async function hubBack() {
  for (let i = 0; i < 200; i++) {
    try {
      const c = await sim.client({ reconnect: { enabled: false } });
      await c.dispose();
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error('the hub did not come back');
}

/** @type {import('./sim.mjs').Sim} */
let sim;
/** @type {CaptivateChatAPI} */
let api;
/** @type {import('captivate-chat').Conversation} */
let conv;

before(async () => {
  sim = await startSim();
  api = await sim.client();
  conv = await api.createConversation('errors', undefined, undefined, 'user-first');
});
after(async () => {
  await sim.stop();
});

/** A port nothing listens on. */
async function deadPort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const port = /** @type {net.AddressInfo} */ (server.address()).port;
  await new Promise((r) => server.close(() => r(undefined)));
  return port;
}

/**
 * Asserts that `p` rejects with an instance of `cls` whose code is `code`.
 * @param {Promise<unknown>} p
 * @param {Function} cls
 * @param {string} code
 */
async function rejectsWith(p, cls, code) {
  await assert.rejects(p, (/** @type {any} */ e) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e && e.constructor && e.constructor.name}: ${e && e.message}`);
    assert.ok(e instanceof CaptivateError);
    assert.ok(e instanceof Error);
    assert.equal(e.code, code);
    assert.equal(e.name, cls.name);
    return true;
  });
}

describe('wrong argument types throw TypeError synchronously', () => {
  /** @type {[string, () => unknown][]} */
  const cases = [
    ['create(apiKey: number)', () => CaptivateChatAPI.create(/** @type {any} */ (42))],
    ['create(options: string)', () => CaptivateChatAPI.create('k', 'dev', /** @type {any} */ ('ws://x'))],
    ['create(mode: 1)', () => CaptivateChatAPI.create('k', /** @type {any} */ (1))],
    ['create(options.lazy: "yes")', () => CaptivateChatAPI.create('k', 'dev', /** @type {any} */ ({ lazy: 'yes' }))],
    ['create(options.apiKey)', () => CaptivateChatAPI.create('k', 'dev', /** @type {any} */ ({ apiKey: 'other' }))],
    ['createConversation(userId: undefined)', () => api.createConversation(/** @type {any} */ (undefined))],
    ['createConversation(userBasicInfo: string)', () => api.createConversation('u', /** @type {any} */ ('Ada'))],
    ['getConversation(1)', () => api.getConversation(/** @type {any} */ (1))],
    ['getUserConversations(null)', () => api.getUserConversations(/** @type {any} */ (null))],
    ['getUserConversations({apiKeys: "k"})', () => api.getUserConversations(/** @type {any} */ ({ userId: 'u', apiKeys: 'k' }))],
    ['deleteUserConversations(u, {softDelete: "no"})', () => api.deleteUserConversations('u', /** @type {any} */ ({ softDelete: 'no' }))],
    ['sendMessage(42)', () => conv.sendMessage(/** @type {any} */ (42))],
    ['setMetadata("x")', () => conv.setMetadata(/** @type {any} */ ('x'))],
    ['setPrivateMetadata([])', () => conv.setPrivateMetadata(/** @type {any} */ ([]))],
    ['setTimeToLive("7")', () => conv.setTimeToLive(/** @type {any} */ ('7'))],
    ['sendAction(1)', () => conv.sendAction(/** @type {any} */ (1))],
    ['sendAction(id, "data")', () => conv.sendAction('a', /** @type {any} */ ('data'))],
    ['editMessage(1, "x")', () => conv.editMessage(/** @type {any} */ (1), 'x')],
    ['delete({softDelete: 1})', () => conv.delete(/** @type {any} */ ({ softDelete: 1 }))],
    ['onMessage("cb")', () => conv.onMessage(/** @type {any} */ ('cb'))],
    ['onError(undefined)', () => conv.onError(/** @type {any} */ (undefined))],
    ['onConversationUpdate(null)', () => conv.onConversationUpdate(/** @type {any} */ (null))],
    ['onActionReceived({})', () => conv.onActionReceived(/** @type {any} */ ({}))],
    ['onStateChange(1)', () => api.onStateChange(/** @type {any} */ (1))],
    ['sendRaw("x", "y")', () => api.sendRaw('x', /** @type {any} */ ('y'))],
    ['requestRaw("x", {}, 1)', () => api.requestRaw('x', {}, /** @type {any} */ (1))],
  ];
  for (const [name, call] of cases) {
    test(name, () => {
      assert.throws(call, TypeError);
    });
  }
});

describe('errors with a stable code', () => {
  test('InvalidArgument: a time-to-live that is not 1, 7, 30 or 90; an empty user id; a zero timeout', async () => {
    await rejectsWith(conv.setTimeToLive(5), InvalidArgumentError, 'invalid_argument');
    await rejectsWith(api.createConversation('  '), InvalidArgumentError, 'invalid_argument');
    await rejectsWith(api.getUserConversations({ userId: 'u', pagination: { page: 0 } }), InvalidArgumentError, 'invalid_argument');
    await rejectsWith(conv.sendMessage({}), InvalidArgumentError, 'invalid_argument');
    await rejectsWith(CaptivateChatAPI.create(sim.key, 'dev', { url: sim.url, requestTimeoutMs: 0 }), InvalidArgumentError, 'invalid_argument');
    await rejectsWith(CaptivateChatAPI.create(sim.key, 'dev', { url: 'http://example.com' }), InvalidArgumentError, 'invalid_argument');
    assert.throws(() => api.getConversation(''), InvalidArgumentError);
  });

  test('InvalidArgument: values the binding layer checks (options, start mode, files, metadata target)', async () => {
    await rejectsWith(CaptivateChatAPI.create('k', /** @type {any} */ ('staging')), InvalidArgumentError, 'invalid_argument');
    await rejectsWith(CaptivateChatAPI.create('k', 'dev', /** @type {any} */ ({ urll: 'ws://x' })), InvalidArgumentError, 'invalid_argument');
    await rejectsWith(CaptivateChatAPI.create('k', 'dev', /** @type {any} */ ({ requestTimeoutMs: '5' })), InvalidArgumentError, 'invalid_argument');
    await rejectsWith(api.createConversation('u', {}, {}, /** @type {any} */ ('whoever')), InvalidArgumentError, 'invalid_argument');
    await rejectsWith(conv.sendMessage(/** @type {any} */ ({ files: [{}] })), InvalidArgumentError, 'invalid_argument');
    await rejectsWith(conv.setMetadata({}, /** @type {any} */ ({ target: 'all' })), InvalidArgumentError, 'invalid_argument');
    await rejectsWith(conv.setTimeToLive(7.5), InvalidArgumentError, 'invalid_argument');
    assert.throws(() => new CaptivateChatAPI('k', 'dev', /** @type {any} */ ({ urll: 'ws://x' })), InvalidArgumentError);
  });

  test('Rejected: a wrong API key is refused at the handshake (HTTP 401)', async () => {
    const p = CaptivateChatAPI.create('wrong-key', 'dev', { url: sim.url });
    await rejectsWith(p, RejectedError, 'rejected');
    await p.catch((/** @type {any} */ e) => assert.equal(e.status, 401));
  });

  test('ConnectError: nothing listens on the port', async () => {
    const port = await deadPort();
    await rejectsWith(CaptivateChatAPI.create(sim.key, 'dev', { url: `ws://127.0.0.1:${port}/dev` }), ConnectError, 'connect');
  });

  test('Timeout: the hub never answers a metadata request', async () => {
    const c = await sim.client({ requestTimeoutMs: 300 });
    const cv = await c.createConversation('timeouts', undefined, undefined, 'user-first');
    await sim.control('/control/faults', { never_answer: ['metadata_request'] });
    try {
      const p = cv.getMetadata();
      await rejectsWith(p, TimeoutError, 'timeout');
      await p.catch((/** @type {any} */ e) => {
        assert.equal(e.operation, 'metadata_request');
        assert.equal(e.millis, 300);
      });
    } finally {
      await sim.control('/control/faults', {});
      await c.dispose();
    }
  });

  test('HubError: a request about an unknown conversation (general_error 400)', async () => {
    const p = api.getConversation('no-such-conversation').getMetadata();
    await rejectsWith(p, HubError, 'hub');
    await p.catch((/** @type {any} */ e) => {
      assert.equal(e.hubCode, 400);
      assert.equal(e.description, 'Invalid conversation_id');
      assert.equal(e.conversationId, 'no-such-conversation');
    });
  });

  test('ConnectionLost: the connection drops while a request waits', async () => {
    const c = await sim.client({ reconnect: { initialDelayMs: 50, maxDelayMs: 100 } });
    const cv = await c.createConversation('lost', undefined, undefined, 'user-first');
    await sim.control('/control/faults', { never_answer: ['conversation_transcript_request'] });
    try {
      const p = cv.getTranscript();
      // Checked from now on: it may reject before the drop request below has its answer.
      const checked = rejectsWith(p, ConnectionLostError, 'connection_lost');
      await hubReceived(sim, 'conversation_transcript_request', cv.id);
      await sim.control('/control/drop');
      await checked;
    } finally {
      await sim.control('/control/faults', {});
      await c.dispose();
    }
  });

  test('PossiblyNotDelivered: the connection drops right after a message is written', async () => {
    const c = await sim.client({ reconnect: { initialDelayMs: 50, maxDelayMs: 100 } });
    const cv = await c.createConversation('maybe-lost', undefined, undefined, 'user-first');
    await sim.control('/control/faults', { drop_after_frames: 1 });
    try {
      const p = cv.sendMessage('did it arrive?');
      await rejectsWith(p, PossiblyNotDeliveredError, 'possibly_not_delivered');
      await p.catch((/** @type {any} */ e) => assert.match(e.clientMsgId, /^[0-9a-f-]{36}$/));
    } finally {
      await sim.control('/control/faults', {});
      await c.dispose();
    }
  });

  test('FrameTooLarge: a message over maxFrameSize', async () => {
    const c = await sim.client({ maxFrameSize: 2048 });
    const cv = await c.createConversation('frames', undefined, undefined, 'user-first');
    await rejectsWith(cv.sendMessage('x'.repeat(4096)), FrameTooLargeError, 'frame_too_large');
    await c.dispose();
  });

  test('ProtocolError: the hub confirms a conversation start without naming the conversation', async () => {
    const c = await sim.client();
    await sim.control('/control/faults', { omit_conversation_id: true });
    try {
      await rejectsWith(c.createConversation('no-id', undefined, undefined, 'user-first'), ProtocolError, 'protocol');
    } finally {
      await sim.control('/control/faults', {});
      await c.dispose();
    }
  });

  test('QueueFull: sends queued while offline overflow the queue', async () => {
    const port = await deadPort();
    const c = await CaptivateChatAPI.create(sim.key, 'dev', { url: `ws://127.0.0.1:${port}/dev`, lazy: true, maxQueuedEvents: 1 });
    const cv = c.getConversation('offline');
    const sends = Array.from({ length: 3 }, (_, i) => cv.sendMessage(`queued ${i}`).then(() => 'sent', (/** @type {any} */ e) => e));
    const overflow = await Promise.race(sends);
    assert.ok(overflow instanceof QueueFullError, `expected QueueFullError, got ${overflow}`);
    assert.equal(overflow.code, 'queue_full');
    await c.dispose();
    for (const r of await Promise.all(sends)) {
      assert.ok(r instanceof QueueFullError || r instanceof ClosedError, `${r}`);
    }
  });

  test('Failed: the hub stays down and the client gives up reconnecting', async () => {
    const c = await sim.client({ reconnect: { maxAttempts: 1, initialDelayMs: 20, maxDelayMs: 40 } });
    const failed = waitFor((fn) => c.onStateChange(fn), (s) => s.current.state === 'failed');
    await sim.control('/control/restart?down_ms=1500');
    await failed;
    assert.equal(c.isSocketActive(), false);
    await rejectsWith(c.getConversation('after-failure').getMetadata(), FailedError, 'failed');
    await c.dispose();
    await hubBack();
  });

  test('reconnecting disabled: a drop fails the client; a waiting call rejects with ConnectionLostError, later ones with Failed', async () => {
    const c = await sim.client({ reconnect: { enabled: false } });
    const failed = waitFor((fn) => c.onStateChange(fn), (s) => s.current.state === 'failed');
    await sim.control('/control/faults', { never_answer: ['metadata_request'] });
    try {
      const waiting = c.getConversation('during-drop').getMetadata();
      const checked = rejectsWith(waiting, ConnectionLostError, 'connection_lost');
      await hubReceived(sim, 'metadata_request', 'during-drop');
      await sim.control('/control/drop');
      await checked;
      await failed;
      await rejectsWith(c.getConversation('after-drop').getMetadata(), FailedError, 'failed');
    } finally {
      await sim.control('/control/faults', {});
    }
    await c.dispose();
  });

  test('Closed: every method after dispose(), at once', async () => {
    const c = await sim.client();
    const cv = await c.createConversation('closed', undefined, undefined, 'user-first');
    await c.dispose();
    await c.dispose();
    await rejectsWith(cv.sendMessage('late'), ClosedError, 'closed');
    await rejectsWith(cv.getMetadata(), ClosedError, 'closed');
    await rejectsWith(c.createConversation('late'), ClosedError, 'closed');
    await rejectsWith(c.getUserConversations('late'), ClosedError, 'closed');
    await rejectsWith(c.deleteUserConversations('late'), ClosedError, 'closed');
    await rejectsWith(c.sendRaw('x', {}), ClosedError, 'closed');
    await rejectsWith(c.connect(), ClosedError, 'closed');
    assert.throws(() => c.getConversation('late'), ClosedError);
    await rejectsWith(c.reconnect(), ClosedError, 'closed');
    assert.throws(() => cv.onMessage(() => {}), ClosedError);
    // Every iterator ends at dispose, also one opened after it.
    assert.deepEqual(await c.events().next(), { value: undefined, done: true });
    assert.deepEqual(await cv.events().next(), { value: undefined, done: true });
    assert.equal(c.isSocketActive(), false);
    assert.equal(c.getSocketId(), null);
  });

  test('every Promise settles exactly once, also when many fail at the same time', async () => {
    const c = await sim.client({ requestTimeoutMs: 200 });
    await sim.control('/control/faults', { never_answer: ['metadata_request'] });
    try {
      const cv = c.getConversation('many');
      let settled = 0;
      const all = Array.from({ length: 20 }, () => cv.getMetadata().then(() => settled++, () => settled++));
      await Promise.all(all);
      assert.equal(settled, 20);
    } finally {
      await sim.control('/control/faults', {});
      await c.dispose();
    }
  });
});
