// The event objects, built from the batches the native layer writes (see src/encode.rs, whose
// `Writer` this file's `Reader` mirrors): numbers from a Float64Array, text fields as slices of
// one string, JSON-shaped fields as values, and raw frames left native until `raw` is read.
'use strict';

const native = require('../native.js');

/** Event kinds by code. */
const KINDS = native.eventKinds();
const CODE = Object.fromEntries(KINDS.map((k, i) => [k, i]));

/** Tag flags (src/encode.rs). */
const KIND_MASK = 31;
const TO_CLIENT = 1 << 5;
const ROUTE_SAME = 1 << 6;
const ROUTE_OTHER = 1 << 7;
const RAW = 1 << 8;

/** Reads a batch in the order it was written. */
class Reader {
  /**
   * @param {Float64Array} nums
   * @param {string} text
   * @param {unknown[]} vals
   * @param {unknown} raws
   */
  constructor(nums, text, vals, raws) {
    this.nums = nums;
    this.text = text;
    this.vals = vals;
    this.raws = raws;
    /** Header: completions, events, ended. */
    this.i = 3;
    this.at = 0;
    this.v = 0;
    this.r = 0;
  }

  num() {
    return this.nums[this.i++];
  }

  /** A text field: null for -1, `same` for -2. */
  str(same = null) {
    const n = this.nums[this.i++];
    if (n < 0) return n === -2 ? same : null;
    const s = this.text.slice(this.at, this.at + n);
    this.at += n;
    return s;
  }

  val() {
    return this.vals[this.v++];
  }

  /** The place of the next hub event's raw frame. */
  rawIndex() {
    return this.r++;
  }
}

/**
 * The text of a hub event's frame as the hub sent it (null for an event the library made).
 * @type {(ev: unknown) => string | null}
 */
let rawTextOf;

/** Fields of every event that came from the hub; `raw`, the frame as received, is read (and parsed) on first use. */
class HubEvent {
  #raws;
  #index;
  #raw;

  constructor(kind, eventType, eventId, conversationId, raws, index) {
    this.kind = kind;
    this.eventType = eventType;
    this.eventId = eventId;
    this.conversationId = conversationId;
    this.#raws = raws;
    this.#index = index;
  }

  /** The whole frame as received (parsed when first read). */
  get raw() {
    if (this.#raw === undefined) {
      const text = this.#text();
      let value = null;
      if (text !== null && text !== undefined) {
        try {
          value = JSON.parse(text);
        } catch {
          value = null;
        }
      }
      this.#raw = value;
      this.#raws = undefined;
    }
    return this.#raw;
  }

  /** The frame's text as received, or null (once `raw` was read, its JSON text). */
  #text() {
    if (this.#raws === undefined || this.#raws === null) return this.#raw === undefined ? null : JSON.stringify(this.#raw);
    return native.rawText(this.#raws, this.#index) ?? null;
  }

  static {
    rawTextOf = (ev) => (ev instanceof HubEvent ? ev.#text() : null);
  }
}

/** A bot or live-chat message. */
class MessageEvent extends HubEvent {
  constructor(kind, eventType, eventId, conversationId, raws, index, messageId, text, content, flags) {
    super(kind, eventType, eventId, conversationId, raws, index);
    this.messageId = messageId;
    this.text = text;
    this.content = content;
    this.fetchedFromLink = (flags & 1) !== 0;
    this.recovered = (flags & 2) !== 0;
  }

  /**
   * The message's content exactly as the hub sent it (every item kind, every field, the hub's
   * own spellings such as `button`), as the official client hands it to `onMessage`; `content`
   * is the library's normalised view. A message recovered from the transcript gives the
   * entry's items; one whose frame has no content array, the normalised items.
   */
  get hubContent() {
    /** @type {any} */
    const raw = this.raw;
    const content = raw && typeof raw === 'object' ? (raw.event?.event_payload?.content ?? raw.messages ?? raw.content) : undefined;
    return Array.isArray(content) ? content : this.content;
  }
}

/** `socket_connected`. */
class SocketConnectedEvent extends HubEvent {
  constructor(kind, eventType, eventId, conversationId, raws, index, socketId) {
    super(kind, eventType, eventId, conversationId, raws, index);
    this.socketId = socketId;
  }
}

function readMessage(r, kind, eventType, eventId, conversationId, index) {
  const messageId = r.str();
  const text = r.str();
  const flags = r.num();
  const n = r.num();
  const content = new Array(n);
  for (let k = 0; k < n; k++) {
    const t = r.num();
    content[k] = t === 0 ? { type: 'text', text } : t === 1 ? { type: 'text', text: r.str() } : r.val();
  }
  return new MessageEvent(kind, eventType, eventId, conversationId, r.raws, index, messageId, text, content, flags);
}

function readHub(r, code) {
  const kind = KINDS[code];
  const eventType = r.str(kind);
  const eventId = r.str();
  const conversationId = r.str();
  const index = r.rawIndex();
  switch (code) {
    case CODE.bot_message:
    case CODE.livechat_message:
      return readMessage(r, kind, eventType, eventId, conversationId, index);
    case CODE.socket_connected:
      return new SocketConnectedEvent(kind, eventType, eventId, conversationId, r.raws, index, r.str());
    case CODE.conversation_started:
    case CODE.metadata_updated:
      return new HubEvent(kind, eventType, eventId, conversationId, r.raws, index);
    default:
      return Object.assign(new HubEvent(kind, eventType, eventId, conversationId, r.raws, index), r.val());
  }
}

/** One event: a hub event, or one the library makes (state, discontinuity, ...). */
function readEvent(r, tag) {
  const code = tag & KIND_MASK;
  if (code < CODE.state) return readHub(r, code);
  return { kind: KINDS[code], ...r.val() };
}

module.exports = { Reader, readEvent, rawTextOf, TO_CLIENT, ROUTE_SAME, ROUTE_OTHER, RAW };
