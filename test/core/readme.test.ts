// README.md states facts that live elsewhere (package.json, the test helpers, .ci/run): these tests keep them equal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { POSTGRES_URL } from '../helpers/services.js';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const README = read('README.md');

/** The lines of the README's ```sh blocks. */
function shellLines(): string[] {
  return [...README.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].flatMap((m) => m[1]!.split('\n').filter(Boolean));
}

test("README's Node.js version is package.json's engines.node", () => {
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
  const wanted = /^>=(\d+\.\d+\.\d+)$/.exec(engines);
  assert.ok(wanted, `engines.node is ${engines}`);
  const stated = [...README.matchAll(/Node(?:\.js)? ≥ (\d+(?:\.\d+)*)/g)].map((m) => m[1]);
  assert.ok(stated.length > 0, 'the README states a Node.js version');
  for (const v of stated) assert.equal(v, wanted[1]);
});

test('README: the first lines stay npm install && npm start, npm test', () => {
  const [first, second] = shellLines();
  assert.match(first!, /^npm install && npm start\s/);
  assert.match(second!, /^npm test\s/);
});

test('README: swiftlet commands are runnable from a clone (npx swiftlet), curl examples as pasted', () => {
  const lines = shellLines();
  const bare = lines.filter((l) => /^swiftlet\b/.test(l));
  assert.deepEqual(bare, [], 'a clone has no swiftlet on PATH: write npx swiftlet');
  assert.ok(lines.some((l) => l.startsWith('npx swiftlet run ')));
  const curls = lines.filter((l) => /\bcurl\b/.test(l));
  assert.ok(curls.length >= 2);
  for (const l of curls) assert.doesNotMatch(l, /ses_…/, `a placeholder id does not run: ${l}`);
  // The session id is captured once and used by the curls that follow.
  assert.match(curls[0]!, /^S=\$\(curl .*\/v1\/sessions .*\| jq -r \.id\)/);
  for (const l of curls.slice(1)) assert.match(l, /\/v1\/sessions\/\$S\//);
});

test('README says how the service-backed tests skip and how to require them', () => {
  assert.match(README, /SWIFTLET_REQUIRE_SERVICES=1/);
  assert.ok(README.includes(`\`${POSTGRES_URL}\``), 'the default PostgreSQL URL of test/helpers/services.ts');
  assert.match(README, /SWIFTLET_TEST_POSTGRES_URL/);
  const browser = read('test/gateway/web-browser.test.ts');
  const chromium = /SWIFTLET_CHROMIUM \?\? '([^']+)'/.exec(browser);
  assert.ok(chromium);
  assert.ok(README.includes(`\`${chromium[1]}\``), 'the default Chromium path of the browser test');
  const ci = read('.ci/run');
  assert.match(ci, /SWIFTLET_REQUIRE_SERVICES=1/);
  for (const port of ['5432', '4222']) {
    assert.ok(ci.includes(port));
    assert.ok(README.includes(`port ${port}`), `README names the port .ci/run uses: ${port}`);
  }
});
