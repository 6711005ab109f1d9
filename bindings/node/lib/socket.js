// CaptivateSocket: what `api.getSocket()` returns, for code written against the official client
// (which hands out its WebSocket): the WebSocket's `readyState` and its constants, `send` and
// `close`, backed by the client's connection (which reconnects by itself, so the one object
// stays valid across reconnects).
'use strict';

const errors = require('./errors.js');

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

/** The socket of a client, with the members of a WebSocket its callers use. */
class CaptivateSocket {
  /**
   * @internal
   * @param {import('./client.js').CaptivateChatAPI} api
   */
  constructor(api) {
    Object.defineProperty(this, '_api', { value: api });
    /** Called with an Error when a frame given to `send` could not be sent. */
    this.onerror = null;
  }

  /** `CONNECTING` (also while reconnecting), `OPEN`, `CLOSING` or `CLOSED`, as a WebSocket's. */
  get readyState() {
    const api = this._api;
    if (api._disposed) return api._native.state().state === 'closing' ? CLOSING : CLOSED;
    if (!api._connected) return CONNECTING;
    return READY_STATE[api.state.state] ?? CLOSED;
  }

  /**
   * Sends a frame: the JSON (a string, or its bytes) of an envelope `{action: 'sendMessage',
   * event: {event_type, event_payload}}`, as the official client writes on its socket. Like a
   * WebSocket's `send`, it returns nothing; a send that fails later is reported to `onerror`
   * (or as a process warning). Throws while connecting (as a WebSocket does), and ignores
   * frames once closing or closed.
   */
  send(data) {
    const text = typeof data === 'string' ? data : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8') : null;
    if (text === null) throw new TypeError('send() takes a string or its bytes');
    const state = this.readyState;
    if (state === CONNECTING) throw errors.ofCode('closed', 'the socket is still connecting');
    if (state !== OPEN) return;
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      frame = null;
    }
    const event = frame !== null && typeof frame === 'object' ? frame.event : undefined;
    if (event === null || typeof event !== 'object' || typeof event.event_type !== 'string') {
      throw errors.ofCode('invalid_argument', 'send() takes the JSON of {action, event: {event_type, event_payload}}');
    }
    const payload = event.event_payload !== null && typeof event.event_payload === 'object' ? event.event_payload : {};
    this._api.sendRaw(event.event_type, payload).catch((e) => {
      if (typeof this.onerror === 'function') {
        try {
          this.onerror(e);
          return;
        } catch (thrown) {
          e = thrown;
        }
      }
      process.emitWarning(`a frame given to the socket's send() was not sent: ${(e && e.message) || e}`, 'CaptivateSocketWarning');
    });
  }

  /**
   * Closes the connection gracefully (close code 1000, whatever `code` and `reason` say): the
   * client is disposed, as the official `dispose()` would after closing its socket.
   */
  close() {
    this._api.dispose();
  }
}

for (const [name, value] of Object.entries({ CONNECTING, OPEN, CLOSING, CLOSED })) {
  Object.defineProperty(CaptivateSocket, name, { value, enumerable: true });
  Object.defineProperty(CaptivateSocket.prototype, name, { value, enumerable: true });
}

module.exports = { CaptivateSocket };
