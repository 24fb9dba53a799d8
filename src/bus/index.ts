export type * from './types.js';
export { LocalBus, BUS_DEFAULTS, type LocalBusOptions } from './local.js';
