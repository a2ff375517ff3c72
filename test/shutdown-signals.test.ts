import { afterEach, describe, expect, it, vi } from 'vitest';
import { PolicyError, presets, privacyLog } from '../src/index.js';
import { handleShutdownSignals } from '../src/shutdown-signals.js';
import { MemoryStore } from '../src/stores/memory/store.js';

// process.emit() runs the listeners without a real signal, so nothing here can end the worker:
// a listener of the test's own is always present, and the logger then never raises the signal.
const appListener = vi.fn();
const logger = { warn: vi.fn(), error: vi.fn() };

afterEach(() => {
  process.off('SIGHUP', appListener);
  appListener.mockReset();
});

describe('handleShutdownSignals', () => {
  it('closes once within the deadline and leaves the exit to a listener of the app', async () => {
    process.on('SIGHUP', appListener);
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const close = vi.fn(async (_timeoutMs: number) => {});
    const before = process.listenerCount('SIGHUP');
    handleShutdownSignals({ signals: ['SIGHUP'], timeoutMs: 1234 }, close, logger);
    expect(process.listenerCount('SIGHUP')).toBe(before + 1);
    process.emit('SIGHUP');
    await vi.waitFor(() => expect(process.listenerCount('SIGHUP')).toBe(before));
    expect(close).toHaveBeenCalledTimes(1);
    expect(close).toHaveBeenCalledWith(1234);
    expect(appListener).toHaveBeenCalledTimes(1);
    expect(kill).not.toHaveBeenCalled();
    kill.mockRestore();
  });

  it('raises the signal again once closed when nobody else listens', async () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const uninstall = handleShutdownSignals(
      { signals: ['SIGHUP'], timeoutMs: 10 },
      async () => {},
      logger,
    );
    process.emit('SIGHUP');
    await vi.waitFor(() => expect(kill).toHaveBeenCalledWith(process.pid, 'SIGHUP'));
    expect(process.listenerCount('SIGHUP')).toBe(0);
    uninstall();
    kill.mockRestore();
  });

  it('a second signal while closing stops waiting; a failed close is reported, not thrown', async () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    let finish: (() => void) | undefined;
    const close = vi.fn(
      () =>
        new Promise<void>((_resolve, reject) => {
          finish = () => reject(new Error('store gone'));
        }),
    );
    handleShutdownSignals({ signals: ['SIGHUP'], timeoutMs: 10 }, close, logger);
    process.emit('SIGHUP');
    process.emit('SIGHUP');
    expect(kill).toHaveBeenCalledTimes(1);
    finish?.();
    await vi.waitFor(() => expect(logger.error).toHaveBeenCalledTimes(1));
    expect(close).toHaveBeenCalledTimes(1);
    expect(kill).toHaveBeenCalledTimes(1);
    kill.mockRestore();
  });

  it('uninstall removes every handler', () => {
    const before = process.listenerCount('SIGINT');
    const uninstall = handleShutdownSignals(
      { signals: ['SIGTERM', 'SIGINT'], timeoutMs: 10 },
      async () => {},
      logger,
    );
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    uninstall();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});

describe('the handleSignals option', () => {
  const base = { policy: presets.strict, store: new MemoryStore(), warnings: false as const };

  it('is off by default, and close() removes the handlers it installed', async () => {
    const before = process.listenerCount('SIGTERM');
    await privacyLog(base).close();
    const log = privacyLog({ ...base, handleSignals: true });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    expect(process.listenerCount('SIGINT')).toBeGreaterThan(0);
    await log.close();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('refuses signals it cannot handle and negative deadlines', () => {
    expect(() =>
      privacyLog({ ...base, handleSignals: { signals: ['SIGKILL' as 'SIGTERM'] } }),
    ).toThrow(PolicyError);
    expect(() => privacyLog({ ...base, handleSignals: { timeoutMs: -1 } })).toThrow(PolicyError);
  });
});
