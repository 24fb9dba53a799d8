// From the validated input to the shape the rest of Swiftlet uses: names filled from map keys, tools as objects,
// API keys and base URLs resolved, gateway keys hashed, storage as a union on its driver, relative paths made absolute.
import { isAbsolute, resolve } from 'node:path';
import { trimSlash } from './checks.js';
import { normalizeServer } from './server.js';
import { API_KEY_ENV, DEFAULT_SQLITE_PATH, OFFICIAL_BASE_URL, type ConfigInput } from './schema.js';
import type { AgentConfig, ProviderConfig, StorageConfig, SwiftletConfig, ToolConfig } from './types.js';

type Env = Record<string, string | undefined>;

export function normalize(
  input: ConfigInput,
  env: Env,
  baseDir: string,
): { config: SwiftletConfig; warnings: string[] } {
  const providers: Record<string, ProviderConfig> = {};
  for (const [name, p] of Object.entries(input.providers)) providers[name] = provider(name, p, env);
  const agents: Record<string, AgentConfig> = {};
  for (const [name, a] of Object.entries(input.agents)) agents[name] = agent(name, a);
  const { server, warnings: serverWarnings } = normalizeServer(input.server, env, baseDir);
  const config: SwiftletConfig = {
    providers,
    agents,
    storage: storage(input.storage, baseDir),
    limits: { ...input.limits },
    server,
    bus: { ...input.bus },
    logging: { ...input.logging },
  };
  return { config, warnings: [...warnings(config), ...serverWarnings] };
}

function provider(name: string, p: ConfigInput['providers'][string], env: Env): ProviderConfig {
  const baseUrl = p.baseUrl ?? (p.type === 'mock' ? '' : OFFICIAL_BASE_URL[p.type]);
  const apiKey = p.type === 'mock' ? undefined : p.apiKey || env[API_KEY_ENV[p.type]] || undefined;
  return {
    name,
    type: p.type,
    baseUrl: trimSlash(baseUrl),
    ...(apiKey === undefined ? {} : { apiKey }),
    headers: { ...p.headers },
    timeouts: { ...p.timeouts },
    retries: { ...p.retries },
    maxConnections: p.maxConnections,
  };
}

function agent(name: string, a: ConfigInput['agents'][string]): AgentConfig {
  const slash = a.model.indexOf('/');
  return {
    name,
    description: a.description,
    model: a.model,
    provider: a.model.slice(0, slash),
    modelId: a.model.slice(slash + 1),
    instructions: a.instructions,
    tools: a.tools.map(tool),
    maxSteps: a.maxSteps,
    ...(a.temperature === undefined ? {} : { temperature: a.temperature }),
    ...(a.maxTokens === undefined ? {} : { maxTokens: a.maxTokens }),
    historyWindow: a.historyWindow,
    toolTimeoutMs: a.toolTimeoutMs,
    maxOutputBytes: a.maxOutputBytes,
    skills: a.skills.map((k) => (typeof k === 'string' ? { name: k, description: '' } : { ...k })),
    maxConcurrentTasks: a.maxConcurrentTasks,
  };
}

function tool(t: ConfigInput['agents'][string]['tools'][number]): ToolConfig {
  if (typeof t === 'string') return { name: t };
  if (t.name === 'delegate') {
    const { agents, ...rest } = t;
    return { ...rest, ...(agents === undefined ? {} : { agents: [...agents] }) };
  }
  if (t.name !== 'http_fetch')
    return { name: t.name, ...(t.timeoutMs === undefined ? {} : { timeoutMs: t.timeoutMs }) };
  return { ...t, allowHosts: t.allowHosts.map((h) => h.toLowerCase()) };
}

function storage(s: ConfigInput['storage'], baseDir: string): StorageConfig {
  const common = {
    durability: s.durability,
    flushIntervalMs: s.flushIntervalMs,
    hotCacheMb: s.hotCacheMb,
    pruning: {
      ...(s.pruning.maxMessages === undefined ? {} : { maxMessages: s.pruning.maxMessages }),
      ...(s.pruning.ttlDays === undefined ? {} : { ttlDays: s.pruning.ttlDays }),
      intervalMs: s.pruning.intervalMs,
    },
  };
  switch (s.driver) {
    case 'sqlite': {
      const path = s.path ?? DEFAULT_SQLITE_PATH;
      return {
        driver: 'sqlite',
        path: path === ':memory:' || isAbsolute(path) ? path : resolve(baseDir, path),
        synchronous: s.synchronous ?? 'normal',
        ...common,
      };
    }
    case 'postgres':
      // checks.ts has already reported a postgres storage without url; normalize only runs on a clean file.
      return {
        driver: 'postgres',
        url: s.url ?? '',
        ...(s.schema === undefined ? {} : { schema: s.schema }),
        maxConnections: s.maxConnections ?? 10,
        ...common,
      };
    case 'memory':
      return { driver: 'memory', ...common };
  }
}

function warnings(config: SwiftletConfig): string[] {
  const out: string[] = [];
  const used = new Set(Object.values(config.agents).map((a) => a.provider));
  for (const p of Object.values(config.providers)) {
    if (!used.has(p.name)) out.push(`provider ${p.name} is not used by any agent`);
    else if (p.type === 'mock') {
      out.push(`provider ${p.name} is the built-in mock LLM: its replies are canned text, not a real model's`);
    }
  }
  if (config.storage.durability === 'relaxed') {
    out.push(
      `storage.durability is relaxed: a crash can lose up to ${config.storage.flushIntervalMs} ms of acknowledged writes`,
    );
  }
  return out;
}
