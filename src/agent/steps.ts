import {
  addUsage,
  emptyUsage,
  toSwiftletError,
  STEP_SEPARATOR,
  SwiftletError,
  type ErrorPayload,
  type FinishReason,
  type JSONValue,
  type ModelMessage,
  type ModelRequest,
  type ToolCall,
  type TurnEvent,
  type Usage,
} from '../core/index.js';
import type { Tool } from '../tools/index.js';
import type { OutputMeter } from './output-cap.js';
import { interruptedResult, runToolCall, type ToolCallResult, type ToolCallScope } from './tool-call.js';
import type { AgentDefinition, EmitEvent, TurnInput } from './types.js';

/** What an agent computes once and every turn shares. */
export interface CompiledAgent {
  readonly def: AgentDefinition;
  readonly tools: ReadonlyMap<string, Tool>;
  readonly toolNames: string;
  readonly request: Omit<ModelRequest, 'messages'>;
  /** The same, asking for whole answers rather than streams. */
  readonly wholeRequest: Omit<ModelRequest, 'messages'>;
}

/** One turn in progress. */
export interface Turn {
  readonly agent: CompiledAgent;
  readonly input: TurnInput;
  readonly emit: EmitEvent;
  readonly scope: ToolCallScope;
  readonly messages: ModelMessage[];
  /** Sent with every model call of the turn: the same object, its `messages` growing from step to step. */
  readonly request: ModelRequest;
  /** Model calls started so far. */
  step: number;
  usage: Usage;
  /** Every step's text so far, joined by STEP_SEPARATOR (the last one partial when cut short). */
  text: string;
  /** The model's output so far against the agent's maxOutputBytes. */
  readonly output: OutputMeter;
}

export type StepOutcome =
  { kind: 'final' } | { kind: 'run_again' } | { kind: 'interrupted' } | { kind: 'failed'; error: ErrorPayload };

type Answer =
  | { kind: 'answered'; calls: ToolCall[]; finishReason: FinishReason; usage: Usage }
  | { kind: 'interrupted' }
  | { kind: 'failed'; error: ErrorPayload };

/** A turn's text after one more step: steps separated by a blank line, a step without text adds nothing. */
function joinSteps(before: string, step: string): string {
  if (step === '') return before;
  return before === '' ? step : before + STEP_SEPARATOR + step;
}

/** Hands an event on, waiting only when the receiver asks to (backpressure). */
async function send(turn: Turn, event: TurnEvent): Promise<void> {
  const wait = turn.emit(event);
  if (wait !== undefined) await wait;
}

/** One model call and the tool calls it asks for. */
export async function takeStep(turn: Turn): Promise<StepOutcome> {
  if (turn.input.signal.aborted) return { kind: 'interrupted' };
  turn.step++;
  const answer = await streamAnswer(turn);
  if (answer.kind !== 'answered') return answer;
  const ran = answer.calls.length === 0 ? 'done' : await runToolCalls(turn, answer.calls);
  const { turnId } = turn.input;
  await send(turn, {
    type: 'step-finish',
    turnId,
    step: turn.step,
    finishReason: answer.finishReason,
    usage: answer.usage,
  });
  if (ran === 'interrupted') return { kind: 'interrupted' };
  return answer.calls.length === 0 ? { kind: 'final' } : { kind: 'run_again' };
}

