// The node:diagnostics_channel names Swiftlet publishes on, and the fields of their messages. Publishers (runtime,
// model, agent, store) and observers (src/obs) share these, so a message cannot drift from what is read of it.

export const CHANNELS = {
  turnStart: 'swiftlet:turn:start',
  turnEnd: 'swiftlet:turn:end',
  modelRequest: 'swiftlet:model:request',
  modelResponse: 'swiftlet:model:response',
  toolStart: 'swiftlet:tool:start',
  toolEnd: 'swiftlet:tool:end',
  storeCommit: 'swiftlet:store:commit',
} as const;

export type ChannelName = (typeof CHANNELS)[keyof typeof CHANNELS];

export interface TurnStartMessage {
  tenant: string;
  sessionId: string;
  turnId: string;
  agent: string;
}

/** The turn's terminal event plus the agent's name. */
export interface TurnEndMessage {
  tenant: string;
  turnId: string;
  sessionId: string;
  agent: string;
  outcome: string;
  usage: { inputTokens: number; outputTokens: number };
  steps: number;
  error?: { code: string; message: string };
  /** From turn start to the terminal event (after the commit, in durable mode). */
  durationMs: number;
}

/** One HTTP attempt to a provider (retries publish again with a higher `attempt`). */
export interface ModelRequestMessage {
  provider: string;
  model: string;
  attempt: number;
  stream: boolean;
}

export interface ModelResponseMessage {
  provider: string;
  model: string;
  status?: number;
  durationMs: number;
  attempt: number;
  /** The SwiftletError that ended the attempt: an HTTP error or an error inside the answer carries the provider's text as `body`. */
  error?: { code: string; message?: string; body?: string | undefined };
}

export interface ToolEndMessage {
  tool: string;
  callId: string;
  sessionId: string;
  turnId: string;
  durationMs: number;
  outcome: string;
}

export interface StoreCommitMessage {
  batches: number;
  entries: number;
  durationMs: number;
  error?: unknown;
}
