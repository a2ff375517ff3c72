/**
 * How the Redis store turns a record into the write script's arguments and back, and a hold's
 * scope into the form the scripts match.
 */
import type { AccessRecord } from '../../record.js';
import { normalizeEmail, subjectValue } from '../retention.js';
import type { HoldScope } from '../store.js';

/** The categories kept in their own streams besides `essential`. */
const PARTS = ['client', 'nonessential', 'optional', 'security'] as const;

/** A multi-bulk reply as strings, whether the client maps it to an array or a set. */
export function strings(reply: unknown): string[] {
  return Array.from(reply as Iterable<unknown>, String);
}

/** A time in canonical ISO form, or the epoch when it does not parse. */
export function canonical(time: string): string {
  const ms = Date.parse(time);
  return new Date(Number.isNaN(ms) ? 0 : ms).toISOString();
}

/** The member of the time index: canonical time, then id, so that text order is store order. */
export function timeKey(record: AccessRecord): string {
  return `${canonical(record.time)}|${record.id}`;
}

/** Compare strings by code unit, as Redis compares members and the other stores compare ids. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Expiry as epoch ms for the sorted sets; one that does not parse has passed. */
function expiryMs(expiry: string | undefined): string {
  if (expiry === undefined) return '';
  const ms = Date.parse(expiry);
  return String(Number.isNaN(ms) ? 0 : ms);
}

/** The write script's arguments for one record (see WRITE_SCRIPT). */
export function writeArgs(record: AccessRecord): string[] {
  const email = record.optional?.email;
  const { client, nonessential, optional, security, expires, ...essentialPart } = record;
  const parts: string[] = [
    'essential',
    expiryMs(expires.essential),
    expires.essential ?? '',
    JSON.stringify(essentialPart),
  ];
  let count = 1;
  for (const category of PARTS) {
    const data = record[category];
    const expiry = expires[category];
    if (data === undefined && expiry === undefined) continue;
    parts.push(
      category,
      expiryMs(expiry),
      expiry ?? '',
      data === undefined ? '' : JSON.stringify(data),
    );
    count++;
  }
  return [
    record.id,
    canonical(record.time),
    record.security?.hold === true ? '1' : '0',
    nonessential?.visitorId ?? '',
    email === undefined ? '' : normalizeEmail(email),
    client?.ip ?? '',
    String(count),
    ...parts,
  ];
}

/** A record from the read script's `{id, category, expiry, json, ...}`. */
export function assemble(parts: readonly string[]): AccessRecord | undefined {
  let record: Record<string, unknown> | undefined;
  const expires: Record<string, string> = {};
  const categories: [string, string][] = [];
  for (let i = 1; i + 2 < parts.length; i += 3) {
    const [category, expiry, json] = [parts[i]!, parts[i + 1]!, parts[i + 2]!];
    if (expiry !== '') expires[category] = expiry;
    if (category === 'essential') record = JSON.parse(json) as Record<string, unknown>;
    else if (json !== '') categories.push([category, json]);
  }
  if (record === undefined) return undefined;
  for (const [category, json] of categories) record[category] = JSON.parse(json);
  record.expires = expires;
  return record as unknown as AccessRecord;
}

/** A hold scope in the form the scripts match: canonical times, normalised e-mail. */
export function scriptScope(scope: HoldScope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const time = (value: string, key: string): string => {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new TypeError(`hold scope ${key} is not a date: ${value}`);
    return new Date(ms).toISOString();
  };
  if (scope.from !== undefined) out.f = time(scope.from, 'from');
  if (scope.to !== undefined) out.u = time(scope.to, 'to');
  if (scope.ids !== undefined) out.i = [...scope.ids];
  if (scope.subject !== undefined) {
    const { kind, value } = subjectValue(scope.subject);
    // A blank subject covers nothing, as everywhere else.
    if (value === '') out.n = true;
    else if (kind === 'visitorId') out.v = value;
    else if (kind === 'email') out.e = value;
    else out.a = value;
  }
  return out;
}
