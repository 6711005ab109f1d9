// Listener sets and async iterators over them. Each event reaches each listener once, in the
// order of the client's one feed; a listener that throws does not stop the others or later
// events (its error goes to the client's onListenerError handlers, or a process warning).
'use strict';

/** Events a conversation keeps for its first listener, at most (the oldest are dropped). */
const BACKLOG = 1000;

/**
 * The listeners of one target: the client, or a conversation. A conversation's set keeps the
 * events that arrive before its first listener and hands them to it, after the registration
 * returns and before any newer event, so that a greeting sent right after a conversation
 * starts is not lost.
 */
class Listeners {
  /**
   * @param {{_listenerFailed: (e: unknown, ev: unknown) => void}} owner the client
   * @param {boolean} keepBacklog
   */
  constructor(owner, keepBacklog) {
    this.owner = owner;
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
      if (this.backlog.length >= BACKLOG) this.backlog.shift();
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
 * An async iterator over what a listener receives; ends on `return()` (a `break` out of
 * `for await`) or when the client is disposed, and at once when opened after that.
 * @param {(fn: (ev: unknown) => void) => () => void} register
 * @param {{_disposed: boolean, _iterators: Set<() => void>}} api
 */
function iterate(register, api) {
  const queue = [];
  const waiting = [];
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
      if (w) w({ value: ev, done: false });
      else queue.push(ev);
    });
    api._iterators.add(finish);
  }
  return {
    next() {
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
