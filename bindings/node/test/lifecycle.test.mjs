// The process lifecycle: it stays alive while a client is connected and exits by itself after
// dispose() (run as child processes with a time limit); the ES module and CommonJS entry points.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as esm from 'captivate-chat';
import { startSim } from './sim.mjs';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @type {import('./sim.mjs').Sim} */
let sim;

before(async () => {
  sim = await startSim();
});
after(async () => {
  await sim.stop();
});

/**
 * Runs a CommonJS script with node inside the package folder; resolves with its exit code (null
 * when it had to be killed after `limitMs`), its output, and how long it ran.
 * With `stop`, it is killed `stop.ms` after its output first matches `stop.after`.
 * @param {string} source
 * @param {number} limitMs
 * @param {{after: RegExp, ms: number}} [stop]
 * @returns {Promise<{code: number | null, out: string, ms: number}>}
 */
function run(source, limitMs, stop) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['-e', source], {
      cwd: pkgDir,
      env: { ...process.env, SIM_URL: sim.url, SIM_KEY: sim.key },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let killed = false;
    /** @type {NodeJS.Timeout | undefined} */
    let stopTimer;
    const kill = () => {
      killed = true;
      child.kill('SIGKILL');
    };
    /** @param {Buffer} d */
    const collect = (d) => {
      out += d;
      if (stop && !stopTimer && stop.after.test(out)) stopTimer = setTimeout(kill, stop.ms);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(kill, limitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      clearTimeout(stopTimer);
      resolve({ code: killed ? null : code, out, ms: Date.now() - started });
    });
  });
}

const PRELUDE = `
const { CaptivateChatAPI } = require('captivate-chat');
const connect = () => CaptivateChatAPI.create(process.env.SIM_KEY, 'dev', { url: process.env.SIM_URL });
`;

test('the process exits by itself after dispose(), with listeners registered and an iterator open', async () => {
  const r = await run(
    `${PRELUDE}
    (async () => {
      const api = await connect();
      const c = await api.createConversation('exit-test');
      c.onMessage(() => {});
      api.onStateChange(() => {});
      api.onRawEvent(() => {});
      const it = c.events();
      await it.next();
      await api.dispose();
      console.log('disposed');
    })();`,
    10_000,
  );
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /disposed/);
});

test('dispose() without await still lets the process exit (as the official, synchronous dispose)', async () => {
  const r = await run(
    `${PRELUDE}
    connect().then((api) => { api.onStateChange(() => {}); api.dispose(); console.log('bye'); });`,
    10_000,
  );
  assert.equal(r.code, 0, r.out);
});

test('the process stays alive while a client is connected', async () => {
  const r = await run(
    `${PRELUDE}
    connect().then(() => console.log('connected'));`,
    20_000,
    { after: /connected/, ms: 2_000 },
  );
  assert.match(r.out, /connected/);
  assert.equal(r.code, null, `it should still run 2 s after connecting: ${r.out}`);
});

test('with two clients, disposing one leaves the process alive for the other', async () => {
  const r = await run(
    `${PRELUDE}
    (async () => {
      const a = await connect();
      const b = await CaptivateChatAPI.create(process.env.SIM_KEY, 'dev', { url: process.env.SIM_URL, shared: false });
      if (a === b) throw new Error('one client');
      b.onStateChange(() => {});
      await a.dispose();
      console.log('a disposed');
    })();`,
    20_000,
    { after: /a disposed/, ms: 2_000 },
  );
  assert.match(r.out, /a disposed/);
  assert.equal(r.code, null, `it should still run 2 s after: ${r.out}`);
});

test('clients one after another: each works, and after the last dispose() the process exits', async () => {
  const r = await run(
    `${PRELUDE}
    (async () => {
      for (let i = 0; i < 3; i++) {
        const api = await connect();
        const c = await api.createConversation('one-after-another-' + i, undefined, undefined, 'user-first');
        const echo = new Promise((resolve) => c.onMessage((m, t, ev) => { if (ev.text === 'You said: ' + i) resolve(); }));
        await c.sendMessage(String(i));
        await echo;
        await api.dispose();
        console.log('client', i, 'done');
      }
    })();`,
    20_000,
  );
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /client 2 done/);
});

test('a failed create() leaves nothing holding the process', async () => {
  const r = await run(
    `${PRELUDE}
    CaptivateChatAPI.create('wrong-key', 'dev', { url: process.env.SIM_URL }).catch((e) => console.log(e.code));`,
    10_000,
  );
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /rejected/);
});

test('a client made with new and never connected, and logging, hold nothing', async () => {
  const r = await run(
    `${PRELUDE}
    CaptivateChatAPI.setDebugMode(true, 'trace');
    CaptivateChatAPI.setLogger(() => {}, 'trace');
    new CaptivateChatAPI(process.env.SIM_KEY, 'dev', { url: process.env.SIM_URL, shared: false });
    (async () => {
      const api = await connect();
      await api.createConversation('logged-exit');
      await api.dispose();
      console.log('disposed');
    })();`,
    10_000,
  );
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /disposed/);
  assert.match(r.out, /\[captivate\] /);
});

test('dispose() during connect: create rejects with Closed and the process exits', async () => {
  const r = await run(
    `${PRELUDE}
    const api = new CaptivateChatAPI(process.env.SIM_KEY, 'dev', { url: process.env.SIM_URL });
    api.connect().catch((e) => console.log('connect:', e.code));
    api.dispose().then(() => console.log('disposed'));`,
    10_000,
  );
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /connect: closed/);
  assert.match(r.out, /disposed/);
});

test('CommonJS require and ES module import give the same classes', () => {
  const require = createRequire(import.meta.url);
  const cjs = require('captivate-chat');
  assert.equal(esm.CaptivateChatAPI, cjs.CaptivateChatAPI);
  assert.equal(esm.default.CaptivateChatAPI, cjs.CaptivateChatAPI);
  for (const name of Object.keys(cjs)) {
    assert.ok(name in esm, `${name} is exported by the ES module too`);
  }
});
