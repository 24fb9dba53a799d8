export type * from './types.js';
export { LocalBus, BUS_DEFAULTS, type BroadcastRecipient, type LocalBusOptions } from './local.js';
