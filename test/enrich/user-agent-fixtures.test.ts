import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ParsedAgent, UserAgentParser } from '../../src/enrich/user-agent.js';

/**
 * Accuracy of the User-Agent enrichment against answers nobody here wrote: real browser strings
 * with a reference parser's answers (Matomo's device-detector, Node port) and the crawler list's
 * examples. See test/fixtures/user-agents/README.md; `npm run fixtures:user-agents` rewrites it.
 *
 * The floors sit just under the rates measured when they were set: a change that lowers accuracy
 * fails here, one that raises it should raise the floor.
 */
const Entry = z.object({
  ua: z.string(),
  browser: z.string().optional(),
  browserFamily: z.string().optional(),
  major: z.string().optional(),
  os: z.string().optional(),
  osFamily: z.string().optional(),
  device: z.string().optional(),
  bot: z.boolean(),
});
type Entry = z.infer<typeof Entry>;

const Fixture = z.object({ packages: z.array(z.string()), entries: z.array(Entry) });

const fixture = Fixture.parse(
  JSON.parse(
    readFileSync(new URL('../fixtures/user-agents/user-agents.json', import.meta.url), 'utf8'),
  ),
);

/**
 * The same browser or OS under the reference parser's name and under ua-parser-js's: naming, not
 * a wrong answer. Keys and values are compared lower case without punctuation or spaces.
 */
const SAME_NAME: Readonly<Record<string, string>> = {
  microsoftedge: 'edge',
  samsungbrowser: 'samsunginternet',
  yandexbrowser: 'yandex',
  duckduckgoprivacybrowser: 'duckduckgo',
  googlesearchapp: 'gsa',
  mac: 'macos',
  chromeos: 'chromiumos',
  gnulinux: 'linux',
};

const key = (name: string): string => {
  const bare = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SAME_NAME[bare] ?? bare;
};

const sameName = (ours: string | undefined, ...reference: (string | undefined)[]): boolean =>
  ours !== undefined && reference.some((name) => name !== undefined && key(name) === key(ours));

interface Rate {
  right: number;
  total: number;
  misses: string[];
}

type Field = 'browser' | 'major' | 'os' | 'device' | 'crawlers' | 'browsers not bots';

/** Per field: how many fixture answers the parser matched, over how many it had to match. */
function measure(parser: UserAgentParser, entries: readonly Entry[]): Record<Field, Rate> {
  const rates = {} as Record<Field, Rate>;
  const count = (field: Field, right: boolean, miss: string): void => {
    rates[field] ??= { right: 0, total: 0, misses: [] };
    const rate = rates[field];
    rate.total++;
    if (right) rate.right++;
    else rate.misses.push(miss);
  };
  for (const entry of entries) {
    const agent: ParsedAgent = parser.parse(entry.ua);
    if (entry.bot) {
      count('crawlers', agent.bot, entry.ua);
      continue;
    }
    count('browsers not bots', !agent.bot, entry.ua);
    if (entry.browser !== undefined) {
      const ours = agent.browser?.name;
      count(
        'browser',
        sameName(ours, entry.browser, entry.browserFamily),
        `${entry.browser} / ${ours}`,
      );
    }
    if (entry.major !== undefined) {
      const ours = agent.browser?.major;
      count('major', ours === entry.major, `${entry.browser} ${entry.major} / ${ours}`);
    }
    if (entry.os !== undefined) {
      const ours = agent.os?.name;
      count('os', sameName(ours, entry.os, entry.osFamily), `${entry.os} / ${ours}`);
    }
    if (entry.device !== undefined) {
      const ours = agent.device;
      count('device', ours === entry.device, `${entry.device} / ${ours}: ${entry.ua}`);
    }
  }
  return rates;
}

const FLOORS: Readonly<Record<Field, number>> = {
  browser: 0.985,
  major: 0.995,
  os: 0.995,
  device: 0.995,
  crawlers: 0.995,
  'browsers not bots': 0.995,
};

describe('User-Agent accuracy on generated outside fixtures', () => {
  const rates = measure(new UserAgentParser({ cacheSize: 0 }), fixture.entries);

  it('holds a few thousand strings from the pinned packages', () => {
    expect(fixture.entries.length).toBeGreaterThan(2000);
    expect(fixture.packages.length).toBeGreaterThan(0);
  });

  it('prints the measured rates', () => {
    const lines = Object.entries(rates).map(
      ([field, { right, total }]) =>
        `${field.padEnd(18)} ${right}/${total} = ${((100 * right) / total).toFixed(2)}%`,
    );
    console.log(`User-Agent accuracy (${fixture.packages.join(', ')}):\n${lines.join('\n')}`);
    expect(Object.keys(rates).sort()).toEqual(Object.keys(FLOORS).sort());
  });

  it.each(Object.keys(FLOORS) as Field[])('%s stays at or above its floor', (field) => {
    const rate = rates[field];
    expect(rate.total).toBeGreaterThan(0);
    const measured = rate.right / rate.total;
    if (measured < FLOORS[field]) console.log(`${field} misses:\n${rate.misses.join('\n')}`);
    expect(measured).toBeGreaterThanOrEqual(FLOORS[field]);
  });
});
