// Bundles the CLI and the library with esbuild. Native and optional drivers stay external and are loaded lazily.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync, chmodSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

const requireShim =
  "import { createRequire as __swiftletCreateRequire } from 'node:module'; const require = __swiftletCreateRequire(import.meta.url);";

await build({
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['better-sqlite3', 'pg', 'pg-native', 'playwright-core'],
  define: { __SWIFTLET_VERSION__: JSON.stringify(pkg.version) },
  banner: { js: requireShim },
  logLevel: 'warning',
});
chmodSync(new URL('../dist/cli.js', import.meta.url), 0o755);
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
