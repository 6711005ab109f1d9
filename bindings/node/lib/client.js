// CaptivateChatAPI: a client of the hub, with the official client's names. The native client
// (src/client.rs) starts each call at once and answers with a slot number; outcomes and events
// arrive together in batches, one call of `_dispatch` per batch, which settles the calls first
// and then hands each event to the listeners its route names.
'use strict';

const native = require('../native.js');
const args = require('./args.js');
const errors = require('./errors.js');
const events = require('./events.js');
const logs = require('./logs.js');
const options = require('./options.js');
const { Conversation } = require('./conversation.js');
const { Listeners, iterate } = require('./listeners.js');
const { CaptivateSocket, READY_STATE } = require('./socket.js');

/**
 * The shared clients (the official registry): one per API key, mode and options, from `new`
 * (or `create`) until `dispose()`.
 * @type {Map<string, CaptivateChatAPI>}
 */
const registry = new Map();

/**
 * Every client not disposed, shared or not, oldest first (the file manager's static methods
 * upload through one of them).
 * @type {Set<CaptivateChatAPI>}
 */
const live = new Set();

/** How a call's outcome becomes what its Promise resolves to (run as the batch arrives). */
const same = (v) => v;

/** What the native layer's thread-safe function calls after each tick (it visits the clients itself). */
const noop = () => {};

/**
 * A client of the Captivate hub: one WebSocket, shared by its conversations. Create it with
 * `await CaptivateChatAPI.create(apiKey, mode, options)` (or `new` then `connect()`); call
 * `dispose()` when done, after which the process can exit. As in the official client, there
 * is one client per API key and mode (and options): `new` and `create` return the existing
 * one until it is disposed; the option `shared: false` makes a client of its own.
 */
class CaptivateChatAPI {
  constructor(apiKey, mode = 'prod', opts = undefined) {
    const { options: o, lazy, identity } = options.build(apiKey, mode, opts);
    if (identity !== null) {
      const existing = registry.get(identity);
      if (existing !== undefined) return existing;
    }
    let handle;
    try {
      handle = new native.NativeClient(o);
    } catch (e) {
      throw errors.toError(e);
    }
    const hidden = (name, value) => Object.defineProperty(this, name, { value, writable: true });
    hidden('_native', handle);
    hidden('_apiKey', apiKey);
    /** How many events a listener not keeping up, or not there yet, may have waiting. */
    const backlog = o.maxBacklog ?? o.max_backlog;
    hidden('_maxBacklog', typeof backlog === 'number' ? backlog : undefined);
    hidden('_lazy', lazy);
    hidden('_identity', identity);
    hidden('_socket', null);
    hidden('_connected', false);
    hidden('_connecting', null);
    hidden('_disposed', false);
    hidden('_disposing', null);
    /** Calls waiting for their outcome, by slot. */
    hidden('_waiting', []);
    hidden('_conversations', new Map());
    /**
     * What arrived for a conversation before its object was made (a greeting can be read in
     * the tick before the one that resolves createConversation), kept as its first listener
     * set: the object takes it over, and its first listener gets the events.
     */
    hidden('_early', new Map());
    hidden('_iterators', new Set());
    hidden('_errorHandlers', new Set());
    hidden('_clientListeners', new Listeners(this, false));
    hidden('_rawListeners', new Listeners(this, false));
    hidden('_dispatch', (nums, text, vals, raws) => this._receive(nums, text, vals, raws));
    this.mode = mode;
    if (identity !== null) registry.set(identity, this);
    live.add(this);
  }

  /**
   * The client for an API key, mode and options (the existing one, or a new one), connected:
   * resolves once the hub said `socket_connected`. An existing client that is not connected
   * at the moment (it lost its link, or failed) is reconnected first.
   */
  static create(apiKey, mode = 'prod', opts = undefined) {
    let api;
    try {
      api = new CaptivateChatAPI(apiKey, mode, opts);
    } catch (e) {
      if (e instanceof TypeError) throw e;
      return Promise.reject(e);
    }
    if (api.isSocketActive() || (api._connected && api._lazy)) return Promise.resolve(api);
    return (api._connected ? api.reconnect() : api.connect()).then(() => api);
  }

  /**
   * The shared client of an API key and mode, or undefined: with `options`, the one `new` would
   * return for them; without, the most recent one of that key and mode, whatever its options.
   */
  static getInstance(apiKey, mode = 'prod', opts = undefined) {
    args.needString('apiKey', apiKey);
    if (opts !== undefined) {
      const { identity } = options.build(apiKey, mode, opts);
      return identity === null ? undefined : registry.get(identity);
    }
    let found;
    for (const api of registry.values()) {
      if (api._apiKey === apiKey && api.mode === mode) found = api;
    }
    return found;
  }

