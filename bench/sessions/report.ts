// The `sessions` scenario's table.
import { fmt, mb, table } from '../table.js';
import type { SessionsBenchResult } from './scenario.js';

export function renderSessions(r: SessionsBenchResult): string {
  const p = r.params;
  const t = r.touch;
  const bar = r.bars.idleRssBytes;
  const lines = [
    `sessions: ${p.sessions} stored sessions × ${p.messages} messages (${p.entriesPerSession} entries) on ${p.store}; ` +
      `${p.touchPercent}% (${t.sessions}) come back for ${p.touchTurns} turns each, ${p.parallel} at a time`,
    `machine: ${r.machine.nproc} CPU(s) ${r.machine.cpu}, node ${r.machine.node}`,
    `store filled in ${fmt(r.fill.ms / 1000, 1)} s: ${r.fill.entries} entries in ${r.fill.transactions} transactions ` +
      '(preparation, not measured)',
    '',
  ];
  const barNote =
    p.sessions === bar.atSessions
      ? ''
      : ` (the bar is set for ${bar.atSessions} sessions; this run holds ${p.sessions})`;
  lines.push(
    ...table([
      ['', 'empty store', `${p.sessions} sessions`, 'difference'],
      ['start to listening ms', fmt(r.empty.startMs, 0), fmt(r.full.startMs, 0), fmt(r.growth.startMs, 0)],
      [
        `idle RSS MB (after ${p.idleSeconds} s)`,
        mb(r.empty.idle.rssBytes),
        mb(r.full.idle.rssBytes),
        mb(r.growth.idleRssBytes),
      ],
      ['idle heap MB', mb(r.empty.idle.heapUsedBytes), mb(r.full.idle.heapUsedBytes), mb(r.growth.idleHeapUsedBytes)],
      ['db size MB', mb(r.empty.db.bytes), mb(r.full.db.bytes), mb(r.full.db.bytes - r.empty.db.bytes)],
    ]),
    `idle RSS ≤ ${mb(bar.bar)} MB: ${bar.met ? 'met' : 'MISSED'} (${mb(bar.value)} MB)${barNote}`,
    '',
    `after the touched turns: RSS ${mb(t.after.rssBytes)} MB, heap ${mb(t.after.heapUsedBytes)} MB used of ` +
      `${mb(t.after.heapTotalBytes)} MB, ` +
      `${t.after.hotCacheSessions} sessions hot (${mb(t.after.hotCacheBytes)} MB)`,
    `hot-cache hit rate ${fmt(t.hitRate, 3)} (${t.hits} hits, ${t.misses} misses, ` +
      `${fmt(t.lookupsPerTurn, 1)} lookups per turn)`,
    '',
    ...table([
      ['turn latency', 'turns', 'p50 ms', 'p99 ms', 'max ms'],
      ['cold (first of a session)', String(t.cold.n), fmt(t.cold.p50Ms, 1), fmt(t.cold.p99Ms, 1), fmt(t.cold.maxMs, 1)],
      ['warm (later turns)', String(t.warm.n), fmt(t.warm.p50Ms, 1), fmt(t.warm.p99Ms, 1), fmt(t.warm.maxMs, 1)],
    ]),
    `touched turns completed: ${t.completed}/${t.turns}${t.firstError ? ` (first error: ${t.firstError})` : ''}`,
    'see `swiftlet bench --help` for what each figure means',
  );
  return lines.join('\n') + '\n';
}
