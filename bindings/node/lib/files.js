// Files: uploads to the file-to-text service (which extracts their text and, unless told not
// to, stores them behind presigned links) and the file objects a message carries, with the
// official client's `CaptivateChatFileManager` and `conversation.fileManager`. Every upload and
// presigned link goes through a client (`NativeClient.uploadFile` / `presignedUrl`), whose
// options say where the service is (`filesUrl`) and how to reach it.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const args = require('./args.js');
const errors = require('./errors.js');

/** The lifetime of a presigned link when none is given: two hours, as the official client. */
const DEFAULT_EXPIRY_SECS = 7200;

/**
 * The keys of an upload's options this package reads itself: the file, and which client and
 * conversation it goes through. The others (`fileName`, `fileType`, `storage`, `url`,
 * `ttlDays`, their aliases) are the core's upload schema, whose names and values it checks
 * (InvalidArgumentError), the same in every language.
 */
const OWN_KEYS = ['file', 'apiKey', 'conversationId'];
const MULTIPLE_KEYS = ['files', 'storage', 'urls', 'apiKey', 'conversationId', 'ttlDays'];

/** Makes a file manager from file objects (not a public constructor call). */
const FROM_FILES = Symbol('fromFiles');

/** Array-like access to a manager's files: `manager[0]`, `0 in manager`. */
const INDEX = /^(0|[1-9]\d*)$/;
const arrayLike = {
  get(target, prop, receiver) {
    if (typeof prop === 'string' && INDEX.test(prop)) return target.files[Number(prop)];
    return Reflect.get(target, prop, receiver);
  },
  has(target, prop) {
    if (typeof prop === 'string' && INDEX.test(prop)) return Number(prop) < target.files.length;
    return Reflect.has(target, prop);
  },
};

function isBlobLike(v) {
  return v !== null && typeof v === 'object' && typeof v.arrayBuffer === 'function';
}

/** A readable stream (Node's `Readable`, `fs.createReadStream`, a web `ReadableStream`) or any async iterable of chunks. */
function isStream(v) {
  return v !== null && typeof v === 'object' && typeof v[Symbol.asyncIterator] === 'function';
}

/** Throws TypeError unless `v` is something a file's bytes can be read from. */
function checkInput(name, v) {
  if (typeof v === 'string' || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || isBlobLike(v) || isStream(v)) return v;
  throw new TypeError(
    `${name} must be a Buffer, a Uint8Array, an ArrayBuffer, a Blob or File, a readable stream, or a path, not ${args.describe(v)}`,
  );
}

/**
 * The bytes of a file, and the name and type it knows of itself.
 * @returns {Promise<{bytes: Uint8Array, name?: string, type?: string}>}
 */
async function readInput(v) {
  if (typeof v === 'string') {
    try {
      return { bytes: await fs.promises.readFile(v), name: path.basename(v) };
    } catch (e) {
      throw errors.ofCode('invalid_argument', `cannot read the file ${JSON.stringify(v)}: ${(e && e.message) || e}`);
    }
  }
  if (v instanceof ArrayBuffer) return { bytes: new Uint8Array(v) };
  if (ArrayBuffer.isView(v)) return { bytes: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) };
  if (!isBlobLike(v)) {
    // A stream, read to its end: a file stream knows its path.
    const chunks = [];
    try {
      for await (const chunk of v) {
        if (typeof chunk === 'string') chunks.push(Buffer.from(chunk, 'utf8'));
        else if (ArrayBuffer.isView(chunk)) chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        else throw new TypeError(`a stream to upload must give bytes or strings, not ${args.describe(chunk)}`);
      }
    } catch (e) {
      if (e instanceof TypeError) throw e;
      throw errors.ofCode('invalid_argument', `cannot read the stream to upload: ${(e && e.message) || e}`);
    }
    return { bytes: Buffer.concat(chunks), name: typeof v.path === 'string' ? path.basename(v.path) : undefined };
  }
  const bytes = new Uint8Array(await v.arrayBuffer());
  return {
    bytes,
    name: typeof v.name === 'string' && v.name !== '' ? v.name : undefined,
    type: typeof v.type === 'string' && v.type !== '' ? v.type : undefined,
  };
}

