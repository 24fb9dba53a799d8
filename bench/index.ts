// What `swiftlet bench` loads (lazily, when the command runs). Each scenario and helper role is imported only when it
// runs, so that a helper process (the HTTP floor, the load generator) carries none of the others' code.
import type { BenchModule, BenchOutcome } from '../src/cli/commands/bench.js';
import { BROKER_CHILD_ENV, CHILD_ENV, CONCURRENCY_CHILD_ENV, PROBE_ENV, type ChildSpec } from './roles.js';

export type { TurnBenchOptions, TurnBenchResult } from './turn.js';
export type { HttpBenchOptions, HttpBenchResult } from './http/scenario.js';
export type { StartupBenchOptions, StartupBenchResult } from './startup.js';
export type { MemoryResult } from './memory.js';

const bench: BenchModule = {
  async child(env, stdout) {
    const probe = env[PROBE_ENV];
    if (probe !== undefined) {
      const { memoryProbe } = await import('./memory.js');
      stdout.write(JSON.stringify(await memoryProbe(JSON.parse(probe) as Parameters<typeof memoryProbe>[0])) + '\n');
      return true;
    }
    const concurrency = env[CONCURRENCY_CHILD_ENV];
    if (concurrency !== undefined) {
      await (await import('./concurrency/child.js')).runConcurrencyChild(concurrency, stdout);
      return true;
    }
    const broker = env[BROKER_CHILD_ENV];
    if (broker !== undefined) {
      await (await import('./broker/child.js')).runBrokerChild(broker, stdout);
      return true;
    }
    const raw = env[CHILD_ENV];
    if (raw === undefined) return false;
    const spec = JSON.parse(raw) as ChildSpec;
    if (spec.role === 'http-floor') await (await import('./baselines/http-floor.js')).runHttpFloor(spec.args);
    else await (await import('./http/loadgen.js')).runLoadgen(spec.args);
    return true;
  },

  async run(spec, onProgress): Promise<BenchOutcome> {
    const progress = onProgress ? { onProgress } : {};
    switch (spec.scenario) {
      case 'turn': {
        const [{ runTurnBench }, { progressLine, renderTable }] = await Promise.all([
          import('./turn.js'),
          import('./report.js'),
        ]);
        const result = await runTurnBench({
          ...spec.options,
          ...(onProgress ? { onProgress: (p) => onProgress(progressLine(p)) } : {}),
        });
        return {
          json: result,
          table: renderTable(result),
          complete: Object.values(result.contenders).every((c) => c.completed === c.offered),
        };
      }
      case 'http': {
        const [{ runHttpBench }, { renderHttp }] = await Promise.all([
          import('./http/scenario.js'),
          import('./http/report.js'),
        ]);
        const result = await runHttpBench({ ...spec.options, ...progress });
        return {
          json: result,
          table: renderHttp(result),
          // At the low fixed rate every request must complete; past a knee, failures are the measurement.
          complete: Object.values(result.overhead.targets).every((t) => t.errors === 0),
        };
      }
      case 'concurrency': {
        const { runConcurrencyBench } = await import('./concurrency/scenario.js');
        return runConcurrencyBench({ ...spec.options, ...progress });
      }
      case 'sessions': {
        const { runSessionsBench } = await import('./sessions/scenario.js');
        return runSessionsBench({ ...spec.options, ...progress });
      }
      case 'startup': {
        const [{ runStartupBench }, { renderStartup }] = await Promise.all([
          import('./startup.js'),
          import('./startup-report.js'),
        ]);
        const result = await runStartupBench({ ...spec.options, ...progress });
        return { json: result, table: renderStartup(result), complete: true };
      }
      case 'writes': {
        const { runWritesBench } = await import('./writes.js');
        return runWritesBench({ ...spec.options, ...progress });
      }
      case 'broker': {
        const { runBrokerBench } = await import('./broker/scenario.js');
        return runBrokerBench({ ...spec.options, ...progress });
      }
    }
  },
};

export default bench;
