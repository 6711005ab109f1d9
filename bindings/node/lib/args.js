// Argument types, checked at the call: a TypeError at once for a value of the wrong JavaScript
// type. Values (an empty id, a time-to-live of 5 days, an unknown option, a file without a
// URL) are checked once, by the binding layer, and reject with InvalidArgumentError.
'use strict';

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(JSON.stringify(v))}`;
}

function isPlainObject(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function none(v) {
  return v === undefined || v === null;
}

function needString(name, v) {
  if (typeof v !== 'string') throw new TypeError(`${name} must be a string, not ${describe(v)}`);
  return v;
}

function optString(name, v) {
  return none(v) ? undefined : needString(name, v);
}

function needObject(name, v) {
  if (!isPlainObject(v)) throw new TypeError(`${name} must be an object, not ${describe(v)}`);
  return v;
}

function optObject(name, v) {
  return none(v) ? undefined : needObject(name, v);
}

function needFunction(name, v) {
  if (typeof v !== 'function') throw new TypeError(`${name} must be a function, not ${describe(v)}`);
  return v;
}

function optBoolean(name, v) {
  if (none(v)) return undefined;
  if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean, not ${describe(v)}`);
  return v;
}

function needNumber(name, v) {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${name} must be a number, not ${describe(v)}`);
  return v;
}

function onlyKeys(name, obj, allowed) {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new TypeError(`${name} has an unknown option "${k}"`);
  }
}

/** `{softDelete?: boolean}` → hard (true when softDelete is false). */
function hardDelete(options) {
  if (none(options)) return false;
  needObject('options', options);
  onlyKeys('options', options, ['softDelete']);
  return optBoolean('options.softDelete', options.softDelete) === false;
}

/**
 * A message: a string, or `{text?, files?}` (also the official `{type: 'text', text}` and
 * `{type: 'files', files}`) → [text, files]: files as given (see `files.messageFiles`).
 */
function message(name, content) {
  if (typeof content === 'string') return [content, null];
  if (!isPlainObject(content)) throw new TypeError(`${name} must be a string or {text, files}, not ${describe(content)}`);
  const text = optString(`${name}.text`, content.text) ?? null;
  return [text, none(content.files) ? null : content.files];
}

module.exports = {
  describe,
  isPlainObject,
  none,
  needString,
  optString,
  needObject,
  optObject,
  needFunction,
  optBoolean,
  needNumber,
  onlyKeys,
  hardDelete,
  message,
};
