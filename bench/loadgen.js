// The load generator of the benchmark: autocannon sending streams of visitor sessions
// (bench/traffic.js). bench/run.js imports `drive` for the paced CPU measurement, and forks this
// file as a child process for the saturation section, so that the child's `process.cpuUsage()`
// is the load generator's own CPU and nothing else (`node bench/loadgen.js`, IPC only).
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Visitors } from './traffic.js';

/**
 * Drive a server with `connections` connections, each an endless stream of visitor sessions seeded
 * by `seed` and its index (so that every variant of a round serves the same visitors); their
 * cookies follow what the server sets, as a browser's would. Stops after `amount` requests or
 * `seconds` seconds, whichever is given.
 *
 * @param {{ url: string, connections: number, seed: number, visitorCookies: readonly string[],
 *   amount?: number, seconds?: number }} options
 */
export async function drive({ url, connections, seed, visitorCookies, amount, seconds }) {
  let client = 0;
  const result = await autocannon({
    url,
    connections,
    pipelining: 1,
    ...(amount === undefined ? { duration: seconds } : { amount }),
    timeout: 30,
    // It checks for the end of a run on every sample: often, so that a run ends when it is done.
    sampleInt: 50,
    setupClient(c) {
      // A browser keeps the cookies the server sets: the stream hears every response.
      const visitors = new Visitors({ seed: seed + client++, visitorCookies, feedback: true });
      c.setRequests([
        {
          setupRequest(request) {
            const next = visitors.next();
            return { ...request, method: next.method, path: next.path, headers: next.headers };
          },
          onResponse(_status, _body, _context, headers) {
            for (const name in headers) {
              if (name.toLowerCase() === 'set-cookie') visitors.receive(headers[name]);
            }
          },
        },
      ]);
    },
  });
  return {
    total: result.requests.total,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    statusCodes: {
      '2xx': result['2xx'],
      '3xx': result['3xx'],
      '4xx': result['4xx'],
      '5xx': result['5xx'],
    },
  };
}

/**
 * As a child: each `{ run: options }` message drives the server once and replies with the result
 * and this process's CPU time (user + system, microseconds) and wall time over that run alone.
 */
async function serve() {
  process.on('message', (message) => {
    if (!message?.run) return;
    const cpu = process.cpuUsage();
    const started = performance.now();
    drive(message.run).then(
      (result) => {
        const used = process.cpuUsage(cpu);
        process.send({
          result: {
            ...result,
            cpuUs: used.user + used.system,
            wallMs: performance.now() - started,
          },
        });
      },
      (err) => process.send({ error: String(err?.stack ?? err) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}

if (typeof process.send === 'function' && process.argv[1] === fileURLToPath(import.meta.url)) {
  await serve();
}
