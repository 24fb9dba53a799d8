// Append-only: migration N (1-based) brings `PRAGMA user_version` from N-1 to N. Never edit an applied migration;
// add a new one.

export const MIGRATIONS: readonly string[] = [
  // 1: sessions and their append-only entry logs.
  `
  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    open_turn TEXT,
    message_count INTEGER NOT NULL,
    metadata TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX sessions_by_update ON sessions (updated_at DESC, id);
  CREATE INDEX sessions_by_agent ON sessions (agent, updated_at DESC, id);
  CREATE INDEX sessions_open ON sessions (id, open_turn) WHERE open_turn IS NOT NULL;

  -- A rowid table (entries can be large, which WITHOUT ROWID handles badly); the primary key index makes a
  -- session's entries one range scan. data is the entry's JSON payload, including its format version v.
  CREATE TABLE entries (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    turn_id TEXT NOT NULL,
    type TEXT NOT NULL,
    at INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
  );
  `,
  // 2: tenants. A session's identity becomes (tenant, id); sessions that existed before belong to tenant `local`.
  // SQLite cannot change a primary key in place, so both tables are rebuilt (a one-time copy).
  `
  CREATE TABLE sessions_v2 (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    agent TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    open_turn TEXT,
    message_count INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
  ) WITHOUT ROWID;
  INSERT INTO sessions_v2 (tenant, id, agent, created_at, updated_at, last_seq, open_turn, message_count, metadata)
    SELECT 'local', id, agent, created_at, updated_at, last_seq, open_turn, message_count, metadata FROM sessions;
  DROP TABLE sessions;
  ALTER TABLE sessions_v2 RENAME TO sessions;
  CREATE INDEX sessions_by_update ON sessions (tenant, updated_at DESC, id);
  CREATE INDEX sessions_by_agent ON sessions (tenant, agent, updated_at DESC, id);
  -- Operator listings across every tenant.
  CREATE INDEX sessions_by_update_all ON sessions (updated_at DESC, id, tenant);
  CREATE INDEX sessions_open ON sessions (tenant, id, open_turn) WHERE open_turn IS NOT NULL;

  CREATE TABLE entries_v2 (
    tenant TEXT NOT NULL,
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    turn_id TEXT NOT NULL,
    type TEXT NOT NULL,
    at INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant, session_id, seq)
  );
  INSERT INTO entries_v2 (tenant, session_id, seq, turn_id, type, at, data)
    SELECT 'local', session_id, seq, turn_id, type, at, data FROM entries ORDER BY session_id, seq;
  DROP TABLE entries;
  ALTER TABLE entries_v2 RENAME TO entries;
  `,
  // 3: processes sharing the store. An open turn names the process that opened it (NULL: opened before this, by a
  // process that is gone), so recovery leaves the turns of live processes alone.
  `
  ALTER TABLE sessions ADD COLUMN open_owner TEXT;
  CREATE TABLE instances (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    beat_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 4: session titles (the first user message, set by the append that writes it). Sessions that already have messages
  // get '' (no title, and never one: a later message is not their first); those without messages get theirs later.
  `
  ALTER TABLE sessions ADD COLUMN title TEXT;
  UPDATE sessions SET title = '' WHERE message_count > 0;
  `,
  // 5: tasks handed between agents through the bus: a row per task (the projection) and its append-only event log.
  // spec holds the immutable parts (target, input, requester); result and error are set at the end. JSON texts carry
  // their format version v.
  `
  CREATE TABLE tasks (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    state TEXT NOT NULL,
    target TEXT NOT NULL,
    agent TEXT,
    assignee TEXT,
    owner TEXT,
    lease_until INTEGER,
    priority INTEGER NOT NULL,
    deadline INTEGER,
    idempotency_key TEXT,
    parent_id TEXT,
    depth INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    spec TEXT NOT NULL,
    result TEXT,
    error TEXT,
    PRIMARY KEY (tenant, id)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX tasks_by_idempotency_key ON tasks (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
  CREATE INDEX tasks_active ON tasks (id) WHERE state IN ('submitted', 'working', 'input-required');
  CREATE INDEX tasks_by_parent ON tasks (tenant, parent_id, id) WHERE parent_id IS NOT NULL;
  -- Operator listings across every tenant.
  CREATE INDEX tasks_all ON tasks (id, tenant);

  CREATE TABLE task_events (
    tenant TEXT NOT NULL,
    task_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant, task_id, seq)
  );
  `,
];
