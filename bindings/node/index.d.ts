// Type definitions of captivate-chat (hand-written; test/package.test.mjs checks them against the
// runtime, and `tsc --strict` checks the tests and examples against them). Code typed against the
// official captivate-chat-api declarations compiles against these (test/official-types.ts):
// where the official types say `void`, a listener's unsubscribe function and `dispose()`'s
// Promise are typed as `void` too, and `sendMessage` resolves to `any`. As there, `getSocket()`
// is typed with the global `WebSocket` (of the DOM library, or of @types/node 20 and later).

/** A JSON value as the hub sends it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };

// ----- errors ------------------------------------------------------------------------------

/** The stable codes of {@link CaptivateError}. */
export type ErrorCode =
  | 'invalid_argument'
  | 'rejected'
  | 'connect'
  | 'timeout'
  | 'connection_lost'
  | 'possibly_not_delivered'
  | 'hub'
  | 'queue_full'
  | 'closed'
  | 'failed'
  | 'frame_too_large'
  | 'protocol'
  | 'http'
  | 'internal';

/** Extra fields some errors carry (also set on the error itself). */
export interface ErrorDetails {
  /** HubError: the hub's error code (e.g. 400). */
  hubCode?: number | string | null;
  /** HubError: the hub's description. */
  description?: string;
  /** HubError: the conversation it concerns. */
  conversationId?: string | null;
  /** PossiblyNotDelivered, and Timeout of an unconfirmed message: the message's id, to find it in the transcript. */
  clientMsgId?: string;
  /** Rejected: the HTTP status of the refused handshake. */
  status?: number;
  /** Timeout: what timed out. */
  operation?: string;
  /** Timeout: the limit, in milliseconds. */
  millis?: number;
  /** Timeout: the message was not confirmed in time (at-least-once delivery); a `delivery` event tells its outcome later. */
  unconfirmed?: boolean;
}

/**
 * The base class of every error of this package. The hierarchy is flat: each kind of the
 * library's error table has one class deriving from this one, its name ending in `Error`
 * (`TimeoutError`, `ClosedError`, ...); the names of the first versions without it remain as
 * deprecated aliases.
 */
export class CaptivateError extends Error {
  constructor(message: string, code?: ErrorCode, details?: ErrorDetails);
  /** Stable across versions. */
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
}
/** An argument had the right type but an unacceptable value (TTL not 1/7/30/90, empty id, unknown option, ...). */
export class InvalidArgumentError extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'invalid_argument';
  readonly code: 'invalid_argument';
}
/** The hub refused the API key at the handshake. */
export class RejectedError extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'rejected';
  readonly code: 'rejected';
  readonly status: number;
}
/** The connection could not be made (DNS, TCP, TLS, WebSocket handshake). */
export class ConnectError extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'connect';
  readonly code: 'connect';
}
/** The reply (or the proof of delivery) did not come in time. */
export class TimeoutError extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'timeout';
  readonly code: 'timeout';
  readonly operation: string;
  readonly millis: number;
  readonly clientMsgId?: string;
  readonly unconfirmed?: boolean;
}
/** The connection was lost before the call completed. */
export class ConnectionLostError extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'connection_lost';
  readonly code: 'connection_lost';
}
/** A message was written to a connection that died right after; the hub may not have it. */
export class PossiblyNotDeliveredError extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'possibly_not_delivered';
  readonly code: 'possibly_not_delivered';
  readonly clientMsgId: string;
}
/** The hub answered with a `general_error`. */
export class HubError extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'hub';
  readonly code: 'hub';
  readonly hubCode: number | string | null;
  readonly description: string;
  readonly conversationId: string | null;
}
/** The offline queue is full. */
export class QueueFullError extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'queue_full';
  readonly code: 'queue_full';
}
/** The client is disposed (or closed, or not connected yet). */
export class ClosedError extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'closed';
  readonly code: 'closed';
}
/** The connection failed for good (reconnecting gave up, or is disabled). */
export class FailedError extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'failed';
  readonly code: 'failed';
}
/** A frame exceeds the configured maximum size. */
export class FrameTooLargeError extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'frame_too_large';
  readonly code: 'frame_too_large';
}
/** The hub sent something that is not the protocol. */
export class ProtocolError extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'protocol';
  readonly code: 'protocol';
}
/** An HTTP request failed. Reserved: not thrown by this version (a failed fetch of a large message delivers the hub's 413 error event in its place). */
export class HttpError extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'http';
  readonly code: 'http';
}
/** A bug in this library. */
export class InternalError extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'internal';
  readonly code: 'internal';
}