/** Splits an upload's options into the file, its routing and the schema's options. */
function uploadOptions(name, o) {
  args.needObject(name, o);
  checkInput(`${name}.file`, o.file);
  /** @type {Record<string, unknown>} */
  const schema = {};
  for (const [k, v] of Object.entries(o)) if (!OWN_KEYS.includes(k) && v !== undefined) schema[k] = v;
  return {
    file: o.file,
    apiKey: args.optString(`${name}.apiKey`, o.apiKey),
    conversationId: args.optString(`${name}.conversationId`, o.conversationId),
    schema,
  };
}

function multipleOptions(name, o) {
  args.needObject(name, o);
  args.onlyKeys(name, o, MULTIPLE_KEYS);
  if (!Array.isArray(o.files)) throw new TypeError(`${name}.files must be an array, not ${args.describe(o.files)}`);
  o.files.forEach((f, i) => checkInput(`${name}.files[${i}]`, f));
  if (!args.none(o.urls) && !(Array.isArray(o.urls) && o.urls.every((u) => typeof u === 'string'))) {
    throw new TypeError(`${name}.urls must be an array of strings`);
  }
  return {
    files: o.files,
    storage: args.optBoolean(`${name}.storage`, o.storage),
    urls: o.urls,
    apiKey: args.optString(`${name}.apiKey`, o.apiKey),
    conversationId: args.optString(`${name}.conversationId`, o.conversationId),
    ttlDays: args.none(o.ttlDays) ? undefined : args.needNumber(`${name}.ttlDays`, o.ttlDays),
  };
}

/**
 * The client the static methods go through: the most recent one of `apiKey` (any when not
 * given), once connected.
 * @param {string | undefined} apiKey
 * @returns {Promise<import('./client.js').CaptivateChatAPI>}
 */
function anyClient(apiKey) {
  const { CaptivateChatAPI } = require('./client.js');
  const api = CaptivateChatAPI._anyClient(apiKey);
  if (api === undefined) {
    const which = apiKey === undefined ? 'no client' : 'no client of the API key given';
    return Promise.reject(
      errors.ofCode('closed', `${which} to upload through: create one with CaptivateChatAPI.create first (uploads use its options, filesUrl among them)`),
    );
  }
  if (!api._connected && api._connecting !== null) return api._connecting.then(() => api);
  return Promise.resolve(api);
}

/** What the native layer takes of a file read: its bytes, and the name and type it knows. */
async function nativeInput(file) {
  const read = await readInput(file);
  return { bytes: read.bytes, name: read.name, type: read.type };
}

/** A file object, with the input it was read from as its `file` (not enumerable: neither printed nor sent). */
function withInput(fileObject, input) {
  Object.defineProperty(fileObject, 'file', { value: input, writable: true, configurable: true });
  return fileObject;
}

/**
 * Uploads one file through `api` (filed under `conversationId` when given) and resolves to
 * its file object; names and values of `schema` are checked by the core.
 */
async function uploadOne(api, conversationId, file, schema) {
  const input = await nativeInput(file);
  const uploaded = await api._call((n) => n.uploadFile(conversationId ?? null, input, schema));
  return withInput(uploaded, file);
}

/**
 * Uploads several files at once, with the one policy of every language: all are checked
 * before any starts (a bad one rejects naming its position, and nothing is uploaded); then all
 * run, each to its end; their objects in the same order, or the error of the first that
 * failed in that order (those that succeeded stay stored).
 */
