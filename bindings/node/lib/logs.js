// The library's log records (every API key in use already removed, by the binding layer):
// printed with console.log in debug mode, as the official client prints its own, and handed
// to a logger function if one is set. Logging is process-wide, like the official switch.
'use strict';

const native = require('../native.js');

const LEVELS = ['off', 'error', 'warn', 'info', 'debug', 'trace'];

/** @type {{level: number}} */
const debug = { level: 0 };
/** @type {{fn: ((record: {level: string, target: string, message: string}) => void) | null, level: number}} */
const logger = { fn: null, level: 0 };

function levelOf(name, what) {
  const n = LEVELS.indexOf(name);
  if (n < 1) throw new TypeError(`${what} must be one of ${LEVELS.slice(1).map((l) => `"${l}"`).join(', ')}, not ${JSON.stringify(name)}`);
  return n;
}

function print(r) {
  console.log(`[captivate] ${r.level.toUpperCase()} ${r.target}: ${r.message}`);
}

/** Hands records to the console (debug mode) and the logger, each at its own level. */
function deliver(records) {
  for (const r of records) {
    const n = LEVELS.indexOf(r.level);
    if (n <= debug.level) print(r);
    if (logger.fn && n <= logger.level) {
      try {
        logger.fn(r);
      } catch (e) {
        process.emitWarning(`the captivate-chat logger threw: ${(e && e.stack) || e}`, 'CaptivateLoggerWarning');
      }
    }
  }
}

function apply() {
  const level = Math.max(debug.level, logger.fn ? logger.level : 0);
  native.setLogSink(level, level > 0 ? deliver : null);
}

/** Debug mode: prints the library's records of `level` and above with console.log. */
function setDebugMode(enabled, level = 'debug') {
  debug.level = enabled ? levelOf(level, 'level') : 0;
  apply();
}

/** Sends records of `level` and above to `fn` (`null`: no logger). */
function setLogger(fn, level = 'info') {
  if (fn !== null && typeof fn !== 'function') throw new TypeError('the logger must be a function or null');
  logger.level = fn ? levelOf(level, 'level') : 0;
  logger.fn = fn;
  apply();
}

/** True when a record of `level` would be printed or handed to the logger. */
function enabled(level) {
  const n = LEVELS.indexOf(level);
  return n <= debug.level || (logger.fn !== null && n <= logger.level);
}

/** A record of this package itself (not of the native library). */
function record(level, message) {
  deliver([{ level, target: 'captivate_chat', message }]);
}

module.exports = { setDebugMode, setLogger, enabled, record, debug, LEVELS };
