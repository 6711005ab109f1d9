// Type definitions of captivate-chat/testing (hand-written; test/testing.test.mjs checks them
// against the runtime, and `tsc --strict` checks test/testing-usage.ts against them).

import type { Json, JsonObject } from './index.js';

// ----- the bot's script --------------------------------------------------------------------

/**
 * What the bot or an agent says: a string (one text item), or a list of items: strings (text
 * items) and item objects as they are (`buttons`, `cards`, `files`, or any other `type`).
 */
export type ScriptContent = string | Array<string | { type: string; [key: string]: Json }>;

/**
 * One step of a rule (or of the greeting). Strings in steps may use the variables `{text}` (the
 * user's text), `{files}` (how many files), `{agent}` (the live agent's name), `{user_id}`,
 * `{conversation_id}`, `{http}` (the hub's HTTP base), `{state.KEY}` and a regex's groups
 * (`{1}`, `{name}`).
 */
export type ScriptStep =
  /** A bot message. */
  | { bot: ScriptContent }
  /** A live agent's message, after `after_ms` (default: the hub's `agentDelayMs`). */
  | { agent: ScriptContent; after_ms?: number }
  /** Waits before the next step. */
  | { delay_ms: number }
  /** A live agent takes the conversation (`conversation_update` `livechatAgentConnected`). */
  | { handover: { agent?: string } }
  /** The agent leaves (`livechatAgentDisconnected`). */
  | { end_handover: Record<string, never> }
  /** A `conversation_update`. */
  | { update: { type: string; data?: Json } }
  /** An `action` event to the client. */
  | { action: { type: string; id?: string; data?: Json } }
  /** A `general_error` about the conversation. */
  | { error: { code: number; desc?: string } }
  /** The hub's 413 `general_error` with a link to a bot message of this content (repeated). */
  | { large_message: ScriptContent | { text: string; repeat?: number }; repeat?: number }
  /** Merges into the conversation's state (for `when.state` and `{state.KEY}`). */
  | { set: JsonObject }
  /** Merges into the conversation's metadata. */
  | { metadata: JsonObject };

/** When a rule applies: every condition given must hold (none: any message with text). */
export interface ScriptWhen {
  /** The text, trimmed, equals this, ignoring case. */
  exact?: string;
  /** The same as `exact`: a button sends its value as the text. */
  button?: string;
  /** The text contains this, ignoring case. */
  contains?: string;
  /** A regular expression on the trimmed text; its groups are variables (`{1}`, `{name}`). */
  regex?: string;
  /** The message carries files (true) or none (false). */
  files?: boolean;
  /** An `action` event with this id (such rules match only actions). */
  action?: string;
  /** A `metadata` event setting these keys (to these values; `null`: any value). */
  metadata?: JsonObject;
  /** Whether a live agent has the conversation. */
  live?: boolean;
  /** The conversation's state (set by `set` steps) has these values. */
  state?: JsonObject;
}

/** A rule: the first whose `when` holds runs its `then` steps (the next ones too with `continue`). */
export interface ScriptRule {
  /** When it applies. */
  when?: ScriptWhen;
  /** What happens. */
  then: ScriptStep[];
  /** Whether the rules after it are tried too. */
  continue?: boolean;
}

/**
 * The bot's script, as data (the same in every language): `greeting` runs once per
 * conversation, on its first user message, before the rules; on each user message (and each
 * `action` or `metadata` event), the first rule that applies runs. Unknown keys are refused.
 */
export interface HubScript {
  /** The steps of the greeting. */
  greeting?: ScriptStep[];
  /** The rules, tried in order. */
  rules?: ScriptRule[];
}

// ----- the hub -----------------------------------------------------------------------------

