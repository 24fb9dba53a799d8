// When to try a model request again, and the wait before it.
import { setTimeout as sleepFor } from 'node:timers/promises';
import { abortError } from '../core/index.js';
import type { ProviderRetries } from './types.js';

/**
 * The wait before retry number `attempt + 1`, or undefined when the provider asked for a longer wait than we may give.
 * Without a `Retry-After`: full jitter, a uniform draw in [0, min(maxDelay, base·2^attempt)], which spreads the
 * retries of many sessions hit by the same outage. With one: exactly what the provider asked, if it is within
 * `maxDelayMs` or within what is left of the request's time budget.
 */
export function retryDelay(
  retries: ProviderRetries,
  attempt: number,
  retryAfterMs: number | undefined,
  budgetLeftMs: number,
  random: () => number = Math.random,
): number | undefined {
  if (retryAfterMs !== undefined) {
    return retryAfterMs <= retries.maxDelayMs || retryAfterMs <= budgetLeftMs ? retryAfterMs : undefined;
  }
  return random() * Math.min(retries.maxDelayMs, retries.baseDelayMs * 2 ** attempt);
}

/** Sleeps `ms`, or throws SWIFTLET_ERR_ABORTED as soon as `signal` aborts. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleepFor(ms, undefined, { signal });
  } catch {
    throw abortError(signal);
  }
}
