// The control API under `/_mock/`, for a mock running in another process (the benchmark, `swiftlet mock-llm`).
import type { ServerResponse } from 'node:http';
import { SwiftletError, toSwiftletError } from '../../core/index.js';
import type { MockFault, MockRequestRecord } from './types.js';
import { parseFaults, parseKnobs, type Knobs } from './validate.js';
import { JSON_HEADERS } from './wire.js';

export interface Controllable {
  configure(knobs: Knobs): void;
  injectFault(...faults: MockFault[]): void;
  reset(): void;
  readonly state: { count: number; faults: number; records: readonly MockRequestRecord[] };
}

const RECENT = 100;

export function control(mock: Controllable, method: string, path: string, raw: string, res: ServerResponse): void {
  let status = 200;
  let body: unknown;
  try {
    switch (`${method} ${path}`) {
      case 'GET /_mock/requests': {
        const { count, faults, records } = mock.state;
        body = { count, faults, requests: records.slice(-RECENT) };
        break;
      }
      case 'POST /_mock/config':
        mock.configure(parseKnobs(json(raw), 'config'));
        body = { ok: true };
        break;
      case 'POST /_mock/faults': {
        const faults = parseFaults(json(raw));
        mock.injectFault(...faults);
        body = { ok: true, queued: mock.state.faults };
        break;
      }
      case 'POST /_mock/reset':
        mock.reset();
        body = { ok: true };
        break;
      default:
        status = 404;
        body = { error: { code: 'SWIFTLET_ERR_INVALID_INPUT', message: `unknown control call: ${method} ${path}` } };
    }
  } catch (err) {
    const e = toSwiftletError(err);
    status = e.httpStatus;
    body = { error: e.toJSON() };
  }
  res.writeHead(status, JSON_HEADERS).end(JSON.stringify(body));
}

function json(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw new SwiftletError('SWIFTLET_ERR_INVALID_INPUT', `the body is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
