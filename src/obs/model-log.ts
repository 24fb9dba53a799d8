// Failures the server log must show: failed model attempts, and turns a store error ended. API clients and session logs get a generic message with the status (see
// src/model/http-errors.ts); the provider's own text is here, for the operator, with key-shaped strings redacted.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Logger } from 'pino';
import { CHANNELS, type ModelResponseMessage, type TurnEndMessage } from './channels.js';
import { redactSecrets } from './redact.js';

/** Not failures of the provider: the caller stopped, or the server is closing. */
const QUIET_CODES = new Set(['SWIFTLET_ERR_ABORTED', 'SWIFTLET_ERR_SHUTTING_DOWN']);

/** Codes with which the store ends a turn: its entries could not be written, so it was never acknowledged. */
const STORE_CODES = new Set(['SWIFTLET_ERR_STORE', 'SWIFTLET_ERR_STORE_SCHEMA']);

/**
 * Logs every failed model attempt (retried ones too) at warn: provider, model, attempt, status, code, the error's
 * message and the provider's text, both redacted. Logs every turn that a store error ended at error, with its tenant,
 * session and turn. Returns a function that stops logging.
 */
export function logFailures(log: Logger): () => void {
  const onResponse = (message: unknown): void => {
    const m = message as ModelResponseMessage;
    const error = m.error;
    if (error === undefined || QUIET_CODES.has(error.code)) return;
    log.warn(
      {
        provider: m.provider,
        model: m.model,
        attempt: m.attempt,
        ...(m.status === undefined ? {} : { status: m.status }),
        code: error.code,
        ...(error.message === undefined ? {} : { error: redactSecrets(error.message) }),
        ...(error.body === undefined || error.body === '' ? {} : { providerText: redactSecrets(error.body) }),
      },
      'model request failed',
    );
  };
  const onTurnEnd = (message: unknown): void => {
    const m = message as TurnEndMessage;
    if (m.outcome !== 'failed' || m.error === undefined) return;
    const stored = STORE_CODES.has(m.error.code) || m.error.message.startsWith('the turn could not be');
    if (!stored) return;
    log.error(
      { tenant: m.tenant, sessionId: m.sessionId, turnId: m.turnId, agent: m.agent, code: m.error.code },
      m.error.message,
    );
  };
  subscribe(CHANNELS.modelResponse, onResponse);
  subscribe(CHANNELS.turnEnd, onTurnEnd);
  return () => {
    unsubscribe(CHANNELS.modelResponse, onResponse);
    unsubscribe(CHANNELS.turnEnd, onTurnEnd);
  };
}
