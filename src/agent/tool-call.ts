import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import type { ToolCall } from '../core/index.js';
import type { SessionState, Tool } from '../tools/index.js';

export type ToolOutcome = 'ok' | 'error' | 'invalid_args' | 'unknown_tool' | 'timeout' | 'interrupted';

export interface ToolCallResult {
  output: string;
  isError: boolean;
  outcome: ToolOutcome;
}

/** What every call of one turn shares. */
export interface ToolCallScope {
  sessionId: string;
  turnId: string;
  signal: AbortSignal;
  state: SessionState;
  defaultTimeoutMs: number;
  maxOutputBytes: number;
}

const toolStart = channel('swiftlet:tool:start');
const toolEnd = channel('swiftlet:tool:end');

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
    ? await attempt(tool, call, scope)
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

async function attempt(tool: Tool, call: ToolCall, scope: ToolCallScope): Promise<ToolCallResult> {
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
  const timeout = new AbortController();
  const signal = AbortSignal.any([scope.signal, timeout.signal]);
  const ctx = { sessionId: scope.sessionId, turnId: scope.turnId, callId: call.id, signal, state: scope.state };
  // The result is decided by whichever comes first: the tool settling, the turn's abort, or the timeout. A tool that
  // ignores its signal cannot hold the turn.
  return new Promise<ToolCallResult>((resolve) => {
    let settled = false;
    const settle = (result: ToolCallResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const onAbort = (): void =>
      settle(
        scope.signal.aborted ? interruptedResult() : fail('timeout', `${tool.name} timed out after ${timeoutMs} ms`),
      );
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
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
  });
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
