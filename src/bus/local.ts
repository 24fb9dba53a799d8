import {
  ALL_TENANTS,
  SwiftletError,
  isTerminal,
  monotonicId,
  sessionKeyString,
  type Artifact,
  type ErrorPayload,
  type TaskEvent,
  type TaskEventData,
  type TaskRecord,
  type TaskResult,
  type TaskSpec,
  type TaskState,
} from '../core/index.js';
import type { TaskChange, TaskGuard, TaskStore, TaskWrite } from '../store/index.js';
import type { TaskHeap } from './heap.js';
import type { Held, Live, Sub } from './live.js';
import type { TaskChanged, TaskOffer, TaskTransport, TransportListener } from './transport.js';
import { TaskQueues } from './queues.js';
import { agentTarget, errorPayload, newTaskRecord, notHeld, skillTarget, targetKeyOf } from './records.js';
import { Watchers } from './watchers.js';
import type {
  Assignment,
  BusStats,
  ProgressUpdate,
  Published,
  SubscriberSpec,
  Subscription,
  TaskBus,
  TaskHandler,
  WatchOptions,
} from './types.js';
import { TaskWriter } from './writer.js';

export interface LocalBusOptions {
  store: TaskStore;
  /** This process, as the store knows it (SessionStore.instanceId): the owner of its claims. */
  instanceId: string;
  /** How long a claim lasts without progress or a heartbeat (default 30 s). */
  leaseMs?: number;
  /** Claims before a task fails (default 3). */
  maxAttempts?: number;
  /** Unclaimed tasks per tenant and target (default 10,000). */
  maxQueued?: number;
  /** How often the store is read for tasks other processes published, canceled or let lapse (default 1 s). */
  sweepMs?: number;
  /**
   * Agents that some process on the store runs, which a broadcast reaches besides this process's own subscribers:
   * a process that publishes without consuming (the CLI) names the configured agents here.
   */
  recipients?: readonly BroadcastRecipient[];
  /**
   * How tasks reach the other instances on the store (nats). Without one, this process hands out tasks from its own
   * queues and learns of the others' by the sweep.
   */
  transport?: TaskTransport;
  /** With a transport: how long a task waits unclaimed before the sweep checks that its offer was not lost. */
  republishMs?: number;
  /** Failures nobody waits for (a write behind, a sweep). */
  onError?: (err: unknown) => void;
}

/** An agent a broadcast may reach, with its skills (for a broadcast's skill filter). */
export interface BroadcastRecipient {
  agent: string;
  skills: readonly string[];
}

export const BUS_DEFAULTS = {
  leaseMs: 30_000,
  maxAttempts: 3,
  maxQueued: 10_000,
  sweepMs: 1000,
  republishMs: 30_000,
  natsStream: 'SWIFTLET_TASKS',
} as const;

/** With a transport: offers fetched beyond what this process's subscribers have room for, so priority can order them. */
const PREFETCH = 32;
/** With a transport: how long offers are gathered before the first of them is claimed. */
const OFFER_GATHER_MS = 2;

const ACTIVE: readonly TaskState[] = ['submitted', 'working', 'input-required'];

/**
 * The bus in this process, on the session store's task records. Queues and leases live in memory; every transition
 * is a guarded write to the store, batched by TaskWriter, so a claim holds only if the store agrees, and several
 * processes on one store (the CLI beside a server) never complete a task twice. A sweep every `sweepMs` reads the
 * store's unfinished tasks to pick up what other processes published, canceled or abandoned.
 */
