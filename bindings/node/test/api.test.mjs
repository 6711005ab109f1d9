// Every operation and listener of CaptivateChatAPI and Conversation against the local hub.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { CaptivateChatAPI, Conversation, TIME_TO_LIVE_DAYS, version } from 'captivate-chat';
import { startSim, waitFor } from './sim.mjs';

/** @type {import('./sim.mjs').Sim} */
let sim;
/** @type {CaptivateChatAPI} */
let api;

before(async () => {
  sim = await startSim();
  api = await sim.client();
});
after(async () => {
  await sim.stop();
});

/**
 * @param {Conversation} c
 * @param {(e: import('captivate-chat').CaptivateEvent) => boolean} accept
 */
const nextEvent = (c, accept) => waitFor((fn) => c.onEvent(fn), accept);

describe('client', () => {
  test('create connects: socket id, state, isSocketActive', () => {
    assert.equal(typeof version, 'string');
    assert.deepEqual(TIME_TO_LIVE_DAYS, [1, 7, 30, 90]);
    assert.equal(api.isSocketActive(), true);
    assert.equal(api.state.state, 'connected');
    assert.match(/** @type {string} */ (api.getSocketId()), /\S+/);
    assert.equal(api.socketId, api.getSocketId());
    assert.equal(api.state.socketId, api.socketId);
    assert.equal(api.mode, 'dev');
  });

  test('new + connect(), as the official client allows', async () => {
    const c = new CaptivateChatAPI(sim.key, 'dev', { url: sim.url });
    assert.equal(c.isSocketActive(), false);
    assert.equal(c.state.state, 'initialized');
    await c.connect();
    await c.connect();
    assert.equal(c.isSocketActive(), true);
    await c.dispose();
    assert.equal(c.isSocketActive(), false);
  });

  test('lazy: resolves at once and connects in the background', async () => {
    const c = await CaptivateChatAPI.create(sim.key, 'dev', { url: sim.url, lazy: true });
    const connected = c.isSocketActive() ? c.state : (await waitFor((fn) => c.onStateChange(fn), (s) => s.current.state === 'connected')).current;
    assert.equal(connected.state, 'connected');
    await c.dispose();
  });
});

