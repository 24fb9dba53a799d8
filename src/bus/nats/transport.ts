import { createHash } from 'node:crypto';
import type { NatsConnection, Subscription as NatsSubscription } from '@nats-io/nats-core';
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { SwiftletError, importOptional, type TaskRecord } from '../../core/index.js';
import type { TaskStore } from '../../store/index.js';
import { targetKeyOf } from '../records.js';
import type { TaskChanged, TaskOffer, TaskTransport, TransportListener } from '../transport.js';

// The NATS JetStream transport. One work-queue stream holds an offer per waiting task, on the subject
// `<stream>.q.<tenant>.<agent|skill>.<name>`; each target has one durable pull consumer, shared by every instance, so
// instances compete for its offers and an offer a consumer fetched but never acked is offered again after the ack
// wait. The offer's message id is `<tenant>:<id>:<attempt>`, so an offer sent twice is stored once. Changes go to
// every instance as core NATS messages on `<stream>.changed`. NATS is never the only holder of a task: the store is.

export interface NatsTransportOptions {
  /** `nats://host:port` (several, comma-separated). */
  url: string;
  /** The JetStream stream's name, also the first token of its subjects (default SWIFTLET_TASKS). */
  stream: string;
  /** This instance (the store's instanceId), so that it skips its own change messages. */
  instanceId: string;
  /** For offers too large to carry their record (the record is read at the consumer). */
  tasks: TaskStore;
  onError: (err: unknown) => void;
}

/** How long an offer a consumer fetched may stay unacked before it is offered again (to any instance). */
const ACK_WAIT_MS = 10_000;
/** A fetch waits this long for offers before the next one (the server's minimum is 1 s). */
const FETCH_EXPIRES_MS = 5_000;
/** The size of a queue's stream count is read at most this often; publishes in between are counted here. */
const COUNT_TTL_MS = 250;
/** Records larger than this travel as a reference and are read from the store by the consumer. */
const INLINE_BYTES = 64 * 1024;

interface Wire {
  task?: TaskRecord;
  ref?: { tenant: string; id: string };
}

/** The changes of one turn of the event loop, in one message. */
interface ChangeWire {
  from: string;
  changes: TaskChanged[];
}

export class NatsTransport implements TaskTransport {
  readonly kind = 'nats';
  #nc: NatsConnection;
  #js: JetStreamClient;
  #jsm: JetStreamManager;
  #o: NatsTransportOptions;
  #stream: string;
  #ready: Promise<void> | undefined;
  #counts = new Map<string, { n: number; at: number; reading: Promise<number> | undefined }>();
  #changes: NatsSubscription;
  #changeHandlers: ((c: TaskChanged) => void)[] = [];
  /** Changes told in this turn of the event loop, sent together at its end. */
  #outbox: TaskChanged[] = [];
  #listeners = new Set<Listener>();
  #closed = false;
  /** False while the client reconnects: counts and offers are not waited for then (the store has the tasks). */
  #connected = true;
  /** An offer could not be sent: the next re-offer sends every waiting task of a short queue, however new. */
  #missed = false;

