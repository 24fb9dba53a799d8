import { ENTRY_VERSION, emptyUsage, type Entry, type EntryData, type TenantScope } from '../core/index.js';
import { STALE_AFTER_MS, type AppendBatch, type SessionStore } from '../store/index.js';

export const RECOVERY_MESSAGE = 'the process stopped while this turn was running';

export interface RecoveryOptions {
  /** Sessions whose turn this process is running (it does not know its turns by the store's owner alone). */
  running?: (tenant: string, sessionId: string) => boolean;
  /** A process on another host is gone once it has not beaten for this long (default STALE_AFTER_MS). */
  staleAfterMs?: number;
  /**
   * Also close open turns of this store handle that are not `running` (true at start-up: they are left from before).
   * While the process runs, its own turns are left alone: one that just ended may still have its end in the writer.
   */
  own?: boolean;
}

/**
 * Closes every turn whose process died while it ran: each tool call without a result gets an "interrupted" error
 * result (so the provider accepts the history), then the turn gets an `interrupted` turn_end. Turns of processes that
 * are alive (another one sharing the store, or this one) are left alone. All in one transaction; returns the number
 * of turns closed. The runtime runs it at start-up and every few seconds, over every tenant.
 */
export async function recoverOpenTurns(
  store: SessionStore,
  scope: TenantScope,
  opts: RecoveryOptions = {},
): Promise<number> {
  const found = await store.openTurns(scope);
  if (found.length === 0) return 0;
  const live = await store.liveInstances(opts.staleAfterMs ?? STALE_AFTER_MS);
  if (opts.own === true) live.delete(store.instanceId);
  else live.add(store.instanceId);
  const open = found.filter(
    (t) => !(t.owner !== undefined && live.has(t.owner)) && !opts.running?.(t.tenant, t.sessionId),
  );
  const batches: AppendBatch[] = [];
  for (const { tenant, sessionId, turnId } of open) {
    const key = { tenant, id: sessionId };
    const info = await store.getSession(key);
    // Gone, or the turn ended meanwhile.
    if (!info || info.openTurn !== turnId) continue;
    const entries = await store.load(key);
    const add = closingEntries(entries, turnId);
    const now = Date.now();
    let seq = info.lastSeq;
    batches.push({
      tenant,
      sessionId,
      entries: add.map((data) => ({ ...data, v: ENTRY_VERSION, turnId, at: now, seq: ++seq }) as Entry),
    });
  }
  if (batches.length > 0) await store.append(batches);
  return batches.length;
}

/** The entries that make a cut-short turn valid and closed. */
export function closingEntries(entries: readonly Entry[], turnId: string): EntryData[] {
  const answered = new Set<string>();
  const calls: { id: string; name: string }[] = [];
  let steps = 0;
  for (const e of entries) {
    if (e.turnId !== turnId) continue;
    if (e.type === 'assistant') {
      steps++;
      for (const c of e.toolCalls ?? []) calls.push({ id: c.id, name: c.name });
    } else if (e.type === 'tool_result') answered.add(e.callId);
  }
  const out: EntryData[] = [];
  for (const c of calls) {
    if (!answered.has(c.id)) {
      out.push({
        type: 'tool_result',
        callId: c.id,
        name: c.name,
        output: `interrupted: ${RECOVERY_MESSAGE}`,
        isError: true,
      });
    }
  }
  out.push({
    type: 'turn_end',
    outcome: 'interrupted',
    usage: emptyUsage(),
    steps,
    error: { code: 'SWIFTLET_ERR_ABORTED', message: RECOVERY_MESSAGE },
  });
  return out;
}
