// CaptivateChatManager against a local hub that accepts two API keys: a user's conversations
// listed across the keys, each on the client of its own key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import util from 'node:util';

import { CaptivateChatAPI, CaptivateChatManager, Conversation, InvalidArgument, Rejected } from 'captivate-chat';
import { startSim, waitFor } from './sim.mjs';

const SECOND = 'second-key';
const USER = 'manager-user';

/** @type {import('./sim.mjs').Sim} */
let sim;
/** The conversation of USER under each key, made by clients of their own. */
const made = { first: '', second: '' };

before(async () => {
  sim = await startSim({ extraApiKeys: [SECOND] });
  for (const [which, key] of /** @type {const} */ ([['first', sim.key], ['second', SECOND]])) {
    const api = await CaptivateChatAPI.create(key, 'dev', { url: sim.url, shared: false });
    const c = await api.createConversation(USER, undefined, { key: which }, 'user-first');
    made[which] = c.conversationId;
    await api.dispose();
  }
});
after(async () => {
  await sim.stop();
});

const hub = () => ({ url: sim.url });

describe('CaptivateChatManager', () => {
  test('lists across both keys: each conversation on the client of its own key, which routes its events', async () => {
    const manager = await CaptivateChatManager.create([sim.key, SECOND, sim.key], 'dev', hub());
    const first = /** @type {CaptivateChatAPI} */ (manager.getApiInstance(sim.key));
    const second = /** @type {CaptivateChatAPI} */ (manager.getApiInstance(SECOND));
    assert.ok(first.isSocketActive() && second.isSocketActive());
    assert.notEqual(first, second);
    assert.equal(CaptivateChatAPI.getInstance(SECOND, 'dev', hub()), second, 'the shared client of the key');

    const { conversations, pagination } = await manager.getUserConversations({ userId: USER });
    assert.deepEqual(conversations.map((c) => c.conversationId).sort(), [made.first, made.second].sort());
    assert.equal(pagination?.total, 2);
    for (const c of conversations) {
      assert.ok(c instanceof Conversation);
      const mine = c.conversationId === made.first ? first : second;
      assert.equal(c.apiKey, c.conversationId === made.first ? sim.key : SECOND);
      assert.equal(mine.getConversation(c.conversationId), c, 'the conversation of the client of its key');
      const reply = waitFor((fn) => c.onEvent(fn), (e) => e.kind === 'bot_message' && e.text === `You said: to ${c.apiKey}`);
      await c.sendMessage(`to ${c.apiKey}`);
      await reply;
    }
    const received = /** @type {any[]} */ (await sim.control('/control/received'));
    const listing = received.filter((f) => f.event?.event_type === 'get_user_conversations_v2' || f.event?.event_type === 'get_user_conversations').at(-1);
    assert.deepEqual(listing.event.event_payload.apiKeys, [sim.key, SECOND], 'every key of the manager by default');
    await manager.disposeAll();
    assert.equal(first.isSocketActive() || second.isSocketActive(), false);
    assert.equal(manager.getApiInstance(sim.key), undefined);
  });

  test("each conversation listed across the keys carries its metadata, as the one client's listing gives it", async () => {
    const manager = await CaptivateChatManager.create([sim.key, SECOND], 'dev', hub());
    const { conversations } = await manager.getUserConversations({ userId: USER });
    assert.equal(conversations.length, 2);
    for (const c of conversations) {
      const which = c.conversationId === made.first ? 'first' : 'second';
      assert.equal(/** @type {any} */ (c.metadata)?.key, which, `the metadata of the ${which} key's conversation`);
    }
    const single = await /** @type {CaptivateChatAPI} */ (manager.getApiInstance(sim.key)).getUserConversations({ userId: USER, apiKeys: [sim.key, SECOND] });
    for (const c of single.conversations) assert.deepEqual(c.metadata, conversations.find((m) => m.conversationId === c.conversationId)?.metadata);
    await manager.disposeAll();
  });

  test('apiKeys narrows the listing and picks the client that asks; pagination passes through', async () => {
    const manager = new CaptivateChatManager([sim.key, SECOND], 'dev', hub());
    await manager.connectAll();
    const only = await manager.getUserConversations({ userId: USER, apiKeys: [SECOND] });
    assert.deepEqual(only.conversations.map((c) => c.conversationId), [made.second]);
    assert.equal(only.conversations[0].apiKey, SECOND);
    const paged = await manager.getUserConversations({ userId: USER, pagination: { page: 1, limit: 1 } });
    assert.equal(paged.conversations.length, 1);
    assert.deepEqual(paged.pagination && [paged.pagination.total, paged.pagination.hasNextPage], [2, true]);
    const filtered = await manager.getUserConversations({ userId: USER, filter: { key: 'second' } });
    assert.deepEqual(filtered.conversations.map((c) => c.conversationId), [made.second]);
    await assert.rejects(manager.getUserConversations({ userId: USER, apiKeys: ['not-in-the-manager'] }), InvalidArgument);
    await assert.rejects(manager.getUserConversations({ userId: USER, apiKeys: [] }), InvalidArgument);
    assert.throws(() => manager.getUserConversations(/** @type {any} */ ({ userId: USER, apiKey: [SECOND] })), TypeError);
    await manager.disposeAll();
  });

  test('a conversation of a key the manager has no client for fails the listing', async () => {
    const manager = await CaptivateChatManager.create([sim.key], 'dev', hub());
    await assert.rejects(manager.getUserConversations({ userId: USER, apiKeys: [sim.key, SECOND] }), (/** @type {any} */ e) => e.code === 'protocol' && !e.message.includes(SECOND));
    await manager.disposeAll();
  });

  test('dispose(key) disposes that client only; printing the manager shows no key', async () => {
    const manager = await CaptivateChatManager.create([sim.key, SECOND], 'dev', hub());
    assert.doesNotMatch(util.inspect(manager, { depth: 5 }), new RegExp(`${sim.key}|${SECOND}`));
    const second = /** @type {CaptivateChatAPI} */ (manager.getApiInstance(SECOND));
    const disposing = manager.dispose(SECOND);
    assert.equal(manager.getApiInstance(SECOND), undefined);
    await disposing;
    assert.equal(second.isSocketActive(), false);
    assert.equal(manager.getApiInstance(sim.key)?.isSocketActive(), true);
    const { conversations } = await manager.getUserConversations({ userId: USER, apiKeys: [sim.key] });
    assert.deepEqual(conversations.map((c) => c.conversationId), [made.first]);
    await manager.disposeAll();
  });

  test('create with a key the hub refuses rejects, and disposes the clients it made (not a shared one made before)', async () => {
    const before = await CaptivateChatAPI.create(sim.key, 'dev', hub());
    await assert.rejects(CaptivateChatManager.create([sim.key, 'refused-key', SECOND], 'dev', hub()), Rejected);
    assert.equal(before.isSocketActive(), true);
    assert.equal(CaptivateChatAPI.hasInstance(SECOND, 'dev'), false);
    assert.equal(CaptivateChatAPI.hasInstance('refused-key', 'dev'), false);
    await before.dispose();
    assert.throws(() => new CaptivateChatManager(/** @type {any} */ (sim.key)), TypeError);
  });
});
