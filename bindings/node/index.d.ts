// Type definitions of captivate-chat (hand-written; test/package.test.mjs checks them against the
// runtime, and `tsc --strict` checks the tests and examples against them).

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
 * library's error table has one class deriving from this one (the same names as in Python).
 */
export class CaptivateError extends Error {
  constructor(message: string, code?: ErrorCode, details?: ErrorDetails);
  /** Stable across versions. */
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
}
/** An argument had the right type but an unacceptable value (TTL not 1/7/30/90, empty id, unknown option, ...). */
export class InvalidArgument extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'invalid_argument';
  readonly code: 'invalid_argument';
}
/** The hub refused the API key at the handshake. */
export class Rejected extends CaptivateError {
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
export class Timeout extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'timeout';
  readonly code: 'timeout';
  readonly operation: string;
  readonly millis: number;
  readonly clientMsgId?: string;
  readonly unconfirmed?: boolean;
}
/** The connection was lost before the call completed. */
export class ConnectionLost extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'connection_lost';
  readonly code: 'connection_lost';
}
/** A message was written to a connection that died right after; the hub may not have it. */
export class PossiblyNotDelivered extends CaptivateError {
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
export class QueueFull extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'queue_full';
  readonly code: 'queue_full';
}
/** The client is disposed (or closed, or not connected yet). */
export class Closed extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'closed';
  readonly code: 'closed';
}
/** The connection failed for good (reconnecting gave up, or is disabled). */
export class Failed extends CaptivateError {
  constructor(message: string, details?: ErrorDetails);
  static readonly code: 'failed';
  readonly code: 'failed';
}
/** A frame exceeds the configured maximum size. */
export class FrameTooLarge extends CaptivateError {
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

// ----- events ------------------------------------------------------------------------------

/** A file of a message. */
export interface FileRef {
  url: string;
  /** MIME type. */
  type?: string;
  filename?: string;
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
  data: Json;
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
  content: ContentItem[];
  /** True when it arrived as a 413 `message_link` and was fetched. */
  fetchedFromLink: boolean;
  /** True when it was missed while the connection was down and recovered from the transcript. */
  recovered: boolean;
}
export interface LivechatMessageEvent extends HubEventBase {
  kind: 'livechat_message';
  messageId: string | null;
  text: string | null;
  content: ContentItem[];
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
  data: Json;
  update: ConversationUpdateEvent['update'];
  event: ConversationUpdateEvent;
}

/** Removes the listener it was returned for. */
export type Unsubscribe = () => void;

/** A message: text, or `{text?, files?}` (`type` of the official `{type: 'text', text}` is ignored). */
export type MessageContent = string | { text?: string; files?: FileRef[] | FileRef; type?: string };

// ----- Conversation ------------------------------------------------------------------------

export class Conversation {
  private constructor();
  /** The conversation's id. */
  readonly conversationId: string;
  /** The conversation's id. */
  readonly id: string;
  /** The metadata it was created or listed with, when known. */
  metadata: Json | undefined;
  /** The conversation's id (the official name). */
  getConversationId(): string;
  /** Kept for the official API; does nothing (listeners survive reconnects). */
  restartListeners(): void;

  /** Sends a message; resolves to its `client_msg_id` (a UUID). */
  sendMessage(content: MessageContent): Promise<string>;
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
  /** The transcript, oldest first. */
  getTranscript(): Promise<TranscriptEntry[]>;
  /** Deletes the conversation, soft by default. */
  delete(options?: { softDelete?: boolean }): Promise<void>;

  /**
   * Bot (`'ai_agent'`) and live-agent (`'human_agent'`) messages: `message` is the message's
   * content items, as in the official client; hub errors come as `('[Error: ...]', 'error')`.
   */
  onMessage(callback: (message: ContentItem[] | string, type: MessageType, event: CaptivateEvent) => void): Unsubscribe;
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
  /** Events kept for a stream not opened yet (10000). */
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
  /** Resolve `create` at once and connect in the background (this package's own option). */
  lazy?: boolean;
}

/** One option of the schema, as {@link OPTIONS} lists it. */
export interface OptionSpec {
  /** Its name in a {@link CaptivateOptions} object (`requestTimeoutMs`; `reconnect.initialDelayMs` is nested). `apiKey` and `mode` are arguments of `create`. */
  readonly name: string;
  /** Its name in the schema (snake_case, also accepted). */
  readonly schemaName: string;
  /** What it takes. */
  readonly type: 'text' | 'one_of' | 'millis' | 'flag' | 'count';
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

export class CaptivateChatAPI {
  /** Validates the options; `connect()` connects. Prefer {@link CaptivateChatAPI.create}. */
  constructor(apiKey: string, mode?: 'prod' | 'dev', options?: CaptivateOptions);
  /** Connects and resolves to the client once the hub said `socket_connected`. */
  static create(apiKey: string, mode?: 'prod' | 'dev', options?: CaptivateOptions): Promise<CaptivateChatAPI>;
  /** The most recent live (created and not disposed) client for an API key and mode. */
  static getInstance(apiKey: string, mode?: 'prod' | 'dev'): CaptivateChatAPI | undefined;
  /** True when a live client exists for an API key and mode. */
  static hasInstance(apiKey: string, mode?: 'prod' | 'dev'): boolean;
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

  /** Closes gracefully and ends every iterator; the process can then exit. Calls made afterwards reject with Closed at once. */
  dispose(): Promise<void>;
}

/** The file time-to-live values the hub accepts. */
export const TIME_TO_LIVE_DAYS: readonly number[];
/** Every option {@link CaptivateChatAPI.create} takes, from the library's one schema. */
export const OPTIONS: readonly OptionSpec[];
/** The package's version. */
export const version: string;
