// The broker over gRPC on loopback: the bus and its gRPC server in the bus's process, its consumers in another, as an
// external agent would be: @grpc/grpc-js and @grpc/proto-loader on the repository's .proto, a Subscribe stream per
// target holding `concurrency` tasks, each completed as soon as it arrives by a `complete` on the stream. The measurement in the bus's
// process sees a task claimed and completed when the store commits those states (the writes the bus makes for the
// remote consumer), so its timestamps are taken on the publisher's clock, as in process.
import { createHash, randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import type { Client as GrpcClient, ClientDuplexStream, Metadata } from '@grpc/grpc-js';
import type { TaskBus } from '../../src/bus/index.js';
import type { TaskWrite, TaskWriteResult } from '../../src/store/index.js';
import { currentCli, spawnCli } from '../child.js';
import { BROKER_CHILD_ENV } from '../roles.js';
import { agentNames, type Consumers } from './load.js';
import { BENCH_TENANT, type BrokerChildSpec, type LoadParams } from './types.js';

/** Told of every committed task write of the bus's store (bench/broker/child.ts instruments it). */
export type WriteObserver = (writes: readonly TaskWrite[], results: readonly TaskWriteResult[]) => void;

/** Consumers over gRPC: a gRPC server on the bus, and a consumer process subscribed to every target. */
export function grpcConsumers(bus: TaskBus, p: LoadParams, observe: (o: WriteObserver | undefined) => void): Consumers {
  let server: { port: number; close(): Promise<void> } | undefined;
  let child: ChildProcess | undefined;
  return {
    async start(events) {
      const index = new Map<string, number>();
      observe((writes, results) => {
        writes.forEach((w, k) => {
          if (!results[k]!.ok) return;
          if (w.op === 'create') index.set(w.task.id, w.task.input.data as number);
          else if (w.set.state === 'working') {
            const i = index.get(w.id);
            if (i !== undefined) events.claimed(i);
          } else if (w.set.state === 'completed') {
            const i = index.get(w.id);
            if (i !== undefined) {
              index.delete(w.id);
              events.completed(i);
            }
          } else if (w.set.state === 'failed') events.failed(new Error(`task ${w.id} failed`));
        });
      });
      const { startGrpcServer } = await import('../../src/gateway/grpc/index.js');
      // A key of the benchmark's tenant: a keyless server's callers are all tenant `local`.
      const secret = randomBytes(16).toString('hex');
      server = await startGrpcServer({
        bus,
        host: '127.0.0.1',
        port: 0,
        apiKeys: [{ name: 'bench', sha256: createHash('sha256').update(secret).digest('hex'), tenant: BENCH_TENANT }],
        maxInFlight: Math.max(256, p.concurrency),
        onError: (err) => events.failed(err),
      });
      const spec: BrokerChildSpec = {
        role: 'grpcConsumer',
        address: `127.0.0.1:${server.port}`,
        key: secret,
        agents: agentNames(p.subscribers),
        concurrency: p.concurrency,
      };
      // `--cpu-prof` profiles the consumer's process too.
      const prof = process.execArgv.flatMap((a, i, all) =>
        a === '--cpu-prof'
          ? [a]
          : a === '--cpu-prof-dir'
            ? [a, all[i + 1]!]
            : a.startsWith('--cpu-prof-dir=')
              ? [a]
              : [],
      );
      const c = spawnCli(currentCli(), ['bench', 'broker-child'], {
        nodeFlags: prof,
        env: { ...process.env, [BROKER_CHILD_ENV]: JSON.stringify(spec) },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      child = c;
      await new Promise<void>((resolve, reject) => {
        const lines = createInterface({ input: c.stdout! });
        lines.on('line', (line) => {
          if (line.includes('"ready"')) resolve();
        });
        c.once('exit', (code) => reject(new Error(`the gRPC consumer process exited (code ${code})`)));
      });
    },
    async stop() {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child!.once('exit', r));
        child.stdin!.end(); // it closes its streams and exits
        await exited;
      }
      observe(undefined);
      await server?.close();
    },
  };
}

/** The consumer process: a Subscribe stream per agent; every assignment completed at once. */
export async function runGrpcConsumer(
  address: string,
  key: string,
  agents: readonly string[],
  concurrency: number,
): Promise<void> {
  const grpc = await import('@grpc/grpc-js');
  const loader = await import('@grpc/proto-loader');
  const { BROKER_PROTO, protoRoot } = await import('../../src/gateway/grpc/index.js');
  const root = protoRoot();
  const definition = loader.loadSync(`${root}/${BROKER_PROTO}`, {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [root],
  });
  type Msg = Record<string, unknown>;
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    swiftlet: { broker: { v1: { Broker: typeof GrpcClient } } };
  };
  const client = new pkg.swiftlet.broker.v1.Broker(address, grpc.credentials.createInsecure()) as unknown as {
    Subscribe(metadata: Metadata): ClientDuplexStream<Msg, Msg>;
    close(): void;
  };
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  let subscribed = 0;
  const streams = agents.map((agent) => {
    const stream = client.Subscribe(metadata);
    stream.on('data', (m: Msg) => {
      if (m.message === 'subscribed') {
        if (++subscribed === agents.length) process.stdout.write('{"event":"ready"}\n');
      } else if (m.message === 'assignment') {
        const task = (m.assignment as { task: { id: string } }).task;
        // Completed on the stream itself (a report, so it acknowledges the assignment too), answered by `ended`.
        stream.write({ complete: { task_id: task.id, message: 'done' } });
      } else if (m.message === 'ended') {
        const ended = m.ended as { task_id: string; error: { message: string } | null };
        if (ended.error) process.stderr.write(`complete ${ended.task_id} refused: ${ended.error.message}\n`);
      }
    });
    stream.on('error', () => undefined);
    stream.write({ start: { agent, max_in_flight: concurrency } });
    return stream;
  });
  // The measurement ends by closing this process's stdin.
  process.stdin.resume();
  await new Promise<void>((r) => process.stdin.once('end', r));
  for (const s of streams) s.end();
  client.close();
}
