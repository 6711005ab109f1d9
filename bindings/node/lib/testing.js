// `captivate-chat/testing`: the local hub in this process, for testing an application offline.
// The hub (the binding layer's, over the captivate-sim crate) runs in a thread of its own, off
// Node's event loop: it never keeps the process alive, and it ends with the process, or when
// its Hub is garbage-collected, if `close()` was not called. Starting and closing resolve
// Promises (they run off the JavaScript thread); the controls and the inspection are quick
// synchronous calls. Values cross as JSON; errors are the package's classes.
'use strict';

const native = require('../native.js');
const errors = require('./errors.js');
const { describe, isPlainObject, none, needString, optObject, optBoolean, needNumber } = require('./args.js');

function camel(key) {
  return key.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
}

/** An object's keys (not its values' keys) in camelCase. */
function camelKeys(o) {
  if (!isPlainObject(o)) return o;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), v]));
}

/** Calls the native hub, turning its errors into the package's. */
function call(f) {
  try {
    return f();
  } catch (e) {
    throw errors.toError(e);
  }
}

/** A number (TypeError otherwise) that is whole and from 0 to `max` (InvalidArgumentError otherwise). */
function wholeNumber(name, v, max) {
  needNumber(name, v);
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw errors.ofCode('invalid_argument', `${name} must be a whole number from 0 to ${max}, not ${v}`);
  }
  return v;
}

/** A script: an object, or null (the usual flow). */
function scriptArg(name, v) {
  if (v === null) return null;
  if (!isPlainObject(v)) throw new TypeError(`${name} must be an object ({greeting, rules}) or null, not ${describe(v)}`);
  return v;
}

/** Content a bot or agent says: a string, or an array of items and strings. */
function contentArg(v) {
  if (typeof v !== 'string' && !Array.isArray(v)) {
    throw new TypeError(`content must be a string or an array of content items, not ${describe(v)}`);
  }
  return v;
}

/** `{send?: boolean}` → send (default true). */
function sendArg(options) {
  const o = optObject('options', options) || {};
  return optBoolean('options.send', o.send) ?? true;
}

/** The type of each proxy fault (`latencyMs` and `bandwidthBps` whole numbers). */
const PROXY_FAULT_TYPES = Object.freeze({ latencyMs: 'number', bandwidthBps: 'number', blackhole: 'boolean' });

/**
 * The checked faults of `setProxyFaults` (camelCase or snake_case names): types here (TypeError),
 * names by the native layer (InvalidArgumentError); `null` or `undefined` values: off.
 */
function proxyFaultsArg(faults) {
  const f = optObject('faults', faults);
  if (f === undefined) return null;
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    const type = PROXY_FAULT_TYPES[/** @type {keyof typeof PROXY_FAULT_TYPES} */ (camel(k))];
    if (type === 'boolean') optBoolean(`faults.${k}`, v);
    else if (type === 'number' && v !== null) wholeNumber(`faults.${k}`, v, Number.MAX_SAFE_INTEGER);
    out[k] = v;
  }
  return out;
}

/** The checked options of `startHub`, for the native layer. */
function startOptions(options) {
  const o = optObject('options', options) || {};
  const out = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    switch (k) {
      case 'script':
        out.script = scriptArg('options.script', v);
        break;
      case 'apiKey':
        out.api_key = needString('options.apiKey', v);
        break;
      case 'extraApiKeys':
        if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
          throw new TypeError(`options.extraApiKeys must be an array of strings, not ${describe(v)}`);
        }
        out.extra_api_keys = v;
        break;
      case 'tls':
        out.tls = optBoolean('options.tls', v);
        break;
      case 'agentDelayMs':
        out.agent_delay_ms = needNumber('options.agentDelayMs', v);
        break;
      case 'port':
        out.port = needNumber('options.port', v);
        break;
      case 'proxy':
        out.proxy = optBoolean('options.proxy', v);
        break;
      case 'log':
        out.log = optBoolean('options.log', v);
        break;
      default:
        // Unknown names (snake_case ones too) go through: the native layer names what it takes.
        out[k] = v;
    }
  }
  return out;
}

/** Only `startHub` makes a Hub. */
const TOKEN = Symbol('captivate-chat hub');

/**
 * A local hub running in this process (see `startHub`). Its address is fixed for its life
 * (`restart` listens again on the same port); the controls and the inspection are synchronous
 * and throw `ClosedError` after `close()`.
 */
class Hub {
  #native;
  #apiKey;
  #options;
  #url;
  #httpUrl;
  /** @type {string | null} */
  #proxyUrl;
  /** @type {Promise<void> | null} */
  #closing = null;

