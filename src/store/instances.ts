// Which processes sharing a store are alive. A turn that is open in the store belongs to the process that opened it;
// recovery closes it only once that process is gone, so a CLI started beside a server (or a second instance on one
// PostgreSQL) never closes turns another live process is running. Each process beats every few seconds; one that
// stopped beating is gone, and on this host a process whose pid is not running is gone at once.
import { hostname } from 'node:os';
import { newId } from '../core/index.js';

/** What a store records about each process using it. */
export interface InstanceRow {
  id: string;
  host: string;
  pid: number;
  beatAt: number;
}

/** How often the runtime beats, and how long without a beat before a process on another host counts as gone. */
export const BEAT_INTERVAL_MS = 5_000;
export const STALE_AFTER_MS = 30_000;

export function newInstance(): { id: string; host: string; pid: number } {
  return { id: newId('inst'), host: hostname(), pid: process.pid };
}

export function isAlive(row: InstanceRow, now: number, staleAfterMs: number): boolean {
  if (now - row.beatAt > staleAfterMs) return false;
  if (row.host !== hostname()) return true;
  if (row.pid === process.pid) return true;
  try {
    process.kill(row.pid, 0);
    return true;
  } catch (err) {
    // EPERM: a process of another user has that pid; it is running, and may be ours under another account.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
