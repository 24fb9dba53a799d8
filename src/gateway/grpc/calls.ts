// The broker's calls other than Subscribe: publishing and reading tasks, and a subscriber's reports on the tasks its
// streams hold.
import { once } from 'node:events';
import type { ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation, sendUnaryData } from '@grpc/grpc-js';
import { SwiftletError } from '../../core/index.js';
import type { Caller } from '../types.js';
import { callerOf, tenantOf, visibleTask, type BrokerContext, type Holding } from './context.js';
import { toArtifact, toEventMsg, toTaskMsg } from './convert.js';
import type {
  AddArtifactRequestMsg,
  CancelRequestMsg,
  CompleteRequestMsg,
  FailRequestMsg,
  ProgressRequestMsg,
  PublishRequestMsg,
  TaskEventMsg,
  TaskRefMsg,
  WatchRequestMsg,
} from './messages.js';
import { toTaskSpec } from './publish.js';
import { completion, endHeld, failure, reportProgress } from './reports.js';
import { subscribeHandler } from './subscribe.js';
import { toGrpcStatus } from './status.js';

const EMPTY = {};

/** The Broker service's implementation. */
export function brokerService(ctx: BrokerContext): UntypedServiceImplementation {
  const held = (caller: Caller, taskId: string): Holding => ctx.holdings.require(caller, taskId);
  return {
    Publish: unary(ctx, async (caller, req: PublishRequestMsg) => {
      const spec = toTaskSpec(caller, req);
      if (spec.parentId !== undefined && !(await ctx.bus.tasks.get(spec.tenant, spec.parentId))) {
        throw new SwiftletError('SWIFTLET_ERR_TASK_NOT_FOUND', `parent_id: no task ${spec.parentId}`, {
          field: 'parent_id',
        });
      }
      return toTaskMsg(await ctx.bus.publish(spec));
    }),
    Subscribe: subscribeHandler(ctx),
    Progress: unary(ctx, async (caller, req: ProgressRequestMsg) => {
      reportProgress(held(caller, req.task_id), req);
      return EMPTY;
    }),
    AddArtifact: unary(ctx, async (caller, req: AddArtifactRequestMsg) => {
      const h = held(caller, req.task_id);
      h.ack();
      await h.assignment.artifact(toArtifact(req.artifact, 'artifact'));
      return EMPTY;
    }),
    Complete: unary(ctx, async (caller, req: CompleteRequestMsg) => {
      return toTaskMsg(await endHeld(held(caller, req.task_id), completion(req)));
    }),
    Fail: unary(ctx, async (caller, req: FailRequestMsg) => {
      return toTaskMsg(await endHeld(held(caller, req.task_id), failure(req)));
    }),
    Get: unary(ctx, async (caller, req: TaskRefMsg) => {
      return toTaskMsg(await visibleTask(ctx, caller, tenantOf(caller, req.tenant), req.task_id));
    }),
    Cancel: unary(ctx, async (caller, req: CancelRequestMsg) => {
      const tenant = tenantOf(caller, req.tenant);
      await visibleTask(ctx, caller, tenant, req.task_id);
      const task = await ctx.bus.cancel(tenant, req.task_id, req.reason === '' ? undefined : req.reason);
      if (!task) throw new SwiftletError('SWIFTLET_ERR_TASK_NOT_FOUND', `no task ${req.task_id}`, { field: 'task_id' });
      return toTaskMsg(task);
    }),
    Watch: (call: ServerWritableStream<WatchRequestMsg, TaskEventMsg>) => void watch(ctx, call),
  };
}

function unary<Req, Res>(
  ctx: BrokerContext,
  fn: (caller: Caller, req: Req) => Promise<Res>,
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    (async () => fn(callerOf(ctx, call.metadata), call.request))().then(
      (res) => callback(null, res),
      (err: unknown) => callback(toGrpcStatus(ctx.grpc, report(ctx, err))),
    );
  };
}

/** Errors that are not the caller's doing are logged; the caller sees only "internal error" for them. */
function report(ctx: BrokerContext, err: unknown): unknown {
  if (!SwiftletError.isInstance(err) || err.code === 'SWIFTLET_ERR_INTERNAL') ctx.onError(err);
  return err;
}

async function watch(ctx: BrokerContext, call: ServerWritableStream<WatchRequestMsg, TaskEventMsg>): Promise<void> {
  const stop = new AbortController();
  call.on('cancelled', () => stop.abort());
  call.on('close', () => stop.abort());
  try {
    const caller = callerOf(ctx, call.metadata);
    const req = call.request;
    const tenant = tenantOf(caller, req.tenant);
    await visibleTask(ctx, caller, tenant, req.task_id);
    const events = ctx.bus.watch(tenant, req.task_id, { afterSeq: req.after_seq, signal: stop.signal });
    for await (const e of events) {
      if (!call.write(toEventMsg(e))) await once(call, 'drain', { signal: stop.signal });
    }
    call.end();
  } catch (err) {
    if (!stop.signal.aborted) call.emit('error', toGrpcStatus(ctx.grpc, report(ctx, err)));
  }
}
