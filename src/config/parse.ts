// YAML text → interpolation → schema → cross-checks → normalised, deep-frozen config. Every problem found on the way
// is collected and thrown as one SWIFTLET_ERR_CONFIG_INVALID listing them all.
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Document, type YAMLError } from 'yaml';
import { SwiftletError } from '../core/index.js';
import { crossCheck } from './checks.js';
import { interpolate, type RawIssue } from './interpolate.js';
import { formatPath, fromZod, type PathSegment } from './issues.js';
import { normalize } from './normalize.js';
import { configSchema } from './schema.js';
import type { ConfigIssue, LoadedConfig } from './types.js';

type Env = Record<string, string | undefined>;

export interface ParseOptions {
  env: Env;
  /** The file the text came from: named in errors; relative sqlite paths resolve against its directory. */
  source?: string;
}

export function parseConfig(text: string, opts: ParseOptions): LoadedConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // A key indented too far makes two errors at the same offset; the one at the key is the one to report.
    const overIndented = new Set(doc.errors.filter((e) => e.code === 'MULTILINE_IMPLICIT_KEY').map((e) => e.pos[0]));
    const errors = doc.errors.filter((e) => !(e.code === 'BLOCK_AS_IMPLICIT_KEY' && overIndented.has(e.pos[0])));
    const issues = errors.map((e) => {
      const pos = errorPosition(e, text);
      const hint = e.code === 'MULTILINE_IMPLICIT_KEY' ? ' (is this key indented too far?)' : '';
      return {
        path: pos ? `${pos.line}:${pos.col}` : '(yaml)',
        message: `YAML: ${e.message.split(/ at line \d+, column \d+/)[0] ?? e.message}${hint}`,
      };
    });
    throw invalid(opts.source, issues);
  }
  const yamlWarnings = doc.warnings.map((w) => `YAML: ${w.message.split('\n')[0] ?? w.message}`);
  // Problems are listed in the order they appear in the file, which is the order a person fixes them in.
  const order = (issues: ConfigIssue[]) => sortByPosition(issues, doc);
  let raw: unknown;
  try {
    // Bounded alias expansion: a few lines of anchors must not expand into gigabytes ("billion laughs").
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw invalid(opts.source, [{ path: '(yaml)', message: `YAML: ${(err as Error).message}` }]);
  }
  const loaded = validateConfig(raw, { ...opts, order });
  loaded.warnings.unshift(...yamlWarnings);
  return loaded;
}

/**
 * Where a YAML error is, as line:col of the offending key. The parser places an indentation error at the start of the
 * line (column 1, in the indentation), and a key indented too far at the line before it; a person looks for the key.
 */
function errorPosition(e: YAMLError, text: string): { line: number; col: number } | undefined {
  const [start, end] = e.linePos ?? [];
  if (!start) return undefined;
  const lines = text.split(/\r?\n/);
  const firstWord = (line: number, from: number): { line: number; col: number } => {
    const content = lines[line - 1] ?? '';
    const at = content.slice(from - 1).search(/\S/);
    return { line, col: at === -1 ? from : from + at };
  };
  // The key is on the last line of a key that runs over several lines (it was meant to start its own line).
  if (e.code === 'MULTILINE_IMPLICIT_KEY' && end && end.line > start.line) return firstWord(end.line, 1);
  return firstWord(start.line, start.col);
}

function sortByPosition(issues: ConfigIssue[], doc: Document): ConfigIssue[] {
  const offsets = new Map<string, number>();
  const walk = (node: unknown, path: PathSegment[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const p = [...path, String(pair.key.value)];
        offsets.set(formatPath(p), pair.key.range?.[0] ?? 0);
        walk(pair.value, p);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        offsets.set(formatPath([...path, i]), (item as { range?: [number] }).range?.[0] ?? 0);
        walk(item, [...path, i]);
      });
    }
  };
  walk(doc.contents, []);
  const offsetOf = (path: string): number => {
    for (let p = path, parent = ''; p !== ''; p = parent) {
      const at = offsets.get(p);
      if (at !== undefined) return at;
      parent = p.replace(/(?:\.[^.[]+|\[[^\]]+\]|^[^.[]+)$/, '');
      if (parent === p) break;
    }
    return -1;
  };
  return issues
    .map((issue) => ({ issue, at: offsetOf(issue.path) }))
    .sort((a, b) => a.at - b.at)
    .map((r) => r.issue);
}

/** Validates an already-parsed config value (the default config goes through here too). */
export function validateConfig(
  raw: unknown,
  opts: ParseOptions & { baseDir?: string; order?: (issues: ConfigIssue[]) => ConfigIssue[] },
): LoadedConfig {
  const source = opts.source === undefined ? null : resolve(opts.source);
  if (raw === null || raw === undefined) {
    throw invalid(opts.source, [{ path: '(root)', message: 'the config is empty: define providers and agents' }]);
  }
  const expanded = interpolate(raw, opts.env);
  // A value whose variable is missing is reported once, as such, not again as empty or mistyped.
  const poisoned = expanded.issues.map((i) => i.path);
  const keep = (path: readonly PropertyKey[]) => !poisoned.some((p) => p.every((seg, i) => path[i] === seg));
  const issues: ConfigIssue[] = expanded.issues.map(toIssue);
  const parsed = configSchema.safeParse(expanded.value, { reportInput: true });
  if (!parsed.success) {
    const kept = parsed.error.issues.filter((i) => keep(i.path));
    issues.push(...fromZod(kept, configSchema));
  }
  issues.push(
    ...crossCheck(expanded.value, opts.env)
      .filter((i) => keep(i.path))
      .map(toIssue),
  );
  if (issues.length > 0 || !parsed.success) {
    throw invalid(opts.source, (opts.order ?? ((i: ConfigIssue[]) => i))(dedupe(issues)));
  }
  const baseDir = opts.baseDir ?? (source === null ? process.cwd() : dirname(source));
  const { config, warnings } = normalize(parsed.data, opts.env, baseDir);
  return { config: deepFreeze(config), source, warnings };
}

function toIssue(i: RawIssue): ConfigIssue {
  return { path: formatPath(i.path as PathSegment[]), message: i.message };
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\0${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function invalid(source: string | undefined, issues: ConfigIssue[]): SwiftletError {
  const n = issues.length;
  return new SwiftletError(
    'SWIFTLET_ERR_CONFIG_INVALID',
    `config ${source ?? '(text)'} has ${n} ${n === 1 ? 'problem' : 'problems'}`,
    { issues, ...(issues[0] ? { field: issues[0].path } : {}) },
  );
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
