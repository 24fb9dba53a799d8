import { SwiftletError } from '../core/index.js';

interface HostRule {
  /** Lower-case host name or IP (IPv6 in brackets, as `URL.hostname` gives it). */
  host: string;
  /** `*.suffix` rules match any name ending in `.suffix`, not `suffix` itself. */
  wildcard: boolean;
  /** Without a port, a rule allows only the scheme's default port (443, or 80 for http). */
  port: string | undefined;
}

/**
 * The hosts a network tool may reach: exact names (`api.example.com`), subdomain wildcards (`*.example.com`), each
 * with an optional port (`127.0.0.1:8080`, `[::1]:8080`).
 */
export class HostAllowlist {
  readonly #rules: readonly HostRule[];
  readonly patterns: readonly string[];

  constructor(patterns: readonly string[]) {
    this.patterns = patterns;
    this.#rules = patterns.map(parseRule);
  }

  /** Why `url` may not be fetched, or undefined when it may. */
  refusal(url: URL, allowHttp: boolean): string | undefined {
    if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
      return allowHttp
        ? `only http and https URLs may be fetched, not ${url.protocol.slice(0, -1)}`
        : `only https URLs may be fetched (http is disabled), not ${url.protocol.slice(0, -1)}`;
    }
    if (url.username !== '' || url.password !== '') return 'URLs with credentials are not allowed';
    const host = url.hostname.toLowerCase();
    // URL drops a scheme's default port, so '' means 443 for https and 80 for http.
    const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
    const defaultPort = url.port === '';
    if (this.#rules.some((rule) => matches(rule, host, port, defaultPort))) return undefined;
    const shown = url.port === '' ? host : `${host}:${url.port}`;
    const allowed = this.patterns.length === 0 ? 'no hosts are allowed' : `allowed: ${this.patterns.join(', ')}`;
    return `host ${shown} is not in the allowed hosts (${allowed})`;
  }
}

function matches(rule: HostRule, host: string, port: string, defaultPort: boolean): boolean {
  const hostOk = rule.wildcard ? host.endsWith(`.${rule.host}`) : host === rule.host;
  if (!hostOk) return false;
  return rule.port === undefined ? defaultPort : rule.port === port;
}

function parseRule(pattern: string): HostRule {
  const text = pattern.trim().toLowerCase();
  const m = /^(\*\.)?(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?$/.exec(text);
  const port = m?.[3];
  if (!m || m[2]!.startsWith('.') || m[2]!.endsWith('.') || (port !== undefined && Number(port) > 65535)) {
    throw new SwiftletError(
      'SWIFTLET_ERR_CONFIG_INVALID',
      `invalid allowed host ${JSON.stringify(pattern)}: expected a host name or IP, "*.suffix", each with an optional ":port"`,
      { field: 'allowHosts' },
    );
  }
  return { host: m[2]!, wildcard: m[1] !== undefined, port: port === undefined ? undefined : String(Number(port)) };
}
