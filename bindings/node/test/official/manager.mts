// The official README's multi-key examples (CaptivateChatManager), run against the local hub.
// The code is the README's, typed against the official API; what differs: the import line,
// the three URLs of the local hub (HUB, passed where the official client has its hosts built
// in), a conversation of the README's user under each key first (so that there is something
// to list), and a `console.log` of what the README's comments claim, so that the test can
// check it. test/official.test.mjs compiles it and runs it.
import { CaptivateChatAPI, CaptivateChatManager } from 'captivate-chat';

const HUB = { url: process.env.HUB_WS_URL!, httpUrl: process.env.HUB_HTTP_URL!, filesUrl: process.env.HUB_FILES_URL! };

// Something to list: one conversation of the user under each key.
for (const key of ['YOUR_API_KEY_1', 'YOUR_API_KEY_2']) {
  const api = await CaptivateChatAPI.create(key, 'dev', HUB);
  const c = await api.createConversation('66f016f09d5961b684ce05f0', {}, { key: key.slice(-1) }, 'user-first');
  await c.sendMessage(`hello from ${key.slice(-1)}`);
}

// ----- Option 1: Using the static factory method (Recommended) -----
{
  const apiKeys = [
    'YOUR_API_KEY_1',
    'YOUR_API_KEY_2',
    'YOUR_API_KEY_1' // Duplicate - automatically filtered out
  ];

  // Create and connect all instances in one step
  const manager = await CaptivateChatManager.create(apiKeys, 'dev', HUB);

  const { conversations, pagination } = await manager.getUserConversations({
    userId: '66f016f09d5961b684ce05f0',
    apiKeys,
    pagination: { page: '1', limit: '90' }
  });

  for (const conv of conversations) {
    const transcript = await conv.getTranscript();
    console.log(`Transcript for ${conv.getConversationId()}:`, transcript.length);
    console.log(`  on the instance of its key: ${manager.getApiInstance(conv.apiKey)?.getConversation(conv.getConversationId()) === conv}`);
  }
  console.log('Option 1 listed:', conversations.length, 'of', pagination?.total);

  // Cleanup when done
  manager.disposeAll(); // Closes all WebSocket connections
  console.log('Disposed all; instance left:', CaptivateChatAPI.hasInstance('YOUR_API_KEY_1', 'dev'));
}

// ----- Option 2: Manual instantiation and connection -----
{
  const apiKeys = [
    'YOUR_API_KEY_1',
    'YOUR_API_KEY_2'
  ];

  const manager = new CaptivateChatManager(apiKeys, 'dev', HUB);
  await manager.connectAll();

  const { conversations, pagination } = await manager.getUserConversations({
    userId: '66f016f09d5961b684ce05f0',
    apiKeys,
    pagination: { page: '1', limit: '90' }
  });

  for (const conv of conversations) {
    const transcript = await conv.getTranscript();
    console.log(`Transcript for ${conv.getConversationId()}:`, transcript.length);
  }
  console.log('Option 2 listed:', conversations.length, 'of', pagination?.total);

  // ----- Disposal Methods -----
  // Dispose single API instance
  manager.dispose('YOUR_API_KEY_1');
  console.log('After dispose(key):', manager.getApiInstance('YOUR_API_KEY_1') === undefined, manager.getApiInstance('YOUR_API_KEY_2') !== undefined);

  // Dispose all instances
  manager.disposeAll();
  console.log('After disposeAll:', manager.getApiInstance('YOUR_API_KEY_2') === undefined);
}

console.log('== done');
