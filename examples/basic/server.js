// Runs the example site on the embedded SQLite store: `npm start`, or `node examples/basic/server.js`
// after `npm run build`. Environment: PORT (default 3000; 0 picks a free port), POLICY (a preset
// name, default gdpr), COOKIE_SECRET (signs the analytics cookie).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { presets } from 'express-privacy-log';
import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number (0 picks a free one), got "${process.env.PORT}"`);
  process.exit(1);
}
const policyName = process.env.POLICY ?? 'gdpr';
if (!Object.hasOwn(presets, policyName)) {
  console.error(`Unknown POLICY "${policyName}"; use one of: ${Object.keys(presets).join(', ')}`);
  process.exit(1);
}

let secret = process.env.COOKIE_SECRET;
if (!secret) {
  // DEVELOPMENT FALLBACK ONLY: a new random secret on every start.
  secret = randomBytes(32).toString('base64url');
  console.warn(
    'COOKIE_SECRET is not set: using a random development secret. Analytics cookies issued now ' +
      'will not be recognised after a restart. Set COOKIE_SECRET (32 or more random characters) ' +
      'in production.',
  );
}

// No `store` option: records go to the default SqliteStore at ./access-log.sqlite (current directory).
const { app, logger } = createApp({ secret, policy: presets[policyName] });
const server = createServer(app);

server.on('error', (error) => {
  console.error(`Cannot listen on port ${port}: ${error.message}`);
  process.exit(1);
});

server.listen(port, () => {
  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  const database = resolve('access-log.sqlite');
  const script = fileURLToPath(new URL('show-records.js', import.meta.url));
  const nearby = relative(process.cwd(), script);
  const showRecords = nearby.startsWith('..') ? script : nearby;
  console.log(`Access records go to ${database} (created with the first record).`);
  console.log('Read the newest ones with:');
  console.log(
    `  sqlite3 access-log.sqlite 'select record from access_records order by time desc limit 5'`,
  );
  console.log(`  node ${showRecords}`);
  // Printed last: scripts wait for this line, and by then everything above has been written.
  console.log(
    `express-privacy-log example (policy ${policyName}) listening on http://localhost:${actualPort}/`,
  );
});

let stopping = false;
function stop(signal) {
  if (stopping) {
    console.error(`${signal} again: exiting without waiting for the access log.`);
    process.exit(1);
  }
  stopping = true;
  console.log(`${signal}: closing the server and flushing the access log...`);
  // Stop taking connections first, so that requests still running can complete and be recorded;
  // a connection that lingers past 5 s is cut.
  const force = setTimeout(() => server.closeAllConnections(), 5000);
  server.close(async () => {
    clearTimeout(force);
    await logger.close();
    const [stats] = logger.stats().stores;
    if (stats) {
      const dropped = Object.values(stats.dropped).reduce((sum, n) => sum + n, 0);
      console.log(`Access log closed: ${stats.written} records written, ${dropped} dropped.`);
    }
    process.exit(0);
  });
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
