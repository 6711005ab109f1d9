// The official README's workflows, as TypeScript programs written against the official API
// (test/official/*.mts: the README's code with the import line and the local hub's three URLs
// changed), compiled with `tsc --strict` and run against the local hub. Each test checks what
// the program printed and what reached the hub.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startSim } from './sim.mjs';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sources = path.join(pkgDir, 'test', 'official');

/** @type {import('./sim.mjs').Sim} */
let sim;
/** Where the compiled programs are (inside the package, so that `captivate-chat` resolves to it). */
let outDir = '';

before(async () => {
  outDir = fs.mkdtempSync(path.join(pkgDir, 'test', '.official-'));
  const programs = fs.readdirSync(sources).filter((f) => f.endsWith('.mts')).map((f) => path.join(sources, f));
  const tsc = path.join(pkgDir, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(
    process.execPath,
    [tsc, '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--rootDir', sources, '--outDir', outDir, ...programs],
    { cwd: pkgDir, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, `tsc --strict failed:\n${r.stdout}${r.stderr}`);
  sim = await startSim({ apiKey: 'YOUR_API_KEY', extraApiKeys: ['YOUR_API_KEY_1', 'YOUR_API_KEY_2'] });
});

after(async () => {
  if (sim) await sim.stop();
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

/**
 * Runs a compiled program until it prints `marker` (it is then stopped: like the README's
 * code, it leaves clients connected) or exits; fails after 60 s.
 * @param {string} name
 * @param {string} marker
 * @returns {Promise<string>} what it printed (stdout and stderr)
 */
function run(name, marker) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(outDir, `${name}.mjs`)], {
      cwd: pkgDir,
      env: { ...process.env, HUB_WS_URL: sim.url, HUB_HTTP_URL: sim.http, HUB_FILES_URL: sim.http },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not finish within 60 s:\n${out}`));
    }, 60_000);
    /** @param {Buffer} d */
    const collect = (d) => {
      out += d;
      if (out.includes(marker)) child.kill('SIGTERM');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('exit', () => {
      clearTimeout(timer);
      if (out.includes(marker)) resolve(out);
      else reject(new Error(`${name} ended before printing ${JSON.stringify(marker)}:\n${out}`));
    });
  });
}

/** The frames the hub received of an event type, their payloads. */
async function received(/** @type {string} */ eventType) {
  /** @type {any[]} */
  const all = await sim.control('/control/received');
  return all.filter((f) => f.event?.event_type === eventType).map((f) => f.event.event_payload);
}

/** The user messages the hub received with this text. */
async function messages(/** @type {string} */ text) {
  return (await received('user_message')).filter((p) => p.content?.text === text);
}

/**
 * The line that starts with `label`, without it.
 * @param {string} out
 * @param {string} label
 */
function line(out, label) {
  const l = out.split('\n').find((x) => x.startsWith(label));
  assert.ok(l !== undefined, `no line "${label}" in:\n${out}`);
  return l.slice(label.length).trim();
}

test('the Full Workflow', async () => {
  const out = await run('full-workflow', 'Conversation soft deleted successfully.');
  assert.doesNotMatch(out, /Error/);
  for (const label of ['Connected to CaptivateChat API', 'Conversation started:', 'Received (ai_agent):', 'Transcript:', 'User Conversations:', 'Filtered Conversations:']) {
    line(out, label);
  }
  assert.doesNotMatch(out, /YOUR_API_KEY/, 'printing a conversation shows no API key');
  const [sent] = await messages("Here's the document you requested");
  assert.ok(sent, 'the file message reached the hub');
  assert.equal(sent.content.type, undefined, '{text, files} is sent without a type');
  const [f] = sent.content.files;
  assert.equal(f.filename, 'document.pdf');
  assert.equal(f.textContent.text, 'Quarterly report: revenue is up.');
  assert.ok(f.storage.fileKey.startsWith(`YOUR_API_KEY/${sent.conversation_id}/`), f.storage.fileKey);
  assert.equal(f.url, undefined);
  assert.equal(f.file, undefined, 'the bytes are not sent');
  assert.ok((await received('delete_conversation')).some((p) => p.conversation_id === sent.conversation_id));
});

test('the client and conversation examples', async () => {
  const out = await run('basics', '== done');
  assert.doesNotMatch(out, /Error/);
  const expect = {
    'Debug mode enabled:': 'false',
    'api1 === api2:': 'true',
    'apiDev !== api1:': 'true',
    'api3 === api1:': 'true',
    'api4 !== api1:': 'true',
    'getInstance found it:': 'true',
    'Option 1 ready:': 'true',
    'Option 2 ready:': 'true',
    'Filtered & Paginated User Conversations:': '1 1',
    'Searched & Paginated User Conversations:': '2',
    'Filtered, Searched & Paginated User Conversations:': '1',
    'Left for user-gone:': '0',
    'Development mode instance:': 'true true',
  };
  for (const [label, value] of Object.entries(expect)) assert.equal(line(out, label), value, label);
  assert.match(line(out, 'Created with custom data:'), /"customField":"value"/);
  assert.match(out, /^ai_agent: /m);
  line(out, 'Edits confirmed');
  assert.ok(Number(line(out, 'Transcript entries:')) >= 2);
  assert.ok(Number(line(out, 'User Conversations:')) >= 6);

  const withFile = (await messages("Here's the document you requested")).find((p) => p.content.files[0].filename === 'list.txt');
  assert.ok(withFile, 'the message with the file object reached the hub');
  assert.equal(withFile.content.files[0].textContent.text, 'Shopping list: eggs, milk.');
  const edits = (await received('edit_message')).filter((p) => p.message_id === 'messageId123');
  assert.equal(edits.length, 2);
  assert.equal(edits[1].content.text, 'Updated message text');
  assert.ok((await received('action')).some((p) => p.id === 'customAction' && p.data.step === 2));
  assert.ok((await received('metadata')).some((p) => p.metadata.private?.secret === 'mySecretValue'));
  assert.ok((await received('metadata')).some((p) => p.metadata.timeToLive === 30));
});

test('the file examples', async () => {
  const out = await run('files', '== done');
  assert.doesNotMatch(out, /Error/);
  const conversationKey = line(out, 'Recommended upload:');
  assert.match(conversationKey, /^YOUR_API_KEY\/file-user[-_][^/]+\/.+-document\.pdf$/);
  assert.match(line(out, 'Legacy upload:'), /^uploads\//);
  /** @type {{fileKey: string, ttlDays: number | null}[]} */
  const stored = await sim.control('/control/files');
  const ttl = (/** @type {string} */ label) => stored.find((f) => f.fileKey === line(out, label))?.ttlDays;
  assert.equal(ttl('Recommended upload:'), null);
  assert.equal(ttl('TTL upload:'), 7, 'the conversation time-to-live applies to its uploads');
  assert.equal(ttl('Legacy TTL upload:'), 30);
  assert.equal(line(out, 'Service storage has storage:'), 'true and no url: true');
  assert.equal(line(out, 'Developer storage url:'), 'https://my-bucket.s3.amazonaws.com/documents/document.pdf storage: undefined');
  assert.equal(line(out, 'Legacy developer storage url:'), 'https://my-bucket.s3.amazonaws.com/documents/document.pdf');
  for (const label of ['Refreshed secure URL:', 'Custom secure URL:', 'Direct secure URL:']) {
    const res = await fetch(line(out, label));
    assert.equal(res.status, 200, label);
    assert.equal(await res.text(), 'Terms of service, version 3.', label);
  }
  assert.equal(line(out, 'Filename:'), 'document.pdf');
  assert.equal(line(out, 'File type:'), 'text/plain');
  assert.equal(line(out, 'Text content:'), 'Terms of service, version 3.');
  assert.equal(line(out, 'Text length:'), '28');
  assert.equal(line(out, "First file is the array's first:"), 'true');
  assert.equal(line(out, 'Multiple (service storage):'), '3 file1.txt,file2.txt,file3.txt');
  assert.equal(line(out, 'Multiple (my storage):'), ['file1', 'file2', 'file3'].map((f) => `https://my-bucket.s3.amazonaws.com/${f}.pdf`).join(','));
  assert.equal(line(out, 'Legacy multiple:'), '3');
  assert.equal(line(out, 'Manual multiple:'), '3');
  assert.equal(line(out, 'Legacy manual multiple:'), '3');
  assert.equal(line(out, 'Single file objects:'), 'document.pdf https://my-bucket.s3.amazonaws.com/document.pdf');
  assert.equal(line(out, 'Legacy single file object:'), 'document.pdf');
  assert.equal(line(out, 'Array access:'), 'true');
  assert.equal(line(out, 'Array length:'), '1');
  assert.equal(line(out, 'Iterable:'), '1 true 1');

  const attached = await messages('Multiple documents attached');
  assert.equal(attached.length, 3, 'createMultiple, and the manual way twice');
  for (const m of attached) {
    assert.deepEqual(m.content.files.map((/** @type {any} */ f) => f.textContent.text).sort(), ['first file', 'second file', 'third file']);
    assert.ok(m.content.files.every((/** @type {any} */ f) => f.storage.fileKey && f.url === undefined));
  }
  const mine = await messages('Multiple documents from my storage');
  assert.equal(mine.length, 2);
  for (const m of mine) assert.ok(m.content.files.every((/** @type {any} */ f) => f.url.startsWith('https://my-bucket') && f.storage === undefined));
});

test('the multi-key manager examples', async () => {
  const out = await run('manager', '== done');
  assert.doesNotMatch(out, /Error/);
  assert.equal(line(out, 'Option 1 listed:'), '2 of 2');
  assert.equal(line(out, 'Option 2 listed:'), '2 of 2');
  const placed = out.split('\n').filter((l) => l.includes('on the instance of its key:'));
  assert.deepEqual(placed.map((l) => l.trim()), ['on the instance of its key: true', 'on the instance of its key: true']);
  assert.equal(line(out, 'Disposed all; instance left:'), 'false');
  assert.equal(line(out, 'After dispose(key):'), 'true true');
  assert.equal(line(out, 'After disposeAll:'), 'true');
  const transcripts = out.split('\n').filter((l) => l.startsWith('Transcript for '));
  assert.equal(transcripts.length, 4);
  for (const l of transcripts) assert.ok(Number(l.split(':').at(-1)) >= 1, l);
});