/** The options of {@link startHub}. */
export interface HubOptions {
  /** The bot's script (default: the usual flow: a greeting, a hand-over to the agent Sam, ...). */
  script?: HubScript | null;
  /** The API key clients must present (default `test-key`). */
  apiKey?: string;
  /** More keys the hub accepts (for listings across keys). */
  extraApiKeys?: string[];
  /** Serve `wss://` with a generated self-signed certificate (`caPem` to trust). */
  tls?: boolean;
  /** How long the live agent takes to answer, in ms (default 50). */
  agentDelayMs?: number;
  /** Print the hub's notes (connections, faults, frames it ignores) on standard error; quiet by default. */
  log?: boolean;
  /** The port (default 0: a free one). */
  port?: number;
  /**
   * Put a fault-injecting TCP proxy in front of the hub: `clientOptions()` then sends clients
   * through it, and the `proxy*` members of {@link Hub} control it.
   */
  proxy?: boolean;
}

/**
 * Misbehaviour on demand (see {@link Hub.setFaults}); every fault is off unless given. The
 * controls (and the hub's inspection) are never affected.
 */
export interface HubFaults {
  /** Delays every reply and pushed event by this many ms. */
  replyDelayMs?: number;
  /** Request event types the hub ignores silently (no reply, no processing). */
  neverAnswer?: string[];
  /** Replies and pushes carry no `conversation_id` in their payload. */
  omitConversationId?: boolean;
  /** Stops reading and writing on every connection, keeping TCP open (a half-open link). */
  stall?: boolean;
  /** Drops a connection abruptly after receiving this many text frames on it. */
  dropAfterFrames?: number | null;
  /** Sends `{not json` before each reply. */
  malformedBeforeReplies?: boolean;
  /** Sends an event of the unknown type `mystery_event` before each reply. */
  unknownEventBeforeReplies?: boolean;
  /** Sends every hub event twice with the same `event_id`. */
  duplicateEvents?: boolean;
  /** Answers transcript requests with the `messages` key instead of `transcript`. */
  transcriptAsMessages?: boolean;
  /** Never sends `socket_connected` after the handshake. */
  noSocketConnected?: boolean;
  /** The HTTP services answer this status (200 to 599) with a JSON `error`, doing nothing else. */
  httpStatus?: number | null;
  /** How many requests `httpStatus` applies to (then it clears itself); unset: all. */
  httpStatusCount?: number | null;
  /** Holds every answer of the HTTP services this many ms (the request is handled at once). */
  httpDelayMs?: number;
  /** Path prefixes the HTTP faults apply to (e.g. `/api/file-to-text`); empty: every `/api/` path. */
  httpPaths?: string[];
}

/**
 * Faults of the fault proxy (see {@link Hub.setProxyFaults}); every fault is off unless given
 * (`null`: off too).
 */
export interface ProxyFaults {
  /** Delays every chunk this many ms, each way (order kept). */
  latencyMs?: number | null;
  /** Bytes per second each direction of each connection may carry (0: no limit). */
  bandwidthBps?: number | null;
  /** Forwards nothing either way, keeping the connections open, until switched off. */
  blackhole?: boolean | null;
}

/** The fault proxy's faults in force ({@link Hub.proxyFaults}). */
export interface ProxyFaultsInForce {
  /** The latency each way, in ms (0: none). */
  latencyMs: number;
  /** The bandwidth of each direction, in bytes per second (0: no limit). */
  bandwidthBps: number;
  /** Whether nothing is forwarded. */
  blackhole: boolean;
}

/** The fault proxy's counters ({@link Hub.proxyStats}). */
export interface ProxyStats {
  /** Connections accepted and forwarded so far. */
  accepted: number;
  /** Connections open now. */
  live: number;
  /** Bytes written to the hub (client to hub). */
  bytesUp: number;
  /** Bytes written to clients (hub to client). */
  bytesDown: number;
  /** Connections reset by {@link Hub.proxyReset}. */
  resets: number;
  /** Connections cut inside a frame after {@link Hub.proxyTruncate}. */
  truncated: number;
}

