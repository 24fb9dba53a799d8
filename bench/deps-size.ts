// Size on disk of the production dependencies as installed: the package folders `npm ls --omit=dev --parseable
// --all` lists, each without its nested node_modules (nested packages are listed on their own), hard links counted once.
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface DepsSize {
  packages: number;
  /** Allocated blocks, as `du` counts them. */
  diskBytes: number;
  /** Sum of file lengths. */
  apparentBytes: number;
  /** The five largest packages by disk bytes. */
  largest: { name: string; diskBytes: number }[];
  method: string;
}

/** The nearest folder at or above `from` with a package.json and the node_modules the code there loads from. */
export function packageRoot(from: string): string {
  let dir = resolve(from);
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'node_modules'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no installed package (package.json and node_modules) above ${from}`);
    dir = up;
  }
  return dir;
}

export async function prodDepsSize(root: string): Promise<DepsSize> {
  const method = 'npm ls --omit=dev --parseable --all';
  const stdout = await new Promise<string>((done, fail) => {
    execFile('npm', method.split(' ').slice(1), { cwd: root, timeout: 60_000, maxBuffer: 16 << 20 }, (err, out) => {
      // npm ls exits 1 on extraneous or invalid packages but still lists what is installed.
      if (out.trim() !== '') done(out);
      else fail(new Error(`${method} failed: ${err?.message ?? 'no output'}`));
    });
  });
  const dirs = [...new Set(stdout.split('\n').map((l) => l.trim()))].filter((d) => d !== '' && resolve(d) !== root);
  if (dirs.length === 0) throw new Error(`${method} in ${root} listed no installed package`);
  return foldersSize(
    dirs,
    join(root, 'node_modules'),
    `${method}, then every file under those folders except their node_modules`,
  );
}

/** The size of package folders (each without its nested node_modules, hard links once), named relative to `under`. */
export function foldersSize(dirs: readonly string[], under: string, method: string): DepsSize {
  const seen = new Set<string>();
  const sizes = dirs.map((dir) => ({ name: relative(under, dir), ...walk(dir, seen) }));
  sizes.sort((a, b) => b.disk - a.disk);
  return {
    packages: dirs.length,
    diskBytes: sizes.reduce((n, s) => n + s.disk, 0),
    apparentBytes: sizes.reduce((n, s) => n + s.apparent, 0),
    largest: sizes.slice(0, 5).map((s) => ({ name: s.name, diskBytes: s.disk })),
    method,
  };
}

/**
 * Allocated and apparent bytes of everything under `top`, except a `node_modules` directly inside it; hard links (and
 * anything already in `seen`) counted once.
 */
export function walk(top: string, seen: Set<string>): { disk: number; apparent: number } {
  let disk = 0;
  let apparent = 0;
  const visit = (path: string, depth: number): void => {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st === undefined) return;
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    disk += st.blocks * 512;
    if (!st.isDirectory()) {
      apparent += st.size;
      return;
    }
    for (const name of readdirSync(path)) {
      if (depth === 0 && name === 'node_modules') continue;
      visit(join(path, name), depth + 1);
    }
  };
  visit(top, 0);
  return { disk, apparent };
}
