// A child process of `bench:peers`: loads ONE contender, runs ONE workload against the mock, prints its answer as the
// last stdout line and exits. Started by run.ts with its task in CHILD_ENV; nothing else of the runner is loaded, so the
// process's memory and start-up are the contender's own (plus tsx, the workload module and this file).
import { CONTENDERS } from './contenders/index.js';
import type { CreateContender, SessionContender } from './contenders/types.js';
import { CHILD_ENV, type ChildAnswer, type ChildArgs } from './protocol.js';
import { runConcurrency, runSessions, runTurns } from './workloads.js';
import { turnInput } from '../workload.js';

const raw = process.env[CHILD_ENV];
if (raw === undefined) {
  process.stderr.write(`bench/peers/child.ts is started by bench/peers/run.ts (${CHILD_ENV} is not set)\n`);
  process.exit(2);
}
const args = JSON.parse(raw) as ChildArgs;

function answer(a: ChildAnswer<unknown>): Promise<void> {
  return new Promise((done) => process.stdout.write(`${JSON.stringify(a)}\n`, () => done()));
}

let contender: SessionContender | undefined;
try {
  const spec = CONTENDERS[args.contender];
  const { create } = (await import(`./contenders/${spec.module}.js`)) as { create: CreateContender };
  const importedMs = performance.now();
  contender = await create({
    mockUrl: args.mockUrl,
    dir: args.dir,
    store: 'memory',
    durability: 'durable',
    ...('options' in spec ? spec.options : {}),
    ...(args.connections === undefined ? {} : { connections: args.connections }),
    // Heap per session counts sessions held in memory: Swiftlet's hot cache must not evict any of them.
    ...(args.workload === 'sessions' ? { hotCacheMb: 1024 } : {}),
  });
  const createdMs = performance.now();
  switch (args.workload) {
    case 'start': {
      const ok = await contender.turn(args.params.sessionId, turnInput(0));
      if (!ok) throw new Error('the first turn did not end with the scripted answer');
      await answer({ ok: true, result: { importedMs, createdMs, firstTurnMs: performance.now() } });
      break;
    }
    case 'turn':
      await answer({ ok: true, result: await runTurns(contender, args.params) });
      break;
    case 'concurrency':
      await answer({ ok: true, result: await runConcurrency(contender, args.params) });
      break;
    case 'sessions':
      await answer({ ok: true, result: await runSessions(contender, args.params) });
      break;
  }
  await contender.close();
  process.exit(0);
} catch (err) {
  const e = err as Error;
  await answer({ ok: false, error: e.stack ?? String(err) });
  process.exit(1);
}
