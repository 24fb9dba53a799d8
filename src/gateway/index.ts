export { startGateway, type Gateway, type GatewayExtras } from './server.js';
export {
  DEFAULT_SERVER_OPTIONS,
  LOCAL_CALLER,
  type ServerOptions,
  type ApiKeyOptions,
  type GatewayContext,
  type Caller,
} from './types.js';
export { HttpApp, sendJson, sendError, type RequestCtx, type Handler } from './http.js';
