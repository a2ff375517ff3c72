import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSubject } from '../../src/cli/args.js';
import { Progress } from '../../src/cli/progress.js';

afterEach(() => {
  vi.useRealTimers();
});

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) };
}

describe('Progress', () => {
  it('draws on a terminal only once the work has lasted a while, and clears its line', () => {
    vi.useFakeTimers();
    const tty = stream(true);
    const progress = new Progress(tty, 'exporting', { delayMs: 500 });
    progress.tick(10);
    expect(tty.writes).toEqual([]);
    vi.advanceTimersByTime(600);
    progress.tick(5);
    vi.advanceTimersByTime(200); // the timer redraws, so a long single call still shows life
    const line = tty.writes.at(-1)!;
    expect(line.startsWith('\r\u001b[2K')).toBe(true);
    expect(line.slice(5)).toMatch(/^. exporting 15 records \(0\.8 s\)$/);
    progress.done();
    expect(tty.writes.at(-1)).toBe('\r\u001b[2K');
    const count = tty.writes.length;
    vi.advanceTimersByTime(5000);
    expect(tty.writes).toHaveLength(count);
  });

  it('keeps a pipe or a file clean', () => {
    vi.useFakeTimers();
    const pipe = stream(false);
    const progress = new Progress(pipe, 'purging');
    vi.advanceTimersByTime(10_000);
    progress.tick(1000);
    progress.done();
    expect(pipe.writes).toEqual([]);
  });
});

describe('command-line arguments', () => {
  it('reads a subject as email:, visitor:, or a bare address or id', () => {
    expect(parseSubject('email:A@B.c', 'x')).toEqual({ email: 'A@B.c' });
    expect(parseSubject('visitor:abc', 'x')).toEqual({ visitorId: 'abc' });
    expect(parseSubject('visitorId:abc', 'x')).toEqual({ visitorId: 'abc' });
    expect(parseSubject('a@b.c', 'x')).toEqual({ email: 'a@b.c' });
    expect(parseSubject('Zm9v', 'x')).toEqual({ visitorId: 'Zm9v' });
    expect(() => parseSubject('visitor:', 'x')).toThrow(/empty/);
    expect(() => parseSubject(undefined, 'x')).toThrow(/--subject is required/);
  });
});
