/**
 * The Redis store's consent ledger: each event in the hash `<prefix>:consents` by id, found through
 * three sorted sets: by time (`:consents:t`), by expiry (`:consents:exp`) and per visitor
 * (`:consents:v:<id>`). Every command of a write is idempotent (a hash field set to the same
 * text, a member added again), so a retried batch rewrites nothing twice and leaves no index
 * behind. All keys share the store's hash tag, as its other keys do.
 */
import {
  type ConsentEvent,
  type ConsentQuery,
  compareConsentEvents,
  isConsentHeld,
} from '../consent-events.js';
import type { Hold } from '../store.js';

type Send = (args: string[]) => Promise<unknown>;

const list = (reply: unknown): (string | null)[] =>
  Array.isArray(reply) ? reply.map((v) => (typeof v === 'string' ? v : null)) : [];

export class RedisConsents {
  readonly #send: Send;
  readonly #key: string;

  constructor(send: Send, prefix: string) {
    this.#send = send;
    this.#key = `${prefix}:consents`;
  }

  async write(events: readonly ConsentEvent[]): Promise<void> {
    const sent: Promise<unknown>[] = [];
    for (const event of events) {
      const time = String(Date.parse(event.time));
      sent.push(this.#send(['HSET', this.#key, event.id, JSON.stringify(event)]));
      sent.push(this.#send(['ZADD', `${this.#key}:t`, time, event.id]));
      sent.push(
        this.#send(['ZADD', `${this.#key}:exp`, String(Date.parse(event.expires)), event.id]),
      );
      if (event.visitorId !== undefined) {
        sent.push(this.#send(['ZADD', `${this.#key}:v:${event.visitorId}`, time, event.id]));
      }
    }
    await Promise.all(sent);
  }

  async read(query: ConsentQuery): Promise<ConsentEvent[]> {
    const index =
      query.visitorId === undefined ? `${this.#key}:t` : `${this.#key}:v:${query.visitorId}`;
    const from = query.from === undefined ? '-inf' : String(query.from.getTime());
    const to = query.to === undefined ? '+inf' : `(${query.to.getTime()}`;
    const ids = list(await this.#send(['ZRANGEBYSCORE', index, from, to])).filter(
      (id): id is string => id !== null,
    );
    const events = (await this.#fetch(ids)).sort(compareConsentEvents);
    return query.limit === undefined ? events : events.slice(0, Math.max(0, query.limit));
  }

  /** Delete the events past their expiry that no hold covers; returns how many. */
  async purge(now: Date, holds: readonly Hold[]): Promise<number> {
    const ids = list(
      await this.#send(['ZRANGEBYSCORE', `${this.#key}:exp`, '-inf', String(now.getTime())]),
    ).filter((id): id is string => id !== null);
    let deleted = 0;
    for (const event of await this.#fetch(ids)) {
      if (isConsentHeld(event, holds)) continue;
      const removed = [
        this.#send(['HDEL', this.#key, event.id]),
        this.#send(['ZREM', `${this.#key}:t`, event.id]),
        this.#send(['ZREM', `${this.#key}:exp`, event.id]),
      ];
      if (event.visitorId !== undefined) {
        removed.push(this.#send(['ZREM', `${this.#key}:v:${event.visitorId}`, event.id]));
      }
      const [gone] = await Promise.all(removed);
      deleted += Number(gone);
    }
    return deleted;
  }

  async #fetch(ids: readonly string[]): Promise<ConsentEvent[]> {
    if (ids.length === 0) return [];
    const values = list(await this.#send(['HMGET', this.#key, ...ids]));
    return values
      .filter((value): value is string => value !== null)
      .map((value) => JSON.parse(value) as ConsentEvent);
  }
}
