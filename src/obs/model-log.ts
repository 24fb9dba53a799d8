// Failed model attempts in the server log. API clients and session logs get a generic message with the status (see
// src/model/http-errors.ts); the provider's own text is here, for the operator, with key-shaped strings redacted.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Logger } from 'pino';
import { CHANNELS, type ModelResponseMessage } from './channels.js';
import { redactSecrets } from './redact.js';

/** Not failures of the provider: the caller stopped, or the server is closing. */
const QUIET_CODES = new Set(['SWIFTLET_ERR_ABORTED', 'SWIFTLET_ERR_SHUTTING_DOWN']);

/**
 * Logs every failed model attempt (retried ones too) at warn: provider, model, attempt, status, code, the error's
 * message and the provider's text, both redacted. Returns a function that stops logging.
 */
export function logModelFailures(log: Logger): () => void {
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
  subscribe(CHANNELS.modelResponse, onResponse);
  return () => {
    unsubscribe(CHANNELS.modelResponse, onResponse);
  };
}
