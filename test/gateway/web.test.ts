// The web page over plain HTTP: headers (CSP, types, caching, ETags), no inline code or outside resources, and no
// authentication for the page and its assets even when API keys are configured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { WEB_CSP, webAssets } from '../../src/gateway/web/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { tempDir } from '../helpers/runtime.js';

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const body = await res.body.text();
  const h = (name: string): string => {
    const v = res.headers[name];
    return Array.isArray(v) ? v.join(', ') : (v ?? '');
  };
  return { status: res.statusCode, body, h };
}

/** The URLs the page loads: its module script, stylesheet and icon. */
function assetUrls(html: string): { js: string; css: string; icon: string } {
  const js = /<script type="module" src="([^"]+)"><\/script>/.exec(html)?.[1];
  const css = /<link rel="stylesheet" href="([^"]+)">/.exec(html)?.[1];
  const icon = /<link rel="icon" type="image\/svg\+xml" href="([^"]+)">/.exec(html)?.[1];
  assert.ok(js && css && icon, 'the page links a script, a stylesheet and an icon');
  return { js, css, icon };
}

test('GET / answers the page with a strict CSP and revalidation headers', async (t) => {
  const { url } = await startTestGateway(t);
  const res = await get(`${url}/`);
  assert.equal(res.status, 200);
  assert.equal(res.h('content-type'), 'text/html; charset=utf-8');
  assert.equal(res.h('content-security-policy'), WEB_CSP);
  for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) {
    assert.ok(WEB_CSP.includes(directive), directive);
  }
  assert.doesNotMatch(WEB_CSP, /unsafe-|\*|https?:/);
  assert.equal(res.h('cache-control'), 'no-cache');
  assert.match(res.h('etag'), /^"[\w-]+"$/);
  assert.equal(res.h('x-content-type-options'), 'nosniff');
  assert.equal(res.h('x-frame-options'), 'DENY');
  assert.equal(Number(res.h('content-length')), Buffer.byteLength(res.body));
  assert.match(res.body, /^<!doctype html>/);
  assert.match(res.body, /<html lang="en">/);

  // Nothing the CSP would block or that leaves the server: no inline script, style or handler, no outside URL.
  for (const tag of res.body.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? []) {
    assert.match(tag, /^<script type="module" src="\/web\/[^"]+"><\/script>$/, tag);
  }
  assert.doesNotMatch(res.body, /<style\b|\sstyle=|\son[a-z]+=|https?:|\/\/[a-z]/i);
  // Every form control has a label.
  for (const id of ['agent', 'prompt', 'key-input']) assert.match(res.body, new RegExp(`<label[^>]* for="${id}"`), id);
});

test('assets have their content types, long-lived caching and no outside references', async (t) => {
  const { url } = await startTestGateway(t);
  const page = await get(`${url}/`);
  const urls = assetUrls(page.body);
  const expected = {
    js: 'text/javascript; charset=utf-8',
    css: 'text/css; charset=utf-8',
    icon: 'image/svg+xml',
  };
  const bodies: Record<string, string> = {};
  for (const [kind, path] of Object.entries(urls) as [keyof typeof urls, string][]) {
    assert.match(path, /^\/web\/[a-z]+\.[0-9a-f]{10}\.(js|css|svg)$/, 'content-hashed name');
    const res = await get(url + path);
    assert.equal(res.status, 200, path);
    assert.equal(res.h('content-type'), expected[kind], path);
    assert.equal(res.h('cache-control'), 'public, max-age=31536000, immutable', path);
    assert.equal(res.h('x-content-type-options'), 'nosniff', path);
    assert.match(res.h('etag'), /^"[\w-]+"$/, path);
    assert.equal(Number(res.h('content-length')), Buffer.byteLength(res.body), path);
    // The only URL allowed is the SVG namespace, which is a name, not a fetch.
    assert.doesNotMatch(res.body.replace('xmlns="http://www.w3.org/2000/svg"', ''), /https?:\/\//, path);
    bodies[kind] = res.body;
  }
  assert.doesNotMatch(bodies.js!, /@import|url\(/);
  assert.doesNotMatch(bodies.css!, /@import|url\(/);
  // The unhashed names are not served: a stale page can never load mismatched assets.
  assert.equal((await get(`${url}/web/app.js`)).status, 404);
});

test('the script is a syntactically valid ES module', (t) => {
  const script = webAssets().files.find((f) => f.path.endsWith('.js'));
  assert.ok(script);
  const file = join(tempDir(t, 'swiftlet-web-'), 'app.mjs');
  writeFileSync(file, script.body);
  const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
});

test('If-None-Match with the current ETag answers 304 without a body', async (t) => {
  const { url } = await startTestGateway(t);
  const first = await get(`${url}/`);
  const etag = first.h('etag');
  for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
    const again = await get(`${url}/`, { 'if-none-match': header });
    assert.equal(again.status, 304, header);
    assert.equal(again.body, '');
    assert.equal(again.h('etag'), etag);
  }
  const stale = await get(`${url}/`, { 'if-none-match': '"stale"' });
  assert.equal(stale.status, 200);
  assert.equal(stale.body, first.body);

  const { js } = assetUrls(first.body);
  const script = await get(url + js);
  assert.equal((await get(url + js, { 'if-none-match': script.h('etag') })).status, 304);
});

test('the page and its assets need no key when keys are configured; the API still does', async (t) => {
  const { url, gateway } = await startTestGateway(t, { keys: { alice: 'sk-alice-123' } });
  const page = await get(`${url}/`);
  assert.equal(page.status, 200);
  for (const path of Object.values(assetUrls(page.body))) assert.equal((await get(url + path)).status, 200, path);

  const routes = gateway.app.routes.filter((r) => r.path === '/' || r.path.startsWith('/web/'));
  const web = webAssets();
  assert.deepEqual(routes.map((r) => r.path).sort(), [web.page.path, ...web.files.map((f) => f.path)].sort());
  assert.ok(routes.every((r) => !r.auth && r.method === 'GET'));

  const api = await get(`${url}/v1/agents`);
  assert.equal(api.status, 401);
  const ok = await get(`${url}/v1/agents`, { authorization: 'Bearer sk-alice-123' });
  assert.equal(ok.status, 200);
});

test('server.webPage: false serves no page', async (t) => {
  const { url } = await startTestGateway(t, { server: { webPage: false } });
  assert.equal((await get(`${url}/`)).status, 404);
  const script = webAssets().files[0]!;
  assert.equal((await get(url + script.path)).status, 404);
});
