// Compiled (not run) by `tsc --strict --noEmit`: the definitions support typed code the way an
// application would write it, including exhaustive handling of every event kind.
import {
  CaptivateChatAPI,
  CaptivateChatManager,
  CaptivateError,
  CaptivateSocket,
  type CaptivateEvent,
  type Conversation,
  HubError,
  type LogRecord,
  type SocketErrorEvent,
  OPTIONS,
  TimeoutError,
  type TranscriptEntry,
} from 'captivate-chat';

function describeEvent(ev: CaptivateEvent): string {
  switch (ev.kind) {
    case 'bot_message':
    case 'livechat_message':
      return `${ev.kind}: ${ev.text ?? ev.content.map((c) => c.type).join(',')}${ev.fetchedFromLink ? ' (fetched)' : ''}`;
    case 'action':
      return ev.actions.map((a) => `${a.id}/${a.type}`).join(',');
    case 'conversation_update':
      return `${ev.updateType} (${ev.update})`;
    case 'error':
      return `error ${String(ev.code)}: ${ev.description}${ev.nested ? ' (nested)' : ''}`;
    case 'socket_connected':
      return ev.socketId;
    case 'metadata':
      return JSON.stringify(ev.metadata);
    case 'transcript':
      return `${ev.entries.length} entries`;
    case 'message_edited':
      return ev.messageId ?? '';
    case 'conversation_deleted':
      return ev.userId ?? '';
    case 'user_conversations':
      return `${ev.conversations.length} of ${ev.pagination?.total ?? '?'}`;
    case 'unknown':
      return `${ev.eventType}: ${JSON.stringify(ev.payload)}`;
    case 'conversation_started':
    case 'metadata_updated':
      return ev.eventType;
    case 'state':
      return `${ev.previous.state} -> ${ev.current.state}${ev.current.socketId ? ` ${ev.current.socketId}` : ''}`;
    case 'discontinuity':
      return ev.conversationId;
    case 'malformed':
      return ev.error;
    case 'delivery':
      return `${ev.clientMsgId} ${ev.delivered ? 'delivered' : 'given up'}`;
    case 'lagged':
      return `${ev.missed} missed`;
    default: {
      const never: never = ev;
      return never;
    }
  }
}

export async function usage(apiKey: string): Promise<TranscriptEntry[]> {
  CaptivateChatAPI.setDebugMode(true, 'info');
  const records: LogRecord[] = [];
  CaptivateChatAPI.setLogger((r) => records.push(r), 'warn');
  console.log(OPTIONS.filter((o) => o.type === 'millis').map((o) => `${o.name}: ${o.doc}`));
  const api: CaptivateChatAPI = await CaptivateChatAPI.create(apiKey, 'dev', {
    connectTimeoutMs: 5000,
    requestTimeoutMs: 3000,
    reconnect: { initialDelayMs: 500, maxAttempts: 10 },
  });
  const offState = api.onStateChange((change) => console.log(change.current.state, change.reason));
  const conversation: Conversation = await api.createConversation('user-1', { firstName: 'Ada' }, { plan: 'gold' });
  conversation.onMessage((message, type) => {
    if (typeof message === 'string') console.log(type, message);
    else for (const item of message) if (item.type === 'text') console.log(type, item.text);
  });
  conversation.onConversationUpdate((u) => console.log(u.type, u.conversationId));
  conversation.onActionReceived((actions) => actions.forEach((a) => console.log(a.id, a.data)));
  conversation.onError((e) => console.log(e.errorCode, e.errorDesc));
  const id: string = await conversation.sendMessage({ text: 'hi', files: [{ url: 'https://example.com/a.png', type: 'image/png' }] });
  await conversation.editMessage(id, 'hello');
  await conversation.setMetadata({ page: '/' }, { target: 'bot' });
  await conversation.setTimeToLive(7);
  try {
    await conversation.getMetadata();
  } catch (e) {
    if (e instanceof TimeoutError) console.log(e.operation, e.millis);
    else if (e instanceof HubError) console.log(e.hubCode, e.description);
    else if (e instanceof CaptivateError) console.log(e.code);
  }
  for await (const ev of conversation.events()) {
    console.log(describeEvent(ev));
    if (ev.kind === 'bot_message') break;
  }
  const { conversations, pagination } = await api.getUserConversations({ userId: 'user-1', pagination: { page: 1, limit: 10 } });
  console.log(conversations.map((c) => c.getConversationId()), pagination?.hasNextPage);
  // The socket: a WebSocket over the client's connection, the one object across reconnects.
  const socket = api.getSocket();
  if (socket instanceof CaptivateSocket) {
    const frames: string[] = [];
    socket.onmessage = (e: MessageEvent) => frames.push(String(e.data));
    socket.addEventListener('close', (e) => console.log(e.code, e.reason, e.wasClean, socket.readyState === CaptivateSocket.CONNECTING ? 'reconnecting' : 'done'));
    socket.addEventListener('error', (e) => console.log((e as SocketErrorEvent).message, (e as SocketErrorEvent).error.code));
    console.log(socket.url, socket.bufferedAmount, frames.length);
  }
  const manager = await CaptivateChatManager.create([apiKey, 'second key'], 'dev');
  const across = await manager.getUserConversations({ userId: 'user-1' });
  for (const c of across.conversations) console.log(c.apiKey, c.metadata);
  await manager.disposeAll();
  const reply = await api.requestRaw('metadata_request', { conversation_id: id }, 'conversation_metadata');
  console.log(describeEvent(reply));
  const transcript = await conversation.getTranscript();
  await conversation.delete({ softDelete: false });
  await api.deleteUserConversations('user-1', { softDelete: true });
  offState();
  await api.dispose();
  return transcript;
}
