// A Python agent (grpcio, stubs generated from the repository's .proto at test time) serves tasks the Node side
// publishes, reporting with unary calls or on its Subscribe stream: every one completes, exactly once.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { PROTO_DIR, WAIT_MS, secret, startBroker, type Msg } from './helpers.js';

const AGENT_PY = fileURLToPath(new URL('./python/agent.py', import.meta.url));

/** A Python with grpcio and grpc_tools: $SWIFTLET_PYTHON, python3 on the PATH, or Debian's. */
function findPython(): { python: string } | { reason: string } {
  const candidates = [process.env.SWIFTLET_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import grpc, grpc_tools.protoc'], { timeout: 20_000, encoding: 'utf8' });
    if (r.status === 0) return { python };
  }
  return {
    reason:
      `no Python with grpcio and grpc_tools (tried ${candidates.join(', ')}); ` +
      'install them with: apt-get install python3-grpcio python3-grpc-tools',
  };
}

let found: ReturnType<typeof findPython> | undefined;

function requirePython(t: TestContext): string | null {
  found ??= findPython();
  if ('python' in found) return found.python;
  if (process.env.SWIFTLET_REQUIRE_SERVICES === '1') throw new Error(`${found.reason}; SWIFTLET_REQUIRE_SERVICES=1`);
  console.log(`skipping the Python agent test: ${found.reason}`);
  t.skip(found.reason);
  return null;
}

for (const onStream of [false, true]) {
  const how = onStream ? 'on its Subscribe stream' : 'with unary calls';
  test(`a Python agent subscribes, reports progress and completes N tasks ${how}, each exactly once`, (t) =>
    servesTasks(t, onStream));
}

async function servesTasks(t: TestContext, onStream: boolean): Promise<void> {
  const python = requirePython(t);
  if (!python) return;
  const stubs = mkdtempSync(join(tmpdir(), 'swiftlet-pystubs-'));
  t.after(() => rmSync(stubs, { recursive: true, force: true }));
  const gen = spawnSync(
    python,
    [
      '-m',
      'grpc_tools.protoc',
      `-I${join(PROTO_DIR, 'swiftlet/broker/v1')}`,
      `--python_out=${stubs}`,
      `--grpc_python_out=${stubs}`,
      'broker.proto',
    ],
    { timeout: WAIT_MS, encoding: 'utf8' },
  );
  assert.equal(gen.status, 0, `protoc failed: ${gen.stderr}`);

  const broker = await startBroker(t, {
    keys: [
      { name: 'py', tenant: 'acme' },
      { name: 'app', tenant: 'acme' },
    ],
  });
  const agent = `shouter-${randomUUID().slice(0, 8)}`;
  const n = 5;
  const child = spawn(
    python,
    [
      AGENT_PY,
      ...['--stubs', stubs, '--target', `127.0.0.1:${broker.port}`],
      ...['--agent', agent, '--key', secret('py'), '--count', String(n)],
      ...(onStream ? ['--on-stream'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => child.kill('SIGKILL'));
  const lines: Msg[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const subscribed = new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = JSON.parse(buf.slice(0, i)) as Msg;
        buf = buf.slice(i + 1);
        lines.push(line);
        if (line.subscribed !== undefined) resolve();
      }
    });
    void exited.then((code) => reject(new Error(`the agent exited (${String(code)}) before subscribing: ${stderr}`)));
  });
  await within(subscribed, WAIT_MS, 'the Python agent to subscribe');

  const app = broker.client('app');
  const tasks = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      app.call('Publish', { target: { agent }, text: `task ${i}`, data_json: JSON.stringify({ i }) }),
    ),
  );
  const histories = await within(Promise.all(tasks.map((x) => app.watch(x.id))), WAIT_MS, 'every task to end');
  assert.equal(await within(exited, WAIT_MS, 'the Python agent to exit'), 0, stderr);

  const completed = lines.filter((l) => l.completed !== undefined).map((l) => l.completed as string);
  assert.deepEqual([...completed].sort(), tasks.map((x) => x.id).sort(), 'each task completed once, by the agent');
  tasks.forEach((task, i) => {
    const events = histories[i]!;
    const kinds = events.map((e) => (e.event === 'state' ? e.state.state : e.event));
    assert.deepEqual(kinds, [
      'TASK_STATE_SUBMITTED',
      'TASK_STATE_WORKING',
      'progress',
      'progress',
      'TASK_STATE_COMPLETED',
    ]);
    assert.deepEqual(JSON.parse(events[3]!.progress.data_json), { seen: { i } });
  });
  for (const task of tasks) {
    const got = await app.call('Get', { task_id: task.id });
    assert.equal(got.state, 'TASK_STATE_COMPLETED');
    assert.equal(got.attempt, 1);
    assert.equal(got.assignee, agent);
    assert.equal(got.result.message, (task.text as string).toUpperCase());
    assert.deepEqual(JSON.parse(got.result.artifacts[0].data_json), JSON.parse(task.data_json as string));
  }
  if (onStream) assert.ok(lines.filter((l) => l.completed).every((l) => l.state === 'TASK_STATE_COMPLETED'));
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]);
}
