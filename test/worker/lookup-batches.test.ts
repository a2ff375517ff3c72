import { describe, expect, it, vi } from 'vitest';
import { PendingCalls } from '../../src/worker/calls.js';
import { fromSerialError, toSerialError } from '../../src/worker/errors.js';
import {
  type AnswerItems,
  LookupAnswers,
  type LookupItems,
  LookupRelay,
  settleLookups,
} from '../../src/worker/lookup-batches.js';
import type { FromWorker, ToWorker } from '../../src/worker/protocol.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('lookups of the app crossing to the serving thread', () => {
  it('the lookups a worker starts in one turn cross as one message, and their answers settle them', async () => {
    const calls = new PendingCalls();
    const posted: FromWorker[] = [];
    const relay = new LookupRelay(calls, (m) => posted.push(m));
    const names = relay.reverse('192.0.2.1');
    const companies = [relay.company('192.0.2.2'), relay.company('192.0.2.3')];
    const failing = relay.reverse('192.0.2.4');
    await Promise.resolve();
    expect(posted).toHaveLength(1);
    const items = (posted[0] as { t: 'lookups'; items: LookupItems }).items;
    expect(posted[0]!.t).toBe('lookups');
    expect(items.filter((_, i) => i % 3 === 1)).toEqual([
      'reverse',
      'company',
      'company',
      'reverse',
    ]);
    expect(items.filter((_, i) => i % 3 === 2)).toEqual([
      '192.0.2.1',
      '192.0.2.2',
      '192.0.2.3',
      '192.0.2.4',
    ]);
    const [a, b, c, d] = items.filter((_, i) => i % 3 === 0);
    settleLookups(calls, [
      a,
      1,
      ['host.example.com', 7, 'alias.example.net'],
      b,
      1,
      'Example Networks',
      c,
      1,
      null,
      d,
      0,
      toSerialError(new Error('resolver down')),
    ]);
    // Only strings are kept, whatever came back.
    await expect(names).resolves.toEqual(['host.example.com', 'alias.example.net']);
    await expect(Promise.all(companies)).resolves.toEqual(['Example Networks', undefined]);
    await expect(failing).rejects.toThrow('resolver down');
    expect(calls.size).toBe(0);
    // A lookup of a later turn is a message of its own.
    void relay.company('192.0.2.5');
    await Promise.resolve();
    expect(posted).toHaveLength(2);
  });

  it('a message that cannot be posted fails its lookups instead of leaving them waiting', async () => {
    const calls = new PendingCalls();
    const relay = new LookupRelay(calls, () => {
      throw new Error('port closed');
    });
    const pending = [relay.reverse('192.0.2.1'), relay.company('192.0.2.2')];
    const settled = await Promise.allSettled(pending);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(calls.size).toBe(0);
  });

  it('a lookup never answered is given up, so no waiting call is left behind', async () => {
    vi.useFakeTimers();
    try {
      const calls = new PendingCalls();
      const posted: FromWorker[] = [];
      const relay = new LookupRelay(calls, (m) => posted.push(m), 5000);
      const first = relay.company('192.0.2.1');
      const firstGivenUp = expect(first).rejects.toThrow('did not answer');
      const answered = relay.reverse('192.0.2.2');
      await Promise.resolve();
      const ids = (posted[0] as { items: LookupItems }).items.filter((_, i) => i % 3 === 0);
      settleLookups(calls, [ids[1], 1, ['late.example.org']]);
      await expect(answered).resolves.toEqual(['late.example.org']);
      await vi.advanceTimersByTimeAsync(2000);
      const later = relay.company('192.0.2.3');
      const laterGivenUp = expect(later).rejects.toThrow('did not answer');
      await vi.advanceTimersByTimeAsync(3500);
      // The first is past its deadline; the one made 2 s later is not yet.
      await firstGivenUp;
      expect(calls.size).toBe(1);
      await vi.advanceTimersByTimeAsync(2000);
      await laterGivenUp;
      expect(calls.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('the serving thread runs each lookup and sends the answers of one turn together', async () => {
    const posted: ToWorker[] = [];
    const answers = new LookupAnswers(
      {
        reverse: (address) => {
          if (address === '198.51.100.9') throw new Error('lookup threw');
          return address === '198.51.100.1' ? ['one.example.org'] : Promise.resolve([]);
        },
        // A value that would not clone crosses as nothing.
        company: (address) => (address === '198.51.100.3' ? 'Example Co' : ({} as string)),
      },
      (m) => posted.push(m),
    );
    answers.serve([1, 'reverse', '198.51.100.1', 2, 'reverse', '198.51.100.2']);
    answers.serve([3, 'company', '198.51.100.3', 4, 'company', '198.51.100.4']);
    answers.serve([5, 'reverse', '198.51.100.9']);
    await turn();
    await turn();
    expect(posted.length).toBe(1);
    const items = (posted[0] as { t: 'answers'; items: AnswerItems }).items;
    const byId = new Map<unknown, unknown[]>();
    for (let i = 0; i < items.length; i += 3) byId.set(items[i], [items[i + 1], items[i + 2]]);
    expect(byId.get(1)).toEqual([1, ['one.example.org']]);
    expect(byId.get(2)).toEqual([1, []]);
    expect(byId.get(3)).toEqual([1, 'Example Co']);
    expect(byId.get(4)).toEqual([1, null]);
    expect(byId.get(5)?.[0]).toBe(0);
    expect(JSON.stringify(byId.get(5)?.[1])).toContain('lookup threw');
    // Every answer is plain data, as structured clone needs.
    expect(() => structuredClone(posted[0])).not.toThrow();
  });

  it('answers settling in later turns follow in later messages', async () => {
    const posted: ToWorker[] = [];
    let release: (names: string[]) => void = () => {};
    const late = new Promise<string[]>((resolve) => {
      release = resolve;
    });
    const answers = new LookupAnswers(
      { reverse: (a) => (a === 'late' ? late : ['now.example.org']), company: undefined },
      (m) => posted.push(m),
    );
    answers.serve([1, 'reverse', 'now', 2, 'reverse', 'late', 3, 'company', 'any']);
    await turn();
    await turn();
    expect(posted).toHaveLength(1);
    expect((posted[0] as { items: AnswerItems }).items).toEqual([
      1,
      1,
      ['now.example.org'],
      3,
      1,
      null,
    ]);
    release(['later.example.org']);
    await turn();
    await turn();
    expect(posted).toHaveLength(2);
    expect((posted[1] as { items: AnswerItems }).items).toEqual([2, 1, ['later.example.org']]);
  });

  it('a failed reverse lookup crosses without its stack; a failed company lookup keeps it', async () => {
    let reads = 0;
    const failure = (message: string) => {
      const err = Object.assign(new Error(message), { code: 'ENOTFOUND' });
      Object.defineProperty(err, 'stack', {
        get: () => {
          reads++;
          return `Error: ${message}\n    at resolver`;
        },
      });
      return err;
    };
    const posted: ToWorker[] = [];
    const answers = new LookupAnswers(
      {
        reverse: () => Promise.reject(failure('no PTR record')),
        company: () => Promise.reject(failure('company data missing')),
      },
      (m) => posted.push(m),
    );
    answers.serve([1, 'reverse', '198.51.100.1', 2, 'company', '198.51.100.2']);
    await turn();
    await turn();
    const items = (posted[0] as { items: AnswerItems }).items;
    expect(items.filter((_, i) => i % 3 === 1)).toEqual([0, 0]);
    const byId = new Map<unknown, unknown>();
    for (let i = 0; i < items.length; i += 3) byId.set(items[i], items[i + 2]);
    expect(byId.get(1)).toEqual({ name: 'Error', message: 'no PTR record', code: 'ENOTFOUND' });
    expect(byId.get(2)).toEqual({
      name: 'Error',
      message: 'company data missing',
      code: 'ENOTFOUND',
      stack: 'Error: company data missing\n    at resolver',
    });
    // The reverse lookup's stack was never read (reading it is what formats it).
    expect(reads).toBe(1);
  });

  it('an error from the other thread is an Error with its own stack, or its name and message', () => {
    const limit = Error.stackTraceLimit;
    const remote = fromSerialError({
      name: 'TypeError',
      message: 'bad row',
      code: 'ERR_ROW',
      stack: 'TypeError: bad row\n    at write (store.js:1:1)',
    });
    expect(remote).toBeInstanceOf(Error);
    expect(remote).toMatchObject({ name: 'TypeError', message: 'bad row', code: 'ERR_ROW' });
    expect(remote.stack).toBe('TypeError: bad row\n    at write (store.js:1:1)');
    const bare = fromSerialError({ name: 'Error', message: 'no PTR record' });
    expect(bare.stack).toBe('Error: no PTR record');
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it('the sweep gives up only the calls still waiting: answered ones cost no error', async () => {
    vi.useFakeTimers();
    try {
      const calls = new PendingCalls();
      const fail = vi.spyOn(calls, 'fail');
      const posted: FromWorker[] = [];
      const relay = new LookupRelay(calls, (m) => posted.push(m), 5000);
      const answered = Array.from({ length: 50 }, (_, i) => relay.reverse(`192.0.2.${i + 1}`));
      const waiting = [relay.company('198.51.100.1'), relay.company('198.51.100.2')];
      const givenUp = Promise.allSettled(waiting);
      await Promise.resolve();
      const ids = (posted[0] as { items: LookupItems }).items.filter((_, i) => i % 3 === 0);
      settleLookups(
        calls,
        ids.slice(0, 50).flatMap((id) => [id, 1, ['host.example.org']]),
      );
      await Promise.all(answered);
      await vi.advanceTimersByTimeAsync(6000);
      const settled = await givenUp;
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
      // Two calls failed, with one error between them; the fifty answered were not touched.
      expect(fail).toHaveBeenCalledTimes(2);
      expect(fail.mock.calls[0]![1]).toBe(fail.mock.calls[1]![1]);
      expect(calls.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
