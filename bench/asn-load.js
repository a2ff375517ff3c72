// Load of the built-in registered-company table from the real `@ip-location-db/asn` files, each
// run in a fresh process: CPU time of the load (`process.cpuUsage`, all threads of the process, so
// it includes the file reads, the garbage collection and TurboFan's compiling), wall time,
// `process.memoryUsage()` right after the load and again after a forced GC, and the table's size.
// The load includes the import of the table's own chunk (a few milliseconds).
// On dist/: `npm run build && node --expose-gc bench/asn-load.js [runs]` (default 3 runs).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

if (process.argv[2] === '--child') {
  const { findAsnData, loadAsnTable } = await import('../dist/internal/index.js');
  const files = findAsnData();
  if (files === undefined) {
    console.log(JSON.stringify({ missing: true }));
    process.exit(0);
  }
  const gc = () => {
    globalThis.gc();
    globalThis.gc();
  };
  gc();
  const base = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const table = await loadAsnTable(files);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const loaded = process.memoryUsage();
  gc();
  const settled = process.memoryUsage();
  console.log(
    JSON.stringify({
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs,
      base,
      loaded,
      settled,
      size: table.size,
    }),
  );
} else {
  if (globalThis.gc === undefined) {
    console.error('run with node --expose-gc');
    process.exit(1);
  }
  const runs = Number(process.argv[2] ?? 3);
  const self = fileURLToPath(import.meta.url);
  for (let run = 1; run <= runs; run++) {
    const out = JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', self, '--child'], { encoding: 'utf8' }),
    );
    if (out.missing) {
      console.log('@ip-location-db/asn is not installed: no figures');
      break;
    }
    const { base, loaded, settled } = out;
    console.log(
      [
        `run ${run}: load ${out.cpuMs.toFixed(0)} ms CPU (${out.wallMs.toFixed(0)} ms wall)`,
        `  right after: heapUsed ${mib(loaded.heapUsed)} (+${mib(loaded.heapUsed - base.heapUsed)}), heapTotal ${mib(loaded.heapTotal)}, rss ${mib(loaded.rss)} (+${mib(loaded.rss - base.rss)}), arrayBuffers ${mib(loaded.arrayBuffers)}`,
        `  after GC:    heapUsed ${mib(settled.heapUsed)} (+${mib(settled.heapUsed - base.heapUsed)}), heapTotal ${mib(settled.heapTotal)}, rss ${mib(settled.rss)} (+${mib(settled.rss - base.rss)}), arrayBuffers ${mib(settled.arrayBuffers)}`,
        `  size: ${out.size.ipv4} IPv4 + ${out.size.ipv6} IPv6 ranges`,
      ].join('\n'),
    );
  }
}
