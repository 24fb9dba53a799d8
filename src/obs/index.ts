// Observability: Prometheus metrics and JSON logs. Metrics learn everything from Swiftlet's diagnostics channels and
// from the `stats` callback; nothing here is imported by the code it observes.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Registry } from 'prom-client';
import { CHANNELS } from './channels.js';
import { buildRegistry } from './exporter.js';
import { EventMetrics } from './metrics.js';
import { Sampler, type RuntimeStats } from './sample.js';

export { CHANNELS, type ChannelName } from './channels.js';
export { createLogger, bindIds, REDACTED_PATHS, type LoggerOptions, type LogIds } from './logger.js';
export { logFailures } from './model-log.js';
export { redactSecrets } from './redact.js';
export type { RuntimeStats } from './sample.js';

export interface ObservabilityOptions {
  /** Read once per scrape (`() => runtime.stats`); without it the turn, cache and writer gauges are left out. */
  stats?: () => RuntimeStats;
  /** Tenants with a `tenant` label value of their own (the configured ones, and `local`); others count as `_other`. */
  tenants?: readonly string[];
}

export interface Observability {
  /** The Prometheus text exposition of every metric (prom-client is loaded on the first call). */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Unsubscribes from every channel and stops the event-loop monitor. Idempotent. */
  close(): void;
}

/** Subscribes to the diagnostics channels at once; events published before this are not counted. */
export function startObservability(opts: ObservabilityOptions = {}): Observability {
  const events = new EventMetrics(opts.tenants);
  const handlers: [string, (message: unknown, name: string | symbol) => void][] = [
    [CHANNELS.turnEnd, events.onTurnEnd],
    [CHANNELS.modelRequest, events.onModelRequest],
    [CHANNELS.modelResponse, events.onModelResponse],
    [CHANNELS.toolEnd, events.onToolEnd],
    [CHANNELS.storeCommit, events.onStoreCommit],
  ];
  for (const [name, fn] of handlers) subscribe(name, fn);
  const sampler = new Sampler(opts.stats);
  let registry: Promise<Registry> | undefined;
  let closed = false;

  return {
    async metrics() {
      const sample = sampler.take();
      // The first scrape decides which readings exist (a stats source without `writer` shows no pending gauge).
      registry ??= import('prom-client').then((m) => buildRegistry(cjs(m), events.describe(), sample));
      const reg = await registry;
      return { contentType: reg.contentType, body: await reg.metrics() };
    },
    close() {
      if (closed) return;
      closed = true;
      for (const [name, fn] of handlers) unsubscribe(name, fn);
      sampler.stop();
      events.clearOpenTurns();
    },
  };
}

/**
 * A CommonJS module loaded with `import()`: Node gives named exports, a bundled chunk only `default`. Either way,
 * the module object.
 */
function cjs<T extends object>(m: T): T {
  return (m as { default?: T }).default ?? m;
}
