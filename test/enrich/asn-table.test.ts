import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { AsnTable } from '../../src/enrich/asn-table.js';
import { findAsnData } from '../../src/enrich/company.js';
import { type NormalIp, normalizeIp } from '../../src/minimize/ip.js';
import { ELLIPSIS } from '../../src/minimize/text.js';
import { TextAsnTable } from './text-asn-table.js';

const ip = (text: string) => normalizeIp(text)!;
const bytes = (text: string) => Buffer.from(text, 'utf8');
const v4Only = (csv: string) => AsnTable.fromCsv(bytes(csv), Buffer.alloc(0));
const v6Only = (csv: string) => AsnTable.fromCsv(Buffer.alloc(0), bytes(csv));

/** Deterministic pseudo-random 32-bit numbers (xorshift32), so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const v4 = (n: number): NormalIp => ({
  address: '',
  family: 4,
  bytes: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255],
});

const v6 = (words: readonly number[]): NormalIp => ({
  address: '',
  family: 6,
  bytes: words.flatMap((w) => [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255]),
});

describe('AsnTable byte parser', () => {
  it('reads CRLF and LF line ends, and a final line without a newline', async () => {
    const table = await v4Only(
      '16777216,16777471,1,One\r\n16777472,16777727,2,Two\n33554432,33554687,3,Three',
    );
    expect(table.size).toEqual({ ipv4: 3, ipv6: 0 });
    expect(table.lookup(ip('1.0.0.1'))).toBe('One');
    expect(table.lookup(ip('1.0.1.1'))).toBe('Two');
    expect(table.lookup(ip('2.0.0.255'))).toBe('Three');
    const crlfEnd = await v6Only('2001:db8::,2001:db8::ff,1,Doc\r\n');
    expect(crlfEnd.lookup(ip('2001:db8::1'))).toBe('Doc');
    const crEnd = await v6Only('2001:db8::,2001:db8::ff,1,Doc\r');
    expect(crEnd.lookup(ip('2001:db8::1'))).toBe('Doc');
  });

  it('unquotes names, with "" for a quote, and keeps commas in them', async () => {
    const table = await v4Only(
      [
        '1,1,1,"AT&T ""Services"", Inc."',
        '2,2,1,"Cloudflare, Inc."',
        '3,3,1,""""',
        '4,4,1,"a"""',
        '5,5,1,"a"b"',
        '6,6,1,Plain, with comma',
        '7,7,1,no "quotes" here',
      ].join('\n'),
    );
    expect(table.lookup(v4(1))).toBe('AT&T "Services", Inc.');
    expect(table.lookup(v4(2))).toBe('Cloudflare, Inc.');
    expect(table.lookup(v4(3))).toBe('"');
    expect(table.lookup(v4(4))).toBe('a"');
    expect(table.lookup(v4(5))).toBe('a"b');
    expect(table.lookup(v4(6))).toBe('Plain, with comma');
    expect(table.lookup(v4(7))).toBe('no "quotes" here');
  });

  it('skips rows with an empty name, an unclosed quote or too few fields', async () => {
    const table = await v4Only(
      ['1,1,1,', '2,2,1,""', '3,3,1,"', '4,4,1,"unclosed', '5,5,', '6,6', '', '7,7,1,Kept'].join(
        '\n',
      ),
    );
    expect(table.size).toEqual({ ipv4: 1, ipv6: 0 });
    for (const n of [1, 2, 3, 4, 5, 6]) expect(table.lookup(v4(n))).toBeUndefined();
    expect(table.lookup(v4(7))).toBe('Kept');
  });

  it('skips rows whose addresses do not parse', async () => {
    const table = await v4Only(
      [
        'x,10,1,Bad',
        '10,,1,Bad',
        ',10,1,Bad',
        '1.2.3.4,10,1,Bad',
        '-1,10,1,Bad',
        ' 1,10,1,Bad',
        '00000000001,10,1,Bad',
        '4294967296,4294967296,1,Bad',
        '4294967295,4294967295,1,Top',
        '0000000020,0000000029,1,Padded',
      ].join('\n'),
    );
    expect(table.size).toEqual({ ipv4: 2, ipv6: 0 });
    expect(table.lookup(v4(0xffffffff))).toBe('Top');
    expect(table.lookup(v4(25))).toBe('Padded');
    expect(table.lookup(v4(5))).toBeUndefined();

    const six = await v6Only(
      [
        '2001:db8::1::,2001:db8::ff,1,Bad',
        '2001:db8:::1,2001:db8::ff,1,Bad',
        ':2001:db8::,2001:db8::ff,1,Bad',
        '2001:db8::,2001:db8::ff:,1,Bad',
        '1:2:3:4:5:6:7:8:9,2001:db8::ff,1,Bad',
        '1:2:3:4:5:6:7,2001:db8::ff,1,Bad',
        '1:2:3:4::5:6:7:8,2001:db8::ff,1,Bad',
        '12345::,2001:db8::ff,1,Bad',
        'g::,2001:db8::ff,1,Bad',
        '::ffff:1.2.3.4,::ffff:1.2.3.5,1,Bad',
        ',2001:db8::ff,1,Bad',
        '::,::,1,Zero',
        '1:2:3:4:5:6:7::,1:2:3:4:5:6:7:ffff,1,Seven',
        '::2:3:4:5:6:7:8,::2:3:4:5:6:7:9,1,Leading',
        'ABCD:EF01::,abcd:ef01::ffff,1,Upper',
      ].join('\n'),
    );
    expect(six.size).toEqual({ ipv4: 0, ipv6: 4 });
    expect(six.lookup(ip('2001:db8::7'))).toBeUndefined();
    expect(six.lookup(v6([0, 0, 0, 0]))).toBe('Zero');
    expect(six.lookup(ip('1:2:3:4:5:6:7:8'))).toBe('Seven');
    expect(six.lookup(ip('0:2:3:4:5:6:7:9'))).toBe('Leading');
    expect(six.lookup(ip('abcd:ef01::abc'))).toBe('Upper');
  });

  it('sorts unsorted input', async () => {
    const table = await v4Only(['300,399,1,C', '100,199,1,A', '200,299,1,B'].join('\n'));
    expect([150, 250, 350, 99, 400].map((n) => table.lookup(v4(n)))).toEqual([
      'A',
      'B',
      'C',
      undefined,
      undefined,
    ]);
    const six = await v6Only(
      ['2001:db8:2::,2001:db8:2::ff,1,Second', '2001:db8:1::,2001:db8:1::ff,1,First'].join('\n'),
    );
    expect(six.lookup(ip('2001:db8:1::1'))).toBe('First');
    expect(six.lookup(ip('2001:db8:2::1'))).toBe('Second');
  });

  it('decodes names as UTF-8 and cleans them as before (controls escaped, 128 units at most)', async () => {
    const long = 'N'.repeat(200);
    const table = await v4Only(
      [
        '1,1,1,Telefónica de España',
        '2,2,1,"中国电信, 股份"',
        '3,3,1,🦊 Fox Networks',
        '4,4,1,Evil\u202eName',
        `5,5,1,${long}`,
      ].join('\n'),
    );
    expect(table.lookup(v4(1))).toBe('Telefónica de España');
    expect(table.lookup(v4(2))).toBe('中国电信, 股份');
    expect(table.lookup(v4(3))).toBe('🦊 Fox Networks');
    expect(table.lookup(v4(4))).toBe('Evil\\u202eName');
    expect(table.lookup(v4(5))).toBe(`${'N'.repeat(127)}${ELLIPSIS}`);
  });

  it('gives the same answers from bytes as from text', async () => {
    const v4Text =
      '16777216,16777471,13335,"Cloudflare, Inc."\n134744064,134744319,15169,Google LLC';
    const v6Text = '2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC';
    const fromText = await AsnTable.fromCsv(v4Text, v6Text);
    const fromBytes = await AsnTable.fromCsv(bytes(v4Text), new Uint8Array(bytes(v6Text)));
    for (const address of ['1.0.0.1', '8.8.8.8', '2001:4860:4860::8888', '9.9.9.9']) {
      expect(fromBytes.lookup(ip(address))).toBe(fromText.lookup(ip(address)));
    }
    expect(fromBytes.lookup(ip('1.0.0.1'))).toBe('Cloudflare, Inc.');
  });

  it('tells apart names whose hashes collide', async () => {
    // Pairs with the same 32-bit FNV-1a hash, of the same length and of different lengths.
    const table = await v4Only(
      [
        '1,1,1,declinate',
        '2,2,1,macallums',
        '3,3,1,costarring',
        '4,4,1,liquid',
        '5,5,1,declinate',
      ].join('\n'),
    );
    expect([1, 2, 3, 4, 5].map((n) => table.lookup(v4(n)))).toEqual([
      'declinate',
      'macallums',
      'costarring',
      'liquid',
      'declinate',
    ]);
  });

  it('keeps many distinct names apart across slices, and lets the event loop run between slices', async () => {
    // 120 000 rows (more than two slices), 70 000 distinct names, shuffled.
    const next = random(7);
    const rows = Array.from({ length: 120_000 }, (_, i) => {
      const name = i % 12 < 7 ? `Org ${(i * 7919) % 70_000}` : `"Org ""${i % 5000}"", Ltd"`;
      return `${i * 16},${i * 16 + 9},${i},${name}`;
    });
    for (let i = rows.length - 1; i > 0; i--) {
      const j = next() % (i + 1);
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    const csv = rows.join('\n');
    let turns = 0;
    let spinning = true;
    const spin = () => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const table = await v4Only(csv);
    spinning = false;
    expect(turns).toBeGreaterThanOrEqual(2);
    const reference = await TextAsnTable.fromCsv(csv, '');
    expect(table.size).toEqual(reference.size);
    for (let i = 0; i < 120_000; i += 7) {
      for (const n of [i * 16, i * 16 + 9, i * 16 + 12]) {
        expect(table.lookup(v4(n))).toBe(reference.lookup(v4(n)));
      }
    }
    expect(table.lookup(v4(16))).toBe('Org 7919');
    expect(table.lookup(v4(7 * 16))).toBe('Org "7", Ltd');
  });
});

describe('AsnTable from the real data package', () => {
  const files = findAsnData();

  it.skipIf(files === undefined)(
    'gives the same size and the same answers as the text parser it replaced',
    async () => {
      const [v4Bytes, v6Bytes] = await Promise.all([readFile(files!.ipv4), readFile(files!.ipv6)]);
      const table = await AsnTable.fromCsv(v4Bytes, v6Bytes);
      const reference = await TextAsnTable.fromCsv(
        v4Bytes.toString('utf8'),
        v6Bytes.toString('utf8'),
      );
      expect(table.size).toEqual(reference.size);
      expect(table.size.ipv4).toBeGreaterThan(300_000);
      expect(table.size.ipv6).toBeGreaterThan(50_000);

      const next = random(20_260_617);
      const addresses: NormalIp[] = [];
      // Uniform IPv4, and IPv6 in the announced 2001::-2c0f:: block, more of it in 2001-2a0f.
      for (let i = 0; i < 3000; i++) addresses.push(v4(next()));
      for (let i = 0; i < 3000; i++) {
        const top = i % 2 === 0 ? 0x2001 + (next() % 0x0c0f) : 0x2001 + (next() % 0x0a0e);
        addresses.push(v6([((top << 16) | (next() & 0xffff)) >>> 0, next(), next(), next()]));
      }
      // Each side of a range's ends, for ranges spread through both files.
      const v4Lines = v4Bytes.toString('latin1').split('\n');
      for (let i = 0; i < v4Lines.length; i += 211) {
        const [start, end] = v4Lines[i]!.split(',').map(Number);
        if (start === undefined || end === undefined || Number.isNaN(start + end)) continue;
        for (const n of [start - 1, start, end, end + 1]) {
          if (n >= 0 && n <= 0xffffffff) addresses.push(v4(n));
        }
      }
      const v6Lines = v6Bytes.toString('latin1').split('\n');
      for (let i = 0; i < v6Lines.length; i += 53) {
        for (const text of v6Lines[i]!.split(',').slice(0, 2)) {
          const address = normalizeIp(text);
          if (address?.family === 6) addresses.push(address);
        }
      }
      expect(addresses.length).toBeGreaterThan(10_000);

      let found = 0;
      for (const address of addresses) {
        const name = table.lookup(address);
        if (name !== undefined) found++;
        if (name !== reference.lookup(address)) {
          expect(name, address.bytes.join('.')).toBe(reference.lookup(address));
        }
      }
      // The comparison means something only if many addresses are announced.
      expect(found).toBeGreaterThan(addresses.length / 4);
    },
    60_000,
  );
});