async function uploadMany(api, conversationId, o) {
  const storage = o.storage ?? true;
  if (!storage && (o.urls === undefined || o.urls === null || o.urls.length !== o.files.length)) {
    throw errors.ofCode('invalid_argument', 'files that are not stored need urls, one for each file');
  }
  const inputs = await Promise.all(o.files.map(nativeInput));
  const options = o.files.map((_, i) => {
    /** @type {Record<string, unknown>} */
    const one = { storage };
    if (!storage) one.url = o.urls[i];
    if (o.ttlDays !== undefined && o.ttlDays !== null) one.ttlDays = o.ttlDays;
    return one;
  });
  const uploaded = await api._call((n) => n.uploadFiles(conversationId ?? null, inputs, options));
  return uploaded.map((f, i) => withInput(f, o.files[i]));
}

/** A presigned link through `api`. */
function presign(api, fileKey, expiresIn) {
  return api._call((n) => n.presignedUrl(fileKey, expiresIn));
}

/**
 * Uploaded files, ready to send: `conversation.sendMessage({text, files: manager})`. It is
 * array-like (`manager[0]`, `manager.length`, `for (const f of manager)`), as the official one.
 */
class CaptivateChatFileManager {
  /**
   * One file whose text is known already (the official constructor); uploads come from
   * {@link CaptivateChatFileManager.create} and its siblings.
   * @param {unknown} file the file's bytes (or path)
   * @param {{type: 'file_content', text: string, metadata: {source: 'file_attachment', originalFileName: string, storageType?: 'direct'}}} textContent
   * @param {string} type its MIME type
   */
  constructor(file, textContent, type) {
    /** @type {Record<string, any>[]} */
    let files;
    let api = null;
    if (file === FROM_FILES) {
      files = /** @type {any} */ (textContent);
      api = /** @type {any} */ (type);
    } else {
      args.needObject('textContent', textContent);
      args.needObject('textContent.metadata', textContent.metadata);
      args.needString('type', type);
      const f = { filename: args.needString('textContent.metadata.originalFileName', textContent.metadata.originalFileName), type, textContent };
      Object.defineProperty(f, 'file', { value: file, writable: true, configurable: true });
      files = [f];
    }
    Object.defineProperty(this, '_api', { value: api });
    /** Always `'files'`. */
    Object.defineProperty(this, 'type', { value: 'files', enumerable: true });
    /** The file objects. */
    Object.defineProperty(this, 'files', { value: files, enumerable: true });
    return new Proxy(this, arrayLike);
  }

  /** @internal A manager of uploaded file objects, refreshed through `api`. */
  static _of(files, api) {
    return new CaptivateChatFileManager(FROM_FILES, files, api);
  }

  /**
   * Uploads one file: `{file, fileName?, fileType?, storage? (true), url? (needed without
   * storage), apiKey?, conversationId?, ttlDays?}`. With `apiKey` and `conversationId` the
   * service files it under that conversation. It goes through the most recent client (of
   * `apiKey`, when given); prefer `conversation.fileManager`, which names both.
   */
  static create(options) {
    const o = uploadOptions('options', options);
    return anyClient(o.apiKey).then(async (api) => {
      const conversationId = o.apiKey !== undefined ? o.conversationId : undefined;
      return CaptivateChatFileManager._of([await uploadOne(api, conversationId, o.file, o.schema)], api);
    });
  }

  /** Uploads one file (as `create`) and resolves to its file object. */
  static createFile(options) {
    return CaptivateChatFileManager.create(options).then((m) => m.files[0]);
  }

  /** Uploads several files at once (`{files, storage?, urls?, apiKey?, conversationId?, ttlDays?}`; without storage, one URL per file). */
  static createMultiple(options) {
    const o = multipleOptions('options', options);
    return anyClient(o.apiKey).then(async (api) => {
      const conversationId = o.apiKey !== undefined ? o.conversationId : undefined;
      return CaptivateChatFileManager._of(await uploadMany(api, conversationId, o), api);
    });
  }