/** @deprecated The same class as InvalidArgumentError. */
export const InvalidArgument: typeof InvalidArgumentError;
/** @deprecated The same type as InvalidArgumentError. */
export type InvalidArgument = InvalidArgumentError;
/** @deprecated The same class as RejectedError. */
export const Rejected: typeof RejectedError;
/** @deprecated The same type as RejectedError. */
export type Rejected = RejectedError;
/** @deprecated The same class as TimeoutError. */
export const Timeout: typeof TimeoutError;
/** @deprecated The same type as TimeoutError. */
export type Timeout = TimeoutError;
/** @deprecated The same class as ConnectionLostError. */
export const ConnectionLost: typeof ConnectionLostError;
/** @deprecated The same type as ConnectionLostError. */
export type ConnectionLost = ConnectionLostError;
/** @deprecated The same class as PossiblyNotDeliveredError. */
export const PossiblyNotDelivered: typeof PossiblyNotDeliveredError;
/** @deprecated The same type as PossiblyNotDeliveredError. */
export type PossiblyNotDelivered = PossiblyNotDeliveredError;
/** @deprecated The same class as QueueFullError. */
export const QueueFull: typeof QueueFullError;
/** @deprecated The same type as QueueFullError. */
export type QueueFull = QueueFullError;
/** @deprecated The same class as ClosedError. */
export const Closed: typeof ClosedError;
/** @deprecated The same type as ClosedError. */
export type Closed = ClosedError;
/** @deprecated The same class as FailedError. */
export const Failed: typeof FailedError;
/** @deprecated The same type as FailedError. */
export type Failed = FailedError;
/** @deprecated The same class as FrameTooLargeError. */
export const FrameTooLarge: typeof FrameTooLargeError;
/** @deprecated The same type as FrameTooLargeError. */
export type FrameTooLarge = FrameTooLargeError;

// ----- events ------------------------------------------------------------------------------

/** Where the file-to-text service keeps an uploaded file. */
export interface FileStorage {
  /** The file's key in the store. */
  fileKey: string;
  /** A link to the file that works until `expiresIn`. */
  presignedUrl: string;
  /** When the link expires, in unix seconds. */
  expiresIn: number;
  /** The file's size in bytes. */
  fileSize: number;
  /** How long the service took, as it reports it. */
  processingTime: number;
}

/** The text the file-to-text service extracted from a file. */
export interface FileTextContent {
  type: 'file_content';
  text: string;
  metadata: {
    source: 'file_attachment';
    originalFileName: string;
    storageType?: 'direct';
  };
}

/**
 * A file of a message: one with a `url`, or an upload of the file-to-text service (with
 * `storage` unless it was uploaded without, and `textContent`).
 */
export interface FileRef {
  /** Where it can be downloaded (absent for a stored upload: see `storage.presignedUrl`). */
  url?: string;
  /** MIME type. */
  type?: string;
  filename?: string;
  storage?: FileStorage;
  textContent?: FileTextContent;
}

/**
 * The bytes of a file to upload: a Buffer or Uint8Array, an ArrayBuffer, a Blob or File, a
 * readable stream (`fs.createReadStream`, any `Readable`, a web `ReadableStream`: read to its
 * end), or the path of a file.
 */
export type FileInput = string | Uint8Array | ArrayBuffer | BlobLike | AsyncIterable<Uint8Array | string>;

/** What a Blob or File offers (so that either can be uploaded). */
export interface BlobLike {
  arrayBuffer(): Promise<ArrayBuffer>;
  /** Its MIME type (`''` when unknown). */
  readonly type?: string;
  /** A File's name. */
  readonly name?: string;
}

/** The file object of an upload, ready to send in a message's `files`. */
export interface FileObject {
  filename: string;
  /** MIME type. */
  type: string;
  /** The input it was read from (not enumerable: neither printed nor sent). */
  file?: FileInput;
  /** Where it can be downloaded, for a file uploaded without storage. */
  url?: string;
  /** Where the service keeps it (uploads with storage, the default). */
  storage?: FileStorage;
  textContent: FileTextContent;
}

/** The file time-to-live values the service accepts, in days. */
export type TtlDays = 1 | 7 | 30 | 90;

/** What `CaptivateChatFileManager.create` (and `createFile`) take. */
export interface FileUploadOptions {
  file: FileInput;
  /** Default: the File's name, the path's last part (a file stream's too), or `attachment_<ms>`. Names and values are checked by the core's upload schema (InvalidArgumentError, as an unknown option). */
  fileName?: string;
  /** MIME type. Default: the Blob's type, else guessed from the name. */
  fileType?: string;
  /** Keep the file in the service's store (true, the default), or not (then `url` is needed). */
  storage?: boolean;
  /** Where the file can be downloaded, for a file not stored. */
  url?: string;
  /** With `conversationId`: the client of this key uploads, filing the file under that conversation. */
  apiKey?: string;
  conversationId?: string;
  /** How long the store keeps it; other values reject with InvalidArgument. */
  ttlDays?: TtlDays;
}

/** What `CaptivateChatFileManager.createMultiple` takes. */
export interface MultipleFileUploadOptions {
  files: FileInput[];
  storage?: boolean;
  /** Without storage: one URL per file. */
  urls?: string[];
  apiKey?: string;
  conversationId?: string;
  ttlDays?: TtlDays;
}

/** What `conversation.fileManager.create` (and `createFile`) take: the conversation supplies the API key, its id and its time-to-live. */
export interface ConversationUploadOptions {
  file: FileInput;
  fileName?: string;
  fileType?: string;
  storage?: boolean;
  url?: string;
  /** Overrides the conversation's time-to-live (`setTimeToLive`) for this upload. */
  ttlDays?: TtlDays;
}

