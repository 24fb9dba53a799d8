import { SwiftletError } from '../../core/index.js';
import { conflictError, notFoundError } from '../errors.js';

interface PgErrorFields {
  code?: unknown;
  detail?: unknown;
}

// SQLSTATE classes a retry cannot cure: bad data, integrity violations, syntax or access rules. Everything else
// (connection loss, serialization failures, resources, shutdown) may pass on a retry.
const PERMANENT_CLASSES = new Set(['22', '23', '42']);

/** Keeps SwiftletErrors; maps driver errors to SWIFTLET_ERR_STORE with the cause, conflicts to their own message. */
export function pgError(err: unknown, what: string): SwiftletError {
  if (SwiftletError.isInstance(err)) return err;
  const { code, detail } = (typeof err === 'object' && err !== null ? err : {}) as PgErrorFields;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SW409') return conflictError(String(detail), message, err);
  if (code === 'SW404') return notFoundError(String(detail));
  if (code === '23505') {
    // detail reads `Key (tenant, session_id, seq)=(t, abc, 3) already exists.` or `Key (tenant, id)=(t, abc) …`
    const key = typeof detail === 'string' ? /=\([^,]*, (.+?)(?:, (\d+))?\) already exists/.exec(detail) : null;
    const what = key?.[2] === undefined ? 'it already exists' : `seq ${key[2]} already exists`;
    return conflictError(key?.[1] ?? '?', what, err);
  }
  const permanent = typeof code === 'string' && code.length === 5 && PERMANENT_CLASSES.has(code.slice(0, 2));
  return new SwiftletError('SWIFTLET_ERR_STORE', `PostgreSQL: ${what} failed: ${message}`, {
    cause: err,
    retryable: !permanent,
  });
}
