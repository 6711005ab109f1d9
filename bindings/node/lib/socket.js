// CaptivateSocket: what `api.getSocket()` returns, for code written against the official client
// (which hands out its WebSocket): a WebSocket, backed by the client's connection. The client
// reconnects by itself, so the one object stays valid across reconnects: each connection made
// is an `open`, each one that ends a `close`, and every frame the hub sends a `message` whose
// data is the frame's text as the hub sent it.
'use strict';

const { getEventListeners } = require('node:events');

const errors = require('./errors.js');
const { rawTextOf } = require('./events.js');

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** The WebSocket ready state of a connection state. */
const READY_STATE = {
  initialized: CONNECTING,
  connecting: CONNECTING,
  disconnected: CONNECTING,
  suspended: CONNECTING,
  connected: OPEN,
  closing: CLOSING,
  closed: CLOSED,
  failed: CLOSED,
};

/** The event types that have an `on...` handler. */
const HANDLED = ['open', 'message', 'close', 'error'];

/** A WebSocket's `close` event: the close code, the reason, and whether the closing handshake was made. */
const CloseEvent =
  globalThis.CloseEvent ??
  class CloseEvent extends Event {
    #code;
    #reason;
    #wasClean;

    /**
     * @param {string} type
     * @param {{code?: number, reason?: string, wasClean?: boolean} & EventInit} [init]
     */
    constructor(type, init = {}) {
      super(type, init);
      this.#code = init.code ?? 0;
      this.#reason = init.reason ?? '';
      this.#wasClean = init.wasClean ?? false;
    }

    /** The close code (1000 for a normal closure, 1006 when the connection was lost without one). */
    get code() {
      return this.#code;
    }

    /** The reason the peer gave with its close code. */
    get reason() {
      return this.#reason;
    }

    /** True when the connection was closed with a closing handshake. */
    get wasClean() {
      return this.#wasClean;
    }
  };

/** A WebSocket's `error` event: the error (a CaptivateError) and its message. */
const ErrorEvent =
  globalThis.ErrorEvent ??
  class ErrorEvent extends Event {
    #message;
    #error;

    /**
     * @param {string} type
     * @param {{message?: string, error?: unknown} & EventInit} [init]
     */
    constructor(type, init = {}) {
      super(type, init);
      this.#message = init.message ?? '';
      this.#error = init.error;
    }

    /** What went wrong. */
    get message() {
      return this.#message;
    }

    /** The error (a CaptivateError). */
    get error() {
      return this.#error;
    }

    /** Always `''` (the error did not come from a script). */
    get filename() {
      return '';
    }

    /** Always 0. */
    get lineno() {
      return 0;
    }

    /** Always 0. */
    get colno() {
      return 0;
    }
  };

/**
 * The URL as it may be shown: without an `apiKey` (or `x-api-key`) query parameter, and with
 * the key itself nowhere in it.
 * @param {string} url
 * @param {string} apiKey
 */
function withoutKey(url, apiKey) {
  let out = url;
  try {
    const u = new URL(url);
    for (const name of [...u.searchParams.keys()]) {
      if (/^(apikey|x-api-key)$/i.test(name)) u.searchParams.delete(name);
    }
    out = u.href;
  } catch {
    out = url.replace(/([?&])(apikey|x-api-key)=[^&#]*&?/gi, '$1').replace(/[?&]$/, '');
  }
  if (apiKey.length > 0) {
    for (const form of new Set([apiKey, encodeURIComponent(apiKey)])) out = out.split(form).join('[redacted]');
  }
  return out;
}

/** The bytes of what `send` takes, as text; a Blob as itself; null for anything else. */
function textOf(data) {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && data instanceof SharedArrayBuffer)) {
    return Buffer.from(data).toString('utf8');
  }
  if (typeof Blob === 'function' && data instanceof Blob) return data;
  return null;
}

/**
 * The event type and payload of a frame `{action, event: {event_type, event_payload}}`, or an
 * InvalidArgumentError.
 * @param {string} text
 */
