import { SwiftletError } from '../core/index.js';

/** Two writers appended to one session: the loser must reload the session, retrying the same entries cannot help. */
const conflicts = new WeakSet<object>();

export function conflictError(sessionId: string, detail: string, cause?: unknown): SwiftletError {
  const err = new SwiftletError('SWIFTLET_ERR_STORE', `session ${sessionId} was written concurrently: ${detail}`, {
    retryable: false,
    ...(cause === undefined ? {} : { cause }),
  });
  conflicts.add(err);
  return err;
}

/** True for the error of an append that lost a race with another writer of the session (seq or existence). */
export function isConflict(err: unknown): boolean {
  return typeof err === 'object' && err !== null && conflicts.has(err);
}

export function notFoundError(sessionId: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_SESSION_NOT_FOUND', `session ${sessionId} does not exist`);
}

/** Entries handed to `append` that break the contract (caller bug), as opposed to a race with another writer. */
export function invalidBatchError(sessionId: string, detail: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_STORE', `invalid append to session ${sessionId}: ${detail}`, {
    retryable: false,
  });
}

export function closedError(kind: string): SwiftletError {
  return new SwiftletError('SWIFTLET_ERR_STORE', `the ${kind} session store is not open`, { retryable: false });
}

export function schemaError(found: number, known: number, where: string): SwiftletError {
  return new SwiftletError(
    'SWIFTLET_ERR_STORE_SCHEMA',
    `${where} has schema version ${found}, newer than the ${known} this Swiftlet knows: upgrade Swiftlet`,
  );
}
