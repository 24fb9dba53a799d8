export * from './errors.js';
export * from './types.js';
export * from './ids.js';
export * from './diagnostics.js';
export * from './tenant.js';
export * from './tasks.js';
export * from './optional.js';
