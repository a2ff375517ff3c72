import type { CompiledPolicy } from '../../src/policy/compile.js';
import type { Captured } from '../../src/request/capture.js';
import { Decider } from '../../src/request/decide.js';

/** A finished GET of `/` from `ip` under `compiled`, with no objection and nothing optional. */
export function capturedGet(ip: string, compiled: CompiledPolicy): Captured {
  return {
    startMs: Date.UTC(2025, 5, 1),
    startPerf: 0,
    method: 'GET',
    url: '/',
    ip,
    host: 'shop.example',
    userAgent: undefined,
    referer: undefined,
    decision: new Decider(compiled).decide({
      gpc: false,
      dnt: false,
      choice: 'in',
      app: undefined,
    }),
    visitorId: undefined,
    optional: undefined,
    incidents: undefined,
    status: 200,
    durationMs: 1,
    bytes: undefined,
    aborted: false,
    route: '/',
  };
}
