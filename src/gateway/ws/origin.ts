import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Browsers send `Origin` on every WebSocket handshake and do not apply CORS to it, so a page on any site could open
 * a socket with the user's ambient credentials. A handshake with an Origin must come from the server's own origin
 * (same host as the Host header) or one of `server.allowedOrigins`; one without (curl, SDKs, other servers) is allowed.
 */
export function originAllowed(req: IncomingMessage, allowed: ReadonlySet<string>): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (allowed.has(url.origin)) return true;
  const host = req.headers.host;
  if (host === undefined) return false;
  try {
    // Parsed with the origin's scheme so that default ports compare equal (`a.example:443` and `https://a.example`).
    return new URL(`${url.protocol}//${host}`).host === url.host;
  } catch {
    return false;
  }
}

/** The allow list in the form `URL.origin` gives (lower-case host, no default port, no trailing slash). */
export function normalizeOrigins(origins: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const o of origins) {
    try {
      out.add(new URL(o).origin);
    } catch {
      // The config schema only lets origins through; anything else can match nothing.
    }
  }
  return out;
}

const REASONS: Record<number, string> = { 403: 'Forbidden', 503: 'Service Unavailable' };

/** Answers a handshake with an HTTP error and closes the socket, before any upgrade. */
export function refuseUpgrade(socket: Duplex, status: 403 | 503, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
