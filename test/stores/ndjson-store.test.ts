import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessRecord } from '../../src/record.js';
import { NdjsonStore, toNdjsonLine } from '../../src/stores/ndjson/store.js';
import type { ReadQuery } from '../../src/stores/store.js';
import { makeRecord } from '../helpers/records.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'epl-ndjson-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(store: NdjsonStore, query: ReadQuery = {}): Promise<AccessRecord[]> {
  if (store.read === undefined) throw new Error('store cannot read');
  const out: AccessRecord[] = [];
  for await (const record of store.read(query)) out.push(record);
  return out;
}

/** Code points that could split or forge a line, or drive a terminal, found raw in `text`. */
function unsafeChars(text: string): number[] {
  const found: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) {
      found.push(code);
    }
  }
  return found;
}

const NASTY = [
  'line\nbreak',
  'carriage\rreturn',
  'esc\u001b[31m',
  'ls\u2028ps\u2029',
  'nel\u0085c1\u009b',
];

function nastyRecord(text: string): AccessRecord {
  return makeRecord({
    essential: { method: 'GET', path: `/p/${text}`, status: 200, durationMs: 1 },
    nonessential: { referrer: text, visitorId: `v-${text}` },
    optional: { [`key ${text}`]: text },
  });
}

describe('toNdjsonLine', () => {
  it('escapes the characters JSON.stringify leaves raw', () => {
    const line = toNdjsonLine(nastyRecord('\u2028\u2029\u0085\u007f\u0080\u009f'));
    expect(line).toContain('\\u2028\\u2029\\u0085\\u007f\\u0080\\u009f');
    expect(line.endsWith('}\n')).toBe(true);
    expect(unsafeChars(line.slice(0, -1))).toEqual([]);
  });
});

describe('NdjsonStore to a file', () => {
  it('writes exactly one line per record, even with line-breaking characters, and parses back equal', async () => {
    const path = join(dir, 'access.ndjson');
    const store = new NdjsonStore({ destination: path });
    await store.init();
    const records = NASTY.map(nastyRecord);
    await store.write(records.slice(0, 2));
    await store.write(records.slice(2));
    await store.close();
    const text = await readFile(path, 'utf8');
    expect(unsafeChars(text.replaceAll('\n', ''))).toEqual([]);
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(records.length);
    expect(lines.map((line) => JSON.parse(line))).toEqual(records);
  });

  it('creates missing folders, and the file is private', async () => {
    const path = join(dir, 'a', 'b', 'access.ndjson');
    const store = new NdjsonStore({ destination: path });
    await store.init();
    const info = await stat(path);
    expect(info.isFile()).toBe(true);
    if (process.platform !== 'win32') expect(info.mode & 0o077).toBe(0);
    await store.close();
  });

  it('does not duplicate a retried batch', async () => {
    const path = join(dir, 'access.ndjson');
    const store = new NdjsonStore({ destination: path });
    await store.init();
    const batch = [makeRecord(), makeRecord()];
    await store.write(batch);
    await store.write(batch);
    await store.write([batch[0]!, makeRecord()]);
    await store.close();
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
  });

  it('remembers only the last dedupeWindow ids', async () => {
    const path = join(dir, 'access.ndjson');
    const store = new NdjsonStore({ destination: path, dedupeWindow: 2 });
    const [a, b, c] = [makeRecord(), makeRecord(), makeRecord()];
    await store.write([a, b, c]);
    await store.write([b, c]);
    await store.write([a]);
    await store.close();
    const ids = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as AccessRecord).id);
    expect(ids).toEqual([a.id, b.id, c.id, a.id]);
  });

  it('appends to an existing file', async () => {
    const path = join(dir, 'access.ndjson');
    const first = new NdjsonStore({ destination: path });
    await first.write([makeRecord()]);
    await first.close();
    const second = new NdjsonStore({ destination: path });
    await second.write([makeRecord()]);
    await second.close();
    expect((await readFile(path, 'utf8')).trimEnd().split('\n')).toHaveLength(2);
  });

  it('reads back by subject, time range and limit, before close', async () => {
    const path = join(dir, 'access.ndjson');
    const store = new NdjsonStore({ destination: path });
    await store.init();
    const a = makeRecord({
      time: '2025-01-01T00:00:00.000Z',
      nonessential: { visitorId: 'alice' },
      optional: { email: 'Alice@Example.org' },
    });
    const b = makeRecord({ time: '2025-01-02T00:00:00.000Z', nonessential: { visitorId: 'bob' } });
    const c = makeRecord({
      time: '2025-01-03T00:00:00.000Z',
      nonessential: { visitorId: 'alice' },
    });
    await store.write([a, b, c]);
    expect(await collect(store)).toEqual([a, b, c]);
    expect(await collect(store, { subject: { visitorId: 'alice' } })).toEqual([a, c]);
    expect(await collect(store, { subject: { email: 'alice@EXAMPLE.org ' } })).toEqual([a]);
    expect(
      await collect(store, { from: new Date(b.time), to: new Date('2025-01-03T00:00:00.000Z') }),
    ).toEqual([b]);
    expect(await collect(store, { limit: 2 })).toEqual([a, b]);
    expect(await collect(store, { limit: 0 })).toEqual([]);
    await store.close();
    expect(await collect(store, { subject: { visitorId: 'bob' } })).toEqual([b]);
  });

  it('skips lines that are not records', async () => {
    const path = join(dir, 'access.ndjson');
    const record = makeRecord();
    await writeFile(
      path,
      `not json\n${toNdjsonLine(record)}[1,2]\n{"v":2,"id":"x","time":"t"}\n\n`,
    );
    await appendFile(path, '{"v":1,"id":"torn');
    const store = new NdjsonStore({ destination: path });
    expect(await collect(store)).toEqual([record]);
    await store.close();
  });

  it('starts on a fresh line after a torn line an earlier writer left', async () => {
    const path = join(dir, 'access.ndjson');
    await writeFile(path, '{"v":1,"id":"torn');
    const record = makeRecord();
    const store = new NdjsonStore({ destination: path });
    await store.write([record]);
    expect(await collect(store)).toEqual([record]);
    await store.close();
    expect(await readFile(path, 'utf8')).toBe(`{"v":1,"id":"torn\n${toNdjsonLine(record)}`);
  });

  it('reads nothing from a file that does not exist (any more)', async () => {
    const path = join(dir, 'gone.ndjson');
    const store = new NdjsonStore({ destination: path });
    await store.write([makeRecord()]);
    await store.close();
    await rm(path);
    expect(await collect(store)).toEqual([]);
  });

  it('reports a file that cannot be opened, retries the open later, and close() does not hang', async () => {
    const blocker = join(dir, 'blocker');
    await writeFile(blocker, '');
    const path = join(blocker, 'access.ndjson');
    const store = new NdjsonStore({ destination: path });
    await expect(store.init()).rejects.toThrow();
    await expect(store.write([makeRecord()])).rejects.toThrow();
    await rm(blocker);
    await store.write([makeRecord()]);
    await store.close();
    expect((await readFile(path, 'utf8')).trimEnd().split('\n')).toHaveLength(1);
    const blocker2 = join(dir, 'blocker2');
    await writeFile(blocker2, '');
    const never = new NdjsonStore({ destination: join(blocker2, 'x', 'y.ndjson') });
    await expect(never.write([makeRecord()])).rejects.toThrow();
    await never.close();
  });

  it('refuses writes after close', async () => {
    const store = new NdjsonStore({ destination: join(dir, 'access.ndjson') });
    await store.close();
    await store.close();
    await expect(store.write([makeRecord()])).rejects.toThrow(/close/);
  });
});

