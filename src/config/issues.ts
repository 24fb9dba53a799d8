// Turns zod issues into one readable line per problem, each at its exact path, in the words a person editing YAML
// would use ("expected number, got string", "unknown key (did you mean "timeoutMs"?)").
import type { z } from 'zod';
import type { ConfigIssue } from './types.js';

export type PathSegment = string | number;
type RawIssue = z.core.$ZodIssue;
type Schema = z.core.$ZodType;

const PLAIN_KEY = /^[a-zA-Z0-9_-]+$/;

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out === '' ? '(root)' : out;
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  return typeof value;
}

const EXPECTED_NAMES: Record<string, string> = { object: 'mapping', record: 'mapping', array: 'list', int: 'integer' };

/** Translates a zod error into issues. `schema` is the root schema, used to suggest the key that was meant. */
export function fromZod(issues: readonly RawIssue[], schema: Schema): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const visit = (iss: RawIssue, base: readonly PropertyKey[]): void => {
    const path = [...base, ...iss.path];
    switch (iss.code) {
      case 'unrecognized_keys': {
        const allowed = allowedKeys(schema, path);
        for (const key of iss.keys) out.push({ path: formatPath([...path, key]), message: unknownKey(key, allowed) });
        return;
      }
      case 'invalid_union': {
        if (iss.errors.length === 0) {
          out.push({ path: formatPath(path), message: discriminatorMessage(iss) });
          return;
        }
        // Report the branch that accepted the value's type and got furthest into it (the object form of a tool for a
        // mapping, the name form for a string); if none accepted the type, the type itself is the problem.
        const branch = iss.errors
          .filter((errs) => !errs.some((e) => e.path.length === 0 && e.code === 'invalid_type'))
          .reduce<RawIssue[] | undefined>(
            (best, errs) => (best && depth(best) >= depth(errs) ? best : errs),
            undefined,
          );
        if (branch) for (const e of branch) visit(e, path);
        else out.push({ path: formatPath(path), message: `unexpected ${typeName(iss.input)}` });
        return;
      }
      default:
        out.push({ path: formatPath(path), message: describe(iss) });
    }
  };
  for (const iss of issues) visit(iss, []);
  return out;
}

function depth(issues: readonly RawIssue[]): number {
  return Math.max(0, ...issues.map((e) => e.path.length));
}

function describe(iss: RawIssue): string {
  switch (iss.code) {
    case 'invalid_type': {
      if (iss.input === undefined) return 'required';
      const expected = EXPECTED_NAMES[iss.expected] ?? iss.expected;
      if (iss.expected === 'int' && typeof iss.input === 'number') return `expected integer, got ${iss.input}`;
      return `expected ${expected}, got ${typeName(iss.input)}`;
    }
    case 'invalid_value':
      if (iss.message && !iss.message.startsWith('Invalid option')) return iss.message;
      if (iss.input === undefined) return `required: one of ${iss.values.map((v) => String(v)).join(', ')}`;
      return iss.values.length === 1
        ? `expected ${JSON.stringify(iss.values[0])}, got ${JSON.stringify(iss.input)}`
        : `expected one of ${iss.values.map((v) => String(v)).join(', ')}; got ${JSON.stringify(iss.input)}`;
    case 'too_small':
      if (iss.origin === 'array') return iss.message.startsWith('Too small') ? 'must not be empty' : iss.message;
      if (iss.origin === 'string') return 'must not be empty';
      return `must be ${iss.inclusive === false ? '>' : '>='} ${String(iss.minimum)}, got ${String(iss.input)}`;
    case 'too_big':
      return `must be ${iss.inclusive === false ? '<' : '<='} ${String(iss.maximum)}, got ${String(iss.input)}`;
    case 'invalid_key':
      return iss.issues[0]?.message ?? 'invalid key';
    default:
      return iss.message;
  }
}

function discriminatorMessage(iss: RawIssue & { code: 'invalid_union' }): string {
  const options = (iss as { options?: unknown[] }).options?.map(String).join(', ') ?? '';
  const input = iss.input;
  const discriminator = (iss as { discriminator?: string }).discriminator;
  const value =
    discriminator && input && typeof input === 'object' ? (input as Record<string, unknown>)[discriminator] : undefined;
  if (value === undefined) return `required: one of ${options}`;
  return `expected one of ${options}; got ${JSON.stringify(value)}`;
}

function unknownKey(key: string, allowed: readonly string[]): string {
  const close =
    allowed.find((a) => a.toLowerCase() === key.toLowerCase()) ?? allowed.find((a) => distance(a, key) <= 2);
  if (close !== undefined) return `unknown key (did you mean "${close}"?)`;
  return allowed.length > 0 ? `unknown key; allowed: ${allowed.join(', ')}` : 'unknown key';
}

/** The keys an object schema at `path` accepts (the union of all candidates when the path crosses a union). */
function allowedKeys(schema: Schema, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  const walk = (s: Schema, i: number): void => {
    const def = s._zod.def as unknown as Record<string, unknown> & { type: string };
    switch (def.type) {
      case 'optional':
      case 'default':
      case 'prefault':
      case 'nullable':
        return walk(def.innerType as Schema, i);
      case 'pipe':
        return walk(def.in as Schema, i);
      case 'union':
        for (const option of def.options as Schema[]) walk(option, i);
        return;
      case 'record':
        if (i < path.length) walk(def.valueType as Schema, i + 1);
        return;
      case 'array':
        if (i < path.length) walk(def.element as Schema, i + 1);
        return;
      case 'object': {
        const shape = def.shape as Record<string, Schema>;
        if (i === path.length) for (const k of Object.keys(shape)) keys.add(k);
        else {
          const next = shape[String(path[i])];
          if (next) walk(next, i + 1);
        }
        return;
      }
      default:
        return;
    }
  };
  walk(schema, 0);
  return [...keys];
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
