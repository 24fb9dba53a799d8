// Model calls as seen by observers (metrics, logs, tracing) through node:diagnostics_channel. Publishing is skipped
// unless someone subscribed, so an unobserved call builds no message objects.
import { channel } from 'node:diagnostics_channel';
import type { SwiftletError } from '../core/index.js';

export interface ModelRequestMessage {
  provider: string;
  model: string;
  /** 0 for the first attempt, then 1, 2, … for retries. */
  attempt: number;
  stream: boolean;
}

export interface ModelResponseMessage {
  provider: string;
  model: string;
  /** The HTTP status, when an answer head arrived. */
  status?: number;
  durationMs: number;
  attempt: number;
  error?: SwiftletError;
}

export const modelRequestChannel = channel('swiftlet:model:request');
export const modelResponseChannel = channel('swiftlet:model:response');
