// CaptivateChatManager: the clients of several API keys (the official multi-key manager), and
// a user's conversations listed across the keys, each on the client of its own key (the
// binding layer's `Session::list_across`, through `NativeClient.listAcross`).
'use strict';

const args = require('./args.js');
const errors = require('./errors.js');
const { CaptivateChatAPI } = require('./client.js');

/** Options of `getUserConversations`. */
const LIST_KEYS = ['userId', 'apiKeys', 'filter', 'search', 'pagination'];

/** One client per distinct API key, all with the same mode and options. */
class CaptivateChatManager {
  /**
   * The clients of `apiKeys` (each key once; the shared client of a key and mode when there is
   * one), not connected yet: `connectAll()` connects them. Prefer
   * {@link CaptivateChatManager.create}.
   * @param {string[]} apiKeys
   * @param {'prod' | 'dev'} [mode]
   * @param {object} [options] the options of `CaptivateChatAPI.create`
   */
  constructor(apiKeys, mode = 'prod', options = undefined) {
    if (!Array.isArray(apiKeys)) throw new TypeError(`apiKeys must be an array of strings, not ${args.describe(apiKeys)}`);
    apiKeys.forEach((k, i) => args.needString(`apiKeys[${i}]`, k));
    /** The clients by key (not enumerable, so that printing the manager shows no key). */
    const clients = new Map();
    /** The clients made here (not shared ones that existed before). */
    const made = new Set();
    try {
      for (const key of apiKeys) {
        if (clients.has(key)) continue;
        const existed = CaptivateChatAPI.hasInstance(key, mode, options ?? {});
        const api = new CaptivateChatAPI(key, mode, options);
        if (!existed) made.add(api);
        clients.set(key, api);
      }
    } catch (e) {
      for (const api of made) api.dispose();
      throw e;
    }
    Object.defineProperty(this, '_clients', { value: clients });
    Object.defineProperty(this, '_made', { value: made });
  }

  /**
   * The clients of `apiKeys`, connected; resolves to the manager once every one is. If one
   * cannot connect, the promise rejects with the first error, and the clients made for the
   * manager (not shared ones that existed before) are disposed.
   */
  static create(apiKeys, mode = 'prod', options = undefined) {
    let manager;
    try {
      manager = new CaptivateChatManager(apiKeys, mode, options);
    } catch (e) {
      if (e instanceof TypeError) throw e;
      return Promise.reject(e);
    }
    return manager.connectAll().then(
      () => manager,
      (e) => {
        for (const api of manager._made) api.dispose();
        throw e;
      },
    );
  }

  /** Connects every client that is not connected yet. */
  connectAll() {
    return Promise.all([...this._clients.values()].map((api) => (api.isSocketActive() ? undefined : api.connect()))).then(() => undefined);
  }

  /**
   * A user's conversations across the keys (`apiKeys`, every key of the manager by default),
   * asked through the first key's client: `{userId, apiKeys?, filter?, search?, pagination?:
   * {page, limit}}`. Each conversation is the one of the client of its own key (its
   * `apiKey`), its `metadata` what the listing said of it (as `api.getUserConversations`
   * gives); a conversation of a key the manager has no client for rejects the call.
   */
  getUserConversations(options) {
    args.needObject('options', options);
    args.onlyKeys('options', options, LIST_KEYS);
    const { userId, filter, search, pagination } = options;
    const o = { userId: args.needString('options.userId', userId), filter, search };
    let keys = [...this._clients.keys()];
    if (!args.none(options.apiKeys)) {
      if (!Array.isArray(options.apiKeys)) throw new TypeError(`options.apiKeys must be an array of strings, not ${args.describe(options.apiKeys)}`);
      options.apiKeys.forEach((k, i) => args.needString(`options.apiKeys[${i}]`, k));
      keys = options.apiKeys;
    }
    o.apiKeys = keys;
    if (!args.none(pagination)) {
      args.needObject('options.pagination', pagination);
      args.onlyKeys('options.pagination', pagination, ['page', 'limit']);
      o.page = pagination.page;
      o.limit = pagination.limit;
    }
    const first = keys.length > 0 ? this._clients.get(keys[0]) : undefined;
    if (first === undefined) {
      const why = keys.length === 0 ? 'options.apiKeys is empty' : 'options.apiKeys[0] names no client of this manager';
      return Promise.reject(errors.ofCode('invalid_argument', why));
    }
    const clients = [first, ...[...this._clients.values()].filter((api) => api !== first)];
    return first
      ._call((n) => n.listAcross(clients.slice(1).map((api) => api._native), o))
      .then((list) => {
        const result = {
          conversations: list.conversations.map((/** @type {{client: number, conversationId: string, metadata: unknown}} */ c) => {
            const conversation = clients[c.client].getConversation(c.conversationId);
            conversation.metadata = c.metadata;
            return conversation;
          }),
        };
        if (list.pagination) result.pagination = list.pagination;
        return result;
      });
  }

  /** The client of an API key, or undefined. */
  getApiInstance(apiKey) {
    args.needString('apiKey', apiKey);
    return this._clients.get(apiKey);
  }

  /** Disposes the client of an API key and forgets it (resolves once its socket is closed). */
  dispose(apiKey) {
    args.needString('apiKey', apiKey);
    const api = this._clients.get(apiKey);
    if (api === undefined) return Promise.resolve();
    this._clients.delete(apiKey);
    return api.dispose();
  }

  /** Disposes every client and forgets them all (resolves once every socket is closed). */
  disposeAll() {
    const all = [...this._clients.values()];
    this._clients.clear();
    return Promise.all(all.map((api) => api.dispose())).then(() => undefined);
  }
}

module.exports = { CaptivateChatManager };
