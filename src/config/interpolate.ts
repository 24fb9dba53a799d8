// `${NAME}` and `${NAME:-default}` in string values, resolved against the given environment before validation.
// Keys are never interpolated. `$${` writes a literal `${`. As in the shell, `:-` also applies when the variable is
// set but empty. Results are always strings: a number field cannot be filled from the environment.
import type { PathSegment } from './issues.js';

export interface RawIssue {
  path: PathSegment[];
  message: string;
}

type Env = Record<string, string | undefined>;

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

export function interpolate(value: unknown, env: Env): { value: unknown; issues: RawIssue[] } {
  const issues: RawIssue[] = [];
  const walk = (v: unknown, path: PathSegment[]): unknown => {
    if (typeof v === 'string') {
      const r = expand(v, env);
      if (r.error !== undefined) issues.push({ path, message: r.error });
      return r.value;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) {
        // Assigning `__proto__` would replace the object's prototype instead of adding a key.
        if (k === '__proto__') issues.push({ path: [...path, k], message: 'key not allowed' });
        else out[k] = walk(item, [...path, k]);
      }
      return out;
    }
    return v;
  };
  return { value: walk(value, []), issues };
}

function expand(s: string, env: Env): { value: string; error?: string } {
  if (!s.includes('$')) return { value: s };
  let out = '';
  const missing: string[] = [];
  const invalid: string[] = [];
  let i = 0;
  while (i < s.length) {
    const j = s.indexOf('$', i);
    if (j < 0) {
      out += s.slice(i);
      break;
    }
    out += s.slice(i, j);
    if (s.startsWith('$${', j)) {
      out += '${';
      i = j + 3;
    } else if (s[j + 1] !== '{') {
      out += '$';
      i = j + 1;
    } else {
      const end = s.indexOf('}', j + 2);
      if (end < 0) return { value: out, error: 'unclosed "${" (write "$${" for a literal "${")' };
      const expr = s.slice(j + 2, end);
      const m = REFERENCE.exec(expr);
      if (!m) invalid.push(expr);
      else {
        const [, name = '', fallback] = m;
        const set = env[name];
        if (set !== undefined && (set !== '' || fallback === undefined)) out += set;
        else if (fallback !== undefined) out += fallback;
        else missing.push(name);
      }
      i = end + 1;
    }
  }
  if (invalid.length > 0) {
    return { value: out, error: `invalid reference "\${${invalid[0]}}": write \${NAME} or \${NAME:-default}` };
  }
  if (missing.length === 1) return { value: out, error: `environment variable ${missing[0]} is not set` };
  if (missing.length > 1) return { value: out, error: `environment variables ${missing.join(', ')} are not set` };
  return { value: out };
}
