import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, SwiftletError, toSwiftletError } from '../../src/core/index.js';
import { ERRORS_DOC, withGeneratedTable } from '../../scripts/errors-doc.js';

test('every error code is documented in docs/errors.md with its fault', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Map<string, string>();
  for (const m of doc.matchAll(/^\| `(SWIFTLET_ERR_[A-Z_]+)` \| (\w+) \|/gm)) documented.set(m[1]!, m[2]!);
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    assert.equal(documented.get(code), info.fault, `${code} must be documented with fault ${info.fault}`);
  }
  for (const code of documented.keys()) assert.ok(code in ERROR_CODES, `${code} is documented but does not exist`);
});

test('the code table in docs/errors.md is the one generated from ERROR_CODES', () => {
  const doc = readFileSync(ERRORS_DOC, 'utf8');
  assert.equal(doc, withGeneratedTable(doc), 'docs/errors.md is out of date: run npm run docs:errors');
  for (const info of Object.values(ERROR_CODES)) assert.doesNotMatch(info.doc, /\||\n/, 'a doc is one table cell');
});

test('docs/api.md names the code of every 404', () => {
  const api = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
  const notFound = Object.entries(ERROR_CODES).filter(([, info]) => info.httpStatus === 404);
  assert.ok(notFound.length >= 3);
  for (const [code] of notFound) assert.ok(api.includes(`\`${code}\``), `docs/api.md must name ${code}`);
});

test('isInstance recognises errors by brand, not by class identity', () => {
  const e = new SwiftletError('SWIFTLET_ERR_SESSION_BUSY', 'busy', { retryAfterMs: 5 });
  assert.ok(SwiftletError.isInstance(e));
  const foreign = Object.create({ [Symbol.for('swiftlet.error')]: true });
  assert.ok(SwiftletError.isInstance(foreign));
  assert.ok(!SwiftletError.isInstance(new Error('x')));
  assert.ok(!SwiftletError.isInstance(null));
  assert.equal(e.retryable, true);
  assert.equal(e.httpStatus, 429);
  assert.deepEqual(e.toJSON(), { code: 'SWIFTLET_ERR_SESSION_BUSY', message: 'busy' });
});

test('toSwiftletError keeps codes and maps aborts', () => {
  const abort = new Error('stop');
  abort.name = 'AbortError';
  assert.equal(toSwiftletError(abort).code, 'SWIFTLET_ERR_ABORTED');
  assert.equal(toSwiftletError('boom').code, 'SWIFTLET_ERR_INTERNAL');
  assert.equal(toSwiftletError(new Error('x'), 'SWIFTLET_ERR_STORE').code, 'SWIFTLET_ERR_STORE');
  const own = new SwiftletError('SWIFTLET_ERR_MODEL_HTTP', 'bad', { status: 503, retryable: true });
  assert.equal(toSwiftletError(own), own);
  assert.equal(own.retryable, true);
});
