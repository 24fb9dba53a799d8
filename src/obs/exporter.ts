import type * as PromClient from 'prom-client';
import type { Described } from './metrics.js';
import type { ScrapeSample } from './sample.js';

type Prom = typeof PromClient;
type Registry = PromClient.Registry;

/** The shape prom-client's Registry reads from what it holds: a name, and values at scrape time. */
interface Collected {
  name: string;
  help: string;
  type: string;
  aggregator: 'sum';
  values: { metricName?: string; labels: Record<string, string | number>; value: number }[];
}

/**
 * A Swiftlet-kept metric shown through prom-client. The Registry only calls `get()` on what it holds (we never
 * reset it), but its parameter type names the four built-in classes, hence the one cast in `buildRegistry`.
 */
function adapt(d: Described): { name: string; get(): Promise<Collected> } {
  return {
    name: d.name,
    get: () => {
      const values: Collected['values'] = [];
      if (d.type === 'histogram') {
        for (const { labels, cell } of d.series) {
          let cumulative = 0;
          for (let i = 0; i < cell.bounds.length; i++) {
            cumulative += cell.counts[i]!;
            values.push({
              metricName: `${d.name}_bucket`,
              labels: { ...labels, le: cell.bounds[i]! },
              value: cumulative,
            });
          }
          values.push({ metricName: `${d.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cell.count });
          values.push({ metricName: `${d.name}_sum`, labels, value: cell.sum });
          values.push({ metricName: `${d.name}_count`, labels, value: cell.count });
        }
      } else {
        for (const { labels, cell } of d.series) values.push({ labels, value: cell.value });
      }
      return Promise.resolve({ name: d.name, help: d.help, type: d.type, aggregator: 'sum', values });
    },
  };
}

/** A value read from the scrape sample. */
interface Reading {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  read: (s: ScrapeSample) => number | undefined;
}

const READINGS: Reading[] = [
  { name: 'swiftlet_turns_active', help: 'Turns running now', type: 'gauge', read: (s) => s.stats?.activeTurns },
  {
    name: 'swiftlet_turns_queued',
    help: 'Turns waiting for their session or for a turn slot',
    type: 'gauge',
    read: (s) => s.stats?.queuedTurns,
  },
  {
    name: 'swiftlet_hot_cache_sessions',
    help: 'Sessions held in the hot cache',
    type: 'gauge',
    read: (s) => s.stats?.cache.sessions,
  },
  {
    name: 'swiftlet_hot_cache_bytes',
    help: 'Estimated bytes of the sessions held in the hot cache',
    type: 'gauge',
    read: (s) => s.stats?.cache.bytes,
  },
  {
    name: 'swiftlet_hot_cache_hits_total',
    help: 'Session loads answered by the hot cache',
    type: 'counter',
    read: (s) => s.stats?.cache.hits,
  },
  {
    name: 'swiftlet_hot_cache_misses_total',
    help: 'Session loads that went to the store',
    type: 'counter',
    read: (s) => s.stats?.cache.misses,
  },
  {
    name: 'swiftlet_store_pending_entries',
    help: 'Entries enqueued for the store and not yet committed',
    type: 'gauge',
    read: (s) => s.stats?.writer?.pending,
  },
  {
    name: 'swiftlet_event_loop_delay_p50_seconds',
    help: 'Median event-loop delay since the previous scrape',
    type: 'gauge',
    read: (s) => s.loopP50,
  },
  {
    name: 'swiftlet_event_loop_delay_p99_seconds',
    help: '99th percentile event-loop delay since the previous scrape',
    type: 'gauge',
    read: (s) => s.loopP99,
  },
  {
    name: 'swiftlet_event_loop_delay_max_seconds',
    help: 'Longest event-loop delay since the previous scrape',
    type: 'gauge',
    read: (s) => s.loopMax,
  },
  {
    name: 'swiftlet_process_resident_memory_bytes',
    help: 'Resident set size of the process',
    type: 'gauge',
    read: (s) => s.rss,
  },
  { name: 'swiftlet_process_heap_used_bytes', help: 'V8 heap in use', type: 'gauge', read: (s) => s.heapUsed },
  { name: 'swiftlet_process_heap_total_bytes', help: 'V8 heap allocated', type: 'gauge', read: (s) => s.heapTotal },
  {
    name: 'swiftlet_process_external_memory_bytes',
    help: 'Memory of C++ objects bound to JavaScript (buffers included)',
    type: 'gauge',
    read: (s) => s.external,
  },
];

/**
 * Builds the private registry: Swiftlet-kept metrics, then the readings of each scrape sample. A reading without a
 * source (no `stats` callback, or a field it does not give) is left out rather than shown as 0.
 */
export function buildRegistry(prom: Prom, described: Described[], sample: ScrapeSample): Registry {
  const registry = new prom.Registry();
  for (const d of described) registry.registerMetric(adapt(d) as unknown as Parameters<Registry['registerMetric']>[0]);
  for (const r of READINGS) {
    if (r.read(sample) === undefined) continue;
    const read = r.read;
    const config = { name: r.name, help: r.help, registers: [registry] };
    if (r.type === 'gauge') {
      new prom.Gauge({
        ...config,
        collect: function () {
          this.set(read(sample) ?? 0);
        },
      });
    } else {
      new prom.Counter({
        ...config,
        collect: function () {
          this.reset();
          this.inc(read(sample) ?? 0);
        },
      });
    }
  }
  return registry;
}