function envelope(text) {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    frame = null;
  }
  const event = frame !== null && typeof frame === 'object' ? frame.event : undefined;
  if (event === null || typeof event !== 'object' || typeof event.event_type !== 'string') {
    return errors.ofCode('invalid_argument', 'send() takes the JSON of {action, event: {event_type, event_payload}}');
  }
  const payload = event.event_payload !== null && typeof event.event_payload === 'object' ? event.event_payload : {};
  return { type: event.event_type, payload };
}

/**
 * The socket of a client: a WebSocket (an EventTarget with the WebSocket's members), backed by
 * the client's connection, which reconnects by itself. The one object stays valid across
 * reconnects:
 *
 * - `open` fires each time a connection is made (the hub said `socket_connected`);
 * - `close` fires each time an open connection ends: `readyState` is then `CONNECTING` when the
 *   client reconnects by itself, `CLOSED` when it is done (closed, disposed, or failed for
 *   good); also once when the client ends without a connection open. Its `code` and `reason`
 *   are the hub's close frame's, `wasClean` true; a connection lost without one is 1006,
 *   `wasClean` false, and an `error` event comes first. A close by `close()` or
 *   `api.dispose()` is 1000;
 * - `message` fires for every frame the hub sends, its `data` the frame's JSON text as the hub
 *   sent it (for the rarer frames the library keeps only as JSON, that JSON written again: the
 *   same value, its keys perhaps in another order), from the time the first `message` listener
 *   (or `onmessage`) is added;
 * - `error` fires when the connection is lost or cannot be made, and when a frame given to
 *   `send` could not be sent (its `error` is the CaptivateError).
 *
 * Listeners follow the EventTarget's rules: one that throws is reported as an uncaught
 * exception, as a WebSocket's would be.
 */
class CaptivateSocket extends EventTarget {
  /** @type {import('./client.js').CaptivateChatAPI} */
  #api;
  #url;
  #origin;
  /** What the listeners were told last: 'open', 'down' (connecting again) or 'closed'. */
  #phase;
  /** @type {Record<string, Function | null>} */
  #handlers = { open: null, message: null, close: null, error: null };
  /** The handler listeners added so far, by type. */
  #handling = new Set();
  #binaryType = 'blob';
  /** Bytes given to `send` and not written yet. */
  #buffered = 0;
  /** @type {Promise<void> | null} set while a Blob is read: later frames wait for it. */
  #chain = null;
  /** Someone listens for messages: the client's raw feed is (to be) opened. */
  #messages = false;
  #feedOpen = false;

  /**
   * @internal
   * @param {import('./client.js').CaptivateChatAPI} api
   */
  constructor(api) {
    super();
    this.#api = api;
    this.#url = withoutKey(api._native.url(), api._apiKey);
    try {
      this.#origin = new URL(this.#url).origin;
    } catch {
      this.#origin = '';
    }
    const state = this.readyState;
    this.#phase = state === OPEN ? 'open' : state === CLOSED ? 'closed' : 'down';
  }

  /** The hub's WebSocket URL, without the API key (which is never shown). */
  get url() {
    return this.#url;
  }

  /** The subprotocol the hub chose: always `''` (none is asked for). */
  get protocol() {
    return '';
  }

  /** The extensions the hub chose: always `''`. */
  get extensions() {
    return '';
  }

  /** `CONNECTING` (also while reconnecting), `OPEN`, `CLOSING` or `CLOSED`, as a WebSocket's. */
  get readyState() {
    const api = this.#api;
    if (api._disposed) return api._native.state().state === 'closing' ? CLOSING : CLOSED;
    if (!api._connected) return api._connecting === null ? CLOSED : CONNECTING;
    return READY_STATE[api.state.state] ?? CLOSED;
  }

  /** The bytes of the frames given to `send` that are not written yet. */
  get bufferedAmount() {
    return this.#buffered;
  }

  /**
   * `'blob'` (the default) or `'arraybuffer'`: how binary frames would be given. The hub sends
   * text frames only, so it changes nothing; other values are ignored, as a WebSocket does.
   */
  get binaryType() {
    return this.#binaryType;
  }

