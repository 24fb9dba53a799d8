// What `swiftlet bench` loads (lazily, when the command runs). Each scenario and helper role is imported only when it
// runs, so that a helper process (the HTTP floor, the load generator) carries none of the others' code.
import type { BenchModule, BenchOutcome } from '../src/cli/commands/bench.js';
import { CHILD_ENV, PROBE_ENV, type ChildSpec } from './roles.js';

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
    const raw = env[CHILD_ENV];
    if (raw === undefined) return false;
    const spec = JSON.parse(raw) as ChildSpec;
    if (spec.role === 'http-floor') await (await import('./baselines/http-floor.js')).runHttpFloor(spec.args);
    else await (await import('./http/loadgen.js')).runLoadgen(spec.args);
    return true;
  },

  async turn(options, onProgress) {
    const [{ runTurnBench }, { progressLine, renderTable }] = await Promise.all([
      import('./turn.js'),
      import('./report.js'),
    ]);
    const result = await runTurnBench({
      ...options,
      ...(onProgress ? { onProgress: (p) => onProgress(progressLine(p)) } : {}),
    });
    return {
      json: result,
      table: renderTable(result),
      complete: Object.values(result.contenders).every((c) => c.completed === c.offered),
    };
  },

  async http(options, onProgress): Promise<BenchOutcome> {
    const [{ runHttpBench }, { renderHttp }] = await Promise.all([
      import('./http/scenario.js'),
      import('./http/report.js'),
    ]);
    const result = await runHttpBench({ ...options, ...(onProgress ? { onProgress } : {}) });
    return {
      json: result,
      table: renderHttp(result),
      // At the low fixed rate every request must complete; past a knee, failures are the measurement.
      complete: Object.values(result.overhead.targets).every((t) => t.errors === 0),
    };
  },

  async startup(options, onProgress): Promise<BenchOutcome> {
    const [{ runStartupBench }, { renderStartup }] = await Promise.all([
      import('./startup.js'),
      import('./startup-report.js'),
    ]);
    const result = await runStartupBench({ ...options, ...(onProgress ? { onProgress } : {}) });
    return { json: result, table: renderStartup(result), complete: true };
  },
};

export default bench;
