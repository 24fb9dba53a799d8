import { z } from 'zod';
import { SwiftletError } from '../core/index.js';
import { defineTool } from './define.js';
import type { Tool } from './types.js';

export interface CurrentTime {
  /** ISO 8601 local time in `timezone`, with its UTC offset (`2025-03-01T14:05:09+01:00`). */
  iso: string;
  /** The same instant in UTC (`2025-03-01T13:05:09.000Z`). */
  utc: string;
  timezone: string;
  /** e.g. `Saturday, March 1, 2025 at 2:05:09 PM GMT+1`. */
  readable: string;
}

const input = z.object({
  timezone: z.string().min(1).max(64).optional().describe('IANA time zone such as "Europe/Paris"; default UTC'),
});

/** `now` lets tests pin the clock. */
export function createCurrentTimeTool(options: { timeoutMs?: number; now?: () => number } = {}): Tool {
  const now = options.now ?? Date.now;
  return defineTool({
    name: 'current_time',
    description: 'Get the current date and time, in UTC or in a given IANA time zone.',
    input,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    run: async (args) => currentTime(now(), args.timezone ?? 'UTC'),
  });
}

interface Formatters {
  parts: Intl.DateTimeFormat;
  readable: Intl.DateTimeFormat;
}

// Building an Intl.DateTimeFormat costs far more than formatting with one: keep one pair per time zone. The cache is
// bounded because the time zone comes from the model.
const formatters = new Map<string, Formatters>();
const MAX_CACHED_ZONES = 256;

function formattersFor(timezone: string): Formatters {
  let f = formatters.get(timezone);
  if (f) return f;
  try {
    f = {
      parts: new Intl.DateTimeFormat('en-US', {
        timeZone: timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        timeZoneName: 'longOffset',
      }),
      readable: new Intl.DateTimeFormat('en-US', { timeZone: timezone, dateStyle: 'full', timeStyle: 'long' }),
    };
  } catch {
    throw new SwiftletError(
      'SWIFTLET_ERR_TOOL_FAILED',
      `unknown time zone ${JSON.stringify(timezone)}: use an IANA name such as "UTC", "Europe/Berlin", "America/New_York"`,
    );
  }
  if (formatters.size >= MAX_CACHED_ZONES) formatters.delete(formatters.keys().next().value!);
  formatters.set(timezone, f);
  return f;
}

export function currentTime(ms: number, timezone: string): CurrentTime {
  const { parts, readable: readableFormat } = formattersFor(timezone);
  const date = new Date(ms);
  const p: Record<string, string> = {};
  for (const part of parts.formatToParts(date)) p[part.type] = part.value;
  // longOffset is "GMT+05:30", or plain "GMT" at offset zero.
  const offset = p.timeZoneName === 'GMT' ? '+00:00' : (p.timeZoneName ?? 'GMT+00:00').slice(3);
  const readable = readableFormat.format(date);
  return {
    iso: `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${offset}`,
    utc: date.toISOString(),
    timezone,
    readable,
  };
}
