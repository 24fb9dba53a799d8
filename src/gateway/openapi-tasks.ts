// The task routes of the OpenAPI document (docs/tasks.md).
import { errors, json, limit, name, param, ref, type Schema } from './openapi-parts.js';

const taskId = param('id', 'path', { type: 'string' }, 'Task id.');
const adminTenant = param(
  'tenant',
  'query',
  { type: 'string' },
  "An admin key: the tenant whose task this is (default the key's own).",
);
const TASK_STATES = ['submitted', 'working', 'input-required', 'completed', 'failed', 'canceled', 'rejected'];

export const TASK_SCHEMAS: Record<string, Schema> = {
  TaskTarget: {
    description: 'Exactly one of `agent`, `skill` or `broadcast`.',
    type: 'object',
    properties: {
      agent: { ...name, description: 'One agent, by name.' },
      skill: { ...name, description: 'Exactly one of the agents offering this skill (competing consumers).' },
      broadcast: { const: true, description: 'Every agent (one child task each), or those the filter names.' },
      filter: {
        type: 'object',
        description: 'broadcast only.',
        properties: {
          skill: { ...name, description: 'Only agents offering this skill.' },
          agents: { type: 'array', items: name, minItems: 1, maxItems: 256, description: 'Only these agents.' },
        },
        additionalProperties: false,
      },
    },
    additionalProperties: false,
  },
  TaskInput: {
    description: 'At least one of `text` and `data`. The agent is given the text, then the data as JSON.',
    type: 'object',
    properties: { text: { type: 'string', minLength: 1 }, data: { description: 'Any JSON value.' } },
    additionalProperties: false,
  },
  CreateTask: {
    type: 'object',
    properties: {
      target: ref('TaskTarget'),
      input: ref('TaskInput'),
      priority: {
        type: 'integer',
        minimum: -2147483647,
        maximum: 2147483647,
        default: 0,
        description: 'Higher runs first; ties in order of arrival.',
      },
      deadline: {
        oneOf: [{ type: 'string', format: 'date-time' }, { type: 'integer' }],
        description: 'ISO 8601 time or epoch milliseconds, in the future. An unfinished task then fails.',
      },
      idempotencyKey: {
        type: 'string',
        minLength: 1,
        maxLength: 128,
        description: 'A second POST with this key (in the tenant) returns the first task, with 200.',
      },
      parentId: { type: 'string', description: 'The task this one was made for (its depth is one more).' },
    },
    required: ['target', 'input'],
    additionalProperties: false,
  },
  CancelTask: {
    type: 'object',
    properties: { reason: { type: 'string', minLength: 1, maxLength: 1000 } },
    additionalProperties: false,
  },
  Requester: {
    type: 'object',
    properties: {
      kind: { enum: ['key', 'agent', 'cli'] },
      id: { type: 'string', description: "The API key's name (`anonymous` without keys), the agent, or `cli`." },
      sessionId: { type: 'string', description: 'For an agent: the session whose turn made the task.' },
    },
    required: ['kind', 'id'],
  },
  Artifact: {
    type: 'object',
    properties: {
      kind: { enum: ['text', 'data', 'file'] },
      name: { type: 'string' },
      text: { type: 'string' },
      data: { description: 'Any JSON value.' },
      uri: { type: 'string' },
      mediaType: { type: 'string' },
      size: { type: 'integer' },
    },
    required: ['kind'],
  },
  TaskResult: {
    type: 'object',
    properties: {
      message: { type: 'string', description: "The final message: the agent's answer." },
      artifacts: { type: 'array', items: ref('Artifact') },
      children: {
        type: 'array',
        description: "A broadcast: its children's ids and end states.",
        items: {
          type: 'object',
          properties: { id: { type: 'string' }, agent: { type: 'string' }, state: { enum: TASK_STATES } },
          required: ['id', 'agent', 'state'],
        },
      },
    },
  },
  Task: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      tenant: { type: 'string' },
      target: ref('TaskTarget'),
      state: { enum: TASK_STATES },
      input: ref('TaskInput'),
      requester: ref('Requester'),
      priority: { type: 'integer' },
      deadline: { type: 'string', format: 'date-time' },
      idempotencyKey: { type: 'string' },
      parentId: { type: 'string' },
      depth: { type: 'integer', description: "0 for a top-level task, its parent's + 1 for a delegated one." },
      attempt: { type: 'integer', description: 'Claims so far; a redelivery is one more.' },
      maxAttempts: { type: 'integer' },
      assignee: { type: 'string', description: 'The agent holding it, or that last held it.' },
      result: ref('TaskResult'),
      error: ref('TurnError'),
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
      lastSeq: { type: 'integer', description: 'Seq of its last event.' },
    },
    required: [
      'id',
      'tenant',
      'target',
      'state',
      'input',
      'requester',
      'priority',
      'depth',
      'attempt',
      'maxAttempts',
      'createdAt',
      'updatedAt',
      'lastSeq',
    ],
  },
  TaskPage: {
    type: 'object',
    properties: { tasks: { type: 'array', items: ref('Task') }, nextCursor: { type: 'string' } },
    required: ['tasks'],
  },
  TaskEvent: {
    description: 'Sent as SSE `event: <type>`, `data: <this object>`, `id: <seq>`.',
    type: 'object',
    properties: {
      seq: { type: 'integer', description: 'From 1, in order; the SSE id.' },
      at: { type: 'string', format: 'date-time' },
      type: { enum: ['state', 'progress', 'artifact'] },
      state: { enum: TASK_STATES, description: 'state events.' },
      attempt: { type: 'integer', description: 'state `working`: the claim.' },
      assignee: { type: 'string', description: 'state `working`: the agent that claimed it.' },
      message: { type: 'string', description: 'state events: why (canceled, released, lease lapsed…).' },
      error: ref('TurnError'),
      text: { type: 'string', description: 'progress: text the agent wrote.' },
      data: { description: 'progress: tool activity (`{tool, callId, isError?}`).' },
      artifact: ref('Artifact'),
    },
    required: ['seq', 'at', 'type'],
  },
  TaskEventList: {
    type: 'object',
    properties: {
      events: { type: 'array', items: ref('TaskEvent') },
      done: { type: 'boolean', description: 'The last event is the terminal state: nothing follows.' },
    },
    required: ['events', 'done'],
  },
};

