import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { createRuntime } from '../../src/runtime/index.js';
import { startMockLlm, type MockLlm } from '../../src/model/index.js';
import type { TurnEndEvent } from '../../src/core/index.js';
import { CHANNELS, startObservability } from '../../src/obs/index.js';
import { testConfig } from '../helpers/runtime.js';
import { histogram, labelSets, parseExposition, value, type Exposition } from './prom.js';

/** Resolves once `cond()` holds; fails after `ms`. Checks after each turn of the event loop, never on a timer. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function scrape(obs: { metrics(): Promise<{ contentType: string; body: string }> }): Promise<Exposition> {
  const { contentType, body } = await obs.metrics();
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  return parseExposition(body);
}

describe('metrics from real turns', () => {
  let mock: MockLlm;
  before(async () => {
    mock = await startMockLlm({});
  });
  after(async () => {
    await mock.close();
  });

  test('a tool turn, a retried failing call and a timed-out call move the right series', async (t) => {
    mock.reset();
    mock.configure({
      script: [
        {
          toolCalls: [
            { name: 'current_time', arguments: {} },
            { name: 'no_such_tool', arguments: {} },
          ],
        },
        { text: 'done' },
      ],
    });
    const rt = await createRuntime({
      config: testConfig({
        mockUrl: mock.url,
        retries: '{ max: 1, baseDelayMs: 5, maxDelayMs: 20 }',
        timeouts: '{ connectMs: 2000, firstTokenMs: 1000, idleMs: 5000, totalMs: 20000 }',
      }),
    });
    const obs = startObservability({ stats: () => rt.stats });
    t.after(async () => {
      obs.close();
      await rt.close();
    });

    const results: TurnEndEvent[] = [];
    results.push(await rt.run({ sessionId: 'tools', input: 'what time is it?' }).result);
    assert.equal(results[0]!.outcome, 'final');
    // Both attempts (the first and its retry) answer 500: the turn fails.
    mock.injectFault({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    results.push(await rt.run({ sessionId: 'broken', input: 'hello' }).result);
    assert.equal(results[1]!.outcome, 'failed');
    const httpCode = results[1]!.error!.code;
    // No answer head before the first-token timeout: an error without a status (a timed-out attempt is not retried).
    mock.configure({ script: [] });
    mock.injectFault({ kind: 'hang' });
    results.push(await rt.run({ sessionId: 'slow', input: 'hello' }).result);
    assert.equal(results[2]!.outcome, 'failed');
    assert.equal(results[2]!.error?.code, 'SWIFTLET_ERR_MODEL_TIMEOUT');

    // A turn's result arrives just before its scheduler slot is released.
    await until(() => rt.stats.activeTurns === 0, 'the last turn slot to be released');
    const m = await scrape(obs);
    const a = { agent: 'assistant', tenant: 'local' };
    assert.equal(m.types.get('swiftlet_turns_total'), 'counter');
    assert.equal(value(m, 'swiftlet_turns_total', { ...a, outcome: 'final' }), 1);
    assert.equal(value(m, 'swiftlet_turns_total', { ...a, outcome: 'failed' }), 2);
    assert.equal(histogram(m, 'swiftlet_turn_duration_seconds', { agent: 'assistant' }).count, 3);

    const usage = (k: 'inputTokens' | 'outputTokens'): number => results.reduce((n, r) => n + r.usage[k], 0);
    assert.ok(usage('inputTokens') > 0);
    assert.equal(value(m, 'swiftlet_model_tokens_total', { ...a, type: 'input' }), usage('inputTokens'));
    assert.equal(value(m, 'swiftlet_model_tokens_total', { ...a, type: 'output' }), usage('outputTokens'));

    const p = { provider: 'mock' };
    assert.equal(mock.requestCount, 5);
    assert.equal(histogram(m, 'swiftlet_model_request_duration_seconds', p).count, 5);
    assert.equal(value(m, 'swiftlet_model_errors_total', { ...p, status: '500', code: httpCode }), 2);
    const hangs = mock.requests.filter((r) => r.fault === 'hang').length;
    assert.equal(hangs, 1);
    assert.equal(
      value(m, 'swiftlet_model_errors_total', { ...p, status: 'none', code: 'SWIFTLET_ERR_MODEL_TIMEOUT' }),
      1,
    );
    assert.equal(labelSets(m, 'swiftlet_model_errors_total').length, 2);
    assert.equal(value(m, 'swiftlet_model_retries_total', p), 1);
    assert.equal(value(m, 'swiftlet_model_requests_in_flight', p), 0);

    assert.equal(value(m, 'swiftlet_tool_calls_total', { tool: 'current_time', outcome: 'ok' }), 1);
    // A tool name the model made up is not a label value of its own.
    assert.equal(value(m, 'swiftlet_tool_calls_total', { tool: '_unknown', outcome: 'unknown_tool' }), 1);
    assert.ok(!labelSets(m, 'swiftlet_tool_calls_total').some((l) => l.tool === 'no_such_tool'));
    assert.equal(histogram(m, 'swiftlet_tool_duration_seconds', { tool: 'current_time' }).count, 1);

    let stored = 0;
    for (const id of ['tools', 'broken', 'slow']) stored += (await rt.store.load({ tenant: 'local', id: id })).length;
    const entries = histogram(m, 'swiftlet_store_commit_entries');
    assert.equal(entries.sum, stored);
    assert.ok(histogram(m, 'swiftlet_store_commit_sessions').sum >= 3);
    assert.equal(histogram(m, 'swiftlet_store_commit_duration_seconds').count, entries.count);
    assert.equal(value(m, 'swiftlet_store_commit_errors_total'), 0);

    const stats = rt.stats;
    assert.equal(value(m, 'swiftlet_turns_active'), 0);
    assert.equal(value(m, 'swiftlet_turns_queued'), 0);
    assert.equal(value(m, 'swiftlet_store_pending_entries'), 0);
    assert.ok(stats.cache.sessions > 0);
    assert.equal(value(m, 'swiftlet_hot_cache_sessions'), stats.cache.sessions);
    assert.equal(value(m, 'swiftlet_hot_cache_bytes'), stats.cache.bytes);
    assert.equal(value(m, 'swiftlet_hot_cache_hits_total'), stats.cache.hits);
    assert.equal(value(m, 'swiftlet_hot_cache_misses_total'), stats.cache.misses);

    assert.ok(value(m, 'swiftlet_process_resident_memory_bytes')! > 0);
    assert.ok(value(m, 'swiftlet_process_heap_used_bytes')! > 0);
    assert.ok(value(m, 'swiftlet_process_heap_total_bytes')! >= value(m, 'swiftlet_process_heap_used_bytes')!);
    const p50 = value(m, 'swiftlet_event_loop_delay_p50_seconds')!;
    const p99 = value(m, 'swiftlet_event_loop_delay_p99_seconds')!;
    const max = value(m, 'swiftlet_event_loop_delay_max_seconds')!;
    assert.ok(p50 >= 0 && p50 <= p99 && p99 <= max, `${p50} ${p99} ${max}`);
  });

  test('active and queued turns are read at scrape time', async (t) => {
    mock.reset();
    mock.configure({ script: [] });
    mock.injectFault({ kind: 'hang' });
    const rt = await createRuntime({ config: testConfig({ mockUrl: mock.url }) });
    const obs = startObservability({ stats: () => rt.stats });
    t.after(async () => {
      obs.close();
      await rt.close();
    });
    const first = rt.run({ sessionId: 'busy', input: 'one' });
    const second = rt.run({ sessionId: 'busy', input: 'two' });
    await mock.waitFor((r) => r.fault === 'hang');
    const during = await scrape(obs);
    assert.equal(value(during, 'swiftlet_turns_active'), 1);
    assert.equal(value(during, 'swiftlet_turns_queued'), 1);
    assert.equal(value(during, 'swiftlet_model_requests_in_flight', { provider: 'mock' }), 1);
    assert.equal(rt.interrupt('busy'), true);
    assert.equal((await first.result).outcome, 'interrupted');
    assert.equal((await second.result).outcome, 'final');
    await until(() => rt.stats.activeTurns === 0, 'the turn slot to be released');
    const afterwards = await scrape(obs);
    assert.equal(value(afterwards, 'swiftlet_turns_active'), 0);
    assert.equal(value(afterwards, 'swiftlet_turns_queued'), 0);
    assert.equal(value(afterwards, 'swiftlet_model_requests_in_flight', { provider: 'mock' }), 0);
    assert.equal(
      value(afterwards, 'swiftlet_turns_total', { agent: 'assistant', tenant: 'local', outcome: 'interrupted' }),
      1,
    );
    assert.equal(
      value(afterwards, 'swiftlet_model_errors_total', {
        provider: 'mock',
        status: 'none',
        code: 'SWIFTLET_ERR_ABORTED',
      }),
      1,
    );
  });

  test('close() unsubscribes from every channel: later turns and messages change nothing', async (t) => {
    mock.reset();
    mock.configure({ script: [{ toolCalls: [{ name: 'current_time', arguments: {} }] }, { text: 'ok' }] });
    const rt = await createRuntime({ config: testConfig({ mockUrl: mock.url }) });
    t.after(() => rt.close());
    const obs = startObservability({ stats: () => rt.stats });
    const unused: string[] = [CHANNELS.toolStart, CHANNELS.turnStart];
    for (const name of Object.values(CHANNELS).filter((n) => !unused.includes(n))) {
      assert.equal(channel(name).hasSubscribers, true, name);
    }
    assert.equal((await rt.run({ sessionId: 'c', input: 'time?' }).result).outcome, 'final');
    const before = await scrape(obs);
    obs.close();
    obs.close();
    for (const name of Object.values(CHANNELS)) assert.equal(channel(name).hasSubscribers, false, name);

    assert.equal((await rt.run({ sessionId: 'c2', input: 'time?' }).result).outcome, 'final');
    channel(CHANNELS.turnEnd).publish({
      tenant: 'local',
      turnId: 'x',
      sessionId: 'x',
      agent: 'assistant',
      outcome: 'final',
      usage: { inputTokens: 1, outputTokens: 1 },
      steps: 1,
      durationMs: 5,
    });
    const afterClose = await scrape(obs);
    const counted = (e: Exposition) =>
      e.samples
        .filter((s) => /^swiftlet_(turn|model|tool|store_commit)/.test(s.name))
        .map((s) => [s.name, s.labels, s.value]);
    assert.ok(counted(before).length > 0);
    assert.deepEqual(counted(afterClose), counted(before));
    assert.equal(value(before, 'swiftlet_turns_total', { agent: 'assistant', tenant: 'local', outcome: 'final' }), 1);
  });
});

describe('metrics from published messages', () => {
  test('without a stats source the runtime gauges are left out; failures are labelled', async (t) => {
    const obs = startObservability({ tenants: ['acme'] });
    t.after(() => obs.close());
    channel(CHANNELS.storeCommit).publish({ batches: 2, entries: 7, durationMs: 3, error: new Error('disk full') });
    channel(CHANNELS.modelResponse).publish({
      provider: 'p',
      model: 'm',
      durationMs: 40,
      attempt: 0,
      error: { code: 'SWIFTLET_ERR_MODEL_CONNECT' },
    });
    // The tenant label takes only configured names (and local): any other tenant counts as _other.
    for (const tenant of ['acme', 'made-up-1', 'made-up-2']) {
      channel(CHANNELS.turnEnd).publish({
        tenant,
        turnId: 'x',
        sessionId: 's',
        agent: 'b',
        outcome: 'final',
        usage: { inputTokens: 2, outputTokens: 1 },
        steps: 1,
        durationMs: 1,
      });
    }
    channel(CHANNELS.turnEnd).publish({
      tenant: 'local',
      turnId: 'early',
      sessionId: 's',
      agent: 'a',
      outcome: 'interrupted',
      usage: { inputTokens: 0, outputTokens: 0 },
      steps: 0,
      durationMs: 250,
    });
    const m = await scrape(obs);
    assert.equal(value(m, 'swiftlet_turns_active'), undefined);
    assert.equal(value(m, 'swiftlet_hot_cache_bytes'), undefined);
    assert.ok(value(m, 'swiftlet_process_resident_memory_bytes')! > 0);
    assert.equal(value(m, 'swiftlet_store_commit_errors_total'), 1);
    assert.deepEqual(histogram(m, 'swiftlet_store_commit_entries'), { count: 1, sum: 7 });
    assert.deepEqual(histogram(m, 'swiftlet_store_commit_sessions'), { count: 1, sum: 2 });
    assert.equal(
      value(m, 'swiftlet_model_errors_total', { provider: 'p', status: 'none', code: 'SWIFTLET_ERR_MODEL_CONNECT' }),
      1,
    );
    assert.deepEqual(histogram(m, 'swiftlet_model_request_duration_seconds', { provider: 'p' }), {
      count: 1,
      sum: 0.04,
    });
    // The in-flight gauge never goes below zero for an attempt whose request it did not see.
    assert.equal(value(m, 'swiftlet_model_requests_in_flight', { provider: 'p' }), 0);
    assert.equal(value(m, 'swiftlet_turns_total', { agent: 'a', tenant: 'local', outcome: 'interrupted' }), 1);
    assert.equal(value(m, 'swiftlet_turns_total', { agent: 'b', tenant: 'acme', outcome: 'final' }), 1);
    assert.equal(value(m, 'swiftlet_turns_total', { agent: 'b', tenant: '_other', outcome: 'final' }), 2);
    assert.equal(value(m, 'swiftlet_model_tokens_total', { agent: 'b', tenant: '_other', type: 'input' }), 4);
    assert.equal(m.samples.filter((x) => x.labels.tenant?.startsWith('made-up')).length, 0);
    assert.deepEqual(histogram(m, 'swiftlet_turn_duration_seconds', { agent: 'a' }), { count: 1, sum: 0.25 });
  });

  test('a histogram puts each value in its bucket', async (t) => {
    const obs = startObservability();
    t.after(() => obs.close());
    for (const entries of [1, 2, 3, 5, 6, 10_000]) {
      channel(CHANNELS.storeCommit).publish({ batches: 1, entries, durationMs: 1 });
    }
    const m = await scrape(obs);
    const bucket = (le: string) => value(m, 'swiftlet_store_commit_entries_bucket', { le });
    assert.equal(bucket('1'), 1);
    assert.equal(bucket('2'), 2);
    assert.equal(bucket('5'), 4);
    assert.equal(bucket('10'), 5);
    assert.equal(bucket('5000'), 5);
    assert.equal(bucket('+Inf'), 6);
    assert.deepEqual(histogram(m, 'swiftlet_store_commit_entries'), { count: 6, sum: 10_017 });
  });
});
