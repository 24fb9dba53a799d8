import {
  ALL_TENANTS,
  LOCAL_TENANT,
  SwiftletError,
  emptyUsage,
  isValidSessionId,
  isValidTenant,
  newId,
  sessionKeyString,
  toSwiftletError,
  type Entry,
  type JSONValue,
  type SessionInfo,
  type SessionKey,
  type TenantScope,
  type TurnEndEvent,
  type TurnEvent,
} from '../core/index.js';
import type { SwiftletConfig } from '../config/index.js';
import type { Agent } from '../agent/index.js';
import type { MockLlm, ModelClient } from '../model/index.js';
import {
  BEAT_INTERVAL_MS,
  type GroupCommitWriter,
  type PruneResult,
  type SessionPage,
  type SessionStore,
} from '../store/index.js';
import type { LocalBus, TaskBus } from '../bus/index.js';
import { TurnEvents } from './event-queue.js';
import { serveTasks, type TaskAgents } from './task-agents.js';
import { TurnScheduler } from './scheduler.js';
import { NO_METADATA, SessionCache, newRecordBytes, recordFrom, type SessionRecord } from './session-cache.js';
import { executeTurn } from './turn.js';
import { recoverOpenTurns } from './recovery.js';

/** Which tenant's sessions a call reaches (default `local`, the tenant of everything when there are no API keys). */
export interface TenantOption {
  tenant?: string;
}

export interface RunRequest extends TenantOption {
  /** Agent name; defaults to the session's agent, or the only/first configured agent for a new session. */
  agent?: string;
  /** Existing or new session id (of the request's tenant); a new id is made when absent. */
  sessionId?: string;
  /**
   * The agents the caller may use. An existing session of any other agent answers as if it did not exist
   * (SESSION_NOT_FOUND), so a caller learns nothing about the sessions it may not reach.
   */
  allowedAgents?: readonly string[];
  input: string;
  signal?: AbortSignal;
  /** Stored with a new session. */
  metadata?: { [key: string]: JSONValue };
  /**
   * Whether the caller tells its client of the turn before it ends (a stream's first byte, a WebSocket's
   * turn-accepted): then, in durable mode, the turn's start and input are committed before its turn-start event.
   * Default: true when the turn's events are read as they come, false when only `result` is awaited. A gateway that
   * reads the events for other readers but answers its client only at the end passes false.
   */
  acknowledgeStart?: boolean;
  /**
   * Ephemeral turn: runs on this history instead of a stored session and stores nothing (stateless APIs where the
   * client sends the whole conversation). `sessionId` is then only a label.
   */
  ephemeral?: { history: readonly Entry[] };
}

/** A running turn: iterate it for events (the last is `turn-end`), or await `result`. */
export interface TurnRun extends AsyncIterable<TurnEvent> {
  readonly tenant: string;
  readonly sessionId: string;
  readonly turnId: string;
  readonly result: Promise<TurnEndEvent>;
}

export interface AgentInfo {
  name: string;
  description: string;
  model: string;
  tools: string[];
  /** The skills it offers (tasks sent to a skill reach one agent having it). */
  skills: { name: string; description: string }[];
}

export interface RuntimeParts {
  config: SwiftletConfig;
  store: SessionStore;
  writer: GroupCommitWriter;
  bus: LocalBus;
  agents: Map<string, Agent>;
  clients: ModelClient[];
  mock: MockLlm | undefined;
  ownsStore: boolean;
  consumeTasks: boolean;
}

export class Runtime {
  readonly config: SwiftletConfig;
  readonly store: SessionStore;
  /** Tasks between agents and clients; every configured agent consumes those sent to it or its skills. */
  readonly bus: TaskBus;
  #localBus: LocalBus;
  #taskAgents: TaskAgents | undefined;
  #writer: GroupCommitWriter;
  #agents: Map<string, Agent>;
  #clients: ModelClient[];
  #mock: MockLlm | undefined;
  #ownsStore: boolean;
  #consumeTasks: boolean;
  #cache: SessionCache;
  #scheduler: TurnScheduler;
  #running = new Map<string, AbortController>();
  #inflight = new Set<Promise<void>>();
  #pruneTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #beatTimer: NodeJS.Timeout | undefined;
  #resequenced = { count: 0 };

