// The error classes: one flat hierarchy under CaptivateError, one class per kind of the
// binding layer's table (`errors::kinds()`), with the same names as in Python. Arguments of
// the wrong type are TypeErrors (thrown at once); everything else is one of these.
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

/** The classes by name, in the order of KINDS. */
const CLASSES = {};
/** The classes in the order of KINDS (the native layer sends the index). */
const BY_INDEX = [];
/** The classes by code. */
const BY_CODE = {};
for (const { code, className } of KINDS) {
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

module.exports = { CaptivateError, CLASSES, KINDS, fromIndex, ofCode, toError, disposed };
