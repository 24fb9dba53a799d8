// npm runs a dependency's install scripts only when package.json's allowScripts approves it (unapproved ones warn,
// and fail under strict-allow-scripts). The approvals must cover exactly the locked packages that have such scripts:
// a new one is reviewed before it runs, and an approval outlives no package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const read = (path: string): unknown => JSON.parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));

test("package.json's allowScripts covers exactly the locked packages with install scripts", () => {
  const { allowScripts = {} } = read('package.json') as { allowScripts?: Record<string, boolean> };
  const lock = read('package-lock.json') as { packages: Record<string, { hasInstallScript?: boolean }> };
  const withScripts = Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && p.hasInstallScript === true)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  assert.deepEqual(Object.keys(allowScripts).sort(), [...new Set(withScripts)].sort());
  // better-sqlite3 builds its native addon in its install script: without it the SQLite store cannot load.
  assert.equal(allowScripts['better-sqlite3'], true);
});
