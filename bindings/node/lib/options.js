// The options of `create(apiKey, mode, options)`: the one schema of the library (every front
// end reads the same), in camelCase, plus this package's own `lazy` and
// `shared`. The native layer checks names and values.
'use strict';

const native = require('../native.js');
const { needString, optBoolean, optObject } = require('./args.js');

function camel(key) {
  return key.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
}

/**
 * Every option: `name` as JavaScript spells it (`requestTimeoutMs`, `reconnect.initialDelayMs`),
 * `schemaName` (snake_case, also accepted), `type` (`text`, `one_of`, `millis`, `flag`,
 * `count`, `text_list`), `values` of a `one_of`, `doc`. `apiKey` and `mode` are the first two
 * arguments of `create`. Beside `url`, `httpUrl` and `filesUrl` name the hub's HTTP services
 * and the file-to-text service, `transport` how requests travel (`socket` or `http`),
 * `trustedHosts` the hosts besides the hub's own that may receive the API key, and
 * `refreshFileLinks` whether `getTranscript` refreshes file links about to expire (on by
 * default, as the official client).
 */
const OPTIONS = Object.freeze(
  native.optionsSchema().map((s) =>
    Object.freeze({
      name: s.name.split('.').map(camel).join('.'),
      schemaName: s.name,
      type: s.kind,
      values: s.values ? Object.freeze(s.values) : null,
      doc: s.doc,
    }),
  ),
);

/** The positional ones. */
const POSITIONAL = { apiKey: 'the first argument', api_key: 'the first argument', mode: 'the second argument' };

/** This package's own options, read here and not passed to the native client. */
const OWN = ['lazy', 'shared'];

/** A value as JSON with the keys of every object sorted, so that equal options compare equal. */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * The options object the native client reads; whether to connect lazily; whether the client
 * is shared (the registry's one per API key, mode and options) and, if so, its registry key.
 * Wrong argument types throw TypeError; names and values are checked natively
 * (InvalidArgumentError).
 */
function build(apiKey, mode, options) {
  needString('apiKey', apiKey);
  needString('mode', mode);
  const o = optObject('options', options) || {};
  const out = {};
  for (const [k, v] of Object.entries(o)) {
    if (OWN.includes(k)) continue;
    if (k in POSITIONAL) throw new TypeError(`${k} is ${POSITIONAL[k]} of create(), not an option`);
    out[k] = v;
  }
  const lazy = optBoolean('options.lazy', o.lazy) ?? false;
  const shared = optBoolean('options.shared', o.shared) ?? true;
  const identity = shared ? canonical([apiKey, mode, out]) : null;
  out.apiKey = apiKey;
  out.mode = mode;
  return { options: out, lazy, identity };
}

module.exports = { OPTIONS, build };