  /** A new presigned link to a stored file, valid `expiresIn` seconds (two hours by default). */
  static getSecureFileUrl(fileKey, expiresIn = DEFAULT_EXPIRY_SECS) {
    args.needString('fileKey', fileKey);
    args.needNumber('expiresIn', expiresIn);
    return anyClient(undefined).then((api) => presign(api, fileKey, expiresIn));
  }

  /** The first file object. */
  getFirstFile() {
    return this.files[0];
  }

  /** The first file's name. */
  getFilename() {
    return this.files[0]?.filename;
  }

  /** The text the service extracted from the first file ('' when none). */
  getTextContent() {
    return this.files[0]?.textContent?.text || '';
  }

  /** The first file's MIME type. */
  getFileType() {
    return this.files[0]?.type;
  }

  /** The file objects. */
  toFilesArray() {
    return this.files;
  }

  /** How many files it holds. */
  get length() {
    return this.files.length;
  }

  *[Symbol.iterator]() {
    yield* this.files;
  }

  /**
   * A new presigned link to the first file (when it is stored), valid `expiresIn` seconds (two
   * hours by default); the file object takes it too. Resolves to undefined for a file that is
   * not stored.
   */
  refreshSecureUrl(expiresIn = DEFAULT_EXPIRY_SECS) {
    args.needNumber('expiresIn', expiresIn);
    const storage = this.files[0]?.storage;
    if (!storage || typeof storage.fileKey !== 'string' || storage.fileKey === '') return Promise.resolve(undefined);
    const client = this._api !== null && !this._api._disposed ? Promise.resolve(this._api) : anyClient(undefined);
    return client
      .then((api) => presign(api, storage.fileKey, expiresIn))
      .then((url) => {
        storage.presignedUrl = url;
        storage.expiresIn = Math.floor(Date.now() / 1000) + expiresIn;
        return url;
      });
  }
}

/**
 * `conversation.fileManager`: uploads filed under the conversation, with its client's API key
 * and the time-to-live last set on it (`setTimeToLive`).
 */
class ConversationFiles {
  /**
   * @internal
   * @param {import('./conversation.js').Conversation} conversation
   */
  constructor(conversation) {
    Object.defineProperty(this, '_conversation', { value: conversation });
  }

  /** Uploads one file: `{file, fileName?, fileType?, storage?, url?}`. */
  create(options) {
    const o = uploadOptions('options', options);
    const c = this._conversation;
    return uploadOne(c._api, c.conversationId, o.file, o.schema).then((f) => CaptivateChatFileManager._of([f], c._api));
  }

  /** Uploads one file and resolves to its file object. */
  createFile(options) {
    return this.create(options).then((m) => m.files[0]);
  }

  /** Uploads several files at once: `{files, storage?, urls?}`. */
  createMultiple(options) {
    const o = multipleOptions('options', options);
    const c = this._conversation;
    return uploadMany(c._api, c.conversationId, o).then((files) => CaptivateChatFileManager._of(files, c._api));
  }
}

/**
 * The file objects of a message's `files`: one file object, a file manager, or an array of
 * either; a file object's `file` (its bytes) stays behind.
 * @returns {object[]}
 */
function messageFiles(name, files) {
  /** @type {object[]} */
  const out = [];
  const add = (f, where) => {
    if (f instanceof CaptivateChatFileManager || (args.isPlainObject(f) && f.type === 'files' && Array.isArray(f.files))) {
      for (const x of f.files) add(x, where);
      return;
    }
    args.needObject(where, f);
    if (Object.prototype.propertyIsEnumerable.call(f, 'file')) {
      const { file: _bytes, ...rest } = f;
      out.push(rest);
    } else {
      out.push(f);
    }
  };
  if (Array.isArray(files)) for (const f of files) add(f, `${name}[]`);
  else add(files, name);
  return out;
}

module.exports = { CaptivateChatFileManager, ConversationFiles, messageFiles };