  constructor(parts: RuntimeParts) {
    this.config = parts.config;
    this.store = parts.store;
    this.#writer = parts.writer;
    this.bus = this.#localBus = parts.bus;
    this.#agents = parts.agents;
    this.#clients = parts.clients;
    this.#mock = parts.mock;
    this.#ownsStore = parts.ownsStore;
    this.#consumeTasks = parts.consumeTasks;
    this.#cache = new SessionCache(parts.config.storage.hotCacheMb * 1024 * 1024);
    this.#scheduler = new TurnScheduler({
      maxQueuedPerSession: parts.config.limits.maxQueuedTurnsPerSession,
      maxConcurrent: parts.config.limits.maxConcurrentTurns,
    });
  }

  /**
   * Records this process in the store, recovers turns cut short by a crash, then keeps both going: a beat every few
   * seconds (so processes sharing the store know this one is alive) and, with it, recovery of turns whose process
   * has died since. Starts the periodic pruning job if configured.
   */
  async start(): Promise<void> {
    await this.store.beat();
    await this.#recover(true);
    this.#beatTimer = setInterval(() => {
      this.store
        .beat()
        .then(() => this.#recover(false))
        .catch(() => undefined);
    }, BEAT_INTERVAL_MS);
    this.#beatTimer.unref();
    if (this.#consumeTasks) {
      await this.#localBus.start();
      const agents = Object.values(this.config.agents);
      this.#taskAgents = serveTasks(this.bus, agents, (req) => this.run(req), this.config.bus.leaseMs);
    }
    const p = this.config.storage.pruning;
    if (p.maxMessages !== undefined || p.ttlDays !== undefined) {
      this.#pruneTimer = setInterval(() => {
        this.prune().catch(() => undefined);
      }, p.intervalMs);
      this.#pruneTimer.unref();
    }
  }

  #recover(own: boolean): Promise<number> {
    return recoverOpenTurns(this.store, ALL_TENANTS, {
      own,
      running: (tenant, id) => this.#running.has(sessionKeyString(tenant, id)),
    });
  }

  /** The mock LLM started in-process when a provider has `type: mock` (the zero-config fallback). */
  get mockLlm(): MockLlm | undefined {
    return this.#mock;
  }

  /** True while the runtime accepts turns and its store answers (readiness). */
  async ready(): Promise<boolean> {
    if (this.#closing) return false;
    return this.store.ping().catch(() => false);
  }

  get closing(): boolean {
    return this.#closing;
  }

  agents(): AgentInfo[] {
    return [...this.#agents.entries()].map(([name, a]) => ({
      name,
      description: a.description,
      model: this.config.agents[name]!.model,
      tools: a.toolSpecs.map((t) => t.name),
      skills: this.config.agents[name]!.skills.map((s) => ({ name: s.name, description: s.description })),
    }));
  }

  get stats(): {
    activeTurns: number;
    queuedTurns: number;
    cache: SessionCache['stats'];
    writer: GroupCommitWriter['stats'];
    /** Turns whose entries were numbered again after another process appended to their session meanwhile. */
    resequencedTurns: number;
  } {
    return {
      activeTurns: this.#scheduler.active,
      queuedTurns: this.#scheduler.queued,
      resequencedTurns: this.#resequenced.count,
      cache: this.#cache.stats,
      writer: this.#writer.stats,
    };
  }

  /**
   * Starts a turn. Throws at once for bad input, an unknown agent, a full session queue or a closing runtime;
   * everything after that (including model failures) ends in the turn's terminal event.
   */
  run(req: RunRequest): TurnRun {
    if (this.#closing) throw new SwiftletError('SWIFTLET_ERR_SHUTTING_DOWN', 'the runtime is shutting down');
    if (typeof req.input !== 'string' || req.input.length === 0) {
      throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', 'input: expected a non-empty string', { field: 'input' });
    }
    if (Buffer.byteLength(req.input) > this.config.limits.maxInputBytes) {
      throw new SwiftletError(
        'SWIFTLET_ERR_INVALID_INPUT',
        `input: larger than limits.maxInputBytes (${this.config.limits.maxInputBytes} bytes)`,
        { field: 'input' },
      );
    }
    if (req.sessionId !== undefined && !isValidSessionId(req.sessionId)) {
      throw new SwiftletError(
        'SWIFTLET_ERR_INVALID_INPUT',
        'sessionId: 1-128 characters of letters, digits, "_", "-", ".", ":"',
        { field: 'sessionId' },
      );
    }
    if (req.agent !== undefined && !this.#agents.has(req.agent)) {
      throw new SwiftletError('SWIFTLET_ERR_AGENT_NOT_FOUND', `no agent named "${req.agent}"`, { field: 'agent' });
    }
    const tenant = tenantOf(req);
    const sessionId = req.ephemeral || req.sessionId === undefined ? newId('ses') : req.sessionId;
    const key = sessionKeyString(tenant, sessionId);
    const turnId = newId('turn');
    const slot = this.#scheduler.acquire(key, sessionId);
    const events = new TurnEvents();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(req.signal?.reason);
    if (req.signal?.aborted) controller.abort(req.signal.reason);
    else req.signal?.addEventListener('abort', onAbort, { once: true });

    const task = (async () => {
      let pinned: SessionRecord | undefined;
      try {
        if (slot.started()) {
          // One microtask, so the caller holds the TurnRun (and has chosen events or result) before the turn starts.
          await undefined;
        } else if (!controller.signal.aborted) {
          await Promise.race([
            slot.ready,
            new Promise<void>((r) => controller.signal.addEventListener('abort', () => r(), { once: true })),
          ]);
        }
        if (controller.signal.aborted && slot.cancel()) {
          events.end(notStarted(sessionId, turnId));
          return;
        }
        this.#running.set(key, controller);
        const rec = req.ephemeral
          ? this.#ephemeralRecord(tenant, sessionId, req)
          : await this.#loadForTurn(key, { tenant, id: sessionId }, req);
        pinned = rec;
        rec.pins++;
        const agentName = req.agent ?? rec.info.agent;
        const agent = this.#agents.get(agentName)!;
        await executeTurn(
          {
            persist: req.ephemeral
              ? undefined
              : {
                  writer: this.#writer,
                  store: this.store,
                  cache: this.#cache,
                  durable: this.config.storage.durability === 'durable',
                  resequenced: this.#resequenced,
                },
          },
          rec,
          {
            key,
            sessionId,
            turnId,
            agentName,
            agent,
            input: req.input,
            signal: controller.signal,
            metadata: req.metadata ?? {},
            ...(req.acknowledgeStart === undefined ? {} : { acknowledgeStart: req.acknowledgeStart }),
            historyWindow: this.config.agents[agentName]!.historyWindow,
          },
          events,
        );
      } catch (err) {
        events.fail(toSwiftletError(err));
      } finally {
        if (pinned) pinned.pins--;
        if (this.#running.get(key) === controller) this.#running.delete(key);
        req.signal?.removeEventListener('abort', onAbort);
        slot.release();
        this.#cache.evict();
      }
    })();
    this.#inflight.add(task);
    void task.finally(() => this.#inflight.delete(task));

    return {
      tenant,
      sessionId,
      turnId,
      get result() {
        events.ignoreEvents();
        return events.result;
      },
      [Symbol.asyncIterator]: () => events[Symbol.asyncIterator](),
    };
  }

  /** Interrupts the running turn of a session of the tenant. Returns false when none is running. */
  interrupt(sessionId: string, opts: TenantOption & { reason?: string } = {}): boolean {
    const c = this.#running.get(sessionKeyString(tenantOf(opts), sessionId));
    if (!c || c.signal.aborted) return false;
    c.abort(new SwiftletError('SWIFTLET_ERR_ABORTED', opts.reason ?? 'interrupted'));
    return true;
  }

  #ephemeralRecord(tenant: string, sessionId: string, req: RunRequest): SessionRecord {
    const history = [...(req.ephemeral?.history ?? [])];
    const now = Date.now();
    const info = {
      tenant,
      id: sessionId,
      agent: req.agent ?? this.defaultAgent(),
      createdAt: now,
      updatedAt: now,
      lastSeq: 0,
      metadata: {},
    };
    const rec = recordFrom(info, history);
    rec.info.lastSeq = history.at(-1)?.seq ?? 0;
    return rec;
  }

  async #loadForTurn(cacheKey: string, key: SessionKey, req: RunRequest): Promise<SessionRecord> {
    const sessionId = key.id;
    let rec = this.#cache.get(cacheKey);
    if (rec && !rec.isNew && !(await this.#fresh(rec, key))) {
      // Another process wrote this session (or deleted it) since it was cached: the store is the truth.
      this.#cache.delete(cacheKey);
      rec = undefined;
    }
    if (!rec) {
      // Relaxed mode may still hold this session's entries in the writer: the store must see them first.
      if (this.#writer.hasPending(key)) await this.#writer.commit(key).catch(() => undefined);
      // Whatever failed to be written before is now reloaded from the store: its writes may go on.
      this.#writer.recover(key);
      const info = await this.store.getSession(key);
      if (info) {
        const entries = await this.store.load(key);
        rec = recordFrom(info, entries);
      } else {
        const agent = req.agent ?? this.defaultAgent();
        const now = Date.now();
        const metadata = req.metadata ?? NO_METADATA;
        rec = {
          info: { tenant: key.tenant, id: sessionId, agent, createdAt: now, updatedAt: now, lastSeq: 0, metadata },
          isNew: true,
          entries: [],
          state: undefined,
          bytes: newRecordBytes(),
          pins: 0,
        };
      }
      this.#cache.set(cacheKey, rec);
    }
    // Before anything that tells the session exists: a session of an agent the caller may not use is unknown to it.
    if (!rec.isNew && req.allowedAgents !== undefined && !req.allowedAgents.includes(rec.info.agent)) {
      throw sessionNotFound(sessionId);
    }
    if (req.agent !== undefined && req.agent !== rec.info.agent) {
      throw new SwiftletError(
        'SWIFTLET_ERR_SESSION_AGENT_MISMATCH',
        `session ${sessionId} belongs to agent "${rec.info.agent}", not "${req.agent}"`,
        { field: 'agent' },
      );
    }
    if (!this.#agents.has(rec.info.agent)) {
      throw new SwiftletError(
        'SWIFTLET_ERR_AGENT_NOT_FOUND',
        `session ${sessionId} uses agent "${rec.info.agent}", which is not configured`,
      );
    }
    return rec;
  }

  /**
   * Whether a cached session is what the store holds: one indexed read of the session row per turn, so a turn never
   * builds on a history another process (the CLI beside a server, another instance) has added to or deleted.
   */
  async #fresh(rec: SessionRecord, key: SessionKey): Promise<boolean> {
    // This process's own writes of the session are still on their way (relaxed mode writes behind): the store is
    // behind the cache, and waiting for them would make every relaxed turn a commit. A conflict with another writer
    // then shows when they are written.
    if (this.#writer.hasPending(key)) return true;
    return (await this.store.lastSeq(key)) === rec.info.lastSeq;
  }

  /** The agent a new session gets when none is named: `assistant` if configured, else the first one. */
  defaultAgent(): string {
    return this.#agents.has('assistant') ? 'assistant' : this.#agents.keys().next().value!;
  }

  // --- sessions -------------------------------------------------------------------------------------------------
  // Each call names its tenant (default `local`); listing and pruning may name ALL_TENANTS, on operator paths only.

  /** Creates an empty session now (committed before this resolves), so every instance sharing the store sees it. */
  async createSession(
    opts: TenantOption & { agent?: string; metadata?: { [key: string]: JSONValue } } = {},
  ): Promise<SessionInfo> {
    if (this.#closing) throw new SwiftletError('SWIFTLET_ERR_SHUTTING_DOWN', 'the runtime is shutting down');
    const tenant = tenantOf(opts);
    const agent = opts.agent ?? this.defaultAgent();
    if (!this.#agents.has(agent)) {
      throw new SwiftletError('SWIFTLET_ERR_AGENT_NOT_FOUND', `no agent named "${agent}"`, { field: 'agent' });
    }
    const id = newId('ses');
    const now = Date.now();
    const metadata = opts.metadata ?? {};
    this.#writer.enqueue({ tenant, sessionId: id, create: { agent, metadata, createdAt: now }, entries: [] });
    await this.#writer.commit({ tenant, id });
    return { tenant, id, agent, createdAt: now, updatedAt: now, lastSeq: 0, metadata };
  }

  /**
   * The session as stored (a session with a turn running or queued here: as this process knows it, which is ahead of
   * the store while the turn writes behind). Another process's writes and deletes show at once.
   */
  async getSession(sessionId: string, opts: TenantOption = {}): Promise<SessionInfo | undefined> {
    const tenant = tenantOf(opts);
    const key = sessionKeyString(tenant, sessionId);
    const hot = this.#cache.get(key);
    if (hot && !hot.isNew && this.#scheduler.isBusy(key)) return { ...hot.info };
    const sk = { tenant, id: sessionId };
    if (this.#writer.hasPending(sk)) await this.#writer.commit(sk);
    if (hot && !hot.isNew) {
      // The cached copy, if the store's lastSeq says it is current (a cheaper read than the whole row).
      if ((await this.store.lastSeq(sk)) === hot.info.lastSeq) return { ...hot.info };
      if (hot.pins === 0) this.#cache.delete(key);
    }
    return this.store.getSession(sk);
  }

  async listSessions(
    filter: { tenant?: TenantScope; agent?: string; limit?: number; cursor?: string } = {},
  ): Promise<SessionPage> {
    const { tenant, ...rest } = filter;
    const scope = tenant === ALL_TENANTS ? ALL_TENANTS : tenantOf({ ...(tenant === undefined ? {} : { tenant }) });
    if (this.#writer.stats.pending > 0) await this.#writer.commit();
    return this.store.list(scope, rest);
  }

  async entries(
    sessionId: string,
    opts: TenantOption & { afterSeq?: number; limit?: number; tail?: boolean } = {},
  ): Promise<Entry[]> {
    const { tenant: _, ...load } = opts;
    const key = { tenant: tenantOf(opts), id: sessionId };
    if (this.#writer.hasPending(key)) await this.#writer.commit(key);
    return this.store.load(key, load);
  }

  /** The session's key/value state (the todo list is under `todo`). */
  async sessionState(sessionId: string, opts: TenantOption = {}): Promise<Map<string, JSONValue>> {
    const tenant = tenantOf(opts);
    const key = sessionKeyString(tenant, sessionId);
    const hot = this.#cache.get(key);
    if (hot && this.#scheduler.isBusy(key)) return new Map(hot.state);
    const entries = await this.entries(sessionId, { tenant });
    const info = { tenant, id: sessionId, agent: '', createdAt: 0, updatedAt: 0, lastSeq: 0, metadata: {} };
    return new Map(recordFrom(info, entries).state);
  }

  async deleteSession(sessionId: string, opts: TenantOption = {}): Promise<boolean> {
    const tenant = tenantOf(opts);
    const key = sessionKeyString(tenant, sessionId);
    this.#idle(key, sessionId);
    if (this.#writer.hasPending({ tenant, id: sessionId })) await this.#writer.commit({ tenant, id: sessionId });
    this.#cache.delete(key);
    return this.store.delete({ tenant, id: sessionId });
  }

  /** Gives a session, with its whole log, to another tenant (same id). False when the tenant has no such session. */
  async moveSession(sessionId: string, opts: TenantOption & { to: string }): Promise<boolean> {
    const tenant = tenantOf(opts);
    const to = tenantOf({ tenant: opts.to });
    const key = sessionKeyString(tenant, sessionId);
    this.#idle(key, sessionId);
    if (this.#writer.hasPending({ tenant, id: sessionId })) await this.#writer.commit({ tenant, id: sessionId });
    this.#cache.delete(key);
    return this.store.move({ tenant, id: sessionId }, to);
  }

  #idle(key: string, sessionId: string): void {
    if (this.#scheduler.isBusy(key)) {
      throw new SwiftletError('SWIFTLET_ERR_SESSION_BUSY', `session ${sessionId} has a turn running`, {
        retryAfterMs: 1000,
      });
    }
  }

  /** Prunes every tenant's sessions (or one tenant's, with `tenant`) by the given or the configured policy. */
  async prune(policy?: { maxMessages?: number; ttlMs?: number; tenant?: string }): Promise<PruneResult> {
    const p = this.config.storage.pruning;
    const maxMessages = policy?.maxMessages ?? p.maxMessages;
    const ttlMs = policy?.ttlMs ?? (p.ttlDays === undefined ? undefined : p.ttlDays * 86_400_000);
    const scope = policy?.tenant === undefined ? ALL_TENANTS : tenantOf(policy);
    if (this.#writer.stats.pending > 0) await this.#writer.commit();
    const result = await this.store.prune(scope, {
      ...(maxMessages === undefined ? {} : { maxMessages }),
      ...(ttlMs === undefined ? {} : { ttlMs }),
    });
    this.#cache.clearIdle();
    return result;
  }

  /**
   * Stops accepting turns, lets running turns finish for up to `drainMs`, interrupts the rest (recorded as
   * interrupted), flushes the writer and closes the store and model clients.
   */
  async close(opts: { drainMs?: number } = {}): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    if (this.#beatTimer) clearInterval(this.#beatTimer);
    this.#taskAgents?.stop();
    const drainMs = opts.drainMs ?? 0;
    if (this.#inflight.size > 0 && drainMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#inflight]),
        new Promise<void>((r) => (timer = setTimeout(r, drainMs))),
      ]);
      clearTimeout(timer);
    }
    for (const c of this.#running.values())
      c.abort(new SwiftletError('SWIFTLET_ERR_SHUTTING_DOWN', 'the server is shutting down'));
    await Promise.allSettled([...this.#inflight]);
    await this.#taskAgents?.close();
    await this.bus.close();
    await this.#writer.close();
    if (this.#ownsStore) await this.store.close();
    await Promise.allSettled(this.#clients.map((c) => c.close()));
    await this.#mock?.close();
  }
}

/** The tenant a call names, checked (the library is an edge too): `local` when none. */
function tenantOf(opts: TenantOption): string {
  const tenant = opts.tenant ?? LOCAL_TENANT;
  if (typeof tenant !== 'string' || !isValidTenant(tenant)) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', 'tenant: 1-64 letters, digits, "_" or "-"', {
      field: 'tenant',
    });
  }
  return tenant;
}

function sessionNotFound(sessionId: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_SESSION_NOT_FOUND', `no session ${sessionId}`, { field: 'sessionId' });
}

function notStarted(sessionId: string, turnId: string): TurnEndEvent {
  return {
    type: 'turn-end',
    turnId,
    sessionId,
    outcome: 'interrupted',
    text: '',
    usage: emptyUsage(),
    steps: 0,
    error: { code: 'SWIFTLET_ERR_ABORTED', message: 'interrupted before the turn started' },
  };
}