/**
 * The options a client of the hub needs: spread them into `create`'s options. With the fault
 * proxy, the URLs go through it.
 */
export interface HubClientOptions {
  /** The hub's WebSocket URL (without the key). */
  url: string;
  /** The hub's HTTP services. */
  httpUrl: string;
  /** The file-to-text service (the hub's own). */
  filesUrl: string;
  /** With `tls`: the certificate to trust. */
  caPem?: string;
}

/** A frame the hub received from a client, as sent (`via: 'http'` for an HTTP send). */
export interface ReceivedFrame {
  /** `sendMessage`. */
  action?: string;
  /** The event. */
  event: { event_type: string; event_payload: JsonObject; [key: string]: Json };
  /** `http` for a frame sent over HTTP. */
  via?: 'http';
  [key: string]: Json | undefined;
}

/** An HTTP request the hub served (not counting its controls). */
export interface HubRequest {
  /** `GET`, `POST`, ... */
  method: string;
  /** The path and query. */
  path: string;
  /** The status answered; null for a request held unanswered. */
  status: number | null;
}

/** A conversation as the hub keeps it. */
export interface HubConversation {
  /** Its id. */
  conversationId: string;
  /** The user's id. */
  userId: string;
  /** Its metadata. */
  metadata: JsonObject;
  /** Whether a live agent has it. */
  live: boolean;
  /** The live agent's name. */
  agent: string | null;
  /** Its state (set by the script's `set` steps). */
  state: JsonObject;
  /** Its transcript, as the hub returns it. */
  transcript: JsonObject[];
  [key: string]: Json;
}

/** A file the hub's file service stores. */
export interface HubFile {
  /** Its key. */
  fileKey: string;
  /** Its name. */
  filename: string;
  /** Its MIME type. */
  contentType: string;
  /** Its size in bytes. */
  fileSize: number;
  /** Its time to live in days. */
  ttlDays: number | null;
}

/** The filter of {@link Hub.received}. */
export interface ReceivedFilter {
  /** Only frames about this conversation. */
  conversationId?: string | null;
  /** Only frames of this event type (`user_message`, `conversation_start`, ...). */
  eventType?: string | null;
}

/**
 * A local hub running in this process, made by {@link startHub}. It runs in a thread of its
 * own, off Node's event loop, so it never keeps the process alive: close it with `close()` (or
 * `await using`); one left open stops when the process exits, or when the Hub is
 * garbage-collected. Its address stays the same for its life. The controls and the inspection
 * are synchronous; after `close()` they throw `ClosedError`. Wrong argument types throw
 * `TypeError`; wrong values `InvalidArgumentError`.
 */
