import { isIP } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { TrafficQuery, TrafficReport } from '../traffic.js';
import { PANELS, renderDashboard, STYLE_HASH } from './render-html.js';

/** Options of `logger.dashboard()`. */
export interface DashboardOptions {
  /**
   * Who may see the figures: return (or resolve to) true to serve the page. Traffic figures are
   * the site owner's business, so this is required, except with `development: 'loopback'`.
   */
  authorize?: (req: Request) => boolean | Promise<boolean>;
  /**
   * Without `authorize`, serve only requests that arrive on a loopback address from a loopback
   * address, for a developer's own machine; anything else gets 403.
   */
  development?: 'loopback';
  /** Sent with a refusal so a browser asks for a password, e.g. `'Basic realm="traffic"'`. */
  challenge?: string;
}

const CSP = [
  "default-src 'none'",
  `style-src ${STYLE_HASH}`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  return plain === '::1' || (isIP(plain) === 4 && plain.startsWith('127.'));
}

function dayParam(value: unknown): string | undefined {
  return typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    !Number.isNaN(Date.parse(value))
    ? value
    : undefined;
}

function send(res: Response, status: number, type: string, body: string): void {
  res.status(status);
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

/**
 * The traffic dashboard: one server-rendered page at the mount point (HTML, inline SVG, one hashed
 * style block; no script, no external asset, no cookie). `snapshot` answers several queries from
 * rollups brought up to date once.
 */
export function createDashboard(
  snapshot: (queries: TrafficQuery[]) => Promise<TrafficReport[]>,
  options: DashboardOptions,
): RequestHandler {
  const { authorize, development } = options;
  if (typeof authorize !== 'function' && development !== 'loopback') {
    throw new TypeError(
      "dashboard: authorize(req) is required (traffic figures are the site owner's business); for a developer's machine only, pass { development: 'loopback' }",
    );
  }
  return async function trafficDashboard(req: Request, res: Response, next: NextFunction) {
    if (req.path !== '/' && req.path !== '') return next();
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    try {
      let allowed: boolean;
      if (typeof authorize === 'function') allowed = (await authorize(req)) === true;
      else allowed = isLoopback(req.socket.localAddress) && isLoopback(req.socket.remoteAddress);
      if (!allowed) {
        if (options.challenge) res.setHeader('WWW-Authenticate', options.challenge);
        send(
          res,
          typeof authorize === 'function' ? 401 : 403,
          'text/plain; charset=utf-8',
          'Not authorised\n',
        );
        return;
      }
      const from = dayParam(req.query.from);
      const to = dayParam(req.query.to);
      const interval = req.query.interval === 'hour' ? 'hour' : 'day';
      const toDate = to === undefined ? new Date() : new Date(Date.parse(to) + 86_400_000);
      const fromDate =
        from === undefined ? new Date(toDate.getTime() - 30 * 86_400_000) : new Date(from);
      if (fromDate.getTime() >= toDate.getTime()) {
        send(res, 400, 'text/plain; charset=utf-8', 'from must be before to\n');
        return;
      }
      const base: TrafficQuery = { interval, from: fromDate, to: toDate };
      const [main, ...panels] = await snapshot([
        base,
        ...PANELS.map(([by]) => ({ ...base, interval: 'day' as const, by, limit: 10 })),
      ]);
      send(res, 200, 'text/html; charset=utf-8', renderDashboard(main!, panels));
    } catch (err) {
      next(err);
    }
  };
}
