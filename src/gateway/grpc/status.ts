// Swiftlet's errors as gRPC statuses: the code by class of problem, the details naming the field at fault, and the
// SWIFTLET_ERR_* code, the field and any retry delay in the trailing metadata.
import type * as GrpcJs from '@grpc/grpc-js';
import { SwiftletError, type ErrorCode } from '../../core/index.js';

export type Grpc = typeof GrpcJs;
type StatusName = keyof typeof GrpcJs.status;

const STATUS: Partial<Record<ErrorCode, StatusName>> = {
  SWIFTLET_ERR_INVALID_INPUT: 'INVALID_ARGUMENT',
  SWIFTLET_ERR_CONFIG_INVALID: 'INVALID_ARGUMENT',
  SWIFTLET_ERR_TASK_NOT_FOUND: 'NOT_FOUND',
  SWIFTLET_ERR_NOT_FOUND: 'NOT_FOUND',
  SWIFTLET_ERR_AGENT_NOT_FOUND: 'NOT_FOUND',
  SWIFTLET_ERR_FORBIDDEN: 'PERMISSION_DENIED',
  SWIFTLET_ERR_UNAUTHORIZED: 'UNAUTHENTICATED',
  SWIFTLET_ERR_QUEUE_FULL: 'RESOURCE_EXHAUSTED',
  SWIFTLET_ERR_RATE_LIMITED: 'RESOURCE_EXHAUSTED',
  SWIFTLET_ERR_OVERLOADED: 'RESOURCE_EXHAUSTED',
  SWIFTLET_ERR_TASK_NOT_HELD: 'FAILED_PRECONDITION',
  SWIFTLET_ERR_NO_SUBSCRIBERS: 'FAILED_PRECONDITION',
  SWIFTLET_ERR_SHUTTING_DOWN: 'UNAVAILABLE',
  SWIFTLET_ERR_STORE: 'UNAVAILABLE',
  SWIFTLET_ERR_DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  SWIFTLET_ERR_ABORTED: 'CANCELLED',
};

export interface GrpcStatus {
  code: number;
  details: string;
  metadata: GrpcJs.Metadata;
}

/** The status a call ends with for `err`; anything not a SwiftletError is INTERNAL, its text kept out of the answer. */
export function toGrpcStatus(grpc: Grpc, err: unknown): GrpcStatus {
  const metadata = new grpc.Metadata();
  if (!SwiftletError.isInstance(err)) {
    metadata.set('swiftlet-error-code', 'SWIFTLET_ERR_INTERNAL');
    return { code: grpc.status.INTERNAL, details: 'internal error', metadata };
  }
  metadata.set('swiftlet-error-code', err.code);
  let details = err.message;
  if (err.field !== undefined) {
    metadata.set('swiftlet-field', err.field);
    if (!details.startsWith(`${err.field}:`)) details = `${err.field}: ${details}`;
  }
  if (err.retryAfterMs !== undefined) {
    const ms = String(Math.max(0, Math.ceil(err.retryAfterMs)));
    metadata.set('retry-after-ms', ms);
    metadata.set('grpc-retry-pushback-ms', ms);
    details += ` (retry after ${ms} ms)`;
  }
  return { code: grpc.status[STATUS[err.code] ?? 'INTERNAL'], details, metadata };
}
