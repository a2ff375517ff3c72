import type { GeoLookup } from '../enrich/geo.js';
import { loadGeo } from '../enrich/geo.js';
import type { DiagnosticLogger } from '../logger.js';
import { Dispatcher } from '../pipeline/dispatcher.js';
import { EnrichStage } from '../pipeline/enrich-stage.js';
import { createLookups, type Lookups } from '../pipeline/lookups.js';
import { type DefinedPolicy, definePolicy } from '../policy/define.js';
import type { PolicyInput } from '../policy/schema.js';
import { consentOfCaptured } from '../privacy/consent-ledger.js';
import { rollupsFor } from '../reports/reports-api.js';
import type { RollupStore } from '../reports/rollup-store.js';
import { updateRollupsWaiting } from '../reports/runner.js';
import { type Captured, capturedSize } from '../request/capture.js';
import type { Decision } from '../request/decide.js';
import { signIds } from '../request/signed-ids.js';
import { createRuntime, type PolicyRuntime } from '../runtime.js';
import { report } from '../shared/store-call.js';
import { ModuleStore } from '../stores/module-store.js';
import { spillSettingsOf } from '../stores/spill-options.js';
import type { Store, Subject } from '../stores/store.js';
import { PendingCalls } from './calls.js';
import { compileTrust, resolveAddress, type TrustFn, type TrustSetting } from './client-address.js';
import { toSerialError } from './errors.js';
import { LookupRelay, settleLookups } from './lookup-batches.js';
import type { RollupOp, StoreOwnMethod, ToWorker, WorkerSetup } from './protocol.js';
import { type PostToMain, relayLogger, relayStore } from './relay.js';
import { ITERATED, REMOTE_METHODS } from './remote-store.js';
import { SharedCounters } from './shared-stats.js';
import { applyTables, type DecodeTables, decodeBatch } from './snapshot.js';
import { brokenStore, buildStore } from './store-factory.js';

/**
 * The longest the published counters lag behind the pipeline's: a change is published within this
 * many ms. They are published when they move (see {@link WorkerHost}'s `#changed`), never on a
 * clock of their own: at a request every few seconds, a clock that ran while records waited for
 * their batch cost the worker more than the records did.
 */
const PUBLISH_MS = 10;

/** Stands for a row that could not be decoded: the dispatcher counts it `invalid`. */
const UNDECODABLE = Object.freeze({}) as Captured;

interface Pipeline {
  readonly stores: readonly Store[];
  readonly stage: EnrichStage;
  readonly dispatcher: Dispatcher<Captured>;
  /** Where a decoded request goes, and where one that cannot be decoded is counted. */
  readonly take: (c: Captured) => void;
  readonly undecodable: () => void;
}

/**
 * The logger's pipeline inside the worker thread: the same enrichment stage, dispatcher, policy
 * runtimes and stores as on the serving thread, fed by batches from it and answering its calls.
 */
