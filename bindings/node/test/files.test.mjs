// File uploads against the local hub's file-to-text service: CaptivateChatFileManager (its
// static methods and instances), conversation.fileManager, the inputs a file can come from,
// storage on and off, time-to-live, presigned links, and file objects in messages.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import util from 'node:util';

import { CaptivateChatAPI, CaptivateChatFileManager, Closed, HttpError, InvalidArgument } from 'captivate-chat';
import { startSim } from './sim.mjs';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @type {import('./sim.mjs').Sim} */
let sim;
/** @type {CaptivateChatAPI} */
let api;
/** @type {import('captivate-chat').Conversation} */
let conversation;
/** A real text file on disk. */
let notesPath = '';
const NOTES = 'Meeting notes\nAction: ship the release on Friday.\n';

before(async () => {
  sim = await startSim();
  // A shared client (the static methods find it in the registry).
  api = await CaptivateChatAPI.create(sim.key, 'dev', { url: sim.url, httpUrl: sim.http, filesUrl: sim.http });
  conversation = await api.createConversation('file-tests', undefined, undefined, 'user-first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'captivate-files-'));
  notesPath = path.join(dir, 'notes.txt');
  fs.writeFileSync(notesPath, NOTES);
});
after(async () => {
  await api.dispose();
  await sim.stop();
  fs.rmSync(path.dirname(notesPath), { recursive: true, force: true });
});

/**
 * The stored files the hub knows.
 * @returns {Promise<{fileKey: string, filename: string, contentType: string, fileSize: number, ttlDays: number | null}[]>}
 */
const storedFiles = () => sim.control('/control/files');

/** The payloads of the user messages the hub received. */
async function userMessages() {
  /** @type {any[]} */
  const all = await sim.control('/control/received');
  return all.filter((f) => f.event?.event_type === 'user_message').map((f) => f.event.event_payload);
}

/** @param {string} url */
async function download(url) {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

describe('conversation.fileManager', () => {
  test('create uploads a real file from its path: the hub extracted its text and stores it under the conversation', async () => {
    const fm = await conversation.fileManager.create({ file: notesPath });
    assert.ok(fm instanceof CaptivateChatFileManager);
    assert.equal(fm.type, 'files');
    assert.equal(fm.length, 1);
    assert.equal(fm.getFilename(), 'notes.txt');
    assert.equal(fm.getFileType(), 'text/plain');
    assert.equal(fm.getTextContent(), NOTES);
    const f = fm.getFirstFile();
    assert.equal(f, fm.files[0]);
    assert.equal(f.url, undefined, 'a stored upload has no url');
    assert.deepEqual(f.textContent, {
      type: 'file_content',
      text: NOTES,
      metadata: { source: 'file_attachment', originalFileName: 'notes.txt', storageType: 'direct' },
    });
    const storage = /** @type {import('captivate-chat').FileStorage} */ (f.storage);
    assert.ok(storage.fileKey.startsWith(`${sim.key}/${conversation.conversationId}/`), storage.fileKey);
    assert.equal(storage.fileSize, Buffer.byteLength(NOTES));
    assert.ok(storage.expiresIn > Date.now() / 1000 + 3600);
    assert.deepEqual(await download(storage.presignedUrl), { status: 200, text: NOTES });
    const stored = (await storedFiles()).find((s) => s.fileKey === storage.fileKey);
    assert.equal(stored?.filename, 'notes.txt');
    assert.equal(f.file, notesPath, 'the input it came from');
    assert.ok(!Object.keys(f).includes('file'), 'not enumerable');
  });

  test('every kind of input: Buffer, Uint8Array, ArrayBuffer, DataView, Blob, File', async () => {
    const text = 'bytes of every kind';
    const bytes = new TextEncoder().encode(text);
    /** @type {[string, import('captivate-chat').FileInput, string | undefined][]} */
    const inputs = [
      ['buffer.txt', Buffer.from(text), undefined],
      ['uint8.txt', bytes, undefined],
      ['arraybuffer.txt', bytes.slice().buffer, undefined],
      ['dataview.txt', /** @type {any} */ (new DataView(bytes.buffer)), undefined],
      ['blob.txt', new Blob([text], { type: 'text/plain' }), undefined],
      ['', new File([text], 'from-the-file.txt', { type: 'text/plain' }), 'from-the-file.txt'],
    ];
    for (const [fileName, file, expectedName] of inputs) {
      const fm = await conversation.fileManager.create(fileName ? { file, fileName } : { file });
      assert.equal(fm.getTextContent(), text, fileName);
      assert.equal(fm.getFilename(), expectedName ?? fileName);
    }
    const unnamed = await conversation.fileManager.createFile({ file: Buffer.from(text), fileType: 'text/plain' });
    assert.match(unnamed.filename, /^attachment_\d+$/);
    assert.equal(unnamed.type, 'text/plain');
  });

  test('setTimeToLive applies to the conversation uploads; ttlDays overrides it; other values are refused', async () => {
    const c = await api.createConversation('ttl-user', undefined, undefined, 'user-first');
    const before = await c.fileManager.createFile({ file: Buffer.from('a'), fileName: 'before.txt' });
    await c.setTimeToLive(30);
    const after = await c.fileManager.createFile({ file: Buffer.from('b'), fileName: 'after.txt' });
    const override = await c.fileManager.createFile({ file: Buffer.from('c'), fileName: 'override.txt', ttlDays: 1 });
    const stored = await storedFiles();
    const ttl = (/** @type {import('captivate-chat').FileObject} */ f) => stored.find((s) => s.fileKey === f.storage?.fileKey)?.ttlDays;
    assert.equal(ttl(before), null);
    assert.equal(ttl(after), 30);
    assert.equal(ttl(override), 1);
    await assert.rejects(c.fileManager.create({ file: Buffer.from('d'), fileName: 'd.txt', ttlDays: /** @type {any} */ (5) }), InvalidArgument);
  });

  test('storage: false keeps the url and stores nothing; without a url it is refused', async () => {
    const url = 'https://storage.example/mine.txt';
    const fm = await conversation.fileManager.create({ file: Buffer.from('kept elsewhere'), fileName: 'mine.txt', storage: false, url });
    const f = fm.files[0];
    assert.equal(f.url, url);
    assert.equal(f.storage, undefined);
    assert.equal(fm.getTextContent(), 'kept elsewhere');
    assert.ok(!(await storedFiles()).some((s) => s.filename === 'mine.txt'), 'nothing stored');
    assert.equal(await fm.refreshSecureUrl(), undefined, 'no link to refresh');
    await assert.rejects(conversation.fileManager.create({ file: Buffer.from('x'), fileName: 'x.txt', storage: false }), InvalidArgument);
  });

  test('createMultiple uploads in parallel and keeps the order; without storage it needs one url per file', async () => {
    const names = ['one.txt', 'two.txt', 'three.txt', 'four.txt'];
    const files = names.map((n) => new File([`content of ${n}`], n, { type: 'text/plain' }));
    const fm = await conversation.fileManager.createMultiple({ files });
    assert.equal(fm.length, 4);
    assert.deepEqual(fm.files.map((f) => f.filename), names);
    assert.deepEqual([...fm].map((f) => f.textContent.text), names.map((n) => `content of ${n}`));
    assert.equal(fm[2], fm.files[2]);
    assert.equal(fm[4], undefined);
    assert.ok(2 in fm && !(4 in fm));
    const urls = names.map((n) => `https://storage.example/${n}`);
    const mine = await conversation.fileManager.createMultiple({ files, storage: false, urls });
    assert.deepEqual(mine.files.map((f) => f.url), urls);
    await assert.rejects(conversation.fileManager.createMultiple({ files, storage: false, urls: urls.slice(1) }), InvalidArgument);
    await assert.rejects(conversation.fileManager.createMultiple({ files, storage: false }), InvalidArgument);
  });

  test('a file that cannot be read is refused; inputs of the wrong type throw at once, options the core refuses reject', async () => {
    await assert.rejects(conversation.fileManager.create({ file: path.join(path.dirname(notesPath), 'missing.txt') }), InvalidArgument);
    assert.throws(() => conversation.fileManager.create({ file: /** @type {any} */ (42) }), TypeError);
    assert.throws(() => conversation.fileManager.create(/** @type {any} */ ('notes.txt')), TypeError);
    await assert.rejects(conversation.fileManager.create({ file: notesPath, storage: /** @type {any} */ ('no') }), {
      name: 'InvalidArgumentError',
      message: /storage must be a boolean/,
    });
    await assert.rejects(conversation.fileManager.create(/** @type {any} */ ({ file: notesPath, fileNmae: 'x' })), {
      name: 'InvalidArgumentError',
      message: /"fileNmae" is not an upload option \(file_name, content_type, storage, url, ttl_days\)/,
    });
    assert.throws(() => conversation.fileManager.createMultiple({ files: /** @type {any} */ (notesPath) }), TypeError);
  });
});

describe("the core's upload schema and policy, as in every language", () => {
  test('a readable stream uploads (a file stream under its path\'s name); aliases and the default name', async () => {
    const byStream = await conversation.fileManager.createFile({ file: fs.createReadStream(notesPath) });
    assert.equal(byStream.filename, 'notes.txt');
    assert.equal(byStream.textContent.text, NOTES);
    const web = new Blob(['web stream']).stream();
    const byWeb = await conversation.fileManager.createFile(/** @type {any} */ ({ file: web, filename: 'web.txt' }));
    assert.equal(byWeb.filename, 'web.txt', 'the alias filename is the schema\'s');
    assert.equal(byWeb.textContent.text, 'web stream');
    const unnamed = await conversation.fileManager.createFile({ file: Buffer.from('bytes') });
    assert.match(unnamed.filename, /^attachment_\d{13}$/);
    await assert.rejects(conversation.fileManager.createFile(/** @type {any} */ ({ file: notesPath, fileName: 'a', filename: 'b' })), {
      name: 'InvalidArgumentError',
      message: /a second time/,
    });
  });

  test('several files: a bad one uploads nothing; a failure rejects once every upload has run', async () => {
    const before = (await storedFiles()).length;
    await assert.rejects(
      conversation.fileManager.createMultiple({ files: [Buffer.from('a'), Buffer.from('b')], ttlDays: /** @type {any} */ (5) }),
      { name: 'InvalidArgumentError', message: /file 1 of 2.*ttlDays must be 1, 7, 30 or 90/ },
    );
    await assert.rejects(conversation.fileManager.createFile({ file: notesPath, ttlDays: /** @type {any} */ (3) }), {
      name: 'InvalidArgumentError',
    });
    assert.equal((await storedFiles()).length, before, 'nothing uploaded');
    await sim.control('/control/faults', { http_status: 500, http_status_count: 1, http_paths: ['/api/file-to-text'] });
    await assert.rejects(
      conversation.fileManager.createMultiple({ files: ['x', 'y', 'z'].map((t) => Buffer.from(t)) }),
      HttpError,
    );
    assert.equal((await storedFiles()).length, before + 2, 'the two others ran to their end and stay stored');
  });
});

describe('sending files', () => {
  test('{text, files: manager}: the hub gets the text and the file objects (storage, textContent, no url, no bytes), without a type', async () => {
    const fm = await conversation.fileManager.create({ file: notesPath });
    const id = await conversation.sendMessage({ text: 'the notes', files: fm });
    const sent = (await userMessages()).find((p) => p.client_msg_id === id);
    assert.ok(sent, 'the message reached the hub');
    assert.deepEqual(Object.keys(sent.content).sort(), ['files', 'text']);
    assert.equal(sent.content.text, 'the notes');
    assert.equal(sent.content.files.length, 1);
    const f = sent.content.files[0];
    assert.deepEqual(f.textContent, fm.files[0].textContent);
    assert.deepEqual(f.storage, fm.files[0].storage);
    assert.equal(f.filename, 'notes.txt');
    assert.equal(f.url, undefined);
    assert.equal(f.file, undefined);
  });

  test('a file object, an array of managers and objects, a manager as the whole content, and an enumerable `file` left behind', async () => {
    const a = await conversation.fileManager.create({ file: Buffer.from('A'), fileName: 'a.txt' });
    const b = await conversation.fileManager.createFile({ file: Buffer.from('B'), fileName: 'b.txt' });
    const c = { ...(await conversation.fileManager.createFile({ file: Buffer.from('C'), fileName: 'c.txt' })), file: Buffer.from('C') };
    const sentNames = async (/** @type {string} */ id) => (await userMessages()).find((p) => p.client_msg_id === id)?.content.files.map((/** @type {any} */ f) => f.filename);
    assert.deepEqual(await sentNames(await conversation.sendMessage({ text: 'one', files: b })), ['b.txt']);
    assert.deepEqual(await sentNames(await conversation.sendMessage({ text: 'mixed', files: [a, b, c] })), ['a.txt', 'b.txt', 'c.txt']);
    const whole = await conversation.sendMessage(a);
    const payload = (await userMessages()).find((p) => p.client_msg_id === whole);
    assert.deepEqual(payload.content, { files: [JSON.parse(JSON.stringify(a.files[0]))] });
    const withBytes = (await userMessages()).find((p) => p.content?.text === 'mixed').content.files[2];
    assert.equal(withBytes.file, undefined);
  });

  test('the hub echoes the message: it was accepted as a message with files', async () => {
    const c = await api.createConversation('file-echo', undefined, undefined, 'user-first');
    const fm = await c.fileManager.create({ file: notesPath });
    /** @type {Promise<import('captivate-chat').BotMessageEvent>} */
    const reply = new Promise((resolve) => {
      c.onEvent((e) => {
        if (e.kind === 'bot_message' && e.text?.startsWith('You said')) resolve(e);
      });
    });
    await c.sendMessage({ text: 'with a file', files: fm });
    assert.equal((await reply).text, 'You said: with a file');
  });
});

describe('CaptivateChatFileManager', () => {
  test('create without apiKey goes through the most recent client, into the shared store (no conversation path)', async () => {
    const fm = await CaptivateChatFileManager.create({ file: new Blob(['loose'], { type: 'text/plain' }), fileName: 'loose.txt' });
    assert.match(/** @type {string} */ (fm.files[0].storage?.fileKey), /^uploads\/.+-loose\.txt$/);
    assert.equal(fm.getTextContent(), 'loose');
  });

  test('create with apiKey and conversationId files it under that conversation', async () => {
    const f = await CaptivateChatFileManager.createFile({ file: Buffer.from('filed'), fileName: 'filed.txt', apiKey: sim.key, conversationId: conversation.conversationId });
    assert.ok(f.storage?.fileKey.startsWith(`${sim.key}/${conversation.conversationId}/`), f.storage?.fileKey);
    const loose = await CaptivateChatFileManager.createFile({ file: Buffer.from('loose'), fileName: 'l.txt', conversationId: conversation.conversationId });
    assert.match(/** @type {string} */ (loose.storage?.fileKey), /^uploads\//, 'without apiKey, no path (as the official)');
  });

  test('createMultiple, with and without storage', async () => {
    const fm = await CaptivateChatFileManager.createMultiple({ files: [Buffer.from('x'), Buffer.from('y')], ttlDays: 90 });
    assert.deepEqual(fm.files.map((f) => f.textContent.text), ['x', 'y']);
    const stored = await storedFiles();
    assert.deepEqual(fm.files.map((f) => stored.find((s) => s.fileKey === f.storage?.fileKey)?.ttlDays), [90, 90]);
    const mine = await CaptivateChatFileManager.createMultiple({ files: [Buffer.from('x')], storage: false, urls: ['https://storage.example/x'] });
    assert.equal(mine.files[0].url, 'https://storage.example/x');
    await assert.rejects(CaptivateChatFileManager.createMultiple({ files: [Buffer.from('x')], storage: false }), InvalidArgument);
  });

  test('getSecureFileUrl and refreshSecureUrl make working links; the refreshed one replaces the file object\'s', async () => {
    const fm = await CaptivateChatFileManager.create({ file: notesPath });
    const storage = /** @type {import('captivate-chat').FileStorage} */ (fm.files[0].storage);
    const first = storage.presignedUrl;
    const url = await CaptivateChatFileManager.getSecureFileUrl(storage.fileKey, 60);
    assert.notEqual(url, first);
    assert.deepEqual(await download(url), { status: 200, text: NOTES });
    const refreshed = /** @type {string} */ (await fm.refreshSecureUrl(3600));
    assert.notEqual(refreshed, first);
    assert.equal(storage.presignedUrl, refreshed);
    assert.ok(Math.abs(storage.expiresIn - (Date.now() / 1000 + 3600)) < 60);
    assert.deepEqual(await download(refreshed), { status: 200, text: NOTES });
    await assert.rejects(CaptivateChatFileManager.getSecureFileUrl('uploads/no-such-file'), HttpError);
    await assert.rejects(CaptivateChatFileManager.getSecureFileUrl(storage.fileKey, 0.5), InvalidArgument);
    assert.throws(() => CaptivateChatFileManager.getSecureFileUrl(/** @type {any} */ (1)), TypeError);
  });

  test('the official constructor: one file whose text is known', () => {
    const textContent = /** @type {const} */ ({ type: 'file_content', text: 'known', metadata: { source: 'file_attachment', originalFileName: 'k.txt' } });
    const fm = new CaptivateChatFileManager(Buffer.from('known'), textContent, 'text/plain');
    assert.deepEqual(JSON.parse(JSON.stringify(fm.files)), [{ filename: 'k.txt', type: 'text/plain', textContent }]);
    assert.equal(fm.getTextContent(), 'known');
    assert.equal(fm.toFilesArray(), fm.files);
    assert.match(util.inspect(fm), /^CaptivateChatFileManager \{/);
  });

  test('with no client at all, the static methods reject with Closed', async () => {
    const code = `
      const { CaptivateChatFileManager } = require('captivate-chat');
      CaptivateChatFileManager.create({ file: Buffer.from('x') }).catch((e) => console.log('create:', e.code));
      CaptivateChatFileManager.getSecureFileUrl('k').catch((e) => console.log('url:', e.code));`;
    const out = await new Promise((resolve) => {
      const child = spawn(process.execPath, ['-e', code], { cwd: pkgDir });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.on('exit', () => resolve(text));
    });
    assert.equal(Closed.code, 'closed');
    assert.match(String(out), /create: closed/);
    assert.match(String(out), /url: closed/);
  });
});
