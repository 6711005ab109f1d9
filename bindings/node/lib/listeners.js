// Listener sets and async iterators over them. Each event reaches each listener once, in the
// order of the client's one feed; a listener that throws does not stop the others or later
// events (its error goes to the client's onListenerError handlers, or a process warning).
'use strict';

/** The client option `maxBacklog`'s default, as the library's. */
const DEFAULT_BACKLOG = 10000;

/** What a listener receives in place of the events it missed: `{kind: 'lagged', missed}`. */
function lagged(missed) {
  return { kind: 'lagged', missed };
}

/**
 * The listeners of one target: the client, or a conversation. A conversation's set keeps the
 * events that arrive before its first listener and hands them to it, after the registration
 * returns and before any newer event, so that a greeting sent right after a conversation
 * starts is not lost. It keeps the client's `maxBacklog` of them at most: past that the
 * oldest go, and the first listener gets a `lagged` event with their count before the rest.
 */
class Listeners {
  /**
   * @param {{_listenerFailed: (e: unknown, ev: unknown) => void, _maxBacklog?: number}} owner the client
   * @param {boolean} keepBacklog
   */
  constructor(owner, keepBacklog) {
    this.owner = owner;
    /** Events dropped from the backlog. */
    this.missed = 0;
    /** @type {{fn: Function, off: boolean}[]} replaced, never changed, so a dispatch in progress is not disturbed */
    this.entries = [];
    /** @type {unknown[] | null} events waiting for the first listener */
    this.backlog = keepBacklog ? [] : null;
  }

  /** Adds a listener; returns the function that removes it (idempotent). */
  add(fn) {
    const entry = { fn, off: false };
    this.entries = [...this.entries, entry];
    if (this.backlog !== null) {
      const waiting = this.backlog;
      if (waiting.length === 0) {
        this.backlog = null;
      } else {
        // Handed over after the registration returns; newer events queue behind them.
        queueMicrotask(() => {
          const events = this.backlog || [];
          this.backlog = null;
          if (this.missed > 0) this.deliver(lagged(this.missed));
          this.missed = 0;
          for (const ev of events) this.deliver(ev);
        });
      }
    }
    return () => {
      if (!entry.off) {
        entry.off = true;
        this.entries = this.entries.filter((e) => e !== entry);
      }
    };
  }

  /** True when someone listens. */
  get active() {
    return this.entries.length > 0;
  }

  emit(ev) {
    if (this.backlog !== null) {
      if (this.backlog.length >= backlogOf(this.owner)) {
        this.backlog.shift();
        this.missed++;
      }
      this.backlog.push(ev);
      return;
    }
    this.deliver(ev);
  }

  deliver(ev) {
    const entries = this.entries;
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k];
      if (entry.off) continue;
      try {
        entry.fn(ev);
      } catch (e) {
        this.owner._listenerFailed(e, ev);
      }
    }
  }
}

/**
 * The client's `maxBacklog` (at least one).
 * @param {{_maxBacklog?: number}} api
 */
function backlogOf(api) {
  return Math.max(1, api._maxBacklog ?? DEFAULT_BACKLOG);
}

/**
 * An async iterator over what a listener receives; ends on `return()` (a `break` out of
 * `for await`) or when the client is disposed, and at once when opened after that. It keeps
 * the client's `maxBacklog` of events not taken yet: past that the oldest go, and the next
 * `next()` gives a `lagged` event with their count before the rest.
 * @param {(fn: (ev: unknown) => void) => () => void} register
 * @param {{_disposed: boolean, _iterators: Set<() => void>, _maxBacklog?: number}} api
 */
function iterate(register, api) {
  const queue = [];
  const waiting = [];
  let missed = 0;
  let done = false;
  let off = () => {};
  const finish = () => {
    if (done) return;
    done = true;
    off();
    api._iterators.delete(finish);
    for (const w of waiting.splice(0)) w({ value: undefined, done: true });
  };
  if (api._disposed) {
    done = true;
  } else {
    off = register((ev) => {
      if (done) return;
      const w = waiting.shift();
      if (w) {
        w({ value: ev, done: false });
        return;
      }
      if (queue.length >= backlogOf(api)) {
        queue.shift();
        missed++;
      }
      queue.push(ev);
    });
    api._iterators.add(finish);
  }
  return {
    next() {
      if (missed > 0) {
        const value = lagged(missed);
        missed = 0;
        return Promise.resolve({ value, done: false });
      }
      if (queue.length > 0) return Promise.resolve({ value: queue.shift(), done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => waiting.push(resolve));
    },
    return() {
      finish();
      queue.length = 0;
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

module.exports = { Listeners, iterate };
