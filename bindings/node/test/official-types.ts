// Compiled (not run) by `tsc --strict --noEmit`: code typed the way the official
// captivate-chat-api 7.0.0 declares its API compiles against this package's declarations.
// The interfaces below restate the official signatures (return types, callback types) that
// such code relies on; each class of this package must be assignable to them, and the
// functions after them use this package the way code written for the official types does.
import {
  CaptivateChatAPI,
  CaptivateChatFileManager,
  CaptivateChatManager,
  type Conversation,
  type TtlDays,
} from 'captivate-chat';

/** A file as the official declarations type it. */
interface OfficialFile {
  filename: string;
  type: string;
  url?: string;
  storage?: { fileKey: string; presignedUrl: string; expiresIn: number; fileSize: number; processingTime: number };
  textContent: { type: 'file_content'; text: string; metadata: { source: 'file_attachment'; originalFileName: string; storageType?: 'direct' } };
}

interface OfficialConversation {
  apiKey: string;
  fileManager: any;
  setTimeToLive(days: number): Promise<void>;
  restartListeners(): void;
  onMessage(callback: (message: string, type: string) => void): void;
  // The official declarations type the actions as a tuple of exactly one; here they are an
  // array of any length (a callback declared with that tuple type does not fit, an inline
  // one does: see officialStyle).
  onActionReceived(callback: (actions: { id: string; data: any }[]) => void): void;
  onConversationUpdate(callback: (update: any) => void): void;
  onError(callback: (error: any) => void): void;
  sendMessage(content: object | string): Promise<void>;
  setMetadata(metadata: object): Promise<void>;
  setPrivateMetadata(privateMeta: object): Promise<void>;
  sendAction(actionId: string, data?: object): Promise<void>;
  getTranscript(): Promise<object[]>;
  getMetadata(): Promise<object>;
  delete(options?: { softDelete?: boolean }): Promise<void>;
  editMessage(messageId: string, content: object | string): Promise<void>;
  getConversationId(): string;
}

interface OfficialApi {
  connect(): Promise<void>;
  createConversation(
    userId: string,
    userBasicInfo?: object,
    metadata?: Record<string, any>,
    autoConversationStart?: 'bot-first' | 'user-first',
    privateMetadata?: object,
  ): Promise<OfficialConversation>;
  getConversation(conversationId: string): OfficialConversation | void;
  getUserConversations(
    userIdOrOptions:
      | string
      | { userId: string; filter?: object; search?: object; pagination?: { page?: string | number; limit?: string | number }; apiKeys?: string[] },
  ): Promise<{
    conversations: OfficialConversation[];
    pagination?: { hasNextPage: boolean; hasPrevPage: boolean; page: number; pageSize: number; total: number; totalPages: number };
  }>;
  deleteUserConversations(userId: string, options?: { softDelete?: boolean }): Promise<void>;
  getSocketId(): string | null;
  getSocket(): WebSocket | null;
  isSocketActive(): boolean;
  reconnect(): Promise<void>;
  dispose(): void;
}

interface OfficialManager {
  connectAll(): Promise<void>;
  getUserConversations(options: {
    userId: string;
    apiKeys?: string[];
    filter?: object;
    search?: object;
    pagination?: { page?: string | number; limit?: string | number };
  }): Promise<{ conversations: OfficialConversation[]; pagination?: any }>;
  getApiInstance(apiKey: string): OfficialApi | undefined;
  dispose(apiKey: string): void;
  disposeAll(): void;
}

interface OfficialFileManager {
  readonly type: 'files';
  readonly files: OfficialFile[];
  getFirstFile(): OfficialFile;
  getFilename(): string;
  getTextContent(): string;
  getFileType(): string;
  toFilesArray(): OfficialFile[];
  readonly length: number;
  refreshSecureUrl(expiresIn?: number): Promise<string | undefined>;
  [Symbol.iterator](): Iterator<OfficialFile>;
}

/** The statics, as the official declarations type them. */
interface OfficialApiStatics {
  create(apiKey: string, mode?: 'prod' | 'dev'): Promise<OfficialApi>;
  getInstance(apiKey: string, mode?: 'prod' | 'dev'): OfficialApi | undefined;
  hasInstance(apiKey: string, mode?: 'prod' | 'dev'): boolean;
  setDebugMode(enabled: boolean): void;
  getDebugMode(): boolean;
}
interface OfficialFileStatics {
  create(options: { file: File | Blob; fileName?: string; fileType?: string; storage?: boolean; url?: string; apiKey?: string; conversationId?: string; ttlDays?: TtlDays }): Promise<OfficialFileManager>;
  createFile(options: { file: File | Blob; fileName?: string; storage?: boolean; url?: string }): Promise<{ filename: string; type: string; textContent: OfficialFile['textContent'] }>;
  createMultiple(options: { files: (File | Blob)[]; storage?: boolean; urls?: string[]; apiKey?: string; conversationId?: string; ttlDays?: TtlDays }): Promise<OfficialFileManager>;
  getSecureFileUrl(fileKey: string, expiresIn?: number): Promise<string>;
}
interface OfficialManagerStatics {
  create(apiKeys: string[], mode?: 'prod' | 'dev'): Promise<OfficialManager>;
}