  /** True when {@link CaptivateChatAPI.getInstance} finds a client. */
  static hasInstance(apiKey, mode = 'prod', opts = undefined) {
    return CaptivateChatAPI.getInstance(apiKey, mode, opts) !== undefined;
  }

  /**
   * @internal The client to upload files through when none is named: the most recent live
   * client of `apiKey` (of any key when not given), a connected one if there is one.
   * @param {string | undefined} apiKey
   * @returns {CaptivateChatAPI | undefined}
   */
  static _anyClient(apiKey) {
    let found;
    let connected;
    for (const api of live) {
      if (apiKey !== undefined && api._apiKey !== apiKey) continue;
      found = api;
      if (api._connected) connected = api;
    }
    return connected ?? found;
  }

  /**
   * Debug mode: the library's log records of `level` ('debug' unless given) and above are
   * printed with console.log, as `[captivate] LEVEL target: message`, and every event
   * delivered to a listener is noted at 'debug'. API keys never appear.
   */
  static setDebugMode(enabled, level = 'debug') {
    logs.setDebugMode(Boolean(enabled), level);
  }

  /** Whether debug mode is on. */
  static getDebugMode() {
    return logs.debug.level > 0;
  }

  /** Hands the library's log records `{level, target, message}` of `level` ('info' unless given) and above to `fn`; `null` stops. */
  static setLogger(fn, level = 'info') {
    logs.setLogger(fn, level);
  }

  // ----- calls -------------------------------------------------------------------------------

  /**
   * Starts a call through the native client and returns its Promise. `start` gets the native
   * client and returns the call's slot (or throws at once); `map` turns the outcome into the
   * resolved value as the batch arrives.
   */
  _call(start, map = same) {
    if (this._disposed) return Promise.reject(errors.disposed());
    if (!this._connected) {
      return Promise.reject(errors.ofCode('closed', 'the client is not connected yet: await connect() or use CaptivateChatAPI.create'));
    }
    return this._start(start, map);
  }

  _start(start, map) {
    let slot;
    try {
      slot = start(this._native);
    } catch (e) {
      return Promise.reject(errors.toError(e));
    }
    return new Promise((resolve, reject) => {
      this._waiting[slot] = { resolve, reject, map };
    });
  }

  /** Throws ClosedError when the client is disposed (for registrations). */
  _checkOpen() {
    if (this._disposed) throw errors.disposed();
    if (!this._connected) throw errors.ofCode('closed', 'the client is not connected yet: await connect() or use CaptivateChatAPI.create');
  }

  // ----- batches -----------------------------------------------------------------------------

  /** One batch from the native client: outcomes first, then events. */
  _receive(nums, text, vals, raws) {
    const completions = nums[0];
    const count = nums[1];
    if (completions === 0 && count === 0) return;
    const r = new events.Reader(nums, text, vals, raws);
    try {
      for (let k = 0; k < completions; k++) this._settle(r);
      for (let k = 0; k < count; k++) {
        const tag = r.num();
        const ev = events.readEvent(r, tag);
        const route = tag & events.ROUTE_SAME ? ev.conversationId : tag & events.ROUTE_OTHER ? r.str() : null;
        this._route(ev, route, (tag & events.TO_CLIENT) !== 0, (tag & events.RAW) !== 0);
      }
    } catch (e) {
      process.emitWarning(`captivate-chat could not read a batch: ${(e && e.stack) || e}`, 'CaptivateInternalWarning');
    }
  }

  _settle(r) {
    const slot = r.num();
    const type = r.num();
    let value;
    let error = null;
    switch (type) {
      case 0:
        value = undefined;
        break;
      case 1:
        value = r.str();
        break;
      case 2:
        value = r.val();
        break;
      case 3:
        value = events.readEvent(r, r.num());
        break;
      default:
        error = errors.fromIndex(r.num(), r.str(), r.val());
    }
    const w = this._waiting[slot];
    this._waiting[slot] = undefined;
    if (w === undefined) return;
    if (error !== null) {
      w.reject(error);
      return;
    }
    try {
      w.resolve(w.map(value));
    } catch (e) {
      w.reject(e);
    }
  }

