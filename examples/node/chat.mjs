// A whole conversation with the hub from Node, printed readably: the greeting and its buttons,
// a button choice, the hand-over to a live agent, metadata, the transcript, and deletion.
//
// Runs against the local hub by default (`make demo` starts one); set CAPTIVATE_URL (without
// the key) and CAPTIVATE_API_KEY to talk to another hub, and CAPTIVATE_DEBUG (a level such as
// `debug` or `trace`) to see the library's log records.
import { CaptivateChatAPI } from 'captivate-chat';

const WAIT_MS = 10_000;

/**
 * Prints a message the way a chat window would.
 * @param {import('captivate-chat').ContentItem[] | string} message
 * @param {import('captivate-chat').MessageType} type
 */
function show(message, type) {
  const who = type === 'ai_agent' ? 'bot  ' : type === 'human_agent' ? 'agent' : 'error';
  if (typeof message === 'string') {
    console.log(`  ${who} › ${message}`);
    return;
  }
  for (const item of message) {
    if (item.type === 'text') {
      console.log(`  ${who} › ${item.text}`);
    } else if (item.type === 'buttons') {
      if (item.buttons.title) console.log(`  ${who} › ${item.buttons.title}`);
      console.log(`          ${item.buttons.options.map((o) => `[${o.label}]`).join(' ')}`);
    } else if (item.type === 'files') {
      for (const f of item.files) console.log(`  ${who} › file ${f.url} (${f.type ?? '?'})`);
    } else {
      console.log(`  ${who} › (${item.type} item)`);
    }
  }
}

/**
 * Waits for the first event that satisfies `done`.
 * @param {AsyncIterator<import('captivate-chat').CaptivateEvent>} events
 * @param {string} what
 * @param {(e: import('captivate-chat').CaptivateEvent) => boolean} done
 */
async function until(events, what, done) {
  /** @type {NodeJS.Timeout | undefined} */
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

/**
 * @param {import('captivate-chat').Conversation} conversation
 * @param {string} text
 */
async function say(conversation, text) {
  console.log(`  you   › ${text}`);
  await conversation.sendMessage(text);
}

const url = process.env.CAPTIVATE_URL ?? 'ws://127.0.0.1:8080/dev';
const key = process.env.CAPTIVATE_API_KEY ?? 'test-key';
const ca = process.env.CAPTIVATE_CA_FILE;
const debug = process.env.CAPTIVATE_DEBUG;
if (debug) CaptivateChatAPI.setDebugMode(true, /** @type {import('captivate-chat').LogLevel} */ (debug));

console.log(`== Node: connecting to ${url}`);
const api = await CaptivateChatAPI.create(key, 'prod', { url, ...(ca ? { caFile: ca } : {}) });
try {
  console.log(`  connected, socket ${api.getSocketId()}`);
  api.onStateChange((change) => {
    if (!['connected', 'closing', 'closed'].includes(change.current.state)) {
      console.log(`  ···· connection: ${change.current.state}`);
    }
  });

  const conversation = await api.createConversation(
    'demo-user',
    { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com' },
    { channel: 'node-demo' },
  );
  console.log(`  conversation ${conversation.getConversationId()}`);

  // The official client's listeners print; the async iterator drives the script.
  conversation.onMessage(show);
  conversation.onConversationUpdate((u) => {
    if (u.update === 'agent_connected') {
      const data = /** @type {{agentInfo?: {name?: string}}} */ (u.data);
      console.log(`  ···· ${data.agentInfo?.name ?? 'an agent'} joined the conversation`);
    } else if (u.update === 'agent_disconnected') {
      console.log('  ···· the agent left the conversation');
    } else {
      console.log(`  ···· update: ${u.type}`);
    }
  });
  conversation.onActionReceived((actions) => {
    for (const a of actions) console.log(`  ···· action from the flow: ${a.id} ${JSON.stringify(a.data)}`);
  });
  const events = conversation.events();

  await until(events, 'greeting', (e) => e.kind === 'bot_message' && e.content.some((c) => c.type === 'buttons'));

  await say(conversation, 'Hello there!');
  await until(events, 'bot reply', (e) => e.kind === 'bot_message' && e.text !== null);

  console.log('  you   › (chooses [Chat to Agent])');
  await conversation.sendMessage('Chat to Agent');
  await until(events, 'live agent', (e) => e.kind === 'livechat_message');

  await say(conversation, 'My order #1234 has not arrived.');
  await until(events, 'agent reply', (e) => e.kind === 'livechat_message');
  await say(conversation, 'bye');
  await until(events, 'agent leaving', (e) => e.kind === 'conversation_update' && e.update === 'agent_disconnected');
  await events.return?.();

  await conversation.setMetadata({ plan: 'gold', page: '/checkout' });
  await conversation.setPrivateMetadata({ crm_id: 'C-981' });
  await conversation.setTimeToLive(30);
  console.log(`  metadata: ${JSON.stringify(await conversation.getMetadata())}`);

  const transcript = await conversation.getTranscript();
  console.log(`  transcript (${transcript.length} entries):`);
  for (const entry of transcript) {
    if (entry.text !== null) console.log(`    ${entry.from.padEnd(5)} ${entry.text.replaceAll('\n', ' / ')}`);
  }

  await conversation.delete({ softDelete: true });
  console.log('  conversation deleted');
} finally {
  await api.dispose();
  console.log('  closed');
}