describe('conversation', () => {
  test('createConversation (bot-first): greeting with buttons through onMessage', async () => {
    const c = await api.createConversation('user-a', { firstName: 'Ada' }, { plan: 'gold' }, 'bot-first', { crm: 'X1' });
    assert.ok(c instanceof Conversation);
    assert.equal(c.getConversationId(), c.conversationId);
    assert.equal(c.id, c.conversationId);
    /** @type {[any, string]} */
    const [message, type] = await waitFor((fn) => c.onMessage((m, t) => fn([m, t])));
    assert.equal(type, 'ai_agent');
    assert.ok(Array.isArray(message));
    assert.ok(message.some((/** @type {any} */ i) => i.type === 'buttons' && i.buttons.options.some((/** @type {any} */ o) => o.label === 'Chat to Agent')));
    const md = await c.getMetadata();
    assert.equal(md.plan, 'gold');
    assert.deepEqual(md.private, { crm: 'X1' });
    assert.equal(api.getConversation(c.conversationId), c, 'the same object for the same id');
  });

  test('user-first: the flow waits for the user; sendMessage resolves to a client_msg_id; typed events keep raw', async () => {
    const c = await api.createConversation('user-b', undefined, undefined, 'user-first');
    const events = c.events();
    let early = 0;
    const offEarly = c.onEvent(() => early++);
    // A round trip: anything the hub would say on its own after the start comes before its
    // answer.
    await c.getMetadata();
    offEarly();
    assert.equal(early, 0, 'no greeting before the user speaks');
    const id = await c.sendMessage('hello there');
    assert.match(id, /^[0-9a-f-]{36}$/);
    const greeting = await events.next();
    assert.equal(greeting.value?.kind, 'bot_message');
    const second = await events.next();
    assert.equal(second.done, false);
    const ev = second.value;
    assert.ok(ev && ev.kind === 'bot_message');
    if (ev.kind !== 'bot_message') return;
    assert.equal(ev.text, 'You said: hello there');
    assert.equal(ev.conversationId, c.conversationId);
    assert.equal(ev.eventType, 'bot_message');
    assert.equal(/** @type {any} */ (ev.raw).event.event_type, 'bot_message');
    assert.deepEqual(ev.content, [{ type: 'text', text: 'You said: hello there' }]);
    await events.return?.();
  });

  test('sendMessage with files, and the official {type: "text", text} form', async () => {
    const c = await api.createConversation('user-files', undefined, undefined, 'user-first');
    await c.sendMessage({ text: 'see attached', files: [{ url: 'https://example.com/a.pdf', type: 'application/pdf', filename: 'a.pdf' }] });
    await c.sendMessage({ type: 'text', text: 'plain' });
    await c.sendMessage({ files: { url: 'https://example.com/b.png' } });
    const transcript = await c.getTranscript();
    const user = transcript.filter((e) => e.from === 'user');
    assert.equal(user.length, 3);
    assert.equal(user[1].text, 'plain');
  });

  test('hand-over to a live agent: onConversationUpdate and human_agent messages', async () => {
    const c = await api.createConversation('user-c', undefined, undefined, 'user-first');
    const updates = waitFor((fn) => c.onConversationUpdate(fn));
    const human = waitFor((fn) => c.onMessage((m, t) => fn(t)), (t) => t === 'human_agent');
    await c.sendMessage('I want an agent');
    const u = await updates;
    assert.equal(u.type, 'livechatAgentConnected');
    assert.equal(u.update, 'agent_connected');
    assert.equal(u.conversationId, c.conversationId);
    assert.equal(/** @type {any} */ (u.data).agentInfo.name, 'Sam');
    assert.equal(await human, 'human_agent');
    const left = nextEvent(c, (e) => e.kind === 'conversation_update' && e.update === 'agent_disconnected');
    await c.sendMessage('bye');
    await left;
  });

  test('sendAction escalateToHuman; onActionReceived gets the flow\'s actions', async () => {
    const c = await api.createConversation('user-d', undefined, undefined, 'user-first');
    const agent = nextEvent(c, (e) => e.kind === 'livechat_message');
    await c.sendAction('escalateToHuman', { reason: 'test' });
    await agent;
    await c.sendAction('custom', undefined, 'special');
    const c2 = await api.createConversation('user-d2', undefined, undefined, 'user-first');
    const actions = waitFor((fn) => c2.onActionReceived(fn));
    await c2.sendMessage('contact');
    const list = await actions;
    assert.equal(list[0].id, 'redirectToContactUs');
    assert.equal(list[0].type, 'normal');
    assert.deepEqual(list[0].data, { page: '/contact' });
  });

  test('metadata: setMetadata (with a target), setPrivateMetadata, setTimeToLive, getMetadata', async () => {
    const c = await api.createConversation('user-e', undefined, { a: 1 }, 'user-first');
    await c.setMetadata({ b: 2 });
    await c.setMetadata({ c: 3 }, { target: 'bot_live' });
    await c.setPrivateMetadata({ secret: 's' });
    for (const d of TIME_TO_LIVE_DAYS) await c.setTimeToLive(d);
    const md = await c.getMetadata();
    assert.equal(md.a, 1);
    assert.equal(md.b, 2);
    assert.equal(md.c, 3);
    assert.deepEqual(md.private, { secret: 's' });
    assert.equal(md.timeToLive, 90);
  });

  test('editMessage changes the transcript entry', async () => {
    const c = await api.createConversation('user-f', undefined, undefined, 'user-first');
    const id = await c.sendMessage('teh typo');
    await c.editMessage(id, 'the typo');
    await c.editMessage(id, { text: 'the typo, fixed' });
    const entry = (await c.getTranscript()).find((e) => e.messageId === id);
    assert.ok(entry);
    assert.equal(entry.text, 'the typo, fixed');
    assert.equal(/** @type {any} */ (entry.raw).edited, true);
  });

  test('getTranscript: entries in order, camelCase fields, raw kept', async () => {
    // User-first: a bot-first greeting can come before any listener of the new conversation.
    const c = await api.createConversation('user-g', undefined, undefined, 'user-first');
    const echo = nextEvent(c, (e) => e.kind === 'bot_message' && e.text === 'You said: one');
    await c.sendMessage('one');
    await echo;
    const t = await c.getTranscript();
    assert.deepEqual(t.map((e) => e.from), ['user', 'bot', 'bot'], 'the question, the greeting, the echo');
    assert.equal(t[0].text, 'one');
    for (const e of t) {
      assert.ok('raw' in e && 'messageId' in e && 'eventId' in e && Array.isArray(e.messages));
    }
  });

  test('a large (413) message is fetched and delivered as an ordinary bot message', async () => {
    const c = await api.createConversation('user-h', undefined, undefined, 'user-first');
    const big = waitFor((fn) => c.onMessage((m, t, ev) => fn(ev)), (ev) => ev.kind === 'bot_message' && ev.fetchedFromLink);
    await c.sendMessage('big');
    const ev = await big;
    assert.equal(ev.kind, 'bot_message');
    if (ev.kind !== 'bot_message') return;
    assert.equal(ev.fetchedFromLink, true);
    assert.ok((ev.text ?? '').length > 100_000);
  });

  test('delete (soft and hard); getUserConversations with filter, search, pagination; deleteUserConversations', async () => {
    const user = 'lister';
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await api.createConversation(user, undefined, { n: i, tag: i % 2 ? 'odd' : 'even', title: `Order ${i}` }, 'user-first'));
    const all = await api.getUserConversations(user);
    assert.equal(all.conversations.length, 5);
    assert.ok(all.conversations.every((c) => c instanceof Conversation));
    assert.ok(all.conversations.includes(made[0]), 'known conversations keep their object');
    const even = await api.getUserConversations({ userId: user, filter: { tag: 'even' } });
    assert.equal(even.conversations.length, 3);
    const searched = await api.getUserConversations({ userId: user, search: { title: 'order 4' } });
    assert.deepEqual(searched.conversations.map((c) => c.conversationId), [made[4].conversationId]);
    const page = await api.getUserConversations({ userId: user, pagination: { page: '1', limit: 2 }, apiKeys: [sim.key] });
    assert.equal(page.conversations.length, 2);
    assert.ok(page.pagination);
    assert.equal(page.pagination.hasNextPage, true);
    assert.equal(page.pagination.total, 5);
    assert.equal(page.pagination.totalPages, 3);

    await made[0].delete();
    await made[1].delete({ softDelete: false });
    assert.notEqual(api.getConversation(made[0].conversationId), made[0], 'a deleted conversation is not kept by the client');
    assert.equal(api.getConversation(made[2].conversationId), made[2]);
    assert.equal((await api.getUserConversations(user)).conversations.length, 3);
    await api.deleteUserConversations(user, { softDelete: true });
    assert.equal((await api.getUserConversations(user)).conversations.length, 0);
    await api.deleteUserConversations('nobody-at-all');
  });

  test('getConversation attaches to a conversation started elsewhere', async () => {
    const other = await sim.client();
    const started = await other.createConversation('user-i', undefined, { where: 'elsewhere' }, 'user-first');
    const attached = api.getConversation(started.conversationId);
    assert.equal((await attached.getMetadata()).where, 'elsewhere');
    const reply = nextEvent(attached, (e) => e.kind === 'bot_message' && e.text !== null && e.text.startsWith('You said'));
    await attached.sendMessage('from the second client');
    const ev = await reply;
    assert.equal(ev.kind === 'bot_message' && ev.text, 'You said: from the second client');
    await other.dispose();
  });
});