  set binaryType(value) {
    if (value === 'blob' || value === 'arraybuffer') this.#binaryType = value;
  }

  /** Called with the `open` Event. */
  get onopen() {
    return this.#handlers.open;
  }

  set onopen(fn) {
    this.#handle('open', fn);
  }

  /** Called with each `message` MessageEvent (`data`: the frame's text). */
  get onmessage() {
    return this.#handlers.message;
  }

  set onmessage(fn) {
    this.#handle('message', fn);
  }

  /** Called with each `close` CloseEvent. */
  get onclose() {
    return this.#handlers.close;
  }

  set onclose(fn) {
    this.#handle('close', fn);
  }

  /** Called with each `error` ErrorEvent (`error`: the CaptivateError). */
  get onerror() {
    return this.#handlers.error;
  }

  set onerror(fn) {
    this.#handle('error', fn);
  }

  /** Adds a listener (EventTarget's); the first `message` listener starts the frames. */
  addEventListener(type, listener, options) {
    super.addEventListener(type, listener, options);
    if (String(type) === 'message' && listener !== null && listener !== undefined) this.#wantMessages();
  }

  /**
   * Sends a frame: the JSON (a string, its bytes, or a Blob of them) of an envelope `{action:
   * 'sendMessage', event: {event_type, event_payload}}`, as the official client writes on its
   * socket. Like a WebSocket's `send`, it returns nothing; `bufferedAmount` counts the frame
   * until it is written, and a frame that could not be sent is an `error` event (without a
   * listener, a process warning). Throws ClosedError while connecting (as a WebSocket does)
   * and InvalidArgumentError for a frame that is not such an envelope; ignores frames once
   * closing or closed.
   */
  send(data) {
    const text = textOf(data);
    if (text === null) throw new TypeError('send() takes a string, its bytes or a Blob');
    const state = this.readyState;
    if (state === CONNECTING) throw errors.ofCode('closed', 'the socket is still connecting');
    if (state !== OPEN) return;
    if (typeof text !== 'string') {
      this.#sendBlob(text);
      return;
    }
    const frame = envelope(text);
    if (frame instanceof Error) throw frame;
    const bytes = Buffer.byteLength(text);
    this.#buffered += bytes;
    if (this.#chain === null) {
      this.#write(frame, bytes);
      return;
    }
    this.#after(() => this.#write(frame, bytes));
  }

  /**
   * Closes the connection gracefully: the client is disposed, as the official `dispose()`
   * would after closing its socket. The connection closes with code 1000 whatever `code` says
   * (which must be 1000 or 3000 to 4999, and `reason` at most 123 bytes, as a WebSocket
   * checks: InvalidArgumentError otherwise); `close` fires once it is closed.
   */
  close(code, reason) {
    if (code !== undefined && code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
      throw errors.ofCode('invalid_argument', `the close code must be 1000 or between 3000 and 4999, not ${code}`);
    }
    if (reason !== undefined && Buffer.byteLength(String(reason)) > 123) {
      throw errors.ofCode('invalid_argument', 'the close reason must be at most 123 bytes');
    }
    this.#api.dispose();
  }

