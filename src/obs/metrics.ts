import { LOCAL_TENANT } from '../core/index.js';
import { Buckets, Family, newValue, type Series, type Value } from './family.js';
import type {
  ModelRequestMessage,
  ModelResponseMessage,
  StoreCommitMessage,
  ToolEndMessage,
  TurnEndMessage,
} from './channels.js';

const TURN_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const MODEL_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const TOOL_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const COMMIT_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const COMMIT_SIZES = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

/** Turns that started and have not ended are remembered for their duration; a turn never ended cannot grow this. */

/** Unknown tool names come from the model, so they share one label value instead of growing the series. */
const UNKNOWN_TOOL = '_unknown';
/**
 * Tenants not named in the config (a library caller's own names) share one label value, for the same reason: `local`
 * and the configured tenants are the only label values, so the series stay bounded.
 */
export const OTHER_TENANT = '_other';

/** A described metric, as the exporter shows it. */
export type Described =
  | { name: string; help: string; type: 'counter' | 'gauge'; series: readonly Series<Value>[] }
  | { name: string; help: string; type: 'histogram'; series: readonly Series<Buckets>[] };

const seconds = (bounds: readonly number[]) => () => new Buckets(bounds);
const single = <C>(cell: C): Series<C>[] => [{ labels: {}, cell }];

/**
 * What the diagnostics channels tell, accumulated. Each handler does map lookups and increments; series for a new
 * label combination are made once.
 */
export class EventMetrics {
  readonly turns = new Family(['agent', 'tenant', 'outcome'], newValue);
  readonly turnSeconds = new Family(['agent'], seconds(TURN_SECONDS));
  readonly tokens = new Family(['agent', 'tenant', 'type'], newValue);
  /** The tenants that get a label value of their own: those the config names. */
  readonly #tenants: ReadonlySet<string>;

  constructor(tenants: readonly string[] = []) {
    this.#tenants = new Set([LOCAL_TENANT, ...tenants]);
  }
  readonly modelSeconds = new Family(['provider'], seconds(MODEL_SECONDS));
  readonly modelInFlight = new Family(['provider'], newValue);
  readonly modelRetries = new Family(['provider'], newValue);
  readonly modelErrors = new Family(['provider', 'status', 'code'], newValue);
  readonly toolCalls = new Family(['tool', 'outcome'], newValue);
  readonly toolSeconds = new Family(['tool'], seconds(TOOL_SECONDS));
  readonly commitEntries = new Buckets(COMMIT_SIZES);
  readonly commitSessions = new Buckets(COMMIT_SIZES);
  readonly commitSeconds = new Buckets(COMMIT_SECONDS);
  readonly commitErrors: Value = newValue();

  // Arrow properties: stable references, so that close() can unsubscribe exactly these functions.

  onTurnEnd = (message: unknown): void => {
    const m = message as TurnEndMessage;
    const tenant = this.#tenants.has(m.tenant) ? m.tenant : OTHER_TENANT;
    this.turns.get(m.agent, tenant, m.outcome).value++;
    this.tokens.get(m.agent, tenant, 'input').value += m.usage.inputTokens;
    this.tokens.get(m.agent, tenant, 'output').value += m.usage.outputTokens;
    this.turnSeconds.get(m.agent).observe(m.durationMs / 1000);
  };

  onModelRequest = (message: unknown): void => {
    const m = message as ModelRequestMessage;
    this.modelInFlight.get(m.provider).value++;
    if (m.attempt > 0) this.modelRetries.get(m.provider).value++;
  };

  onModelResponse = (message: unknown): void => {
    const m = message as ModelResponseMessage;
    const inFlight = this.modelInFlight.get(m.provider);
    if (inFlight.value > 0) inFlight.value--;
    this.modelSeconds.get(m.provider).observe(m.durationMs / 1000);
    if (m.error !== undefined) {
      this.modelErrors.get(m.provider, m.status === undefined ? 'none' : String(m.status), m.error.code).value++;
    }
  };

  onToolEnd = (message: unknown): void => {
    const m = message as ToolEndMessage;
    const tool = m.outcome === 'unknown_tool' ? UNKNOWN_TOOL : m.tool;
    this.toolCalls.get(tool, m.outcome).value++;
    this.toolSeconds.get(tool).observe(m.durationMs / 1000);
  };

  onStoreCommit = (message: unknown): void => {
    const m = message as StoreCommitMessage;
    this.commitEntries.observe(m.entries);
    this.commitSessions.observe(m.batches);
    this.commitSeconds.observe(m.durationMs / 1000);
    if (m.error !== undefined) this.commitErrors.value++;
  };

  /** Forgets turns in flight (their end, if it comes, counts without a duration). */
  clearOpenTurns(): void {}

  describe(): Described[] {
    return [
      {
        name: 'swiftlet_turns_total',
        help: 'Turns ended, by agent, tenant and outcome',
        type: 'counter',
        series: this.turns.series,
      },
      {
        name: 'swiftlet_turn_duration_seconds',
        help: 'Turn duration from start to the terminal event (after the commit in durable mode)',
        type: 'histogram',
        series: this.turnSeconds.series,
      },
      {
        name: 'swiftlet_model_tokens_total',
        help: 'Model tokens reported by providers, by agent, tenant and type (input or output)',
        type: 'counter',
        series: this.tokens.series,
      },
      {
        name: 'swiftlet_model_request_duration_seconds',
        help: 'Duration of one HTTP attempt to a model provider, until its stream ended or failed',
        type: 'histogram',
        series: this.modelSeconds.series,
      },
      {
        name: 'swiftlet_model_requests_in_flight',
        help: 'HTTP attempts to a model provider under way',
        type: 'gauge',
        series: this.modelInFlight.series,
      },
      {
        name: 'swiftlet_model_retries_total',
        help: 'Model request attempts that were retries of a failed attempt',
        type: 'counter',
        series: this.modelRetries.series,
      },
      {
        name: 'swiftlet_model_errors_total',
        help: 'Failed model request attempts, by provider, HTTP status ("none" without an answer) and error code',
        type: 'counter',
        series: this.modelErrors.series,
      },
      {
        name: 'swiftlet_tool_calls_total',
        help: 'Tool calls, by tool and outcome',
        type: 'counter',
        series: this.toolCalls.series,
      },
      {
        name: 'swiftlet_tool_duration_seconds',
        help: 'Tool call duration',
        type: 'histogram',
        series: this.toolSeconds.series,
      },
      {
        name: 'swiftlet_store_commit_entries',
        help: 'Entries written per group-commit transaction',
        type: 'histogram',
        series: single(this.commitEntries),
      },
      {
        name: 'swiftlet_store_commit_sessions',
        help: 'Sessions written per group-commit transaction',
        type: 'histogram',
        series: single(this.commitSessions),
      },
      {
        name: 'swiftlet_store_commit_duration_seconds',
        help: 'Duration of a group-commit flush',
        type: 'histogram',
        series: single(this.commitSeconds),
      },
      {
        name: 'swiftlet_store_commit_errors_total',
        help: 'Group-commit flushes that failed',
        type: 'counter',
        series: single(this.commitErrors),
      },
    ];
  }
}
