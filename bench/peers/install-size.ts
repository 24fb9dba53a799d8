// Production install size of each contender: the closure of its packages as npm installed them in bench/peers
// (`npm query`, which follows dependency, optional and peer edges), summed the way bench/deps-size.ts sums Swiftlet's:
// every file under each package folder except its nested node_modules, allocated blocks, hard links counted once.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { foldersSize, packageRoot, prodDepsSize, walk, type DepsSize } from '../deps-size.js';

interface QueryNode {
  name: string;
  location: string;
  path: string;
}

export async function closureSize(peersRoot: string, packages: readonly string[]): Promise<DepsSize> {
  const selector = packages.map((p) => `:root > [name="${p}"], :root > [name="${p}"] *`).join(', ');
  const stdout = await new Promise<string>((done, fail) => {
    execFile('npm', ['query', selector], { cwd: peersRoot, timeout: 60_000, maxBuffer: 64 << 20 }, (err, out) =>
      err ? fail(new Error(`npm query in ${peersRoot} failed: ${err.message}`)) : done(out),
    );
  });
  const nodes = JSON.parse(stdout) as QueryNode[];
  const missing = packages.filter((p) => !nodes.some((n) => n.name === p && n.location === `node_modules/${p}`));
  if (missing.length > 0) throw new Error(`not installed in bench/peers: ${missing.join(', ')}`);
  const dirs = [...new Set(nodes.map((n) => n.path))];
  return foldersSize(
    dirs,
    join(peersRoot, 'node_modules'),
    `npm query '${selector}' in bench/peers, then every file under those folders except their node_modules`,
  );
}

/**
 * Swiftlet as installed: its production dependencies, measured by bench/deps-size.ts, plus its own package (the
 * `files` of package.json as built here: dist/, schema/, …), as a peer's figure includes the framework's own folder.
 */
export async function swiftletSize(repoRoot: string): Promise<DepsSize> {
  const root = packageRoot(repoRoot);
  const deps = await prodDepsSize(root);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; files?: string[] };
  const own = { disk: 0, apparent: 0 };
  const seen = new Set<string>();
  for (const entry of ['package.json', ...(pkg.files ?? [])]) {
    if (!existsSync(join(root, entry))) {
      if (entry === 'dist')
        throw new Error("dist/ is not built (npm run build): Swiftlet's own package cannot be sized");
      continue;
    }
    const w = walk(join(root, entry), seen);
    own.disk += w.disk;
    own.apparent += w.apparent;
  }
  const largest = [...deps.largest, { name: pkg.name, diskBytes: own.disk }].sort((a, b) => b.diskBytes - a.diskBytes);
  return {
    packages: deps.packages + 1,
    diskBytes: deps.diskBytes + own.disk,
    apparentBytes: deps.apparentBytes + own.apparent,
    largest: largest.slice(0, 5),
    method: `${deps.method}; plus package.json and the \`files\` of Swiftlet's package.json (dist/ as built here)`,
  };
}