/** What `conversation.fileManager.createMultiple` takes. */
export interface ConversationMultipleUploadOptions {
  files: FileInput[];
  storage?: boolean;
  urls?: string[];
  ttlDays?: TtlDays;
}

/**
 * A content item of a bot or live-chat message. Items of other types pass through as the hub
 * sent them; check `type` before reading fields.
 */
export type ContentItem =
  | { type: 'text'; text: string }
  | { type: 'buttons'; buttons: { title: string | null; options: { label: string; value: string }[] } }
  | { type: 'cards'; cards: Json }
  | { type: 'files'; files: FileRef[] };

/** An action of the flow (or of the application). */
export interface Action {
  id: string;
  type: string;
  /** As the flow sent it (typed `any`, as in the official client). */
  data: any;
}

/** The connection's state. */
export interface ConnectionState {
  state: 'initialized' | 'connecting' | 'connected' | 'disconnected' | 'suspended' | 'closing' | 'closed' | 'failed';
  /** connecting, disconnected: the attempt number. */
  attempt?: number;
  /** disconnected, suspended: when the next attempt starts. */
  retryInMs?: number;
  /** connected: the hub's id of the socket. */
  socketId?: string;
}

/** Fields of every event that came from the hub. */
export interface HubEventBase {
  /** The hub's event type, e.g. `bot_message` (`general_error` for kind `error`). */
  eventType: string;
  eventId: string | null;
  conversationId: string | null;
  /** The whole frame as received, parsed when first read (a getter on the prototype: not copied by spreading or JSON). */
  readonly raw: Json;
}

export interface BotMessageEvent extends HubEventBase {
  kind: 'bot_message';
  messageId: string | null;
  /** The text items joined with newlines, or null. */
  text: string | null;
  /** The content items, normalised (`button` read as `buttons`, files as `FileRef`s). */
  content: ContentItem[];
  /** The content exactly as the hub sent it, as `onMessage` passes it (a getter). */
  readonly hubContent: Json[];
  /** True when it arrived as a 413 `message_link` and was fetched. */
  fetchedFromLink: boolean;
  /** True when it was missed while the connection was down and recovered from the transcript. */
  recovered: boolean;
}
export interface LivechatMessageEvent extends HubEventBase {
  kind: 'livechat_message';
  messageId: string | null;
  text: string | null;
  /** The content items, normalised. */
  content: ContentItem[];
  /** The content exactly as the hub sent it, as `onMessage` passes it (a getter). */
  readonly hubContent: Json[];
  fetchedFromLink: boolean;
  /** True when it was missed while the connection was down and recovered from the transcript. */
  recovered: boolean;
}
export interface ActionEvent extends HubEventBase {
  kind: 'action';
  actions: Action[];
}
export interface ConversationUpdateEvent extends HubEventBase {
  kind: 'conversation_update';
  /** The hub's update type, e.g. `livechatAgentConnected`. */
  updateType: string;
  update: 'agent_connected' | 'agent_disconnected' | 'failed_agent_assignment' | 'other';
  data: Json;
}
export interface HubErrorEvent extends HubEventBase {
  kind: 'error';
  code: number | string | null;
  description: string;
  messageLink: string | null;
  /** True when it came nested in a `conversation_update`. */
  nested: boolean;
}
export interface SocketConnectedEvent extends HubEventBase {
  kind: 'socket_connected';
  socketId: string;
}
export interface MetadataEvent extends HubEventBase {
  kind: 'metadata';
  metadata: Json;
}
export interface TranscriptEvent extends HubEventBase {
  kind: 'transcript';
  entries: TranscriptEntry[];
}
export interface MessageEditedEvent extends HubEventBase {
  kind: 'message_edited';
  messageId: string | null;
}
export interface ConversationDeletedEvent extends HubEventBase {
  kind: 'conversation_deleted';
  userId: string | null;
}
export interface UserConversationsEvent extends HubEventBase {
  kind: 'user_conversations';
  conversations: { conversationId: string; metadata: Json; apiKey: string | null }[];
  pagination: Pagination | null;
}
export interface UnknownHubEvent extends HubEventBase {
  kind: 'unknown';
  payload: Json;
}
export interface SimpleHubEvent extends HubEventBase {
  kind: 'conversation_started' | 'metadata_updated';
}
/** The connection's state changed. */
export interface StateEvent {
  kind: 'state';
  previous: ConnectionState;
  current: ConnectionState;
  reason: string | null;
  /** Sends waiting to be written when it changed (queued while offline, or waiting for a resend). */
  queued: number;
}
/** The connection came back: events sent meanwhile may be missing (fetch the transcript). */
export interface DiscontinuityEvent {
  kind: 'discontinuity';
  conversationId: string;
}
/** The hub sent a frame that could not be decoded. */
export interface MalformedEvent {
  kind: 'malformed';
  error: string;
  text: string;
}
/** The late outcome of a message whose send failed with an unconfirmed Timeout (at-least-once delivery). */
export interface DeliveryEvent {
  kind: 'delivery';
  clientMsgId: string;
  conversationId: string | null;
  /** True when the hub proved it read the message; false when the client gave up on it. */
  delivered: boolean;
}
/** Nobody listened and the backlog overflowed. */
export interface LaggedEvent {
  kind: 'lagged';
  missed: number;
}

