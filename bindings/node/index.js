// captivate-chat: the Captivate Chat Socket API for Node, over the captivate Rust core.
//
// The class and method names are those of the official `captivate-chat-api` package, so that
// moving over is a change of import. The native layer (native.js) speaks JSON strings; this
// file turns them into classes, events and Error subclasses with a stable `code`.
'use strict';

const native = require('./native.js');

// ----- errors ------------------------------------------------------------------------------

/** The base class of every error of this package; `code` is stable across versions. */
class CaptivateError extends Error {
  constructor(message, code, details) {
    super(message);
    this.name = new.target.name;
    this.code = code || 'internal';
    this.details = details || {};
  }
}

function errorClass(name, code) {
  const cls = {
    [name]: class extends CaptivateError {
      constructor(message, details) {
        super(message, code, details);
      }
    },
  }[name];
  cls.code = code;
  return cls;
}

const InvalidArgumentError = errorClass('InvalidArgumentError', 'invalid_argument');
const RejectedError = errorClass('RejectedError', 'rejected');
const ConnectError = errorClass('ConnectError', 'connect');
const TimeoutError = errorClass('TimeoutError', 'timeout');
const ConnectionLostError = errorClass('ConnectionLostError', 'connection_lost');
const PossiblyNotDeliveredError = errorClass('PossiblyNotDeliveredError', 'possibly_not_delivered');
const HubError = errorClass('HubError', 'hub');
const QueueFullError = errorClass('QueueFullError', 'queue_full');
const ClosedError = errorClass('ClosedError', 'closed');
const FailedError = errorClass('FailedError', 'failed');
const FrameTooLargeError = errorClass('FrameTooLargeError', 'frame_too_large');
const ProtocolError = errorClass('ProtocolError', 'protocol');
const HttpError = errorClass('HttpError', 'http');
const InternalError = errorClass('InternalError', 'internal');

/** The error classes by name (all exported), and by their `code`. */
const ERROR_CLASSES = {
  InvalidArgumentError,
  RejectedError,
  ConnectError,
  TimeoutError,
  ConnectionLostError,
  PossiblyNotDeliveredError,
  HubError,
  QueueFullError,
  ClosedError,
  FailedError,
  FrameTooLargeError,
  ProtocolError,
  HttpError,
  InternalError,
};
const ERRORS = {};
for (const cls of Object.values(ERROR_CLASSES)) {
  ERRORS[cls.code] = cls;
}

/** Turns an error of the native layer (message = JSON {kind, message, details}) into ours. */
function toError(e) {
  if (e instanceof CaptivateError) return e;
  let parsed = null;
  try {
    parsed = JSON.parse(e && e.message);
  } catch {
    parsed = null;
  }
  if (!parsed || typeof parsed.kind !== 'string') {
    return new InternalError(String((e && e.message) || e));
  }
  const d = parsed.details || {};
  const details = {};
  if ('code' in d) details.hubCode = d.code;
  if ('description' in d) details.description = d.description;
  if ('conversation_id' in d) details.conversationId = d.conversation_id;
  if ('client_msg_id' in d) details.clientMsgId = d.client_msg_id;
  if ('status' in d) details.status = d.status;
  if ('operation' in d) details.operation = d.operation;
  if ('millis' in d) details.millis = d.millis;
  const Cls = ERRORS[parsed.kind] || InternalError;
  const err = new Cls(parsed.message, details);
  Object.assign(err, details);
  return err;
}

/** Calls the native layer; always returns a Promise (sync native failures become rejections). */
function settle(fn) {
  let p;
  try {
    p = fn();
  } catch (e) {
    return Promise.reject(toError(e));
  }
  return Promise.resolve(p).then(
    (v) => v,
    (e) => {
      throw toError(e);
    },
  );
}

// ----- argument checks (TypeError, synchronously) ------------------------------------------

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function isPlainObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function needString(name, v) {
  if (typeof v !== 'string') throw new TypeError(`${name} must be a string, not ${describe(v)}`);
  return v;
}

