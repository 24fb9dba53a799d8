// The `turn` workload, shared by every contender so that each sends the model the same conversation: a system prompt,
// one tool, a bounded window of history and a new user message; the mock asks for `current_time` at step 0 and
// answers with a short text at step 1.
import { createBuiltinTool, currentTime } from '../src/tools/index.js';
import type { MockReply } from '../src/model/index.js';

export const INSTRUCTIONS =
  'You are a benchmark agent. Call current_time when asked for the time, then answer briefly.';
export const FINAL_TEXT = 'It is about noon.';
/** Messages of history sent with each model call (Swiftlet's `historyWindow`, mirrored by the baselines). */
export const HISTORY_WINDOW = 50;
export const MAX_STEPS = 8;

export const MOCK_SCRIPT: MockReply[] = [
  { toolCalls: [{ name: 'current_time', arguments: { timezone: 'UTC' } }] },
  { text: FINAL_TEXT },
];

/** Model ids per contender, so the mock's request log tells them apart. */
export const MODEL_IDS = { swiftlet: 'bench-swiftlet', fetchLoop: 'bench-fetch-loop', floor: 'bench-floor' } as const;

export function turnInput(i: number): string {
  return `What time is it now? (turn ${i})`;
}

export function sessionFor(i: number, sessions: number): string {
  return `bench-${i % sessions}`;
}

/** The tool as the baselines advertise it: the same name, description and JSON Schema Swiftlet sends. */
const tool = createBuiltinTool({ name: 'current_time' });
export const TOOL_NAME = tool.name;
export const OPENAI_TOOLS = [
  { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.input } },
];

/**
 * What the baselines run for the tool call: Swiftlet's own `current_time` implementation, so the tool's cost is the
 * same in every contender and the comparison measures what surrounds it.
 */
export function runCurrentTime(args: string): string {
  const parsed = JSON.parse(args === '' ? '{}' : args) as { timezone?: unknown };
  return JSON.stringify(currentTime(Date.now(), typeof parsed.timezone === 'string' ? parsed.timezone : 'UTC'));
}