/** Everything a client or conversation delivers; switch on `kind`. */
export type CaptivateEvent =
  | BotMessageEvent
  | LivechatMessageEvent
  | ActionEvent
  | ConversationUpdateEvent
  | HubErrorEvent
  | SocketConnectedEvent
  | MetadataEvent
  | TranscriptEvent
  | MessageEditedEvent
  | ConversationDeletedEvent
  | UserConversationsEvent
  | UnknownHubEvent
  | SimpleHubEvent
  | StateEvent
  | DiscontinuityEvent
  | MalformedEvent
  | DeliveryEvent
  | LaggedEvent;

/** One message of a transcript. */
export interface TranscriptEntry {
  /** `user`, `bot`, `agent`, or what the hub said. */
  from: string;
  text: string | null;
  messages: ContentItem[];
  actions: Action[];
  files: FileRef[];
  eventId: string | null;
  messageId: string | null;
  channelName: string | null;
  chatbotName: string | null;
  livechatName: string | null;
  raw: Json;
}

/** The hub's paging of a conversation list. */
export interface Pagination {
  hasNextPage: boolean;
  hasPrevPage: boolean;
  page: number;
  pageSize: number;
  total: number;
  totalPages: number;
}

/** `onMessage`'s `type`: the bot, a live agent, or a hub error. */
export type MessageType = 'ai_agent' | 'human_agent' | 'error';

/** What `onError` receives. */
export interface ConversationError {
  conversationId: string | null;
  errorCode: number | string | null;
  errorDesc: string;
  messageLink: string | null;
  event: HubErrorEvent;
}

/** What `onConversationUpdate` receives. */
export interface ConversationUpdate {
  /** The hub's update type, e.g. `livechatAgentConnected`. */
  type: string;
  conversationId: string | null;
  /** As the hub sent it (typed `any`, as in the official client). */
  data: any;
  update: ConversationUpdateEvent['update'];
  event: ConversationUpdateEvent;
}

/**
 * Removes the listener it was returned for. (Also typed `void`, so that code written for the
 * official listeners, which return nothing, compiles.)
 */
export type Unsubscribe = (() => void) & void;

/**
 * The Promise of a `dispose`: it settles once the socket is closed. (Also typed `void`, so
 * that code written for the official, synchronous `dispose(): void` compiles.)
 */
export type Disposing = Promise<void> & void;

/** A message's files: file objects (with a `url`, or uploads), a file manager, or an array of either. */
export type MessageFiles = FileRef | CaptivateChatFileManager | ReadonlyArray<FileRef | CaptivateChatFileManager>;

/**
 * A message: text, or `{text?, files?}` (the official `{type: 'text', text}` and `{type:
 * 'files', files}` too; `type` is not needed).
 */
export type MessageContent = string | { text?: string; files?: MessageFiles; type?: string };

/** A conversation's uploads (`conversation.fileManager`), filed under it. */
export interface ConversationFileManager {
  /** Uploads one file (its text extracted; stored unless `storage: false`). */
  create(options: ConversationUploadOptions): Promise<CaptivateChatFileManager>;
  /** Uploads one file and resolves to its file object. */
  createFile(options: ConversationUploadOptions): Promise<FileObject>;
  /** Uploads several files at once. */
  createMultiple(options: ConversationMultipleUploadOptions): Promise<CaptivateChatFileManager>;
}

// ----- Conversation ------------------------------------------------------------------------

export class Conversation {
  private constructor();
  /** The conversation's id. */
  readonly conversationId: string;
  /** The conversation's id. */
  readonly id: string;
  /**
   * The metadata it was created or listed with (by `getUserConversations` of a client or of a
   * {@link CaptivateChatManager}: what the hub's listing said of it), when known; `getMetadata`
   * asks the hub.
   */
  metadata: Json | undefined;
  /** The API key of its client. */
  readonly apiKey: string;
  /** Uploads filed under this conversation, with its time-to-live. */
  readonly fileManager: ConversationFileManager;
  /** The conversation's id (the official name). */
  getConversationId(): string;
  /** Kept for the official API; does nothing (listeners survive reconnects). */
  restartListeners(): void;

