// What `swiftlet bench` loads (lazily, when the command runs).
import type { BenchModule } from '../src/cli/commands/bench.js';
import { memoryProbe, PROBE_ENV, type MemoryProbeArgs } from './memory.js';
import { progressLine, renderTable } from './report.js';
import { runTurnBench } from './turn.js';

export { runTurnBench, type TurnBenchOptions, type TurnBenchResult } from './turn.js';
export { memoryProbe, type MemoryResult } from './memory.js';
export { summarize, quantile, spread } from './stats.js';

const bench: BenchModule = {
  probeEnv: PROBE_ENV,
  probe: (input) => memoryProbe(JSON.parse(input) as MemoryProbeArgs),
  async turn(options, onProgress) {
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
};

export default bench;
