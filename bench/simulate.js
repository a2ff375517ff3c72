// Drive the middleware without HTTP: a request of the mix becomes a minimal request and response
// object, the middleware runs on it, the "response" completes and closes. What the middleware hands
// to its background stage is exactly what a real server's request would produce, minus the cost of
// Node's HTTP parser and Express's router. Used by the micro benchmarks and the memory check.
import { EventEmitter } from 'node:events';

/** The route template Express would report for a path of the benchmark site (bench/app.js). */
export function routeOf(path) {
  const bare = path.split('?')[0];
  if (bare === '/' || bare === '/about' || bare === '/search' || bare === '/api/products') {
    return bare;
  }
  if (bare.startsWith('/products/')) return '/products/:id';
  return undefined;
}

/** Just enough of `http.ServerResponse` for the middleware: headers, status, `close`. */
export class FakeResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableFinished = false;
  #headers = new Map();

  /** @param {object} req */
  constructor(req) {
    super();
    this.req = req;
  }

  // The middleware adds its cookies as the headers are written, as on a real response.
  writeHead(statusCode) {
    this.statusCode = statusCode;
    this.headersSent = true;
    return this;
  }

  getHeader(name) {
    return this.#headers.get(name.toLowerCase());
  }
  setHeader(name, value) {
    this.#headers.set(name.toLowerCase(), value);
    return this;
  }
  appendHeader(name, value) {
    const key = name.toLowerCase();
    const existing = this.#headers.get(key);
    this.#headers.set(key, existing === undefined ? value : [existing, value].flat());
    return this;
  }
  hasHeader(name) {
    return this.#headers.has(name.toLowerCase());
  }
  removeHeader(name) {
    this.#headers.delete(name.toLowerCase());
  }
  getHeaders() {
    return Object.fromEntries(this.#headers);
  }
  getHeaderNames() {
    return [...this.#headers.keys()];
  }
}

const APP = { get: (key) => (key === 'trust proxy' ? 'loopback' : undefined) };
const next = () => {};

/**
 * Run one request of the mix through `middleware` and complete it: status 200 (404 for paths the
 * site does not have), a body length, the route template, then `close`.
 *
 * @param {import('express').RequestHandler} middleware
 * @param {{ method: string, path: string, headers: Record<string, string> }} spec
 */
export function simulate(middleware, spec) {
  const { headers } = spec;
  const route = routeOf(spec.path);
  const req = {
    method: spec.method,
    url: spec.path,
    originalUrl: spec.path,
    headers,
    // What Express computes with `trust proxy` set to loopback and one proxy hop.
    ip: headers['x-forwarded-for'],
    secure: headers['x-forwarded-proto'] === 'https',
    protocol: headers['x-forwarded-proto'] === 'https' ? 'https' : 'http',
    hostname: headers.host,
    app: APP,
    baseUrl: '',
    route: undefined,
  };
  const res = new FakeResponse(req);
  middleware(req, res, next);
  if (route !== undefined) req.route = { path: route };
  res.setHeader('content-length', route === undefined ? '180' : '1320');
  res.writeHead(route === undefined ? 404 : 200);
  res.writableFinished = true;
  res.emit('finish');
  res.emit('close');
}