  _route(ev, route, toClient, raw) {
    if (raw) {
      this._rawListeners.emit(ev);
      if (this._socket !== null) this._socket._frame(ev);
      return;
    }
    if (ev.kind === 'state') {
      if (logs.enabled('debug')) logs.record('debug', `state ${ev.previous.state} -> ${ev.current.state}`);
      if (this._socket !== null) this._socket._sync(READY_STATE[ev.current.state] ?? CaptivateSocket.CLOSED, ev.reason ?? null);
      this._clientListeners.emit(ev);
      for (const c of this._conversations.values()) c._listeners.emit(ev);
      return;
    }
    if (logs.enabled('debug')) logs.record('debug', `event ${ev.kind}${ev.conversationId ? ` (conversation ${ev.conversationId})` : ''}`);
    if (route !== null) {
      const c = this._conversations.get(route);
      if (c !== undefined) {
        c._listeners.emit(ev);
      } else {
        let early = this._early.get(route);
        if (early === undefined) {
          early = new Listeners(this, true);
          this._early.set(route, early);
        }
        early.emit(ev);
      }
    }
    if (toClient) this._clientListeners.emit(ev);
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

  /** The conversation object of an id (one per id), made on first use. */
  _wrap(id, metadata) {
    let c = this._conversations.get(id);
    if (c === undefined) {
      const early = this._early.get(id);
      this._early.delete(id);
      c = new Conversation(this, id, metadata, early);
      this._conversations.set(id, c);
    } else if (metadata !== undefined) {
      c.metadata = metadata;
    }
    return c;
  }

  // ----- the official API --------------------------------------------------------------------

  /** Connects (once; later calls resolve when that connection is made). */
  connect() {
    if (this._disposed) return Promise.reject(errors.disposed());
    if (this._connected) return Promise.resolve();
    if (this._connecting === null) {
      this._connecting = this._start(
        (n) => n.connect(this._dispatch, this._lazy, noop),
        () => {
          this._connected = true;
        },
      ).then(
        () => {
          if (this._disposed) {
            // Disposed while connecting: close now.
            return this._start((n) => n.close(), same).then(() => Promise.reject(errors.disposed()));
          }
          if (this._socket !== null) this._socket._sync();
          return undefined;
        },
        (e) => {
          this._connecting = null;
          if (this._socket !== null) this._socket._sync(CaptivateSocket.CLOSED, (e && e.message) || null);
          throw e;
        },
      );
    }
    return this._connecting;
  }

  /**
   * Starts a conversation. `autoConversationStart` 'bot-first' (default) makes the flow greet
   * the user; 'user-first' waits for the user.
   */
  createConversation(userId, userBasicInfo, metadata, autoConversationStart = 'bot-first', privateMetadata) {
    args.needString('userId', userId);
    const o = {
      userId,
      userBasicInfo: args.optObject('userBasicInfo', userBasicInfo),
      metadata: args.optObject('metadata', metadata),
      start: args.optString('autoConversationStart', autoConversationStart) ?? 'bot-first',
      privateMetadata: args.optObject('privateMetadata', privateMetadata),
    };
    return this._call(
      (n) => n.startConversation(o),
      (id) => this._wrap(id, o.metadata),
    );
  }

  /** A conversation by id (its events are routed to it from now on). */
  getConversation(conversationId) {
    args.needString('conversationId', conversationId);
    const existing = this._conversations.get(conversationId);
    if (existing !== undefined) return existing;
    this._checkOpen();
    try {
      this._native.attach(conversationId);
    } catch (e) {
      throw errors.toError(e);
    }
    return this._wrap(conversationId, undefined);
  }

  /**
   * A user's conversations: `getUserConversations(userId)` or
   * `getUserConversations({userId, filter, search, pagination: {page, limit}, apiKeys})`.
   */
  getUserConversations(userIdOrOptions) {
    let o;
    if (typeof userIdOrOptions === 'string') {
      o = { userId: userIdOrOptions };
    } else {
      args.needObject('userIdOrOptions', userIdOrOptions);
      args.onlyKeys('options', userIdOrOptions, ['userId', 'filter', 'search', 'pagination', 'apiKeys']);
      const { userId, filter, search, pagination, apiKeys } = userIdOrOptions;
      o = { userId: args.needString('options.userId', userId), filter, search, apiKeys };
      if (!args.none(pagination)) {
        args.needObject('options.pagination', pagination);
        args.onlyKeys('options.pagination', pagination, ['page', 'limit']);
        o.page = pagination.page;
        o.limit = pagination.limit;
      }
      if (!args.none(apiKeys) && !Array.isArray(apiKeys)) {
        throw new TypeError(`options.apiKeys must be an array of strings, not ${args.describe(apiKeys)}`);
      }
    }
    return this._call((n) => n.listConversations(o)).then((list) => {
      const conversations = list.conversations.map((c) => {
        const conversation = this.getConversation(c.conversationId);
        conversation.metadata = c.metadata;
        return conversation;
      });
      const result = { conversations };
      if (list.pagination) result.pagination = list.pagination;
      return result;
    });
  }

  /** Deletes all of a user's conversations, soft (default) or hard (`{softDelete: false}`). */
  deleteUserConversations(userId, opts) {
    args.needString('userId', userId);
    const hard = args.hardDelete(opts);
    return this._call((n) => n.deleteUserConversations(userId, hard));
  }

  /**
   * The socket, as the official client hands out its WebSocket: a WebSocket (a
   * {@link CaptivateSocket}) backed by this client's connection, the one object across
   * reconnects (`open` on each connection, `close` when one ends, every frame from the hub a
   * `message`). Null before `connect()` and after `dispose()`.
   * @returns {CaptivateSocket | null}
   */
  getSocket() {
    if (this._disposed || (!this._connected && this._connecting === null)) return null;
    if (this._socket === null) this._socket = new CaptivateSocket(this);
    return this._socket;
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
    return this._connected && !this._disposed ? this._native.socketId() ?? null : null;
  }

  /** The connection's state: `{state, attempt?, retryInMs?, socketId?}`. */
  get state() {
    if (this._connected) return this._native.state();
    return { state: this._disposed ? 'closed' : 'initialized' };
  }

  /**
   * Connects again after a failure, or retries at once while waiting to reconnect; resolves
   * when connected, rejects with the reason when that does not happen within the connect
   * timeout (the client keeps trying in the background unless it failed for good).
   */
  reconnect() {
    return this._call((n) => n.reconnect());
  }

  /** Connection state changes: `(change) => ...` with `{previous, current, reason, queued}`. */
  onStateChange(callback) {
    args.needFunction('callback', callback);
    this._checkOpen();
    return this._clientListeners.add((ev) => {
      if (ev.kind === 'state') callback(ev);
    });
  }

  /** Client-level events: state changes, and hub events that name no open conversation. */
  onEvent(callback) {
    args.needFunction('callback', callback);
    this._checkOpen();
    return this._clientListeners.add(callback);
  }

  /** Every frame from the hub, decoded, before routing and deduplication (the escape hatch). */
  onRawEvent(callback) {
    args.needFunction('callback', callback);
    this._checkOpen();
    try {
      this._native.openRaw();
    } catch (e) {
      throw errors.toError(e);
    }
    return this._rawListeners.add(callback);
  }

  /** Client-level events as an async iterator; it ends on `break` or when the client is disposed. */
  events() {
    if (!this._disposed) this._checkOpen();
    return iterate((fn) => this._clientListeners.add(fn), this);
  }

  /** Errors thrown by listeners: `(error, event) => ...`. */
  onListenerError(callback) {
    args.needFunction('callback', callback);
    const entry = (e, ev) => callback(e, ev);
    this._errorHandlers.add(entry);
    return () => {
      this._errorHandlers.delete(entry);
    };
  }

  /** The escape hatch: sends any event type with any payload; resolves once written. */
  sendRaw(eventType, payload) {
    args.needString('eventType', eventType);
    args.needObject('payload', payload);
    return this._call((n) => n.request(eventType, payload, null, null));
  }

  /** The escape hatch for requests: sends any event and resolves to the first reply of `replyEventType`. */
  requestRaw(eventType, payload, replyEventType, opts) {
    args.needString('eventType', eventType);
    args.needObject('payload', payload);
    args.needString('replyEventType', replyEventType);
    let conversationId = null;
    if (!args.none(opts)) {
      args.needObject('options', opts);
      args.onlyKeys('options', opts, ['conversationId']);
      conversationId = args.optString('options.conversationId', opts.conversationId) ?? null;
    }
    return this._call((n) => n.request(eventType, payload, replyEventType, conversationId));
  }

  /**
   * Closes the socket gracefully and ends every iterator, so that nothing keeps the process
   * alive. Later calls resolve at once; methods called afterwards reject with ClosedError.
   */
  dispose() {
    if (this._disposing !== null) return this._disposing;
    this._disposed = true;
    if (this._identity !== null && registry.get(this._identity) === this) registry.delete(this._identity);
    live.delete(this);
    for (const finish of [...this._iterators]) finish();
    let p;
    if (this._connected) p = this._start((n) => n.close(), same).then(() => undefined, () => undefined);
    else if (this._connecting !== null) p = this._connecting.then(() => undefined, () => undefined);
    else p = Promise.resolve();
    const socket = this._socket;
    if (socket !== null) p = p.then(() => socket._sync());
    this._disposing = p;
    return p;
  }
}

module.exports = { CaptivateChatAPI };