  /** @param {symbol} token @param {any} hub the native hub @param {boolean} proxy whether it has the fault proxy */
  constructor(token, hub, proxy) {
    if (token !== TOKEN) throw new TypeError('a Hub is made by startHub()');
    this.#native = hub;
    this.#url = call(() => hub.url());
    this.#httpUrl = call(() => hub.httpUrl());
    this.#proxyUrl = proxy ? call(() => hub.proxyUrl()) : null;
    // With the proxy, these go through it.
    const o = call(() => hub.clientOptions());
    this.#apiKey = o.api_key;
    /** @type {{url: string, httpUrl: string, filesUrl: string, caPem?: string}} */
    const options = { url: o.url, httpUrl: o.http_url, filesUrl: o.files_url };
    if (typeof o.ca_pem === 'string') options.caPem = o.ca_pem;
    this.#options = Object.freeze(options);
    this.port = call(() => hub.port());
    Object.freeze(this);
  }

  #hub() {
    if (this.#closing) throw errors.ofCode('closed', 'the hub is closed');
    return this.#native;
  }

  /** The WebSocket URL of the hub itself, without the key (`ws://127.0.0.1:PORT/dev`). */
  get url() {
    return this.#url;
  }

  /** The HTTP base of the hub itself (the channel API, the file service). */
  get httpUrl() {
    return this.#httpUrl;
  }

  /** With `tls`, the PEM of the certificate to trust; otherwise null. */
  get caPem() {
    return this.#options.caPem ?? null;
  }

  /** The API key clients present (a getter: printing the hub does not show it). */
  get apiKey() {
    return this.#apiKey;
  }

  /** Whether the hub still runs (false once `close()` is called). */
  get running() {
    return this.#closing === null;
  }

