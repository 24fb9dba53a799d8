// The config used when there is no file: one `assistant` agent on whichever provider the environment has a key for,
// else on the built-in mock LLM (with a loud warning, so nobody mistakes canned text for a model).
import { validateConfig } from './parse.js';
import type { LoadedConfig } from './types.js';

type Env = Record<string, string | undefined>;

export const DEFAULT_INSTRUCTIONS =
  'You are a helpful assistant. Answer clearly and concisely. Use the todo tool to plan multi-step work.';

/**
 * About the model provider's key, not the server's API keys (server.apiKeys, SWIFTLET_API_KEYS): the wording says so,
 * because a server with API keys but no model provider still answers with the mock.
 */
export const NO_API_KEY_WARNING =
  'no model provider is configured: agents answer with the built-in mock LLM (canned text, not a real model). ' +
  'Set OPENAI_API_KEY or ANTHROPIC_API_KEY (the model provider key; server API keys do not count), ' +
  'or define providers in a swiftlet.yaml, to use a real model.';

export function defaultConfig(env: Env, opts: { cwd?: string } = {}): LoadedConfig {
  let provider: Record<string, unknown>;
  let model: string;
  const warnings: string[] = [];
  if (env.OPENAI_API_KEY || env.OPENAI_BASE_URL) {
    // A base URL alone is enough: local OpenAI-compatible servers often need no key.
    provider = { type: 'openai', ...(env.OPENAI_BASE_URL ? { baseUrl: env.OPENAI_BASE_URL } : {}) };
    model = `openai/${env.OPENAI_MODEL || 'gpt-4o-mini'}`;
  } else if (env.ANTHROPIC_API_KEY) {
    provider = { type: 'anthropic' };
    model = `anthropic/${env.ANTHROPIC_MODEL || 'claude-sonnet-4-5'}`;
  } else {
    provider = { type: 'mock' };
    model = 'mock/mock-1';
    warnings.push(NO_API_KEY_WARNING);
  }
  const name = model.slice(0, model.indexOf('/'));
  const raw = {
    providers: { [name]: provider },
    agents: {
      assistant: {
        description: 'A general helpful assistant',
        model,
        instructions: DEFAULT_INSTRUCTIONS,
        tools: ['todo', 'current_time'],
      },
    },
  };
  // Environment values are data here, not templates: a `${` inside OPENAI_BASE_URL must stay as it is.
  const loaded = validateConfig(escapeTemplates(raw), { env, baseDir: opts.cwd ?? process.cwd() });
  // The mock provider's own notice would repeat the louder warning above.
  return { ...loaded, warnings: warnings.length > 0 ? warnings : loaded.warnings };
}

function escapeTemplates<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll('${', () => '$${')) as T;
}