describe('listeners', () => {
  test('every registration returns a function that removes it (idempotently)', async () => {
    const c = await api.createConversation('user-j');
    await nextEvent(c, (e) => e.kind === 'bot_message');
    /** @type {string[]} */
    const seen = [];
    const off = c.onMessage((m, t) => seen.push(`a:${t}`));
    const offB = c.onEvent((e) => seen.push(`b:${e.kind}`));
    const offs = [c.onError(() => {}), c.onConversationUpdate(() => {}), c.onActionReceived(() => {}), api.onEvent(() => {}), api.onStateChange(() => {}), api.onRawEvent(() => {}), api.onListenerError(() => {})];
    for (const f of offs) assert.equal(typeof f, 'function');
    let reply = nextEvent(c, (e) => e.kind === 'bot_message');
    await c.sendMessage('one');
    await reply;
    assert.deepEqual(seen, ['a:ai_agent', 'b:bot_message']);
    off();
    off();
    reply = nextEvent(c, (e) => e.kind === 'bot_message');
    await c.sendMessage('two');
    await reply;
    assert.deepEqual(seen, ['a:ai_agent', 'b:bot_message', 'b:bot_message']);
    offB();
    for (const f of offs) f();
  });

  test('callbacks run on the JavaScript main thread, never during the registration', async () => {
    const { isMainThread } = await import('node:worker_threads');
    const c = await api.createConversation('thread');
    let registering = true;
    const called = waitFor((fn) => c.onMessage(() => fn({ isMainThread, duringRegistration: registering })));
    registering = false;
    assert.deepEqual(await called, { isMainThread: true, duringRegistration: false });
  });

  test('what arrives for a conversation before its object exists waits for its first listener', async () => {
    // The tick that reads a conversation's first event (the greeting) can come before the one
    // that resolves createConversation: the completion and the event wake the JavaScript
    // thread from the library's thread, and a tick may take the event after taking the calls
    // woken so far. That order, handed to the client's router as a tick does.
    /** @type {any} */
    const router = api;
    const early = { kind: 'bot_message', conversationId: 'early-one', text: 'hello early' };
    router._route(early, 'early-one', false, false);
    router._route({ ...early, text: 'and again' }, 'early-one', false, false);
    const c = api.getConversation('early-one');
    /** @type {unknown[]} */
    const got = [];
    const both = waitFor((fn) => c.onEvent((e) => { got.push(e); if (got.length === 2) fn(got); }));
    assert.deepEqual(got, [], 'not during the registration');
    assert.deepEqual(await both, [early, { ...early, text: 'and again' }]);
  });

  test('onError and onMessage("error") report hub errors of the conversation', async () => {
    const ghost = api.getConversation('no-such-conversation');
    const errors = waitFor((fn) => ghost.onError(fn));
    const asMessage = waitFor((fn) => ghost.onMessage((m, t) => fn([m, t])));
    await ghost.sendMessage('anyone?');
    const e = await errors;
    assert.equal(e.errorCode, 400);
    assert.equal(e.errorDesc, 'Invalid conversation_id');
    assert.equal(e.conversationId, 'no-such-conversation');
    assert.deepEqual(await asMessage, ['[Error: Invalid conversation_id]', 'error']);
  });

  test('events() async iterator: for await, ends on break', async () => {
    const c = await api.createConversation('user-k');
    /** @type {string[]} */
    const kinds = [];
    for await (const ev of c) {
      kinds.push(ev.kind);
      if (ev.kind === 'bot_message') break;
    }
    assert.deepEqual(kinds, ['bot_message']);
    const it = c.events();
    await c.sendMessage('again');
    const n = await it.next();
    assert.equal(n.value?.kind, 'bot_message');
    assert.deepEqual(await it.return?.(), { value: undefined, done: true });
    assert.deepEqual(await it.next(), { value: undefined, done: true });
  });

  test('escape hatch: sendRaw, requestRaw, onRawEvent', async () => {
    const c = await api.createConversation('user-l', undefined, { raw: true }, 'user-first');
    const raw = waitFor((fn) => api.onRawEvent(fn), (e) => e.kind === 'metadata');
    await api.sendRaw('metadata_request', { conversation_id: c.conversationId });
    const seen = await raw;
    assert.equal(seen.kind === 'metadata' && /** @type {any} */ (seen.metadata).raw, true);
    const reply = await api.requestRaw('metadata_request', { conversation_id: c.conversationId }, 'conversation_metadata', { conversationId: c.conversationId });
    assert.equal(reply.kind, 'metadata');
    assert.equal(/** @type {any} */ (reply.raw).event.event_type, 'conversation_metadata');
  });

  test('client events: hub events naming no open conversation reach api.onEvent', async () => {
    const pushed = waitFor((fn) => api.onEvent(fn), (e) => e.kind === 'unknown');
    await sim.control('/control/push', { action: 'receiveMessage', event: { event_type: 'mystery_event', event_payload: { hello: 'world' } } });
    const ev = await pushed;
    assert.equal(ev.kind === 'unknown' && ev.eventType, 'mystery_event');
    assert.deepEqual(ev.kind === 'unknown' && ev.payload, { hello: 'world' });
  });

  test('api.events(): client-level events as an async iterator, ended by dispose()', async () => {
    const c = await sim.client();
    const it = c.events();
    await sim.control('/control/push', { action: 'receiveMessage', event: { event_type: 'another_mystery', event_payload: {} } });
    for (;;) {
      const n = await it.next();
      assert.equal(n.done, false);
      if (n.value?.kind === 'unknown' && n.value.eventType === 'another_mystery') break;
    }
    const pending = it.next();
    await c.dispose();
    assert.deepEqual(await pending, { value: undefined, done: true });
  });
});
