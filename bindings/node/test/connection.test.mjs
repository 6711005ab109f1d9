// Reconnects during a conversation, routing with several conversations on one socket, many
// conversations, and listeners that throw.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startSim, waitFor } from './sim.mjs';

/** @type {import('./sim.mjs').Sim} */
let sim;

before(async () => {
  sim = await startSim();
});
after(async () => {
  await sim.stop();
});

/**
 * @param {import('captivate-chat').Conversation} c
 * @param {(e: import('captivate-chat').CaptivateEvent) => boolean} accept
 * @param {number} [ms]
 */
const nextEvent = (c, accept, ms) => waitFor((fn) => c.onEvent(fn), accept, ms);

/** @param {import('captivate-chat').CaptivateEvent} e */
const botText = (e) => (e.kind === 'bot_message' ? e.text : null);

describe('reconnect', () => {
  test('a drop during a conversation: state events, a discontinuity, and the listeners keep working', async () => {
    const api = await sim.client({ reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    const c = await api.createConversation('reconnect', undefined, undefined, 'user-first');
    /** @type {string[]} */
    const messages = [];
    c.onMessage((m, t, ev) => {
      if (ev.kind === 'bot_message' && ev.text) messages.push(ev.text);
    });
    /** @type {string[]} */
    const states = [];
    api.onStateChange((s) => states.push(s.current.state));

    let reply = nextEvent(c, (e) => botText(e) === 'You said: before');
    await c.sendMessage('before');
    await reply;

    const discontinuity = nextEvent(c, (e) => e.kind === 'discontinuity');
    const back = waitFor((fn) => api.onStateChange(fn), (s) => s.current.state === 'connected');
    await sim.control('/control/drop');
    await back;
    const d = await discontinuity;
    assert.equal(d.kind === 'discontinuity' && d.conversationId, c.conversationId);
    assert.ok(states.includes('disconnected'), states.join(','));
    assert.equal(states.at(-1), 'connected');
    assert.equal(api.isSocketActive(), true);

    reply = nextEvent(c, (e) => botText(e) === 'You said: after');
    await c.sendMessage('after');
    await reply;
    assert.ok(messages.includes('You said: before') && messages.includes('You said: after'), messages.join(' | '));

    // Requests work again, on the same conversation, over the new socket.
    await c.setMetadata({ survived: true });
    assert.equal((await c.getMetadata()).survived, true);
    await api.dispose();
  });

  test('messages missed during a drop are recovered from the transcript, once, in order, before newer ones', async () => {
    const api = await sim.client({ reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    const c = await api.createConversation('catcher', undefined, undefined, 'user-first');
    /** @type {Array<[string | null, boolean]>} */
    const seen = [];
    c.onEvent((e) => {
      if (e.kind === 'bot_message' && /^(missed|You said)/.test(e.text ?? '')) seen.push([e.text, e.recovered]);
    });
    try {
      const before = nextEvent(c, (e) => botText(e) === 'You said: before');
      await c.sendMessage('before');
      await before;
      // Said while the link is dead: only the transcript has these.
      for (const i of [1, 2, 3]) {
        await sim.control('/control/say', { conversation_id: c.conversationId, text: `missed ${i}`, send: false });
      }
      const discontinuity = nextEvent(c, (e) => e.kind === 'discontinuity');
      await sim.control('/control/drop');
      await discontinuity;
      const after = nextEvent(c, (e) => botText(e) === 'You said: after');
      await c.sendMessage('after');
      await after;
      assert.deepEqual(seen, [
        ['You said: before', false],
        ['missed 1', true],
        ['missed 2', true],
        ['missed 3', true],
        ['You said: after', false],
      ]);
    } finally {
      await api.dispose();
    }
  });

  test('sends made while reconnecting are queued and delivered', async () => {
    const api = await sim.client({ reconnect: { initialDelayMs: 100, maxDelayMs: 200 } });
    const c = await api.createConversation('queued', undefined, undefined, 'user-first');
    const down = waitFor((fn) => api.onStateChange(fn), (s) => s.current.state === 'disconnected');
    // The stalled hub holds `socket_connected` back: the link stays down until the stall ends.
    await sim.control('/control/faults', { stall: true });
    try {
      await sim.control('/control/drop');
      await down;
      const reply = nextEvent(c, (e) => botText(e) === 'You said: while away', 5000);
      const sent = c.sendMessage('while away');
      assert.equal(api.isSocketActive(), false, 'the link is down when the send is made');
      const back = waitFor((fn) => api.onStateChange(fn), (s) => s.current.state === 'connected');
      await sim.control('/control/faults', {});
      assert.equal((await back).queued, 1, 'the send waited for the connection');
      await sent;
      await reply;
    } finally {
      await sim.control('/control/faults', {});
    }
    await api.dispose();
  });
});

describe('reconnect()', () => {
  test('after a failure, reconnect() connects again and resolves once connected', async () => {
    const api = await sim.client({ reconnect: { enabled: false } });
    const c = await api.createConversation('revive', undefined, undefined, 'user-first');
    const failed = waitFor((fn) => api.onStateChange(fn), (s) => s.current.state === 'failed');
    await sim.control('/control/drop');
    await failed;
    assert.equal(api.isSocketActive(), false);
    await api.reconnect();
    assert.equal(api.isSocketActive(), true);
    const reply = nextEvent(c, (e) => botText(e) === 'You said: revived');
    await c.sendMessage('revived');
    await reply;
    await api.reconnect();
    await api.dispose();
  });

  test('restartListeners does nothing harmful', async () => {
    const api = await sim.client();
    const c = await api.createConversation('registry', undefined, undefined, 'user-first');
    c.restartListeners();
    const reply = nextEvent(c, (e) => e.kind === 'bot_message');
    await c.sendMessage('still listening');
    await reply;
    await api.dispose();
  });

  test('the state changes that led to the connection are history: a listener registered after create gets only later ones', async () => {
    const { CaptivateChatAPI } = await import('captivate-chat');
    for (let i = 0; i < 5; i++) {
      const api = await CaptivateChatAPI.create(sim.key, 'dev', { url: sim.url });
      /** @type {string[]} */
      const states = [];
      api.onStateChange((s) => states.push(`${s.previous.state}>${s.current.state}`));
      const c = await api.createConversation('history', undefined, undefined, 'user-first');
      const reply = nextEvent(c, (e) => botText(e) === 'You said: now');
      await c.sendMessage('now');
      await reply;
      await api.dispose();
      assert.deepEqual(states.filter((s) => !s.endsWith('>closing') && !s.endsWith('>closed')), [], states.join(', '));
    }
  });

  test('reconnect() to a hub that is gone rejects with the reason', async () => {
    const gone = await startSim();
    const { CaptivateChatAPI } = await import('captivate-chat');
    const api = await CaptivateChatAPI.create(gone.key, 'dev', { url: gone.url, reconnect: { enabled: false }, connectTimeoutMs: 2000 });
    const failed = waitFor((fn) => api.onStateChange(fn), (s) => s.current.state === 'failed');
    await gone.stop();
    await failed;
    await assert.rejects(api.reconnect(), (/** @type {any} */ e) => e.code === 'connect' || e.code === 'timeout' || e.code === 'failed');
    await api.dispose();
  });
});

describe('routing', () => {
  test('two conversations on one socket each hear only their own messages', async () => {
    const api = await sim.client();
    const a = await api.createConversation('route-a', undefined, undefined, 'user-first');
    const b = await api.createConversation('route-b', undefined, undefined, 'user-first');
    /** @type {{a: string[], b: string[]}} */
    const heard = { a: [], b: [] };
    a.onEvent((e) => {
      if (e.kind === 'bot_message' || e.kind === 'livechat_message') heard.a.push(`${e.conversationId}:${e.text}`);
    });
    b.onEvent((e) => {
      if (e.kind === 'bot_message' || e.kind === 'livechat_message') heard.b.push(`${e.conversationId}:${e.text}`);
    });
    const doneA = nextEvent(a, (e) => botText(e) === 'You said: alpha');
    const doneB = nextEvent(b, (e) => botText(e) === 'You said: beta');
    await Promise.all([a.sendMessage('alpha'), b.sendMessage('beta')]);
    await Promise.all([doneA, doneB]);
    const agentB = nextEvent(b, (e) => e.kind === 'livechat_message');
    await b.sendMessage('agent please');
    await agentB;
    assert.ok(heard.a.length >= 2 && heard.b.length >= 3);
    assert.ok(heard.a.every((m) => m.startsWith(`${a.conversationId}:`)), heard.a.join('\n'));
    assert.ok(heard.b.every((m) => m.startsWith(`${b.conversationId}:`)), heard.b.join('\n'));
    assert.ok(heard.a.includes(`${a.conversationId}:You said: alpha`));
    assert.ok(!heard.a.some((m) => m.includes('beta') || m.includes('Sam')));
    await api.dispose();
  });

  test('socketPerConversation: every conversation gets its own socket, and still hears only its own', async () => {
    // Sockets accepted, not live ones: those of earlier tests may still be closing.
    const before = (await sim.control('/control/stats')).connections_accepted;
    const api = await sim.client({ socketPerConversation: true });
    const a = await api.createConversation('own-a', undefined, undefined, 'user-first');
    const b = await api.createConversation('own-b', undefined, undefined, 'user-first');
    assert.equal((await sim.control('/control/stats')).connections_accepted, before + 3);
    const replyA = nextEvent(a, (e) => botText(e) === 'You said: to a');
    const replyB = nextEvent(b, (e) => botText(e) === 'You said: to b');
    /** @type {string[]} */
    const heardByA = [];
    a.onMessage((m, t, ev) => {
      if (ev.kind === 'bot_message' && ev.text) heardByA.push(ev.text);
    });
    await Promise.all([a.sendMessage('to a'), b.sendMessage('to b')]);
    await Promise.all([replyA, replyB]);
    assert.ok(!heardByA.includes('You said: to b'));
    await api.dispose();
  });

  test('100 conversations on one socket, each with its own reply', async () => {
    const api = await sim.client();
    const conversations = await Promise.all(
      Array.from({ length: 100 }, (_, i) => api.createConversation(`many-${i}`, undefined, { i }, 'user-first')),
    );
    assert.equal(new Set(conversations.map((c) => c.conversationId)).size, 100);
    /** @type {Map<string, string[]>} */
    const heard = new Map();
    for (const c of conversations) {
      heard.set(c.conversationId, []);
      c.onMessage((m, t, ev) => {
        if (ev.kind === 'bot_message' && ev.text) heard.get(c.conversationId)?.push(ev.text);
      });
    }
    const replies = conversations.map((c, i) => nextEvent(c, (e) => botText(e) === `You said: number ${i}`, 15000));
    await Promise.all(conversations.map((c, i) => c.sendMessage(`number ${i}`)));
    await Promise.all(replies);
    conversations.forEach((c, i) => {
      const said = (heard.get(c.conversationId) ?? []).filter((t) => t.startsWith('You said'));
      assert.deepEqual(said, [`You said: number ${i}`]);
    });
    const metadata = await Promise.all(conversations.map((c) => c.getMetadata()));
    metadata.forEach((md, i) => assert.equal(md.i, i));
    const listed = await api.getUserConversations({ userId: 'many-7' });
    assert.equal(listed.conversations.length, 1);
    await api.dispose();
  });
});

describe('order', () => {
  test('calls made without await reach the hub in call order', async () => {
    const api = await sim.client();
    const c = await api.createConversation('order', undefined, undefined, 'user-first');
    const expected = Array.from({ length: 40 }, (_, i) => `m${i}`);
    const sends = expected.map((text) => c.sendMessage(text));
    const metadata = c.setMetadata({ after: 'the messages' });
    await Promise.all([...sends, metadata]);
    const said = (await c.getTranscript()).filter((e) => e.from === 'user').map((e) => e.text);
    assert.deepEqual(said, expected);
    await api.dispose();
  });
});

describe('listeners that throw', () => {
  test('a throwing callback does not stop other listeners or later events; onListenerError gets it', async () => {
    const api = await sim.client();
    const c = await api.createConversation('thrower', undefined, undefined, 'user-first');
    /** @type {unknown[]} */
    const reported = [];
    api.onListenerError((e) => reported.push(e));
    let calls = 0;
    c.onMessage(() => {
      calls++;
      throw new Error('listener bug');
    });
    /** @type {string[]} */
    const others = [];
    c.onMessage((m, t, ev) => {
      if (ev.kind === 'bot_message' && ev.text) others.push(ev.text);
    });
    let reply = nextEvent(c, (e) => botText(e) === 'You said: one');
    await c.sendMessage('one');
    await reply;
    reply = nextEvent(c, (e) => botText(e) === 'You said: two');
    await c.sendMessage('two');
    await reply;
    assert.ok(calls >= 3, `the throwing listener kept being called (${calls})`);
    assert.ok(others.includes('You said: one') && others.includes('You said: two'));
    assert.ok(reported.length >= 3);
    assert.ok(reported.every((e) => e instanceof Error && e.message === 'listener bug'));
    await api.dispose();
  });

  test('without onListenerError, a throwing callback becomes a process warning', async () => {
    const api = await sim.client();
    const c = await api.createConversation('thrower-2', undefined, undefined, 'user-first');
    const warned = new Promise((resolve) => process.once('warning', resolve));
    c.onMessage(() => {
      throw new Error('unhandled listener bug');
    });
    await c.sendMessage('hi');
    const w = /** @type {Error} */ (await warned);
    assert.equal(w.name, 'CaptivateListenerWarning');
    assert.match(w.message, /unhandled listener bug/);
    await api.dispose();
  });
});
