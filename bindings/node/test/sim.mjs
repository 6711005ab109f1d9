// Test helpers: the local hub (captivate-sim) on a free port, its control endpoints, and small
// waiting utilities. Not a test file itself (the suite runs test/*.test.mjs).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { CaptivateChatAPI } from 'captivate-chat';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..', '..');

/** The path of the captivate-sim binary (CAPTIVATE_SIM, or the workspace's debug build). */
export function simPath() {
  if (process.env.CAPTIVATE_SIM) return process.env.CAPTIVATE_SIM;
  const target = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
  return path.join(target, 'debug', 'captivate-sim');
}

/**
 * A running local hub.
 * @typedef {object} Sim
 * @property {string} url the ws:// URL without the key
 * @property {string} key the API key it accepts
 * @property {string[]} extraKeys the other API keys it accepts
 * @property {string} http its HTTP base URL (its channel API, file service and control endpoints)
 * @property {(p: string, body?: object) => Promise<any>} control POST (with a body) or GET a control endpoint
 * @property {(options?: import('captivate-chat').CaptivateOptions) => Promise<CaptivateChatAPI>} client a connected client of
 *   its own (`shared: false` unless the options say otherwise), disposed by `stop`
 * @property {() => Promise<void>} stop
 */

/**
 * Starts captivate-sim on port 0.
 * @param {{apiKey?: string, extraApiKeys?: string[], agentDelayMs?: number}} [options]
 * @returns {Promise<Sim>}
 */
export async function startSim(options = {}) {
  const key = options.apiKey ?? 'test-key';
  const extraKeys = options.extraApiKeys ?? [];
  const argv = ['--port', '0', '--api-key', key, '--agent-delay-ms', String(options.agentDelayMs ?? 50)];
  for (const k of extraKeys) argv.push('--extra-api-key', k);
  const child = spawn(simPath(), argv, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) });
  const [first] = /** @type {[string]} */ (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`captivate-sim exited with ${code} before printing its URL (${simPath()})`);
    }),
  ]));
  lines.on('line', () => {});
  const url = first.split('?')[0];
  const http = url.replace(/^ws/, 'http').replace(/\/dev$/, '');
  /** @type {Set<CaptivateChatAPI>} */
  const clients = new Set();
  return {
    url,
    key,
    extraKeys,
    http,
    async control(p, body) {
      const res = await fetch(`${http}${p}`, body === undefined && !p.startsWith('/control/drop') && !p.startsWith('/control/restart')
        ? {}
        : { method: 'POST', body: JSON.stringify(body ?? {}), headers: { 'content-type': 'application/json' } });
      const text = await res.text();
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    },
    async client(opts = {}) {
      const api = await CaptivateChatAPI.create(key, 'dev', { url, shared: false, ...opts });
      clients.add(api);
      return api;
    },
    async stop() {
      await Promise.all([...clients].map((c) => c.dispose()));
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/**
 * Resolves with the first value `register`'s listener receives that `accept`s, or rejects after
 * `ms`. The listener is removed either way.
 * @template T
 * @param {(listener: (value: T) => void) => () => void} register
 * @param {(value: T) => boolean} [accept]
 * @param {number} [ms]
 * @returns {Promise<T>}
 */
export function waitFor(register, accept = () => true, ms = 5000) {
  return new Promise((resolve, reject) => {
    /** @type {() => void} */
    let off = () => {};
    const timer = setTimeout(() => {
      off();
      reject(new Error(`nothing arrived within ${ms} ms`));
    }, ms);
    off = register((value) => {
      if (accept(value)) {
        clearTimeout(timer);
        off();
        resolve(value);
      }
    });
  });
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
