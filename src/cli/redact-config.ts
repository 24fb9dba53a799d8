// The effective config as `swiftlet config check --json` prints it: everything a reader needs to see what was loaded,
// nothing that would let them use it (provider keys, header values, database passwords, API key digests).
import type { SwiftletConfig } from '../config/index.js';

const MASK = '***';
/** Query parameters node-postgres (pg-connection-string) reads as a password, compared without case. */
const PASSWORD_PARAMS = /^(?:ssl)?password$/i;
/** Hex digits of an API key's SHA-256 shown: enough to tell keys apart in a listing. */
const FINGERPRINT_HEX = 8;

export function redactConfig(config: SwiftletConfig): unknown {
  const providers = Object.fromEntries(
    Object.entries(config.providers).map(([name, p]) => [
      name,
      {
        ...p,
        ...(p.apiKey === undefined ? {} : { apiKey: MASK }),
        headers: Object.fromEntries(Object.keys(p.headers).map((h) => [h, MASK])),
      },
    ]),
  );
  const storage =
    config.storage.driver === 'postgres'
      ? { ...config.storage, url: maskPostgresUrl(config.storage.url) }
      : config.storage;
  // Not the digests: a SHA-256 of a key is all an attacker needs to test guesses offline, as fast as their hardware
  // hashes, and a short or human-made key falls quickly. Eight hex digits tell keys apart and say too little to test
  // a guess against (one in four billion matches by chance).
  const apiKeys = config.server.apiKeys.map(({ sha256, ...rest }) => ({
    ...rest,
    fingerprint: `sha256:${sha256.slice(0, FINGERPRINT_HEX)}…`,
  }));
  return { ...config, providers, storage, server: { ...config.server, apiKeys } };
}

/**
 * A postgres:// URL with every password node-postgres would use masked: the userinfo's password, and the
 * `password` and `sslpassword` query parameters (any case, percent-encoded names too).
 */
export function maskPostgresUrl(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme === -1) return url;
  const start = scheme + 3;
  const queryAt = firstOf(url, ['?', '#'], start);
  // The userinfo ends at the last "@" of the authority; a password holding an unencoded "?" or "#" pushes that "@"
  // past them, so fall back to the last "@" anywhere (masking too much is the safe side).
  let at = url.lastIndexOf('@', queryAt - 1);
  if (at < start) at = url.lastIndexOf('@');
  let out = url;
  if (at >= start) {
    const colon = url.indexOf(':', start);
    if (colon !== -1 && colon < at) out = url.slice(0, colon + 1) + MASK + url.slice(at);
  }
  const q = firstOf(out, ['?'], at >= start ? out.indexOf('@', start) : start);
  if (q === out.length) return out;
  const hash = out.indexOf('#', q);
  const query = out.slice(q + 1, hash === -1 ? undefined : hash);
  const masked = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return PASSWORD_PARAMS.test(decode(name).trim()) ? `${name}=${MASK}` : pair;
    })
    .join('&');
  return out.slice(0, q + 1) + masked + (hash === -1 ? '' : out.slice(hash));
}

function firstOf(text: string, chars: string[], from: number): number {
  let best = text.length;
  for (const c of chars) {
    const i = text.indexOf(c, Math.max(0, from));
    if (i !== -1 && i < best) best = i;
  }
  return best;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
