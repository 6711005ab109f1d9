// The benchmark's scenarios from Node: with the library (`node-lib`: captivate-chat) or by hand
// on the `ws` package (`node-raw`), as a user of each would write them. Same command line and
// output as every client program of the benchmark (see bench/src/scenario.rs):
//
//   node --expose-gc bench.mjs node-lib|node-raw connect|roundtrip|pipelined URL HUB_PID N M
//
// prints one JSON line of figures, or a message on stderr and exits 1. Run from a folder where
// `captivate-chat` and `ws` are installed (make bench sets one up under build/bench/node).

import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

const API_KEY = 'bench-key';
const PREFIX = 'You said: ';

// ----- measuring -----

function rssKib() {
  if (global.gc) global.gc();
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return line ? Number(line.split(/\s+/)[1]) : 0;
}

function cpuNs() {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

class Phase {
  constructor(hubPid) {
    this.hubPath = `/proc/${hubPid}/schedstat`;
    this.hub = this.hubNs();
    this.cpu = cpuNs();
    this.wall = process.hrtime.bigint();
  }
  hubNs() {
    try {
      return Number(readFileSync(this.hubPath, 'utf8').split(' ')[0]);
    } catch {
      return 0;
    }
  }
  /** { wall (ns), cpu (ns), load } */
  finish() {
    const wall = Number(process.hrtime.bigint() - this.wall);
    const cpu = cpuNs() - this.cpu;
    return { wall, cpu, load: (this.hubNs() - this.hub) / Math.max(wall, 1) };
  }
}

function percentileUs(samples, q) {
  samples.sort((a, b) => a - b);
  const rank = Math.min(samples.length, Math.max(1, Math.ceil(q * samples.length)));
  return samples[rank - 1] / 1e3;
}

const nowNs = () => process.hrtime.bigint();

// ----- the echoes a conversation waits for, checked in order -----

class Echoes {
  constructor() {
    this.tag = '';
    this.next = 0;
    this.until = 0;
    this.done = null;
    this.fail = null;
  }
  /** Resolves once the echoes of messages `from .. from + count` of `tag` arrived, in order. */
  expect(tag, from, count) {
    this.tag = tag;
    this.next = from;
    this.until = from + count;
    return new Promise((resolve, reject) => {
      this.done = resolve;
      this.fail = reject;
    });
  }
  seen(text) {
    if (typeof text !== 'string' || !text.startsWith(PREFIX)) return;
    const want = PREFIX + this.tag + this.next;
    if (text !== want) {
      this.fail?.(new Error(`expected ${JSON.stringify(want)}, got ${JSON.stringify(text)}`));
      return;
    }
    this.next++;
    if (this.next === this.until) this.done();
  }
}

// ----- the two clients -----

class Lib {
  async load() {
    this.api = (await import('captivate-chat')).CaptivateChatAPI;
  }
  connect(url) {
    // A client of its own each time (`create` returns the existing client of a key and mode).
    return this.api.create(API_KEY, 'prod', { url, shared: false });
  }
  async conversation(client) {
    const conversation = await client.createConversation('bench-user', undefined, undefined, 'user-first');
    const echoes = new Echoes();
    conversation.onMessage((_content, type, event) => {
      if (type === 'ai_agent') echoes.seen(event.text);
    });
    return { conversation, echoes };
  }
  async roundTrip(c, i) {
    const echo = c.echoes.expect('r', i, 1);
    await c.conversation.sendMessage(`r${i}`);
    await echo;
  }
  async batch(c, tag, n) {
    const all = c.echoes.expect(tag, 0, n);
    const sends = [];
    for (let i = 0; i < n; i++) sends.push(c.conversation.sendMessage(`${tag}${i}`));
    await all;
    await Promise.all(sends);
  }
}

class Raw {
  async load() {
    this.WebSocket = (await import('ws')).default;
  }
  connect(url) {
    return new Promise((resolve, reject) => {
      const ws = new this.WebSocket(`${url}?apiKey=${API_KEY}`);
      const c = { ws, echoes: new Echoes(), started: null };
      ws.on('error', reject);
      ws.on('message', (data) => {
        const event = JSON.parse(data).event;
        switch (event.event_type) {
          case 'socket_connected':
            if (!event.event_payload.socket_id) reject(new Error('socket_connected without a socket_id'));
            resolve(c);
            break;
          case 'conversation_start_success':
            c.started?.(event.event_payload.conversation_id);
            break;
          case 'bot_message':
            c.echoes.seen(event.event_payload.content[0]?.text);
            break;
        }
      });
    });
  }
  async conversation(c) {
    const id = new Promise((resolve) => (c.started = resolve));
    c.ws.send(
      JSON.stringify({
        action: 'sendMessage',
        event: { event_type: 'conversation_start', event_payload: { userId: 'bench-user' } },
      }),
    );
    c.conversationId = await id;
    return c;
  }
  send(c, text) {
    c.ws.send(
      JSON.stringify({
        action: 'sendMessage',
        event: {
          event_type: 'user_message',
          event_payload: {
            type: 'message_create',
            client_msg_id: randomUUID(),
            conversation_id: c.conversationId,
            content: { type: 'text', text },
          },
        },
      }),
    );
  }
  async roundTrip(c, i) {
    const echo = c.echoes.expect('r', i, 1);
    this.send(c, `r${i}`);
    await echo;
  }
  async batch(c, tag, n) {
    const all = c.echoes.expect(tag, 0, n);
    for (let i = 0; i < n; i++) this.send(c, `${tag}${i}`);
    await all;
  }
}

// ----- scenarios -----

async function connect(client, url, hubPid, n) {
  const kept = [await client.connect(url)];
  const before = rssKib();
  const samples = [];
  const phase = new Phase(hubPid);
  for (let i = 0; i < n; i++) {
    const t = nowNs();
    kept.push(await client.connect(url));
    samples.push(Number(nowNs() - t));
  }
  const m = phase.finish();
  await new Promise((r) => setTimeout(r, 300));
  const after = rssKib();
  return {
    connect_p50_us: percentileUs(samples, 0.5),
    connect_cpu_us: m.cpu / n / 1e3,
    rss_per_client_kib: (after - before) / n,
    hub_load: m.load,
  };
}

async function roundTrips(client, url, hubPid, n, warmup) {
  const c = await client.conversation(await client.connect(url));
  const samples = [];
  let phase = null;
  for (let i = 0; i < warmup + n; i++) {
    if (i === warmup) phase = new Phase(hubPid);
    const t = nowNs();
    await client.roundTrip(c, i);
    if (i >= warmup) samples.push(Number(nowNs() - t));
  }
  const m = phase.finish();
  return {
    rt_p50_us: percentileUs(samples, 0.5),
    rt_p99_us: percentileUs(samples, 0.99),
    rt_cpu_us: m.cpu / n / 1e3,
    hub_load: m.load,
  };
}

async function pipelined(client, url, hubPid, n, batches) {
  const c = await client.conversation(await client.connect(url));
  await client.batch(c, 'w', Math.min(n, 1000));
  const phase = new Phase(hubPid);
  batches = Math.max(batches, 1);
  for (let b = 0; b < batches; b++) await client.batch(c, 'p', n);
  const m = phase.finish();
  const total = n * batches;
  return { msgs_per_s: total / (m.wall / 1e9), cpu_per_msg_us: m.cpu / total / 1e3, hub_load: m.load };
}

const scenarios = { connect, roundtrip: roundTrips, pipelined };

const [which, scenario, url, hubPid, n, m] = process.argv.slice(2);
if (!['node-lib', 'node-raw'].includes(which) || !scenarios[scenario] || m === undefined) {
  console.error('usage: bench.mjs node-lib|node-raw connect|roundtrip|pipelined URL HUB_PID N M');
  process.exit(2);
}
try {
  const client = which === 'node-lib' ? new Lib() : new Raw();
  await client.load();
  const figures = await scenarios[scenario](client, url, Number(hubPid), Number(n), Number(m));
  process.stdout.write(`${JSON.stringify(figures)}\n`, () => process.exit(0));
} catch (e) {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
}
