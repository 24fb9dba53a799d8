// A PublishRequest as the bus's TaskSpec, in the caller's tenant, checked against the key's agent list.
import { SwiftletError, isValidSessionId, type TaskSpec, type TaskTarget } from '../../core/index.js';
import { checkAgent } from '../auth.js';
import type { Caller } from '../types.js';
import { invalid, parseJson, toTarget } from './convert.js';
import type { PublishRequestMsg } from './messages.js';

const MAX_IDEMPOTENCY_KEY = 256;

export function toTaskSpec(caller: Caller, req: PublishRequestMsg): TaskSpec {
  const target = toTarget(req.target);
  checkTarget(caller, target);
  const data = parseJson(req.data_json, 'data_json');
  if (req.text === '' && data === undefined) throw invalid('text', 'the task needs text, data_json or both');
  if (req.deadline_ms < 0) throw invalid('deadline_ms', 'expected epoch milliseconds, or 0 for none');
  if (req.max_attempts < 0) throw invalid('max_attempts', 'expected a positive number, or 0 for the default');
  if (req.idempotency_key.length > MAX_IDEMPOTENCY_KEY) {
    throw invalid('idempotency_key', `at most ${MAX_IDEMPOTENCY_KEY} characters`);
  }
  if (req.parent_id !== '' && !isValidSessionId(req.parent_id)) throw invalid('parent_id', 'not a task id');
  const spec: TaskSpec = {
    tenant: caller.tenant,
    target,
    input: { ...(req.text === '' ? {} : { text: req.text }), ...(data === undefined ? {} : { data }) },
    // As the HTTP API records it.
    requester: { kind: 'key', id: caller.key?.name ?? 'anonymous' },
    priority: req.priority,
  };
  if (req.deadline_ms > 0) spec.deadline = req.deadline_ms;
  if (req.idempotency_key !== '') spec.idempotencyKey = req.idempotency_key;
  if (req.parent_id !== '') spec.parentId = req.parent_id;
  if (req.max_attempts > 0) spec.maxAttempts = req.max_attempts;
  return spec;
}

/**
 * A key with an agent list publishes only to those agents: by name, or as a broadcast filtered to them. A skill task
 * could go to any agent having the skill, so such a key may not send one.
 */
function checkTarget(caller: Caller, target: TaskTarget): void {
  if (!caller.key?.agents) return;
  if ('agent' in target) return checkAgent(caller, target.agent, 'target.agent');
  if ('broadcast' in target && target.filter?.agents) {
    target.filter.agents.forEach((a, i) => checkAgent(caller, a, `target.broadcast.agents[${i}]`));
    return;
  }
  const field = 'skill' in target ? 'target.skill' : 'target.broadcast.agents';
  throw new SwiftletError(
    'SWIFTLET_ERR_FORBIDDEN',
    `${field}: this API key may use only its agents (${caller.key.agents.join(', ')}): name them`,
    { field },
  );
}
