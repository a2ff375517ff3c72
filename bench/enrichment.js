// Load time and memory of the registered-company data, and the cost of the lookups that the
// enrichment and region features add: company lookup, and the per-request region choice (cache
// hit and miss). On dist/: `npm run build && node --expose-gc bench/enrichment.js`.
import { policyByRegion, presets } from '../dist/index.js';
import {
  findAsnData,
  loadAsnResolver,
  loadGeoSync,
  RegionSelector,
} from '../dist/internal/index.js';

const gc = () => {
  globalThis.gc?.();
  globalThis.gc?.();
};
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const randomV4 = () =>
  `${1 + Math.floor(Math.random() * 222)}.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;

function perCall(label, n, fn) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - start) / n;
  console.log(`${label.padEnd(44)} ${(ns / 1000).toFixed(2)} µs`);
}

const files = findAsnData();
if (files === undefined) {
  console.log('@ip-location-db/asn is not installed: no company figures');
} else {
  gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const resolve = await loadAsnResolver(files);
  const loadMs = performance.now() - t0;
  gc();
  const after = process.memoryUsage();
  console.log(`company data load                            ${loadMs.toFixed(0)} ms`);
  console.log(
    `company data retained                        ${mib(after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers)} (heap ${mib(after.heapUsed - before.heapUsed)}, typed arrays ${mib(after.arrayBuffers - before.arrayBuffers)}); rss +${mib(after.rss - before.rss)}`,
  );
  const addresses = Array.from({ length: 200_000 }, randomV4);
  perCall('company lookup (random IPv4)', addresses.length, (i) => resolve(addresses[i]));
}

const geo = loadGeoSync();
const regional = policyByRegion({
  EU: presets.gdpr,
  'US-CA': presets.ccpa,
  default: presets.strict,
});
const selector = new RegionSelector(regional, geo, 10_000);
const fresh = Array.from({ length: 100_000 }, randomV4);
perCall('region choice, new address (GeoIP search)', fresh.length, (i) =>
  selector.select(fresh[i]),
);
const hot = fresh.slice(0, 1000);
perCall('region choice, returning address (cache)', 1_000_000, (i) =>
  selector.select(hot[i % 1000]),
);
