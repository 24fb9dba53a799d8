// Readings of another process from /proc (Linux): CPU seconds and resident memory. Elsewhere they are NaN, and the
// reports print "-" for them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`; 100 on every common Linux). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU seconds the process has used so far (its own threads, not its children). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

/** Resident set size in bytes, as `ps -o rss` shows it (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export interface Machine {
  nproc: number;
  cpu: string;
  memoryMb: number;
  node: string;
  platform: string;
  arch: string;
  /** 1, 5 and 15 minute load averages when the run started; other processes share the machine. */
  loadavgStart: number[];
  loadavgEnd: number[];
}

export function machineAtStart(): Omit<Machine, 'loadavgEnd'> {
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    loadavgStart: loadavg().map(round2),
  };
}

export function finishMachine(m: Omit<Machine, 'loadavgEnd'>): Machine {
  return { ...m, loadavgEnd: loadavg().map(round2) };
}

const round2 = (v: number): number => Math.round(v * 100) / 100;