/** Streams one model answer, passing text and tool calls on as they arrive, and records the reply. */
async function streamAnswer(turn: Turn): Promise<Answer> {
  const { input, agent } = turn;
  const { turnId } = input;
  const step = turn.step;
  let text = '';
  const calls: ToolCall[] = [];
  let usage = emptyUsage();
  let finish: { reason: FinishReason; providerState?: JSONValue } | undefined;
  const output = turn.output;
  output.step();
  try {
    // Past the output cap the loop throws: leaving it returns the stream, which cancels the model request.
    for await (const event of agent.def.model.stream(turn.request, input.signal)) {
      switch (event.type) {
        case 'text-delta': {
          const kept = output.text(event.text);
          if (kept !== '') {
            text += kept;
            await send(turn, { type: 'text-delta', turnId, step, text: kept });
          }
          if (output.passed) throw output.error();
          break;
        }
        case 'tool-call': {
          const call = event.call;
          output.call(call.arguments);
          // The tool's own name string instead of the copy parsed from the answer: a session keeps its calls, and
          // one string per tool is enough.
          const known = agent.tools.get(call.name);
          if (known !== undefined && known.name === call.name) call.name = known.name;
          calls.push(call);
          await send(turn, { type: 'tool-call', turnId, step, call });
          break;
        }
        case 'usage':
          usage = addUsage(usage, event.usage);
          break;
        case 'finish':
          finish = event.providerState === undefined ? { reason: event.reason } : event;
          break;
        case 'tool-call-delta':
          output.argumentsDelta(event.argumentsDelta);
          break;
      }
    }
    if (finish === undefined)
      throw new SwiftletError('SWIFTLET_ERR_MODEL_RESPONSE', 'the model stream ended without finishing');
  } catch (err) {
    turn.usage = addUsage(turn.usage, usage);
    turn.text = joinSteps(turn.text, text);
    await recordCut(turn, text, calls);
    if (input.signal.aborted) return { kind: 'interrupted' };
    const e = toSwiftletError(err, 'SWIFTLET_ERR_MODEL_RESPONSE');
    return { kind: 'failed', error: { code: e.code, message: e.message } };
  }
  turn.usage = addUsage(turn.usage, usage);
  turn.text = joinSteps(turn.text, text);
  input.record({
    type: 'assistant',
    text,
    ...(calls.length > 0 ? { toolCalls: calls } : {}),
    ...(finish.providerState === undefined ? {} : { providerState: finish.providerState }),
  });
  turn.messages.push({
    role: 'assistant',
    content: text,
    ...(calls.length > 0 ? { toolCalls: calls } : {}),
    ...(finish.providerState === undefined ? {} : { providerState: finish.providerState }),
  });
  return { kind: 'answered', calls, finishReason: finish.reason, usage };
}

/**
 * Keeps what streamed before an interrupt or failure (the output cap included: text up to the cap), marked
 * interrupted, with a result for every call.
 */
async function recordCut(turn: Turn, text: string, calls: ToolCall[]): Promise<void> {
  if (text === '' && calls.length === 0) return;
  turn.input.record({ type: 'assistant', text, ...(calls.length > 0 ? { toolCalls: calls } : {}), interrupted: true });
  for (const call of calls) await recordResult(turn, call, interruptedResult());
}

/** Runs the calls in parallel; results are recorded and passed on as each finishes. */
async function runToolCalls(turn: Turn, calls: ToolCall[]): Promise<'done' | 'interrupted'> {
  const { agent, scope } = turn;
  if (calls.length === 1) {
    // The common case needs no race.
    const call = calls[0]!;
    const result = await runToolCall(agent.tools.get(call.name), call, scope, agent.toolNames);
    await recordResult(turn, call, result);
    pushResult(turn, call, result);
    return turn.input.signal.aborted ? 'interrupted' : 'done';
  }
  const pending = new Map<number, Promise<{ index: number; result: ToolCallResult }>>();
  calls.forEach((call, index) => {
    const running = runToolCall(agent.tools.get(call.name), call, scope, agent.toolNames);
    pending.set(
      index,
      running.then((result) => ({ index, result })),
    );
  });
  const results: ToolCallResult[] = new Array<ToolCallResult>(calls.length);
  while (pending.size > 0) {
    const { index, result } = await Promise.race(pending.values());
    pending.delete(index);
    results[index] = result;
    await recordResult(turn, calls[index]!, result);
  }
  calls.forEach((call, index) => pushResult(turn, call, results[index]!));
  return turn.input.signal.aborted ? 'interrupted' : 'done';
}

/** The result as the model sees it in the next step: after its call, in the order of the calls. */
function pushResult(turn: Turn, call: ToolCall, result: ToolCallResult): void {
  turn.messages.push({
    role: 'tool',
    callId: call.id,
    name: call.name,
    content: result.output,
    ...(result.isError ? { isError: true } : {}),
  });
}

async function recordResult(turn: Turn, call: ToolCall, result: ToolCallResult): Promise<void> {
  const { output, isError } = result;
  turn.input.record({
    type: 'tool_result',
    callId: call.id,
    name: call.name,
    output,
    ...(isError ? { isError: true } : {}),
  });
  await send(turn, {
    type: 'tool-result',
    turnId: turn.input.turnId,
    step: turn.step,
    callId: call.id,
    name: call.name,
    output,
    isError,
  });
}
