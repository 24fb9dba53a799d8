import type { TestContext } from 'node:test';

export const POSTGRES_URL = process.env.SWIFTLET_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let probe: Promise<string | undefined> | undefined;
let told = false;

/** Resolves to why PostgreSQL is unusable, or undefined when it answers a query. Probed once per process. */
function probePostgres(): Promise<string | undefined> {
  probe ??= (async () => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (err) {
      return `PostgreSQL at ${POSTGRES_URL} is unreachable (${err instanceof Error ? err.message : String(err)})`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probe;
}

/**
 * The PostgreSQL URL for tests, or null after skipping `t` when the server cannot be reached. With
 * SWIFTLET_REQUIRE_SERVICES=1 an unreachable server fails the test instead.
 */
export async function requirePostgres(t: TestContext): Promise<string | null> {
  const reason = await probePostgres();
  if (reason === undefined) return POSTGRES_URL;
  if (process.env.SWIFTLET_REQUIRE_SERVICES === '1') throw new Error(`${reason}; SWIFTLET_REQUIRE_SERVICES=1`);
  if (!told) {
    told = true;
    console.log(`skipping PostgreSQL tests: ${reason}`);
  }
  t.skip(reason);
  return null;
}

/**
 * A `storage:` YAML value for a fresh PostgreSQL schema, dropped when `t` ends; null after skipping `t` when the
 * server cannot be reached (see requirePostgres).
 */
export async function postgresStorage(t: TestContext, prefix: string): Promise<string | null> {
  const url = await requirePostgres(t);
  if (!url) return null;
  const schema = `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
  t.after(async () => {
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  });
  return `{ driver: postgres, url: ${JSON.stringify(url)}, schema: ${schema} }`;
}

export const NATS_URL = process.env.SWIFTLET_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

let natsProbe: Promise<string | undefined> | undefined;
let natsTold = false;

/** Resolves to why NATS JetStream is unusable, or undefined when it answers. Probed once per process. */
function probeNats(): Promise<string | undefined> {
  natsProbe ??= (async () => {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    try {
      const nc = await connect({ servers: NATS_URL, timeout: 3000 });
      try {
        await (await jetstreamManager(nc)).getAccountInfo();
      } finally {
        await nc.close();
      }
      return undefined;
    } catch (err) {
      return `NATS JetStream at ${NATS_URL} is unreachable (${err instanceof Error ? err.message : String(err)})`;
    }
  })();
  return natsProbe;
}

/** The NATS URL for tests, or null after skipping `t` (failing it with SWIFTLET_REQUIRE_SERVICES=1) when unreachable. */
export async function requireNats(t: TestContext): Promise<string | null> {
  const reason = await probeNats();
  if (reason === undefined) return NATS_URL;
  if (process.env.SWIFTLET_REQUIRE_SERVICES === '1') throw new Error(`${reason}; SWIFTLET_REQUIRE_SERVICES=1`);
  if (!natsTold) {
    natsTold = true;
    console.log(`skipping NATS tests: ${reason}`);
  }
  t.skip(reason);
  return null;
}