  /**
   * Sends a message; resolves to its `client_msg_id` (a UUID). Typed `any`, so that code
   * written for the official `Promise<void>` compiles: annotate it `string`.
   */
  sendMessage(content: MessageContent): Promise<any>;
  /** Any other object is sent as its `text` and `files` (the official signature). */
  sendMessage(content: object | string): Promise<any>;
  /** Sets metadata, for everyone or one target; resolves on the hub's confirmation. */
  setMetadata(metadata: object, options?: { target?: 'default' | 'bot' | 'live' | 'bot_live' }): Promise<void>;
  /** Sets private metadata (for back-ends; stored under `private`). */
  setPrivateMetadata(privateMetadata: object): Promise<void>;
  /** Sets the time-to-live of the conversation's files; other values reject with InvalidArgument. */
  setTimeToLive(days: 1 | 7 | 30 | 90 | number): Promise<void>;
  /** The conversation's metadata (private metadata under `private`). */
  getMetadata(): Promise<JsonObject>;
  /** Sends an action (e.g. `escalateToHuman`); `type` defaults to `normal`. */
  sendAction(actionId: string, data?: object, type?: string): Promise<void>;
  /** Edits a message the user sent earlier. */
  editMessage(messageId: string, content: MessageContent): Promise<void>;
  /** Any other object is sent as its `text` and `files` (the official signature). */
  editMessage(messageId: string, content: object | string): Promise<void>;
  /** The transcript, oldest first. */
  getTranscript(): Promise<TranscriptEntry[]>;
  /** Deletes the conversation, soft by default; the client then lets go of this object (`getConversation` makes a new one). */
  delete(options?: { softDelete?: boolean }): Promise<void>;

  /**
   * Bot (`'ai_agent'`) and live-agent (`'human_agent'`) messages: `message` is the message's
   * content exactly as the hub sent it (the event's `hubContent`: every item kind and field,
   * the hub's own spellings), as in the official client; hub errors come as
   * `('[Error: ...]', 'error')`. `message` is typed `any` because the official client declares
   * it a string (so code written for it compiles); the typed event is the third argument.
   */
  onMessage(callback: (message: any, type: MessageType, event: BotMessageEvent | LivechatMessageEvent | HubErrorEvent) => void): Unsubscribe;
  /** Hub errors about this conversation. */
  onError(callback: (error: ConversationError) => void): Unsubscribe;
  /** Conversation updates: agent connected, disconnected, ... */
  onConversationUpdate(callback: (update: ConversationUpdate) => void): Unsubscribe;
  /** Actions sent by the flow. */
  onActionReceived(callback: (actions: Action[], event: ActionEvent) => void): Unsubscribe;
  /** Every event of this conversation (typed; `raw` read on demand), including connection states and discontinuities. */
  onEvent(callback: (event: CaptivateEvent) => void): Unsubscribe;
  /** This conversation's events as an async iterator; ends on `break` or when the client is disposed (at once when opened after). */
  events(): AsyncIterableIterator<CaptivateEvent>;
  [Symbol.asyncIterator](): AsyncIterableIterator<CaptivateEvent>;
}

// ----- CaptivateChatAPI --------------------------------------------------------------------

/**
 * Options of {@link CaptivateChatAPI.create}: the library's one schema (see {@link OPTIONS}),
 * the same in every front end, in camelCase (snake_case is accepted too). Times are in
 * milliseconds; `null` leaves an option at its default; an unknown name rejects with
 * InvalidArgument.
 */
export interface CaptivateOptions {
  /** Any hub's `ws://` or `wss://` URL, without the apiKey query (wins over `mode`). */
  url?: string | null;
  /** `prod`, `dev` or a URL: `mode` and `url` in one. */
  endpoint?: string | null;
  /** From starting a connection to `socket_connected` (10000). */
  connectTimeoutMs?: number | null;
  /** The wait for a reply or a delivery proof, from the write (10000). */
  requestTimeoutMs?: number | null;
  /** The wait for `metadata_update_success` (15000). */
  metadataTimeoutMs?: number | null;
  /** A WebSocket ping every this long (25000). */
  pingIntervalMs?: number | null;
  /** The link is dead when nothing arrives this long after a ping (10000). */
  livenessGraceMs?: number | null;
  /** The wait for the closing handshake (2000). */
  closeTimeoutMs?: number | null;
  /** Reconnecting after a drop. */
  reconnect?: {
    /** Reconnect after a drop (true). */
    enabled?: boolean | null;
    /** The first backoff step (1000). */
    initialDelayMs?: number | null;
    /** The backoff's cap (30000). */
    maxDelayMs?: number | null;
    /** Give up after this many failed attempts in a row (0: never). */
    maxAttempts?: number | null;
    /** The attempt count resets after being connected this long (30000). */
    resetAfterMs?: number | null;
    /** After this long without a connection, queued sends fail and retries slow down (120000). */
    suspendAfterMs?: number | null;
    /** The retry interval while suspended (30000). */
    suspendedRetryMs?: number | null;
  } | null;
  /** Queue sends made while not connected (true). */
  queueWhileOffline?: boolean | null;
  /** The most sends queued (1000). */
  maxQueuedEvents?: number | null;
  /** The most bytes queued (1048576). */
  maxQueuedBytes?: number | null;
  /** `at-most-once` (default) or `at-least-once`. */
  delivery?: 'at-most-once' | 'at-least-once' | null;
  /** Recent event ids remembered to drop duplicates (1024; 0: off). */
  dedupeWindow?: number | null;
  /** Recover missed messages from the transcript after a reconnect, delivered with `recovered: true` before newer ones (true). */
  catchUp?: boolean | null;
  /** Events kept for a conversation nobody listens to yet, or waiting in an `events()` iterator read too slowly (10000); past that the oldest go and a `lagged` event counts them. */
  maxBacklog?: number | null;
  /** Roots trusted for wss: webpki (default), system, both, none. */
  tlsRoots?: 'webpki' | 'system' | 'both' | 'none' | null;
  /** A PEM file of extra CA certificates (a private hub). */
  caFile?: string | null;
  /** Extra CA certificates as PEM text. */
  caPem?: string | null;
  /** The largest frame sent or accepted, in bytes (1048576). */
  maxFrameSize?: number | null;
  /** Operation names: current (default) or legacy. */
  dialect?: 'current' | 'legacy' | null;
  /** Give every conversation its own socket (false). */
  socketPerConversation?: boolean | null;
  /** Fetch 413 large messages from their link and deliver them as ordinary messages (true). */
  fetchLargeMessages?: boolean | null;
  /** How requests travel: `socket` (default) or `http` (POSTed with the socket's id, as the official client; events still arrive on the socket). */
  transport?: 'socket' | 'http' | null;
  /** The HTTP base of the hub's services (HTTP sends, the REST transcript); default: by mode, or the hub's own host for a `url`. */
  httpUrl?: string | null;
  /** The base of the file-to-text service (uploads, presigned links); default: the official one, or the hub's own host for a `url`. */
  filesUrl?: string | null;
  /** More hosts, besides the hub's own and the official ones, that may receive the API key. */
  trustedHosts?: string[] | null;
  /** Refresh file links about to expire when reading a transcript, and push them back to the hub, as the official client (true). */
  refreshFileLinks?: boolean | null;
  /** Resolve `create` at once and connect in the background (this package's own option). */
  lazy?: boolean;
  /**
   * Share the client: `new` and `create` return the one client of an API key, mode and options
   * until it is disposed, as the official registry (true, this package's own option). `false`
   * makes a client of its own, which `getInstance` does not find.
   */
  shared?: boolean;
}

