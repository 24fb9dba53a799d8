// Model calls as seen by observers (metrics, logs, tracing) through node:diagnostics_channel. Publishing is skipped
// unless someone subscribed, so an unobserved call builds no message objects.
import { channel } from 'node:diagnostics_channel';
import { CHANNELS } from '../core/index.js';

export type { ModelRequestMessage, ModelResponseMessage } from '../core/index.js';

export const modelRequestChannel = channel(CHANNELS.modelRequest);
export const modelResponseChannel = channel(CHANNELS.modelResponse);
