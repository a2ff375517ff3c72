import type { CompanyResolver } from '../enrich/company.js';
import type { DomainLookup, DomainStats } from '../enrich/domain.js';
import { GrowingLru } from '../growing-lru.js';
import type { DiagnosticLogger } from '../logger.js';
import type { Captured } from '../request/capture.js';
import { report } from '../shared/store-call.js';

/** The lookups one captured request needs, and the address they may use. */
export interface LookupPlan {
  address: string;
  domain: boolean;
  company: boolean;
  /**
   * Whether `address` may key a cache: it is a network wide enough to count as minimised, or a
   * full address that the record stores in full anyway (see `lookupCacheKey`).
   */
  cacheable: boolean;
}

/** Addresses whose company {@link EnrichStage} remembers, when it may. */
export const COMPANY_CACHE_SIZE = 10_000;

/** Options of {@link EnrichStage}. */
export interface EnrichStageOptions {
  /** Where items go once enriched (the dispatcher's `push`). Must not throw. */
  sink: (c: Captured) => void;
  /** Lookups wanted for an item, or undefined for none (then it passes straight on). */
  plan: (c: Captured) => LookupPlan | undefined;
  /** True for an item that is not to be recorded at all (a bot, when the policy says so). */
  skip?: ((c: Captured) => boolean) | undefined;
  domains?: DomainLookup | undefined;
  /** The company resolver, once available (the built-in one after its data has loaded). */
  company?: (() => CompanyResolver | undefined) | undefined;
  /**
   * True when the company resolver's answer for an address never changes (the built-in data,
   * loaded once): answers for cacheable addresses are then remembered (an LRU of
   * {@link COMPANY_CACHE_SIZE}). An app's own resolver is asked every time.
   */
  companyFixed?: boolean | undefined;
  /** Items wanting the company wait for this (the data load) before their lookup starts. */
  companyReady?: Promise<unknown> | undefined;
  /** How long a company resolver's promise is awaited. Default 200 ms. */
  timeoutMs?: number | undefined;
  /** Items held at once; more pass on without lookups (counted `overflow`). Default 10 000. */
  maxPending?: number | undefined;
  logger: DiagnosticLogger;
}

/** Counters of the enrichment stage since construction. */
export interface EnrichmentStats {
  /** Items waiting for their lookups now. */
  pending: number;
  /** Requests not recorded because they came from a bot and the policy skips bots. */
  skippedBots: number;
  /** Items passed on without lookups because too many were waiting. */
  overflow: number;
  /** Reverse-DNS counters, when a policy asks for the domain. */
  domain?: DomainStats;
  /** Company lookups: answers, and those that failed or missed the deadline. */
  company: { lookups: number; found: number; timeouts: number; failures: number };
}

/**
 * The step between a finished response and the dispatcher that does what cannot be synchronous:
 * reverse DNS and a company resolver that may answer later. An item that needs neither passes
 * straight on; one that does is held until its lookups answer or their deadline passes, then
 * handed on with what arrived (a late answer still fills the caches for the next request). The
 * request has long been answered by then, and the dispatcher's batches never wait on a lookup.
 */
export class EnrichStage {
  readonly #o: EnrichStageOptions;
  readonly #timeoutMs: number;
  readonly #maxPending: number;
  readonly #held = new Map<Captured, Promise<void>>();
  #waitingForData: Captured[] | undefined;
  #closed = false;
  #skippedBots = 0;
  #overflow = 0;
  readonly #company = { lookups: 0, found: 0, timeouts: 0, failures: 0 };
  /** Answers of a fixed resolver by address, `''` for none. */
  readonly #companies: GrowingLru<string, string> | undefined;
  #reported = false;

  constructor(options: EnrichStageOptions) {
    this.#o = options;
    this.#companies = options.companyFixed ? new GrowingLru(COMPANY_CACHE_SIZE) : undefined;
    this.#timeoutMs = options.timeoutMs ?? 200;
    this.#maxPending = options.maxPending ?? 10_000;
    if (options.companyReady) {
      this.#waitingForData = [];
      // Observed at once: a failed load is reported and items go on without the company.
      options.companyReady.then(
        () => this.#dataReady(),
        (err: unknown) => {
          report(
            options.logger,
            'error',
            { err, code: 'ERR_COMPANY_DATA' },
            'the registered-company data could not be loaded; records go without the company',
          );
          this.#dataReady();
        },
      );
    }
  }

