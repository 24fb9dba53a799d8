import { createHash } from 'node:crypto';
import type { RequestCtx } from '../http.js';

/**
 * The page's policy: its own script, style and icon, API calls to its own origin, nothing inline, no framing.
 * `form-action 'none'` holds because every form is handled by the script (no navigation ever submits).
 */
export const WEB_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface Asset {
  readonly path: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  /** The strong ETag, quoted. */
  readonly etag: string;
}

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/** Content-addressed file name: `app.js` → `/web/app.1a2b3c4d5e.js`, so it can be cached for good. */
export function hashedPath(name: string, text: string): string {
  const dot = name.lastIndexOf('.');
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 10);
  return `/web/${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
}

export function makeAsset(
  path: string,
  contentType: string,
  text: string,
  cacheControl: string,
  extra: Record<string, string> = {},
): Asset {
  const body = Buffer.from(text, 'utf8');
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return {
    path,
    body,
    etag,
    headers: { ...COMMON_HEADERS, ...extra, 'content-type': contentType, 'cache-control': cacheControl, etag },
  };
}

/** Answers with the asset, or 304 when the client's If-None-Match already names it. */
export function sendAsset({ req, res }: RequestCtx, asset: Asset): void {
  if (matches(req.headers['if-none-match'], asset.etag)) {
    res.writeHead(304, asset.headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...asset.headers, 'content-length': String(asset.body.length) });
  res.end(asset.body);
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2): `W/"x"` matches `"x"`. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
