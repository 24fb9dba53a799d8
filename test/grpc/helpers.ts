// A broker on a LocalBus (on a temporary SQLite store) behind the gRPC server, and clients for it written as an
// agent in another language would write them: @grpc/grpc-js and @grpc/proto-loader on the repository's .proto,
// nothing imported from Swiftlet's sources.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import { LocalBus } from '../../src/bus/index.js';
import { newId } from '../../src/core/index.js';
import { sha256Hex } from '../../src/gateway/auth.js';
import { startGrpcServer, type GrpcServer, type GrpcServerOptions } from '../../src/gateway/grpc/index.js';
import type { ApiKeyOptions } from '../../src/gateway/index.js';
import { SqliteStore } from '../../src/store/index.js';

export const PROTO_DIR = fileURLToPath(new URL('../../proto', import.meta.url));
export const PROTO_FILE = join(PROTO_DIR, 'swiftlet/broker/v1/broker.proto');

// What an external client would pass: proto names, int64 as numbers, enums by name, defaults filled in.
const definition = loader.loadSync(PROTO_FILE, {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
});
const pkg = grpc.loadPackageDefinition(definition) as unknown as {
  swiftlet: { broker: { v1: { Broker: typeof grpc.Client } } };
};

/** Every wait in these tests is bounded by this. */
export const WAIT_MS = 10_000;

// The wire shapes, loosely: tests read what they check.
export type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- decoded protobuf messages

export interface KeySpec {
  name: string;
  tenant: string;
  admin?: boolean;
  agents?: string[];
}

export interface Broker {
  bus: LocalBus;
  port: number;
  /** A client authenticating with the key named `key` (none: no authorization metadata). */
  client(key?: string): BrokerClient;
}

export interface BrokerOptions {
  keys?: KeySpec[];
  leaseMs?: number;
  maxQueued?: number;
  grpc?: Partial<GrpcServerOptions>;
}

/** The secret of the key named `name`. */
export const secret = (name: string): string => `secret-${name}-0123456789abcdef`;

