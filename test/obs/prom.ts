// A strict little reader of the Prometheus text format (0.0.4), enough to check what /metrics says.
import assert from 'node:assert/strict';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** Metric family name → type, from `# TYPE` lines. */
  types: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      assert.ok(name && type && !types.has(name), `bad or repeated TYPE line: ${line}`);
      types.set(name, type);
      continue;
    }
    const m = SAMPLE.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < body.length) {
      const l = LABEL.exec(body);
      assert.ok(l, `bad labels: ${body}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const raw = m[3]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    assert.ok(!Number.isNaN(value), `bad value in ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types };
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

/** The value of the one sample with exactly these labels, or undefined. */
export function value(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = e.samples.filter((s) => s.name === name && sameLabels(s.labels, labels));
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} appears ${found.length} times`);
  return found[0]?.value;
}

/** Label sets of every sample of a metric. */
export function labelSets(e: Exposition, name: string): Record<string, string>[] {
  return e.samples.filter((s) => s.name === name).map((s) => s.labels);
}

/**
 * Checks a histogram series is well formed (buckets cumulative, `+Inf` equal to `_count`) and returns its count
 * and sum.
 */
export function histogram(
  e: Exposition,
  name: string,
  labels: Record<string, string> = {},
): { count: number; sum: number } {
  assert.equal(e.types.get(name), 'histogram', `${name} is not a histogram`);
  const buckets = e.samples.filter(
    (s) =>
      s.name === `${name}_bucket` &&
      sameLabels(Object.fromEntries(Object.entries(s.labels).filter(([k]) => k !== 'le')), labels),
  );
  assert.ok(buckets.length > 1, `${name} ${JSON.stringify(labels)} has no buckets`);
  let previous = 0;
  let lastLe = -Infinity;
  for (const b of buckets) {
    const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le);
    assert.ok(le > lastLe, `${name}: buckets out of order`);
    assert.ok(b.value >= previous, `${name}: buckets not cumulative`);
    lastLe = le;
    previous = b.value;
  }
  assert.equal(lastLe, Infinity, `${name}: no +Inf bucket`);
  const count = value(e, `${name}_count`, labels);
  const sum = value(e, `${name}_sum`, labels);
  assert.ok(count !== undefined && sum !== undefined, `${name}: no _count or _sum`);
  assert.equal(previous, count, `${name}: +Inf bucket differs from _count`);
  return { count, sum };
}