function optString(name, v) {
  return v === undefined || v === null ? undefined : needString(name, v);
}

function needObject(name, v) {
  if (!isPlainObject(v)) throw new TypeError(`${name} must be an object, not ${describe(v)}`);
  return v;
}

function optObject(name, v) {
  return v === undefined || v === null ? undefined : needObject(name, v);
}

function needFunction(name, v) {
  if (typeof v !== 'function') throw new TypeError(`${name} must be a function, not ${describe(v)}`);
  return v;
}

function optBoolean(name, v) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean, not ${describe(v)}`);
  return v;
}

function optNumber(name, v) {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${name} must be a number, not ${describe(v)}`);
  return v;
}

function oneOf(name, v, allowed) {
  if (!allowed.includes(v)) {
    throw new TypeError(`${name} must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')}, not ${describe(v)}`);
  }
  return v;
}

function onlyKeys(name, obj, allowed) {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new TypeError(`${name} has an unknown option "${k}"`);
  }
}

/** `string | {text?, files?}` (also the official `{type: 'text', text}`) → [text, filesJson]. */
function messageArgs(name, content) {
  if (typeof content === 'string') return [content, undefined];
  if (!isPlainObject(content)) throw new TypeError(`${name} must be a string or {text, files}, not ${describe(content)}`);
  const text = optString(`${name}.text`, content.text);
  let files;
  if (content.files !== undefined && content.files !== null) {
    const list = Array.isArray(content.files) ? content.files : [content.files];
    for (const f of list) {
      needObject(`${name}.files[]`, f);
      needString(`${name}.files[].url`, f.url);
      optString(`${name}.files[].type`, f.type);
      optString(`${name}.files[].filename`, f.filename);
    }
    files = JSON.stringify(list);
  }
  return [text, files];
}

// ----- events ------------------------------------------------------------------------------

function camel(key) {
  return key.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
}

/** Renames the top-level snake_case keys of an object (values are kept as they are). */
function camelKeys(o) {
  const out = {};
  for (const [k, v] of Object.entries(o)) out[camel(k)] = v;
  return out;
}

/** The JS form of the core's canonical event JSON: camelCase keys, `raw` kept. */
function toEvent(json) {
  const ev = camelKeys(typeof json === 'string' ? JSON.parse(json) : json);
  if (ev.kind === 'state') {
    ev.previous = camelKeys(ev.previous);
    ev.current = camelKeys(ev.current);
  } else if (ev.kind === 'transcript' && Array.isArray(ev.entries)) {
    ev.entries = ev.entries.map(camelKeys);
  } else if (ev.kind === 'user_conversations' && Array.isArray(ev.conversations)) {
    ev.conversations = ev.conversations.map(camelKeys);
  }
  return ev;
}

function payloadOf(ev) {
  const raw = ev.raw;
  return (raw && raw.event && raw.event.event_payload) || {};
}

/**
 * A set of listeners fed by one native subscription, opened on the first registration (so that
 * it also gets what arrived before). A listener that throws does not stop the others or later
 * events: the error goes to the client's onListenerError handlers (or a process warning).
 */
class Hub {
  constructor(api, open, accept) {
    this.api = api;
    this.open = open;
    this.accept = accept || (() => true);
    this.listeners = new Set();
    this.subscription = null;
  }

  add(fn) {
    if (this.subscription === null) {
      if (this.api._disposed) throw new ClosedError('the client is disposed');
      try {
        this.subscription = this.open((json) => this.dispatch(json));
      } catch (e) {
        throw toError(e);
      }
    }
    const entry = { fn };
    this.listeners.add(entry);
    let removed = false;
    return () => {
      if (!removed) {
        removed = true;
        this.listeners.delete(entry);
      }
    };
  }

