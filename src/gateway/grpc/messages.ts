// The broker's messages as @grpc/proto-loader hands them over with LOADER_OPTIONS (proto field names, int64 as
// numbers, enums as their names, every scalar present with its default, a oneof's member named in a virtual field).
// Written by hand from proto/swiftlet/broker/v1/broker.proto: the two must change together.

export const LOADER_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

export type TaskStateName =
  | 'TASK_STATE_UNSPECIFIED'
  | 'TASK_STATE_SUBMITTED'
  | 'TASK_STATE_WORKING'
  | 'TASK_STATE_INPUT_REQUIRED'
  | 'TASK_STATE_COMPLETED'
  | 'TASK_STATE_FAILED'
  | 'TASK_STATE_CANCELED'
  | 'TASK_STATE_REJECTED';

export interface BroadcastMsg {
  skill: string;
  agents: string[];
}

export interface TargetMsg {
  agent?: string;
  skill?: string;
  broadcast?: BroadcastMsg | null;
  kind?: 'agent' | 'skill' | 'broadcast';
}

export interface ArtifactMsg {
  name: string;
  text?: string;
  data_json?: string;
  file?: { uri: string; media_type: string; size: number } | null;
  content?: 'text' | 'data_json' | 'file';
}

export interface TaskErrorMsg {
  code: string;
  message: string;
}

export interface TaskMsg {
  id: string;
  tenant: string;
  target: TargetMsg;
  text: string;
  data_json: string;
  state: TaskStateName;
  attempt: number;
  max_attempts: number;
  assignee: string;
  priority: number;
  deadline_ms: number;
  idempotency_key: string;
  parent_id: string;
  depth: number;
  lease_until_ms: number;
  result: {
    message: string;
    artifacts: ArtifactMsg[];
    children: { id: string; agent: string; state: TaskStateName }[];
  } | null;
  error: TaskErrorMsg | null;
  requester: { kind: string; id: string; session_id: string };
  created_at_ms: number;
  updated_at_ms: number;
  last_seq: number;
}

export interface TaskEventMsg {
  seq: number;
  at_ms: number;
  state?: {
    state: TaskStateName;
    attempt: number;
    assignee: string;
    message: string;
    error: TaskErrorMsg | null;
  };
  progress?: { text: string; data_json: string };
  artifact?: ArtifactMsg;
}

export interface PublishRequestMsg {
  target: TargetMsg | null;
  text: string;
  data_json: string;
  priority: number;
  deadline_ms: number;
  idempotency_key: string;
  parent_id: string;
  max_attempts: number;
}

export interface SubscribeRequestMsg {
  start?: { agent: string; skills: string[]; max_in_flight: number } | null;
  ack?: { task_id: string } | null;
  nack?: { task_id: string; reason: string } | null;
  progress?: ProgressRequestMsg | null;
  complete?: CompleteRequestMsg | null;
  fail?: FailRequestMsg | null;
  message?: 'start' | 'ack' | 'nack' | 'progress' | 'complete' | 'fail';
}

export type SubscribeResponseMsg =
  | {
      subscribed: {
        agent: string;
        tenant: string;
        lease_ms: number;
        ack_timeout_ms: number;
        max_in_flight: number;
      };
    }
  | { assignment: { task: TaskMsg; attempt: number } }
  | { cancel: { task_id: string; code: string; reason: string } }
  | { ended: { task_id: string; state: TaskStateName; error: TaskErrorMsg | null } };

export interface ProgressRequestMsg {
  task_id: string;
  text: string;
  data_json: string;
}

export interface AddArtifactRequestMsg {
  task_id: string;
  artifact: ArtifactMsg | null;
}

export interface CompleteRequestMsg {
  task_id: string;
  message: string;
  artifacts: ArtifactMsg[];
}

export interface FailRequestMsg {
  task_id: string;
  code: string;
  message: string;
  reject: boolean;
}

export interface TaskRefMsg {
  task_id: string;
  tenant: string;
}

export interface WatchRequestMsg extends TaskRefMsg {
  after_seq: number;
}

export interface CancelRequestMsg extends TaskRefMsg {
  reason: string;
}
