import { randomBytes } from 'node:crypto';

// Ids sort by creation time: a millisecond timestamp in base 32 (Crockford alphabet), then 80 random bits.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
let pool = randomBytes(4096);
let offset = 0;

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

function randomPart(): string {
  if (offset + 10 > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  let out = '';
  for (let i = 0; i < 16; i++) out += ALPHABET[(pool[offset + (i >> 1)]! >> (i & 1 ? 0 : 3)) & 31];
  offset += 10;
  return out;
}

export type IdPrefix = 'ses' | 'turn' | 'call' | 'inst' | 'task';

export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  return `${prefix}_${encodeTime(now)}${randomPart()}`;
}

/** Session ids given by clients: 1–128 characters of letters, digits, `_`, `-`, `.`, `:`. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

export function isValidSessionId(id: string): boolean {
  return SESSION_ID_PATTERN.test(id);
}

let lastTime = 0;
let lastRandom = '';

/**
 * Like newId, but strictly increasing within this process even within one millisecond (the random part of a repeat
 * is the previous one plus one), so that ids order records as they were made: tasks list and queue in that order.
 */
export function monotonicId(prefix: IdPrefix, now: number = Date.now()): string {
  if (now > lastTime) {
    lastTime = now;
    lastRandom = randomPart();
  } else {
    lastRandom = increment(lastRandom);
  }
  return `${prefix}_${encodeTime(lastTime)}${lastRandom}`;
}

function increment(s: string): string {
  const chars = s.split('');
  for (let i = chars.length - 1; i >= 0; i--) {
    const d = ALPHABET.indexOf(chars[i]!);
    if (d < 31) {
      chars[i] = ALPHABET[d + 1]!;
      return chars.join('');
    }
    chars[i] = ALPHABET[0]!;
  }
  return chars.join('');
}
