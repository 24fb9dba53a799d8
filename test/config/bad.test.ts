// The corpus of bad configs: each test/config/bad/<name>.yaml has a sibling <name>.expected.json naming every path
// that must be reported (with a fragment of its message). Exactly that set of paths, no more, no fewer.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SwiftletError } from '../../src/core/index.js';
import { parseConfig } from '../../src/config/index.js';

const DIR = fileURLToPath(new URL('./bad/', import.meta.url));
const DEFAULT_ENV = { OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'sk-ant-test' };

interface Expected {
  env?: Record<string, string>;
  issues: Record<string, string>;
}

const cases = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('bad configs', () => {
  test('the corpus is complete: at least 12 configs, each with its expectations', () => {
    assert.ok(cases.length >= 12, `only ${cases.length} bad configs`);
    const expectations = readdirSync(DIR).filter((f) => f.endsWith('.expected.json'));
    assert.deepEqual(expectations.sort(), cases.map((c) => c.replace(/\.yaml$/, '.expected.json')).sort());
  });

  for (const file of cases) {
    test(file, () => {
      const expected = JSON.parse(
        readFileSync(join(DIR, file.replace(/\.yaml$/, '.expected.json')), 'utf8'),
      ) as Expected;
      const text = readFileSync(join(DIR, file), 'utf8');
      let error: unknown;
      try {
        parseConfig(text, { env: expected.env ?? DEFAULT_ENV, source: file });
      } catch (err) {
        error = err;
      }
      assert.ok(SwiftletError.isInstance(error), `${file} was accepted`);
      assert.equal(error.code, 'SWIFTLET_ERR_CONFIG_INVALID');
      const issues = error.issues ?? [];
      const n = issues.length;
      assert.equal(error.message, `config ${file} has ${n} ${n === 1 ? 'problem' : 'problems'}`);
      const listing = issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
      assert.deepEqual(
        [...new Set(issues.map((i) => i.path))].sort(),
        Object.keys(expected.issues).sort(),
        `reported:\n${listing}`,
      );
      for (const [path, fragment] of Object.entries(expected.issues)) {
        const messages = issues.filter((i) => i.path === path).map((i) => i.message);
        assert.ok(
          messages.some((m) => m.includes(fragment)),
          `${path}: expected a message containing ${JSON.stringify(fragment)}, got ${JSON.stringify(messages)}`,
        );
      }
    });
  }
});