  /**
   * The options a client of this hub needs, to spread into its own:
   * `CaptivateChatAPI.create(hub.apiKey, 'dev', { ...hub.clientOptions(), shared: false })`.
   * With the fault proxy, their URLs go through it.
   */
  clientOptions() {
    return { ...this.#options };
  }

  /** Replaces the bot's script (`null`: the usual flow); conversations keep their state. */
  setScript(script) {
    const s = scriptArg('script', script);
    call(() => this.#hub().setScript(s));
  }

  /** The bot's script in force. */
  get script() {
    return call(() => this.#hub().script());
  }

  /** Replaces the faults in force with these (camelCase or snake_case names). */
  setFaults(faults) {
    const f = optObject('faults', faults) ?? null;
    call(() => this.#hub().setFaults(f));
  }

  /** Clears every fault. */
  clearFaults() {
    call(() => this.#hub().setFaults(null));
  }

  /** The faults in force (camelCase names). */
  get faults() {
    return camelKeys(call(() => this.#hub().faults()));
  }

  /** Closes every connection abruptly, without a close frame: clients see a dropped link. */
  drop() {
    call(() => this.#hub().dropConnections());
  }

  /** Sends a close frame with `code` and `reason` on every connection, then closes it. */
  closeConnections(code, reason = '') {
    wholeNumber('code', code, 65535);
    needString('reason', reason);
    call(() => this.#hub().closeConnections(code, reason));
  }

  /**
   * Closes every connection and refuses new ones for `downMs`, then listens again on the same
   * port (conversations survive). Returns at once.
   */
  restart(downMs) {
    wholeNumber('downMs', downMs, 0xffffffff);
    call(() => this.#hub().restart(downMs));
  }

  /** Sends this frame (an object, sent as JSON) to every connection. */
  push(frame) {
    needObject('frame', frame);
    call(() => this.#hub().push(frame));
  }

  /** Sends raw text (e.g. malformed JSON) to every connection. */
  pushText(text) {
    needString('text', text);
    call(() => this.#hub().pushText(text));
  }

  /** The bot says `content` in a conversation: recorded in its transcript and, unless `send: false`, sent. */
  botSays(conversationId, content, options) {
    needString('conversationId', conversationId);
    const c = contentArg(content);
    const send = sendArg(options);
    call(() => this.#hub().botSays(conversationId, c, send));
  }

  /** The live agent says `content` in a conversation (as `botSays`). */
  agentSays(conversationId, content, options) {
    needString('conversationId', conversationId);
    const c = contentArg(content);
    const send = sendArg(options);
    call(() => this.#hub().agentSays(conversationId, c, send));
  }

  /** Sends a `conversation_update` of `type` with `data` to a conversation. */
  update(conversationId, type, data) {
    needString('conversationId', conversationId);
    needString('type', type);
    const update = { type, data: data === undefined ? {} : data };
    call(() => this.#hub().update(conversationId, update));
  }

  /**
   * Every frame the hub received from clients, in order, as sent (`{action, event: {event_type,
   * event_payload}}`; HTTP sends with `via: 'http'`), narrowed to a conversation and an event type.
   */
  received(filter) {
    const f = optObject('filter', filter) || {};
    const conversationId = none(f.conversationId) ? null : needString('filter.conversationId', f.conversationId);
    const eventType = none(f.eventType) ? null : needString('filter.eventType', f.eventType);
    return call(() => this.#hub().received(conversationId, eventType));
  }

  /** Every HTTP request the hub served: `{method, path, status}`. */
  requests() {
    return call(() => this.#hub().requests());
  }

  /** The conversations: `{conversationId, userId, metadata, live, agent, state, transcript}`. */
  conversations() {
    return call(() => this.#hub().conversations()).map(camelKeys);
  }

  /** The stored files: `{fileKey, filename, contentType, fileSize, ttlDays}`. */
  files() {
    return call(() => this.#hub().files());
  }

  /** Makes the links of a stored file (of every one, without a key) expire now; how many it touched. */
  expireFiles(fileKey) {
    const key = none(fileKey) ? null : needString('fileKey', fileKey);
    return call(() => this.#hub().expireFiles(key));
  }

  /** Connections open now. */
  get liveConnections() {
    return call(() => this.#hub().liveConnections());
  }

  /** Successful WebSocket handshakes so far. */
  get connectionsAccepted() {
    return call(() => this.#hub().connectionsAccepted());
  }

  #proxy() {
    const hub = this.#hub();
    if (this.#proxyUrl === null) {
      throw errors.ofCode('invalid_argument', 'this hub has no fault proxy: start it with startHub({ proxy: true })');
    }
    return hub;
  }

  /** With `proxy: true`, the WebSocket URL through the fault proxy, without the key (what `clientOptions()` gives). */
  get proxyUrl() {
    if (this.#proxyUrl === null) this.#proxy();
    return /** @type {string} */ (this.#proxyUrl);
  }

  /**
   * Replaces the fault proxy's faults with these (`{latencyMs, bandwidthBps, blackhole}`;
   * `{}` or null: none). `latencyMs` delays every chunk each way; `bandwidthBps` limits each
   * direction of each connection (0: no limit); `blackhole` forwards nothing, keeping the
   * connections open.
   */
  setProxyFaults(faults) {
    const f = proxyFaultsArg(faults);
    call(() => this.#proxy().setProxyFaults(f));
  }

  /** Clears the fault proxy's faults. */
  clearProxyFaults() {
    call(() => this.#proxy().setProxyFaults(null));
  }

  /** The fault proxy's faults in force: `{latencyMs, bandwidthBps, blackhole}`. */
  get proxyFaults() {
    return camelKeys(call(() => this.#proxy().proxyFaults()));
  }

  /** Resets every connection through the fault proxy (a TCP RST); how many. */
  proxyReset() {
    return call(() => this.#proxy().proxyReset());
  }

  /**
   * Cuts every connection through the fault proxy inside the next WebSocket frame the hub
   * sends on it (the client reads half a frame, then the end of the stream); how many were armed.
   */
  proxyTruncate() {
    return call(() => this.#proxy().proxyTruncate());
  }

  /**
   * Closes every connection through the fault proxy and refuses new ones for `downMs` (the
   * hub itself keeps running); resolves once the proxy refuses connections. Wrong types, a
   * hub without the proxy or a closed one throw at once.
   */
  proxyRestart(downMs) {
    wholeNumber('downMs', downMs, 0xffffffff);
    const restarting = call(() => this.#proxy().proxyRestart(downMs));
    return restarting.catch((/** @type {unknown} */ e) => {
      throw errors.toError(e);
    });
  }

  /** The fault proxy's counters: `{accepted, live, bytesUp, bytesDown, resets, truncated}`. */
  get proxyStats() {
    return camelKeys(call(() => this.#proxy().proxyStats()));
  }

  /**
   * Forgets conversations, frames, requests and files, clears the faults and puts back the
   * script the hub started with (between tests). Connections stay open.
   */
  reset() {
    call(() => this.#hub().reset());
  }

  /** Stops the hub: every connection closed, the port freed. Closing again does nothing. */
  close() {
    if (this.#closing === null) {
      this.#closing = this.#native.close().catch((/** @type {unknown} */ e) => {
        throw errors.toError(e);
      });
    }
    return /** @type {Promise<void>} */ (this.#closing);
  }

  /** `close()`, for `await using hub = await startHub()`. */
  [Symbol.asyncDispose]() {
    return this.close();
  }
}

function needObject(name, v) {
  if (!isPlainObject(v)) throw new TypeError(`${name} must be an object, not ${describe(v)}`);
  return v;
}

/**
 * Starts a local hub on 127.0.0.1 (a free port unless `port` says which) with its bot's
 * `script`; resolves once it listens. Wrong argument types throw TypeError at once.
 */
function startHub(options) {
  const o = startOptions(options);
  return native.startHub(o).then(
    (/** @type {any} */ hub) => new Hub(TOKEN, hub, o.proxy === true),
    (/** @type {unknown} */ e) => {
      throw errors.toError(e);
    },
  );
}

/** Every fault name `setFaults` takes (camelCase). */
const FAULTS = Object.freeze(native.hubFaults().map(camel));

module.exports = { startHub, Hub, FAULTS };
