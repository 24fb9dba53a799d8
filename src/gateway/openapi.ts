// The OpenAPI 3.1 description of the native API, served at /openapi.json. Written by hand next to docs/api.md; a
// test checks that every native route is described and that request bodies match the validators.

import { TASK_PATHS, TASK_SCHEMAS } from './openapi-tasks.js';
import { errors, json, limit, param, ref, type Schema } from './openapi-parts.js';

const sessionId = param('id', 'path', { type: 'string' }, 'Session id.');
const lastEventIdParams = [
  param('Last-Event-ID', 'header', { type: 'string', pattern: '^\\d+\\.\\d+$' }, 'Send the events after this id.'),
  param('lastEventId', 'query', { type: 'string', pattern: '^\\d+\\.\\d+$' }, 'Same, for clients without headers.'),
];

const event = (type: string, props: Schema, required: string[]): Schema => ({
  type: 'object',
  properties: { type: { const: type }, turnId: { type: 'string' }, ...props },
  required: ['type', 'turnId', ...required],
});

const usage = ref('Usage');
const turnEndProps = {
  sessionId: { type: 'string' },
  outcome: { enum: ['final', 'interrupted', 'failed', 'max_steps'] },
  text: {
    type: 'string',
    description:
      "Every step's text, joined by a blank line (a step that only called tools adds nothing); as the OpenAI " +
      'routes answer. Partial when interrupted.',
  },
  usage,
  steps: { type: 'integer' },
  error: ref('TurnError'),
};

