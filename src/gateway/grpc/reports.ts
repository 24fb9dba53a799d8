// A subscriber's reports on a task it holds, the same whether they come as unary calls (Progress, Complete, Fail) or
// as messages on its Subscribe stream.
import type { Assignment, ProgressUpdate } from '../../bus/index.js';
import type { TaskRecord } from '../../core/index.js';
import type { Holding } from './context.js';
import { parseJson, toArtifact } from './convert.js';
import type { CompleteRequestMsg, FailRequestMsg, ProgressRequestMsg } from './messages.js';

/** Progress, or a heartbeat when it carries neither text nor data; renews the lease either way. */
export function reportProgress(h: Holding, req: ProgressRequestMsg): void {
  h.ack();
  const data = parseJson(req.data_json, 'data_json');
  const update: ProgressUpdate = {
    ...(req.text === '' ? {} : { text: req.text }),
    ...(data === undefined ? {} : { data }),
  };
  if (update.text === undefined && update.data === undefined) h.assignment.heartbeat();
  else h.assignment.progress(update);
}

/** How a Complete ends the task; a bad artifact throws before anything is ended. */
export function completion(req: CompleteRequestMsg): (a: Assignment) => Promise<TaskRecord> {
  const artifacts = req.artifacts.map((a, i) => toArtifact(a, `artifacts[${i}]`));
  const result = {
    ...(req.message === '' ? {} : { message: req.message }),
    ...(artifacts.length ? { artifacts } : {}),
  };
  return (a) => a.complete(result);
}

/** How a Fail ends the task: FAILED, or REJECTED with `reject`. */
export function failure(req: FailRequestMsg): (a: Assignment) => Promise<TaskRecord> {
  const error = {
    code: req.code || 'SWIFTLET_ERR_INTERNAL',
    message: req.message || 'the consumer failed the task',
  };
  return (a) => (req.reject ? a.reject(error) : a.fail(error));
}

/** Ends the held task; the holding is forgotten whatever the bus answers, since the assignment is over either way. */
export async function endHeld(h: Holding, end: (a: Assignment) => Promise<TaskRecord>): Promise<TaskRecord> {
  h.ack();
  try {
    return await end(h.assignment);
  } finally {
    h.forget();
  }
}
