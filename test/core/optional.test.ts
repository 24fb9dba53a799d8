// A feature whose optional packages are not installed fails with one line naming what to install.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SwiftletError, importOptional } from '../../src/core/index.js';

const feature = { what: 'the task bus on NATS (bus.driver: nats)', field: 'bus.driver' };

test('a missing optional package is a config error that says what to install', async () => {
  const err = await importOptional(
    () => import('@swiftlet-test/not-installed' as string),
    ['@swiftlet-test/not-installed'],
    feature,
  ).then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );
  assert.ok(SwiftletError.isInstance(err));
  assert.equal(err.code, 'SWIFTLET_ERR_CONFIG_INVALID');
  assert.equal(err.field, 'bus.driver');
  assert.equal(
    err.message,
    'the task bus on NATS (bus.driver: nats) needs @swiftlet-test/not-installed, not installed with Swiftlet: ' +
      'npm install @swiftlet-test/not-installed',
  );
});

test('other failures, and a missing module that is not the optional one, pass through', async () => {
  const boom = new Error('boom');
  await assert.rejects(
    importOptional(() => Promise.reject(boom), ['x'], feature),
    boom,
  );
  await assert.rejects(
    importOptional(() => import('@swiftlet-test/other' as string), ['@swiftlet-test/not-installed'], feature),
    { code: 'ERR_MODULE_NOT_FOUND' },
  );
  assert.equal(await importOptional(() => Promise.resolve(42), ['x'], feature), 42);
});
