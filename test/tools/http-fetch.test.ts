import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SwiftletError } from '../../src/core/index.js';
import { createBuiltinTool, HostAllowlist, type HttpFetchResult, type Tool } from '../../src/tools/index.js';
import { toolContext } from './helpers.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: Server; base: string; host: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function fetchWith(tool: Tool, args: unknown, signal?: AbortSignal): Promise<HttpFetchResult> {
  const parsed = tool.parse(args);
  if (!parsed.ok) throw new Error(parsed.error);
  return (await tool.run(parsed.value, toolContext(signal ? { signal } : {}))) as HttpFetchResult;
}

function isCode(code: string, message: RegExp) {
  return (err: unknown) => SwiftletError.isInstance(err) && err.code === code && message.test(err.message);
}

describe('http_fetch', () => {
  let allowed: Awaited<ReturnType<typeof listen>>;
  let other: Awaited<ReturnType<typeof listen>>;
  let tool: Tool;
  const seen: { url: string; auth: string | undefined }[] = [];
  const stalled: ServerResponse[] = [];

  before(async () => {
    other = await listen((req, res) => {
      seen.push({ url: `other${req.url}`, auth: req.headers.authorization });
      res.end('other');
    });
    allowed = await listen((req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      if (req.url === '/hello') {
        res.setHeader('content-type', 'text/plain; charset=utf-8');
        res.end('hello, world');
      } else if (req.url === '/hop') {
        res.writeHead(302, { location: '/hello' }).end();
      } else if (req.url === '/off-list') {
        res.writeHead(301, { location: `${other.base}/secret` }).end();
      } else if (req.url === '/loop') {
        res.writeHead(307, { location: '/loop' }).end();
      } else if (req.url === '/big') {
        res.setHeader('content-type', 'application/json');
        res.write('x'.repeat(600));
        res.end('y'.repeat(600));
      } else if (req.url === '/image') {
        res.setHeader('content-type', 'image/png');
        res.end(Buffer.alloc(64));
      } else if (req.url === '/slow') {
        stalled.push(res); // never answers
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
      }
    });
    tool = createBuiltinTool({
      name: 'http_fetch',
      allowHosts: [allowed.host],
      maxBytes: 1000,
      timeoutMs: 300,
      allowHttp: true,
    });
  });

  after(async () => {
    for (const res of stalled) res.destroy();
    await Promise.all([close(allowed.server), close(other.server)]);
  });

  test('fetches an allowed URL', async () => {
    const res = await fetchWith(tool, { url: `${allowed.base}/hello`, headers: { authorization: 'Bearer t' } });
    assert.deepEqual(res, {
      url: `${allowed.base}/hello`,
      status: 200,
      contentType: 'text/plain; charset=utf-8',
      body: 'hello, world',
      truncated: false,
    });
    assert.equal(seen.at(-1)?.auth, 'Bearer t');
    assert.equal((await fetchWith(tool, { url: `${allowed.base}/nope` })).status, 404);
  });

  test('refuses a host that is not allowed, without sending anything', async () => {
    const before = seen.length;
    await assert.rejects(
      fetchWith(tool, { url: `${other.base}/secret` }),
      isCode('SWIFTLET_ERR_TOOL_DENIED', /host 127\.0\.0\.1:\d+ is not in the allowed hosts/),
    );
    await assert.rejects(fetchWith(tool, { url: 'file:///etc/passwd' }), isCode('SWIFTLET_ERR_TOOL_DENIED', /file/));
    assert.equal(seen.length, before);
  });

  test('follows allowed redirects and refuses one that leaves the list', async () => {
    const hop = await fetchWith(tool, { url: `${allowed.base}/hop` });
    assert.equal(hop.url, `${allowed.base}/hello`);
    assert.equal(hop.body, 'hello, world');
    await assert.rejects(
      fetchWith(tool, { url: `${allowed.base}/off-list` }),
      isCode('SWIFTLET_ERR_TOOL_DENIED', /redirect to http:\/\/127\.0\.0\.1:\d+\/secret refused/),
    );
    assert.ok(!seen.some((s) => s.url === 'other/secret'));
    await assert.rejects(fetchWith(tool, { url: `${allowed.base}/loop` }), /too many redirects/);
  });

  test('cuts the body at maxBytes and says so', async () => {
    const res = await fetchWith(tool, { url: `${allowed.base}/big` });
    assert.equal(res.truncated, true);
    assert.ok(res.body.startsWith('x'.repeat(600) + 'y'.repeat(400) + '\n'));
    assert.match(res.body, /\[truncated: only the first 1000 bytes are shown\]$/);
    const image = await fetchWith(tool, { url: `${allowed.base}/image` });
    assert.equal(image.body, '[binary content (image/png) not shown]');
  });

  test('gives up after its time cap', async () => {
    await assert.rejects(
      fetchWith(tool, { url: `${allowed.base}/slow` }),
      isCode('SWIFTLET_ERR_TOOL_TIMEOUT', /timed out after 300 ms/),
    );
  });

  test('an abort from the turn is reported as an abort', async () => {
    const controller = new AbortController();
    const pending = fetchWith(tool, { url: `${allowed.base}/slow` }, controller.signal);
    controller.abort();
    await assert.rejects(pending, isCode('SWIFTLET_ERR_ABORTED', /aborted/));
  });

  test('https only unless allowHttp', async () => {
    const strict = createBuiltinTool({
      name: 'http_fetch',
      allowHosts: [allowed.host],
      maxBytes: 100,
      timeoutMs: 300,
      allowHttp: false,
    });
    await assert.rejects(fetchWith(strict, { url: `${allowed.base}/hello` }), /only https URLs/);
  });

  test('refuses headers that would change the request target', async () => {
    await assert.rejects(
      fetchWith(tool, { url: `${allowed.base}/hello`, headers: { Host: 'evil' } }),
      isCode('SWIFTLET_ERR_TOOL_DENIED', /Host/),
    );
  });
});

test('HostAllowlist matches exact names, wildcards and ports', () => {
  const list = new HostAllowlist(['api.example.com', '*.example.org', 'localhost:8080', '[::1]:9000']);
  const ok = (u: string) => list.refusal(new URL(u), true) === undefined;
  assert.ok(ok('https://api.example.com/x'));
  assert.ok(ok('https://API.example.com:443/x'));
  assert.ok(!ok('https://api.example.com:8443/x'));
  assert.ok(!ok('https://evil-api.example.com/'));
  assert.ok(ok('https://a.b.example.org/'));
  assert.ok(!ok('https://example.org/'));
  assert.ok(!ok('https://example.org.evil.com/'));
  assert.ok(ok('http://localhost:8080/'));
  assert.ok(!ok('http://localhost/'));
  assert.ok(ok('http://[::1]:9000/'));
  assert.ok(!ok('https://user:pw@api.example.com/'));
  assert.throws(() => new HostAllowlist(['http://x.com']), /invalid allowed host/);
});
