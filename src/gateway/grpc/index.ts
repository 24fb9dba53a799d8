// The task broker over gRPC. Importing this module loads nothing of gRPC: startGrpcServer does, when called.
export {
  startGrpcServer,
  GRPC_DEFAULT_PORT,
  type GrpcServer,
  type GrpcServerOptions,
  type GrpcTlsOptions,
} from './server.js';
export { BROKER_PROTO, BROKER_SERVICE, protoRoot } from './proto.js';
