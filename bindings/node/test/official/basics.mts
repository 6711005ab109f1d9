// The official README's examples of the client and its conversations, one after the other,
// run against the local hub. The code is the README's, typed against the official API; what
// differs: the import line, the three URLs of the local hub (HUB, passed where the official
// client has its hosts built in), the file objects the README leaves to the reader, a
// conversation of its own for each way of deleting one, and a `console.log` after each
// claim the README makes in a comment, so that the test can check it.
// test/official.test.mjs compiles it and runs it.
import { CaptivateChatAPI } from 'captivate-chat';

const HUB = { url: process.env.HUB_WS_URL!, httpUrl: process.env.HUB_HTTP_URL!, filesUrl: process.env.HUB_FILES_URL! };

// ----- Debug Mode -----
{
  // Enable debug mode to see detailed logs
  CaptivateChatAPI.setDebugMode(true);

  // Create and use the API - you'll see detailed logs with [CaptivateChatAPI] prefix
  const api = await CaptivateChatAPI.create('YOUR_API_KEY', 'prod', HUB);

  // Disable debug mode to hide logs
  CaptivateChatAPI.setDebugMode(false);

  // Check current debug mode status
  const isDebugEnabled = CaptivateChatAPI.getDebugMode();
  console.log('Debug mode enabled:', isDebugEnabled);
}

// ----- Singleton Pattern -----
{
  // First instance created
  const api1 = await CaptivateChatAPI.create('YOUR_API_KEY', 'prod', HUB);

  // Returns the same instance (singleton)
  const api2 = await CaptivateChatAPI.create('YOUR_API_KEY', 'prod', HUB);
  console.log('api1 === api2:', api1 === api2);

  // Different mode creates separate instance
  const apiDev = await CaptivateChatAPI.create('YOUR_API_KEY', 'dev', HUB);
  console.log('apiDev !== api1:', apiDev !== api1);

  // Using new also returns singleton
  const api3 = new CaptivateChatAPI('YOUR_API_KEY', 'prod', HUB);
  console.log('api3 === api1:', api3 === api1);

  // Cleanup when done
  api1.dispose(); // Closes socket and removes from registry

  // After disposal, new instance can be created
  const api4 = await CaptivateChatAPI.create('YOUR_API_KEY', 'prod', HUB);
  console.log('api4 !== api1:', api4 !== api1);
}

// ----- Helper Methods -----
{
  // Check if instance exists
  if (CaptivateChatAPI.hasInstance('YOUR_API_KEY', 'prod')) {
    const api = CaptivateChatAPI.getInstance('YOUR_API_KEY', 'prod');
    console.log('getInstance found it:', api !== undefined && api.isSocketActive());
  }
}

// ----- Single API Key Usage -----
{
  const api = new CaptivateChatAPI('YOUR_API_KEY', 'prod', HUB);
  await api.connect();

  const conversation = await api.createConversation('user123');
  console.log('Single key conversation:', conversation.getConversationId());
}

// ----- Basic Setup -----
{
  // Option 1: Create and connect in one step
  const api = await CaptivateChatAPI.create('YOUR_API_KEY', 'prod', HUB);
  // API is ready to use!
  console.log('Option 1 ready:', api.isSocketActive());
}
{
  // Option 2: Manual instantiation and connection
  const api = new CaptivateChatAPI('YOUR_API_KEY', 'prod', HUB);

  // Connect to the WebSocket server
  await api.connect();
  console.log('Option 2 ready:', api.isSocketActive());
}

const api = await CaptivateChatAPI.create('YOUR_API_KEY', 'prod', HUB);

// ----- Create a Conversation -----
{
  // 1. Basic setup with just a user ID
  const conversation = await api.createConversation('user123');
  console.log('Created:', conversation.getConversationId());
}
{
  // 2. Include user information and custom data
  const conversation = await api.createConversation(
    'user123',
    {
      name: 'John Doe',
      email: 'john@example.com'
    },
    {
      customField: 'value'
    },
    'user-first' // Start the conversation with user-first or bot-first mode
  );
  console.log('Created with custom data:', JSON.stringify(await conversation.getMetadata()));
}
{
  // 3. Include private metadata (not visible to frontend)
  const conversation = await api.createConversation(
    'user123',
    { name: 'John Doe' },
    { publicKey: 'visible' },
    'user-first',
    { secretKey: 'hidden', internalFlag: true } // privateMetadata
  );
  console.log('Created with private metadata:', conversation.getConversationId());
}

// ----- Send and Receive Messages -----
const conversation = await api.createConversation('user123', {}, {}, 'user-first');
{
  // 3. Listen for responses
  conversation.onMessage((message, type) => {
    console.log(`${type}: ${message}`);
  });

  // 1. Send a text message to the conversation
  await conversation.sendMessage('Hello!');

  // 2. Send a file with text message (recommended format)
  const fileObject = await conversation.fileManager.createFile({ file: Buffer.from('Shopping list: eggs, milk.'), fileName: 'list.txt' });
  await conversation.sendMessage({
    text: "Here's the document you requested",
    files: [fileObject]
  });
}

