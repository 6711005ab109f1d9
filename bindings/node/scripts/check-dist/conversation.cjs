// A short conversation with the hub through `require('captivate-chat')`, as an installed package:
// the greeting, a message and the bot's reply, the transcript holding it, deletion. Exits
// non-zero when any step fails. Run by check-dist.sh from the folder the package is installed in.
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const { CaptivateChatAPI, version } = require('captivate-chat');

const WAIT_MS = 10_000;

/** The first event that satisfies `done`, within WAIT_MS. */
async function until(events, what, done) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS} ms`)), WAIT_MS);
  });
  try {
    for (;;) {
      const next = await Promise.race([events.next(), timeout]);
      if (next.done) throw new Error(`the conversation ended before the ${what}`);
      if (done(next.value)) return next.value;
    }
  } finally {
    clearTimeout(timer);
  }
}

async function main() {
  const installed = path.join(process.cwd(), 'node_modules', 'captivate-chat');
  assert.equal(path.dirname(require.resolve('captivate-chat/package.json')), installed, 'captivate-chat resolves to the installed copy');
  assert.equal(version, require('captivate-chat/package.json').version);

  const api = await CaptivateChatAPI.create(process.env.CAPTIVATE_API_KEY, 'prod', { url: process.env.CAPTIVATE_URL });
  try {
    const conversation = await api.createConversation('dist-check', { firstName: 'Dist' }, { channel: 'dist-check' });
    const events = conversation.events();
    await until(events, 'greeting', (e) => e.kind === 'bot_message');
    await conversation.sendMessage('Hello from require');
    const reply = await until(events, 'bot reply', (e) => e.kind === 'bot_message' && e.text !== null);
    await events.return();
    const transcript = await conversation.getTranscript();
    assert.ok(
      transcript.some((entry) => entry.text === 'Hello from require'),
      `the transcript holds the message sent: ${JSON.stringify(transcript.map((e) => e.text))}`,
    );
    await conversation.delete({ softDelete: true });
    console.log(`require: captivate-chat ${version}, the bot answered ${JSON.stringify(reply.text)}`);
  } finally {
    await api.dispose();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
