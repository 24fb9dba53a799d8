// Swiftlet's configuration: swiftlet.yaml, validated once at start-up and deep-frozen.
export { parseConfig, type ParseOptions } from './parse.js';
export { defaultConfig, NO_API_KEY_WARNING } from './defaults.js';
export { loadConfig, type LoadOptions } from './load.js';
export { configJsonSchema } from './json-schema.js';
export type {
  AgentConfig,
  ApiKeyConfig,
  BasicToolConfig,
  BasicToolName,
  BusConfig,
  ConfigIssue,
  HttpFetchToolConfig,
  LimitsConfig,
  LoadedConfig,
  LogLevel,
  LoggingConfig,
  MemoryStorageConfig,
  PostgresStorageConfig,
  ProviderConfig,
  ProviderType,
  PruningConfig,
  ServerConfig,
  SqliteStorageConfig,
  StorageConfig,
  SwiftletConfig,
  ToolConfig,
  ToolName,
} from './types.js';