export const TASK_PATHS: Record<string, Schema> = {
  '/v1/tasks': {
    post: {
      operationId: 'createTask',
      summary: 'Send a task to an agent, a skill or every agent',
      requestBody: { required: true, content: { 'application/json': { schema: ref('CreateTask') } } },
      responses: {
        '201': json(ref('Task'), 'Recorded'),
        '200': json(ref('Task'), 'The idempotency key was used: the task that has it'),
        ...errors(400, 401, 403, 404, 409, 413, 415, 429, 503),
      },
    },
    get: {
      operationId: 'listTasks',
      summary: 'List tasks, newest first',
      parameters: [
        param('state', 'query', { enum: TASK_STATES }, 'Only tasks in this state.'),
        param('agent', 'query', { type: 'string' }, 'Only tasks sent to this agent or held by it.'),
        param('parent', 'query', { type: 'string' }, 'Only the children of this task.'),
        limit(1000, 50),
        param('cursor', 'query', { type: 'string' }, '`nextCursor` of the previous page.'),
        param('tenant', 'query', { type: 'string' }, 'An admin key: only this tenant (default: every tenant).'),
      ],
      responses: { '200': json(ref('TaskPage')), ...errors(400, 401, 403) },
    },
  },
  '/v1/tasks/{id}': {
    get: {
      operationId: 'getTask',
      summary: 'A task',
      parameters: [taskId, adminTenant],
      responses: { '200': json(ref('Task')), ...errors(401, 403, 404) },
    },
  },
  '/v1/tasks/{id}/events': {
    get: {
      operationId: 'taskEvents',
      summary: "A task's events after Last-Event-ID (or `after`): SSE until its end, or the ones so far as JSON",
      parameters: [
        taskId,
        param('Last-Event-ID', 'header', { type: 'string', pattern: '^\\d+$' }, 'Send the events after this seq.'),
        param('after', 'query', { type: 'integer', minimum: 0 }, 'Same, for clients without headers.'),
        adminTenant,
      ],
      responses: {
        '200': {
          description: 'Events',
          content: {
            'application/json': { schema: ref('TaskEventList') },
            'text/event-stream': { schema: { type: 'string', description: 'TaskEvent frames (see TaskEvent).' } },
          },
        },
        '204': { description: 'SSE only: the task has ended and nothing follows Last-Event-ID.' },
        ...errors(400, 401, 403, 404),
      },
    },
  },
  '/v1/tasks/{id}/cancel': {
    post: {
      operationId: 'cancelTask',
      summary: "Cancel a task (and a broadcast's children); an ended task is answered unchanged",
      parameters: [taskId, adminTenant],
      requestBody: { required: false, content: { 'application/json': { schema: ref('CancelTask') } } },
      responses: { '200': json(ref('Task')), ...errors(400, 401, 403, 404, 413, 415, 503) },
    },
  },
  '/openapi.json': {
    get: {
      operationId: 'openApi',
      summary: 'This document',
      security: [],
      responses: { '200': json({ type: 'object' }) },
    },
  },
};
