import type { HttpApp } from '../http.js';
import type { GatewayContext } from '../types.js';

export function registerNative(_app: HttpApp, _ctx: GatewayContext): void {}