export class LocalBus implements TaskBus {
  readonly kind: string;
  readonly tasks: TaskStore;
  #o: Required<Omit<LocalBusOptions, 'store' | 'onError' | 'recipients' | 'transport'>>;
  #transport: TaskTransport | undefined;
  /** With a transport: the targets this process fetches offers of. */
  #listeners = new Map<string, TransportListener>();
  /** With a transport: offers being sent (committed, not yet in the transport), which the sweep must not resend. */
  #offering = new Set<string>();
  #lastReoffer = 0;
  /** With a transport: offers not yet sent, awaited by close(). */
  #sending = new Set<Promise<void>>();
  #feedScheduled = false;
  #onError: (err: unknown) => void;
  #writer: TaskWriter;
  #live = new Map<string, Live>();
  #queues = new TaskQueues<Live>();
  /** target → subscribers, rotated for fairness. */
  #subs = new Map<string, Sub[]>();
  #watchers: Watchers;
  /** Agents that receive broadcasts besides this process's subscribers (LocalBusOptions.recipients). */
  #recipients: readonly BroadcastRecipient[];
  #stats: Omit<BusStats, 'transactions'> = {
    published: 0,
    claimed: 0,
    completed: 0,
    failed: 0,
    redelivered: 0,
    refused: 0,
  };
  #leaseTimer: NodeJS.Timeout;
  #sweepTimer: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | undefined;
  #closed = false;

  constructor(options: LocalBusOptions) {
    this.tasks = options.store;
    this.#o = {
      instanceId: options.instanceId,
      leaseMs: options.leaseMs ?? BUS_DEFAULTS.leaseMs,
      maxAttempts: options.maxAttempts ?? BUS_DEFAULTS.maxAttempts,
      maxQueued: options.maxQueued ?? BUS_DEFAULTS.maxQueued,
      sweepMs: options.sweepMs ?? BUS_DEFAULTS.sweepMs,
      republishMs: options.republishMs ?? BUS_DEFAULTS.republishMs,
    };
    this.#transport = options.transport;
    this.kind = this.#transport?.kind ?? 'local';
    this.#transport?.onChanged((c) => this.#remoteChange(c));
    this.#onError = options.onError ?? (() => undefined);
    this.#writer = new TaskWriter(this.tasks, this.#onError);
    this.#watchers = new Watchers(this.tasks, this.#o.sweepMs);
    this.#recipients = options.recipients ?? [];
    this.#leaseTimer = setInterval(() => this.#checkLeases(), Math.max(50, Math.min(1000, this.#o.leaseMs / 4)));
  }

  /** Loads the store's unfinished tasks and starts the sweep. */
  async start(): Promise<void> {
    await this.sweep();
    this.#sweepTimer = setInterval(() => void this.sweep(), this.#o.sweepMs);
  }

  stats(): BusStats {
    return { ...this.#stats, transactions: this.#writer.transactions };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Publishing

  async publish(spec: TaskSpec): Promise<Published> {
    this.#open();
    const now = Date.now();
    const depth = spec.parentId === undefined ? 0 : await this.#depthUnder(spec.tenant, spec.parentId);
    const task = newTaskRecord(spec, now, depth, this.#o.maxAttempts);
    if ('broadcast' in spec.target) return this.#publishBroadcast(task, spec.target.filter);
    await this.#checkRoom(task);
    const created = this.#writer.submit({ op: 'create', task, events: [{ type: 'state', state: 'submitted' }] });
    const recorded = { ...task }; // the answer: the task as created, whatever its claim does to the record meanwhile
    // Queued at once, so that a subscriber with room claims it in the create's own transaction: one commit before
    // its handler runs, not two. (Its guard fails if the create does.) An offer through a transport waits for the
    // commit: another instance must find the task in the store.
    const early = this.#transport ? undefined : this.#track(task);
    if (early) this.#enqueue(early);
    let r;
    try {
      r = await created;
    } catch (err) {
      if (early) this.#forget(early);
      throw err;
    }
    if (!r.ok) {
      if (early && !early.held) this.#forget(early);
      return { ...r.existing!, created: false };
    }
    task.lastSeq = Math.max(task.lastSeq, r.lastSeq!);
    this.#stats.published++;
    if (!early) this.#enqueue(this.#track(task));
    return { ...recorded, lastSeq: r.lastSeq!, created: true };
  }

  async #depthUnder(tenant: string, parentId: string): Promise<number> {
    const parent = this.#live.get(sessionKeyString(tenant, parentId))?.task ?? (await this.tasks.get(tenant, parentId));
    return parent ? parent.depth + 1 : 0;
  }

  async #checkRoom(task: TaskRecord): Promise<void> {
    const size = this.#transport
      ? await this.#transport.admit(task, this.#o.maxQueued)
      : (this.#queues.of(task, false)?.size ?? 0);
    if (size !== undefined && size >= this.#o.maxQueued) {
      this.#stats.refused++;
      throw new SwiftletError(
        'SWIFTLET_ERR_QUEUE_FULL',
        `the queue of ${targetKeyOf(task)} holds ${size} unclaimed tasks of tenant ${task.tenant}, its limit`,
        { retryAfterMs: 1000 },
      );
    }
  }

  async #publishBroadcast(
    parent: TaskRecord,
    filter: { skill?: string; agents?: string[] } | undefined,
  ): Promise<Published> {
    const names = new Set<string>();
    for (const list of this.#subs.values()) {
      for (const sub of list) {
        if (sub.closed || !inScope(sub, parent.tenant)) continue;
        if (filter?.skill !== undefined && !sub.spec.skills?.includes(filter.skill)) continue;
        if (filter?.agents !== undefined && !filter.agents.includes(sub.spec.agent)) continue;
        names.add(sub.spec.agent);
      }
    }
    for (const r of this.#recipients) {
      if (filter?.skill !== undefined && !r.skills.includes(filter.skill)) continue;
      if (filter?.agents !== undefined && !filter.agents.includes(r.agent)) continue;
      names.add(r.agent);
    }
    if (names.size === 0) {
      this.#stats.refused++;
      throw new SwiftletError('SWIFTLET_ERR_NO_SUBSCRIBERS', 'no subscriber would receive this broadcast');
    }
    parent.state = 'working';
    const children = [...names].sort().map((agent) => ({
      ...parent,
      id: monotonicId('task', parent.createdAt),
      target: { agent },
      state: 'submitted' as const,
      parentId: parent.id,
      depth: parent.depth,
    }));
    for (const c of children) delete c.idempotencyKey;
    for (const c of children) await this.#checkRoom(c);
    const writes: TaskWrite[] = [
      {
        op: 'create',
        task: parent,
        events: [
          { type: 'state', state: 'submitted' },
          { type: 'state', state: 'working', message: `sent to ${children.length} subscribers` },
        ],
      },
      ...children.map((task): TaskWrite => ({ op: 'create', task, events: [{ type: 'state', state: 'submitted' }] })),
    ];
    const results = await Promise.all(writes.map((w) => this.#writer.submit(w)));
    if (!results[0]!.ok) {
      // The idempotency key was used: the children written with it are orphans of a refused parent; cancel them.
      for (const c of children) await this.#end(c.tenant, c.id, 'canceled', {}, 'duplicate broadcast');
      return { ...results[0]!.existing!, created: false };
    }
    parent.lastSeq = results[0]!.lastSeq!;
    this.#stats.published += 1 + children.length;
    children.forEach((c, i) => {
      c.lastSeq = results[i + 1]!.lastSeq!;
      this.#enqueue(this.#track(c));
    });
    this.#track(parent);
    return { ...parent, created: true };
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Queues and claims

  #track(task: TaskRecord): Live {
    const key = sessionKeyString(task.tenant, task.id);
    let live = this.#live.get(key);
    if (live) return live;
    live = {
      task,
      priority: task.priority,
      id: task.id,
      slot: -1,
      queue: undefined,
      held: undefined,
      offer: undefined,
      deadlineTimer: undefined,
    };
    this.#live.set(key, live);
    if (task.deadline !== undefined) {
      const l = live;
      l.deadlineTimer = setTimeout(() => void this.#expire(l.task), Math.max(0, task.deadline - Date.now()));
    }
    return live;
  }

  #forget(live: Live): void {
    live.queue?.remove(live);
    live.queue = undefined;
    live.offer?.ack();
    live.offer = undefined;
    if (live.deadlineTimer) clearTimeout(live.deadlineTimer);
    this.#live.delete(sessionKeyString(live.task.tenant, live.task.id));
  }

  /** A task is waiting: queues it here, or with a transport offers it to every instance. */
  #enqueue(live: Live): void {
    if ('broadcast' in live.task.target || live.held || live.queue) return;
    if (this.#transport) return void this.#offer(live.task);
    this.#queueHere(live, true);
  }

  /** Queues a task here; `claim`: hands it at once to a subscriber with room (else the next feed does). */
  #queueHere(live: Live, claim: boolean): void {
    const heap = this.#queues.of(live.task, true)!;
    heap.push(live);
    live.queue = heap;
    if (!claim) return;
    const subs = this.#subs.get(targetKeyOf(live.task));
    if (!subs) return;
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[0]!;
      subs.push(subs.shift()!);
      if (sub.held < sub.capacity && !sub.closed && inScope(sub, live.task.tenant)) {
        this.#claimFor(sub, heap);
        return;
      }
    }
  }

  /** Sends a committed, unclaimed task through the transport; a failure leaves it to the sweep's re-offer. */
  #offer(t: TaskRecord): void {
    const key = sessionKeyString(t.tenant, t.id);
    const sent = this.#transport!.offer({ ...t })
      .catch(this.#onError)
      .finally(() => {
        this.#offering.delete(key);
        this.#sending.delete(sent);
      });
    this.#offering.add(key);
    this.#sending.add(sent);
  }

  /** An offer fetched from the transport: queued here for the subscribers of its target, unless none can take it. */
  #offered(target: string, offer: TaskOffer): void {
    const t = offer.task;
    const subs = this.#subs.get(target);
    if (this.#closed || !subs?.some((s) => !s.closed && inScope(s, t.tenant))) return offer.nak(subs ? 1000 : 0);
    let live = this.#live.get(sessionKeyString(t.tenant, t.id));
    if (live?.held || (live && live.task.state !== 'submitted' && live.task.lastSeq > t.lastSeq)) return offer.ack();
    if (!live) live = this.#track({ ...t });
    else if (t.lastSeq > live.task.lastSeq) Object.assign(live.task, t);
    live.offer?.ack(); // a second offer of one task: the newer one stands for it
    live.offer = offer;
    if (!live.queue) this.#queueHere(live, false);
    this.#feedSoon();
  }

  /**
   * Feeds every subscriber a moment after an offer arrives, so that offers arriving together (one fetch's, which the
   * server may send in several parts) are ordered by priority before any is claimed.
   */
  #feedSoon(): void {
    if (this.#feedScheduled) return;
    this.#feedScheduled = true;
    setTimeout(() => {
      this.#feedScheduled = false;
      for (const list of this.#subs.values()) for (const sub of list) this.#feed(sub);
      this.#wantOffers();
    }, OFFER_GATHER_MS);
  }

  /** Asks the transport for as many offers per target as its subscribers here have room for, and a few more. */
  #wantOffers(): void {
    for (const [target, listener] of this.#listeners) {
      let room = PREFETCH - this.#queues.sizeOf(target);
      for (const sub of this.#subs.get(target) ?? []) if (!sub.closed) room += sub.capacity - sub.held;
      if (room > 0) listener.want(room);
    }
  }

  /** Gives a subscriber with room the best waiting task among its targets and tenants. */
  #feed(sub: Sub): void {
    while (!sub.closed && sub.held < sub.capacity) {
      const best = this.#queues.best(sub.targets, sub.spec.scope);
      if (!best) return;
      this.#claimFor(sub, best);
    }
  }

  #claimFor(sub: Sub, heap: TaskHeap<Live>): void {
    const live = heap.pop()!;
    live.queue = undefined;
    sub.held++;
    void this.#claim(sub, live).catch((err: unknown) => {
      sub.held--;
      this.#onError(err);
      if (this.#live.get(sessionKeyString(live.task.tenant, live.task.id)) !== live) return;
      if (live.offer) {
        // Offered again (to any instance) after a pause, rather than retried here at once.
        live.offer.nak(1000);
        live.offer = undefined;
        this.#forget(live);
      } else this.#enqueue(live);
    });
  }

  async #claim(sub: Sub, live: Live): Promise<void> {
    const t = live.task;
    const attempt = t.attempt + 1;
    const leaseUntil = Date.now() + this.#o.leaseMs;
    const r = await this.#writer.submit({
      op: 'update',
      tenant: t.tenant,
      id: t.id,
      guard: { states: ['submitted'], attempt: t.attempt },
      set: { state: 'working', attempt, assignee: sub.spec.agent, owner: this.#o.instanceId, leaseUntil },
      events: [{ type: 'state', state: 'working', attempt, assignee: sub.spec.agent }],
      at: Date.now(),
    });
    if (!r.ok) {
      sub.held--;
      if (live.offer) {
        // A stale offer (of an earlier attempt) of a task still waiting: claim what the store has.
        const now = await this.tasks.get(t.tenant, t.id);
        if (now?.state === 'submitted' && now.attempt !== t.attempt && !live.queue && !live.held) {
          Object.assign(t, now);
          this.#queueHere(live, false);
          this.#feedSoon();
          return;
        }
      }
      // Another process claimed, canceled or expired it: the sweep brings back what is still waiting.
      this.#forget(live);
      this.#feed(sub);
      return;
    }
    live.offer?.ack();
    live.offer = undefined;
    Object.assign(t, { state: 'working', attempt, assignee: sub.spec.agent, leaseUntil, lastSeq: r.lastSeq! });
    t.updatedAt = Math.max(t.updatedAt, Date.now());
    this.#stats.claimed++;
    if (attempt > 1) this.#stats.redelivered++;
    const held: Held = {
      sub,
      attempt,
      controller: new AbortController(),
      leaseUntil,
      storedLease: leaseUntil,
      artifacts: [],
      done: false,
    };
    live.held = held;
    sub.live.add(live);
    this.#notify(t);
    const assignment = this.#assignment(live, held);
    let ran: void | Promise<void>;
    try {
      ran = sub.handler(assignment);
    } catch (err) {
      ran = Promise.reject(err);
    }
    if (ran instanceof Promise) {
      ran.catch((err: unknown) => {
        if (!held.done) assignment.fail(errorPayload(err)).catch(() => undefined);
      });
    }
  }

  #assignment(live: Live, held: Held): Assignment {
    const t = live.task;
    const renew = (): void => {
      if (!held.done) held.leaseUntil = Date.now() + this.#o.leaseMs;
    };
    return {
      task: t,
      signal: held.controller.signal,
      progress: (update: ProgressUpdate) => {
        if (held.done) return;
        renew();
        held.storedLease = held.leaseUntil;
        const write = this.#heldWrite(t, held, { leaseUntil: held.leaseUntil }, [{ type: 'progress', ...update }]);
        const watched = this.#transport !== undefined || this.#watchers.has(t.tenant, t.id);
        this.#writer.behind(write, watched ? () => this.#notify(t) : undefined);
        t.lastSeq++;
      },
      heartbeat: renew,
      artifact: async (artifact: Artifact) => {
        if (held.done) throw notHeld(t.id, 'it already ended here');
        renew();
        held.storedLease = held.leaseUntil;
        const r = await this.#writer.submit(
          this.#heldWrite(t, held, { leaseUntil: held.leaseUntil }, [{ type: 'artifact', artifact }]),
        );
        if (!r.ok) throw this.#lost(live, held);
        held.artifacts.push(artifact);
        t.lastSeq = Math.max(t.lastSeq, r.lastSeq!);
        this.#notify(t);
      },
      complete: (result: TaskResult) => {
        const artifacts = [...held.artifacts, ...(result.artifacts ?? [])];
        return this.#finish(live, held, 'completed', {
          result: { ...result, ...(artifacts.length ? { artifacts } : {}) },
        });
      },
      fail: (error: ErrorPayload) => this.#finish(live, held, 'failed', { error }),
      reject: (error: ErrorPayload) => this.#finish(live, held, 'rejected', { error }),
      release: async () => {
        if (held.done) return;
        this.#letGo(live, held);
        await this.#requeue(t, { states: ['working'], attempt: held.attempt, owner: this.#o.instanceId }, 'released');
      },
    };
  }

  #heldWrite(t: TaskRecord, held: Held, set: TaskChange, events: TaskEventData[]): TaskWrite {
    return {
      op: 'update',
      tenant: t.tenant,
      id: t.id,
      guard: { states: ['working'], attempt: held.attempt, owner: this.#o.instanceId },
      set,
      events,
      at: Date.now(),
    };
  }

  async #finish(live: Live, held: Held, state: TaskState, set: TaskChange): Promise<TaskRecord> {
    const t = live.task;
    if (held.done) throw notHeld(t.id, 'it already ended here');
    held.done = true;
    const event: TaskEventData = { type: 'state', state, ...(set.error ? { error: set.error } : {}) };
    const r = await this.#writer.submit(
      this.#heldWrite(t, held, { ...set, state, owner: null, leaseUntil: null }, [event]),
    );
    this.#letGo(live, held);
    if (!r.ok) {
      this.#forget(live);
      throw notHeld(t.id, 'it was canceled, expired, or went to another consumer');
    }
    Object.assign(t, set, { state, lastSeq: r.lastSeq!, updatedAt: Math.max(t.updatedAt, Date.now()) });
    delete t.leaseUntil;
    if (state === 'completed') this.#stats.completed++;
    else this.#stats.failed++;
    this.#ended(live);
    return { ...t };
  }

  /** Frees the consumer's slot; the task stays tracked until its next state is known. */
  #letGo(live: Live, held: Held): void {
    held.done = true;
    live.held = undefined;
    held.sub.live.delete(live);
    held.sub.held--;
    queueMicrotask(() => {
      this.#feed(held.sub);
      if (this.#transport) this.#wantOffers();
    });
  }

  #lost(live: Live, held: Held): SwiftletError {
    const err = notHeld(live.task.id, 'it was canceled, expired, or went to another consumer');
    if (!held.done) {
      this.#letGo(live, held);
      held.controller.abort(err);
    }
    this.#forget(live);
    return err;
  }

  /** A terminal state was committed: wake watchers, stop tracking, and settle a broadcast parent. */
  #ended(live: Live): void {
    this.#forget(live);
    this.#notify(live.task);
    const { parentId, tenant } = live.task;
    if (parentId !== undefined) {
      const parent = this.#live.get(sessionKeyString(tenant, parentId));
      if (parent && 'broadcast' in parent.task.target) void this.#settleBroadcast(parent.task).catch(this.#onError);
    }
  }

  async #settleBroadcast(parent: TaskRecord): Promise<void> {
    const children = await this.tasks.children(parent.tenant, parent.id);
    if (children.some((c) => !isTerminal(c.state))) return;
    const result: TaskResult = {
      message: `${children.length} subscribers answered`,
      children: children.map((c) => ({ id: c.id, agent: c.assignee ?? targetAgent(c), state: c.state })),
    };
    await this.#end(parent.tenant, parent.id, 'completed', { result });
  }

  /** Ends an unfinished task from outside its consumer (cancel, deadline, broadcast settled, attempts used up). */
  async #end(
    tenant: string,
    id: string,
    state: TaskState,
    set: TaskChange,
    message?: string,
  ): Promise<TaskRecord | undefined> {
    const event: TaskEventData = {
      type: 'state',
      state,
      ...(message === undefined ? {} : { message }),
      ...(set.error ? { error: set.error } : {}),
    };
    const r = await this.#writer.submit({
      op: 'update',
      tenant,
      id,
      guard: { states: ACTIVE },
      set: { ...set, state, owner: null, leaseUntil: null },
      events: [event],
      at: Date.now(),
    });
    const live = this.#live.get(sessionKeyString(tenant, id));
    if (!r.ok) return undefined;
    if (state === 'completed') this.#stats.completed++;
    else this.#stats.failed++;
    if (live) {
      const held = live.held;
      if (held && !held.done) {
        this.#letGo(live, held);
        held.controller.abort(
          new SwiftletError(
            set.error ? 'SWIFTLET_ERR_DEADLINE_EXCEEDED' : 'SWIFTLET_ERR_ABORTED',
            `task ${id} ${state}${message ? `: ${message}` : ''}`,
          ),
        );
      }
      Object.assign(live.task, set, {
        state,
        lastSeq: r.lastSeq!,
        updatedAt: Math.max(live.task.updatedAt, Date.now()),
      });
      delete live.task.leaseUntil;
      this.#ended(live);
      return { ...live.task };
    }
    this.#changed({ tenant, id });
    return this.tasks.get(tenant, id);
  }

  /**
   * Puts a claimed task back in its queue for attempt + 1, or fails it when its attempts are used up. The guard names
   * the claim being undone, so two processes cannot both requeue it.
   */
  async #requeue(t: TaskRecord, guard: TaskGuard, why: string): Promise<void> {
    const exhausted = t.attempt >= t.maxAttempts;
    const error = {
      code: 'SWIFTLET_ERR_ATTEMPTS_EXHAUSTED',
      message: `claimed ${t.attempt} times without finishing (last: ${why})`,
    };
    const state: TaskState = exhausted ? 'failed' : 'submitted';
    const r = await this.#writer.submit({
      op: 'update',
      tenant: t.tenant,
      id: t.id,
      guard,
      set: { state, owner: null, leaseUntil: null, ...(exhausted ? { error } : {}) },
      events: [{ type: 'state', state, message: why, ...(exhausted ? { error } : {}) }],
      at: Date.now(),
    });
    const live = this.#track(t);
    if (!r.ok) {
      this.#forget(live);
      return;
    }
    Object.assign(live.task, { state, lastSeq: r.lastSeq! }, exhausted ? { error } : {});
    delete live.task.leaseUntil;
    if (exhausted) {
      this.#stats.failed++;
      this.#ended(live);
    } else {
      this.#notify(live.task);
      this.#enqueue(live);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Leases, deadlines, cancel

  /** Lapses the claims whose lease passed; renews in the store the ones whose consumer renewed them here. */
  #checkLeases(): void {
    const now = Date.now();
    for (const live of this.#live.values()) {
      const held = live.held;
      if (!held || held.done) continue;
      if (held.leaseUntil < now) {
        this.#letGo(live, held);
        held.controller.abort(notHeld(live.task.id, 'its lease lapsed'));
        void this.#requeue(
          live.task,
          { states: ['working'], attempt: held.attempt, owner: this.#o.instanceId },
          'lease lapsed',
        ).catch(this.#onError);
      } else if (held.leaseUntil > held.storedLease && held.storedLease - now < this.#o.leaseMs / 2) {
        held.storedLease = held.leaseUntil;
        void this.#writer.submit(this.#heldWrite(live.task, held, { leaseUntil: held.leaseUntil }, [])).then((r) => {
          if (!r.ok) this.#lost(live, held);
        }, this.#onError);
      }
    }
  }

  async #expire(t: TaskRecord): Promise<void> {
    if (this.#closed) return;
    const error = { code: 'SWIFTLET_ERR_DEADLINE_EXCEEDED', message: 'deadline_exceeded' };
    await this.#end(t.tenant, t.id, 'failed', { error }, 'deadline exceeded').catch(this.#onError);
  }

  async cancel(tenant: string, id: string, reason?: string): Promise<TaskRecord | undefined> {
    this.#open();
    const ended = await this.#end(tenant, id, 'canceled', {}, reason ?? 'canceled');
    const task = ended ?? (await this.tasks.get(tenant, id));
    if (task && ended && 'broadcast' in task.target) {
      for (const child of await this.tasks.children(tenant, id)) {
        if (!isTerminal(child.state)) await this.#end(tenant, child.id, 'canceled', {}, 'its broadcast was canceled');
      }
    }
    return task;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Subscriptions

  subscribe(spec: SubscriberSpec, handler: TaskHandler): Subscription {
    this.#open();
    const sub: Sub = {
      spec,
      handler,
      targets: [agentTarget(spec.agent), ...(spec.skills ?? []).map(skillTarget)],
      capacity: spec.concurrency ?? 1,
      held: 0,
      closed: false,
      live: new Set(),
    };
    for (const target of sub.targets) {
      let list = this.#subs.get(target);
      if (!list) this.#subs.set(target, (list = []));
      list.push(sub);
      if (this.#transport && !this.#listeners.has(target)) {
        this.#listeners.set(
          target,
          this.#transport.listen(target, (offer) => this.#offered(target, offer)),
        );
      }
    }
    queueMicrotask(() => {
      this.#feed(sub);
      if (this.#transport) this.#wantOffers();
    });
    return { close: () => this.#unsubscribe(sub) };
  }

  async #unsubscribe(sub: Sub): Promise<void> {
    if (sub.closed) return;
    sub.closed = true;
    for (const target of sub.targets) {
      const list = this.#subs.get(target)?.filter((s) => s !== sub) ?? [];
      if (list.length) this.#subs.set(target, list);
      else {
        this.#subs.delete(target);
        this.#stopListening(target);
      }
    }
    const releasing: Promise<void>[] = [];
    for (const live of [...sub.live]) {
      const held = live.held;
      if (!held || held.done) continue;
      this.#letGo(live, held);
      held.controller.abort(new SwiftletError('SWIFTLET_ERR_SHUTTING_DOWN', 'the consumer unsubscribed'));
      releasing.push(
        this.#requeue(live.task, { states: ['working'], attempt: held.attempt, owner: this.#o.instanceId }, 'released'),
      );
    }
    await Promise.all(releasing);
  }

  /** Nobody here takes a target's tasks any more: its offers queued here go back, to be offered elsewhere at once. */
  #stopListening(target: string): void {
    const listener = this.#listeners.get(target);
    if (!listener) return;
    listener.close();
    this.#listeners.delete(target);
    for (const live of this.#queues.take(target)) {
      live.queue = undefined;
      live.offer?.nak();
      live.offer = undefined;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Watching

  watch(tenant: string, id: string, options?: WatchOptions): AsyncIterable<TaskEvent> {
    return this.#watchers.watch(tenant, id, options);
  }

  #notify(t: TaskRecord): void {
    this.#changed(
      t.parentId === undefined ? { tenant: t.tenant, id: t.id } : { tenant: t.tenant, id: t.id, parentId: t.parentId },
    );
  }

  #changed(c: TaskChanged): void {
    this.#watchers.notify(c.tenant, c.id);
    this.#transport?.changed(c);
  }

  /** Another instance changed a task: wake its watchers here, and check the task if this process holds or tracks it. */
  #remoteChange(c: TaskChanged): void {
    this.#watchers.notify(c.tenant, c.id);
    const live = this.#live.get(sessionKeyString(c.tenant, c.id));
    if (live) void this.#recheck(live).catch(this.#onError);
    if (c.parentId !== undefined) {
      const parent = this.#live.get(sessionKeyString(c.tenant, c.parentId));
      if (parent && 'broadcast' in parent.task.target) void this.#settleBroadcast(parent.task).catch(this.#onError);
    }
  }

  async #recheck(live: Live): Promise<void> {
    const t = await this.tasks.get(live.task.tenant, live.task.id);
    if (!t || this.#live.get(sessionKeyString(t.tenant, t.id)) !== live) return;
    const held = live.held;
    if (held && !held.done) {
      if (t.state === 'working' && t.attempt === held.attempt) return;
      if (!isTerminal(t.state)) return void this.#lost(live, held);
    } else if (t.state === 'submitted') {
      if (t.lastSeq > live.task.lastSeq) Object.assign(live.task, t);
      return;
    } else if (!isTerminal(t.state)) {
      // Claimed by another instance: it is that one's to track now.
      return this.#forget(live);
    }
    this.#endedElsewhere(live, t);
  }

  /** Another process ended a task this one tracks: its consumer here (if any) is aborted. */
  #endedElsewhere(live: Live, t: TaskRecord): void {
    const held = live.held;
    if (held && !held.done) {
      this.#letGo(live, held);
      held.controller.abort(new SwiftletError('SWIFTLET_ERR_ABORTED', `task ${t.id} ${t.state}`));
    }
    live.task = t;
    this.#ended(live);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The sweep: what other processes did

  sweep(): Promise<void> {
    this.#sweeping ??= this.#sweep()
      .catch(this.#onError)
      .finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  async #sweep(): Promise<void> {
    if (this.#closed) return;
    const now = Date.now();
    const seen = new Set<string>();
    // With a transport, every so often: the waiting tasks, for a re-offer of those whose offers were lost.
    const reoffer = this.#transport !== undefined && now - this.#lastReoffer >= Math.min(this.#o.republishMs, 5000);
    const waiting: TaskRecord[] = [];
    let after = '';
    for (;;) {
      const page = await this.tasks.active(after, 1000);
      for (const t of page) {
        const key = sessionKeyString(t.tenant, t.id);
        seen.add(key);
        await this.#reconcile(key, t, now);
        const known = this.#live.get(key)?.task ?? t;
        if (reoffer && known.state === 'submitted' && !this.#offering.has(key)) waiting.push(known);
      }
      if (page.length < 1000) break;
      after = page[page.length - 1]!.id;
    }
    if (reoffer) {
      // Offers the transport lost (a purged stream, a NATS server that lost its last writes) are sent again.
      this.#lastReoffer = now;
      await this.#transport!.reoffer(waiting, now - this.#o.republishMs);
    }
    // Tracked tasks the store no longer has unfinished: ended by another process (a cancel from the CLI).
    for (const [key, live] of this.#live) {
      if (seen.has(key) || live.task.createdAt > now) continue;
      const t = await this.tasks.get(live.task.tenant, live.task.id);
      if (!t || !isTerminal(t.state) || this.#live.get(key) !== live) continue;
      this.#endedElsewhere(live, t);
    }
  }

  async #reconcile(key: string, t: TaskRecord, now: number): Promise<void> {
    const live = this.#live.get(key);
    if (t.deadline !== undefined && t.deadline <= now) return void (await this.#expire(t));
    if ('broadcast' in t.target) {
      this.#track(t);
      return this.#settleBroadcast(t);
    }
    if (live) {
      const held = live.held;
      if (held && !held.done && (t.state !== 'working' || t.attempt !== held.attempt)) this.#lost(live, held);
      return;
    }
    if (t.state === 'submitted') {
      if (t.attempt >= t.maxAttempts) return this.#requeue(t, { states: ['submitted'], attempt: t.attempt }, 'swept');
      // With a transport, a waiting task reaches its consumer as an offer (the re-offer above, if it was lost).
      if (!this.#transport) this.#enqueue(this.#track(t));
    } else if (t.state === 'working' && t.leaseUntil !== undefined && t.leaseUntil < now) {
      await this.#requeue(t, { states: ['working'], attempt: t.attempt, leaseBefore: now }, 'lease lapsed');
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#leaseTimer);
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    await this.#sweeping;
    const subs = new Set<Sub>();
    for (const list of this.#subs.values()) for (const s of list) subs.add(s);
    await Promise.all([...subs].map((s) => this.#unsubscribe(s)));
    this.#closed = true;
    for (const target of [...this.#listeners.keys()]) this.#stopListening(target);
    for (const live of this.#live.values()) if (live.deadlineTimer) clearTimeout(live.deadlineTimer);
    this.#live.clear();
    this.#queues.clear();
    await this.#writer.drain();
    await Promise.all(this.#sending);
    await this.#transport?.close();
    this.#watchers.wakeAll();
  }

  #open(): void {
    if (this.#closed) throw new SwiftletError('SWIFTLET_ERR_SHUTTING_DOWN', 'the task bus is closed');
  }
}

function targetAgent(t: TaskRecord): string {
  return 'agent' in t.target ? t.target.agent : '';
}

function inScope(sub: Sub, tenant: string): boolean {
  return sub.spec.scope === ALL_TENANTS || sub.spec.scope === tenant;
}
