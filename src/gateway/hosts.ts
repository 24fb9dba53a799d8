// The DNS rebinding defence: a page on attacker.example whose name the attacker re-points at 127.0.0.1 reaches a
// loopback server with `Host: attacker.example`. A server answers only the Host names it knows: the loopback names,
// IP literals (a rebinding needs a DNS name), and `server.allowedHosts`.
import { isIP } from 'node:net';
import { SwiftletError } from '../core/index.js';

/** Whether a request's Host header names this server. */
export type HostCheck = (host: string | undefined) => boolean;

/**
 * The check for these options, or undefined when none applies: a server with API keys checks Host only when
 * `allowedHosts` is set (a rebound page cannot send a key it does not know).
 */
export function createHostCheck(opts: {
  apiKeys: readonly unknown[];
  allowedHosts: readonly string[];
}): HostCheck | undefined {
  if (opts.apiKeys.length > 0 && opts.allowedHosts.length === 0) return undefined;
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const h of opts.allowedHosts) {
    const name = h.toLowerCase();
    if (name.startsWith('*.')) suffixes.push(name.slice(1));
    else exact.add(name);
  }
  return (header) => {
    // No Host at all is no browser (every browser sends one): nothing to rebind.
    if (header === undefined) return true;
    const name = hostName(header);
    if (name === undefined) return false;
    if (name === 'localhost' || name.endsWith('.localhost') || isIP(name) !== 0 || exact.has(name)) return true;
    for (const s of suffixes) if (name.endsWith(s)) return true;
    return false;
  };
}

/** The lower-case name of a Host header (`[::1]:8080` → `::1`, `Example.com.:80` → `example.com`). */
export function hostName(header: string): string | undefined {
  let h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    if (close === -1) return undefined;
    const rest = h.slice(close + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return h.slice(1, close);
  }
  const colon = h.lastIndexOf(':');
  if (colon !== -1) {
    if (!/^\d{1,5}$/.test(h.slice(colon + 1))) return undefined;
    h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h === '' ? undefined : h;
}

export function hostNotAllowed(header: string | undefined): SwiftletError {
  const shown = header === undefined ? '' : JSON.stringify(header.slice(0, 100));
  return new SwiftletError(
    'SWIFTLET_ERR_HOST_NOT_ALLOWED',
    `this server does not answer for Host ${shown}: add the name to server.allowedHosts if it is yours ` +
      '(a server without API keys answers localhost, *.localhost and IP addresses only, against DNS rebinding)',
    { field: 'host' },
  );
}
