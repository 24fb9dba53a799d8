// How a `swiftlet bench` process learns that it is a helper process of a running benchmark rather than the benchmark
// itself: an environment variable carries its role and arguments as JSON. Kept apart from the scenarios so that a
// helper loads only the code of its own role.
import type { HttpFloorArgs } from './baselines/http-floor.js';
import type { LoadgenArgs } from './http/loadgen.js';

/** Set for the memory probe of `turn`; the value is the probe's input. */
export const PROBE_ENV = 'SWIFTLET_BENCH_MEMORY_PROBE';
/** Set for the helper processes of `http`; the value is a JSON `ChildSpec`. */
export const CHILD_ENV = 'SWIFTLET_BENCH_CHILD';

export type ChildSpec = { role: 'http-floor'; args: HttpFloorArgs } | { role: 'loadgen'; args: LoadgenArgs };

/** Set for the helper processes of `concurrency` (bench/concurrency/child.ts reads its value). */
export const CONCURRENCY_CHILD_ENV = 'SWIFTLET_BENCH_CONCURRENCY_CHILD';

/** Set for the helper processes of `broker` (bench/broker/child.ts reads its value). */
export const BROKER_CHILD_ENV = 'SWIFTLET_BENCH_BROKER_CHILD';
