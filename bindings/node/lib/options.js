// The options of `create(apiKey, mode, options)`: the one schema of the library (every front
// end reads the same), in camelCase, plus `lazy`. The native layer checks names and values.
'use strict';

const native = require('../native.js');
const { needString, optBoolean, optObject } = require('./args.js');

function camel(key) {
  return key.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
}

/**
 * Every option: `name` as JavaScript spells it (`requestTimeoutMs`, `reconnect.initialDelayMs`),
 * `schemaName` (snake_case, also accepted), `type` (`text`, `one_of`, `millis`, `flag`,
 * `count`), `values` of a `one_of`, `doc`. `apiKey` and `mode` are the first two arguments of
 * `create`.
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

/**
 * The options object the native client reads, and whether to connect lazily. Wrong argument
 * types throw TypeError; names and values are checked natively (InvalidArgument).
 */
function build(apiKey, mode, options) {
  needString('apiKey', apiKey);
  needString('mode', mode);
  const o = optObject('options', options) || {};
  const out = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'lazy') continue;
    if (k in POSITIONAL) throw new TypeError(`${k} is ${POSITIONAL[k]} of create(), not an option`);
    out[k] = v;
  }
  out.apiKey = apiKey;
  out.mode = mode;
  return { options: out, lazy: optBoolean('options.lazy', o.lazy) ?? false };
}

module.exports = { OPTIONS, build };