  private constructor(nc: NatsConnection, js: JetStreamClient, jsm: JetStreamManager, o: NatsTransportOptions) {
    this.#nc = nc;
    this.#js = js;
    this.#jsm = jsm;
    this.#o = o;
    this.#stream = o.stream;
    this.#changes = nc.subscribe(`${o.stream}.changed`, {
      callback: (err, msg) => {
        if (err) return this.#o.onError(err);
        let c: ChangeWire;
        try {
          c = msg.json<ChangeWire>();
        } catch (e) {
          return this.#o.onError(e);
        }
        if (c.from === this.#o.instanceId || !Array.isArray(c.changes)) return;
        for (const x of c.changes) {
          const change: TaskChanged = { tenant: x.tenant, id: x.id };
          if (x.parentId !== undefined) change.parentId = x.parentId;
          for (const h of this.#changeHandlers) h(change);
        }
      },
    });
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this.#connected = false;
        else if (s.type === 'reconnect') this.#connected = true;
      }
    })().catch(() => undefined);
  }

  /** Connects, and makes the stream when it is missing. */
  static async connect(o: NatsTransportOptions): Promise<NatsTransport> {
    if (!/^[A-Za-z0-9_-]+$/.test(o.stream)) {
      throw new SwiftletError(
        'SWIFTLET_ERR_CONFIG_INVALID',
        `bus.stream: ${JSON.stringify(o.stream)} is not a valid name`,
      );
    }
    const [{ connect }, { jetstream, jetstreamManager }] = await importOptional(
      () => Promise.all([import('@nats-io/transport-node'), import('@nats-io/jetstream')]),
      ['@nats-io/transport-node', '@nats-io/jetstream'],
      { what: 'the task bus on NATS (bus.driver: nats)', field: 'bus.driver' },
    );
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: o.url.split(',').map((s) => s.trim()),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        name: `swiftlet ${o.instanceId}`,
      });
    } catch (err) {
      throw new SwiftletError(
        'SWIFTLET_ERR_BUS_UNAVAILABLE',
        `bus: cannot connect to NATS at ${o.url}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    try {
      const jsm = await jetstreamManager(nc);
      const t = new NatsTransport(nc, jetstream(nc), jsm, o);
      await t.#ensureStream();
      return t;
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err;
    }
  }

  /** Makes the stream (and, lazily, the consumers) again after NATS lost them (a server restarted without its data). */
  #ensureStream(): Promise<void> {
    this.#ready ??= (async () => {
      const { RetentionPolicy, StorageType, DiscardPolicy } = await import('@nats-io/jetstream');
      const config = {
        name: this.#stream,
        subjects: [`${this.#stream}.q.>`],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        duplicate_window: 120_000_000_000,
      };
      try {
        await this.#jsm.streams.info(this.#stream);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await this.#jsm.streams.add(config);
      }
    })().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  #lost(err: unknown): void {
    if (isNotFound(err)) {
      this.#ready = undefined;
      for (const l of this.#listeners) l.consumer = undefined;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  async admit(task: TaskRecord, limit: number): Promise<number | undefined> {
    const subject = this.#subject(task);
    let c = this.#counts.get(subject);
    if (!c || Date.now() - c.at > COUNT_TTL_MS) {
      if (!c) this.#counts.set(subject, (c = { n: 0, at: 0, reading: undefined }));
      const entry = c;
      if (this.#connected) {
        entry.reading ??= this.#count(subject).finally(() => (entry.reading = undefined));
        // Unreadable (NATS went away meanwhile): the count as last known stands.
        const n = await entry.reading.catch(() => undefined);
        if (n !== undefined && Date.now() - entry.at > COUNT_TTL_MS) Object.assign(entry, { n, at: Date.now() });
      }
    }
    if (c.n >= limit) return c.n;
    c.n++;
    return undefined;
  }

  async #count(subject: string): Promise<number> {
    await this.#ensureStream();
    try {
      const info = await this.#jsm.streams.info(this.#stream, { subjects_filter: subject });
      return info.state.subjects?.[subject] ?? 0;
    } catch (err) {
      this.#lost(err);
      throw err;
    }
  }

  async offer(task: TaskRecord): Promise<void> {
    await this.#publish(task, `${task.tenant}:${task.id}:${task.attempt}`);
  }

  async #publish(task: TaskRecord, msgID: string): Promise<void> {
    if (this.#closed) return;
    if (!this.#connected) {
      this.#missed = true;
      return;
    }
    const inline = JSON.stringify({ task } satisfies Wire);
    const body = inline.length <= INLINE_BYTES ? inline : JSON.stringify({ ref: { tenant: task.tenant, id: task.id } });
    try {
      await this.#ensureStream();
      await this.#js.publish(this.#subject(task), body, { msgID });
    } catch (err) {
      this.#missed = true;
      this.#lost(err);
      throw err;
    }
  }

  async reoffer(waiting: readonly TaskRecord[], before: number): Promise<number> {
    if (waiting.length === 0 || this.#closed || !this.#connected) return 0;
    await this.#ensureStream();
    // After an offer that failed, the newest waiting tasks may be the ones missing.
    const missed = this.#missed;
    this.#missed = false;
    if (missed) before = Infinity;
    const bySubject = new Map<string, TaskRecord[]>();
    for (const t of waiting) {
      const s = this.#subject(t);
      const list = bySubject.get(s);
      if (list) list.push(t);
      else bySubject.set(s, [t]);
    }
    let info;
    try {
      info = await this.#jsm.streams.info(this.#stream, { subjects_filter: `${this.#stream}.q.>` });
    } catch (err) {
      this.#lost(err);
      throw err;
    }
    const held = info.state.subjects ?? {};
    let sent = 0;
    const now = Date.now();
    for (const [subject, tasks] of bySubject) {
      // Fewer offers than waiting tasks: some were lost (a purge, a server that lost its last writes). Which ones is
      // not known, so all of this queue's are sent again; a copy of an offer still there is dropped at its claim.
      if ((held[subject] ?? 0) >= tasks.length) continue;
      for (const t of tasks) {
        if (t.updatedAt >= before) continue;
        await this.#publish(t, `${t.tenant}:${t.id}:${t.attempt}:${now}`);
        sent++;
      }
    }
    return sent;
  }

  listen(target: string, onOffer: (offer: TaskOffer) => void): TransportListener {
    const l = new Listener(this, target, onOffer);
    this.#listeners.add(l);
    void l.run().finally(() => this.#listeners.delete(l));
    return l;
  }

  /** The durable consumer of a target's offers, made when missing. */
  async consumerFor(target: string) {
    await this.#ensureStream();
    const { AckPolicy, DeliverPolicy } = await import('@nats-io/jetstream');
    const [kind, name] = splitTarget(target);
    const durable = `${kind}_${consumerToken(name)}`;
    try {
      await this.#jsm.consumers.info(this.#stream, durable);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.#jsm.consumers.add(this.#stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: ACK_WAIT_MS * 1_000_000,
        max_deliver: -1,
        max_ack_pending: -1,
        filter_subject: `${this.#stream}.q.*.${kind}.${subjectToken(name)}`,
      });
    }
    return this.#js.consumers.get(this.#stream, durable);
  }

  /** The offer for one fetched message. */
  offerOf(m: JsMsg, task: TaskRecord): TaskOffer {
    return {
      task,
      ack: () => m.ack(),
      nak: (delayMs?: number) => m.nak(delayMs),
    };
  }

  async decode(m: JsMsg): Promise<TaskRecord | undefined> {
    const wire = m.json<Wire>();
    if (wire.task) return wire.task;
    if (wire.ref) return this.#o.tasks.get(wire.ref.tenant, wire.ref.id);
    return undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  onError(err: unknown): void {
    if (!this.#closed) this.#o.onError(err);
  }

  lostResource(err: unknown): void {
    this.#lost(err);
  }

  changed(change: TaskChanged): void {
    if (this.#closed) return;
    this.#outbox.push(change);
    if (this.#outbox.length === 1) setImmediate(() => this.#sendChanges());
  }

  #sendChanges(): void {
    const changes = this.#outbox;
    this.#outbox = [];
    if (this.#closed || changes.length === 0) return;
    try {
      this.#nc.publish(
        `${this.#stream}.changed`,
        JSON.stringify({ from: this.#o.instanceId, changes } satisfies ChangeWire),
      );
    } catch (err) {
      this.#o.onError(err);
    }
  }

  onChanged(handler: (change: TaskChanged) => void): void {
    this.#changeHandlers.push(handler);
  }

  #subject(t: TaskRecord): string {
    const [kind, name] = splitTarget(targetKeyOf(t));
    return `${this.#stream}.q.${subjectToken(t.tenant)}.${kind}.${subjectToken(name)}`;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#sendChanges();
    this.#closed = true;
    for (const l of this.#listeners) l.close();
    this.#changes.unsubscribe();
    await this.#nc.drain().catch(() => this.#nc.close());
  }
}

/** Fetches one target's offers while the bus has room for them. */
class Listener implements TransportListener {
  consumer: Awaited<ReturnType<NatsTransport['consumerFor']>> | undefined;
  #t: NatsTransport;
  #target: string;
  #onOffer: (offer: TaskOffer) => void;
  #credit = 0;
  #wake: (() => void) | undefined;
  #fetch: ConsumerMessages | undefined;
  #closed = false;

  constructor(t: NatsTransport, target: string, onOffer: (offer: TaskOffer) => void) {
    this.#t = t;
    this.#target = target;
    this.#onOffer = onOffer;
  }

  want(n: number): void {
    this.#credit = Math.max(this.#credit, n);
    this.#wake?.();
  }

  close(): void {
    this.#closed = true;
    this.#fetch?.stop();
    this.#wake?.();
  }

  async run(): Promise<void> {
    let backoff = 100;
    while (!this.#closed && !this.#t.closed) {
      if (this.#credit <= 0) {
        await new Promise<void>((r) => (this.#wake = r));
        this.#wake = undefined;
        continue;
      }
      try {
        this.consumer ??= await this.#t.consumerFor(this.#target);
        const n = this.#credit;
        this.#credit = 0;
        const fetch = await this.consumer.fetch({ max_messages: n, expires: FETCH_EXPIRES_MS });
        this.#fetch = fetch;
        let got = 0;
        for await (const m of fetch) {
          got++;
          if (this.#closed) {
            m.nak();
            continue;
          }
          const task = await this.#t.decode(m).catch((err: unknown) => {
            this.#t.onError(err);
            return undefined;
          });
          if (!task) m.ack();
          else this.#onOffer(this.#t.offerOf(m, task));
        }
        this.#fetch = undefined;
        // What the fetch did not fill is still wanted.
        this.#credit = Math.max(this.#credit, n - got);
        backoff = 100;
      } catch (err) {
        this.#fetch = undefined;
        if (this.#closed || this.#t.closed) return;
        this.#t.lostResource(err);
        this.consumer = undefined;
        this.#t.onError(err);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
        this.#credit = Math.max(this.#credit, 1);
      }
    }
  }
}

function splitTarget(target: string): [string, string] {
  const i = target.indexOf(':');
  return [target.slice(0, i), target.slice(i + 1)];
}

/** A name as one subject token: itself when it is plain, else `~` and its base64url (so no two names collide). */
function subjectToken(name: string): string {
  return /^[A-Za-z0-9_-]+$/.test(name) ? name : `~${Buffer.from(name).toString('base64url')}`;
}

/** A name in a consumer's durable name, which allows fewer characters than a subject. */
function consumerToken(name: string): string {
  return /^[A-Za-z0-9_-]+$/.test(name) ? name : `h${createHash('sha256').update(name).digest('hex').slice(0, 24)}`;
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; api_error?: { err_code?: number }; message?: string };
  const code = e?.api_error?.err_code;
  return code === 10059 || code === 10014 || /not found/i.test(e?.message ?? '');
}