const schemas: Record<string, Schema> = {
  Error: {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: {
          code: { type: 'string', description: 'A stable SWIFTLET_ERR_* code (docs/errors.md).' },
          message: { type: 'string' },
          field: { type: 'string', description: 'The request field at fault, when there is one.' },
          issues: {
            type: 'array',
            items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
          },
        },
        required: ['code', 'message'],
      },
    },
    required: ['error'],
  },
  CreateSession: {
    type: 'object',
    properties: {
      agent: {
        type: 'string',
        minLength: 1,
        maxLength: 128,
        description: 'Default: `assistant`, else the first agent.',
      },
      metadata: { type: 'object', additionalProperties: true, description: 'Free-form JSON stored with the session.' },
    },
    additionalProperties: false,
  },
  Session: {
    type: 'object',
    properties: {
      tenant: { type: 'string', description: "The tenant that owns it: the key's tenant, or `local` without keys." },
      id: { type: 'string' },
      agent: { type: 'string' },
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
      lastSeq: { type: 'integer', description: 'Seq of the last log entry (0: no turn yet).' },
      openTurn: { type: 'string', description: 'The turn running now, if any.' },
      title: {
        type: 'string',
        description:
          'The first user message, whitespace collapsed, at most 80 characters ("…" marks a cut). Set once with ' +
          'that message, never changed; absent before it and for sessions stored before titles existed.',
      },
      metadata: { type: 'object', additionalProperties: true },
    },
    required: ['tenant', 'id', 'agent', 'createdAt', 'updatedAt', 'lastSeq', 'metadata'],
  },
  SessionDetail: {
    allOf: [ref('Session'), { type: 'object', properties: { todo: { type: 'array', items: ref('TodoItem') } } }],
  },
  TodoItem: {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      text: { type: 'string' },
      status: { enum: ['pending', 'in_progress', 'done'] },
    },
    required: ['id', 'text', 'status'],
  },
  SessionPage: {
    type: 'object',
    properties: { sessions: { type: 'array', items: ref('Session') }, nextCursor: { type: 'string' } },
    required: ['sessions'],
  },
  ToolCall: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      arguments: { type: 'string', description: 'JSON text, as the model wrote it.' },
    },
    required: ['id', 'name', 'arguments'],
  },
  Message: {
    type: 'object',
    properties: {
      seq: { type: 'integer' },
      turnId: { type: 'string' },
      at: { type: 'string', format: 'date-time' },
      role: { enum: ['user', 'assistant', 'tool'] },
      text: { type: 'string', description: 'user and assistant messages.' },
      toolCalls: { type: 'array', items: ref('ToolCall') },
      interrupted: { type: 'boolean', description: 'The reply was cut short.' },
      callId: { type: 'string' },
      name: { type: 'string' },
      output: { type: 'string' },
      isError: { type: 'boolean' },
    },
    required: ['seq', 'turnId', 'at', 'role'],
  },
  MessagePage: {
    type: 'object',
    properties: {
      sessionId: { type: 'string' },
      messages: { type: 'array', items: ref('Message') },
      nextCursor: { type: 'string', description: 'A seq: pass it as `cursor` for the next page.' },
    },
    required: ['sessionId', 'messages'],
  },
  TurnRequest: {
    type: 'object',
    properties: {
      input: { type: 'string', minLength: 1, description: 'The user message.' },
      agent: { type: 'string', minLength: 1, maxLength: 128, description: "Must be the session's agent." },
    },
    required: ['input'],
    additionalProperties: false,
  },
  Usage: {
    type: 'object',
    properties: { inputTokens: { type: 'integer' }, outputTokens: { type: 'integer' } },
    required: ['inputTokens', 'outputTokens'],
  },
  TurnError: {
    type: 'object',
    properties: { code: { type: 'string' }, message: { type: 'string' } },
    required: ['code', 'message'],
  },
  TurnResult: {
    type: 'object',
    properties: { turnId: { type: 'string' }, ...turnEndProps },
    required: ['turnId', 'sessionId', 'outcome', 'text', 'usage', 'steps'],
  },
  TurnEvent: {
    description: 'Sent as SSE `event: <type>`, `data: <this object>`, `id: <step>.<n>`.',
    oneOf: [
      event('turn-start', { sessionId: { type: 'string' }, agent: { type: 'string' } }, ['sessionId', 'agent']),
      event('text-delta', { step: { type: 'integer' }, text: { type: 'string' } }, ['step', 'text']),
      event('tool-call', { step: { type: 'integer' }, call: ref('ToolCall') }, ['step', 'call']),
      event(
        'tool-result',
        {
          step: { type: 'integer' },
          callId: { type: 'string' },
          name: { type: 'string' },
          output: { type: 'string' },
          isError: { type: 'boolean' },
        },
        ['step', 'callId', 'name', 'output', 'isError'],
      ),
      event(
        'tool-progress',
        {
          step: { type: 'integer' },
          callId: { type: 'string' },
          name: { type: 'string' },
          text: { type: 'string' },
          stream: { type: 'string', description: 'stdout or stderr, for shell' },
        },
        ['step', 'callId', 'name', 'text'],
      ),
      event('step-finish', { step: { type: 'integer' }, finishReason: { type: 'string' }, usage }, [
        'step',
        'finishReason',
        'usage',
      ]),
      event('turn-end', turnEndProps, ['sessionId', 'outcome', 'text', 'usage', 'steps']),
    ],
  },
  EventList: {
    type: 'object',
    properties: {
      events: {
        type: 'array',
        items: {
          type: 'object',
          properties: { id: { type: 'string' }, event: ref('TurnEvent') },
          required: ['id', 'event'],
        },
      },
      done: { type: 'boolean', description: 'The turn has ended.' },
    },
    required: ['events', 'done'],
  },
  ...TASK_SCHEMAS,
  Agent: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      description: { type: 'string' },
      model: { type: 'string' },
      tools: { type: 'array', items: { type: 'string' } },
      skills: {
        type: 'array',
        description: 'Skills it offers: a task sent to a skill goes to one agent having it.',
        items: {
          type: 'object',
          properties: { name: { type: 'string' }, description: { type: 'string' } },
          required: ['name', 'description'],
        },
      },
    },
    required: ['name', 'description', 'model', 'tools', 'skills'],
  },
};

const errorText: Record<number, string> = {
  400: 'Invalid request; `error.field` names the field.',
  401: 'Missing or unknown API key.',
  403: 'This API key may not use the agent.',
  404: 'No such session, turn, task or agent.',
  409: 'The session belongs to another agent, or no agent would receive the broadcast.',
  413: 'The body is larger than server.bodyLimitBytes.',
  415: 'The body is not JSON.',
  429: "Too many turns in flight, the session is busy, or the target's task queue is full; see Retry-After.",
  503: 'The server is shutting down; see Retry-After.',
};

const sse = { 'text/event-stream': { schema: { type: 'string', description: 'TurnEvent frames (see TurnEvent).' } } };