// This package's classes, where code typed against the official ones expects those.
export const apiStatics: OfficialApiStatics = CaptivateChatAPI;
export const fileStatics: OfficialFileStatics = CaptivateChatFileManager;
export const managerStatics: OfficialManagerStatics = CaptivateChatManager;
export const asOfficialApi = (api: CaptivateChatAPI): OfficialApi => api;
export const asOfficialConversation = (c: Conversation): OfficialConversation => c;
export const asOfficialManager = (m: CaptivateChatManager): OfficialManager => m;
export const asOfficialFiles = (f: CaptivateChatFileManager): OfficialFileManager => f;
export const constructors: [new (apiKey: string, mode?: 'prod' | 'dev') => OfficialApi, new (apiKeys: string[], mode?: 'prod' | 'dev') => OfficialManager] = [
  CaptivateChatAPI,
  CaptivateChatManager,
];

// Code written for the official types.
const onMessage: (message: string, type: string) => void = (message, type) => console.log(type, message.length);

export async function officialStyle(apiKey: string, file: Blob): Promise<void> {
  const api = await CaptivateChatAPI.create(apiKey, 'prod');
  const conversation = await api.createConversation('user-1');
  conversation.onMessage(onMessage);
  conversation.onMessage((message, type) => console.log(`${type}: ${message.toUpperCase()}`));
  conversation.onActionReceived((actions) => console.log(actions[0].id, actions[0].data.anything));
  conversation.onConversationUpdate((update) => console.log(update.type, update.data.agentInfo));
  conversation.onError((error) => console.log(error.errorCode, error.errorDesc));
  const stopListening = (): void => conversation.onMessage(onMessage);
  stopListening();

  const send = async (text: string): Promise<void> => conversation.sendMessage(text);
  await send('hello');
  const sent: Promise<void> = conversation.sendMessage({ type: 'text', text: 'hi' });
  await sent;
  const content: object = { text: 'see attached', files: [] };
  await conversation.sendMessage(content);
  await conversation.editMessage('m-1', { type: 'text', text: 'Updated message text', files: [], actions: [] });
  const transcript: object[] = await conversation.getTranscript();
  const metadata: object = await conversation.getMetadata();
  console.log(transcript.length, metadata);

  const fileInput = await conversation.fileManager.create({ file, fileName: 'document.pdf' });
  await conversation.sendMessage({ text: 'the document', files: fileInput });
  const legacy = await CaptivateChatFileManager.create({ file, fileName: 'document.pdf', ttlDays: 7 });
  const many = await Promise.all([file, file].map((f) => CaptivateChatFileManager.create({ file: f })));
  await conversation.sendMessage({ text: 'all of them', files: many.flatMap((m) => m) });
  const refreshed: string | undefined = await legacy.refreshSecureUrl();
  console.log(refreshed, legacy.getTextContent().length);

  const found = api.getConversation(conversation.getConversationId());
  if (found) await found.delete({ softDelete: false });
  const { conversations, pagination } = await api.getUserConversations({ userId: 'user-1', pagination: { page: '1', limit: '10' } });
  console.log(conversations.length, pagination?.totalPages);

  const socket = api.getSocket();
  if (socket && socket.readyState === socket.OPEN) console.log('open');

  // The socket as the official declarations type it: the global WebSocket.
  const ws: WebSocket | null = api.getSocket();
  if (ws !== null) {
    ws.onmessage = (e: MessageEvent) => console.log(JSON.parse(e.data).event?.event_type);
    ws.onopen = (e: Event) => console.log(e.type, ws.url);
    ws.onclose = (e) => console.log(e.code, e.reason, e.wasClean);
    ws.onerror = (e) => console.log(e.type);
    const onFrame = (e: MessageEvent): void => console.log(String(e.data).length);
    ws.addEventListener('message', onFrame);
    ws.removeEventListener('message', onFrame);
    ws.addEventListener('close', (e) => console.log(e.code, e.wasClean));
    ws.addEventListener('open', () => console.log(ws.readyState === ws.OPEN, ws.readyState === ws.CONNECTING));
    const buffered: number = ws.bufferedAmount;
    ws.binaryType = 'arraybuffer';
    const kind: 'blob' | 'arraybuffer' = ws.binaryType;
    console.log(buffered, kind, ws.protocol, ws.extensions, ws.dispatchEvent(new Event('custom')));
    ws.send(JSON.stringify({ action: 'sendMessage', event: { event_type: 'user_message', event_payload: {} } }));
    ws.send(new TextEncoder().encode('{}'));
    ws.close(1000, 'done');
  }

  const manager = await CaptivateChatManager.create([apiKey, 'another key'], 'dev');
  const listed = await manager.getUserConversations({ userId: 'user-1', apiKeys: [apiKey] });
  console.log(listed.conversations.map((c) => c.getConversationId()), listed.pagination);
  const disposeAll = (): void => manager.disposeAll();
  disposeAll();
  const close = (): void => api.dispose();
  close();
}
