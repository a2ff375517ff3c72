import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { normalizeIp } from '../minimize/ip.js';
import type { AsnTable } from './asn-table.js';

/**
 * Finds the registered company (network owner) of an address: a name, `undefined` when unknown,
 * or a promise of either. It is given the address the policy allows enrichment from (truncated
 * unless `enrichFromFullAddress`); a promise is awaited at most the enrichment deadline.
 */
export type CompanyResolver = (address: string) => string | undefined | Promise<string | undefined>;

/** The optional package that holds the built-in resolver's data, and the version tested. */
export const ASN_PACKAGE = '@ip-location-db/asn';
export const ASN_PACKAGE_VERSION = '2.3.2026061719';

/**
 * The credit the ASN data's licence (CC BY 4.0) asks for, for the visitor-facing notice of any
 * site whose policy records the registered company with the built-in resolver. DB-IP also asks
 * sites that show or use results to link back to it (`html`).
 */
export const ASN_ATTRIBUTION = Object.freeze({
  text:
    'Registered-company (network owner) data: IP-to-ASN data by RouteViews (routeviews.org), ' +
    'the Number Resource Organization (nro.net) and DB-IP (db-ip.com), compiled by ip-location-db, ' +
    'licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/).',
  license: 'CC-BY-4.0',
  licenseUrl: 'https://creativecommons.org/licenses/by/4.0/',
  sources: Object.freeze([
    Object.freeze({ name: 'RouteViews', url: 'https://www.routeviews.org/' }),
    Object.freeze({ name: 'Number Resource Organization', url: 'https://www.nro.net/' }),
    Object.freeze({ name: 'DB-IP', url: 'https://db-ip.com' }),
  ]),
  html: "<a href='https://db-ip.com'>IP Geolocation by DB-IP</a>",
});

/** Where the ASN CSV files are: `asn-ipv4-num.csv` and `asn-ipv6.csv`. */
export interface AsnDataFiles {
  ipv4: string;
  ipv6: string;
}

const require = createRequire(import.meta.url);

/**
 * The files of the installed ASN package, or undefined when it is not installed. Synchronous and
 * cheap (a module resolution), so a policy can be checked at startup.
 */
export function findAsnData(
  resolve: (id: string) => string = require.resolve,
): AsnDataFiles | undefined {
  let manifest: string;
  try {
    manifest = resolve(`${ASN_PACKAGE}/package.json`);
  } catch {
    return undefined;
  }
  const dir = dirname(manifest);
  return { ipv4: join(dir, 'asn-ipv4-num.csv'), ipv6: join(dir, 'asn-ipv6.csv') };
}

/** What to tell a user whose policy asks for the company without the data installed. */
export function missingAsnMessage(): string {
  return `needs the optional package ${ASN_PACKAGE}, which is not installed: run "npm install ${ASN_PACKAGE}@${ASN_PACKAGE_VERSION}", pass your own resolver as enrich.company, or set company: false`;
}

/**
 * Reads the ASN data into an {@link AsnTable} (once: later calls share the first load) and returns
 * the built-in resolver. The load reads about 32 MB of CSV; docs/enrichment.md gives its time and
 * memory.
 *
 * @throws (rejects) When the files cannot be read.
 */
export async function loadAsnResolver(files: AsnDataFiles): Promise<CompanyResolver> {
  const table = await loadAsnTable(files);
  return (address) => {
    const ip = normalizeIp(address);
    return ip === undefined ? undefined : table.lookup(ip);
  };
}

const tables = new Map<string, Promise<AsnTable>>();

/**
 * The table for these files, loaded once per process and shared. The table's code, like its data,
 * is loaded only here: importing the package does not load it.
 */
export function loadAsnTable(files: AsnDataFiles): Promise<AsnTable> {
  const key = `${files.ipv4}\n${files.ipv6}`;
  let table = tables.get(key);
  if (table === undefined) {
    table = Promise.all([
      import('./asn-table.js'),
      // Bytes, not text: the table scans them in place, and decoding 30 MB into strings would
      // leave them, and every line and field cut from them, to the garbage collector.
      readFile(files.ipv4),
      readFile(files.ipv6),
    ])
      .then(([{ AsnTable }, v4, v6]) => AsnTable.fromCsv(v4, v6))
      .catch((error: unknown) => {
        tables.delete(key);
        throw error;
      });
    tables.set(key, table);
  }
  return table;
}
