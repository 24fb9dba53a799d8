import type { PoolClient } from 'pg';
import { SwiftletError } from '../../core/index.js';
import { schemaError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';

export const MIN_SERVER_VERSION = 120000;
/** Advisory lock key (two int4 halves) serialising Swiftlet migrations across every process sharing the server. */
const LOCK = [0x53574654, 1] as const;

/** Quotes a schema name already checked against SCHEMA_PATTERN. */
export function quoteIdent(name: string): string {
  return `"${name}"`;
}

export const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Checks the server version, then applies missing migrations in one transaction under an advisory lock, so that
 * instances starting together apply each migration once and never see a half-migrated schema.
 */
export async function migrate(client: PoolClient, schema: string | undefined): Promise<void> {
  const { rows } = await client.query<{ v: number; name: string }>(
    "SELECT current_setting('server_version_num')::int AS v, current_setting('server_version') AS name",
  );
  const server = rows[0]!;
  if (server.v < MIN_SERVER_VERSION) {
    throw new SwiftletError(
      'SWIFTLET_ERR_STORE',
      `PostgreSQL ${server.name} is too old: Swiftlet needs PostgreSQL 12 or newer`,
      { retryable: false },
    );
  }
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [...LOCK]);
    if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS swiftlet_migrations (
         version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const current = await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM swiftlet_migrations');
    const version = current.rows[0]!.v;
    if (version > MIGRATIONS.length) {
      throw schemaError(version, MIGRATIONS.length, `PostgreSQL schema ${schema ?? 'public'}`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      await client.query(MIGRATIONS[v]!);
      await client.query('INSERT INTO swiftlet_migrations (version) VALUES ($1)', [v + 1]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
