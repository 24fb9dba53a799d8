import { isValidSessionId } from '../../core/index.js';

// A response id names the session and the turn that made it, so `previous_response_id` needs no table of its own:
// `resp_<base64url(sessionId)>_<turnId>`. Turn ids are `turn_` and 26 base-32 characters.
const RESPONSE_ID = /^resp_([A-Za-z0-9_-]{2,172})_(turn_[0-9a-z]{26})$/;

export function responseId(sessionId: string, turnId: string): string {
  return `resp_${Buffer.from(sessionId, 'utf8').toString('base64url')}_${turnId}`;
}

/** The session and turn a response id names, or undefined for anything that is not one of ours. */
export function parseResponseId(id: string): { sessionId: string; turnId: string } | undefined {
  const m = RESPONSE_ID.exec(id);
  if (!m) return undefined;
  const encoded = m[1]!;
  const sessionId = Buffer.from(encoded, 'base64url').toString('utf8');
  // Re-encoding must give the same text: rejects padding tricks and bytes that are not the id's own.
  if (!isValidSessionId(sessionId) || Buffer.from(sessionId, 'utf8').toString('base64url') !== encoded)
    return undefined;
  return { sessionId, turnId: m[2]! };
}
