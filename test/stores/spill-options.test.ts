import { isAbsolute } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/policy/errors.js';
import { PostgresStore } from '../../src/stores/postgres/store.js';
import { RedisStreamStore } from '../../src/stores/redis/store.js';
import { spillOf } from '../../src/stores/spill-options.js';

// No I/O: the stores connect in init(), and the spill directory is made by the logger.
describe('the spill option of the network stores', () => {
  it('is resolved to an absolute directory, with a default byte bound', () => {
    const store = new PostgresStore({
      connectionString: 'postgres://db/x',
      spill: { dir: 'spill' },
    });
    const spill = spillOf(store)!;
    expect(isAbsolute(spill.dir)).toBe(true);
    expect(spill.maxBytes).toBe(256 * 1024 * 1024);
    expect(spillOf(new RedisStreamStore({ url: 'redis://cache' }))).toBeUndefined();
  });

  it('names the key, the value and the fix when it is wrong', () => {
    const bad = (spill: unknown) => () =>
      new RedisStreamStore({ url: 'redis://cache', spill: spill as never });
    expect(bad({ dir: '' })).toThrow(PolicyError);
    expect(bad({ dir: '' })).toThrow(/RedisStreamStore\.spill\.dir: .*directory/);
    expect(bad({ dir: 'x', maxBytes: 10 })).toThrow(/spill\.maxBytes: .*65536/);
    expect(bad({ dir: 'x', maxByte: 1 << 20 })).toThrow(/did you mean "maxBytes"/);
    expect(
      () => new PostgresStore({ connectionString: 'postgres://db/x', spill: 'tmp' as never }),
    ).toThrow(/PostgresStore\.spill/);
  });
});
