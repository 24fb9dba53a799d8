// Guards the house rules of DESIGN.md: dependencies point inward, folders are reached only through their index.ts,
// and no module imports itself back through a cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '../../src');

/** What each folder may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  core: [],
  config: ['core'],
  store: ['core'],
  bus: ['core', 'store'],
  model: ['core'],
  tools: ['core', 'bus'],
  agent: ['core', 'model', 'tools'],
  runtime: ['core', 'config', 'agent', 'model', 'tools', 'store', 'bus'],
  // The gRPC broker serves the task bus as it is, beside the runtime's HTTP APIs.
  gateway: ['core', 'runtime', 'bus'],
  obs: ['core'],
  cli: ['core', 'config', 'runtime', 'store', 'bus', 'model', 'tools', 'agent', 'gateway', 'obs'],
};

/**
 * Secondary public entries: the mock LLM can be loaded without the provider adapters (lighter CLI start-up); the
 * gRPC broker is imported by `serve` only when configured, so it is not in the gateway's index; so is the bus's NATS
 * transport, by the runtime.
 */
const SUB_ENTRIES = new Set(['model/mock/index.ts', 'gateway/grpc/index.ts', 'bus/nats/index.ts']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)) {
    out.push(resolve(dirname(file), (m[1] ?? m[2])!.replace(/\.js$/, '.ts')));
  }
  return out;
}

const folderOf = (file: string): string => relative(SRC, file).split('/')[0]!;
const all = files(SRC);
const graph = new Map(all.map((f) => [f, imports(f)]));

test('folders import only inward, and only through index.ts', () => {
  const problems: string[] = [];
  for (const [file, deps] of graph) {
    const from = folderOf(file);
    if (!(from in ALLOWED)) continue;
    for (const dep of deps) {
      const to = folderOf(dep);
      if (to === from) continue;
      const rel = relative(SRC, file);
      if (!ALLOWED[from]!.includes(to))
        problems.push(`${rel} imports ${relative(SRC, dep)} (${from} may not import ${to})`);
      else if (relative(SRC, dep) !== `${to}/index.ts` && !SUB_ENTRIES.has(relative(SRC, dep)))
        problems.push(`${rel} imports ${relative(SRC, dep)}: use ${to}/index.ts`);
    }
  }
  assert.deepEqual(problems, []);
});

test('no import cycles', () => {
  const state = new Map<string, 1 | 2>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 2) return;
    if (state.get(f) === 1) {
      cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(SRC, p)).join(' → '));
      return;
    }
    state.set(f, 1);
    for (const d of graph.get(f) ?? []) if (graph.has(d)) visit(d, [...path, f]);
    state.set(f, 2);
  };
  for (const f of graph.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});
