// Raw NATS JetStream, the baseline of the bus on NATS: the same number of tasks, the same window of published and
// not yet completed ones, through one work-queue stream and a durable pull consumer per target, with the same client
// library. A "task" here is a message published (awaiting its PubAck), fetched, and acknowledged: no store, no
// records, no routing. Completed = acknowledged by the consumer.
import { BROKER_CONSTANTS as K, type JetStreamFigures, type LoadParams } from './types.js';
import type { Progress } from './load.js';
import { agentNames } from './load.js';

export async function runJetStream(
  url: string,
  stream: string,
  p: LoadParams,
  report: Progress,
): Promise<JetStreamFigures> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstream, jetstreamManager, AckPolicy, RetentionPolicy, StorageType } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => undefined);
    await jsm.streams.add({
      name: stream,
      subjects: [`${stream}.q.>`],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
    });
    const js = jetstream(nc);
    const targets = agentNames(p.subscribers);
    const total = p.warmupTasks + p.tasks;
    const seen = new Uint8Array(total);
    let published = 0;
    let acked = 0;
    let duplicates = 0;
    let errors = 0;
    let phaseEnd = 0;
    let lastDone = 0;
    let wake: (() => void) | undefined;
    const pump = (): void => {
      while (published < phaseEnd && published - acked < K.maxOutstanding) {
        const i = published++;
        js.publish(`${stream}.q.bench.agent.${targets[i % targets.length]!}`, String(i), { msgID: `m${i}` }).catch(
          () => {
            errors++;
            acked++;
          },
        );
      }
    };
    const consumers = [];
    for (const name of targets) {
      await jsm.consumers.add(stream, {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        filter_subject: `${stream}.q.bench.agent.${name}`,
      });
      const c = await js.consumers.get(stream, name);
      // As the bus's subscribers hold `concurrency` tasks each, each consumer keeps that many and a few more fetched.
      const messages = await c.consume({ max_messages: p.concurrency + 32 });
      consumers.push(messages);
      void (async () => {
        for await (const m of messages) {
          const i = Number(m.string());
          if (seen[i]) duplicates++;
          seen[i] = 1;
          m.ack();
          acked++;
          lastDone = performance.now();
          if (acked >= phaseEnd) wake?.();
          pump();
        }
      })();
    }
    const phase = async (end: number, label: string): Promise<void> => {
      phaseEnd = end;
      pump();
      const stallAt = () => performance.now() + K.stallMs;
      let stall = stallAt();
      let last = acked;
      while (acked < end) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 250);
        });
        report(`jetstream ${label} ${acked}/${total}`);
        if (acked !== last) {
          last = acked;
          stall = stallAt();
        } else if (performance.now() > stall) throw new Error(`stalled: ${acked}/${total} messages acknowledged`);
      }
    };
    await phase(p.warmupTasks, 'warm-up');
    const before = acked;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await phase(total, 'measured');
    const cpuUse = process.cpuUsage(cpu0);
    const done = acked - before;
    const wallMs = lastDone - t0;
    for (const m of consumers) await m.close();
    await jsm.streams.delete(stream).catch(() => undefined);
    return {
      kind: 'jetstream',
      tasks: p.tasks,
      wallMs,
      perSec: (done * 1000) / wallMs,
      cpuUsPerTask: (cpuUse.user + cpuUse.system) / done,
      acked: done,
      duplicates,
      errors,
    };
  } finally {
    await nc.close();
  }
}
