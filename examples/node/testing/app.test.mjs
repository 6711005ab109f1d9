// The support app's chat handler, tested offline against a local hub that plays the bot from a
// script: `node --test app.test.mjs`.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';

import { startHub } from 'captivate-chat/testing';

import { connect, openSupportChat } from './app.mjs';

/** @type {import('captivate-chat/testing').HubScript} */
const script = {
  rules: [
    { when: { live: true }, then: [{ agent: '{agent} here: noted.' }] },
    { when: { regex: '(?i)^where is order (?P<n>\\d+)' }, then: [{ bot: 'Order {n} ships tomorrow.' }] },
    { when: { contains: 'person' }, then: [{ bot: 'Connecting you.' }, { handover: { agent: 'Ada' } }, { agent: 'Hi, Ada here.' }] },
    { then: [{ bot: 'Sorry, I can only track orders.' }] },
  ],
};

/** @type {import('captivate-chat/testing').Hub} */
let hub;
/** @type {import('captivate-chat').CaptivateChatAPI} */
let api;

before(async () => {
  hub = await startHub({ script });
  api = await connect(hub.apiKey, hub.clientOptions());
});
after(async () => {
  await api.dispose();
  await hub.close();
});
beforeEach(() => hub.reset());

test('an order question gets the order status', async () => {
  const chat = await openSupportChat(api, 'customer-1');
  assert.deepEqual(await chat.ask('Where is order 1234?'), { from: 'bot', text: 'Order 1234 ships tomorrow.' });
  assert.deepEqual(await chat.ask('Thanks!'), { from: 'bot', text: 'Sorry, I can only track orders.' });
});

test('asking for a person hands the chat over to an agent', async () => {
  const chat = await openSupportChat(api, 'customer-2');
  assert.deepEqual(await chat.ask('Can I talk to a person?'), { from: 'bot', text: 'Connecting you.' });
  assert.deepEqual(await chat.next(), { from: 'agent', text: 'Hi, Ada here.' });
  assert.deepEqual(await chat.ask('My parcel is late'), { from: 'agent', text: 'Ada here: noted.' });
  assert.equal(hub.conversations()[0].agent, 'Ada');

  // The link drops: the app's client reconnects by itself and the chat goes on with the agent.
  const back = new Promise((resolve) => {
    const off = api.onStateChange((change) => {
      if (change.previous.state !== 'connected' && change.current.state === 'connected') resolve(off());
    });
  });
  hub.drop();
  await back;
  assert.deepEqual(await chat.ask('Are you still there?'), { from: 'agent', text: 'Ada here: noted.' });
  assert.ok(hub.connectionsAccepted >= 2, 'it came back on a new connection');
});

test('the hub receives the question as typed, with the page it came from', async () => {
  const chat = await openSupportChat(api, 'customer-3');
  await chat.ask('Where is order 7?');
  const sent = hub.received({ conversationId: chat.id, eventType: 'user_message' });
  assert.deepEqual(sent.map((frame) => frame.event.event_payload.content), [{ type: 'text', text: 'Where is order 7?' }]);
  assert.deepEqual(hub.conversations()[0].metadata, { source: 'support-page' });
});