/** One option of the schema, as {@link OPTIONS} lists it. */
export interface OptionSpec {
  /** Its name in a {@link CaptivateOptions} object (`requestTimeoutMs`; `reconnect.initialDelayMs` is nested). `apiKey` and `mode` are arguments of `create`. */
  readonly name: string;
  /** Its name in the schema (snake_case, also accepted). */
  readonly schemaName: string;
  /** What it takes. */
  readonly type: 'text' | 'one_of' | 'millis' | 'flag' | 'count' | 'text_list';
  /** The values a `one_of` option takes. */
  readonly values: readonly string[] | null;
  /** What it sets. */
  readonly doc: string;
}

/** A log level, from the most severe. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** One log record of the library (API keys removed). */
export interface LogRecord {
  level: LogLevel;
  /** Where it comes from, e.g. `captivate::driver` or `tungstenite::protocol` (`captivate_chat` for this package's own). */
  target: string;
  message: string;
}

/** Options of {@link CaptivateChatAPI.getUserConversations}. */
export interface UserConversationsOptions {
  userId: string;
  filter?: object;
  search?: object;
  pagination?: { page?: string | number; limit?: string | number };
  apiKeys?: string[];
}

/**
 * A client of the hub: one WebSocket, shared by its conversations. There is one client per API
 * key, mode and options (the official registry): `new` and `create` return it until it is
 * disposed (unless `shared: false`).
 */
export class CaptivateChatAPI {
  /** The client of these arguments (the existing one, or a new one after validating the options); `connect()` connects. Prefer {@link CaptivateChatAPI.create}. */
  constructor(apiKey: string, mode?: 'prod' | 'dev', options?: CaptivateOptions);
  /** The client of these arguments, connected: resolves once the hub said `socket_connected` (an existing client not connected at the moment is reconnected first). */
  static create(apiKey: string, mode?: 'prod' | 'dev', options?: CaptivateOptions): Promise<CaptivateChatAPI>;
  /** The shared client of an API key and mode: with `options`, the one `new` would return; without, the most recent of that key and mode. */
  static getInstance(apiKey: string, mode?: 'prod' | 'dev', options?: CaptivateOptions): CaptivateChatAPI | undefined;
  /** True when {@link CaptivateChatAPI.getInstance} finds a client. */
  static hasInstance(apiKey: string, mode?: 'prod' | 'dev', options?: CaptivateOptions): boolean;
  /**
   * Debug mode: prints the library's log records of `level` (default 'debug') and above with
   * console.log, as `[captivate] LEVEL target: message`, and notes every event delivered to a
   * listener. Process-wide, like the official switch.
   */
  static setDebugMode(enabled: boolean, level?: LogLevel): void;
  /** Whether debug mode is on. */
  static getDebugMode(): boolean;
  /** Hands the library's log records of `level` (default 'info') and above to `logger`; `null` stops. */
  static setLogger(logger: ((record: LogRecord) => void) | null, level?: LogLevel): void;
  readonly mode: 'prod' | 'dev';
  /** Connects (once). */
  connect(): Promise<void>;

