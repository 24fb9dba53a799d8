import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBuiltinTool, createCurrentTimeTool, type CurrentTime } from '../../src/tools/index.js';
import { toolContext } from './helpers.js';

const AT = Date.UTC(2025, 2, 1, 13, 5, 9); // 2025-03-01T13:05:09Z

async function now(args: unknown): Promise<CurrentTime> {
  const tool = createCurrentTimeTool({ now: () => AT });
  const parsed = tool.parse(args);
  if (!parsed.ok) throw new Error(parsed.error);
  return (await tool.run(parsed.value, toolContext())) as CurrentTime;
}

test('current_time defaults to UTC', async () => {
  const t = await now({});
  assert.equal(t.iso, '2025-03-01T13:05:09+00:00');
  assert.equal(t.utc, '2025-03-01T13:05:09.000Z');
  assert.equal(t.timezone, 'UTC');
  assert.match(t.readable, /Saturday, March 1, 2025/);
});

test('current_time gives local time with offset in an IANA zone', async () => {
  const kolkata = await now({ timezone: 'Asia/Kolkata' });
  assert.equal(kolkata.iso, '2025-03-01T18:35:09+05:30');
  assert.equal(kolkata.timezone, 'Asia/Kolkata');
  const ny = await now({ timezone: 'America/New_York' });
  assert.equal(ny.iso, '2025-03-01T08:05:09-05:00');
  assert.match(ny.readable, /8:05:09/);
});

test('current_time rejects an unknown zone with a helpful message', async () => {
  await assert.rejects(now({ timezone: 'Mars/Olympus' }), /unknown time zone "Mars\/Olympus"/);
});

test('the built-in current_time tells the real time', async () => {
  const tool = createBuiltinTool({ name: 'current_time', timeoutMs: 100 });
  assert.equal(tool.timeoutMs, 100);
  const before = Date.now();
  const t = (await tool.run({}, toolContext())) as CurrentTime;
  const at = Date.parse(t.utc);
  assert.ok(at >= before - 1000 && at <= Date.now());
});
