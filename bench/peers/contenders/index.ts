// The contenders of `bench:peers`: Swiftlet, the hand-written fetch loop, and four TypeScript agent frameworks. Each
// lives in its own module, loaded only by the child process that measures it.
import type { SessionContenderOptions } from './types.js';

export interface ContenderSpec {
  /** Row label in the tables. */
  label: string;
  /** Module under ./contenders exporting `create`. */
  module: string;
  /** The npm packages the contender is built from (their installed versions are reported; their closure is sized). */
  packages: readonly string[];
  /** Options that differ from the defaults (Swiftlet's store). */
  options?: Partial<Pick<SessionContenderOptions, 'store' | 'durability'>>;
  /** What the contender keeps between turns, for the README and the JSON. */
  history: string;
}

export const CONTENDERS = {
  swiftlet: {
    label: 'swiftlet',
    module: 'swiftlet',
    packages: [],
    options: { store: 'sqlite', durability: 'durable' },
    history: 'SQLite, durable (a turn is acknowledged once committed), plus its hot cache',
  },
  'swiftlet-memory': {
    label: 'swiftlet (memory store)',
    module: 'swiftlet',
    packages: [],
    options: { store: 'memory', durability: 'durable' },
    history: 'in-memory store',
  },
  'fetch-loop': { label: 'fetch loop', module: 'fetch-loop', packages: [], history: 'Map of message arrays' },
  'ai-sdk': {
    label: 'ai-sdk',
    module: 'ai-sdk',
    packages: ['ai', '@ai-sdk/openai'],
    history: 'Map of ModelMessage arrays (the caller keeps history)',
  },
  'openai-agents': {
    label: 'openai-agents',
    module: 'openai-agents',
    packages: ['@openai/agents', 'openai'],
    history: 'MemorySession per session',
  },
  langgraph: {
    label: 'langgraph',
    module: 'langgraph',
    packages: ['@langchain/langgraph', '@langchain/openai', '@langchain/core'],
    history: 'MemorySaver checkpointer, thread per session',
  },
  mastra: {
    label: 'mastra',
    module: 'mastra',
    packages: ['@mastra/core', '@mastra/memory'],
    history: 'Mastra Memory over InMemoryStore, thread per session',
  },
} satisfies Record<string, ContenderSpec>;

export type ContenderKey = keyof typeof CONTENDERS;
export const CONTENDER_KEYS = Object.keys(CONTENDERS) as ContenderKey[];
/** Contenders run when --only is not given (Swiftlet with the memory store is there for a like-for-like row). */
export const DEFAULT_CONTENDERS: readonly ContenderKey[] = CONTENDER_KEYS;
