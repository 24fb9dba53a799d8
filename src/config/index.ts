// Swiftlet's configuration: swiftlet.yaml, validated once at start-up and deep-frozen.
export { parseConfig, type ParseOptions } from './parse.js';
export { defaultConfig, NO_API_KEY_WARNING } from './defaults.js';
export { loadConfig, type LoadOptions } from './load.js';
export { configJsonSchema } from './json-schema.js';
export type {
  AgentConfig,
  BasicToolConfig,
  BasicToolName,
  ConfigIssue,
  HttpFetchToolConfig,
  LimitsConfig,
  LoadedConfig,
  MemoryStorageConfig,
  PostgresStorageConfig,
  ProviderConfig,
  ProviderType,
  PruningConfig,
  SqliteStorageConfig,
  StorageConfig,
  SwiftletConfig,
  ToolConfig,
  ToolName,
} from './types.js';
