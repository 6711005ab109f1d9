// The official README's "Example: Full Workflow", run against the local hub. It is the
// README's code, typed against the official API; what differs: the import line, the three URLs
// of the local hub (HUB, passed where the official client has its hosts built in), and the
// `file` the README leaves to the reader. test/official.test.mjs compiles it and runs it.
import { CaptivateChatAPI, CaptivateChatFileManager } from 'captivate-chat';

const HUB = { url: process.env.HUB_WS_URL!, httpUrl: process.env.HUB_HTTP_URL!, filesUrl: process.env.HUB_FILES_URL! };
const file = new Blob(['Quarterly report: revenue is up.'], { type: 'text/plain' });

(async () => {
  try {
    // Create and connect to the API in one step
    const api = await CaptivateChatAPI.create('YOUR_API_KEY', 'prod', HUB);
    console.log('Connected to CaptivateChat API');

    // Create a conversation
    const conversation = await api.createConversation(
      'user123',
      {
        name: 'John Doe',
        email: 'john@example.com',
      },
      { role: 'admin' },
      'bot-first'
    );

    console.log('Conversation started:', conversation);

    // Listen for messages
    conversation.onMessage((message, type) => {
      console.log(`Received (${type}): ${message}`);
    });

    // Send a text message
    await conversation.sendMessage('Hello! How can I assist you today?');

    // Send a file with text message (Recommended way)
    const fileInput = await conversation.fileManager.create({
      file: file,
      fileName: 'document.pdf'
    });

    await conversation.sendMessage({
      text: "Here's the document you requested",
      files: fileInput  // Direct usage - no .files needed
    });

    // Handle conversation updates
    conversation.onConversationUpdate((update) => {
      console.log('Conversation Update:', update);
    });

    // Fetch the transcript
    const transcript = await conversation.getTranscript();
    console.log('Transcript:', transcript);

    // Get user conversations (backward compatible)
    const conversations = await api.getUserConversations('user123');
    console.log('User Conversations:', conversations);

    // Get user conversations with advanced filtering (new API)
    const filteredConversations = await api.getUserConversations({
      userId: 'user123',
      filter: { status: 'active' },
      search: { title: 'meeting' },
      pagination: { page: '1', limit: '10' }
    });
    console.log('Filtered Conversations:', filteredConversations);

    // Delete the conversation (soft delete by default)
    await conversation.delete();
    console.log('Conversation soft deleted successfully.');

    // Or delete permanently
    // await conversation.delete({ softDelete: false });
    // console.log('Conversation permanently deleted.');

  } catch (error) {
    console.error('Error:', error);
  }
})();
