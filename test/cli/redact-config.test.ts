// What `swiftlet config check --json` masks: every password form node-postgres accepts, and API key digests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/index.js';
import { maskPostgresUrl, redactConfig } from '../../src/cli/redact-config.js';

test('postgres URLs: the userinfo password and password/sslpassword parameters, any case, are masked', () => {
  const cases: [string, string][] = [
    ['postgres://app:hunter2@db:5432/x', 'postgres://app:***@db:5432/x'],
    ['postgresql://app:hun@ter2@db/x', 'postgresql://app:***@db/x'],
    ['postgres://app:p?ss#w@db/x?sslmode=require', 'postgres://app:***@db/x?sslmode=require'],
    ['postgres://user@host/db?password=QPASS999', 'postgres://user@host/db?password=***'],
    [
      'postgres://host/db?sslmode=verify-full&sslpassword=KEYPASS&x=1',
      'postgres://host/db?sslmode=verify-full&sslpassword=***&x=1',
    ],
    ['postgres://host/db?PassWord=A1&SSLPASSWORD=B2', 'postgres://host/db?PassWord=***&SSLPASSWORD=***'],
    ['postgres://host/db?pass%77ord=C3', 'postgres://host/db?pass%77ord=***'],
    ['postgres://u:ONE@host/db?password=TWO#frag', 'postgres://u:***@host/db?password=***#frag'],
    ['postgres://host/db?application_name=a@b', 'postgres://host/db?application_name=a@b'],
    ['postgres://host/db', 'postgres://host/db'],
  ];
  for (const [url, want] of cases) assert.equal(maskPostgresUrl(url), want, url);
});

test('API keys: names and an 8-digit fingerprint, never the SHA-256 digest', () => {
  const key = 'a-long-random-key-0123456789';
  const { config } = parseConfig(
    `providers:\n  m: { type: mock }\nagents:\n  a: { model: m/x }\nserver:\n  apiKeys: [{ name: alice, key: "${key}" }]\n`,
    { env: {} },
  );
  const digest = config.server.apiKeys[0]!.sha256;
  const text = JSON.stringify(redactConfig(config));
  assert.ok(!text.includes(digest), 'the digest is not printed');
  assert.ok(!text.includes(digest.slice(0, 16)), 'nor a long part of it');
  assert.ok(!text.includes(key));
  const out = redactConfig(config) as { server: { apiKeys: { name: string; fingerprint: string }[] } };
  assert.deepEqual(out.server.apiKeys, [
    { name: 'alice', tenant: 'alice', admin: false, fingerprint: `sha256:${digest.slice(0, 8)}…` },
  ]);
});