  createConversation(
    userId: string,
    userBasicInfo?: object,
    metadata?: object,
    autoConversationStart?: 'bot-first' | 'user-first',
    privateMetadata?: object,
  ): Promise<Conversation>;
  /** A conversation by id; its events are routed to it from now on. */
  getConversation(conversationId: string): Conversation;
  getUserConversations(
    userIdOrOptions: string | UserConversationsOptions,
  ): Promise<{ conversations: Conversation[]; pagination?: Pagination }>;
  deleteUserConversations(userId: string, options?: { softDelete?: boolean }): Promise<void>;

  /**
   * The socket, as the official client hands out its WebSocket: a WebSocket (a
   * {@link CaptivateSocket}) backed by this client's connection, the one object across
   * reconnects: `open` each time a connection is made, `close` each time one ends (then
   * `readyState` is `CONNECTING` while the client reconnects, `CLOSED` when it is done),
   * every frame from the hub a `message` (its `data` the frame's JSON text as the hub sent it).
   * Its `url` never holds the API key. Null before `connect()` and after `dispose()`.
   */
  getSocket(): WebSocket | null;
  /** True while connected. */
  isSocketActive(): boolean;
  getSocketId(): string | null;
  readonly socketId: string | null;
  readonly state: ConnectionState;
  /**
   * Reconnects after a failure, or retries at once while waiting to; resolves when connected,
   * rejects with the reason when that does not happen within the connect timeout.
   */
  reconnect(): Promise<void>;

  onStateChange(callback: (change: StateEvent) => void): Unsubscribe;
  /** Client-level events: states, and hub events that name no open conversation. */
  onEvent(callback: (event: CaptivateEvent) => void): Unsubscribe;
  /** Every frame from the hub, before routing and deduplication. */
  onRawEvent(callback: (event: CaptivateEvent) => void): Unsubscribe;
  /** Client-level events as an async iterator; ends on `break` or when the client is disposed (at once when opened after). */
  events(): AsyncIterableIterator<CaptivateEvent>;
  /** Errors thrown by listeners (without a handler they become process warnings). */
  onListenerError(callback: (error: unknown, event: CaptivateEvent | undefined) => void): Unsubscribe;

  /** Sends any event type with any payload; resolves once written. */
  sendRaw(eventType: string, payload: object): Promise<void>;
  /** Sends any event; resolves to the first `replyEventType` event (of `conversationId`, if given). */
  requestRaw(
    eventType: string,
    payload: object,
    replyEventType: string,
    options?: { conversationId?: string },
  ): Promise<CaptivateEvent>;

  /**
   * Closes gracefully and ends every iterator; the process can then exit. The client leaves
   * the registry at once (a later `create` makes a new one); calls made afterwards reject with
   * Closed at once. The Promise settles once the socket is closed (awaiting it is optional).
   */
  dispose(): Disposing;
}

/**
 * What {@link CaptivateChatAPI.getSocket} returns: a WebSocket (an EventTarget with every
 * member of one), backed by the client's connection, which reconnects by itself. The one
 * object stays valid across reconnects:
 *
 * - `open` fires each time a connection is made (the hub said `socket_connected`);
 * - `close` (a CloseEvent) fires each time an open connection ends: `readyState` is then
 *   `CONNECTING` when the client reconnects by itself, `CLOSED` when it is done (closed,
 *   disposed, or failed for good); also once when the client ends without a connection open.
 *   `code` and `reason` are those of the hub's close frame (`wasClean` true); a connection lost
 *   without one is 1006 (`wasClean` false), after an `error` event. A close by `close()` or
 *   `dispose()` is 1000;
 * - `message` (a MessageEvent) fires for every frame the hub sends, its `data` the frame's
 *   JSON text as the hub sent it (for the rarer frames the library keeps only as JSON, that JSON
 *   written again: the same value, its keys perhaps in another order), from the time the first
 *   `message` listener (or `onmessage`) is added;
 * - `error` (an ErrorEvent, whose `error` is the {@link CaptivateError}) fires when the
 *   connection is lost or cannot be made, and when a frame given to `send` could not be sent.
 */
/**
 * The `error` events of a {@link CaptivateSocket}. The WebSocket types type them as `Event`:
 * read them as this (`(e as SocketErrorEvent).error`).
 */
export interface SocketErrorEvent extends Event {
  /** What went wrong. */
  readonly message: string;
  /** The error: ConnectionLost or Connect when the connection was lost or not made, the send's error for a frame not sent. */
  readonly error: CaptivateError;
}

