import { SwiftletError } from '../core/index.js';
import type { AgentConfig, ProviderConfig, SwiftletConfig, ToolConfig } from '../config/index.js';
import { createAgent, type Agent } from '../agent/index.js';
import { createModelClient, startMockLlm, type MockLlm, type ModelClient } from '../model/index.js';
import type { TaskBus } from '../bus/index.js';
import { createBuiltinTool, createDelegateTools, type BuiltinToolSpec, type Tool } from '../tools/index.js';

export interface BuiltAgents {
  agents: Map<string, Agent>;
  configs: Map<string, AgentConfig>;
  clients: ModelClient[];
  mock: MockLlm | undefined;
}

/** Builds one model client per provider that an agent uses, and every agent, once. */
/** The bus, set once the runtime has made it: the delegate tools are built before it. */
export interface BusRef {
  bus?: TaskBus;
}

export async function buildAgents(
  config: SwiftletConfig,
  extraTools: Readonly<Record<string, readonly Tool[]>>,
  busRef: BusRef = {},
): Promise<BuiltAgents> {
  const used = new Set(Object.values(config.agents).map((a) => providerOf(a.model)));
  const clients = new Map<string, ModelClient>();
  let mock: MockLlm | undefined;
  try {
    for (const name of used) {
      const p: ProviderConfig | undefined = config.providers[name];
      if (!p) throw new SwiftletError('SWIFTLET_ERR_CONFIG_INVALID', `unknown provider "${name}"`);
      if (p.type === 'mock') {
        mock ??= await startMockLlm({});
        clients.set(name, createModelClient({ ...p, type: 'openai', baseUrl: `${mock.url}/v1`, apiKey: 'mock' }));
      } else {
        clients.set(name, createModelClient({ ...p, type: p.type }));
      }
    }
    const agents = new Map<string, Agent>();
    const configs = new Map<string, AgentConfig>();
    const skills = new Map(Object.values(config.agents).map((a) => [a.name, a.skills.map((s) => s.name)]));
    const bus = (): TaskBus => {
      if (!busRef.bus) throw new SwiftletError('SWIFTLET_ERR_INTERNAL', 'the task bus is not running');
      return busRef.bus;
    };
    for (const [name, a] of Object.entries(config.agents)) {
      const tools: Tool[] = a.tools.flatMap((spec) =>
        spec.name === 'delegate'
          ? createDelegateTools({
              agent: name,
              bus,
              agents: skills,
              ...(spec.agents === undefined ? {} : { allowAgents: spec.agents }),
              maxDepth: spec.maxDepth,
              maxTasksPerTurn: spec.maxTasksPerTurn,
              waitTimeoutMs: spec.waitTimeoutMs,
            })
          : [createBuiltinTool(toolSpec(spec))],
      );
      tools.push(...(extraTools[name] ?? []));
      agents.set(
        name,
        createAgent({
          name,
          description: a.description,
          model: clients.get(providerOf(a.model))!,
          modelId: modelOf(a.model),
          instructions: a.instructions,
          tools,
          maxSteps: a.maxSteps,
          ...(a.temperature === undefined ? {} : { temperature: a.temperature }),
          ...(a.maxTokens === undefined ? {} : { maxTokens: a.maxTokens }),
          historyWindow: a.historyWindow,
          toolTimeoutMs: a.toolTimeoutMs,
          maxToolOutputBytes: config.limits.maxToolOutputBytes,
          maxOutputBytes: a.maxOutputBytes,
        }),
      );
      configs.set(name, a);
    }
    return { agents, configs, clients: [...clients.values()], mock };
  } catch (err) {
    await Promise.allSettled([...clients.values()].map((c) => c.close()));
    await mock?.close();
    throw err;
  }
}

function providerOf(model: string): string {
  return model.slice(0, model.indexOf('/'));
}

function modelOf(model: string): string {
  return model.slice(model.indexOf('/') + 1);
}

/** Config is deep-frozen (readonly); tool specs take plain copies. */
function toolSpec(t: Exclude<ToolConfig, { name: 'delegate' }>): BuiltinToolSpec {
  return t.name === 'http_fetch' ? { ...t, allowHosts: [...t.allowHosts] } : { ...t };
}