  /** Take a finished request. Synchronous, never throws. */
  push(c: Captured): void {
    try {
      if (this.#o.skip?.(c)) {
        this.#skippedBots++;
        return;
      }
      const plan = this.#closed ? undefined : this.#o.plan(c);
      if (plan === undefined) {
        this.#o.sink(c);
        return;
      }
      if (this.#held.size + (this.#waitingForData?.length ?? 0) >= this.#maxPending) {
        this.#overflow++;
        this.#o.sink(c);
        return;
      }
      if (plan.company && this.#waitingForData !== undefined) {
        this.#waitingForData.push(c);
        return;
      }
      this.#start(c, plan);
    } catch (err) {
      this.#fail(err);
      this.#o.sink(c);
    }
  }

  /** Resolves once every item taken before the call has been handed on. Never rejects. */
  async drain(): Promise<void> {
    while (this.#waitingForData !== undefined && this.#waitingForData.length > 0) {
      await this.#o.companyReady?.then(
        () => undefined,
        () => undefined,
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all([...this.#held.values()]);
  }

  /** Hand on everything held now, without waiting for lookups; later items pass straight on. */
  close(): void {
    this.#closed = true;
    const waiting = this.#waitingForData ?? [];
    this.#waitingForData = undefined;
    for (const c of waiting) this.#o.sink(c);
    for (const c of [...this.#held.keys()]) this.#release(c);
  }

  stats(): EnrichmentStats {
    const out: EnrichmentStats = {
      pending: this.#held.size + (this.#waitingForData?.length ?? 0),
      skippedBots: this.#skippedBots,
      overflow: this.#overflow,
      company: { ...this.#company },
    };
    if (this.#o.domains) out.domain = this.#o.domains.stats();
    return out;
  }

  #dataReady(): void {
    const waiting = this.#waitingForData ?? [];
    this.#waitingForData = undefined;
    for (const c of waiting) {
      const plan = this.#closed ? undefined : this.#o.plan(c);
      if (plan === undefined) this.#o.sink(c);
      else this.#start(c, plan);
    }
  }

  #start(c: Captured, plan: LookupPlan): void {
    const network: { domain?: string; company?: string } = {};
    c.network = network;
    const waits: Promise<void>[] = [];
    if (plan.domain && this.#o.domains) {
      const domain = this.#o.domains.lookup(plan.address);
      if (typeof domain === 'string') network.domain = domain;
      else if (domain !== undefined) {
        waits.push(
          domain.then((d) => {
            // A late answer must not change a record already handed on (frozen by then).
            if (d !== undefined && !Object.isFrozen(network)) network.domain = d;
          }),
        );
      }
    }
    if (plan.company) {
      const wait = this.#resolveCompany(plan.address, plan.cacheable, network);
      if (wait) waits.push(wait);
    }
    if (waits.length === 0) {
      this.#o.sink(c);
      return;
    }
    const done = Promise.all(waits).then(
      () => this.#release(c),
      (err: unknown) => {
        this.#fail(err);
        this.#release(c);
      },
    );
    this.#held.set(c, done);
  }

  #resolveCompany(
    address: string,
    cacheable: boolean,
    network: { company?: string },
  ): Promise<void> | undefined {
    const resolver = this.#o.company?.();
    if (resolver === undefined) return undefined;
    this.#company.lookups++;
    const cache = cacheable ? this.#companies : undefined;
    const known = cache?.get(address);
    if (known !== undefined) {
      this.#keepCompany(known, network);
      return undefined;
    }
    let answer: ReturnType<CompanyResolver>;
    try {
      answer = resolver(address);
    } catch (err) {
      this.#company.failures++;
      this.#fail(err);
      return undefined;
    }
    if (!(answer instanceof Promise)) {
      cache?.set(address, typeof answer === 'string' ? answer : '');
      this.#keepCompany(answer, network);
      return undefined;
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#company.timeouts++;
        resolve();
      }, this.#timeoutMs);
      timer.unref();
      answer.then(
        (name) => {
          clearTimeout(timer);
          this.#keepCompany(name, network);
          resolve();
        },
        (err: unknown) => {
          clearTimeout(timer);
          this.#company.failures++;
          this.#fail(err);
          resolve();
        },
      );
    });
  }

  #keepCompany(name: unknown, network: { company?: string }): void {
    if (typeof name !== 'string' || name === '') return;
    this.#company.found++;
    // Cut and cleaned again by the processor; a late answer must not change a sent record.
    if (!Object.isFrozen(network)) network.company = name.slice(0, 256);
  }

  #release(c: Captured): void {
    if (!this.#held.delete(c)) return;
    // Answers arriving after this point must not touch a record already on its way.
    if (c.network) Object.freeze(c.network);
    this.#o.sink(c);
  }

  #fail(err: unknown): void {
    if (this.#reported) return;
    this.#reported = true;
    report(
      this.#o.logger,
      'warn',
      { err, code: 'ERR_ENRICHMENT' },
      'a lookup for the access log failed; the record goes without it (further failures are only counted)',
    );
  }
}
