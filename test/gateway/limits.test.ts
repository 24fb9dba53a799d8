// 429 with Retry-After: a key over its rate, the gateway's or a key's concurrent turns at their limit, a session's
// queue full. Turns are held open by a mock LLM that waits a minute before its first token.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { createAdmission, createAuthenticate, sha256Hex } from '../../src/gateway/auth.js';
import { DEFAULT_SERVER_OPTIONS, LOCAL_CALLER, type Caller } from '../../src/gateway/index.js';
import { SwiftletError } from '../../src/core/index.js';
import { startTestGateway } from '../helpers/gateway.js';

const KA = 'key-a-0123456789abcdef';
const KB = 'key-b-0123456789abcdef';
const HOLD = {
  mock: { firstTokenMs: 60_000 },
  timeouts: '{ connectMs: 2000, firstTokenMs: 120000, idleMs: 120000, totalMs: 300000 }',
};

interface Reply {
  status: number;
  retryAfter: string | undefined;
  json: Record<string, unknown> & { error?: { code: string; message: string } };
}

async function call(url: string, method: 'GET' | 'POST', path: string, key: string, body?: unknown): Promise<Reply> {
  const res = await request(url + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.body.text();
  const retryAfter = res.headers['retry-after'];
  return {
    status: res.statusCode,
    retryAfter: retryAfter === undefined ? undefined : String(retryAfter),
    json: JSON.parse(text) as Reply['json'],
  };
}

const session = async (url: string, key: string) => String((await call(url, 'POST', '/v1/sessions', key, {})).json.id);
const turn = (url: string, key: string, id: string) =>
  call(url, 'POST', `/v1/sessions/${id}/turns`, key, { input: 'hi' });

function assert429(r: Reply, code: string, message?: RegExp): void {
  assert.equal(r.status, 429, JSON.stringify(r.json));
  assert.equal(r.json.error?.code, code);
  assert.match(r.retryAfter ?? '', /^[1-9]\d*$/, 'Retry-After in whole seconds');
  if (message) assert.match(r.json.error?.message ?? '', message);
}

/** Waits for a condition, checked every few milliseconds, failing after a deadline. */
async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('rate limit per key', () => {
  test('a token bucket: burst, then the wait for the next token; other keys unaffected', () => {
    let now = 0;
    const options = {
      ...DEFAULT_SERVER_OPTIONS,
      apiKeys: [
        { name: 'a', sha256: sha256Hex(KA), tenant: 'a', ratePerSec: 2, burst: 3 },
        { name: 'b', sha256: sha256Hex(KB), tenant: 'b' },
      ],
    };
    const auth = createAuthenticate(options, () => now);
    const req = (key: string) => auth({ headers: { authorization: `Bearer ${key}` } } as never);
    const wait = (key: string) => {
      const r = req(key);
      return SwiftletError.isInstance(r) ? (assert.equal(r.code, 'SWIFTLET_ERR_RATE_LIMITED'), r.retryAfterMs) : 0;
    };
    assert.deepEqual([wait(KA), wait(KA), wait(KA)], [0, 0, 0]);
    assert.equal(wait(KA), 500);
    now = 300;
    assert.equal(wait(KA), 200);
    now = 500;
    assert.equal(wait(KA), 0);
    assert.equal(wait(KA), 500);
    for (let i = 0; i < 50; i++) assert.equal(wait(KB), 0);
    now = 60_000;
    assert.deepEqual([wait(KA), wait(KA), wait(KA), wait(KA)], [0, 0, 0, 500], 'refills up to burst, no more');
    // A refused request takes no token: waiting exactly as told is enough.
    now += 500;
    assert.equal(wait(KA), 0);
  });

  test('over the rate: 429 RATE_LIMITED with Retry-After, before anything else; a missing key is still 401', async (t) => {
    const { url } = await startTestGateway(t, { keys: { slow: { key: KA, ratePerSec: 0.001, burst: 2 }, other: KB } });
    assert.equal((await call(url, 'GET', '/v1/agents', KA)).status, 200);
    assert.equal((await call(url, 'GET', '/v1/agents', KA)).status, 200);
    const refused = await call(url, 'POST', '/v1/sessions', KA, {});
    assert429(refused, 'SWIFTLET_ERR_RATE_LIMITED', /API key "slow" is over its rate limit/);
    assert.ok(Number(refused.retryAfter) <= 1000, `Retry-After ${refused.retryAfter}`);
    assert.equal((await call(url, 'GET', '/v1/agents', KB)).status, 200);
    assert.equal((await call(url, 'GET', '/v1/agents', 'wrong')).status, 401);
  });
});

describe('concurrent turns', () => {
  test('server.maxConcurrentTurns: one more turn is 429 OVERLOADED; a slot frees when a turn ends', async (t) => {
    const { url, mock, gateway } = await startTestGateway(t, {
      ...HOLD,
      config: { timeouts: HOLD.timeouts },
      server: { maxConcurrentTurns: 2 },
      keys: { a: KA, b: KB },
    });
    const [s1, s2, s3] = [await session(url, KA), await session(url, KB), await session(url, KB)];
    const held = [turn(url, KA, s1), turn(url, KB, s2)];
    await mock.waitFor(() => mock.requestCount >= 2);
    assert429(await turn(url, KB, s3), 'SWIFTLET_ERR_OVERLOADED', /server\.maxConcurrentTurns: 2/);
    assert.equal(mock.requestCount, 2, 'the refused turn did not start');

    assert.equal((await call(url, 'POST', `/v1/sessions/${s1}/interrupt`, KA)).status, 200);
    assert.equal((await held[0]!).status, 200);
    const caller: Caller = LOCAL_CALLER;
    await until('a free slot', () => {
      try {
        gateway.context.admitTurn(caller, 'assistant')();
        return true;
      } catch {
        return false;
      }
    });
    await call(url, 'POST', `/v1/sessions/${s2}/interrupt`, KB);
    await held[1];
  });

  test("a key's maxConcurrentTurns: its next turn is 429 OVERLOADED; other keys still get in", async (t) => {
    const { url, mock } = await startTestGateway(t, {
      ...HOLD,
      config: { timeouts: HOLD.timeouts },
      keys: { a: { key: KA, maxConcurrentTurns: 1 }, b: KB },
    });
    const [s1, s2, s3] = [await session(url, KA), await session(url, KA), await session(url, KB)];
    const held = [turn(url, KA, s1)];
    await mock.waitFor(() => mock.requestCount >= 1);
    assert429(await turn(url, KA, s2), 'SWIFTLET_ERR_OVERLOADED', /API key "a" already has 1 turns in flight/);
    held.push(turn(url, KB, s3));
    await mock.waitFor(() => mock.requestCount >= 2);
    for (const [id, key] of [
      [s1, KA],
      [s3, KB],
    ] as const)
      await call(url, 'POST', `/v1/sessions/${id}/interrupt`, key);
    assert.deepEqual(
      (await Promise.all(held)).map((r) => r.status),
      [200, 200],
    );
  });
});

describe('session queue', () => {
  test('limits.maxQueuedTurnsPerSession: 1 — a third turn on a busy session is 429 SESSION_BUSY', async (t) => {
    const { url, mock, runtime } = await startTestGateway(t, {
      ...HOLD,
      config: { timeouts: HOLD.timeouts, limits: '{ maxQueuedTurnsPerSession: 1 }' },
      server: { maxConcurrentTurns: 3 },
      keys: { a: KA },
    });
    const [busy, other] = [await session(url, KA), await session(url, KA)];
    const held = [turn(url, KA, busy)];
    await mock.waitFor(() => mock.requestCount >= 1);
    held.push(turn(url, KA, busy));
    await until('the second turn to queue', () => runtime.stats.queuedTurns >= 1);
    assert429(await turn(url, KA, busy), 'SWIFTLET_ERR_SESSION_BUSY', /maxQueuedTurnsPerSession/);
    assert.equal(mock.requestCount, 1);
    // The refused turn gave its admission back: with two of three slots taken, another session's turn gets in.
    held.push(turn(url, KA, other));
    await mock.waitFor(() => mock.requestCount >= 2);

    const interrupt = (id: string) => call(url, 'POST', `/v1/sessions/${id}/interrupt`, KA);
    await interrupt(other);
    await interrupt(busy);
    // The queued turn runs once the first has ended; it is interrupted in its turn.
    await mock.waitFor(() => mock.requestCount >= 3);
    await interrupt(busy);
    assert.deepEqual(
      (await Promise.all(held)).map((r) => r.status),
      [200, 200, 200],
    );
  });
});

describe('createAdmission', () => {
  test('counts turns globally and per key; a release is idempotent', () => {
    const admission = createAdmission({ ...DEFAULT_SERVER_OPTIONS, maxConcurrentTurns: 3 });
    const a: Caller = {
      key: { name: 'a', sha256: sha256Hex(KA), tenant: 'a', maxConcurrentTurns: 2 },
      tenant: 'a',
      admin: false,
    };
    const overloaded = /SWIFTLET_ERR_OVERLOADED|turns in flight/;
    const r1 = admission.admit(a, 'x');
    const r2 = admission.admit(a, 'x');
    assert.throws(() => admission.admit(a, 'x'), overloaded);
    const r3 = admission.admit(LOCAL_CALLER, 'x');
    assert.throws(() => admission.admit(LOCAL_CALLER, 'x'), /server\.maxConcurrentTurns: 3/);
    r1();
    r1();
    const r4 = admission.admit(LOCAL_CALLER, 'x');
    assert.throws(() => admission.admit(LOCAL_CALLER, 'x'), overloaded, 'a second release frees nothing');
    r3();
    r4();
    admission.admit(a, 'x');
    assert.throws(() => admission.admit(a, 'x'), /API key "a"/);
    r2();
  });
});