export class WorkerHost {
  readonly #setup: WorkerSetup;
  readonly #post: PostToMain;
  readonly #calls = new PendingCalls();
  readonly #logger: DiagnosticLogger;
  readonly #runtimes: readonly PolicyRuntime[];
  readonly #lookups: Lookups;
  readonly #ready: Promise<unknown> | undefined;
  readonly #decisions: Decision[];
  readonly #trusts: TrustSetting[];
  readonly #trustFns: TrustFn[] = [];
  /** Made once, not per batch. */
  readonly #tables: DecodeTables;
  readonly #counters: SharedCounters;
  /** The rollups of each store the reports asked about, opened on first use. */
  readonly #rollups = new Map<number, Promise<RollupStore | undefined>>();
  readonly #lastErrors: (string | undefined)[];
  #pipeline: Pipeline | undefined;
  /** Messages that arrived while the stores were being built, in order. */
  #early: ToWorker[] | undefined = [];
  #ingested = 0;
  #publishing: NodeJS.Timeout | undefined;
  /** True while a batch is decoded: the counters are published right after it. */
  #decoding = false;
  /** Publishes after {@link PUBLISH_MS}, once per burst of changes. */
  readonly #changed = (): void => {
    // A batch's pushes are published when it is decoded; a timer for them would publish the
    // same counters again 10 ms later, a timer and a publication per batch for nothing.
    if (this.#decoding) return;
    this.#publishing ??= setTimeout(this.#publishLater, PUBLISH_MS);
  };
  readonly #publishLater = (): void => {
    this.#publishing = undefined;
    this.#publishNow();
  };

  constructor(setup: WorkerSetup, post: PostToMain) {
    this.#setup = setup;
    this.#post = post;
    this.#logger = relayLogger(post);
    this.#decisions = [...setup.decisions];
    this.#trusts = [...setup.trusts];
    this.#tables = {
      decisions: this.#decisions,
      resolve: (index, remote, forwarded) => this.#resolve(index, remote, forwarded),
    };
    this.#counters = new SharedCounters(setup.stats, setup.stores.length);
    this.#lastErrors = setup.stores.map(() => undefined);
    // Structured clone drops the mark `definePolicy` leaves: each policy is checked again here.
    const policies: DefinedPolicy[] = setup.policies.map((p) =>
      definePolicy(p as PolicyInput, 'policy'),
    );
    let geo: GeoLookup | undefined;
    const wantsGeo = policies.some((p) => (p.categories.client?.geo ?? 'none') !== 'none');
    this.#ready = wantsGeo ? loadGeo().then((g) => (geo = g)) : undefined;
    this.#runtimes = policies.map((policy) =>
      createRuntime(policy, {
        secrets: setup.secrets,
        geo: () => geo,
        userAgentCacheSize: setup.settings.userAgentCacheSize,
        // A path hook is a function of the app: a logger that has one stays on the serving thread.
        redactPath: undefined,
        onHookError: () => {},
        onIncidentWithoutCategory: () => {},
        signingKey: setup.settings.security.signingKey,
        checkpointEvery: setup.settings.security.checkpointEvery,
        investigatorKey: setup.settings.security.investigatorKey,
      }),
    );
    const { enrich } = setup.settings;
    const relay = new LookupRelay(this.#calls, post);
    this.#lookups = createLookups(
      policies,
      {
        ...enrich,
        reverse: enrich.reverse ? relay.reverse : undefined,
        company: enrich.company ? relay.company : undefined,
      },
      (p) => p.name,
    );
  }

  /** Build the stores, then take the messages that waited. Never rejects. */
  async start(): Promise<void> {
    const stores = await Promise.all(
      this.#setup.stores.map(async (slot, index): Promise<Store> => {
        if (slot.where === 'main') {
          const relay = relayStore(slot.name, index, slot.methods, this.#calls, this.#post);
          // The spill is the delivery's, and the delivery is here.
          if (slot.spill !== undefined) Object.assign(relay, { [spillSettingsOf]: slot.spill });
          return relay;
        }
        try {
          if (slot.config.kind !== 'module') return await buildStore(slot.config);
          const store = new ModuleStore(slot.config.options);
          await store.load();
          return store;
        } catch (err) {
          report(
            this.#logger,
            'error',
            { store: slot.name, err, code: 'ERR_STORE_INIT' },
            `store "${slot.name}" could not be opened in the worker; its records are retried and then dropped`,
          );
          return brokenStore(slot.name, err);
        }
      }),
    );
    this.#pipeline = this.#assemble(stores);
    this.#post({
      t: 'ready',
      methods: stores.map((store, i) =>
        this.#setup.stores[i]!.where === 'main'
          ? []
          : REMOTE_METHODS.filter((m) => typeof store[m] === 'function'),
      ),
    });
    const early = this.#early ?? [];
    this.#early = undefined;
    for (const message of early) this.receive(message);
  }

  /** Take one message from the serving thread. */
  receive(message: ToWorker): void {
    const pipeline = this.#pipeline;
    if (message.t === 'answer') {
      if (message.ok) this.#calls.resolve(message.id, message.value);
      else this.#calls.reject(message.id, message.error);
      return;
    }
    if (message.t === 'answers') {
      settleLookups(this.#calls, message.items);
      return;
    }
    if (message.t === 'ids') {
      // Needs the secrets alone, not the stores: answered even while they are being built.
      const secret = this.#setup.secrets[0];
      this.#post({ t: 'ids', list: secret === undefined ? [] : signIds(message.count, secret) });
      return;
    }
    if (pipeline === undefined || this.#early !== undefined) {
      this.#early?.push(message);
      return;
    }
    switch (message.t) {
      case 'batch':
        applyTables(this.#decisions, message.decisions);
        applyTables(this.#trusts, message.trusts);
        this.#decoding = true;
        try {
          decodeBatch(message, this.#tables, pipeline.take, pipeline.undecodable);
        } finally {
          this.#decoding = false;
        }
        this.#ingested += message.count;
        this.#publishNow();
        return;
      case 'flush':
        this.#answer(message.id, async () => {
          await pipeline.stage.drain();
          await pipeline.dispatcher.flush();
        });
        return;
      case 'close':
        this.#answer(message.id, async () => {
          pipeline.stage.close();
          await pipeline.dispatcher.close({ timeoutMs: message.timeoutMs });
          for (const runtime of this.#runtimes) runtime.close();
          for (const rollups of this.#rollups.values()) {
            await rollups.then((r) => r?.close?.()).catch(() => undefined);
          }
        });
        return;
      case 'store':
        this.#answer(message.id, () =>
          message.method === 'eraseBuffered'
            ? pipeline.dispatcher.eraseBuffered(
                pipeline.dispatcher.stats().stores[message.index]?.name ?? '',
                message.args[0] as Subject,
              )
            : storeCall(pipeline.stores[message.index], message.method, message.args),
        );
        return;
      case 'rollups':
        this.#answer(message.id, () =>
          this.#rollupCall(pipeline.stores, message.index, message.op, message.args),
        );
        return;
    }
  }

  /**
   * The traffic reports' calls on a store's rollups. A run reads every record of the open hours:
   * here it costs the worker, where the records are written, not the thread that serves requests.
   */
  async #rollupCall(
    stores: readonly Store[],
    index: number,
    op: RollupOp,
    args: readonly unknown[],
  ): Promise<unknown> {
    const store = stores[index];
    let opened = this.#rollups.get(index);
    if (opened === undefined) {
      opened = (async () => {
        const rollups = store?.read === undefined ? undefined : rollupsFor(store);
        // The record store creates the file (with its private mode) before the rollups open it.
        await store?.init?.();
        await rollups?.init?.();
        return rollups;
      })();
      this.#rollups.set(index, opened);
      // A store that could not open yet (a file not writable, a server away) is tried again.
      opened.catch(() => this.#rollups.delete(index));
    }
    const rollups = await opened;
    if (store === undefined || rollups === undefined) {
      throw new TypeError('the store keeps no traffic rollups in the worker');
    }
    switch (op) {
      case 'update':
        return updateRollupsWaiting(
          store,
          rollups,
          args[0] === undefined ? undefined : new Date(args[0] as number),
          args[1] !== false,
        );
      case 'buckets': {
        // A sketch is a class: it crosses as its bytes and is rebuilt on the other side.
        const buckets = await rollups.buckets(...(args as Parameters<RollupStore['buckets']>));
        return buckets.map((b) => ({ ...b, visitors: b.visitors.serialize() }));
      }
      case 'purge':
        return rollups.purge(new Date(args[0] as number));
    }
  }

  #assemble(stores: readonly Store[]): Pipeline {
    const { settings } = this.#setup;
    const runtimes = this.#runtimes;
    const only = runtimes.length === 1 ? runtimes[0]! : undefined;
    const byId = new Map(runtimes.map((rt) => [rt.compiled.id, rt]));
    const runtimeOf = (c: Captured): PolicyRuntime => only ?? byId.get(c.decision.policy)!;
    const dispatcher = new Dispatcher<Captured>({
      stores,
      process: (c) => runtimeOf(c).process(c),
      consentOf: consentOfCaptured((c) => runtimeOf(c).compiled.ledgerRetentionMs),
      sizeOf: (c) => {
        if (c === UNDECODABLE) throw new TypeError('a request could not be decoded');
        return capturedSize(c);
      },
      ...(this.#ready ? { ready: this.#ready } : {}),
      logger: this.#logger,
      maxRecords: settings.queue.maxRecords,
      maxBytes: settings.queue.maxBytes,
      batchSize: settings.batch.size,
      maxDelayMs: settings.batch.maxDelayMs,
      // No request waits on this thread: a full batch is processed in one turn and written whole.
      wholeBatches: true,
      writeTimeoutMs: settings.writeTimeoutMs,
      maxRetries: settings.retries,
      retryMaxMs: settings.retryMaxDelayMs,
      onProgress: this.#changed,
    });
    const stage = new EnrichStage({
      sink: (c) => dispatcher.push(c),
      plan: (c) => runtimeOf(c).plan(c),
      skip: (c) => runtimeOf(c).skip(c),
      domains: this.#lookups.domains,
      company: this.#lookups.company,
      companyReady: this.#lookups.companyReady,
      companyFixed: this.#lookups.companyFixed,
      timeoutMs: settings.enrich.timeoutMs,
      maxPending: settings.queue.maxRecords,
      logger: this.#logger,
    });
    return {
      stores,
      stage,
      dispatcher,
      take: (c) => stage.push(c),
      undecodable: () => dispatcher.push(UNDECODABLE),
    };
  }

  #resolve(index: number, remote: string | undefined, forwarded: string | undefined) {
    let trust = this.#trustFns[index];
    if (trust === undefined) {
      const setting = this.#trusts[index];
      try {
        trust = setting === undefined ? () => false : compileTrust(setting);
      } catch {
        // Express compiled the same value when the app set it, so this is not expected; trusting
        // no proxy keeps a forged header from choosing the address.
        trust = () => false;
      }
      this.#trustFns[index] = trust;
    }
    return resolveAddress(remote, forwarded, trust);
  }

  /** Run a call and post its answer, publishing the counters first so they agree with it. */
  #answer(id: number, run: () => unknown): void {
    Promise.resolve()
      .then(run)
      .then(
        (value) => {
          this.#publishNow();
          this.#post({ t: 'answer', id, ok: true, value });
        },
        (err: unknown) => {
          this.#publishNow();
          this.#post({ t: 'answer', id, ok: false, error: toSerialError(err) });
        },
      );
  }

  /** Write the counters; later changes are published by {@link #changed}. */
  #publishNow(): void {
    const pipeline = this.#pipeline;
    if (pipeline === undefined) return;
    const dispatcher = pipeline.dispatcher.stats();
    const enrichment = pipeline.stage.stats();
    this.#counters.write(this.#ingested, dispatcher, enrichment);
    dispatcher.stores.forEach((store, index) => {
      if (store.lastError === undefined || store.lastError === this.#lastErrors[index]) return;
      this.#lastErrors[index] = store.lastError;
      this.#post({ t: 'lastError', index, message: store.lastError });
    });
  }
}

/** Call a privacy operation's method on a store; `read` is collected, since iterators cannot cross. */
async function storeCall(
  store: Store | undefined,
  method: StoreOwnMethod,
  args: readonly unknown[],
): Promise<unknown> {
  const fn = store?.[method] as ((...a: unknown[]) => unknown) | undefined;
  if (method === 'init' && store !== undefined && typeof fn !== 'function') return undefined;
  if (store === undefined || typeof fn !== 'function') {
    throw new TypeError(`the store has no ${method}() in the worker`);
  }
  const result = await fn.apply(store, [...args]);
  if (!ITERATED.has(method)) return result;
  const records: unknown[] = [];
  for await (const record of result as AsyncIterable<unknown>) records.push(record);
  return records;
}
