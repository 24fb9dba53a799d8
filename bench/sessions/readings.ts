// What the `sessions` scenario reads from outside the server: its resident memory (/proc), its own figures
// (/metrics: heap and hot cache) and the database's size on disk.
import { statSync } from 'node:fs';
import { request } from 'undici';
import { PG_URL } from '../http/servers.js';
import { rssBytes } from '../proc.js';

export interface ServerReading {
  /** VmRSS from /proc, read before /metrics is asked (answering a scrape costs memory too). */
  rssBytes: number;
  heapUsedBytes: number;
  /** V8 heap allocated, and memory of C++ objects bound to JavaScript (buffers): the rest of RSS is code and native. */
  heapTotalBytes: number;
  externalBytes: number;
  hotCacheSessions: number;
  hotCacheBytes: number;
  hotCacheHits: number;
  hotCacheMisses: number;
}

export async function readServer(url: string, pid: number): Promise<ServerReading> {
  const rss = rssBytes(pid);
  const res = await request(`${url}/metrics`);
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET /metrics answered ${res.statusCode}: ${text.slice(0, 200)}`);
  const value = (name: string): number => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : Number.NaN;
  };
  return {
    rssBytes: rss,
    heapUsedBytes: value('swiftlet_process_heap_used_bytes'),
    heapTotalBytes: value('swiftlet_process_heap_total_bytes'),
    externalBytes: value('swiftlet_process_external_memory_bytes'),
    hotCacheSessions: value('swiftlet_hot_cache_sessions'),
    hotCacheBytes: value('swiftlet_hot_cache_bytes'),
    hotCacheHits: value('swiftlet_hot_cache_hits_total'),
    hotCacheMisses: value('swiftlet_hot_cache_misses_total'),
  };
}

export interface DbSize {
  bytes: number;
  /** SQLite: the database file and its write-ahead log. */
  fileBytes?: number;
  walBytes?: number;
}

export function sqliteSize(path: string): DbSize {
  const size = (p: string): number => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  };
  const fileBytes = size(path);
  const walBytes = size(`${path}-wal`);
  return { bytes: fileBytes + walBytes, fileBytes, walBytes };
}

/** Tables of the schema with their indexes and TOAST (pg_total_relation_size). */
export async function postgresSize(schema: string): Promise<DbSize> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ bytes: string }>(
      `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm')`,
      [schema],
    );
    return { bytes: Number(rows[0]!.bytes) };
  } finally {
    await client.end();
  }
}

/** Planner statistics after the bulk load, as autovacuum would gather them on a store that grew over time. */
export async function analyzePostgres(schema: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`ANALYZE "${schema}".sessions, "${schema}".entries`);
  } finally {
    await client.end();
  }
}