  /**
   * @internal A frame from the hub (an event of the raw feed).
   * @param {unknown} ev
   */
  _frame(ev) {
    const data = rawTextOf(ev);
    if (data !== null) this.dispatchEvent(new MessageEvent('message', { data, origin: this.#origin }));
  }

  /**
   * @internal Tells the listeners what changed: `state`, the ready state a state change led to
   * (the current one when not given), and the change's reason.
   * @param {number} [state]
   * @param {string | null} [reason]
   */
  _sync(state = this.readyState, reason = null) {
    // Once disposed, a change still on its way tells nothing new.
    if (this.#api._disposed) state = this.readyState;
    if (state === OPEN) {
      this.#openFeed();
      if (this.#phase !== 'open') {
        this.#phase = 'open';
        this.dispatchEvent(new Event('open'));
      }
      return;
    }
    if (state === CONNECTING) {
      if (this.#phase === 'open') this.#closed('down', reason);
      else if (this.#phase === 'closed') this.#phase = 'down';
      return;
    }
    if (state === CLOSED && this.#phase !== 'closed') this.#closed('closed', reason);
  }

  #closed(phase, reason) {
    const wasOpen = this.#phase === 'open';
    this.#phase = phase;
    const byUser = this.#api._disposed;
    let info;
    const m = /the hub closed the connection \(code (\d+)(?:: (.*))?\)/s.exec(reason ?? '');
    if (byUser) info = wasOpen ? { code: 1000, reason: '', wasClean: true } : { code: 1006, reason: '', wasClean: false };
    else if (m) info = { code: Number(m[1]), reason: m[2] ?? '', wasClean: true };
    else info = { code: 1006, reason: '', wasClean: false };
    if (!info.wasClean && !byUser) {
      const error = errors.ofCode(wasOpen ? 'connection_lost' : 'connect', reason || (wasOpen ? 'the connection was lost' : 'the connection could not be made'));
      this.dispatchEvent(new ErrorEvent('error', { message: error.message, error }));
    }
    this.dispatchEvent(new CloseEvent('close', info));
  }

  /** Sets the handler of `type`; its listener is added when first set, as a WebSocket's. */
  #handle(type, fn) {
    this.#handlers[type] = typeof fn === 'function' ? fn : null;
    if (this.#handlers[type] === null || this.#handling.has(type)) return;
    this.#handling.add(type);
    super.addEventListener(type, (ev) => {
      const h = this.#handlers[type];
      if (h !== null) h.call(this, ev);
    });
    if (type === 'message') this.#wantMessages();
  }

  #wantMessages() {
    this.#messages = true;
    this.#openFeed();
  }

  /** Opens the client's raw feed once someone listens for messages and the client is connected. */
  #openFeed() {
    const api = this.#api;
    if (!this.#messages || this.#feedOpen || !api._connected || api._disposed) return;
    try {
      api._native.openRaw();
      this.#feedOpen = true;
    } catch {
      // Closed meanwhile: there is nothing to deliver.
    }
  }

  /** Runs `step` after the Blob being read (and the frames waiting behind it). */
  #after(step) {
    const next = /** @type {Promise<void>} */ (this.#chain).then(step);
    this.#chain = next;
    next.then(() => {
      if (this.#chain === next) this.#chain = null;
    });
  }

  #sendBlob(blob) {
    const bytes = blob.size;
    this.#buffered += bytes;
    const read = (this.#chain ?? Promise.resolve()).then(() => blob.text());
    const next = read.then(
      (text) => {
        const frame = envelope(text);
        if (frame instanceof Error) this.#failed(frame, bytes);
        else this.#write(frame, bytes);
      },
      (e) => this.#failed(errors.ofCode('invalid_argument', `the Blob could not be read: ${(e && e.message) || e}`), bytes),
    );
    this.#chain = next;
    next.then(() => {
      if (this.#chain === next) this.#chain = null;
    });
  }

  /** Writes a frame through the client; a failure is an `error` event. */
  #write(frame, bytes) {
    this.#api.sendRaw(frame.type, frame.payload).then(
      () => {
        this.#buffered -= bytes;
      },
      (e) => this.#failed(e, bytes),
    );
  }

  #failed(error, bytes) {
    this.#buffered -= bytes;
    const message = `a frame given to the socket's send() was not sent: ${(error && error.message) || error}`;
    const listened = getEventListeners(this, 'error').length - (this.#handling.has('error') ? 1 : 0) + (this.#handlers.error !== null ? 1 : 0);
    if (listened === 0) {
      process.emitWarning(message, 'CaptivateSocketWarning');
      return;
    }
    this.dispatchEvent(new ErrorEvent('error', { message: (error && error.message) || message, error }));
  }
}

for (const [name, value] of Object.entries({ CONNECTING, OPEN, CLOSING, CLOSED })) {
  Object.defineProperty(CaptivateSocket, name, { value, enumerable: true });
  Object.defineProperty(CaptivateSocket.prototype, name, { value, enumerable: true });
}

module.exports = { CaptivateSocket, READY_STATE };