const paths: Record<string, Schema> = {
  '/v1/sessions': {
    post: {
      operationId: 'createSession',
      summary: 'Create a session',
      requestBody: { required: true, content: { 'application/json': { schema: ref('CreateSession') } } },
      responses: { '201': json(ref('Session'), 'Created'), ...errors(400, 401, 403, 404, 413, 415, 503) },
    },
    get: {
      operationId: 'listSessions',
      summary: 'List sessions, most recently updated first',
      parameters: [
        param('agent', 'query', { type: 'string' }, 'Only sessions of this agent.'),
        limit(1000, 50),
        param('cursor', 'query', { type: 'string' }, '`nextCursor` of the previous page.'),
      ],
      responses: { '200': json(ref('SessionPage')), ...errors(400, 401, 403) },
    },
  },
  '/v1/sessions/{id}': {
    get: {
      operationId: 'getSession',
      summary: 'A session and its todo list',
      parameters: [sessionId],
      responses: { '200': json(ref('SessionDetail')), ...errors(401, 403, 404) },
    },
    delete: {
      operationId: 'deleteSession',
      summary: 'Delete a session and its log',
      parameters: [sessionId],
      responses: { '204': { description: 'Deleted' }, ...errors(401, 403, 404, 429) },
    },
  },
  '/v1/sessions/{id}/messages': {
    get: {
      operationId: 'listMessages',
      summary: "The session's messages, oldest first",
      parameters: [
        sessionId,
        param('cursor', 'query', { type: 'integer', minimum: 0 }, 'Messages after this seq.'),
        limit(1000, 100),
      ],
      responses: { '200': json(ref('MessagePage')), ...errors(400, 401, 403, 404) },
    },
  },
  '/v1/sessions/{id}/turns': {
    post: {
      operationId: 'runTurn',
      summary: 'Run a turn: the result as JSON, or its events as SSE with Accept: text/event-stream',
      parameters: [
        sessionId,
        param('interruptOnDisconnect', 'query', { type: 'boolean', default: false }, 'Interrupt if the client leaves.'),
      ],
      requestBody: { required: true, content: { 'application/json': { schema: ref('TurnRequest') } } },
      responses: {
        '200': {
          description: 'The turn ended',
          content: { 'application/json': { schema: ref('TurnResult') }, ...sse },
        },
        ...errors(400, 401, 403, 404, 409, 413, 415, 429, 503),
      },
    },
  },
  '/v1/sessions/{id}/turns/{turnId}/events': {
    get: {
      operationId: 'turnEvents',
      summary: "A turn's events after Last-Event-ID: live while it runs, else rebuilt from the log",
      parameters: [sessionId, param('turnId', 'path', { type: 'string' }, 'Turn id.'), ...lastEventIdParams],
      responses: {
        '200': { description: 'Events', content: { 'application/json': { schema: ref('EventList') }, ...sse } },
        '204': { description: 'SSE only: the turn has ended and nothing follows Last-Event-ID.' },
        ...errors(400, 401, 403, 404),
      },
    },
  },
  '/v1/sessions/{id}/interrupt': {
    post: {
      operationId: 'interruptSession',
      summary: "Interrupt the session's running turn",
      parameters: [sessionId],
      responses: {
        '200': json({
          type: 'object',
          properties: { interrupted: { type: 'boolean', description: 'False when no turn was running.' } },
          required: ['interrupted'],
        }),
        ...errors(401, 403, 404),
      },
    },
  },
  '/v1/agents': {
    get: {
      operationId: 'listAgents',
      summary: 'The agents this API key may use',
      responses: {
        '200': json({ type: 'object', properties: { agents: { type: 'array', items: ref('Agent') } } }),
        ...errors(401),
      },
    },
  },
  '/v1/agents/{name}': {
    get: {
      operationId: 'getAgent',
      summary: 'One agent',
      parameters: [param('name', 'path', { type: 'string' }, 'Agent name.')],
      responses: { '200': json(ref('Agent')), ...errors(401, 403, 404) },
    },
  },
  ...TASK_PATHS,
};

let document: Schema | undefined;

/** The OpenAPI document, built on first use. */
export function openApiDocument(): Schema {
  document ??= {
    openapi: '3.1.0',
    info: {
      title: 'Swiftlet native API',
      version: '1.0.0',
      description:
        'Sessions, turns (JSON or Server-Sent Events, resumable), agents and tasks. See docs/api.md and docs/tasks.md.',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from server.apiKeys.' } },
      schemas,
      responses: Object.fromEntries(
        Object.entries(errorText).map(([status, description]) => [`E${status}`, json(ref('Error'), description)]),
      ),
    },
  };
  return document;
}
