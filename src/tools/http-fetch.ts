import type { Dispatcher, request as undiciRequest } from 'undici';
import { z } from 'zod';
import { SwiftletError, abortError, toSwiftletError } from '../core/index.js';
import { defineTool } from './define.js';
import { HostAllowlist } from './host-allowlist.js';
import type { Tool } from './types.js';

export interface HttpFetchOptions {
  /** `host`, `host:port`, `*.suffix` (see HostAllowlist). */
  allowHosts: readonly string[];
  /** Body bytes kept; the rest is dropped and `truncated` set. */
  maxBytes: number;
  /** Cap on the whole fetch, redirects included. */
  timeoutMs: number;
  /** Allow plain http (off by default: https only). */
  allowHttp: boolean;
}

export interface HttpFetchResult {
  /** The final URL, after redirects. */
  url: string;
  status: number;
  contentType: string;
  body: string;
  truncated: boolean;
}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const FORBIDDEN_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'upgrade',
  'keep-alive',
]);
const TEXTUAL = /^(text\/|application\/([a-z0-9.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded|yaml|x-yaml))|^$/;

// One connection pool for every http_fetch tool and session; idle sockets are unref'd by undici. undici as a whole is
// loaded on the tool's first call, not at start-up (its fetch, WebSocket and cache code cost ~15 ms to load).
let undici: Promise<{ dispatcher: Dispatcher; request: typeof undiciRequest }> | undefined;
function client(): NonNullable<typeof undici> {
  undici ??= import('undici').then(({ Agent, request }) => ({
    dispatcher: new Agent({ connections: 32, keepAliveTimeout: 10_000, connect: { timeout: 10_000 } }),
    request,
  }));
  return undici;
}

const input = z.object({
  url: z.string().min(1).max(8192).describe('absolute http(s) URL'),
  headers: z.record(z.string(), z.string()).optional().describe('extra request headers'),
});

export function createHttpFetchTool(options: HttpFetchOptions): Tool {
  const allowlist = new HostAllowlist(options.allowHosts);
  const hosts = options.allowHosts.length === 0 ? 'none' : options.allowHosts.join(', ');
  return defineTool({
    name: 'http_fetch',
    description:
      `Fetch a URL with HTTP GET and return its status, content type and body (text, at most ${options.maxBytes} ` +
      `bytes). Allowed hosts: ${hosts}.${options.allowHttp ? '' : ' Only https URLs.'}`,
    input,
    // The fetch enforces its own deadline with a precise message; the loop's timeout is only a backstop.
    timeoutMs: options.timeoutMs + 1000,
    run: async (args, ctx) => {
      const headers = checkHeaders(args.headers ?? {});
      // Loading undici (first call only) is not the remote host's time: the deadline starts after it.
      const http = await client();
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), options.timeoutMs);
      const signal = AbortSignal.any([ctx.signal, timeout.signal]);
      try {
        return await fetchFollowing(http, args.url, headers, allowlist, options, signal);
      } catch (err) {
        if (ctx.signal.aborted) throw abortError(ctx.signal);
        if (timeout.signal.aborted) {
          throw new SwiftletError('SWIFTLET_ERR_TOOL_TIMEOUT', `http_fetch timed out after ${options.timeoutMs} ms`);
        }
        if (SwiftletError.isInstance(err)) throw err;
        throw toSwiftletError(err, 'SWIFTLET_ERR_TOOL_FAILED');
      } finally {
        clearTimeout(timer);
      }
    },
  });
}

function checkHeaders(headers: Record<string, string>): Record<string, string> {
  const bad = Object.keys(headers).filter((name) => FORBIDDEN_HEADERS.has(name.toLowerCase()));
  if (bad.length > 0) {
    throw new SwiftletError('SWIFTLET_ERR_TOOL_DENIED', `these headers may not be set: ${bad.join(', ')}`);
  }
  return headers;
}

function checkedUrl(raw: string, base: URL | undefined, allowlist: HostAllowlist, allowHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new SwiftletError('SWIFTLET_ERR_TOOL_FAILED', `not a valid absolute URL: ${JSON.stringify(raw)}`);
  }
  const refusal = allowlist.refusal(url, allowHttp);
  if (refusal === undefined) return url;
  const what = base === undefined ? `fetching ${url.href}` : `redirect to ${url.href}`;
  throw new SwiftletError('SWIFTLET_ERR_TOOL_DENIED', `${what} refused: ${refusal}`);
}

async function fetchFollowing(
  { dispatcher, request }: Awaited<ReturnType<typeof client>>,
  raw: string,
  userHeaders: Record<string, string>,
  allowlist: HostAllowlist,
  options: HttpFetchOptions,
  signal: AbortSignal,
): Promise<HttpFetchResult> {
  let url = checkedUrl(raw, undefined, allowlist, options.allowHttp);
  const origin = url.origin;
  for (let hop = 0; ; hop++) {
    // Caller-given headers (possibly credentials) go only to the origin they were meant for.
    const headers = url.origin === origin ? userHeaders : {};
    const res = await request(url, { method: 'GET', headers, signal, dispatcher });
    const location = headerValue(res.headers.location);
    if (REDIRECTS.has(res.statusCode) && location !== '') {
      await res.body.dump();
      if (hop === MAX_REDIRECTS) {
        throw new SwiftletError('SWIFTLET_ERR_TOOL_FAILED', `too many redirects (more than ${MAX_REDIRECTS})`);
      }
      url = checkedUrl(location, url, allowlist, options.allowHttp);
      continue;
    }
    const contentType = headerValue(res.headers['content-type']);
    const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
    if (!TEXTUAL.test(mediaType)) {
      await res.body.dump();
      const body = `[binary content (${mediaType}) not shown]`;
      return { url: url.href, status: res.statusCode, contentType, body, truncated: false };
    }
    const { text, truncated } = await readCapped(res.body, options.maxBytes);
    return { url: url.href, status: res.statusCode, contentType, body: text, truncated };
  }
}

async function readCapped(
  body: AsyncIterable<Buffer>,
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  // Leaving the loop early destroys the body, so an oversized answer is never downloaded in full.
  for await (const chunk of body) {
    const room = maxBytes - size;
    if (chunk.length > room) {
      if (room > 0) chunks.push(chunk.subarray(0, room));
      size += Math.max(room, 0);
      truncated = true;
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  let text = Buffer.concat(chunks, size).toString('utf8');
  if (truncated) text = `${text.replace(/\uFFFD$/, '')}\n[truncated: only the first ${maxBytes} bytes are shown]`;
  return { text, truncated };
}

function headerValue(value: string | string[] | undefined): string {
  if (Array.isArray(value)) return value[0] ?? '';
  return value ?? '';
}
