import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { captureHints } from '../../src/enrich/client-hints.js';
import { definePolicy, presets } from '../../src/index.js';
import type { DefinedPolicy } from '../../src/policy/define.js';
import type { Captured } from '../../src/request/capture.js';
import { hasDnt, hasGpc } from '../../src/request/signals.js';
import { createRuntime, type PolicyRuntime } from '../../src/runtime.js';
import { SECRET } from '../helpers/app.js';
import { growth } from './growth.js';
import { runOptions } from './run-options.js';

// Work on a request grows linearly with what the client sends: a record built from 16 times the
// input costs about 16 times the CPU, never the ~256 times of a quadratic pattern. Inputs are one
// generated unit repeated to 1 KB and to 16 KB (Node's limit for a request head).

const SMALL = 1024;
const LARGE = 16 * SMALL;
/** Linear work measures at most 16; measured quadratic patterns here give 60 to 150. */
const BOUND = 48;

/** Pieces of the patterns that make regular expressions backtrack, and of every syntax parsed. */
const TOKENS = [
  'eyJ',
  'a',
  'Z',
  '0',
  '9',
  'f',
  '.',
  '-',
  '_',
  '@',
  '%40',
  '%',
  '%E2%80%A8',
  '/',
  ';',
  '=',
  ';jsessionid=',
  'x.',
  '@a.',
  '..',
  ' ',
  '&',
  ':',
  '[',
  ']',
  'é',
  '\u0085',
  '\u2028',
  '"',
  ',',
  'pl_vid=',
  's%3A',
  '?1',
  'Chrome/',
  'bot',
];
/** Word characters and separators, often: the runs that backtracking patterns rescan. */
const WORDISH = ['eyJ', 'a', 'Z', '0', 'f', '-', '_', '.', '@'];
const unit = fc
  .array(fc.oneof(fc.constantFrom(...WORDISH), fc.constantFrom(...TOKENS)), {
    minLength: 1,
    maxLength: 6,
  })
  .map((tokens) => tokens.join(''));

const repeatTo = (text: string, size: number) =>
  text.repeat(Math.ceil(size / text.length)).slice(0, size);

const withQuery = definePolicy({
  ...presets.gdpr,
  name: 'with-query',
  categories: {
    ...presets.gdpr.categories,
    essential: { ...presets.gdpr.categories.essential, query: { allow: ['q'] } },
  },
});

const runtimes: PolicyRuntime[] = [];
function runtime(policy: DefinedPolicy): PolicyRuntime {
  const rt = createRuntime(policy, {
    secrets: [SECRET],
    geo: () => undefined,
    // Every repetition parses: a cache hit would hide the parser's cost.
    userAgentCacheSize: 0,
    redactPath: undefined,
    onHookError: () => {},
    onIncidentWithoutCategory: () => {},
  });
  runtimes.push(rt);
  return rt;
}
afterAll(() => {
  for (const rt of runtimes) rt.close();
});

const classic = runtime(presets.classic);
const gdpr = runtime(presets.gdpr);
const query = runtime(withQuery);

/** A request as the middleware captures it, with consent, so every category is processed. */
function captured(rt: PolicyRuntime, changes: Partial<Captured>): Captured {
  return {
    startMs: Date.now(),
    startPerf: 0,
    method: 'GET',
    url: '/products/42',
    ip: '203.0.113.77',
    host: 'example.com',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
    referer: 'https://other.example/page',
    decision: rt.decider.decide({ gpc: false, dnt: false, choice: 'in', app: undefined }),
    visitorId: 'AAAAAAAAAAAAAAAAAAAAAA',
    optional: undefined,
    incidents: undefined,
    status: 200,
    durationMs: 1.5,
    bytes: 100,
    aborted: false,
    route: undefined,
    ...changes,
  };
}

/** One place client text goes: given that text, the work to measure. */
type Site = (text: string) => () => void;
const processing = (rt: PolicyRuntime, changes: (text: string) => Partial<Captured>): Site => {
  return (text) => {
    const c = captured(rt, changes(text));
    return () => rt.process(c);
  };
};

const SITES: Record<string, Site> = {
  'User-Agent': processing(gdpr, (t) => ({ userAgent: t })),
  Host: processing(gdpr, (t) => ({ host: t })),
  'Referer, full (classic)': processing(classic, (t) => ({
    referer: `https://other.example/${t}`,
  })),
  'Referer, origin': processing(gdpr, (t) => ({ referer: `https://other.example/${t}` })),
  'Sec-CH-UA': processing(gdpr, (t) => ({ hints: captureHints({ 'sec-ch-ua': t }) })),
  'optional field': processing(gdpr, (t) => ({ optional: { email: t } })),
  'incident reason': processing(gdpr, (t) => ({ incidents: [t] })),
  Cookie: (t) => {
    const req = { headers: { cookie: t } } as IncomingMessage;
    return () => gdpr.jar.read(req, false);
  },
  'Sec-GPC and DNT': (t) => () => hasGpc(t) || hasDnt(t),
};

const PATH_SITES: Record<string, Site> = {
  'path, no route': processing(gdpr, (t) => ({ url: `/${t}` })),
  'path, matched route': processing(gdpr, (t) => ({ url: `/files/${t}`, route: '/files/*rest' })),
  'allow-listed query value': processing(query, (t) => ({ url: `/search?q=${t}` })),
};

function linear(sites: Record<string, Site>) {
  return fc.property(fc.constantFrom(...Object.keys(sites)), unit, (name, piece) => {
    const site = sites[name]!;
    const ratio = growth(site(repeatTo(piece, SMALL)), site(repeatTo(piece, LARGE)), {
      stopAbove: BOUND,
    });
    expect(ratio, `${name}: 16x the input cost ${ratio.toFixed(1)}x the CPU`).toBeLessThan(BOUND);
  });
}

describe('CPU per record grows linearly with the input', () => {
  it('in headers, cookies and the data the app hands over', () => {
    fc.assert(linear(SITES), runOptions(30));
  }, 60_000);

  // Finding "the JWT-redaction pattern in path minimisation is quadratic": `eyJ` followed by word
  // characters without two dots makes the pattern rescan the rest of the segment from every
  // `eyJ`. The examples are the crafted inputs; generated units find more.
  it('in the path and the allow-listed query', () => {
    fc.assert(linear(PATH_SITES), {
      ...runOptions<[string, string]>(20),
      examples: [
        ['path, no route', 'eyJ'],
        ['path, no route', 'eyJa'],
        ['path, matched route', 'eyJ'],
        ['path, matched route', 'eyJa'],
        ['allow-listed query value', 'eyJ-'],
      ],
      endOnFailure: true,
    });
  }, 60_000);
});
