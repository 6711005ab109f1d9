// Compiled (not run) by `tsc --strict --noEmit`: captivate-chat/testing typed the way a test
// suite would use it, `await using` included (TypeScript 5.2 and later compile it for any Node).
import { CaptivateChatAPI, ClosedError, type CaptivateEvent } from 'captivate-chat';
import {
  FAULTS,
  type Hub,
  type HubFaults,
  type HubScript,
  type ProxyFaults,
  type ProxyFaultsInForce,
  type ProxyStats,
  type ReceivedFrame,
  startHub,
} from 'captivate-chat/testing';

const script: HubScript = {
  greeting: [{ bot: ['Hello!', { type: 'buttons', buttons: { title: 'Pick', options: [{ label: 'A', value: 'a' }] } }] }],
  rules: [
    { when: { regex: '^order (?P<n>\\d+)$' }, then: [{ bot: 'Order {n}.' }, { set: { asked: true } }] },
    { when: { contains: 'human' }, then: [{ handover: { agent: 'Ada' } }, { agent: 'Ada here.', after_ms: 0 }] },
    { when: { live: true, exact: 'bye' }, then: [{ end_handover: {} }] },
    { when: { action: 'escalate' }, then: [{ update: { type: 'custom', data: { x: 1 } } }, { delay_ms: 10 }] },
    { when: { files: true }, then: [{ error: { code: 400, desc: 'no files' } }], continue: true },
    { then: [{ large_message: { text: 'big ', repeat: 10 } }] },
  ],
};

async function conversationWith(hub: Hub): Promise<string[]> {
  const api = await CaptivateChatAPI.create(hub.apiKey, 'dev', { ...hub.clientOptions(), shared: false });
  try {
    const c = await api.createConversation('typed');
    const texts: string[] = [];
    c.onEvent((e: CaptivateEvent) => {
      if (e.kind === 'bot_message' && e.text) texts.push(e.text);
    });
    await c.sendMessage('order 1');
    hub.botSays(c.conversationId, ['one', { type: 'text', text: 'two' }], { send: false });
    hub.agentSays(c.conversationId, 'hi');
    hub.update(c.conversationId, 'livechatAgentConnected', { agentInfo: { name: 'Bo' } });
    const frames: ReceivedFrame[] = hub.received({ conversationId: c.conversationId, eventType: 'user_message' });
    const first: string = frames[0].event.event_type;
    texts.push(first);
    return texts;
  } finally {
    await api.dispose();
  }
}

export async function usage(): Promise<void> {
  await using hub = await startHub({ script, apiKey: 'k', extraApiKeys: ['k2'], agentDelayMs: 5, tls: false, port: 0 });
  const url: string = hub.url;
  const port: number = hub.port;
  const pem: string | null = hub.caPem;
  const faults: HubFaults = { replyDelayMs: 10, neverAnswer: ['metadata_request'], httpStatus: 503, httpStatusCount: 1 };
  hub.setFaults(faults);
  const now: HubFaults = hub.faults;
  hub.clearFaults();
  const names: readonly (keyof HubFaults)[] = FAULTS;
  hub.setScript(null);
  hub.setScript(hub.script);
  hub.drop();
  hub.closeConnections(4000, 'bye');
  hub.restart(100);
  hub.push({ event: { event_type: 'bot_message', event_payload: {} } });
  hub.pushText('{not json');
  const texts = await conversationWith(hub);
  const [conv] = hub.conversations();
  const agent: string | null = conv.agent;
  const live: boolean = conv.live;
  const requests: Array<{ method: string; path: string; status: number | null }> = hub.requests();
  const fileKeys: string[] = hub.files().map((f) => f.fileKey);
  const expired: number = hub.expireFiles() + hub.expireFiles(fileKeys[0]);
  const counts: number = hub.liveConnections + hub.connectionsAccepted;
  const running: boolean = hub.running;
  hub.reset();
  console.log(url, port, pem, now, names, texts, agent, live, requests, expired, counts, running);

  const other = await startHub();
  await other.close();
  try {
    other.reset();
  } catch (e) {
    if (!(e instanceof ClosedError)) throw e;
  }
  await other[Symbol.asyncDispose]();
}

export async function proxyUsage(): Promise<void> {
  await using hub = await startHub({ proxy: true, log: false });
  const through: string = hub.proxyUrl;
  const direct: string = hub.url;
  const faults: ProxyFaults = { latencyMs: 20, bandwidthBps: 0, blackhole: false };
  hub.setProxyFaults(faults);
  hub.setProxyFaults({ latencyMs: null });
  const now: ProxyFaultsInForce = hub.proxyFaults;
  const latency: number = now.latencyMs;
  hub.clearProxyFaults();
  const reset: number = hub.proxyReset();
  const armed: number = hub.proxyTruncate();
  await hub.proxyRestart(50);
  const stats: ProxyStats = hub.proxyStats;
  const moved: number = stats.bytesUp + stats.bytesDown + stats.accepted + stats.live + stats.resets + stats.truncated;
  console.log(through, direct, latency, reset, armed, moved);
}

// Typos and wrong types do not compile.
// @ts-expect-error: no such step
export const badStep: HubScript = { rules: [{ then: [{ bott: 'x' }] }] };
// @ts-expect-error: no such condition
export const badWhen: HubScript = { rules: [{ when: { contain: 'x' }, then: [] }] };
export async function badCalls(hub: Hub): Promise<void> {
  // @ts-expect-error: no such fault
  hub.setFaults({ replyDelay: 5 });
  // @ts-expect-error: the options are camelCase
  await startHub({ api_key: 'k' });
  // @ts-expect-error: content is a string or items
  hub.botSays('c', 5);
  // @ts-expect-error: no such proxy fault
  hub.setProxyFaults({ latency: 5 });
  // @ts-expect-error: blackhole is a boolean
  hub.setProxyFaults({ blackhole: 1 });
  // @ts-expect-error: proxy is a boolean
  await startHub({ proxy: 'yes' });
}
