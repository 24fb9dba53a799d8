// The `startup` scenario's table.
import type { StartupBenchResult } from './startup.js';
import { fmt, mb, table } from './table.js';

export function renderStartup(r: StartupBenchResult): string {
  const m = r.machine;
  const verdict = (ok: boolean): string => (ok ? 'meets' : 'MISSES');
  const lines = [
    `startup: ${r.params.runs} runs of \`serve --port 0\` (SQLite, mock provider) and of \`--version\`; ` +
      `${r.params.script}${r.params.execArgv.length ? ` with ${r.params.execArgv.join(' ')}` : ''}`,
    `machine: ${m.nproc} CPU(s) ${m.cpu}, node ${m.node}; load average ${m.loadavgStart.join(' ')} at start, ` +
      `${m.loadavgEnd.join(' ')} at end`,
    '',
  ];
  const rows: string[][] = [['figure', 'median', 'p95', 'min', 'max', 'bar', '']];
  rows.push([
    'spawn → /readyz 200 (ms)',
    fmt(r.ready.medianMs, 1),
    fmt(r.ready.p95Ms, 1),
    fmt(r.ready.minMs, 1),
    fmt(r.ready.maxMs, 1),
    `≤ ${r.ready.bar}`,
    verdict(r.ready.meetsBar),
  ]);
  rows.push(['spawn → address printed (ms)', fmt(r.ready.listeningMedianMs, 1), '', '', '', '', '']);
  const v = r.versionCommand;
  rows.push([
    'swiftlet --version (ms)',
    fmt(v.medianMs, 1),
    fmt(v.p95Ms, 1),
    fmt(v.minMs, 1),
    fmt(v.maxMs, 1),
    `≤ ${v.bar}`,
    verdict(v.meetsBar),
  ]);
  const b = r.bareNode;
  rows.push([
    'node -e 0 (ms), for scale',
    fmt(b.medianMs, 1),
    fmt(b.p95Ms, 1),
    fmt(b.minMs, 1),
    fmt(b.maxMs, 1),
    '',
    '',
  ]);
  lines.push(...table(rows), '');
  lines.push(
    `Swiftlet's own share (median − node -e 0): ready ${fmt(r.overBareNodeMs.ready, 1)} ms, ` +
      `--version ${fmt(r.overBareNodeMs.versionCommand, 1)} ms`,
  );
  lines.push(
    `idle after ${r.idle.afterSeconds} s: RSS ${mb(r.idle.rssBytes)} MB, V8 heap used ${mb(r.idle.heapUsedBytes)} MB`,
  );
  const d = r.prodDeps;
  if ('error' in d) lines.push(`production dependencies: not measured (${d.error})`);
  else {
    lines.push(
      `production dependencies: ${mb(d.diskBytes)} MB on disk (${mb(d.apparentBytes)} MB of file contents), ` +
        `${d.packages} packages — ${verdict(d.meetsBar)} the bar (≤ ${mb(d.bar)} MB)`,
      `  largest: ${d.largest.map((p) => `${p.name} ${mb(p.diskBytes)} MB`).join(', ')}`,
    );
  }
  lines.push('MB = 10^6 bytes; see `swiftlet bench --help` for what each figure means');
  return lines.join('\n') + '\n';
}
