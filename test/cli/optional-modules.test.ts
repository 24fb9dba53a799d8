// Optional dependencies stay unloaded until their feature is configured: the default `serve` path, the library
// entry point and the gateway load nothing of gRPC or NATS; starting the broker's gRPC server, or a bus on NATS, does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, writeMockConfig } from '../helpers/runtime.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OPTIONAL = [
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  '@nats-io/transport-node',
  '@nats-io/jetstream',
  '@nats-io/nats-core',
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('no source file imports an optional module other than by a type-only import or import()', () => {
  const offenders: string[] = [];
  for (const file of sources(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gm)) {
      if (OPTIONAL.some((o) => m[2] === o || m[2]!.startsWith(`${o}/`)))
        offenders.push(`${relative(ROOT, file)}: ${m[0].trim()}`);
    }
  }
  assert.deepEqual(offenders, []);
});

// Counts the @grpc and @nats-io modules in the require cache (CommonJS packages imported from ESM are there) when the
// process exits.
const COUNT_GRPC =
  'data:text/javascript,' +
  encodeURIComponent(`
    import { createRequire } from 'node:module';
    const require = createRequire(process.cwd() + '/');
    process.on('exit', () => {
      const count = (scope) => Object.keys(require.cache).filter((k) => k.includes('/node_modules/' + scope + '/')).length;
      process.stderr.write('grpc modules loaded: ' + count('@grpc') + '\\n');
      process.stderr.write('nats modules loaded: ' + count('@nats-io') + '\\n');
    });
  `);
const TSX = import.meta.resolve('tsx');

function modulesAtExit(stderr: string, kind = 'grpc'): number {
  const m = new RegExp(`${kind} modules loaded: (\\d+)`).exec(stderr);
  assert.ok(m, `no count reported: ${stderr}`);
  return Number(m[1]);
}

test('`swiftlet serve` without server.grpc and bus.driver nats loads no gRPC or NATS module', async (t) => {
  const dir = tempDir(t);
  const config = writeMockConfig(dir, 'http://127.0.0.1:9', {
    storage: `{ driver: sqlite, path: ${join(dir, 'db.sqlite')} }`,
    server: '{ port: 0 }',
  });
  const child = spawn(
    process.execPath,
    ['--import', TSX, '--import', COUNT_GRPC, join(ROOT, 'src/cli/main.ts'), 'serve', '--config', config],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, sig) => resolve(code ?? sig)),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (/listening on/.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const url = /listening on (\S+)/.exec(stdout)![1]!;
  // Up and answering (as in serve.test.ts, a signal is sent only to a server that has answered a request).
  assert.equal((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) })).status, 200);
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    exited,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('serve did not stop')), 30_000))),
  ]).finally(() => clearTimeout(timer));
  assert.equal(code, 0, `exit ${String(code)}: ${stderr}${stdout}`);
  assert.equal(modulesAtExit(stderr), 0);
  assert.equal(modulesAtExit(stderr, 'nats'), 0);
});

test('the same count sees @grpc once the broker gRPC server has started (the check can fail)', () => {
  const script = `
    const { startGrpcServer } = await import('./src/gateway/grpc/index.ts');
    const server = await startGrpcServer({ bus: {}, host: '127.0.0.1', port: 0, apiKeys: [] });
    await server.close();
  `;
  const r = spawnSync(
    process.execPath,
    ['--import', TSX, '--import', COUNT_GRPC, '--input-type=module', '-e', script],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.ok(modulesAtExit(r.stderr) > 0);
});

test('the same count sees @nats-io once a bus on NATS is being connected (the check can fail)', () => {
  const script = `
    const { NatsTransport } = await import('./src/bus/nats/index.ts');
    await NatsTransport.connect({ url: 'nats://127.0.0.1:9', stream: 'S', instanceId: 'i', tasks: {}, onError() {} })
      .then(() => process.exit(3), (err) => console.error(err.code));
  `;
  const r = spawnSync(
    process.execPath,
    ['--import', TSX, '--import', COUNT_GRPC, '--input-type=module', '-e', script],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /SWIFTLET_ERR_BUS_UNAVAILABLE/);
  assert.ok(modulesAtExit(r.stderr, 'nats') > 0);
});
