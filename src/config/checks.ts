// Checks that span several fields. They read the raw (interpolated) input defensively rather than zod's output, so
// that they run, and report, even when other parts of the file are invalid.
import { API_KEY_ENV, OFFICIAL_BASE_URL, TOOL_NAMES } from './schema.js';
import type { RawIssue } from './interpolate.js';
import { checkServer } from './server.js';

type Env = Record<string, string | undefined>;

const DRIVER_KEYS = {
  sqlite: ['path', 'synchronous'],
  postgres: ['url', 'schema', 'maxConnections'],
  memory: [],
} as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

export function crossCheck(raw: unknown, env: Env): RawIssue[] {
  if (!isRecord(raw)) return [];
  return [
    ...checkAgents(raw.agents, isRecord(raw.providers) ? raw.providers : undefined),
    ...checkProviders(raw.providers, env),
    ...checkStorage(raw.storage),
    ...checkBus(raw.bus),
    ...checkServer(raw.server, raw.agents, env),
  ];
}

function checkAgents(agents: unknown, providers: Record<string, unknown> | undefined): RawIssue[] {
  if (!isRecord(agents)) return [];
  const issues: RawIssue[] = [];
  for (const [name, agent] of Object.entries(agents)) {
    if (!isRecord(agent)) continue;
    const ref = typeof agent.model === 'string' ? /^([^/\s]+)\/\S/.exec(agent.model)?.[1] : undefined;
    if (ref !== undefined && providers !== undefined && !Object.hasOwn(providers, ref)) {
      const known = Object.keys(providers);
      issues.push({
        path: ['agents', name, 'model'],
        message: `unknown provider "${ref}"; ${known.length > 0 ? `defined: ${known.join(', ')}` : 'no providers are defined'}`,
      });
    }
    if (!Array.isArray(agent.tools)) continue;
    const seen = new Map<string, number>();
    agent.tools.forEach((tool: unknown, i) => {
      const toolName = typeof tool === 'string' ? tool : isRecord(tool) ? tool.name : undefined;
      if (typeof toolName !== 'string' || !(TOOL_NAMES as readonly string[]).includes(toolName)) return;
      const first = seen.get(toolName);
      if (first === undefined) seen.set(toolName, i);
      else
        issues.push({
          path: ['agents', name, 'tools', i],
          message: `duplicate tool "${toolName}" (also at [${first}])`,
        });
    });
  }
  return issues;
}

function checkProviders(providers: unknown, env: Env): RawIssue[] {
  if (!isRecord(providers)) return [];
  const issues: RawIssue[] = [];
  for (const [name, p] of Object.entries(providers)) {
    if (!isRecord(p)) continue;
    if (p.type === 'mock') {
      // The mock runs in-process; a running `swiftlet mock-llm` is reached as type openai with its baseUrl.
      for (const key of ['baseUrl', 'apiKey'] as const) {
        if (p[key] !== undefined) {
          issues.push({
            path: ['providers', name, key],
            message: 'not used by type mock (the mock LLM runs in-process)',
          });
        }
      }
    }
    if (p.type !== 'openai' && p.type !== 'anthropic') continue;
    const official = OFFICIAL_BASE_URL[p.type];
    const baseUrl = p.baseUrl ?? official;
    if (typeof baseUrl !== 'string' || trimSlash(baseUrl) !== official) continue;
    if (p.apiKey !== undefined && (typeof p.apiKey !== 'string' || p.apiKey !== '')) continue;
    const envName = API_KEY_ENV[p.type];
    if (env[envName]) continue;
    issues.push({
      path: ['providers', name, 'apiKey'],
      message: `no API key for ${official}: set providers.${name}.apiKey or the ${envName} environment variable`,
    });
  }
  return issues;
}

function checkBus(bus: unknown): RawIssue[] {
  if (!isRecord(bus)) return [];
  const driver = bus.driver ?? 'local';
  const issues: RawIssue[] = [];
  if (driver === 'nats' && bus.url === undefined) {
    issues.push({ path: ['bus', 'url'], message: 'required when driver is nats' });
  }
  if (driver === 'local') {
    for (const key of ['url', 'stream', 'republishMs']) {
      if (bus[key] !== undefined) issues.push({ path: ['bus', key], message: 'applies only to driver nats' });
    }
  }
  return issues;
}

function checkStorage(storage: unknown): RawIssue[] {
  if (!isRecord(storage)) return [];
  const driver = storage.driver ?? 'sqlite';
  if (typeof driver !== 'string' || !Object.hasOwn(DRIVER_KEYS, driver)) return [];
  const issues: RawIssue[] = [];
  for (const [owner, keys] of Object.entries(DRIVER_KEYS)) {
    if (owner === driver) continue;
    for (const key of keys) {
      if (storage[key] !== undefined) {
        issues.push({ path: ['storage', key], message: `applies only to driver ${owner} (driver is ${driver})` });
      }
    }
  }
  if (driver === 'postgres' && storage.url === undefined) {
    issues.push({ path: ['storage', 'url'], message: 'required when driver is postgres' });
  }
  return issues;
}
