// Append-only: migration N (1-based) is recorded as version N in swiftlet_migrations. Never edit an applied
// migration; add a new one.

export const MIGRATIONS: readonly string[] = [
  // 1: sessions, their append-only entry logs, and the one-round-trip append.
  `
  CREATE TABLE sessions (
    id text COLLATE "C" PRIMARY KEY,
    agent text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    last_seq integer NOT NULL,
    open_turn text,
    message_count integer NOT NULL,
    metadata json NOT NULL
  );
  CREATE INDEX sessions_by_update ON sessions (updated_at DESC, id);
  CREATE INDEX sessions_by_agent ON sessions (agent, updated_at DESC, id);
  CREATE INDEX sessions_open ON sessions (id) WHERE open_turn IS NOT NULL;

  -- No foreign key: every append already locks and checks its session row, and per-row RI checks would double the
  -- cost of a large group commit. Deletes remove entries explicitly. data is the entry's payload with its version v.
  -- json, not jsonb (here and for metadata): stored verbatim, no conversion on the write path, NUL (U+0000) allowed.
  CREATE TABLE entries (
    session_id text COLLATE "C" NOT NULL,
    seq integer NOT NULL,
    turn_id text NOT NULL,
    type text NOT NULL,
    at bigint NOT NULL,
    data json NOT NULL,
    PRIMARY KEY (session_id, seq)
  );

  -- One statement, so one round trip and atomic on its own. Each session row moves only if its last_seq is the one
  -- the writer saw (optimistic check); SW409 = written concurrently, SW404 = no such session.
  -- Free-form JSON (metadata, entry payloads) comes in separate arrays zipped by position with ROWS FROM:
  -- json_array_elements keeps values as raw text, while json_to_recordset would unescape them and reject NUL (U+0000).
  CREATE FUNCTION swiftlet_append(p_sessions json, p_metadata json, p_entries json, p_data json)
  RETURNS void LANGUAGE plpgsql AS $fn$
  DECLARE
    s record;
  BEGIN
    FOR s IN SELECT * FROM ROWS FROM (
      json_to_recordset(p_sessions) AS (id text, agent text, created_at bigint, expected integer, last_seq integer,
        updated_at bigint, keep_open boolean, open_turn text, messages integer),
      json_array_elements(p_metadata)
    ) AS x(id, agent, created_at, expected, last_seq, updated_at, keep_open, open_turn, messages, metadata)
    LOOP
      IF s.agent IS NOT NULL THEN
        INSERT INTO sessions (id, agent, created_at, updated_at, last_seq, open_turn, message_count, metadata)
        VALUES (s.id, s.agent, s.created_at, GREATEST(s.created_at, s.updated_at), s.last_seq, s.open_turn,
                s.messages, s.metadata)
        ON CONFLICT (id) DO NOTHING;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'it already exists' USING ERRCODE = 'SW409', DETAIL = s.id;
        END IF;
      ELSE
        UPDATE sessions SET updated_at = GREATEST(updated_at, s.updated_at), last_seq = s.last_seq,
          open_turn = CASE WHEN s.keep_open THEN open_turn ELSE s.open_turn END,
          message_count = message_count + s.messages
        WHERE id = s.id AND last_seq = s.expected;
        IF NOT FOUND THEN
          IF EXISTS (SELECT 1 FROM sessions WHERE id = s.id) THEN
            RAISE EXCEPTION 'its last seq is not %', s.expected USING ERRCODE = 'SW409', DETAIL = s.id;
          END IF;
          RAISE EXCEPTION 'session % does not exist', s.id USING ERRCODE = 'SW404', DETAIL = s.id;
        END IF;
      END IF;
    END LOOP;
    INSERT INTO entries (session_id, seq, turn_id, type, at, data)
    SELECT * FROM ROWS FROM (
      json_to_recordset(p_entries) AS (session_id text, seq integer, turn_id text, type text, at bigint),
      json_array_elements(p_data)
    );
  END
  $fn$;
  `,
  // 2: tenants. A session's identity becomes (tenant, id); rows that existed before belong to tenant `local`. The
  // column's default only fills the existing rows (no table rewrite since PostgreSQL 11) and is dropped at once, so
  // that no write can ever leave the tenant out.
  `
  ALTER TABLE sessions ADD COLUMN tenant text COLLATE "C" NOT NULL DEFAULT 'local';
  ALTER TABLE sessions ALTER COLUMN tenant DROP DEFAULT;
  ALTER TABLE sessions DROP CONSTRAINT sessions_pkey;
  ALTER TABLE sessions ADD PRIMARY KEY (tenant, id);
  DROP INDEX sessions_by_update;
  DROP INDEX sessions_by_agent;
  DROP INDEX sessions_open;
  CREATE INDEX sessions_by_update ON sessions (tenant, updated_at DESC, id);
  CREATE INDEX sessions_by_agent ON sessions (tenant, agent, updated_at DESC, id);
  CREATE INDEX sessions_by_update_all ON sessions (updated_at DESC, id, tenant);
  CREATE INDEX sessions_open ON sessions (tenant, id) WHERE open_turn IS NOT NULL;

  ALTER TABLE entries ADD COLUMN tenant text COLLATE "C" NOT NULL DEFAULT 'local';
  ALTER TABLE entries ALTER COLUMN tenant DROP DEFAULT;
  ALTER TABLE entries DROP CONSTRAINT entries_pkey;
  ALTER TABLE entries ADD PRIMARY KEY (tenant, session_id, seq);

  CREATE OR REPLACE FUNCTION swiftlet_append(p_sessions json, p_metadata json, p_entries json, p_data json)
  RETURNS void LANGUAGE plpgsql AS $fn$
  DECLARE
    s record;
  BEGIN
    FOR s IN SELECT * FROM ROWS FROM (
      json_to_recordset(p_sessions) AS (tenant text, id text, agent text, created_at bigint, expected integer,
        last_seq integer, updated_at bigint, keep_open boolean, open_turn text, messages integer),
      json_array_elements(p_metadata)
    ) AS x(tenant, id, agent, created_at, expected, last_seq, updated_at, keep_open, open_turn, messages, metadata)
    LOOP
      IF s.agent IS NOT NULL THEN
        INSERT INTO sessions (tenant, id, agent, created_at, updated_at, last_seq, open_turn, message_count, metadata)
        VALUES (s.tenant, s.id, s.agent, s.created_at, GREATEST(s.created_at, s.updated_at), s.last_seq, s.open_turn,
                s.messages, s.metadata)
        ON CONFLICT (tenant, id) DO NOTHING;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'it already exists' USING ERRCODE = 'SW409', DETAIL = s.id;
        END IF;
      ELSE
        UPDATE sessions SET updated_at = GREATEST(updated_at, s.updated_at), last_seq = s.last_seq,
          open_turn = CASE WHEN s.keep_open THEN open_turn ELSE s.open_turn END,
          message_count = message_count + s.messages
        WHERE tenant = s.tenant AND id = s.id AND last_seq = s.expected;
        IF NOT FOUND THEN
          IF EXISTS (SELECT 1 FROM sessions WHERE tenant = s.tenant AND id = s.id) THEN
            RAISE EXCEPTION 'its last seq is not %', s.expected USING ERRCODE = 'SW409', DETAIL = s.id;
          END IF;
          RAISE EXCEPTION 'session % does not exist', s.id USING ERRCODE = 'SW404', DETAIL = s.id;
        END IF;
      END IF;
    END LOOP;
    INSERT INTO entries (tenant, session_id, seq, turn_id, type, at, data)
    SELECT * FROM ROWS FROM (
      json_to_recordset(p_entries) AS (tenant text, session_id text, seq integer, turn_id text, type text, at bigint),
      json_array_elements(p_data)
    );
  END
  $fn$;
  `,
  // 3: processes sharing the store. An open turn names the process that opened it (NULL: opened before this, by a
  // process that is gone), so recovery leaves the turns of live processes alone.
  `
  ALTER TABLE sessions ADD COLUMN open_owner text;
  CREATE TABLE instances (
    id text COLLATE "C" PRIMARY KEY,
    host text NOT NULL,
    pid integer NOT NULL,
    beat_at bigint NOT NULL
  );

  CREATE OR REPLACE FUNCTION swiftlet_append(p_sessions json, p_metadata json, p_entries json, p_data json)
  RETURNS void LANGUAGE plpgsql AS $fn$
  DECLARE
    s record;
  BEGIN
    FOR s IN SELECT * FROM ROWS FROM (
      json_to_recordset(p_sessions) AS (tenant text, id text, agent text, created_at bigint, expected integer,
        last_seq integer, updated_at bigint, keep_open boolean, open_turn text, open_owner text, messages integer),
      json_array_elements(p_metadata)
    ) AS x(tenant, id, agent, created_at, expected, last_seq, updated_at, keep_open, open_turn, open_owner, messages,
      metadata)
    LOOP
      IF s.agent IS NOT NULL THEN
        INSERT INTO sessions (tenant, id, agent, created_at, updated_at, last_seq, open_turn, open_owner,
                              message_count, metadata)
        VALUES (s.tenant, s.id, s.agent, s.created_at, GREATEST(s.created_at, s.updated_at), s.last_seq, s.open_turn,
                s.open_owner, s.messages, s.metadata)
        ON CONFLICT (tenant, id) DO NOTHING;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'it already exists' USING ERRCODE = 'SW409', DETAIL = s.id;
        END IF;
      ELSE
        UPDATE sessions SET updated_at = GREATEST(updated_at, s.updated_at), last_seq = s.last_seq,
          open_turn = CASE WHEN s.keep_open THEN open_turn ELSE s.open_turn END,
          open_owner = CASE WHEN s.keep_open THEN open_owner ELSE s.open_owner END,
          message_count = message_count + s.messages
        WHERE tenant = s.tenant AND id = s.id AND last_seq = s.expected;
        IF NOT FOUND THEN
          IF EXISTS (SELECT 1 FROM sessions WHERE tenant = s.tenant AND id = s.id) THEN
            RAISE EXCEPTION 'its last seq is not %', s.expected USING ERRCODE = 'SW409', DETAIL = s.id;
          END IF;
          RAISE EXCEPTION 'session % does not exist', s.id USING ERRCODE = 'SW404', DETAIL = s.id;
        END IF;
      END IF;
    END LOOP;
    INSERT INTO entries (tenant, session_id, seq, turn_id, type, at, data)
    SELECT * FROM ROWS FROM (
      json_to_recordset(p_entries) AS (tenant text, session_id text, seq integer, turn_id text, type text, at bigint),
      json_array_elements(p_data)
    );
  END
  $fn$;
  `,
  // 4: session titles (the first user message, set by the append that writes it). Sessions that already have messages
  // get '' (no title, and never one: a later message is not their first); those without messages get theirs later.
  // swiftlet_append takes an optional title per session and sets it only on a session that has none.
  `
  ALTER TABLE sessions ADD COLUMN title text;
  UPDATE sessions SET title = '' WHERE message_count > 0;

  CREATE OR REPLACE FUNCTION swiftlet_append(p_sessions json, p_metadata json, p_entries json, p_data json)
  RETURNS void LANGUAGE plpgsql AS $fn$
  DECLARE
    s record;
  BEGIN
    FOR s IN SELECT * FROM ROWS FROM (
      json_to_recordset(p_sessions) AS (tenant text, id text, agent text, created_at bigint, expected integer,
        last_seq integer, updated_at bigint, keep_open boolean, open_turn text, open_owner text, messages integer,
        title text),
      json_array_elements(p_metadata)
    ) AS x(tenant, id, agent, created_at, expected, last_seq, updated_at, keep_open, open_turn, open_owner, messages,
      title, metadata)
    LOOP
      IF s.agent IS NOT NULL THEN
        INSERT INTO sessions (tenant, id, agent, created_at, updated_at, last_seq, open_turn, open_owner,
                              message_count, title, metadata)
        VALUES (s.tenant, s.id, s.agent, s.created_at, GREATEST(s.created_at, s.updated_at), s.last_seq, s.open_turn,
                s.open_owner, s.messages, s.title, s.metadata)
        ON CONFLICT (tenant, id) DO NOTHING;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'it already exists' USING ERRCODE = 'SW409', DETAIL = s.id;
        END IF;
      ELSE
        UPDATE sessions SET updated_at = GREATEST(updated_at, s.updated_at), last_seq = s.last_seq,
          open_turn = CASE WHEN s.keep_open THEN open_turn ELSE s.open_turn END,
          open_owner = CASE WHEN s.keep_open THEN open_owner ELSE s.open_owner END,
          message_count = message_count + s.messages,
          title = COALESCE(title, s.title)
        WHERE tenant = s.tenant AND id = s.id AND last_seq = s.expected;
        IF NOT FOUND THEN
          IF EXISTS (SELECT 1 FROM sessions WHERE tenant = s.tenant AND id = s.id) THEN
            RAISE EXCEPTION 'its last seq is not %', s.expected USING ERRCODE = 'SW409', DETAIL = s.id;
          END IF;
          RAISE EXCEPTION 'session % does not exist', s.id USING ERRCODE = 'SW404', DETAIL = s.id;
        END IF;
      END IF;
    END LOOP;
    INSERT INTO entries (tenant, session_id, seq, turn_id, type, at, data)
    SELECT * FROM ROWS FROM (
      json_to_recordset(p_entries) AS (tenant text, session_id text, seq integer, turn_id text, type text, at bigint),
      json_array_elements(p_data)
    );
  END
  $fn$;
  `,
  // 5: tasks handed between agents through the bus: a row per task (the projection) and its append-only event log,
  // as in SQLite's migration 5. spec holds the immutable parts (target, input, requester); result and error are set at
  // the end. JSON is text, not json: the same texts as SQLite (task-rows.ts maps both), never queried by operators,
  // and stored verbatim. Ids sort bytewise (COLLATE "C"): lists and the bus's sweep page by keyset on them.
  `
  CREATE TABLE tasks (
    tenant text COLLATE "C" NOT NULL,
    id text COLLATE "C" NOT NULL,
    state text NOT NULL,
    target text NOT NULL,
    agent text,
    assignee text,
    owner text,
    lease_until bigint,
    priority integer NOT NULL,
    deadline bigint,
    idempotency_key text,
    parent_id text COLLATE "C",
    depth integer NOT NULL,
    attempt integer NOT NULL,
    max_attempts integer NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    last_seq integer NOT NULL,
    spec text NOT NULL,
    result text,
    error text,
    PRIMARY KEY (tenant, id)
  );
  CREATE UNIQUE INDEX tasks_by_idempotency_key ON tasks (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
  CREATE INDEX tasks_active ON tasks (id) WHERE state IN ('submitted', 'working', 'input-required');
  CREATE INDEX tasks_by_parent ON tasks (tenant, parent_id, id) WHERE parent_id IS NOT NULL;
  -- Operator listings across every tenant.
  CREATE INDEX tasks_all ON tasks (id, tenant);

  -- No foreign key, as for entries: every write of events moves its task row in the same statement.
  CREATE TABLE task_events (
    tenant text COLLATE "C" NOT NULL,
    task_id text COLLATE "C" NOT NULL,
    seq integer NOT NULL,
    at bigint NOT NULL,
    data text NOT NULL,
    PRIMARY KEY (tenant, task_id, seq)
  );
  `,
];