export async function startBroker(t: TestContext, o: BrokerOptions = {}): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'swiftlet-grpc-'));
  const store = new SqliteStore({ path: join(dir, `${newId('ses')}.db`) });
  await store.init();
  const bus = new LocalBus({
    store: store.tasks,
    instanceId: store.instanceId,
    sweepMs: 200,
    ...(o.leaseMs === undefined ? {} : { leaseMs: o.leaseMs }),
    ...(o.maxQueued === undefined ? {} : { maxQueued: o.maxQueued }),
  });
  await bus.start();
  const apiKeys: ApiKeyOptions[] = (o.keys ?? []).map((k) => ({
    name: k.name,
    sha256: sha256Hex(secret(k.name)),
    tenant: k.tenant,
    ...(k.admin ? { admin: true } : {}),
    ...(k.agents ? { agents: k.agents } : {}),
  }));
  const clients: grpc.Client[] = [];
  const started: { server?: GrpcServer } = {};
  t.after(async () => {
    for (const c of clients) c.close();
    await started.server?.close();
    await bus.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const server = (started.server = await startGrpcServer({
    bus,
    host: '127.0.0.1',
    port: 0,
    apiKeys,
    ...(o.leaseMs === undefined ? {} : { leaseMs: o.leaseMs }),
    onError: (err) => console.error('broker error', err),
    ...o.grpc,
  }));
  const port = server.port;
  return {
    bus,
    port,
    client: (key) => {
      const c = new BrokerClient(`127.0.0.1:${port}`, key === undefined ? undefined : secret(key));
      clients.push(c.raw);
      return c;
    },
  };
}

/** A gRPC error as the client sees it. */
export type CallError = grpc.ServiceError;

export class BrokerClient {
  readonly raw: grpc.Client;
  #secret: string | undefined;

  constructor(address: string, secretKey: string | undefined, credentials = grpc.credentials.createInsecure()) {
    this.raw = new pkg.swiftlet.broker.v1.Broker(address, credentials);
    this.#secret = secretKey;
  }

  metadata(): grpc.Metadata {
    const m = new grpc.Metadata();
    if (this.#secret !== undefined) m.set('authorization', `Bearer ${this.#secret}`);
    return m;
  }

  /** A unary call, by method name: resolves with the answer, rejects with the ServiceError. */
  call(method: string, request: Msg): Promise<Msg> {
    type Unary = (
      req: Msg,
      md: grpc.Metadata,
      options: grpc.CallOptions,
      callback: (err: grpc.ServiceError | null, res: Msg) => void,
    ) => void;
    const fn = (this.raw as unknown as Record<string, Unary>)[method]!;
    return new Promise((resolve, reject) => {
      fn.call(this.raw, request, this.metadata(), { deadline: Date.now() + WAIT_MS }, (err, res) =>
        err ? reject(err) : resolve(res),
      );
    });
  }

  /** The task's events until the server ends the stream (after a terminal state). */
  watch(taskId: string, afterSeq = 0, tenant = ''): Promise<Msg[]> {
    const stream = (this.raw as unknown as { Watch: (...a: unknown[]) => grpc.ClientReadableStream<Msg> }).Watch(
      { task_id: taskId, after_seq: afterSeq, tenant },
      this.metadata(),
      { deadline: Date.now() + WAIT_MS },
    );
    return new Promise((resolve, reject) => {
      const events: Msg[] = [];
      stream.on('data', (e: Msg) => events.push(e));
      stream.on('error', reject);
      stream.on('end', () => resolve(events));
    });
  }

  /** Opens a Subscribe stream and sends its start message. */
  subscribe(agent: string, skills: string[] = [], maxInFlight = 1): Subscriber {
    const stream = (
      this.raw as unknown as { Subscribe: (m: grpc.Metadata) => grpc.ClientDuplexStream<Msg, Msg> }
    ).Subscribe(this.metadata());
    const sub = new Subscriber(stream);
    stream.write({ start: { agent, skills, max_in_flight: maxInFlight } });
    return sub;
  }
}

/** A Subscribe stream's messages, read in order with a deadline on each wait. */
export class Subscriber {
  readonly stream: grpc.ClientDuplexStream<Msg, Msg>;
  readonly received: Msg[] = [];
  #queue: Msg[] = [];
  #waiters: (() => void)[] = [];
  #ended: Error | undefined;

  constructor(stream: grpc.ClientDuplexStream<Msg, Msg>) {
    this.stream = stream;
    stream.on('data', (m: Msg) => {
      this.received.push(m);
      this.#queue.push(m);
      this.#wake();
    });
    stream.on('error', (err: Error) => {
      this.#ended = err;
      this.#wake();
    });
    stream.on('end', () => {
      this.#ended ??= new Error('the stream ended');
      this.#wake();
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** The next message; rejects when it is not of `kind` ('subscribed', 'assignment', 'cancel', 'ended'). */
  async next(kind?: string, ms = WAIT_MS): Promise<Msg> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.#queue.shift();
      if (m) {
        if (kind !== undefined && m.message !== kind) {
          throw new Error(`expected ${kind}, got ${String(m.message)}: ${JSON.stringify(m)}`);
        }
        return m[m.message as string] as Msg;
      }
      if (this.#ended) throw this.#ended;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${kind ?? 'a message'}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The error the server ended the stream with. */
  async error(ms = WAIT_MS): Promise<CallError> {
    let m: Msg;
    try {
      m = await this.next(undefined, ms);
    } catch (err) {
      if ((err as CallError).code !== undefined) return err as CallError;
      throw err;
    }
    throw new Error(`expected the stream to fail, got ${JSON.stringify(m)}`);
  }

  ack(taskId: string): void {
    this.stream.write({ ack: { task_id: taskId } });
  }

  nack(taskId: string, reason = ''): void {
    this.stream.write({ nack: { task_id: taskId, reason } });
  }

  /** A report on the stream itself: `progress`, `complete` or `fail` (the last two answered by an `ended`). */
  report(kind: 'progress' | 'complete' | 'fail', body: Msg): void {
    this.stream.write({ [kind]: body });
  }

  close(): void {
    this.stream.cancel();
  }
}

/** Rejects unless `p` rejects with gRPC status `code`; resolves with the error. */
export async function failsWith(p: Promise<unknown>, code: grpc.status): Promise<CallError> {
  try {
    await p;
  } catch (err) {
    const e = err as CallError;
    if (e.code === code) return e;
    throw new Error(`expected status ${grpc.status[code]}, got ${String(e.code)}: ${e.message}`);
  }
  throw new Error(`expected status ${grpc.status[code]}, got an answer`);
}

export { grpc };
