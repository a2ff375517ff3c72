// Summarise V8 CPU profiles (`node --cpu-prof`, or `npm run bench -- --profile DIR`):
// `node bench/profile.js DIR|FILE... [--top N] [--match TEXT] [--focus TEXT] [--base FILE]`. Prints
// where the time went by package or file (self time), the functions with the most self time, and
// the inclusive time of this library's functions. Time spent idle is left out of every share.
// --match keeps the profiles that mention TEXT; --focus counts only samples taken inside a function
// whose name or place contains TEXT (e.g. `route library` for the background stage); --base shows
// the difference to a baseline profile (e.g. bare Express serving the same requests).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { table } from './lib.js';

/** Where a function lives: a package, a file of this library's build, Node itself or V8. */
export function placeOf(url) {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return `library ${url.slice(dist + 1)}`;
  if (url.startsWith('node:')) return 'node (internal)';
  const bench = url.indexOf('/bench/');
  if (bench !== -1) return `bench ${url.slice(bench + 1)}`;
  return url;
}

/**
 * Self and inclusive sample counts per function and self counts per place, over the profiles.
 * With `focus`, only samples taken inside a function whose key (`name place:line`) contains it.
 * @param {object[]} profiles parsed .cpuprofile contents
 * @param {string} [focus]
 */
export function summarise(profiles, focus) {
  const self = new Map();
  const inclusive = new Map();
  const places = new Map();
  let total = 0;
  let idle = 0;
  const add = (map, key, n) => map.set(key, (map.get(key) ?? 0) + n);
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const hits = new Map();
    for (const id of profile.samples) add(hits, id, 1);
    const keyOf = (node) => {
      const f = node.callFrame;
      const name = f.functionName || '(anonymous)';
      return f.url ? `${name} ${placeOf(f.url)}:${f.lineNumber + 1}` : name;
    };
    // Inclusive counts: first each node's subtree total, then each function is credited once per
    // stack (a recursive function is not counted twice).
    const sumOf = (node) => {
      let sum = hits.get(node.id) ?? 0;
      for (const child of node.children ?? []) sum += sumOf(byId.get(child));
      node.sum = sum;
      return sum;
    };
    const root = profile.nodes[0];
    if (focus) {
      // Keep the hits of nodes at or under a function that matches.
      const inside = new Set();
      const mark = (node, within) => {
        const here = within || keyOf(node).includes(focus);
        if (here) inside.add(node.id);
        for (const child of node.children ?? []) mark(byId.get(child), here);
      };
      mark(root, false);
      for (const id of [...hits.keys()]) if (!inside.has(id)) hits.delete(id);
    }
    sumOf(root);
    const credit = (node, onStack) => {
      const key = keyOf(node);
      if (!onStack.has(key)) {
        add(inclusive, key, node.sum);
        onStack.add(key);
        for (const child of node.children ?? []) credit(byId.get(child), onStack);
        onStack.delete(key);
      } else {
        for (const child of node.children ?? []) credit(byId.get(child), onStack);
      }
    };
    credit(root, new Set());
    for (const [id, n] of hits) {
      const node = byId.get(id);
      const name = node.callFrame.functionName;
      if (name === '(idle)') {
        idle += n;
        continue;
      }
      total += n;
      add(self, keyOf(node), n);
      add(places, node.callFrame.url ? placeOf(node.callFrame.url) : name || '(native)', n);
    }
  }
  return { self, inclusive, places, total, idle };
}

function load(paths) {
  const files = [];
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path)) {
        if (name.endsWith('.cpuprofile')) files.push(join(path, name));
      }
    } else {
      files.push(path);
    }
  }
  return files;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '25' },
      match: { type: 'string' },
      base: { type: 'string' },
      focus: { type: 'string' },
    },
  });
  const files = load(positionals);
  if (files.length === 0) {
    console.error('usage: node bench/profile.js DIR|FILE... [--top N] [--match TEXT]');
    process.exit(2);
  }
  const profiles = files
    .map((f) => JSON.parse(readFileSync(f, 'utf8')))
    .filter((p) => !values.match || JSON.stringify(p.nodes).includes(values.match));
  const { self, inclusive, places, total } = summarise(profiles, values.focus);
  const top = Number(values.top);
  const short = (key) => (key.length > 90 ? `${key.slice(0, 87)}...` : key);
  if (values.base) {
    // Difference to a baseline (e.g. bare Express serving the same requests): which places and
    // functions took the extra samples. Both runs should have served the same number of requests.
    const base = summarise(load([values.base]).map((f) => JSON.parse(readFileSync(f, 'utf8'))));
    const target = summarise(profiles);
    console.log(
      `samples: ${target.total} vs ${base.total} in the baseline (+${target.total - base.total})\n`,
    );
    for (const [title, a, b] of [
      ['place', target.places, base.places],
      ['function', target.self, base.self],
    ]) {
      const keys = new Set([...a.keys(), ...b.keys()]);
      const delta = [...keys]
        .map((key) => [key, (a.get(key) ?? 0) - (b.get(key) ?? 0)])
        .sort((x, y) => y[1] - x[1]);
      console.log(
        table(
          [`${title}: extra self samples`, 'delta'],
          delta.slice(0, top).map(([key, n]) => [short(key), String(n)]),
        ),
      );
      console.log('');
    }
    process.exit(0);
  }
  const share = (n) => `${((n / total) * 100).toFixed(1)}%`;
  const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]);
  console.log(`${files.length} profile(s), ${total} busy samples\n`);
  console.log(
    table(
      ['self time by place', 'share'],
      sorted(places)
        .slice(0, top)
        .map(([k, n]) => [k, share(n)]),
    ),
  );
  console.log('');
  console.log(
    table(
      ['function (self time)', 'share'],
      sorted(self)
        .slice(0, top)
        .map(([k, n]) => [k, share(n)]),
    ),
  );
  console.log('');
  const ours = sorted(inclusive).filter(([k]) => k.includes(' library '));
  console.log(
    table(
      ['library function (inclusive)', 'share'],
      ours.slice(0, top).map(([k, n]) => [k, share(n)]),
    ),
  );
}
