// The error classes: one flat hierarchy under CaptivateError, one class per kind of the
// binding layer's table (`errors::kinds()`), named as JavaScript names errors: the kind's
// name with `Error` at the end (`TimeoutError`, `ClosedError`, `HubError`). The names without
// it, those of the first versions, remain as deprecated aliases of the same classes.
// Arguments of the wrong type are TypeErrors (thrown at once); everything else is one of these.
'use strict';

const native = require('../native.js');

/** The base class of every error of this package; `code` is stable across versions. */
class CaptivateError extends Error {
  /**
   * @param {string} message
   * @param {string} [code]
   * @param {object} [details]
   */
  constructor(message, code, details) {
    super(message);
    this.name = new.target.name;
    this.code = code || new.target.code || 'internal';
    this.details = details || {};
  }
}

/** Every kind, in the order the native layer numbers them: `{code, className, doc}`. */
const KINDS = native.errorKinds();

/** A kind's class name in JavaScript: with `Error` at the end. */
function jsName(className) {
  return className.endsWith('Error') ? className : `${className}Error`;
}

/** The classes by name, in the order of KINDS. */
const CLASSES = {};
/** The names of the first versions (without `Error`): deprecated aliases of the same classes. */
const ALIASES = {};
/** The classes in the order of KINDS (the native layer sends the index). */
const BY_INDEX = [];
/** The classes by code. */
const BY_CODE = {};
for (const { code, className: kindName } of KINDS) {
  const className = jsName(kindName);
  const cls = {
    [className]: class extends CaptivateError {
      /**
       * @param {string} message
       * @param {object} [details]
       */
      constructor(message, details) {
        super(message, code, details);
      }
    },
  }[className];
  cls.code = code;
  CLASSES[className] = cls;
  if (kindName !== className) ALIASES[kindName] = cls;
  BY_INDEX.push(cls);
  BY_CODE[code] = cls;
}

function camel(key) {
  return key.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
}

/**
 * The error of a kind, with its details as camelCase fields of the error too (the hub's own
 * error code is `hubCode`, since `code` is the kind's).
 */
function make(cls, message, details) {
  const d = {};
  if (details && typeof details === 'object') {
    for (const [k, v] of Object.entries(details)) d[k === 'code' ? 'hubCode' : camel(k)] = v;
  }
  const err = new cls(message, d);
  for (const [k, v] of Object.entries(d)) {
    if (!(k in err)) err[k] = v;
  }
  return err;
}

/** The error of the kind numbered `index` (as batches carry it). */
function fromIndex(index, message, details) {
  return make(BY_INDEX[index] || CLASSES.InternalError || CaptivateError, message, details);
}

/** The error of the kind `code` (e.g. `closed`), made here. */
function ofCode(code, message, details) {
  return make(BY_CODE[code] || CaptivateError, message, details);
}

/** Turns an error thrown by the native layer (message: the JSON of the binding's error) into ours. */
function toError(e) {
  if (e instanceof CaptivateError || e instanceof TypeError) return e;
  let parsed = null;
  try {
    parsed = JSON.parse(e && e.message);
  } catch {
    parsed = null;
  }
  if (!parsed || typeof parsed.code !== 'string') {
    return ofCode('internal', String((e && e.message) || e));
  }
  return ofCode(parsed.code, parsed.message, parsed.details);
}

/** The error of a call on a disposed client. */
function disposed() {
  return ofCode('closed', 'the client is disposed');
}

module.exports = { CaptivateError, CLASSES, ALIASES, KINDS, jsName, fromIndex, ofCode, toError, disposed };
