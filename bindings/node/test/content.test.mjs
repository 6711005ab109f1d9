// onMessage hands the message's content exactly as the hub sent it, as the official client does:
// every item kind (the hub's own `button` spelling included), every extra field, unknown kinds,
// for the bot and for live agents. The typed event keeps the library's normalised view.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startSim, waitFor } from './sim.mjs';

/** @type {import('./sim.mjs').Sim} */
let sim;
/** @type {import('captivate-chat').CaptivateChatAPI} */
let api;
before(async () => {
  sim = await startSim();
  api = await sim.client();
});
after(async () => {
  await sim.stop();
});

/** One content item of each kind the hub sends, with the fields it adds. */
const ITEMS = {
  'text with an extra field': { text: 'Hello', type: 'text', format: 'markdown' },
  'button (the hub spelling)': {
    type: 'button',
    buttons: { title: 'Please choose:', options: [{ label: 'Leave Contact Details', value: 'Leave Contact Details' }] },
  },
  'buttons with an extra option field': {
    type: 'buttons',
    buttons: { title: 'Pick', options: [{ label: 'A', value: 'a', style: 'primary' }] },
  },
  cards: {
    type: 'cards',
    cards: [{ title: 'Plan A', description: 'For small teams', buttons: [{ label: 'Choose A', value: 'plan a' }] }],
  },
  'files with mimetype and a null filename': {
    files: [{ type: 'image', url: 'https://example.invalid/pics/img.jpeg', mimetype: 'image', filename: null }],
    type: 'files',
  },
  'an unknown kind': { type: 'carousel', slides: [{ id: 1 }], extra: { nested: [true, null] } },
};

describe('onMessage: the hub content, untouched', () => {
  for (const [name, item] of Object.entries(ITEMS)) {
    for (const [eventType, who] of [['bot_message', 'ai_agent'], ['livechat_message', 'human_agent']]) {
      test(`${name}, in a ${eventType}`, async () => {
        const c = await api.createConversation('content-user', undefined, undefined, 'user-first');
        const content = [{ text: `before ${name}`, type: 'text' }, item];
        /** @type {Promise<[any, string, any]>} */
        const got = waitFor(
          (fn) => c.onMessage((m, t, ev) => fn([m, t, ev])),
          ([, , ev]) => typeof ev.text === 'string' && ev.text.startsWith(`before ${name}`),
        );
        await sim.control('/control/push', {
          action: 'receiveMessage',
          event: {
            event_type: eventType,
            event_payload: { type: 'message_create', conversation_id: c.conversationId, content },
            event_id: `content-${name}`,
            accepts_response_payload: false,
          },
        });
        const [message, type, ev] = await got;
        assert.equal(type, who);
        assert.deepEqual(message, content, 'the content as the hub sent it');
        assert.deepEqual(ev.hubContent, content);
        // The normalised view stays on the typed event: `button` is read as `buttons` there.
        if (item.type === 'button') assert.equal(ev.content[1].type, 'buttons');
        await c.delete({ softDelete: false });
      });
    }
  }
});
