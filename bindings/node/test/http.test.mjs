// The official client's HTTP services through the Node front end, against the local hub: the
// HTTP send transport end to end, and file links about to expire refreshed by getTranscript
// (on by default, as the official client) and pushed back to the hub.
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

/** @returns {Promise<any[]>} every frame the hub received (HTTP sends with `via: 'http'`) */
const received = () => sim.control('/control/received');

/** @param {any[]} frames @param {string} conversationId */
const of = (frames, conversationId) => frames.filter((f) => f.event?.event_payload?.conversation_id === conversationId);

/** @param {string} url */
const status = async (url) => (await fetch(url)).status;

describe('transport: http', () => {
  test('every request is POSTed with the socket id; replies and bot messages arrive on the socket; the transcript comes over REST', async () => {
    const api = await sim.client({ transport: 'http', httpUrl: sim.http });
    const c = await api.createConversation('http-user', { firstName: 'Ada' }, { plan: 'gold' }, 'user-first');
    const reply = waitFor((fn) => c.onEvent(fn), (e) => e.kind === 'bot_message' && e.text === 'You said: over http');
    const id = await c.sendMessage('over http');
    await reply;
    await c.setMetadata({ page: '/http' });
    assert.equal((await c.getMetadata()).page, '/http');
    await c.sendAction('noted', { by: 'http' });
    await c.editMessage(id, 'edited over http');
    const transcript = await c.getTranscript();
    assert.ok(transcript.some((e) => e.from === 'user' && e.text === 'edited over http'), JSON.stringify(transcript.map((e) => e.text)));
    const { conversations } = await api.getUserConversations({ userId: 'http-user', pagination: { page: 1, limit: 5 } });
    assert.deepEqual(conversations.map((x) => x.conversationId), [c.conversationId]);

    const frames = await received();
    const mine = of(frames, c.conversationId);
    const types = mine.map((f) => f.event.event_type);
    for (const t of ['user_message', 'metadata', 'metadata_request', 'action', 'edit_message']) assert.ok(types.includes(t), `${t} was sent`);
    for (const f of mine) {
      assert.equal(f.via, 'http', `${f.event.event_type} came over HTTP`);
      assert.equal(f.event.socket_id, api.getSocketId());
    }
    assert.ok(!types.includes('conversation_transcript_request'), 'the transcript was read over REST, not asked for on the socket');
    const start = frames.find((f) => f.event?.event_type === 'conversation_start' && f.event.event_payload.userId === 'http-user');
    assert.equal(start?.via, 'http');
    await api.dispose();
  });

  test('the socket transport for contrast: frames on the socket, the transcript asked for on it', async () => {
    const api = await sim.client();
    const c = await api.createConversation('socket-user', undefined, undefined, 'user-first');
    await c.sendMessage('over the socket');
    await c.getTranscript();
    const mine = of(await received(), c.conversationId);
    assert.ok(mine.every((f) => f.via === undefined));
    assert.ok(mine.some((f) => f.event.event_type === 'conversation_transcript_request'));
    await api.dispose();
  });
});

describe('file links refreshed by getTranscript', () => {
  /**
   * A conversation with a message carrying a stored upload whose link the hub then expires.
   * @param {import('captivate-chat').CaptivateOptions} options
   */
  async function expiredFile(options) {
    const api = await sim.client(options);
    const c = await api.createConversation('refresh-user', undefined, undefined, 'user-first');
    const fm = await c.fileManager.create({ file: Buffer.from('the contract'), fileName: 'contract.txt' });
    const storage = /** @type {import('captivate-chat').FileStorage} */ (fm.files[0].storage);
    const messageId = await c.sendMessage({ text: 'signed', files: fm });
    assert.equal(await status(storage.presignedUrl), 200);
    assert.deepEqual(await sim.control('/control/expire-file', { fileKey: storage.fileKey }), { ok: true, expired: 1 });
    assert.equal(await status(storage.presignedUrl), 403, 'the old link has expired');
    return { api, c, storage, messageId };
  }

  /** @param {import('captivate-chat').TranscriptEntry[]} transcript @param {string} messageId */
  const fileOf = (transcript, messageId) => {
    const entry = transcript.find((e) => e.messageId === messageId);
    assert.ok(entry, 'the message is in the transcript');
    return /** @type {Required<import('captivate-chat').FileRef>} */ (entry.files[0]);
  };

  for (const transport of /** @type {const} */ (['socket', 'http'])) {
    test(`by default (transport ${transport}): a new link, two hours long, pushed back to the hub with edit_message`, async () => {
      const { api, c, storage, messageId } = await expiredFile({ transport, httpUrl: sim.http, filesUrl: sim.http });
      const f = fileOf(await c.getTranscript(), messageId);
      assert.equal(f.storage.fileKey, storage.fileKey);
      assert.notEqual(f.storage.presignedUrl, storage.presignedUrl);
      assert.ok(f.storage.expiresIn > Date.now() / 1000 + 7000, String(f.storage.expiresIn));
      assert.equal(await status(f.storage.presignedUrl), 200);
      const edit = of(await received(), c.conversationId).find((x) => x.event.event_type === 'edit_message' && x.event.event_payload.message_id === messageId);
      assert.ok(edit, 'the refreshed files were pushed back');
      assert.equal(edit.event.event_payload.content.files[0].storage.presignedUrl, f.storage.presignedUrl);
      assert.equal(edit.event.event_payload.content.text, 'signed');
      // The hub keeps the pushed-back link: the next read needs no refresh.
      const again = fileOf(await c.getTranscript(), messageId);
      assert.equal(again.storage.presignedUrl, f.storage.presignedUrl);
      await api.dispose();
    });
  }

  test('refreshFileLinks: false leaves the expired link and pushes nothing back', async () => {
    const { api, c, storage, messageId } = await expiredFile({ refreshFileLinks: false });
    const f = fileOf(await c.getTranscript(), messageId);
    assert.equal(f.storage.presignedUrl, storage.presignedUrl);
    assert.equal(await status(f.storage.presignedUrl), 403);
    assert.ok(!of(await received(), c.conversationId).some((x) => x.event.event_type === 'edit_message'));
    await api.dispose();
  });
});
