// A listener that is not there yet, or an iterator not read, keeps the client's `maxBacklog`
// events at most: past that the oldest go, and a `lagged` event with their count comes first.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

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
 * Pushes `n` bot messages `m0`.. to a conversation.
 * @param {string} conversationId
 * @param {number} n
 */
async function push(conversationId, n) {
  for (let i = 0; i < n; i++) {
    await sim.control('/control/push', {
      action: 'receiveMessage',
      event: { event_type: 'bot_message', event_payload: { conversation_id: conversationId, content: [{ type: 'text', text: `m${i}` }] }, event_id: `b-${conversationId}-${i}` },
    });
  }
}

test('an iterator not read keeps maxBacklog events, then says how many it missed', async () => {
  const api = await sim.client({ maxBacklog: 5 });
  const c = await api.createConversation('backlog-user', undefined, undefined, 'user-first');
  const events = c.events()[Symbol.asyncIterator]();
  // A marker that all twelve arrived, through a listener that keeps up.
  const all = waitFor((fn) => c.onMessage((m, t, ev) => fn(ev)), (ev) => ev.text === 'm11');
  await push(c.conversationId, 12);
  await all;
  const first = /** @type {any} */ ((await events.next()).value);
  assert.deepEqual(first, { kind: 'lagged', missed: 7 });
  const texts = [];
  for (let i = 0; i < 5; i++) texts.push(/** @type {any} */ ((await events.next()).value).text);
  assert.deepEqual(texts, ['m7', 'm8', 'm9', 'm10', 'm11'], 'the newest five, in order');
  await events.return?.();
});

test('a conversation keeps maxBacklog events for its first listener, then says how many it missed', async () => {
  const api = await sim.client({ maxBacklog: 3 });
  const c = await api.createConversation('first-listener', undefined, undefined, 'user-first');
  // Nobody listens to the conversation yet.
  await push(c.conversationId, 8);
  // A round trip on the same socket: its answer comes after the eight pushed before it.
  await c.getMetadata();
  /** @type {any[]} */
  const seen = [];
  const done = waitFor((fn) => c.onEvent((ev) => { seen.push(ev); if (seen.length === 4) fn(seen); }));
  const got = await done;
  assert.deepEqual(got[0], { kind: 'lagged', missed: 5 });
  assert.deepEqual(got.slice(1).map((/** @type {any} */ e) => e.text), ['m5', 'm6', 'm7']);
});