export declare class Hub implements AsyncDisposable {
  private constructor();
  /**
   * The hub's own WebSocket URL, without the key: `ws://127.0.0.1:PORT/dev`
   * (`wss://localhost:PORT/dev` with `tls`); not through the fault proxy.
   */
  readonly url: string;
  /** The HTTP base of the same port (the channel API, the file service); not through the fault proxy. */
  readonly httpUrl: string;
  /** The port. */
  readonly port: number;
  /** With `tls`, the PEM of the certificate to trust; otherwise null. */
  readonly caPem: string | null;
  /** The API key clients present (a getter: printing the hub does not show it). */
  readonly apiKey: string;
  /** Whether it still runs (false once `close()` is called). */
  readonly running: boolean;
  /** The bot's script in force. */
  readonly script: HubScript;
  /** The faults in force. */
  readonly faults: HubFaults;
  /** Connections open now. */
  readonly liveConnections: number;
  /** Successful WebSocket handshakes so far. */
  readonly connectionsAccepted: number;
  /**
   * The options a client of this hub needs:
   * `CaptivateChatAPI.create(hub.apiKey, 'dev', { ...hub.clientOptions() })`.
   */
  clientOptions(): HubClientOptions;
  /** Replaces the bot's script (`null`: the usual flow); conversations keep their state and agents. */
  setScript(script: HubScript | null): void;
  /** Replaces the faults in force with these (`{}`: none). */
  setFaults(faults: HubFaults): void;
  /** Clears every fault. */
  clearFaults(): void;
  /** Closes every connection abruptly, without a close frame: clients see a dropped link. */
  drop(): void;
  /** Sends a close frame with `code` and `reason` on every connection, then closes it. */
  closeConnections(code: number, reason?: string): void;
  /**
   * Closes every connection and refuses new ones for `downMs`, then listens again on the same
   * port (conversations survive). Returns at once.
   */
  restart(downMs: number): void;
  /** Sends this frame (as JSON) to every connection. */
  push(frame: JsonObject): void;
  /** Sends raw text (e.g. malformed JSON) to every connection. */
  pushText(text: string): void;
  /**
   * The bot says `content` in a conversation: recorded in its transcript and, unless
   * `send: false`, sent to its connection. `InvalidArgumentError` for an unknown conversation.
   */
  botSays(conversationId: string, content: ScriptContent, options?: { send?: boolean }): void;
  /** The live agent says `content` in a conversation (as {@link Hub.botSays}). */
  agentSays(conversationId: string, content: ScriptContent, options?: { send?: boolean }): void;
  /** Sends a `conversation_update` of `type` with `data` (default `{}`) to a conversation. */
  update(conversationId: string, type: string, data?: Json): void;
  /** Every frame the hub received from clients, in order, narrowed by `filter`. */
  received(filter?: ReceivedFilter): ReceivedFrame[];
  /** Every HTTP request the hub served, in order. */
  requests(): HubRequest[];
  /** The conversations. */
  conversations(): HubConversation[];
  /** The stored files. */
  files(): HubFile[];
  /** Makes the links of a stored file (of every one, without a key) expire now; how many it touched. */
  expireFiles(fileKey?: string | null): number;
  /**
   * With `proxy: true`, the WebSocket URL through the fault proxy, without the key (what
   * `clientOptions()` gives). The members named `proxy*` throw `InvalidArgumentError` on a hub
   * started without the proxy.
   */
  readonly proxyUrl: string;
  /** The fault proxy's faults in force. */
  readonly proxyFaults: ProxyFaultsInForce;
  /** The fault proxy's counters. */
  readonly proxyStats: ProxyStats;
  /** Replaces the fault proxy's faults with these (`{}`: none); the hub's own faults are apart. */
  setProxyFaults(faults: ProxyFaults): void;
  /** Clears the fault proxy's faults. */
  clearProxyFaults(): void;
  /** Resets every connection through the fault proxy (a TCP RST); how many. */
  proxyReset(): number;
  /**
   * Cuts every connection through the fault proxy inside the next WebSocket frame the hub
   * sends on it; how many were armed.
   */
  proxyTruncate(): number;
  /**
   * Closes every connection through the fault proxy and refuses new ones for `downMs` (the
   * hub keeps running); resolves once the proxy refuses connections. Throws at once without
   * the proxy, after `close()`, or for a wrong `downMs`.
   */
  proxyRestart(downMs: number): Promise<void>;
  /**
   * Forgets conversations, frames, requests and files, clears the faults and puts back the
   * script the hub started with (between tests). Connections stay open; the fault proxy's
   * faults stay as they are.
   */
  reset(): void;
  /** Stops the hub: every connection closed, the port freed. Closing again does nothing. */
  close(): Promise<void>;
  /** `close()`, for `await using hub = await startHub()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts a local hub on 127.0.0.1 running `options.script`; resolves once it listens. Wrong
 * argument types throw `TypeError` at once; an unknown option or a bad script rejects with
 * `InvalidArgumentError`, a port in use with `ConnectError`.
 */
export declare function startHub(options?: HubOptions): Promise<Hub>;

/** Every fault name {@link Hub.setFaults} takes. */
export declare const FAULTS: readonly (keyof HubFaults)[];