export class CaptivateSocket implements WebSocket {
  private constructor();
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
  /** The hub's WebSocket URL, without the API key (which is never shown). */
  readonly url: string;
  /** The subprotocol the hub chose: always `''`. */
  readonly protocol: string;
  /** The extensions the hub chose: always `''`. */
  readonly extensions: string;
  /** `CONNECTING` (also while reconnecting), `OPEN`, `CLOSING` or `CLOSED`. */
  readonly readyState: 0 | 1 | 2 | 3;
  /** The bytes of the frames given to `send` that are not written yet. */
  readonly bufferedAmount: number;
  /** `'blob'` (default) or `'arraybuffer'`; the hub sends text frames only, so it changes nothing. */
  binaryType: WebSocket['binaryType'];
  /** Called with the `open` Event each time a connection is made. */
  onopen: WebSocket['onopen'];
  /** Called with a MessageEvent for each frame from the hub (`data`: the frame's JSON text). */
  onmessage: WebSocket['onmessage'];
  /** Called with a CloseEvent (`code`, `reason`, `wasClean`) each time a connection ends. */
  onclose: WebSocket['onclose'];
  /** Called with an ErrorEvent ({@link SocketErrorEvent}): connection lost or not made, a frame not sent. */
  onerror: WebSocket['onerror'];
  /** Adds a listener of `open`, `message`, `close` or `error` (the first `message` listener starts the frames). */
  addEventListener: WebSocket['addEventListener'];
  /** Removes a listener. */
  removeEventListener: WebSocket['removeEventListener'];
  /** Dispatches an event to this socket's listeners. */
  dispatchEvent: WebSocket['dispatchEvent'];
  /**
   * Sends the JSON (a string, its bytes, or a Blob) of an envelope `{action: 'sendMessage',
   * event: {event_type, event_payload}}`; `bufferedAmount` counts it until it is written, and
   * a frame that could not be sent is an `error` event (without a listener, a process
   * warning). Throws Closed while connecting and InvalidArgument for anything else; does
   * nothing once closing or closed.
   */
  send(data: Parameters<WebSocket['send']>[0]): void;
  /**
   * Closes gracefully: disposes the client. The connection closes with code 1000 whatever
   * `code` says (1000 or 3000 to 4999, and `reason` at most 123 bytes, as a WebSocket checks:
   * InvalidArgument otherwise); `close` fires once it is closed.
   */
  close(code?: number, reason?: string): void;
}

/** The conversations of a user across several API keys, and the client of each key. */
export class CaptivateChatManager {
  /** The clients of `apiKeys` (each key once; the shared client of a key when there is one), not connected: `connectAll()` connects them. */
  constructor(apiKeys: string[], mode?: 'prod' | 'dev', options?: CaptivateOptions);
  /** The clients of `apiKeys`, connected. */
  static create(apiKeys: string[], mode?: 'prod' | 'dev', options?: CaptivateOptions): Promise<CaptivateChatManager>;
  /** Connects every client not connected yet. */
  connectAll(): Promise<void>;
  /**
   * A user's conversations across the keys (`apiKeys`, every key of the manager by default),
   * asked through the first key's client; each conversation is the one of the client of its
   * own key.
   */
  getUserConversations(options: UserConversationsOptions): Promise<{ conversations: Conversation[]; pagination?: Pagination }>;
  /** The client of an API key. */
  getApiInstance(apiKey: string): CaptivateChatAPI | undefined;
  /** Disposes the client of an API key and forgets it. */
  dispose(apiKey: string): Disposing;
  /** Disposes every client. */
  disposeAll(): Disposing;
}

/**
 * Uploaded files (their text extracted by the file-to-text service), ready to send:
 * `conversation.sendMessage({text, files: manager})`. Array-like: `manager[0]`,
 * `manager.length`, `for (const file of manager)`. The static methods upload through the most
 * recent client (of `apiKey`, when given); `conversation.fileManager` names the conversation.
 */
export class CaptivateChatFileManager implements Iterable<FileObject> {
  /** One file whose text is known already (uploads come from {@link CaptivateChatFileManager.create}). */
  constructor(file: FileInput, textContent: FileTextContent, type: string);
  /** Uploads one file. */
  static create(options: FileUploadOptions): Promise<CaptivateChatFileManager>;
  /** Uploads one file and resolves to its file object. */
  static createFile(options: FileUploadOptions): Promise<FileObject>;
  /** Uploads several files at once. */
  static createMultiple(options: MultipleFileUploadOptions): Promise<CaptivateChatFileManager>;
  /** A new presigned link to a stored file, valid `expiresIn` seconds (7200). */
  static getSecureFileUrl(fileKey: string, expiresIn?: number): Promise<string>;
  /** Always `'files'`. */
  readonly type: 'files';
  /** The file objects. */
  readonly files: FileObject[];
  /** How many files it holds. */
  readonly length: number;
  readonly [index: number]: FileObject;
  /** The first file object. */
  getFirstFile(): FileObject;
  /** The first file's name. */
  getFilename(): string;
  /** The text extracted from the first file (`''` when none). */
  getTextContent(): string;
  /** The first file's MIME type. */
  getFileType(): string;
  /** The file objects. */
  toFilesArray(): FileObject[];
  /** A new presigned link to the first file (which takes it too), valid `expiresIn` seconds (7200); undefined for a file not stored. */
  refreshSecureUrl(expiresIn?: number): Promise<string | undefined>;
  [Symbol.iterator](): Iterator<FileObject>;
}

/** The file time-to-live values the hub accepts. */
export const TIME_TO_LIVE_DAYS: readonly number[];
/** Every option {@link CaptivateChatAPI.create} takes, from the library's one schema. */
export const OPTIONS: readonly OptionSpec[];
/** The package's version. */
export const version: string;
