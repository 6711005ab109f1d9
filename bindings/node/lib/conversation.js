// Conversation: one conversation of a client, with the official client's method names.
'use strict';

const args = require('./args.js');
const { ConversationFiles, messageFiles } = require('./files.js');
const { Listeners, iterate } = require('./listeners.js');

/** A message's text and files as the native client takes them. */
function parts(content) {
  const [text, files] = args.message('content', content);
  return [text, files === null ? null : messageFiles('content.files', files)];
}

/** A conversation; get one from `CaptivateChatAPI.createConversation` or `getConversation`. */
class Conversation {
  /**
   * @internal
   * @param {import('./client.js').CaptivateChatAPI} api
   * @param {string} id
   * @param {unknown} metadata
   * @param {Listeners} [early] what was kept for the id before this object was made
   */
  constructor(api, id, metadata, early) {
    Object.defineProperty(this, '_api', { value: api });
    Object.defineProperty(this, '_listeners', { value: early ?? new Listeners(api, true) });
    Object.defineProperty(this, '_files', { value: null, writable: true });
    this.conversationId = id;
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

  /** The API key of the client it belongs to (a getter: not printed with the conversation). */
  get apiKey() {
    return this._api._apiKey;
  }

  /**
   * Uploads filed under this conversation (`create`, `createFile`, `createMultiple`), with the
   * time-to-live last set by `setTimeToLive`.
   * @returns {ConversationFiles}
   */
  get fileManager() {
    if (this._files === null) this._files = new ConversationFiles(this);
    return this._files;
  }

  /** Kept for the official API; listeners never need restarting here (they survive reconnects). */
  restartListeners() {}

  /**
   * Sends a message: text, files (file objects, a file manager, or an array of either), or
   * both; resolves to its client_msg_id.
   */
  sendMessage(content) {
    if (typeof content === 'string') return this._api._call((n) => n.sendMessage(this.conversationId, content, null));
    const [text, files] = parts(content);
    return this._api._call((n) => n.sendMessage(this.conversationId, text, files));
  }

  /** Sets metadata (for everyone, or one `target`); resolves on the hub's confirmation. */
  setMetadata(metadata, options) {
    args.needObject('metadata', metadata);
    let target = null;
    if (!args.none(options)) {
      args.needObject('options', options);
      args.onlyKeys('options', options, ['target']);
      target = args.optString('options.target', options.target) ?? null;
    }
    return this._api._call((n) => n.setMetadata(this.conversationId, metadata, target));
  }

  /** Sets private metadata (for back-ends; stored under `private`). */
  setPrivateMetadata(privateMetadata) {
    args.needObject('privateMetadata', privateMetadata);
    return this._api._call((n) => n.setPrivateMetadata(this.conversationId, privateMetadata));
  }

  /** Sets the time-to-live of the conversation's files: 1, 7, 30 or 90 days. */
  setTimeToLive(days) {
    args.needNumber('days', days);
    return this._api._call((n) => n.setTimeToLive(this.conversationId, days));
  }

  /** The conversation's metadata (private metadata under `private`). */
  getMetadata() {
    return this._api._call((n) => n.getMetadata(this.conversationId));
  }

  /** Sends an action (e.g. `escalateToHuman`) with its data; `type` defaults to `normal`. */
  sendAction(actionId, data, type) {
    args.needString('actionId', actionId);
    const d = args.optObject('data', data) ?? null;
    const t = args.optString('type', type) ?? null;
    return this._api._call((n) => n.sendAction(this.conversationId, actionId, d, t));
  }

  /** Edits a message the user sent earlier. */
  editMessage(messageId, content) {
    args.needString('messageId', messageId);
    const [text, files] = parts(content);
    return this._api._call((n) => n.editMessage(this.conversationId, messageId, text, files));
  }

  /** The transcript: one entry per message, oldest first. */
  getTranscript() {
    return this._api._call((n) => n.getTranscript(this.conversationId));
  }

  /**
   * Deletes the conversation, soft (default) or hard (`{softDelete: false}`). Once deleted, the
   * client lets go of this object: `getConversation` with the id makes a new one.
   */
  delete(options) {
    const hard = args.hardDelete(options);
    const api = this._api;
    return api._call((n) => n.deleteConversation(this.conversationId, hard)).then(() => {
      if (api._conversations.get(this.conversationId) === this) api._conversations.delete(this.conversationId);
    });
  }

  _listen(fn) {
    this._api._checkOpen();
    return this._listeners.add(fn);
  }

  /** Every event of this conversation (typed, `raw` on demand), connection states included. Returns a function that removes the listener. */
  onEvent(callback) {
    args.needFunction('callback', callback);
    return this._listen(callback);
  }

  /**
   * Messages from the bot (`type` 'ai_agent') and live agents ('human_agent'), as the official
   * client: `message` is the message's content items. Hub errors come as
   * `('[Error: description]', 'error')`. Large (413) messages arrive already fetched.
   */
  onMessage(callback) {
    args.needFunction('callback', callback);
    return this._listen((ev) => {
      if (ev.kind === 'bot_message') callback(ev.hubContent, 'ai_agent', ev);
      else if (ev.kind === 'livechat_message') callback(ev.hubContent, 'human_agent', ev);
      else if (ev.kind === 'error') callback(`[Error: ${ev.description || 'Unknown error'}]`, 'error', ev);
    });
  }

  /** Hub errors about this conversation: `{conversationId, errorCode, errorDesc, messageLink, event}`. */
  onError(callback) {
    args.needFunction('callback', callback);
    return this._listen((ev) => {
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

  /** Conversation updates (agent connected, disconnected, ...): `{type, conversationId, data, update, event}`. */
  onConversationUpdate(callback) {
    args.needFunction('callback', callback);
    return this._listen((ev) => {
      if (ev.kind === 'conversation_update') {
        callback({ type: ev.updateType, conversationId: ev.conversationId, data: ev.data, update: ev.update, event: ev });
      }
    });
  }

  /** Actions sent by the flow: a list of `{id, type, data}`. */
  onActionReceived(callback) {
    args.needFunction('callback', callback);
    return this._listen((ev) => {
      if (ev.kind === 'action') callback(ev.actions, ev);
    });
  }

  /** This conversation's events as an async iterator; it ends on `break` or when the client is disposed. */
  events() {
    return iterate((fn) => this._listeners.add(fn), this._api);
  }

  [Symbol.asyncIterator]() {
    return this.events();
  }
}

module.exports = { Conversation };