// ----- Private metadata, metadata, actions, time-to-live -----
{
  await conversation.setPrivateMetadata({ secret: 'mySecretValue', internalFlag: true });
  await conversation.setMetadata({ page: '/pricing' });
  console.log('Metadata:', JSON.stringify(await conversation.getMetadata()));
  await conversation.sendAction('customAction', { step: 2 });
  await conversation.setTimeToLive(30);
}

// ----- Edit a Message -----
{
  await conversation.editMessage('messageId123', 'Updated message text');
  // Or with a custom object:
  await conversation.editMessage('messageId123', { type: 'text', text: 'Updated message text', files: [], actions: [] });
  console.log('Edits confirmed');
}

// ----- Handle Events -----
{
  // 1. Error handling
  conversation.onError((error) => {
    console.error('Error:', error);
  });

  // 2. Updates on conversation status
  conversation.onConversationUpdate((update) => {
    console.log('Conversation Update:', update.type);
  });

  // 3. Handling custom actions
  conversation.onActionReceived((actions) => {
    console.log(`Actions:`, actions);
  });
}

// ----- Get Conversation History -----
{
  const transcript = await conversation.getTranscript();
  console.log('Transcript entries:', transcript.length);
}

// ----- Delete Conversation -----
{
  const conversation = await api.createConversation('user-delete', {}, {}, 'user-first');
  // Soft delete (default - safer option)
  await conversation.delete();
  console.log('Conversation soft deleted');
}
{
  const conversation = await api.createConversation('user-delete', {}, {}, 'user-first');
  // Explicit soft delete
  await conversation.delete({ softDelete: true });
  console.log('Conversation soft deleted');
}
{
  const conversation = await api.createConversation('user-delete', {}, {}, 'user-first');
  // Hard delete (permanent - deletes everything including transcripts)
  await conversation.delete({ softDelete: false });
  console.log('Conversation permanently deleted');
}

// ----- Retrieve User Conversations -----
{
  await api.createConversation('user123', {}, { mode: 'dbfred' }, 'user-first');
  await api.createConversation('user123', {}, { mode: 'alfred' }, 'user-first');
}
{
  // Legacy usage (v1) - String parameter
  const conversations = await api.getUserConversations('user123');
  console.log('User Conversations:', conversations.conversations.length);
}
{
  // Legacy usage (v1) - Options object
  const conversations = await api.getUserConversations({
    userId: 'user123'
  });
  console.log('User Conversations (options):', conversations.conversations.length);
}
{
  // Advanced usage (v2, with filter and pagination)
  const conversations = await api.getUserConversations({
    userId: 'user123',
    filter: { mode: 'dbfred' }, // exact match only
    pagination: { page: '1', limit: '10' }
  });
  console.log('Filtered & Paginated User Conversations:', conversations.conversations.length, conversations.pagination?.total);
}
{
  // Advanced usage (v2, with search and pagination)
  const conversations = await api.getUserConversations({
    userId: 'user123',
    search: { mode: 'fred' }, // wildcard match (matches "frederick", "alfred", etc.)
    pagination: { page: '1', limit: '10' }
  });
  console.log('Searched & Paginated User Conversations:', conversations.conversations.length);
}
{
  // Advanced usage (v2, with both filter and search)
  const conversations = await api.getUserConversations({
    userId: 'user123',
    filter: { mode: 'dbfred' }, // exact match
    search: { mode: 'fred' }, // wildcard match
    pagination: { page: '1', limit: '10' }
  });
  console.log('Filtered, Searched & Paginated User Conversations:', conversations.conversations.length);
}

// ----- Delete User Conversations -----
{
  await api.createConversation('user-gone', {}, {}, 'user-first');
  // Soft delete (default - safer option)
  await api.deleteUserConversations('user-gone');
  console.log('User conversations soft deleted');

  // Explicit soft delete
  await api.deleteUserConversations('user-gone', { softDelete: true });
  console.log('User conversations soft deleted');

  // Hard delete (permanent - deletes everything including transcripts)
  await api.deleteUserConversations('user-gone', { softDelete: false });
  console.log('User conversations permanently deleted');
  console.log('Left for user-gone:', (await api.getUserConversations('user-gone')).conversations.length);
}

// ----- Development Mode -----
{
  const api = new CaptivateChatAPI('YOUR_API_KEY', 'dev', HUB);
  console.log('Development mode instance:', api instanceof CaptivateChatAPI, api !== CaptivateChatAPI.getInstance('YOUR_API_KEY', 'prod'));
}

console.log('== done');
