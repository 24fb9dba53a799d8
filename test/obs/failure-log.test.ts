import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { Writable } from 'node:stream';
import pino from 'pino';
import { CHANNELS, type TurnEndMessage } from '../../src/core/index.js';
import { logFailures } from '../../src/obs/index.js';

test('a turn ended by a store error is logged at error with its session; other outcomes are not', () => {
  const lines: { level: number; msg: string; sessionId?: string; tenant?: string; code?: string }[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    }),
  );
  const stop = logFailures(log);
  const end = (o: Partial<TurnEndMessage>): void =>
    channel(CHANNELS.turnEnd).publish({
      tenant: 'acme',
      turnId: 'turn_1',
      sessionId: 'ses_1',
      agent: 'assistant',
      outcome: 'final',
      usage: { inputTokens: 0, outputTokens: 0 },
      steps: 1,
      durationMs: 1,
      ...o,
    });
  end({});
  end({ outcome: 'failed', error: { code: 'SWIFTLET_ERR_MODEL_HTTP', message: 'mock: provider error (HTTP 500)' } });
  end({
    outcome: 'failed',
    sessionId: 'ses_2',
    error: { code: 'SWIFTLET_ERR_STORE', message: 'the turn could not be saved: disk I/O error' },
  });
  end({
    outcome: 'failed',
    sessionId: 'ses_3',
    error: {
      code: 'SWIFTLET_ERR_SESSION_NOT_FOUND',
      message: 'the turn could not be saved: session ses_3 was deleted',
    },
  });
  stop();
  end({ outcome: 'failed', error: { code: 'SWIFTLET_ERR_STORE', message: 'after stop' } });
  assert.deepEqual(
    lines.map((l) => [l.level, l.tenant, l.sessionId, l.code, l.msg]),
    [
      [50, 'acme', 'ses_2', 'SWIFTLET_ERR_STORE', 'the turn could not be saved: disk I/O error'],
      [50, 'acme', 'ses_3', 'SWIFTLET_ERR_SESSION_NOT_FOUND', 'the turn could not be saved: session ses_3 was deleted'],
    ],
  );
});
