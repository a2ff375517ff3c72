import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { type PrivacyLogMiddleware, privacyLog } from '../../src/index.js';
import type { DefinedPolicy } from '../../src/policy/define.js';
import { MemoryStore } from '../../src/stores/memory/store.js';
import { SECRET, spyLogger } from '../helpers/app.js';
import { type HostileRequest, requestBytes } from './hostile-request.js';

/** What the app's own code saw of the last request. */
export interface Seen {
  /** `req.ip` as Express computed it under `trust proxy`. */
  ip: string | undefined;
  /** The status the app's handler chose, or undefined when no handler of the app ran. */
  status: number | undefined;
  /** An error that reached the app's error handler. */
  error: unknown;
}

/** What came back on the socket. */
export interface RawResponse {
  /** 0 when the connection closed without a status line. */
  status: number;
  headers: Record<string, string>;
}

/** A site under fuzzing: an Express app with the middleware on a real socket. */
export interface FuzzSite {
  readonly store: MemoryStore;
  readonly log: PrivacyLogMiddleware;
  readonly logger: ReturnType<typeof spyLogger>;
  /** Set by the app for each request that reached it; reset by {@link send}. */
  readonly seen: { last: Seen | undefined };
  /** Send the request from `localAddress` (any of 127.0.0.0/8) and read the whole answer. */
  send(request: HostileRequest, localAddress: string): Promise<RawResponse>;
  close(): Promise<void>;
}

/** PTR names that spell the address out: only the registrable domain may be kept. */
const leakyReverse = async (address: string) => [
  `host-${address.replaceAll(/[.:]/g, '-')}.dsl.example.net`,
  `${address}.example.net`,
];

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Start a site governed by `policy`, with `trust proxy` set to `trustProxy`. It answers every
 * request with the status named in `X-Fuzz-Status`, hands `X-Fuzz-Optional` over as optional
 * data and flags an incident when `X-Fuzz-Incident` is present; the privacy routes are mounted.
 * Every answer of the app (not Node's own 400 or 431) carries `X-Fuzz-App`.
 */
export async function startSite(
  policy: DefinedPolicy,
  trustProxy: string | boolean,
): Promise<FuzzSite> {
  const store = new MemoryStore();
  const logger = spyLogger();
  const log = privacyLog({
    policy,
    store,
    secret: SECRET,
    logger,
    warnings: false,
    handleSignals: false,
    batch: { maxDelayMs: 1 },
    enrich: { reverse: leakyReverse, company: () => 'Example Networks' },
  });
  const seen: { last: Seen | undefined } = { last: undefined };
  const app = express();
  app.set('trust proxy', trustProxy);
  app.use((req, res, next) => {
    res.setHeader('X-Fuzz-App', '1');
    seen.last = { ip: req.ip, status: undefined, error: undefined };
    next();
  });
  app.use(log);
  app.use(log.router());
  const respond = (req: Request, res: Response) => {
    const status = Number(req.get('x-fuzz-status') ?? 200);
    const optional = req.get('x-fuzz-optional');
    if (optional !== undefined) {
      const text = safeDecode(optional);
      req.privacyLog?.optional({ email: text, name: text, message: text, form: text });
    }
    const incident = req.get('x-fuzz-incident');
    if (incident !== undefined) req.privacyLog?.flagIncident(incident);
    seen.last = { ip: req.ip, status, error: undefined };
    res.status(status).send('ok');
  };
  app.get('/products/:id', respond);
  app.all('/files/*rest', respond);
  app.use(respond);
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    seen.last = { ip: req.ip, status: undefined, error };
    const status = (error as { status?: unknown }).status;
    res.status(typeof status === 'number' ? status : 500).send('error');
  });

  const server = http.createServer(app);
  // Dual stack where the machine has IPv6: IPv4 clients then arrive as `::ffff:127.x.y.z`.
  const listen = (host: string) =>
    new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(0, host, () => resolve(true));
    });
  if (!(await listen('::'))) await listen('127.0.0.1');
  const { port } = server.address() as AddressInfo;

  return {
    store,
    log,
    logger,
    seen,
    send: (request, localAddress) => {
      seen.last = undefined;
      return rawRequest(port, localAddress, requestBytes(request));
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await log.close();
    },
  };
}

/** One request on its own connection; the answer once the server closes it. */
function rawRequest(port: number, localAddress: string, bytes: Buffer): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ port, host: '127.0.0.1', localAddress }, () => socket.end(bytes));
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => resolve(parseHead(Buffer.concat(chunks).toString('latin1'))));
  });
}

function parseHead(text: string): RawResponse {
  const head = text.slice(0, Math.max(0, text.indexOf('\r\n\r\n')));
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers };
}
