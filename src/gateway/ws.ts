import type { HttpApp } from './http.js';
import type { GatewayContext } from './types.js';

export function registerWebSocket(_app: HttpApp, _ctx: GatewayContext): void {}
