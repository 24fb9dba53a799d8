// The history window every peer applies, mirroring Swiftlet's context builder and the hand-written loop: of the
// messages before this turn, the last HISTORY_WINDOW, advanced to the first user message so that no tool result is
// sent without the call that asked for it. Each peer applies it at its framework's own hook.
import { HISTORY_WINDOW } from '../workload.js';

/** Index of the first past message to send; `isUser(i)` tells whether message i starts a turn. */
export function windowStart(length: number, isUser: (i: number) => boolean): number {
  let start = Math.max(0, length - HISTORY_WINDOW);
  while (start < length && !isUser(start)) start++;
  return start;
}

/** `past` cut to the window. */
export function windowed<T>(past: readonly T[], isUser: (m: T) => boolean): T[] {
  return past.slice(windowStart(past.length, (i) => isUser(past[i]!)));
}
