export { NatsTransport, type NatsTransportOptions } from './transport.js';
