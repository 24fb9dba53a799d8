import type { HttpApp } from '../http.js';
import type { GatewayContext } from '../types.js';

export function registerOpenAi(_app: HttpApp, _ctx: GatewayContext): void {}
