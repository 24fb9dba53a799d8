import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../../src/config/index.js';
import { DESCRIPTIONS } from '../../src/config/descriptions.js';
import { schemaKeyPaths } from '../../src/config/json-schema.js';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(fileURLToPath(new URL(path, ROOT)), 'utf8');

describe('JSON Schema', () => {
  test('the committed schema/swiftlet.schema.json is the generated one (regenerate: swiftlet config schema)', () => {
    assert.deepEqual(JSON.parse(read('schema/swiftlet.schema.json')), configJsonSchema());
  });

  test('draft 2020-12, closed objects, defaults shown', () => {
    const schema = configJsonSchema() as {
      $schema: string;
      additionalProperties: boolean;
      required: string[];
      properties: Record<string, { properties?: Record<string, { default?: unknown }> }>;
    };
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.required.sort(), ['agents', 'providers']);
    assert.equal(schema.properties.limits?.properties?.maxConcurrentTurns?.default, 256);
    assert.equal(schema.properties.storage?.properties?.path?.default, '.swiftlet/swiftlet.db');
    const text = JSON.stringify(schema);
    assert.ok(!text.includes(String(Number.MAX_SAFE_INTEGER)), 'no safe-integer noise');
    assert.ok(!text.includes('"additionalProperties":true'));
  });

  test('every key has a description, and no description is left over', () => {
    const paths = schemaKeyPaths();
    assert.ok(paths.length > 40, `only ${paths.length} paths found`);
    assert.deepEqual(
      paths.filter((p) => !(p in DESCRIPTIONS)),
      [],
    );
    assert.deepEqual(
      Object.keys(DESCRIPTIONS).filter((p) => !paths.includes(p)),
      [],
    );
  });

  test('docs/config.md documents every key, and no key that does not exist', () => {
    const docs = read('docs/config.md');
    const rows = [...docs.matchAll(/^\|\s*`([^`]+)`\s*\|/gm)].map((m) => m[1]!);
    assert.deepEqual(
      schemaKeyPaths().filter((p) => !rows.includes(p)),
      [],
      'keys missing from docs/config.md',
    );
    assert.deepEqual(
      rows.filter((r) => !schemaKeyPaths().includes(r)),
      [],
      'documented keys that do not exist',
    );
  });
});
