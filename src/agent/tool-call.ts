import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { CHANNELS, type ToolCall } from '../core/index.js';
import type { SessionState, Tool, ToolContext, ToolProgress } from '../tools/index.js';

export type ToolOutcome = 'ok' | 'error' | 'invalid_args' | 'unknown_tool' | 'timeout' | 'interrupted';

export interface ToolCallResult {
  output: string;
  isError: boolean;
  outcome: ToolOutcome;
}

/** What every call of one turn shares. */
export interface ToolCallScope {
  tenant: string;
  sessionId: string;
  turnId: string;
  signal: AbortSignal;
  state: SessionState;
  defaultTimeoutMs: number;
  maxOutputBytes: number;
  /** A running call's progress, passed on as a `tool-progress` event. */
  progress(callId: string, name: string, update: ToolProgress): void;
}

const toolStart = channel(CHANNELS.toolStart);
const toolEnd = channel(CHANNELS.toolEnd);

export const INTERRUPTED_OUTPUT = 'interrupted: the turn was stopped before this tool call finished';

export function interruptedResult(): ToolCallResult {
  return { output: INTERRUPTED_OUTPUT, isError: true, outcome: 'interrupted' };
}

/** Runs one tool call to a result. Never rejects: every failure becomes an error result the model can read. */
export async function runToolCall(
  tool: Tool | undefined,
  call: ToolCall,
  scope: ToolCallScope,
  available: string,
): Promise<ToolCallResult> {
  const started = performance.now();
  if (toolStart.hasSubscribers) {
    toolStart.publish({ tool: call.name, callId: call.id, sessionId: scope.sessionId, turnId: scope.turnId });
  }
  const result = tool
    ? await attempt(tool, call, scope, started)
    : fail('unknown_tool', `unknown tool "${call.name}"; available tools: ${available}`);
  if (toolEnd.hasSubscribers) {
    toolEnd.publish({
      tool: call.name,
      callId: call.id,
      sessionId: scope.sessionId,
      turnId: scope.turnId,
      durationMs: performance.now() - started,
      outcome: result.outcome,
    });
  }
  return result;
}

function fail(outcome: ToolOutcome, output: string): ToolCallResult {
  return { output, isError: true, outcome };
}

async function attempt(tool: Tool, call: ToolCall, scope: ToolCallScope, started: number): Promise<ToolCallResult> {
  if (scope.signal.aborted) return interruptedResult();
  let raw: unknown = {};
  const text = call.arguments.trim();
  if (text !== '') {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return fail('invalid_args', `invalid arguments for ${tool.name}: not valid JSON (${why}); send a JSON object`);
    }
  }
  const parsed = tool.parse(raw);
  if (!parsed.ok) return fail('invalid_args', `invalid arguments for ${tool.name}: ${parsed.error}`);

  const timeoutMs = tool.timeoutMs ?? scope.defaultTimeoutMs;
  const ctx = new CallContext(scope, call);
  // The result is decided by whichever comes first: the tool settling, the turn's abort, or the timeout. A tool that
  // ignores its signal cannot hold the turn.
  return new Promise<ToolCallResult>((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (result: ToolCallResult): void => {
      if (settled) return;
      settled = true;
      ctx.finish();
      if (timer !== undefined) {
        clearTimeout(timer);
        scope.signal.removeEventListener('abort', onAbort);
      }
      resolve(result);
    };
    const onAbort = (): void => {
      ctx.abort(scope.signal.reason);
      settle(interruptedResult());
    };
    const onTimeout = (): void => {
      ctx.abort(undefined);
      settle(fail('timeout', `${tool.name} timed out after ${timeoutMs} ms`));
    };
    let running: Promise<unknown>;
    try {
      running = tool.run(parsed.value, ctx);
    } catch (err) {
      settle(thrown(err));
      return;
    }
    running.then(
      (value) => settle(formatOutput(value, scope.maxOutputBytes)),
      (err: unknown) => settle(thrown(err)),
    );
    // In-process tools mostly settle within a microtask: the deadline and the abort listener are set up only for a
    // call still running after that, which spares the common case a timer and a listener.
    queueMicrotask(() => {
      if (settled) return;
      if (scope.signal.aborted) {
        onAbort();
        return;
      }
      timer = setTimeout(onTimeout, Math.max(0, started + timeoutMs - performance.now()));
      scope.signal.addEventListener('abort', onAbort, { once: true });
    });
  });
}

/**
 * What a tool call sees. Its signal is made only when the tool asks for it (most tools never do); it is aborted on
 * the turn's interrupt (with the turn's reason) and when the call times out.
 */
class CallContext implements ToolContext {
  readonly tenant: string;
  readonly sessionId: string;
  readonly turnId: string;
  readonly callId: string;
  readonly state: SessionState;
  readonly #turnSignal: AbortSignal;
  #controller: AbortController | undefined;
  #stopped = false;
  #reason: unknown;

  readonly #scope: ToolCallScope;
  readonly #name: string;

  constructor(scope: ToolCallScope, call: ToolCall) {
    this.tenant = scope.tenant;
    this.sessionId = scope.sessionId;
    this.turnId = scope.turnId;
    this.callId = call.id;
    this.state = scope.state;
    this.#turnSignal = scope.signal;
    this.#scope = scope;
    this.#name = call.name;
  }

  #settled = false;

  /** The call has its result: later progress (after a timeout, an interrupt) is dropped. */
  finish(): void {
    this.#settled = true;
  }

  progress(update: ToolProgress): void {
    if (!this.#settled) this.#scope.progress(this.callId, this.#name, update);
  }

  get turnSignal(): AbortSignal {
    return this.#turnSignal;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#stopped) this.#abortController(this.#reason);
      else if (this.#turnSignal.aborted) this.#abortController(this.#turnSignal.reason);
    }
    return this.#controller.signal;
  }

  /** `reason` undefined: the call timed out. */
  abort(reason: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#reason = reason;
    if (this.#controller !== undefined) this.#abortController(reason);
  }

  #abortController(reason: unknown): void {
    if (reason === undefined) this.#controller!.abort();
    else this.#controller!.abort(reason);
  }
}

function thrown(err: unknown): ToolCallResult {
  const message = err instanceof Error ? err.message : String(err);
  return fail('error', `the tool failed: ${message}`);
}

function formatOutput(value: unknown, maxBytes: number): ToolCallResult {
  let output: string;
  try {
    output = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  } catch (err) {
    return thrown(new Error(`its output could not be serialised as JSON (${(err as Error).message})`));
  }
  return { output: capBytes(output, maxBytes), isError: false, outcome: 'ok' };
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes (a split character is dropped) and says how much was left out. */
export function capBytes(text: string, maxBytes: number): string {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short strings need no measuring.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return text;
  const kept = Buffer.from(text)
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${kept}\n[output truncated: ${bytes} bytes, only the first ${maxBytes} are shown]`;
}
