// Checks knobs, faults and scripts that arrive as JSON (control API, `--script` file) or from code, naming the field
// at fault.
import { SwiftletError } from '../../core/index.js';
import type { MockFault, MockLlmOptions, MockReply } from './types.js';
import { isRecord } from './wire.js';

export type Knobs = Partial<Omit<MockLlmOptions, 'host' | 'port' | 'maxLoggedBodyBytes'>>;

const MAX_DELAY_MS = 3_600_000;
const MAX_OUTPUT_TOKENS = 1_000_000;

function invalid(field: string, message: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `${field}: ${message}`, { field });
}

function int(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `expected an integer from ${min} to ${max}, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  return value;
}

export function parseKnobs(input: unknown, field = 'config'): Knobs {
  if (!isRecord(input)) throw invalid(field, 'expected an object');
  const out: Knobs = {};
  for (const [key, value] of Object.entries(input)) {
    const path = `${field}.${key}`;
    switch (key) {
      case 'firstTokenMs':
      case 'tokenDelayMs':
        out[key] = int(value, path, 0, MAX_DELAY_MS);
        break;
      case 'outputTokens':
        out.outputTokens = int(value, path, 0, MAX_OUTPUT_TOKENS);
        break;
      case 'script':
        out.script = parseScript(value, path);
        break;
      case 'faults':
        out.faults = parseFaults(value, path);
        break;
      default:
        throw invalid(path, 'unknown option (expected firstTokenMs, tokenDelayMs, outputTokens, script or faults)');
    }
  }
  return out;
}

export function parseScript(input: unknown, field = 'script'): MockReply[] {
  if (!Array.isArray(input)) throw invalid(field, 'expected an array of replies');
  return input.map((step: unknown, i) => {
    const path = `${field}[${i}]`;
    if (!isRecord(step)) throw invalid(path, 'expected an object with text and/or toolCalls');
    const reply: MockReply = {};
    for (const key of Object.keys(step)) {
      if (key !== 'text' && key !== 'toolCalls') throw invalid(`${path}.${key}`, 'unknown field');
    }
    if (step.text !== undefined) {
      if (typeof step.text !== 'string') throw invalid(`${path}.text`, 'expected a string');
      reply.text = step.text;
    }
    if (step.toolCalls !== undefined) {
      if (!Array.isArray(step.toolCalls)) throw invalid(`${path}.toolCalls`, 'expected an array');
      reply.toolCalls = step.toolCalls.map((call: unknown, j) => {
        const at = `${path}.toolCalls[${j}]`;
        if (!isRecord(call) || typeof call.name !== 'string' || call.name === '') {
          throw invalid(at, 'expected { name: string, arguments: string | object }');
        }
        const args = call.arguments ?? {};
        if (typeof args !== 'string' && !isRecord(args))
          throw invalid(`${at}.arguments`, 'expected a string or an object');
        return { name: call.name, arguments: args };
      });
    }
    return reply;
  });
}

export function parseFaults(input: unknown, field = 'faults'): MockFault[] {
  if (!Array.isArray(input)) throw invalid(field, 'expected an array of faults');
  return input.map((f: unknown, i) => parseFault(f, `${field}[${i}]`));
}

function parseFault(f: unknown, path: string): MockFault {
  if (!isRecord(f)) throw invalid(path, 'expected an object with a kind');
  switch (f.kind) {
    case 'status': {
      const fault: MockFault = { kind: 'status', status: int(f.status, `${path}.status`, 100, 599) };
      if (f.retryAfterSec !== undefined) fault.retryAfterSec = int(f.retryAfterSec, `${path}.retryAfterSec`, 0, 86_400);
      if (f.body !== undefined) {
        if (typeof f.body !== 'string') throw invalid(`${path}.body`, 'expected a string');
        fault.body = f.body;
      }
      return fault;
    }
    case 'hang':
      return { kind: 'hang' };
    case 'stall':
    case 'disconnect':
      return { kind: f.kind, afterTokens: int(f.afterTokens, `${path}.afterTokens`, 0, MAX_OUTPUT_TOKENS) };
    default:
      throw invalid(`${path}.kind`, "expected 'status', 'hang', 'stall' or 'disconnect'");
  }
}
