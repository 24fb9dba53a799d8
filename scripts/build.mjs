// Bundles the CLI and the library with esbuild. Native and optional drivers stay external and are loaded lazily.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync, chmodSync, readFileSync } from 'node:fs';

// `--outdir DIR` bundles elsewhere (tests run the real bundle); `--no-types` skips the declaration files.
const args = process.argv.slice(2);
const outdir = args.includes('--outdir') ? args[args.indexOf('--outdir') + 1] : 'dist';
const withTypes = !args.includes('--no-types');

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(outdir, { recursive: true, force: true });

const requireShim =
  "import { createRequire as __swiftletCreateRequire } from 'node:module'; const require = __swiftletCreateRequire(import.meta.url);";

await build({
  entryPoints: { cli: 'src/cli/main.ts', index: 'src/index.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['better-sqlite3', 'pg', 'pg-native', 'playwright-core', '@grpc/grpc-js', '@grpc/proto-loader', '@nats-io/*'],
  define: { __SWIFTLET_VERSION__: JSON.stringify(pkg.version) },
  banner: { js: requireShim },
  logLevel: 'warning',
});
chmodSync(`${outdir}/cli.js`, 0o755);
if (withTypes) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
