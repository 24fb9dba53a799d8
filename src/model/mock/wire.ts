// The contract between the server and each provider wire format.
import type { Reply, Turn } from './reply.js';

/**
 * A streamed answer cut where delays and faults may fall: `head` (preamble events), then one frame per token
 * (text deltas first, then tool-argument deltas, structural events riding on the frame they precede), then `tail`.
 */
export interface StreamPlan {
  head: string;
  frames: string[];
  /** How many leading frames carry text tokens (a stall or disconnect after N tokens counts only these). */
  textFrames: number;
  tail: string;
}

export interface WireFormat {
  readonly format: 'openai-chat' | 'openai-responses' | 'anthropic';
  /** Reads the request, or says why it deserves a 400 (and which field). */
  parse(body: unknown, requestId: number): Turn | { error: string; param?: string };
  /** Forgets per-server state (stored responses). */
  reset?(): void;
  stream(turn: Turn, reply: Reply, requestId: number): StreamPlan;
  json(turn: Turn, reply: Reply, requestId: number): string;
  /** The provider's error body for a status. */
  error(status: number, message: string, param?: string): string;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Seconds since the epoch, fixed per process so that identical requests get identical bytes. */
export const CREATED = Math.floor(Date.now() / 1000);

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
} as const;
export const JSON_HEADERS = { 'content-type': 'application/json' } as const;