  dispatch(json) {
    let ev;
    try {
      ev = toEvent(json);
    } catch (e) {
      this.api._listenerFailed(e, undefined);
      return;
    }
    if (!this.accept(ev)) return;
    if (debugMode) console.debug('captivate-chat:', ev.kind, ev.conversationId ?? '', ev.kind === 'state' ? ev.current.state : '');
    for (const entry of [...this.listeners]) {
      if (!this.listeners.has(entry)) continue;
      try {
        entry.fn(ev);
      } catch (e) {
        this.api._listenerFailed(e, ev);
      }
    }
  }
}

/** An async iterator over events, fed by a listener; ends on `return()` or when the client is disposed. */
function iterate(register, api) {
  const queue = [];
  const waiting = [];
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    off();
    api._iterators.delete(finish);
    for (const w of waiting.splice(0)) w({ value: undefined, done: true });
  };
  const off = register((ev) => {
    if (done) return;
    const w = waiting.shift();
    if (w) w({ value: ev, done: false });
    else queue.push(ev);
  });
  api._iterators.add(finish);
  return {
    next() {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift(), done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return() {
      finish();
      queue.length = 0;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

// ----- Conversation ------------------------------------------------------------------------

const TTL_DAYS = Object.freeze([1, 7, 30, 90]);
const TARGETS = ['default', 'bot', 'live', 'bot_live'];

/** A conversation; get one from `CaptivateChatAPI.createConversation` or `getConversation`. */
class Conversation {
  /** @internal */
  constructor(api, handle, metadata) {
    Object.defineProperty(this, '_api', { value: api });
    Object.defineProperty(this, '_native', { value: handle });
    Object.defineProperty(this, '_hub', { value: new Hub(api, (cb) => handle.subscribe(cb)) });
    this.conversationId = handle.id;
    this.metadata = metadata;
  }

  /** The conversation's id. */
  get id() {
    return this.conversationId;
  }

  /** The conversation's id (the official name). */
  getConversationId() {
    return this.conversationId;
  }

  /** Kept for the official API; listeners never need restarting here (they survive reconnects). */
  restartListeners() {}

  _call(fn) {
    if (this._api._disposed) return Promise.reject(new ClosedError('the client is disposed'));
    return settle(fn);
  }

  /** Sends a message (text, files, or both); resolves to its client_msg_id. */
  sendMessage(content) {
    const [text, files] = messageArgs('content', content);
    return this._call(() => this._native.sendMessage(text, files));
  }

  /** Sets metadata; waits for the hub's confirmation. */
  setMetadata(metadata, options) {
    const md = JSON.stringify(needObject('metadata', metadata));
    let target;
    if (options !== undefined && options !== null) {
      needObject('options', options);
      onlyKeys('options', options, ['target']);
      if (options.target !== undefined) target = oneOf('options.target', options.target, TARGETS);
    }
    return this._call(() => this._native.setMetadata(md, target));
  }

  /** Sets private metadata (for back-ends; stored under `private`). */
  setPrivateMetadata(privateMetadata) {
    const md = JSON.stringify(needObject('privateMetadata', privateMetadata));
    return this._call(() => this._native.setPrivateMetadata(md));
  }

  /** Sets the time-to-live of the conversation's files: 1, 7, 30 or 90 days. */
  setTimeToLive(days) {
    if (typeof days !== 'number' || !Number.isFinite(days)) {
      throw new TypeError(`days must be a number, not ${describe(days)}`);
    }
    if (!TTL_DAYS.includes(days)) {
      return Promise.reject(new InvalidArgumentError(`time to live must be 1, 7, 30 or 90 days, not ${days}`));
    }
    return this._call(() => this._native.setTimeToLive(days));
  }

  /** The conversation's metadata (private metadata under `private`). */
  getMetadata() {
    return this._call(() => this._native.getMetadata()).then((s) => JSON.parse(s));
  }

  /** Sends an action (e.g. `escalateToHuman`) with its data; `type` defaults to `normal`. */
  sendAction(actionId, data, type) {
    needString('actionId', actionId);
    const d = JSON.stringify(optObject('data', data) || {});
    const t = optString('type', type);
    return this._call(() => this._native.sendAction(actionId, d, t));
  }

  /** Edits a message the user sent earlier. */
  editMessage(messageId, content) {
    needString('messageId', messageId);
    const [text, files] = messageArgs('content', content);
    return this._call(() => this._native.editMessage(messageId, text, files));
  }

  /** The transcript: one entry per message, oldest first. */
  getTranscript() {
    return this._call(() => this._native.getTranscript()).then((s) => JSON.parse(s).entries.map(camelKeys));
  }

  /** Deletes the conversation, soft (default) or hard (`{softDelete: false}`). */
  delete(options) {
    let soft = true;
    if (options !== undefined && options !== null) {
      needObject('options', options);
      onlyKeys('options', options, ['softDelete']);
      soft = optBoolean('options.softDelete', options.softDelete) ?? true;
    }
    return this._call(() => this._native.delete(!soft));
  }

  /** Every event of this conversation, typed, with its raw JSON. Returns a function that removes the listener. */
  onEvent(callback) {
    needFunction('callback', callback);
    return this._hub.add(callback);
  }

  /**
   * Messages from the bot (`type` 'ai_agent') and live agents ('human_agent'), as the official
   * client: `message` is the payload's `content` (the list of content items). Hub errors come
   * as `('[Error: description]', 'error')`. Large (413) messages arrive already fetched.
   */
  onMessage(callback) {
    needFunction('callback', callback);
    return this._hub.add((ev) => {
      if (ev.kind === 'bot_message' || ev.kind === 'livechat_message') {
        const p = payloadOf(ev);
        const content = p.content !== undefined ? p.content : ev.content;
        callback(content, ev.kind === 'bot_message' ? 'ai_agent' : 'human_agent', ev);
      } else if (ev.kind === 'error') {
        callback(`[Error: ${ev.description || 'Unknown error'}]`, 'error', ev);
      }
    });
  }

  /** Hub errors about this conversation: `{conversationId, errorCode, errorDesc}`. */
  onError(callback) {
    needFunction('callback', callback);
    return this._hub.add((ev) => {
      if (ev.kind === 'error') {
        callback({
          conversationId: ev.conversationId,
          errorCode: ev.code,
          errorDesc: ev.description,
          messageLink: ev.messageLink,
          event: ev,
        });
      }
    });
  }

  /** Conversation updates (agent connected, disconnected, ...): `{type, conversationId, data}`. */
  onConversationUpdate(callback) {
    needFunction('callback', callback);
    return this._hub.add((ev) => {
      if (ev.kind === 'conversation_update') {
        callback({ type: ev.updateType, conversationId: ev.conversationId, data: ev.data, update: ev.update, event: ev });
      }
    });
  }

  /** Actions sent by the flow: a list of `{id, type, data}`. */
  onActionReceived(callback) {
    needFunction('callback', callback);
    return this._hub.add((ev) => {
      if (ev.kind === 'action') callback(ev.actions, ev);
    });
  }

  /** This conversation's events as an async iterator (`for await (const ev of conversation.events())`). */
  events() {
    return iterate((fn) => this._hub.add(fn), this._api);
  }

  [Symbol.asyncIterator]() {
    return this.events();
  }
}

// ----- CaptivateChatAPI --------------------------------------------------------------------

const OPTION_KEYS = [
  'url',
  'timeouts',
  'reconnect',
  'tls',
  'maxFrameSize',
  'queueWhileOffline',
  'maxQueuedEvents',
  'maxQueuedBytes',
  'delivery',
  'dialect',
  'socketPerConversation',
  'fetchLargeMessages',
  'catchUp',
  'lazy',
];
const TIMEOUT_KEYS = {
  connect: 'connect_timeout_ms',
  request: 'request_timeout_ms',
  metadata: 'metadata_timeout_ms',
  close: 'close_timeout_ms',
  pingInterval: 'ping_interval_ms',
  livenessGrace: 'liveness_grace_ms',
};
const RECONNECT_KEYS = {
  enabled: 'enabled',
  initialDelay: 'initial_delay_ms',
  maxDelay: 'max_delay_ms',
  maxAttempts: 'max_attempts',
  resetAfter: 'reset_after_ms',
  suspendAfter: 'suspend_after_ms',
  suspendedRetry: 'suspended_retry_ms',
};

/** Builds the core's JSON configuration; throws TypeError on wrong types. */
function buildConfig(apiKey, mode, options) {
  needString('apiKey', apiKey);
  oneOf('mode', mode, ['prod', 'dev']);
  const o = optObject('options', options) || {};
  onlyKeys('options', o, OPTION_KEYS);
  const c = { api_key: apiKey, endpoint: optString('options.url', o.url) ?? mode };
  if (o.timeouts !== undefined) {
    needObject('options.timeouts', o.timeouts);
    onlyKeys('options.timeouts', o.timeouts, Object.keys(TIMEOUT_KEYS));
    for (const [k, key] of Object.entries(TIMEOUT_KEYS)) {
      const v = optNumber(`options.timeouts.${k}`, o.timeouts[k]);
      if (v !== undefined) c[key] = v;
    }
  }
  if (typeof o.reconnect === 'boolean') {
    c.reconnect = { enabled: o.reconnect };
  } else if (o.reconnect !== undefined) {
    needObject('options.reconnect', o.reconnect);
    onlyKeys('options.reconnect', o.reconnect, Object.keys(RECONNECT_KEYS));
    c.reconnect = {};
    for (const [k, key] of Object.entries(RECONNECT_KEYS)) {
      const v = k === 'enabled' ? optBoolean('options.reconnect.enabled', o.reconnect[k]) : optNumber(`options.reconnect.${k}`, o.reconnect[k]);
      if (v !== undefined) c.reconnect[key] = v;
    }
  }
  if (o.tls !== undefined) {
    needObject('options.tls', o.tls);
    onlyKeys('options.tls', o.tls, ['roots', 'caFile', 'caPem']);
    if (o.tls.roots !== undefined) c.tls_roots = oneOf('options.tls.roots', o.tls.roots, ['webpki', 'system', 'both', 'none']);
    c.ca_file = optString('options.tls.caFile', o.tls.caFile);
    c.ca_pem = optString('options.tls.caPem', o.tls.caPem);
  }
  c.max_frame_size = optNumber('options.maxFrameSize', o.maxFrameSize);
  c.queue_while_offline = optBoolean('options.queueWhileOffline', o.queueWhileOffline);
  c.max_queued_events = optNumber('options.maxQueuedEvents', o.maxQueuedEvents);
  c.max_queued_bytes = optNumber('options.maxQueuedBytes', o.maxQueuedBytes);
  if (o.delivery !== undefined) c.delivery = oneOf('options.delivery', o.delivery, ['at-most-once', 'at-least-once']);
  if (o.dialect !== undefined) c.dialect = oneOf('options.dialect', o.dialect, ['current', 'legacy']);
  c.socket_per_conversation = optBoolean('options.socketPerConversation', o.socketPerConversation);
  c.fetch_large_messages = optBoolean('options.fetchLargeMessages', o.fetchLargeMessages);
  c.catch_up = optBoolean('options.catchUp', o.catchUp);
  return { json: JSON.stringify(c), lazy: optBoolean('options.lazy', o.lazy) ?? false, apiKey };
}

/** Live clients, for the official `getInstance` / `hasInstance`. */
const registry = new Set();
let debugMode = false;

/**
 * A client of the Captivate hub: one WebSocket, shared by its conversations. Create it with
 * `await CaptivateChatAPI.create(apiKey, mode, options)` (or `new` then `connect()`); call
 * `dispose()` when done, after which the process can exit.
 */
class CaptivateChatAPI {
  constructor(apiKey, mode = 'prod', options = undefined) {
    const config = buildConfig(apiKey, mode, options);
    Object.defineProperty(this, '_config', { value: config });
    Object.defineProperty(this, '_native', { value: null, writable: true });
    Object.defineProperty(this, '_connecting', { value: null, writable: true });
    Object.defineProperty(this, '_disposed', { value: false, writable: true });
    Object.defineProperty(this, '_conversations', { value: new Map() });
    Object.defineProperty(this, '_iterators', { value: new Set() });
    Object.defineProperty(this, '_errorHandlers', { value: new Set() });
    Object.defineProperty(this, '_clientHub', { value: null, writable: true });
    Object.defineProperty(this, '_rawHub', { value: null, writable: true });
    this.mode = mode;
  }

  /** Connects and resolves to the client once the hub said `socket_connected`. */
  static create(apiKey, mode = 'prod', options = undefined) {
    const api = new CaptivateChatAPI(apiKey, mode, options);
    return api.connect().then(() => api);
  }

  /** The most recent live client for an API key and mode (the official registry). */
  static getInstance(apiKey, mode = 'prod') {
    needString('apiKey', apiKey);
    let found;
    for (const api of registry) {
      if (api._config.apiKey === apiKey && api.mode === mode) found = api;
    }
    return found;
  }

  /** True when a live client exists for an API key and mode. */
  static hasInstance(apiKey, mode = 'prod') {
    return CaptivateChatAPI.getInstance(apiKey, mode) !== undefined;
  }

  /** Logs every event delivered to a listener with console.debug (the official debug switch). */
  static setDebugMode(enabled) {
    debugMode = Boolean(enabled);
  }

  /** Whether debug logging is on. */
  static getDebugMode() {
    return debugMode;
  }

  /** Connects (once; later calls resolve when that connection is made). */
  connect() {
    if (this._disposed) return Promise.reject(new ClosedError('the client is disposed'));
    if (this._native) return Promise.resolve();
    if (!this._connecting) {
      this._connecting = settle(() => native.NativeClient.connect(this._config.json, this._config.lazy)).then(
        (handle) => {
          this._native = handle;
          // The first client-level subscription also gets the states that led to this
          // connection; they are history by now (unless connecting lazily), so they are skipped.
          let history = !this._config.lazy;
          const fresh = (ev) => {
            if (history && ev.kind === 'state') {
              if (ev.current.state === 'connected') history = false;
              return false;
            }
            return true;
          };
          this._clientHub = new Hub(this, (cb) => handle.subscribe(false, cb), fresh);
          this._rawHub = new Hub(this, (cb) => handle.subscribe(true, cb));
          if (this._disposed) {
            return settle(() => handle.close()).then(() => Promise.reject(new ClosedError('the client is disposed')));
          }
          // The client-level subscription holds the event loop while the client is open.
          this._clientHub.add(() => {});
          registry.add(this);
          return undefined;
        },
        (e) => {
          this._connecting = null;
          throw e;
        },
      );
    }
    return this._connecting;
  }

  _client() {
    if (this._disposed) throw new ClosedError('the client is disposed');
    if (!this._native) throw new ClosedError('the client is not connected yet: await connect() or use CaptivateChatAPI.create');
    return this._native;
  }

  _call(fn) {
    let handle;
    try {
      handle = this._client();
    } catch (e) {
      return Promise.reject(e);
    }
    return settle(() => fn(handle));
  }

  _wrap(handle, metadata) {
    const existing = this._conversations.get(handle.id);
    if (existing) {
      if (metadata !== undefined) existing.metadata = metadata;
      return existing;
    }
    const c = new Conversation(this, handle, metadata);
    this._conversations.set(handle.id, c);
    return c;
  }

  _listenerFailed(error, event) {
    if (this._errorHandlers.size === 0) {
      process.emitWarning(`a captivate-chat listener threw: ${(error && error.stack) || error}`, 'CaptivateListenerWarning');
      return;
    }
    for (const h of [...this._errorHandlers]) {
      try {
        h(error, event);
      } catch {
        // An error handler that throws has nowhere further to report to.
      }
    }
  }

  /**
   * Starts a conversation. `autoConversationStart` 'bot-first' (default) makes the flow greet
   * the user; 'user-first' waits for the user.
   */
  createConversation(userId, userBasicInfo, metadata, autoConversationStart = 'bot-first', privateMetadata) {
    needString('userId', userId);
    const options = {
      user_id: userId,
      user_basic_info: optObject('userBasicInfo', userBasicInfo),
      metadata: optObject('metadata', metadata),
      start: oneOf('autoConversationStart', autoConversationStart ?? 'bot-first', ['bot-first', 'user-first']),
      private_metadata: optObject('privateMetadata', privateMetadata),
    };
    const json = JSON.stringify(options);
    return this._call((h) => h.startConversation(json)).then((handle) => this._wrap(handle, options.metadata));
  }

  /** A conversation by id (its events are routed to it from now on). */
  getConversation(conversationId) {
    needString('conversationId', conversationId);
    const existing = this._conversations.get(conversationId);
    if (existing) return existing;
    let handle;
    try {
      handle = this._client().conversation(conversationId);
    } catch (e) {
      throw toError(e);
    }
    return this._wrap(handle, undefined);
  }

  /**
   * A user's conversations: `getUserConversations(userId)` or
   * `getUserConversations({userId, filter, search, pagination: {page, limit}, apiKeys})`.
   */
  getUserConversations(userIdOrOptions) {
    let o;
    if (typeof userIdOrOptions === 'string') {
      o = { user_id: userIdOrOptions };
    } else {
      needObject('userIdOrOptions', userIdOrOptions);
      onlyKeys('options', userIdOrOptions, ['userId', 'filter', 'search', 'pagination', 'apiKeys']);
      const { userId, filter, search, pagination, apiKeys } = userIdOrOptions;
      o = { user_id: needString('options.userId', userId) };
      o.filter = optObject('options.filter', filter);
      o.search = optObject('options.search', search);
      if (pagination !== undefined && pagination !== null) {
        needObject('options.pagination', pagination);
        onlyKeys('options.pagination', pagination, ['page', 'limit']);
        for (const k of ['page', 'limit']) {
          const v = pagination[k];
          if (v !== undefined && v !== null && typeof v !== 'number' && typeof v !== 'string') {
            throw new TypeError(`options.pagination.${k} must be a number or a string, not ${describe(v)}`);
          }
          o[k] = v;
        }
      }
      if (apiKeys !== undefined && apiKeys !== null) {
        if (!Array.isArray(apiKeys) || apiKeys.some((k) => typeof k !== 'string')) {
          throw new TypeError(`options.apiKeys must be an array of strings, not ${describe(apiKeys)}`);
        }
        o.api_keys = apiKeys;
      }
    }
    const json = JSON.stringify(o);
    return this._call((h) => h.listConversations(json)).then((s) => {
      const list = JSON.parse(s);
      const conversations = list.conversations.map((c) => {
        const conversation = this.getConversation(c.conversation_id);
        conversation.metadata = c.metadata;
        return conversation;
      });
      const result = { conversations };
      if (list.pagination) result.pagination = list.pagination;
      return result;
    });
  }

  /** Deletes all of a user's conversations, soft (default) or hard (`{softDelete: false}`). */
  deleteUserConversations(userId, options) {
    needString('userId', userId);
    let soft = true;
    if (options !== undefined && options !== null) {
      needObject('options', options);
      onlyKeys('options', options, ['softDelete']);
      soft = optBoolean('options.softDelete', options.softDelete) ?? true;
    }
    return this._call((h) => h.deleteUserConversations(userId, !soft));
  }

  /** True while connected (the hub said `socket_connected`). */
  isSocketActive() {
    return this.state.state === 'connected';
  }

  /** The hub's id of the current socket, or null. */
  getSocketId() {
    return this.socketId;
  }

  /** The hub's id of the current socket, or null. */
  get socketId() {
    return this._native && !this._disposed ? this._native.socketId() ?? null : null;
  }

  /** The connection's state: `{state, attempt?, retryInMs?, socketId?}`. */
  get state() {
    if (this._native) return camelKeys(JSON.parse(this._native.stateJson()));
    return { state: this._disposed ? 'closed' : 'initialized' };
  }

  /**
   * Connects again after a failure, or retries at once while waiting to reconnect; resolves
   * when connected (rejects with FailedError if that attempt fails for good).
   */
  reconnect() {
    let handle;
    try {
      handle = this._client();
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      const off = this._clientHub.add((ev) => {
        if (ev.kind !== 'state') return;
        if (ev.current.state === 'connected') {
          off();
          resolve(undefined);
        } else if (ev.current.state === 'failed' || ev.current.state === 'closed') {
          off();
          reject(new FailedError(`reconnecting failed: ${ev.reason ?? ev.current.state}`));
        }
      });
      try {
        handle.reconnect();
      } catch (e) {
        off();
        reject(toError(e));
        return;
      }
      if (this.isSocketActive()) {
        off();
        resolve(undefined);
      }
    });
  }

  /** Connection state changes: `(change) => ...` with `{previous, current, reason}`. */
  onStateChange(callback) {
    needFunction('callback', callback);
    return this._clientHubOrThrow().add((ev) => {
      if (ev.kind === 'state') callback(ev);
    });
  }

  /** Client-level events: state changes, and hub events that name no open conversation. */
  onEvent(callback) {
    needFunction('callback', callback);
    return this._clientHubOrThrow().add(callback);
  }

  /** Every frame from the hub, decoded, before routing and deduplication (the escape hatch). */
  onRawEvent(callback) {
    needFunction('callback', callback);
    this._client();
    return this._rawHub.add(callback);
  }

  /** Client-level events as an async iterator. */
  events() {
    const hub = this._clientHubOrThrow();
    return iterate((fn) => hub.add(fn), this);
  }

  /** Errors thrown by listeners: `(error, event) => ...`. */
  onListenerError(callback) {
    needFunction('callback', callback);
    const entry = (e, ev) => callback(e, ev);
    this._errorHandlers.add(entry);
    return () => {
      this._errorHandlers.delete(entry);
    };
  }

  _clientHubOrThrow() {
    this._client();
    return this._clientHub;
  }

  /** The escape hatch: sends any event type with any payload; resolves once written. */
  sendRaw(eventType, payload) {
    needString('eventType', eventType);
    const p = JSON.stringify(needObject('payload', payload));
    return this._call((h) => h.sendRaw(eventType, p, undefined, undefined)).then(() => undefined);
  }

  /** The escape hatch for requests: sends any event and resolves to the first reply of `replyEventType`. */
  requestRaw(eventType, payload, replyEventType, options) {
    needString('eventType', eventType);
    const p = JSON.stringify(needObject('payload', payload));
    needString('replyEventType', replyEventType);
    let conversationId;
    if (options !== undefined && options !== null) {
      needObject('options', options);
      onlyKeys('options', options, ['conversationId']);
      conversationId = optString('options.conversationId', options.conversationId);
    }
    return this._call((h) => h.sendRaw(eventType, p, replyEventType, conversationId)).then((s) => toEvent(s));
  }

  /**
   * Closes the socket gracefully and stops every listener, so that nothing keeps the process
   * alive. Later calls resolve at once; methods called afterwards reject with ClosedError.
   */
  dispose() {
    if (this._disposed) return this._disposing || Promise.resolve();
    this._disposed = true;
    registry.delete(this);
    for (const finish of [...this._iterators]) finish();
    const handle = this._native;
    const p = handle ? settle(() => handle.close()) : this._connecting ? this._connecting.then(() => undefined, () => undefined) : Promise.resolve();
    Object.defineProperty(this, '_disposing', { value: p });
    return p;
  }
}

module.exports = {
  CaptivateChatAPI,
  Conversation,
  CaptivateError,
  ...ERROR_CLASSES,
  TIME_TO_LIVE_DAYS: TTL_DAYS,
  version: native.version(),
};
