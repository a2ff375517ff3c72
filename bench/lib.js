// Helpers shared by the benchmark scripts: statistics, table formatting, the machine's description
// and the child-process protocol of bench/server.js.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Records a logger's stats count as dropped, over every store and reason (0 without stats). */
export function droppedRecords(stats) {
  if (!stats) return 0;
  let sum = 0;
  for (const store of stats.stores) for (const n of Object.values(store.dropped)) sum += n;
  return sum;
}

/** The median of a list of numbers (the mean of the middle two for an even count); NaN when empty. */
export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Spread of a list as a fraction of its median: (max - min) / median. */
export function spread(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length < 2) return 0;
  return (Math.max(...finite) - Math.min(...finite)) / median(finite);
}

/**
 * The order of the variants in round `round`: rotated by one each round, so that over the rounds
 * no variant always runs first or right after the same neighbour (A B C, B C A, C A B, ...).
 */
export function roundOrder(names, round) {
  const shift = round % names.length;
  return [...names.slice(shift), ...names.slice(0, shift)];
}

/**
 * A plain-text table with a header line and right-aligned numeric columns.
 * @param {string[]} header
 * @param {(string | number)[][]} rows
 */
export function table(header, rows) {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const line = (row, isHeader) =>
    row
      .map((cell, i) => (i === 0 || isHeader ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [
    line(header, true),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map((row) => line(row, false)),
  ].join('\n');
}

/** The same table as Markdown, for docs/performance.md. */
export function markdownTable(header, rows) {
  const align = header.map((_, i) => (i === 0 ? ':--' : '--:'));
  return [header, align, ...rows.map((row) => row.map(String))]
    .map((row) => `| ${row.join(' | ')} |`)
    .join('\n');
}

/** A number with a fixed count of decimals, or `n/a`. */
export function fixed(value, decimals = 1) {
  return Number.isFinite(value) ? value.toFixed(decimals) : 'n/a';
}

/** A count in thousands with `k`, e.g. `128k`. */
export function thousands(value) {
  return Number.isFinite(value) ? `${Math.round(value / 1000)}k` : 'n/a';
}

/** Bytes in MiB with one decimal. */
export function mib(bytes) {
  return Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(1) : 'n/a';
}

/** What the figures were measured on. */
export function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) model = line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // Not Linux: the os module's name will do.
  }
  return {
    cpu: model,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

const SERVER = fileURLToPath(new URL('./server.js', import.meta.url));

/**
 * Start bench/server.js for one variant and talk to it. Its output is kept and shown only when
 * something goes wrong.
 *
 * `wrapper` runs Node under another program, e.g. `['valgrind', '--tool=callgrind']`: the
 * server's process is then the wrapper's, with Node and its arguments after the wrapper's own.
 *
 * @param {string} variant
 * @param {{ dir: string, env?: NodeJS.ProcessEnv, execArgv?: string[], wrapper?: string[],
 *   timeoutMs?: number }} options
 */
export async function startServer(
  variant,
  { dir, env = process.env, execArgv = [], wrapper, timeoutMs = 60_000 },
) {
  const nodeArgs = execArgv;
  const child = fork(SERVER, [variant], {
    env: { ...env, BENCH_DIR: dir },
    ...(wrapper
      ? { execPath: wrapper[0], execArgv: [...wrapper.slice(1), process.execPath, ...nodeArgs] }
      : { execArgv: nodeArgs }),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  /** Wait for the reply to `cmd` (or the 'listening' message), failing on exit or timeout. */
  const reply = (cmd) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(`server ${variant}: no reply to ${cmd} within ${timeoutMs} ms\n${output}`),
        );
      }, timeoutMs);
      const onMessage = (message) => {
        if (message?.reply !== cmd) return;
        cleanup();
        if (message.error) reject(new Error(`server ${variant}: ${cmd} failed: ${message.error}`));
        else resolve(message);
      };
      const onExit = (code, signal) => {
        cleanup();
        reject(new Error(`server ${variant} exited (${code ?? signal}) before ${cmd}\n${output}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });

  const { port } = await reply('listening');
  const call = (cmd) => {
    const answer = reply(cmd);
    child.send({ cmd });
    return answer;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    output: () => output,
    /** Begin a measurement window (after the log has written everything before it). */
    start: () => call('start'),
    /** End the window: CPU microseconds, requests counted, memory, the log's counters. */
    stop: () => call('stop'),
    /** Close the log and the server, then let the process end. */
    async close() {
      try {
        await call('close');
      } finally {
        if (child.connected) child.disconnect();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
