// The frozen schema-1 SQLite store (test/fixtures/store-v1/sqlite-v1.sql), written into a fresh database file.
import { readFileSync } from 'node:fs';

const SQL = new URL('../fixtures/store-v1/sqlite-v1.sql', import.meta.url);

export async function writeSqliteV1(path: string): Promise<void> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path);
  try {
    db.exec(readFileSync(SQL, 'utf8'));
  } finally {
    db.close();
  }
}