describe('NdjsonStore to a stream', () => {
  it('writes one line per record and leaves the stream open', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    const store = new NdjsonStore({ destination: stream, name: 'stdout' });
    expect(store.name).toBe('stdout');
    expect(store.read).toBeUndefined();
    await store.init();
    const records = NASTY.map(nastyRecord);
    await store.write(records);
    await store.write(records);
    await store.close();
    expect(stream.writableEnded).toBe(false);
    const lines = chunks.join('').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line))).toEqual(records);
  });

  it('waits for drain when the stream signals backpressure', async () => {
    const received: string[] = [];
    let pending: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk.toString('utf8'));
        pending = callback;
      },
    });
    const store = new NdjsonStore({ destination: slow });
    let resolved = false;
    const writing = store.write([makeRecord()]).then(() => {
      resolved = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(received).toHaveLength(1);
    expect(resolved).toBe(false);
    pending?.();
    await writing;
    expect(resolved).toBe(true);
    await store.close();
    expect(slow.writableEnded).toBe(false);
  });

  it('turns a stream error into a rejected write instead of an uncaught exception', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        setImmediate(() => callback(new Error('disk on fire')));
      },
    });
    const store = new NdjsonStore({ destination: failing });
    // The stream never took the line: the write must not count as done.
    await expect(store.write([makeRecord()])).rejects.toThrow('disk on fire');
    await expect(store.write([makeRecord()])).rejects.toThrow(/closed \(disk on fire\)/);
    await store.close();
  });

  it('a write waits for one the stream has not taken, then fails; close() destroys the stuck stream', async () => {
    const stuck = new Writable({
      write() {
        // Never calls back: a pipe nobody reads.
      },
    });
    const store = new NdjsonStore({ destination: stuck, stallTimeoutMs: 50, closeTimeoutMs: 50 });
    const first = store.write([makeRecord()]);
    first.catch(() => {});
    await expect(store.write([makeRecord()])).rejects.toThrow(/has not taken the previous write/);
    await store.close();
    expect(stuck.destroyed).toBe(true);
    await expect(first).rejects.toThrow(/closed/);
  });

  it('rejects, and reports the error once, when the stream fails while it is draining', async () => {
    const failing = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, callback) {
        setImmediate(() => callback(new Error('pipe gone')));
      },
    });
    const store = new NdjsonStore({ destination: failing });
    await expect(store.write([makeRecord()])).rejects.toThrow('pipe gone');
    await expect(store.write([makeRecord()])).rejects.toThrow(/closed/);
    await store.close();
  });
});

describe('NdjsonStore backpressure on a file', () => {
  it('writes a batch larger than a stream buffer completely', async () => {
    const path = join(dir, 'big.ndjson');
    const store = new NdjsonStore({ destination: path });
    await store.init();
    const records = Array.from({ length: 2_000 }, () => makeRecord());
    await store.write(records.slice(0, 1_000));
    await store.write(records.slice(1_000));
    expect((await collect(store)).map((r) => r.id)).toEqual(records.map((r) => r.id));
    await store.close();
    expect((await readFile(path, 'utf8')).trimEnd().split('\n')).toHaveLength(2_000);
  });
});
